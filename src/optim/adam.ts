/** Adam (Kingma & Ba 2015) with PyTorch's bias correction and eps placement. */
import type { Var } from '../autograd/var.js';
import { allocateLike, type FloatArray } from '../tensor/tensor.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class Adam {
  private readonly m = new Map<Var, FloatArray>();
  private readonly v = new Map<Var, FloatArray>();
  private t = 0;

  constructor(readonly params: Var[], readonly opts: AdamOptions = {}) {}

  step(): void {
    const { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = this.opts;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (const p of this.params) {
      if (!p.grad) continue;
      const w = p.value.data;
      const g = p.grad.data;
      let m = this.m.get(p);
      let v = this.v.get(p);
      if (!m || !v) {
        this.m.set(p, (m = allocateLike(w, w.length)));
        this.v.set(p, (v = allocateLike(w, w.length)));
      }
      for (let i = 0; i < w.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    }
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
}
