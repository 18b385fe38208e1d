/**
 * A GRU that attends to its own past (one tape node per sequence).
 *
 * States S_0 = h0, S_{s+1} = the state after step s. At step s the memory is
 * S_j for j in [max(0, s + 1 − w), s] (all earlier states when w = 0):
 *   q      = U_a S_s                              (the query: the previous state)
 *   e_j    = vᵀ tanh(K_j + q),   K_j = W_a S_j     (K_j computed once per state)
 *   α      = softmax_j(e)
 *   c      = Σ_j α_j S_j                            (c = h0 at the first step)
 *   r      = σ(W_r x + b_ir + U_r S_s + b_hr),   z = σ(W_z x + b_iz + U_z S_s + b_hz)
 *   n      = tanh(W_n x + b_in + U_n (r ⊙ c) + b_hn)
 *   S_{s+1} = (1 − z) ⊙ n + z ⊙ S_s
 * With a window w, time and memory per step are O(w): the cache holds the
 * states, keys, gates and weights (T·(4H + A + w) numbers per sequence), and
 * backward recomputes the tanh terms instead of storing T·w·A of them.
 * Legend: T steps, B batch, I input, H hidden, A attention size, W window slots.
 */
import { Tensor, allocateLike, type FloatArray } from '../../tensor/tensor.js';
import { backend } from '../../kernels/index.js';
import { sigmoid } from '../../kernels/ref/elementwise.js';
import { Var, record, wants } from '../var.js';

export interface AttentionGruParams {
  wIh: Var; // (3H, I)  rows r, z, n
  wHh: Var; // (3H, H)  U_r, U_z on S_s; U_n on r ⊙ c
  bIh: Var | null; // (3H)
  bHh: Var | null; // (3H)
  wA: Var; // (A, H)  keys
  uA: Var; // (A, H)  query
  v: Var; // (A)
}

