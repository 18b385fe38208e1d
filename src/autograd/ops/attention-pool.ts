/**
 * Attention pooling over a sequence of states (one tape node):
 *   u_t = tanh(W h_t + b),  e_t = vᵀ u_t,  α = softmax(e) over the valid steps t < length,
 *   pooled = Σ_t α_t h_t
 * Legend: B batch, T steps, D state size, A attention size.
 */
import { Tensor, allocateLike, shapeString } from '../../tensor/tensor.js';
import { backend } from '../../kernels/index.js';
import { Var, record, wants } from '../var.js';
import { GruError } from '../../errors.js';

/** h (B, T, D), W (A, D), b (A), v (A), lengths (B) or null → pooled (B, D) and the weights α (B, T). */
export function attentionPool(h: Var, W: Var, b: Var, v: Var, lengths: Int32Array | null): { pooled: Var; weights: Tensor } {
  const [B, T, D] = h.shape;
  const A = W.shape[0];
  if (h.shape.length !== 3 || W.shape[1] !== D || b.shape[0] !== A || v.shape[0] !== A) {
    throw new GruError('INVALID_ARGUMENT', `attentionPool: expected h [B, T, D], W [A, D], b [A], v [A]; got ${shapeString(h.shape)}, ${shapeString(W.shape)}, ${shapeString(b.shape)}, ${shapeString(v.shape)}`);
  }
  const k = backend();
  const u = allocateLike(h.data, B * T * A); // (B, T, A)
  k.gemm(false, true, B * T, A, D, 1, h.data, 0, D, W.data, 0, D, 0, u, 0, A);
  k.addBias(u, b.data, B * T, A);
  k.unaryForward('tanh', u, u);
  const alpha = allocateLike(h.data, B * T); // (B, T)
  const pooled = new Var(new Tensor(allocateLike(h.data, B * D), [B, D]));
  for (let i = 0; i < B; i++) {
    const L = lengths ? lengths[i] : T;
    let max = -Infinity;
    for (let t = 0; t < L; t++) {
      let e = 0;
      for (let a = 0; a < A; a++) e += v.data[a] * u[(i * T + t) * A + a];
      alpha[i * T + t] = e;
      if (e > max) max = e;
    }
    let sum = 0;
    for (let t = 0; t < L; t++) sum += alpha[i * T + t] = Math.exp(alpha[i * T + t] - max);
    for (let t = 0; t < L; t++) {
      const w = (alpha[i * T + t] /= sum);
      for (let d = 0; d < D; d++) pooled.data[i * D + d] += w * h.data[(i * T + t) * D + d];
    }
  }
  record('attentionPool', [h, W, b, v], [pooled], () => {
    const dp = pooled.grad?.data;
    if (!dp) return;
    const dpre = allocateLike(h.data, B * T * A); // gradient of W h_t + b
    const dh = wants(h) ? h.gradBuffer().data : null;
    const dv = wants(v) ? v.gradBuffer().data : null;
    for (let i = 0; i < B; i++) {
      const L = lengths ? lengths[i] : T;
      // pooled = Σ α_t h_t  →  dα_t = dpooled · h_t,  dh_t += α_t dpooled
      let dot = 0;
      const dAlpha = new Float64Array(L);
      for (let t = 0; t < L; t++) {
        let s = 0;
        for (let d = 0; d < D; d++) {
          s += dp[i * D + d] * h.data[(i * T + t) * D + d];
          if (dh) dh[(i * T + t) * D + d] += alpha[i * T + t] * dp[i * D + d];
        }
        dAlpha[t] = s;
        dot += alpha[i * T + t] * s;
      }
      for (let t = 0; t < L; t++) {
        const de = alpha[i * T + t] * (dAlpha[t] - dot); // softmax backward
        for (let a = 0; a < A; a++) {
          const ua = u[(i * T + t) * A + a];
          if (dv) dv[a] += de * ua; // e = vᵀ u
          dpre[(i * T + t) * A + a] = de * v.data[a] * (1 - ua * ua); // u = tanh(·)
        }
      }
    }
    if (wants(W)) k.gemm(true, false, A, D, B * T, 1, dpre, 0, A, h.data, 0, D, 1, W.gradBuffer().data, 0, D);
    if (wants(b)) k.addBiasBackward(b.gradBuffer().data, dpre, B * T, A);
    if (dh) k.gemm(false, false, B * T, D, A, 1, dpre, 0, A, W.data, 0, D, 1, dh, 0, D);
  });
  return { pooled, weights: new Tensor(alpha, [B, T]) };
}
