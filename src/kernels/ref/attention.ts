/**
 * Reference encoder–decoder attention for one decoder step (the loops that
 * were in src/autograd/ops/encoder-attention.ts), row b at a time:
 *   additive (Bahdanau): e_j = vᵀ u_j,  u_j = tanh(K_j + q)
 *   dot (Luong):         e_j = qᵀ K_j
 *   α = softmax(e) over j < L (L = the row's length), 0 past it
 *   β_j = α_j g_j with a gain (not renormalised), else β = α
 *   context = Σ_j β_j V_j
 * Backward, given dc = ∂loss/∂context:
 *   dV_j += β_j dc;  dβ_j = dc·V_j;  dot = Σ_k β_k dβ_k
 *   de_j = α_j (g_j dβ_j − dot) = β_j dβ_j − α_j dot   (α_j = β_j / g_j);  dg_j += α_j dβ_j
 *   additive: dv += Σ_j de_j u_j;  h_j = de_j v ⊙ (1 − u_j²);  dK_j += h_j;  dq += Σ_j h_j
 *   dot:      dK_j += de_j q;      dq += Σ_j de_j K_j
 * Key row (b, j) starts at b·kb + j·kj, value row (b, j) at b·vb + j·vj
 * (the strides of AttentionInputs; dense by default).
 * Scores, their softmax and dβ are kept in float64 scratch.
 * Legend: B batch, S source steps, A key size, D value size.
 */
import type { AttentionBackwardArgs, AttentionForwardArgs } from '../backend.js';
import { attentionStrides } from '../spec.js';

/** The row's valid length, clamped to [0, S]. */
export function attentionLength(lengths: Int32Array | null, b: number, S: number): number {
  return lengths === null ? S : Math.max(0, Math.min(S, lengths[b]));
}

export function attentionForward(a: AttentionForwardArgs): void {
  const { B, S, A, D, q, keys, values, v, lengths, alpha, context, u } = a;
  const gain = a.gain ?? null;
  const { kb, kj, vb, vj } = attentionStrides(a);
  const e = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    const L = attentionLength(lengths, b, S);
    const qo = b * A;
    // Scores.
    let max = -Infinity;
    for (let j = 0; j < L; j++) {
      const ko = b * kb + j * kj;
      let s = 0;
      if (v) {
        for (let i = 0; i < A; i++) {
          const t = Math.tanh(keys[ko + i] + q[qo + i]);
          if (u) u[ko + i] = t;
          s += v[i] * t;
        }
      } else {
        for (let i = 0; i < A; i++) s += q[qo + i] * keys[ko + i];
      }
      e[j] = s;
      if (s > max) max = s;
    }
    // Masked softmax (times the gain).
    let sum = 0;
    for (let j = 0; j < L; j++) sum += e[j] = Math.exp(e[j] - max);
    for (let j = 0; j < S; j++) alpha[b * S + j] = j >= L ? 0 : gain ? (e[j] / sum) * gain[b * S + j] : e[j] / sum;
    // Context.
    const co = b * D;
    for (let d = 0; d < D; d++) context[co + d] = 0;
    for (let j = 0; j < L; j++) {
      const w = alpha[b * S + j];
      const vo = b * vb + j * vj;
      for (let d = 0; d < D; d++) context[co + d] += w * values[vo + d];
    }
  }
}

export function attentionBackward(a: AttentionBackwardArgs): void {
  const { B, S, A, D, q, keys, values, v, lengths, alpha, u, dContext: dc, dq, dKeys, dValues } = a;
  const dv = v ? a.dv : null;
  const gain = a.gain ?? null;
  const dGain = gain ? (a.dGain ?? null) : null;
  const { kb, kj, vb, vj } = attentionStrides(a);
  const dAlpha = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    const L = attentionLength(lengths, b, S);
    const qo = b * A,
      co = b * D;
    // Through the context: dV_j and dβ_j.
    let dot = 0;
    for (let j = 0; j < L; j++) {
      const w = alpha[b * S + j];
      const vo = b * vb + j * vj;
      let t = 0;
      for (let d = 0; d < D; d++) {
        t += dc[co + d] * values[vo + d];
        if (dValues) dValues[vo + d] += w * dc[co + d];
      }
      dAlpha[j] = t;
      dot += w * t;
    }
    // Through the gain, the softmax and the score.
    for (let j = 0; j < L; j++) {
      const w = alpha[b * S + j];
      let de: number;
      if (gain) {
        const al = w / gain[b * S + j];
        de = w * dAlpha[j] - al * dot;
        if (dGain) dGain[b * S + j] += al * dAlpha[j];
      } else {
        de = w * (dAlpha[j] - dot);
      }
      const ko = b * kb + j * kj;
      if (v) {
        for (let i = 0; i < A; i++) {
          const t = u ? u[ko + i] : Math.tanh(keys[ko + i] + q[qo + i]);
          if (dv) dv[i] += de * t;
          const g = de * v[i] * (1 - t * t);
          if (dKeys) dKeys[ko + i] += g;
          if (dq) dq[qo + i] += g;
        }
      } else {
        for (let i = 0; i < A; i++) {
          if (dKeys) dKeys[ko + i] += de * q[qo + i];
          if (dq) dq[qo + i] += de * keys[ko + i];
        }
      }
    }
  }
}
