/** Learning-rate schedules, stepped once per epoch (as PyTorch's lr_scheduler). */
import type { Optimizer } from './optimizer.js';

export interface Schedule {
  /** Called after each epoch with the validation metric (lower is better); sets optimizer.lr. */
  epochEnd(epoch: number, metric?: number): void;
  state(): Record<string, number>;
  loadState(s: Record<string, number>): void;
}

/** lr = base · γ^⌊epoch / stepSize⌋ */
export class StepLR implements Schedule {
  private readonly base: number;
  constructor(
    private readonly opt: Optimizer,
    private readonly stepSize: number,
    private readonly gamma = 0.1,
  ) {
    this.base = opt.lr;
  }
  epochEnd(epoch: number): void {
    this.opt.lr = this.base * this.gamma ** Math.floor((epoch + 1) / this.stepSize);
  }
  state() {
    return {};
  }
  loadState(): void {}
}

/** Cosine annealing from the base rate to minLr over `total` epochs. */
export class CosineLR implements Schedule {
  private readonly base: number;
  constructor(
    private readonly opt: Optimizer,
    private readonly total: number,
    private readonly minLr = 0,
  ) {
    this.base = opt.lr;
  }
  epochEnd(epoch: number): void {
    const t = Math.min(epoch + 1, this.total);
    this.opt.lr = this.minLr + 0.5 * (this.base - this.minLr) * (1 + Math.cos((Math.PI * t) / this.total));
  }
  state() {
    return {};
  }
  loadState(): void {}
}

/** Multiplies lr by `factor` when the metric has not improved (relative 1e-4) for `patience` epochs. */
export class ReduceOnPlateau implements Schedule {
  private best = Infinity;
  private bad = 0;
  constructor(
    private readonly opt: Optimizer,
    private readonly factor = 0.5,
    private readonly patience = 2,
    private readonly minLr = 1e-6,
  ) {}
  epochEnd(_epoch: number, metric?: number): void {
    if (metric === undefined) return;
    if (metric < this.best * (1 - 1e-4)) {
      this.best = metric;
      this.bad = 0;
    } else if (++this.bad > this.patience) {
      this.opt.lr = Math.max(this.minLr, this.opt.lr * this.factor);
      this.bad = 0;
    }
  }
  state() {
    return { best: this.best, bad: this.bad };
  }
  loadState(s: Record<string, number>): void {
    this.best = s.best ?? Infinity; // JSON writes Infinity as null
    this.bad = s.bad;
  }
}

/** The learning-rate schedules the tasks offer (`--lr-schedule`). */
export type LrScheduleKind = 'plateau' | 'cosine';

/** plateau: halve the rate after an epoch without a better validation loss; cosine: anneal it to 5% over `epochs`. */
export function lrSchedule(kind: LrScheduleKind | undefined, optimizer: Optimizer, epochs: number): Schedule {
  return kind === 'cosine' ? new CosineLR(optimizer, epochs, 0.05 * optimizer.lr) : new ReduceOnPlateau(optimizer, 0.5, 1);
}
