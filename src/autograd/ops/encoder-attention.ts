/**
 * Encoder–decoder attention for one decoder step, masking padded source steps:
 *   additive (Bahdanau): e_j = vᵀ tanh(K_j + q)  with K = W_k·enc (precomputed), q = W_q·s
 *   dot (Luong general): e_j = qᵀ K_j            with K = W·enc (precomputed), q = s
 *   α = softmax over j < length,  context = Σ_j α_j V_j
 * Legend: B batch, S source steps, A key size, D value size.
 */
import { Tensor, allocateLike, shapeString } from '../../tensor/tensor.js';
import { Var, record, wants } from '../var.js';

export type AttentionScore = 'additive' | 'dot';

/** q (B, A), keys (B, S, A), values (B, S, D), v (A) for additive → context (B, D), weights (B, S). */
export function encoderAttention(score: AttentionScore, q: Var, keys: Var, values: Var, v: Var | null, lengths: Int32Array | null): { context: Var; weights: Tensor } {
  const [B, S, A] = keys.shape;
  const D = values.shape[2];
  if (q.shape[0] !== B || q.shape[1] !== A || values.shape[0] !== B || values.shape[1] !== S || (score === 'additive' && (!v || v.shape[0] !== A))) {
    throw new Error(`encoderAttention: expected q [B, A], keys [B, S, A], values [B, S, D]${score === 'additive' ? ', v [A]' : ''}; got ${shapeString(q.shape)}, ${shapeString(keys.shape)}, ${shapeString(values.shape)}`);
  }
  const like = q.data;
  const alpha = allocateLike(like, B * S);
  const u = score === 'additive' ? allocateLike(like, B * S * A) : null; // tanh(K_j + q)
  const context = new Var(new Tensor(allocateLike(like, B * D), [B, D]));
  for (let b = 0; b < B; b++) {
    const L = lengths ? lengths[b] : S;
    let max = -Infinity;
    for (let j = 0; j < L; j++) {
      let e = 0;
      const kk = (b * S + j) * A;
      if (u) {
        for (let a = 0; a < A; a++) e += v!.data[a] * (u[kk + a] = Math.tanh(keys.data[kk + a] + q.data[b * A + a]));
      } else {
        for (let a = 0; a < A; a++) e += q.data[b * A + a] * keys.data[kk + a];
      }
      alpha[b * S + j] = e;
      if (e > max) max = e;
    }
    let sum = 0;
    for (let j = 0; j < L; j++) sum += alpha[b * S + j] = Math.exp(alpha[b * S + j] - max);
    for (let j = 0; j < L; j++) {
      const w = (alpha[b * S + j] /= sum);
      for (let d = 0; d < D; d++) context.data[b * D + d] += w * values.data[(b * S + j) * D + d];
    }
  }
  record(`${score}Attention`, [q, keys, values, v], [context], () => {
    const dc = context.grad?.data;
    if (!dc) return;
    const dq = wants(q) ? q.gradBuffer().data : null;
    const dk = wants(keys) ? keys.gradBuffer().data : null;
    const dval = wants(values) ? values.gradBuffer().data : null;
    const dv = wants(v) ? v!.gradBuffer().data : null;
    for (let b = 0; b < B; b++) {
      const L = lengths ? lengths[b] : S;
      const dAlpha = new Float64Array(L);
      let dot = 0;
      for (let j = 0; j < L; j++) {
        let t = 0;
        for (let d = 0; d < D; d++) {
          t += dc[b * D + d] * values.data[(b * S + j) * D + d];
          if (dval) dval[(b * S + j) * D + d] += alpha[b * S + j] * dc[b * D + d];
        }
        dAlpha[j] = t;
        dot += alpha[b * S + j] * t;
      }
      for (let j = 0; j < L; j++) {
        const de = alpha[b * S + j] * (dAlpha[j] - dot);
        const kk = (b * S + j) * A;
        for (let a = 0; a < A; a++) {
          if (u) {
            if (dv) dv[a] += de * u[kk + a];
            const dpre = de * v!.data[a] * (1 - u[kk + a] * u[kk + a]);
            if (dk) dk[kk + a] += dpre;
            if (dq) dq[b * A + a] += dpre;
          } else {
            if (dk) dk[kk + a] += de * q.data[b * A + a];
            if (dq) dq[b * A + a] += de * keys.data[kk + a];
          }
        }
      }
    }
  });
  return { context, weights: new Tensor(alpha, [B, S]) };
}
