/** RMSprop, as PyTorch's optim.RMSprop (no centering). */
import type { Var } from '../autograd/var.js';
import type { FloatArray } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  momentum?: number;
  weightDecay?: number;
}

/** v = α v + (1−α) g²;  step = g / (√v + eps);  with momentum b = μ b + step;  p −= lr · (b or step) */
export class RMSprop extends Optimizer {
  constructor(
    params: Var[],
    readonly opts: RMSpropOptions = {},
  ) {
    super(params, opts.lr ?? 1e-2);
  }

  protected update(p: Var, w: FloatArray, g: FloatArray): void {
    const { alpha = 0.99, eps = 1e-8, momentum = 0, weightDecay = 0 } = this.opts;
    const v = this.slot('square_avg', p);
    const b = momentum > 0 ? this.slot('momentum', p) : null;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] + weightDecay * w[i];
      v[i] = alpha * v[i] + (1 - alpha) * gi * gi;
      let d = gi / (Math.sqrt(v[i]) + eps);
      if (b) d = b[i] = momentum * b[i] + d;
      w[i] -= this.lr * d;
    }
  }
}
