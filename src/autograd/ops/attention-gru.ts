/**
 * A GRU that attends to its own past (one tape node per sequence).
 *
 * States S_0 = h0, S_{s+1} = the state after step s (s = 0 … T−1). At step s
 * the memory is S_j for j in [lo_s, hi_s] ⊆ [0, s] (the window below):
 *   q      = U_a S_s                              (the query: the previous state)
 *   e_j    = vᵀ tanh(K_j + q),   K_j = W_a S_j     (K_j computed once per state)
 *   α      = softmax_j(e)   over the window
 *   β_j    = α_j                (trailing window)
 *          = α_j · G_j          (predictive window, below; not renormalised)
 *   c      = Σ_j β_j S_j                (0 when the window is empty)
 *   r      = σ(W_r x + b_ir + U_r S_s + b_hr),   z = σ(W_z x + b_iz + U_z S_s + b_hz)
 *   n      = tanh(W_n x + b_in + U_n (r ⊙ c) + b_hn)     (U_n c without `resetContext`)
 *   S_{s+1} = (1 − z) ⊙ n + z ⊙ S_s                     (update 'previous', the default)
 *           = (1 − z) ⊙ S_s + z ⊙ n                     (update 'candidate': seed 003, Cho et al.)
 *
 * The memory starts at S_0 (`attendInitial`, the default) or at S_1: then
 * the first step's window is empty and its context 0 (seed 003's
 * Σ_{i=1}^{t−1}). Every window below is intersected with [first, s].
 *
 * Windows:
 *  - trailing, `window` = w ≥ 0: [max(0, s + 1 − w), s] (all of [0, s] when
 *    w = 0). With w = 1 the context is S_s (c = h0 at the first step).
 *  - predictive (Luong et al. 2015, §3.2 "local-p"), `{ kind: 'predictive',
 *    halfWidth: D }`, with the extra parameters W_p (A, H) and v_p (A):
 *      p_s = (s + 1) · σ(v_pᵀ tanh(W_p S_s))        ∈ [0, s + 1]
 *      m_s = round(p_s)                             (Math.round: halves round up)
 *      window = [max(0, m_s − D), min(s, m_s + D)]  (never empty, ≤ 2D + 1 states)
 *      G_j = exp(−(j − p_s)² / (2σ²)),  σ = D / 2
 *    The window choice m_s is piecewise constant in p_s, so W_p and v_p get
 *    their gradient through G_j only: ∂β_j/∂p_s = β_j (j − p_s) / σ².
 *
 * Time and memory per step are O(window): the cache holds the states, keys,
 * gates and weights (T·(4H + A + W) numbers per sequence, plus p_s and the
 * window bounds), and backward recomputes the tanh terms (and the
 * predictor's tanh(W_p S_s)) instead of storing T·W·A of them.
 *
 * Each step's scores, softmax and context (and their backward) run on the
 * backend's attention kernels (Backend.attentionForward / attentionBackward,
 * additive score, D = H), reading the window straight out of the time-major
 * K (T+1, B, A) and S (T+1, B, H) through the kernels' row strides (B·A and
 * B·H between consecutive states): one call per step for a trailing window
 * (every row's window is [lo_s, s]), one per step and row for the predictive
 * one (each row has its own window), with G as the kernels' per-slot gain
 * and ∂loss/∂G from their dGain.
 * Legend: T steps, B batch, I input, H hidden, A attention size, W window slots.
 */
import { Tensor, allocateLike, shapeString, type FloatArray } from '../../tensor/tensor.js';
import { backend } from '../../kernels/index.js';
import { sigmoid } from '../../kernels/ref/elementwise.js';
import { Var, record, wants } from '../var.js';
import { GruError } from '../../errors.js';

export interface AttentionGruParams {
  wIh: Var; // (3H, I)  rows r, z, n
  wHh: Var; // (3H, H)  U_r, U_z on S_s; U_n on r ⊙ c
  bIh: Var | null; // (3H)
  bHh: Var | null; // (3H)
  wA: Var; // (A, H)  keys
  uA: Var; // (A, H)  query
  v: Var; // (A)
  wP?: Var | null; // (A, H)  position predictor W_p (predictive window only)
  vP?: Var | null; // (A)     position predictor v_p (predictive window only)
}

/** Luong's local-p window: 2D + 1 states around a predicted position (see the file's header). */
export interface PredictiveWindow {
  kind: 'predictive';
  /** D ≥ 1: the window is [round(p) − D, round(p) + D], clamped to the memory. */
  halfWidth: number;
}

