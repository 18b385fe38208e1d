/** Stochastic gradient descent with optional momentum, as PyTorch's optim.SGD. */
import type { Var } from '../autograd/var.js';
import { allocateLike, type FloatArray } from '../tensor/tensor.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

export class SGD {
  private readonly velocity = new Map<Var, FloatArray>();

  constructor(readonly params: Var[], readonly opts: SGDOptions) {}

  /** p −= lr · (g + wd·p), with v = μ v + g in place of g when momentum > 0. */
  step(): void {
    const { lr, momentum = 0, weightDecay = 0 } = this.opts;
    for (const p of this.params) {
      if (!p.grad) continue;
      const w = p.value.data;
      const g = p.grad.data;
      let v = this.velocity.get(p);
      if (momentum > 0 && !v) this.velocity.set(p, (v = allocateLike(w, w.length)));
      for (let i = 0; i < w.length; i++) {
        let d = g[i] + weightDecay * w[i];
        if (v) d = v[i] = momentum * v[i] + d;
        w[i] -= lr * d;
      }
    }
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
}
