/** Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), with PyTorch's bias correction and eps placement. */
import type { SparseGrad, Var } from '../autograd/var.js';
import { allocateLike, type FloatArray } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';
import { backend } from '../kernels/index.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay p −= lr·wd·p. */
  weightDecay?: number;
}

/**
 * m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²;
 * p −= lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + eps)
 */
export class Adam extends Optimizer {
  /** AdamW decays weights directly instead of adding wd·p to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(
    params: Var[],
    readonly opts: AdamOptions = {},
  ) {
    super(params, opts.lr ?? 1e-3);
  }

  protected update(p: Var, w: FloatArray, g: FloatArray): void {
    this.apply(p, w, g, null);
  }

  /**
   * Lazy Adam (PyTorch's SparseAdam): only the entries with a gradient update
   * their moments and weights; the others wait untouched. When every entry is
   * touched this is exactly the dense update.
   */
  protected override updateSparse(p: Var, w: FloatArray, g: SparseGrad): void {
    this.apply(p, w, g.values, g.positions);
  }

  /** The update at positions[j] with gradient g[j] (positions null: every entry j). */
  private apply(p: Var, w: FloatArray, g: FloatArray, positions: Int32Array | null): void {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = this.opts;
    const m = this.slot('m', p);
    const v = this.slot('v', p);
    const c1 = 1 - beta1 ** this.steps;
    const c2 = 1 - beta2 ** this.steps;
    const l2 = this.decoupled ? 0 : weightDecay;
    const shrink = this.decoupled ? 1 - this.lr * weightDecay : 1;
    const step = { lr: this.lr, beta1, beta2, eps, c1, c2, l2, shrink };
    if (!positions) {
      backend().adamUpdate(w, g, m, v, step);
      return;
    }
    // Lazy: the same update on the touched entries, gathered and scattered back.
    const at = (a: FloatArray) => {
      const out = allocateLike(a, positions.length);
      for (let j = 0; j < positions.length; j++) out[j] = a[positions[j]];
      return out;
    };
    const ws = at(w),
      ms = at(m),
      vs = at(v);
    backend().adamUpdate(ws, g, ms, vs, step);
    for (let j = 0; j < positions.length; j++) {
      const i = positions[j];
      w[i] = ws[j];
      m[i] = ms[j];
      v[i] = vs[j];
    }
  }
}

/** Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: Var[], opts: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...opts });
  }
}