/** A trailing window of the last w states (0: all earlier states), or a predictive one. */
export type AttentionWindow = number | PredictiveWindow;

/** Where the cell departs from seed 003's equations (see the file's header); the defaults are the library's form. */
export interface AttentionGruForm {
  /** The candidate reads r ⊙ c (true, default) or c alone (false, seed 003). */
  resetContext?: boolean;
  /** The memory holds S_0 = h0 (true, default) or starts at S_1 (false, seed 003: zero context at the first step). */
  attendInitial?: boolean;
  /** z weighs the previous state ('previous', default: PyTorch / ONNX) or the candidate ('candidate': seed 003, Cho et al. 2014). */
  updateGate?: 'previous' | 'candidate';
}

export interface AttentionGruResult {
  y: Var; // (T, B, H)
  hN: Var; // (B, H)
  /** (T, B, W): slot k of step s is the weight β of state S_{start[s, b] + k}; slots past the window are 0. */
  attention: Tensor;
  /** (T, B): index of the first memory state in each step's window (an integer). */
  start: Tensor;
  /** (T, B): the predicted position p_s (predictive window), else null. */
  position: Tensor | null;
}

/**
 * x (T, B, I), h0 (B, H) or null → output (T, B, H), hN (B, H), attention
 * (T, B, W) over the window slots (oldest first) with each window's start.
 * W = min(w, T) for a trailing window (T when w = 0), min(2D + 1, T) for a
 * predictive one.
 */
