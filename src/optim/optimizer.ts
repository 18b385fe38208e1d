/**
 * Optimizer base: per-parameter state buffers ("slots", e.g. Adam's m and v)
 * that can be saved in a checkpoint and restored, so a resumed run continues
 * exactly where it stopped.
 */
import type { SparseGrad, Var } from '../autograd/var.js';
import { Tensor, allocateLike, type FloatArray } from '../tensor/tensor.js';
import { GruError } from '../errors.js';

/** What a checkpoint keeps of an optimizer. */
export interface OptimizerState {
  /** Slot buffers keyed `${slot}.${parameterIndex}`. */
  tensors: Record<string, Tensor>;
  /** Scalars: the learning rate and step count. */
  scalars: Record<string, number>;
}

export abstract class Optimizer {
  /** The current learning rate; schedules change it between epochs. */
  lr: number;
  /** Update steps taken. */
  steps = 0;
  private readonly slots = new Map<string, Map<Var, FloatArray>>();

  constructor(
    readonly params: Var[],
    lr: number,
  ) {
    if (!(lr > 0)) throw new GruError('INVALID_ARGUMENT', `optimizer: learning rate must be > 0, got ${lr}`);
    this.lr = lr;
  }

  /** Applies one update to every parameter that has a gradient (dense or sparse). */
  step(): void {
    this.steps++;
    for (const p of this.params) {
      if (p.grad) this.update(p, p.value.data, p.grad.data);
      else if (p.sparseGrad) this.updateSparse(p, p.value.data, p.sparseGrad);
    }
  }

  /** Updates one parameter in place from its gradient. */
  protected abstract update(p: Var, w: FloatArray, g: FloatArray): void;

  /**
   * Updates one parameter from a sparse gradient. This default densifies it,
   * so the result is exactly the dense update; optimizers whose update can
   * skip zero-gradient entries override it to touch only `g.positions`.
   */
  protected updateSparse(p: Var, w: FloatArray, g: SparseGrad): void {
    this.update(p, w, p.gradBuffer().data);
  }

  /** A zero-initialised state buffer of the parameter's size. */
  protected slot(name: string, p: Var): FloatArray {
    let m = this.slots.get(name);
    if (!m) this.slots.set(name, (m = new Map()));
    let buf = m.get(p);
    if (!buf) m.set(p, (buf = allocateLike(p.value.data, p.value.size)));
    return buf;
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  state(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    for (const [name, m] of this.slots) {
      for (const [p, buf] of m) tensors[`${name}.${this.params.indexOf(p)}`] = new Tensor(buf.slice(), p.shape);
    }
    return { tensors, scalars: { lr: this.lr, steps: this.steps } };
  }

  loadState(s: OptimizerState): void {
    this.lr = s.scalars.lr;
    this.steps = s.scalars.steps;
    this.slots.clear();
    for (const [key, t] of Object.entries(s.tensors)) {
      const dot = key.lastIndexOf('.');
      const p = this.params[Number(key.slice(dot + 1))];
      if (!p || p.value.size !== t.size) throw new GruError('INVALID_FILE', `optimizer state: '${key}' does not fit this model's parameters`);
      this.slot(key.slice(0, dot), p).set(t.data);
    }
  }
}