/** x (T, B, I), h0 (B, H) or null → output (T, B, H), hN (B, H), attention (T, B, W) over the window slots (oldest first). */
export function attentionGru(x: Var, h0: Var | null, p: AttentionGruParams, window: number): { y: Var; hN: Var; attention: Tensor } {
  const [T, B, I] = x.shape;
  const H = p.wHh.shape[1];
  const A = p.wA.shape[0];
  const G = 3 * H;
  const Wn = window > 0 ? Math.min(window, T) : T; // window slots per step
  const k = backend();
  const like = x.data;
  const S = allocateLike(like, (T + 1) * B * H); // (T+1, B, H) states
  const K = allocateLike(like, (T + 1) * B * A); // (T+1, B, A) keys
  const gates = allocateLike(like, T * B * G); // (T, B, 3H) W x + b_i, then r, z, n
  const gh = allocateLike(like, T * B * G); // (T, B, 3H) U_rz S_s + b_hrz | U_n (r⊙c) + b_hn
  const C = allocateLike(like, T * B * H); // (T, B, H) context c
  const alpha = allocateLike(like, T * B * Wn); // (T, B, W)
  const q = allocateLike(like, B * A);
  const rc = allocateLike(like, T * B * H); // (T, B, H) r ⊙ c
  if (h0) S.set(h0.data.subarray(0, B * H));
  const bI = p.bIh?.data ?? null, bH = p.bHh?.data ?? null;
  const vA = p.v.data;

  k.gemm(false, true, T * B, G, I, 1, x.data, 0, I, p.wIh.data, 0, I, 0, gates, 0, G);
  if (bI) k.addBias(gates, bI, T * B, G);
  k.gemm(false, true, B, A, H, 1, S, 0, H, p.wA.data, 0, H, 0, K, 0, A);

  for (let s = 0; s < T; s++) {
    const lo = Math.max(0, s + 1 - Wn); // first memory state
    const prev = s * B * H;
    const g0 = s * B * G;
    if (bH) for (let b = 0; b < B; b++) gh.set(bH.subarray(0, 2 * H), g0 + b * G);
    k.gemm(false, true, B, 2 * H, H, 1, S, prev, H, p.wHh.data, 0, H, 1, gh, g0, G);
    k.gemm(false, true, B, A, H, 1, S, prev, H, p.uA.data, 0, H, 0, q, 0, A);
    for (let b = 0; b < B; b++) {
      // scores over the window, softmax, context
      const ab = (s * B + b) * Wn;
      let max = -Infinity;
      for (let j = lo; j <= s; j++) {
        let e = 0;
        const kk = (j * B + b) * A;
        for (let a = 0; a < A; a++) e += vA[a] * Math.tanh(K[kk + a] + q[b * A + a]);
        alpha[ab + j - lo] = e;
        if (e > max) max = e;
      }
      let sum = 0;
      for (let j = lo; j <= s; j++) sum += alpha[ab + j - lo] = Math.exp(alpha[ab + j - lo] - max);
      const c = (s * B + b) * H;
      for (let j = lo; j <= s; j++) {
        const w = (alpha[ab + j - lo] /= sum);
        for (let d = 0; d < H; d++) C[c + d] += w * S[(j * B + b) * H + d];
      }
      const g = g0 + b * G;
      for (let d = 0; d < H; d++) {
        const r = sigmoid(gates[g + d] + gh[g + d]);
        gates[g + d] = r;
        rc[c + d] = r * C[c + d];
      }
    }
    // gh_n = (r ⊙ c) U_nᵀ + b_hn
    if (bH) for (let b = 0; b < B; b++) gh.set(bH.subarray(2 * H, 3 * H), g0 + b * G + 2 * H);
    k.gemm(false, true, B, H, H, 1, rc, s * B * H, H, p.wHh.data, 2 * H * H, H, 1, gh, g0 + 2 * H, G);
    const next = (s + 1) * B * H;
    for (let b = 0; b < B; b++) {
      const g = g0 + b * G;
      for (let d = 0; d < H; d++) {
        const z = sigmoid(gates[g + H + d] + gh[g + H + d]);
        const n = Math.tanh(gates[g + 2 * H + d] + gh[g + 2 * H + d]);
        gates[g + H + d] = z;
        gates[g + 2 * H + d] = n;
        S[next + b * H + d] = (1 - z) * n + z * S[prev + b * H + d];
      }
    }
    k.gemm(false, true, B, A, H, 1, S, next, H, p.wA.data, 0, H, 0, K, (s + 1) * B * A, A);
  }

  const y = new Var(new Tensor(S.slice(B * H), [T, B, H]));
  const hN = new Var(new Tensor(S.slice(T * B * H), [B, H]));
  const inputs = [x, h0, p.wIh, p.wHh, p.bIh, p.bHh, p.wA, p.uA, p.v];
  record('attentionGru', inputs, [y, hN], () => {
    if (!y.grad && !hN.grad) return;
    const dS = allocateLike(like, (T + 1) * B * H); // gradient of each state
    const dK = allocateLike(like, (T + 1) * B * A); // gradient of each key
    const dgi = allocateLike(like, T * B * G);
    const dgh = allocateLike(like, T * B * G);
    const drc = allocateLike(like, B * H);
    const dq = allocateLike(like, B * A);
    const dWA = allocateLike(like, A * H), dUA = allocateLike(like, A * H), dv = allocateLike(like, A);
    const Q = allocateLike(like, T * B * A); // (T, B, A) every step's query U_a S_s, recomputed in one product
    k.gemm(false, true, T * B, A, H, 1, S, 0, H, p.uA.data, 0, H, 0, Q, 0, A);
    if (y.grad) dS.set(y.grad.data, B * H);
    if (hN.grad) for (let i = 0; i < B * H; i++) dS[T * B * H + i] += hN.grad.data[i];

    for (let s = T - 1; s >= 0; s--) {
      const lo = Math.max(0, s + 1 - Wn);
      const prev = s * B * H, next = (s + 1) * B * H, g0 = s * B * G;
      // K_{s+1} = W_a S_{s+1}: its gradient is complete now (only later steps read it).
      k.gemm(false, false, B, H, A, 1, dK, (s + 1) * B * A, A, p.wA.data, 0, H, 1, dS, next, H);
      k.gemm(true, false, A, H, B, 1, dK, (s + 1) * B * A, A, S, next, H, 1, dWA, 0, H);
      for (let b = 0; b < B; b++) {
        const g = g0 + b * G;
        for (let d = 0; d < H; d++) {
          const z = gates[g + H + d], n = gates[g + 2 * H + d];
          const dOut = dS[next + b * H + d];
          // S' = (1 − z) n + z S_s
          const dnPre = dOut * (1 - z) * (1 - n * n);
          const dzPre = dOut * (S[prev + b * H + d] - n) * z * (1 - z);
          dS[prev + b * H + d] += dOut * z;
          dgi[g + H + d] = dzPre;
          dgh[g + H + d] = dzPre;
          dgi[g + 2 * H + d] = dnPre;
          dgh[g + 2 * H + d] = dnPre;
        }
      }
      // d(r ⊙ c) = dgh_n U_n
      k.gemm(false, false, B, H, H, 1, dgh, g0 + 2 * H, G, p.wHh.data, 2 * H * H, H, 0, drc, 0, H);
      for (let b = 0; b < B; b++) {
        const g = g0 + b * G;
        const c = (s * B + b) * H;
        const ab = (s * B + b) * Wn;
        for (let d = 0; d < H; d++) {
          const r = gates[g + d];
          const drPre = drc[b * H + d] * C[c + d] * r * (1 - r);
          dgi[g + d] = drPre;
          dgh[g + d] = drPre;
        }
        // c = Σ α_j S_j → dα_j = dc · S_j, dS_j += α_j dc, with dc = d(r⊙c) ⊙ r
        let dot = 0;
        const dAlpha = new Float64Array(s + 1 - lo);
        for (let j = lo; j <= s; j++) {
          let t = 0;
          const w = alpha[ab + j - lo];
          for (let d = 0; d < H; d++) {
            const dc = drc[b * H + d] * gates[g + d];
            t += dc * S[(j * B + b) * H + d];
            dS[(j * B + b) * H + d] += w * dc;
          }
          dAlpha[j - lo] = t;
          dot += w * t;
        }
        // α = softmax(e), e_j = vᵀ tanh(K_j + q)
        for (let a = 0; a < A; a++) dq[b * A + a] = 0;
        for (let j = lo; j <= s; j++) {
          const de = alpha[ab + j - lo] * (dAlpha[j - lo] - dot);
          const kk = (j * B + b) * A;
          for (let a = 0; a < A; a++) {
            const u = Math.tanh(K[kk + a] + Q[(s * B + b) * A + a]);
            dv[a] += de * u;
            const dpre = de * vA[a] * (1 - u * u);
            dK[kk + a] += dpre;
            dq[b * A + a] += dpre;
          }
        }
      }
      // q = U_a S_s
      k.gemm(false, false, B, H, A, 1, dq, 0, A, p.uA.data, 0, H, 1, dS, prev, H);
      k.gemm(true, false, A, H, B, 1, dq, 0, A, S, prev, H, 1, dUA, 0, H);
      // gh_rz = U_rz S_s
      k.gemm(false, false, B, H, 2 * H, 1, dgh, g0, G, p.wHh.data, 0, H, 1, dS, prev, H);
    }
    // K_0 = W_a S_0
    k.gemm(false, false, B, H, A, 1, dK, 0, A, p.wA.data, 0, H, 1, dS, 0, H);
    k.gemm(true, false, A, H, B, 1, dK, 0, A, S, 0, H, 1, dWA, 0, H);

    const acc = (v: Var | null, g: FloatArray) => {
      if (!wants(v)) return;
      const t = v.gradBuffer().data;
      for (let i = 0; i < g.length; i++) t[i] += g[i];
    };
    acc(h0, dS.subarray(0, B * H));
    acc(p.wA, dWA);
    acc(p.uA, dUA);
    acc(p.v, dv);
    if (wants(p.wIh)) k.gemm(true, false, G, I, T * B, 1, dgi, 0, G, x.data, 0, I, 1, p.wIh.gradBuffer().data, 0, I);
    if (wants(p.wHh)) {
      const dW = p.wHh.gradBuffer().data;
      k.gemm(true, false, 2 * H, H, T * B, 1, dgh, 0, G, S, 0, H, 1, dW, 0, H); // U_rz on S_s (states 0…T−1)
      k.gemm(true, false, H, H, T * B, 1, dgh, 2 * H, G, rc, 0, H, 1, dW, 2 * H * H, H); // U_n on r ⊙ c
    }
    if (wants(p.bIh)) k.addBiasBackward(p.bIh.gradBuffer().data, dgi, T * B, G);
    if (wants(p.bHh)) k.addBiasBackward(p.bHh.gradBuffer().data, dgh, T * B, G);
    if (wants(x)) k.gemm(false, false, T * B, I, G, 1, dgi, 0, G, p.wIh.data, 0, I, 1, x.gradBuffer().data, 0, I);
  });
  return { y, hN, attention: new Tensor(alpha, [T, B, Wn]) };
}