export function attentionGru(x: Var, h0: Var | null, p: AttentionGruParams, window: AttentionWindow, form: AttentionGruForm = {}): AttentionGruResult {
  const [T, B, I] = x.shape;
  const H = p.wHh.shape[1];
  const A = p.wA.shape[0];
  const G = 3 * H;
  const pred = typeof window === 'object' ? window : null;
  const D = pred ? pred.halfWidth : 0;
  let wP: Var | null = null,
    vP: Var | null = null;
  if (pred) {
    if (pred.kind !== 'predictive') throw new GruError('INVALID_ARGUMENT', `attentionGru: window kind must be 'predictive', got '${String(pred.kind)}'`);
    if (!Number.isInteger(D) || D <= 0) throw new GruError('INVALID_ARGUMENT', `attentionGru: halfWidth must be a positive integer, got ${D}`);
    if (!p.wP || !p.vP) throw new GruError('INVALID_ARGUMENT', 'attentionGru: a predictive window needs the position predictor parameters wP (A, H) and vP (A)');
    if (p.wP.shape.length !== 2 || p.wP.shape[0] !== A || p.wP.shape[1] !== H) throw new GruError('INVALID_ARGUMENT', `attentionGru: wP must have shape [${A}, ${H}], got ${shapeString(p.wP.shape)}`);
    if (p.vP.shape.length !== 1 || p.vP.shape[0] !== A) throw new GruError('INVALID_ARGUMENT', `attentionGru: vP must have shape [${A}], got ${shapeString(p.vP.shape)}`);
    wP = p.wP;
    vP = p.vP;
  } else if (!Number.isInteger(window) || (window as number) < 0) {
    throw new GruError('INVALID_ARGUMENT', `attentionGru: window must be a non-negative integer (0 for all states) or { kind: 'predictive', halfWidth }, got ${String(window)}`);
  }
  const w = window as number;
  const resetContext = form.resetContext ?? true;
  const first = (form.attendInitial ?? true) ? 0 : 1; // the oldest state the memory may hold
  const toCandidate = form.updateGate === 'candidate';
  if (form.updateGate !== undefined && form.updateGate !== 'previous' && !toCandidate) {
    throw new GruError('INVALID_ARGUMENT', `attentionGru: updateGate must be 'previous' or 'candidate', got ${JSON.stringify(form.updateGate)}`);
  }
  const Wn = pred ? Math.min(2 * D + 1, T) : w > 0 ? Math.min(w, T) : T; // window slots per step
  const gInv = pred ? 2 / (D * D) : 0; // 1 / (2σ²) with σ = D / 2
  const k = backend();
  const like = x.data;
  const S = allocateLike(like, (T + 1) * B * H); // (T+1, B, H) states
  const K = allocateLike(like, (T + 1) * B * A); // (T+1, B, A) keys
  const gates = allocateLike(like, T * B * G); // (T, B, 3H) W x + b_i, then r, z, n
  const gh = allocateLike(like, T * B * G); // (T, B, 3H) U_rz S_s + b_hrz | U_n (r⊙c) + b_hn
  const C = allocateLike(like, T * B * H); // (T, B, H) context c
  const alpha = allocateLike(like, T * B * Wn); // (T, B, W) weights β
  const q = allocateLike(like, B * A);
  const rc = allocateLike(like, T * B * H); // (T, B, H) r ⊙ c
  const lo = new Int32Array(T * B),
    hi = new Int32Array(T * B); // (T, B) window bounds, inclusive
  const pos = pred ? new Float64Array(T * B) : null; // (T, B) p_s
  const sig = pred ? new Float64Array(T * B) : null; // (T, B) σ(v_pᵀ tanh(W_p S_s))
  const qp = pred ? allocateLike(like, B * A) : null; // W_p S_s
  // The attention kernels' per-call inputs: each row's window length, and (predictive) the Gaussian G per slot.
  const lens = new Int32Array(pred ? 1 : B);
  const gain = pred ? allocateLike(like, Wn) : null;
  /** The kernels' layout of the window starting at state j0 (row b of step s: state j0 + k is slot k). */
  const memory = (j0: number, b: number) => ({
    keys: K.subarray((j0 * B + b) * A),
    values: S.subarray((j0 * B + b) * H),
    keyStrideB: A,
    keyStrideJ: B * A,
    valueStrideB: H,
    valueStrideJ: B * H,
  });
  if (h0) S.set(h0.data.subarray(0, B * H));
  const bI = p.bIh?.data ?? null,
    bH = p.bHh?.data ?? null;
  const vA = p.v.data;

  k.gemm(false, true, T * B, G, I, 1, x.data, 0, I, p.wIh.data, 0, I, 0, gates, 0, G);
  if (bI) k.addBias(gates, bI, T * B, G);
  k.gemm(false, true, B, A, H, 1, S, 0, H, p.wA.data, 0, H, 0, K, 0, A);

  for (let s = 0; s < T; s++) {
    const prev = s * B * H;
    const g0 = s * B * G;
    if (bH) for (let b = 0; b < B; b++) gh.set(bH.subarray(0, 2 * H), g0 + b * G);
    k.gemm(false, true, B, 2 * H, H, 1, S, prev, H, p.wHh.data, 0, H, 1, gh, g0, G);
    k.gemm(false, true, B, A, H, 1, S, prev, H, p.uA.data, 0, H, 0, q, 0, A);
    if (pred) {
      // p_s = (s + 1) σ(v_pᵀ tanh(W_p S_s)); window [round(p_s) − D, round(p_s) + D] ∩ [0, s]
      k.gemm(false, true, B, A, H, 1, S, prev, H, wP!.data, 0, H, 0, qp!, 0, A);
      for (let b = 0; b < B; b++) {
        let e = 0;
        for (let a = 0; a < A; a++) e += vP!.data[a] * Math.tanh(qp![b * A + a]);
        const sg = sigmoid(e),
          ps = (s + 1) * sg,
          m = Math.round(ps);
        sig![s * B + b] = sg;
        pos![s * B + b] = ps;
        lo[s * B + b] = Math.max(first, m - D);
        hi[s * B + b] = Math.min(s, m + D);
      }
    } else {
      lo.fill(Math.max(first, s + 1 - Wn), s * B, (s + 1) * B);
      hi.fill(s, s * B, (s + 1) * B);
    }
    // Scores over the window, softmax, (Gaussian), context: C[s] and the weights alpha[s].
    if (pred) {
      for (let b = 0; b < B; b++) {
        const j0 = lo[s * B + b],
          L = hi[s * B + b] - j0 + 1,
          ps = pos![s * B + b];
        if (L <= 0) continue; // an empty memory: context and weights stay 0
        for (let j = 0; j < L; j++) gain![j] = Math.exp(-(j0 + j - ps) * (j0 + j - ps) * gInv);
        lens[0] = L;
        const ab = (s * B + b) * Wn,
          c = (s * B + b) * H;
        k.attentionForward({
          B: 1,
          S: Wn,
          A,
          D: H,
          q: q.subarray(b * A, (b + 1) * A),
          ...memory(j0, b),
          v: vA,
          lengths: lens,
          gain,
          alpha: alpha.subarray(ab, ab + Wn),
          context: C.subarray(c, c + H),
          u: null,
        });
      }
    } else if (lo[s * B] <= s) {
      const j0 = lo[s * B];
      lens.fill(s - j0 + 1);
      k.attentionForward({
        B,
        S: Wn,
        A,
        D: H,
        q,
        ...memory(j0, 0),
        v: vA,
        lengths: lens,
        alpha: alpha.subarray(s * B * Wn, (s + 1) * B * Wn),
        context: C.subarray(s * B * H, (s + 1) * B * H),
        u: null,
      });
    }
    for (let b = 0; b < B; b++) {
      const g = g0 + b * G,
        c = (s * B + b) * H;
      for (let d = 0; d < H; d++) {
        const r = sigmoid(gates[g + d] + gh[g + d]);
        gates[g + d] = r;
        rc[c + d] = resetContext ? r * C[c + d] : C[c + d];
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
        const h = S[prev + b * H + d];
        S[next + b * H + d] = toCandidate ? (1 - z) * h + z * n : (1 - z) * n + z * h;
      }
    }
    k.gemm(false, true, B, A, H, 1, S, next, H, p.wA.data, 0, H, 0, K, (s + 1) * B * A, A);
  }

  const y = new Var(new Tensor(S.slice(B * H), [T, B, H]));
  const hN = new Var(new Tensor(S.slice(T * B * H), [B, H]));
  const inputs = [x, h0, p.wIh, p.wHh, p.bIh, p.bHh, p.wA, p.uA, p.v, wP, vP];
  record('attentionGru', inputs, [y, hN], () => {
    if (!y.grad && !hN.grad) return;
    const dS = allocateLike(like, (T + 1) * B * H); // gradient of each state
    const dK = allocateLike(like, (T + 1) * B * A); // gradient of each key
    const dgi = allocateLike(like, T * B * G);
    const dgh = allocateLike(like, T * B * G);
    const drc = allocateLike(like, B * H);
    const dq = allocateLike(like, B * A);
    const dWA = allocateLike(like, A * H),
      dUA = allocateLike(like, A * H),
      dv = allocateLike(like, A);
    const Q = allocateLike(like, T * B * A); // (T, B, A) every step's query U_a S_s, recomputed in one product
    k.gemm(false, true, T * B, A, H, 1, S, 0, H, p.uA.data, 0, H, 0, Q, 0, A);
    // Predictive window: every step's W_p S_s likewise, and the gradients of W_p, v_p.
    const QP = pred ? allocateLike(like, T * B * A) : null;
    if (pred) k.gemm(false, true, T * B, A, H, 1, S, 0, H, wP!.data, 0, H, 0, QP!, 0, A);
    const dqp = pred ? allocateLike(like, B * A) : null;
    const dWP = pred ? allocateLike(like, A * H) : null,
      dvP = pred ? allocateLike(like, A) : null;
    const dc = allocateLike(like, B * H); // gradient of the step's context: d(r ⊙ c) ⊙ r
    const dGain = pred ? allocateLike(like, Wn) : null; // ∂loss/∂G per slot (predictive)
    const mem = (j0: number, b: number) => ({ ...memory(j0, b), dKeys: dK.subarray((j0 * B + b) * A), dValues: dS.subarray((j0 * B + b) * H) });
    if (y.grad) dS.set(y.grad.data, B * H);
    if (hN.grad) for (let i = 0; i < B * H; i++) dS[T * B * H + i] += hN.grad.data[i];

    for (let s = T - 1; s >= 0; s--) {
      const prev = s * B * H,
        next = (s + 1) * B * H,
        g0 = s * B * G;
      // K_{s+1} = W_a S_{s+1}: its gradient is complete now (only later steps read it).
      k.gemm(false, false, B, H, A, 1, dK, (s + 1) * B * A, A, p.wA.data, 0, H, 1, dS, next, H);
      k.gemm(true, false, A, H, B, 1, dK, (s + 1) * B * A, A, S, next, H, 1, dWA, 0, H);
      for (let b = 0; b < B; b++) {
        const g = g0 + b * G;
        for (let d = 0; d < H; d++) {
          const z = gates[g + H + d],
            n = gates[g + 2 * H + d];
          const dOut = dS[next + b * H + d];
          // S' = (1 − z) n + z S_s, or (1 − z) S_s + z n ('candidate')
          const h = S[prev + b * H + d];
          const dnPre = dOut * (toCandidate ? z : 1 - z) * (1 - n * n);
          const dzPre = dOut * (toCandidate ? n - h : h - n) * z * (1 - z);
          dS[prev + b * H + d] += dOut * (toCandidate ? 1 - z : z);
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
        for (let d = 0; d < H; d++) {
          const r = gates[g + d];
          // c = Σ β_j S_j enters as r ⊙ c (or alone: r then reaches no output and its gradient is 0)
          const drPre = resetContext ? drc[b * H + d] * C[c + d] * r * (1 - r) : 0;
          dgi[g + d] = drPre;
          dgh[g + d] = drPre;
          dc[b * H + d] = resetContext ? drc[b * H + d] * r : drc[b * H + d];
        }
      }
      // Through the context, the (Gaussian,) softmax and the scores: dS_j and dK_j over the
      // window, dv, and dq — the gradient of this step's query alone (the kernels add to it).
      dq.fill(0);
      const qs = Q.subarray(s * B * A, (s + 1) * B * A);
      if (pred) {
        for (let b = 0; b < B; b++) {
          const j0 = lo[s * B + b],
            L = hi[s * B + b] - j0 + 1,
            ps = pos![s * B + b];
          if (L <= 0) {
            dqp!.fill(0, b * A, (b + 1) * A);
            continue;
          }
          for (let j = 0; j < L; j++) gain![j] = Math.exp(-(j0 + j - ps) * (j0 + j - ps) * gInv);
          dGain!.fill(0);
          lens[0] = L;
          const ab = (s * B + b) * Wn;
          k.attentionBackward({
            B: 1,
            S: Wn,
            A,
            D: H,
            q: qs.subarray(b * A, (b + 1) * A),
            ...mem(j0, b),
            v: vA,
            lengths: lens,
            gain,
            dGain,
            dq: dq.subarray(b * A, (b + 1) * A),
            dv,
            dContext: dc.subarray(b * H, (b + 1) * H),
            alpha: alpha.subarray(ab, ab + Wn),
            u: null,
          });
          // β_j = α_j G_j, G_j = exp(−(j − p)² / (2σ²)): dp = Σ_j (∂loss/∂G_j) G_j (j − p) / σ².
          let dp = 0;
          for (let j = 0; j < L; j++) dp += dGain![j] * gain![j] * (j0 + j - ps) * 2 * gInv;
          // p = (s + 1) σ(v_pᵀ u),  u = tanh(W_p S_s)
          const sg = sig![s * B + b];
          const dl = dp * (s + 1) * sg * (1 - sg);
          for (let a = 0; a < A; a++) {
            const u = Math.tanh(QP![(s * B + b) * A + a]);
            dvP![a] += dl * u;
            dqp![b * A + a] = dl * vP!.data[a] * (1 - u * u);
          }
        }
      } else if (lo[s * B] <= s) {
        const j0 = lo[s * B];
        lens.fill(s - j0 + 1);
        k.attentionBackward({
          B,
          S: Wn,
          A,
          D: H,
          q: qs,
          ...mem(j0, 0),
          v: vA,
          lengths: lens,
          dq,
          dv,
          dContext: dc,
          alpha: alpha.subarray(s * B * Wn, (s + 1) * B * Wn),
          u: null,
        });
      }
      // q = U_a S_s
      k.gemm(false, false, B, H, A, 1, dq, 0, A, p.uA.data, 0, H, 1, dS, prev, H);
      k.gemm(true, false, A, H, B, 1, dq, 0, A, S, prev, H, 1, dUA, 0, H);
      if (pred) {
        // W_p S_s
        k.gemm(false, false, B, H, A, 1, dqp!, 0, A, wP!.data, 0, H, 1, dS, prev, H);
        k.gemm(true, false, A, H, B, 1, dqp!, 0, A, S, prev, H, 1, dWP!, 0, H);
      }
      // gh_rz = U_rz S_s
      k.gemm(false, false, B, H, 2 * H, 1, dgh, g0, G, p.wHh.data, 0, H, 1, dS, prev, H);
    }
    // K_0 = W_a S_0
    k.gemm(false, false, B, H, A, 1, dK, 0, A, p.wA.data, 0, H, 1, dS, 0, H);
    k.gemm(true, false, A, H, B, 1, dK, 0, A, S, 0, H, 1, dWA, 0, H);

    const acc = (v: Var | null, g: FloatArray | null) => {
      if (!wants(v) || !g) return;
      const t = v.gradBuffer().data;
      for (let i = 0; i < g.length; i++) t[i] += g[i];
    };
    acc(h0, dS.subarray(0, B * H));
    acc(p.wA, dWA);
    acc(p.uA, dUA);
    acc(p.v, dv);
    acc(wP, dWP);
    acc(vP, dvP);
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
  const start = allocateLike(like, T * B);
  start.set(lo);
  let position: Tensor | null = null;
  if (pos) {
    const pd = allocateLike(like, T * B);
    pd.set(pos);
    position = new Tensor(pd, [T, B]);
  }
  return { y, hN, attention: new Tensor(alpha, [T, B, Wn]), start: new Tensor(start, [T, B]), position };
}
