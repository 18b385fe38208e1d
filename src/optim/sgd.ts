/** SGD with momentum and Nesterov momentum, as PyTorch's optim.SGD. */
import type { SparseGrad, Var } from '../autograd/var.js';
import type { FloatArray } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient. */
  weightDecay?: number;
}

/**
 * d = g + wd·p;  v = μ v + d;  p −= lr · (nesterov ? d + μ v : v)   (plain SGD when μ = 0)
 */
export class SGD extends Optimizer {
  constructor(
    params: Var[],
    readonly opts: SGDOptions,
  ) {
    super(params, opts.lr);
  }

  protected update(p: Var, w: FloatArray, g: FloatArray): void {
    const { momentum = 0, nesterov = false, weightDecay = 0 } = this.opts;
    const v = momentum > 0 ? this.slot('momentum', p) : null;
    for (let i = 0; i < w.length; i++) {
      let d = g[i] + weightDecay * w[i];
      if (v) {
        v[i] = momentum * v[i] + d;
        d = nesterov ? d + momentum * v[i] : v[i];
      }
      w[i] -= this.lr * d;
    }
  }

  /** Plain SGD leaves zero-gradient entries alone, so only the touched ones move (same result as dense). */
  protected override updateSparse(p: Var, w: FloatArray, g: SparseGrad): void {
    const { momentum = 0, weightDecay = 0 } = this.opts;
    if (momentum > 0 || weightDecay > 0) return super.updateSparse(p, w, g);
    for (let i = 0; i < g.positions.length; i++) w[g.positions[i]] -= this.lr * g.values[i];
  }
}
