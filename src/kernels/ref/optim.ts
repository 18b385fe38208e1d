/** Optimizer updates: the readable loops the fast backends match. */
import type { AdamStep } from '../backend.js';
import type { FloatArray } from '../../tensor/tensor.js';

/** Adam over every entry (see {@link Backend.adamUpdate}). */
export function adamUpdate(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, s: AdamStep): void {
  const { lr, beta1, beta2, eps, c1, c2, l2, shrink } = s;
  for (let i = 0; i < g.length; i++) {
    const gi = g[i] + l2 * w[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = shrink * w[i] - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
  }
}
