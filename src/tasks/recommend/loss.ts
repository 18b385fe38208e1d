/**
 * The losses of GRU4Rec over sampled items, as one tape node: each row of
 * session states is scored only against its step's candidate items (the
 * targets of the mini-batch plus extra sampled items), never against all V.
 *
 *   score  r_j = y · W_j + b_j − logQ · c_j        (c_j: log-probability that j is a candidate, or 0)
 *
 *   cross-entropy (sampled softmax with the logQ correction, Bengio &
 *   Senécal 2008; Yi et al. 2019):
 *     L = −r_t + log Σ_j exp(r_j)                  (j over the candidates, target t among them)
 *
 *   BPR-max (Hidasi & Karatzoglou 2018), negatives j ≠ t, no correction:
 *     s_j = softmax_j(r_j)                           (over the negatives only)
 *     L = −log Σ_j s_j σ(r_t − r_j) + λ Σ_j s_j r_j²
 *
 * The loss is the mean over all rows of all steps.
 *
 * Dimensions: N rows of states, H hidden, V items; per step n rows and M
 * candidates (distinct item ids).
 */
import { Tensor, allocateLike, shapeString, type FloatArray } from '../../tensor/tensor.js';
import { backend } from '../../kernels/index.js';
import { Var, record, wants } from '../../autograd/var.js';
import { GruError } from '../../errors.js';

export type ItemLossKind = 'cross-entropy' | 'bpr-max';
export const ITEM_LOSSES: readonly ItemLossKind[] = ['cross-entropy', 'bpr-max'];

/** One step of a session-parallel mini-batch: which rows it scores, against which items. */
export interface ScoredStep {
  /** Rows of y (n). */
  rows: Int32Array;
  /** Each row's target as a column of `candidates` (n). */
  targets: Int32Array;
  /** Distinct item ids (M). */
  candidates: Int32Array;
  /** Per candidate, c_j (M): subtracted from the score, times `logQ`; null for none. */
  correction: Float64Array | null;
}

export interface ItemLossOptions {
  kind: ItemLossKind;
  /** BPR-max's score regularisation λ (default 1). */
  bpreg?: number;
  /** Weight of the correction (default 1). */
  logQ?: number;
  /** Give W and b sparse gradients (only the candidate rows), for large V. */
  sparse?: boolean;
}

/**
 * y (N, H), weight (V, H), bias (V) → the mean loss over every row of
 * `steps`, shape [1]. Rows of y not in any step are not scored.
 */
export function sampledItemLoss(y: Var, weight: Var, bias: Var, steps: readonly ScoredStep[], o: ItemLossOptions): Var {
  const [N, H] = y.shape;
  const [V] = weight.shape;
  if (y.shape.length !== 2 || weight.shape.length !== 2 || weight.shape[1] !== H || bias.shape.length !== 1 || bias.shape[0] !== V) {
    throw new GruError('INVALID_ARGUMENT', `sampledItemLoss: expected y (N, H), weight (V, H), bias (V), got ${shapeString(y.shape)}, ${shapeString(weight.shape)}, ${shapeString(bias.shape)}`);
  }
  const bpreg = o.bpreg ?? 1;
  const logQ = o.logQ ?? 1;
  let total = 0;
  for (const s of steps) {
    const n = s.rows.length,
      M = s.candidates.length;
    if (s.targets.length !== n) throw new GruError('INVALID_ARGUMENT', `sampledItemLoss: ${n} rows but ${s.targets.length} targets`);
    if (s.correction && s.correction.length !== M) throw new GruError('INVALID_ARGUMENT', `sampledItemLoss: ${M} candidates but ${s.correction.length} corrections`);
    if (o.kind === 'bpr-max' && M < 2 && n > 0) throw new GruError('INVALID_ARGUMENT', 'sampledItemLoss: BPR-max needs at least one negative candidate');
    for (const r of s.rows) if (!(r >= 0 && r < N)) throw new GruError('INVALID_ARGUMENT', `sampledItemLoss: row ${r} outside y's ${N} rows`);
    for (const c of s.candidates) if (!(c >= 0 && c < V)) throw new GruError('INVALID_ARGUMENT', `sampledItemLoss: candidate ${c} outside the ${V} items`);
    for (const t of s.targets) if (!(t >= 0 && t < M)) throw new GruError('INVALID_ARGUMENT', `sampledItemLoss: target column ${t} outside the ${M} candidates`);
    total += n;
  }
  const k = backend();
  const like = y.data;
  const out = new Var(new Tensor(allocateLike(like, 1), [1]));
  // Per step, the gradient of the mean loss w.r.t. its scores (n, M), kept for backward.
  const dScores: FloatArray[] = [];
  let loss = 0;
  for (const s of steps) {
    const n = s.rows.length,
      M = s.candidates.length;
    const wc = gatherRows(weight.data, s.candidates, H); // (M, H)
    const yr = gatherRows(y.data, s.rows, H); // (n, H)
    const r = allocateLike(like, n * M); // (n, M)
    if (n > 0) k.gemm(false, true, n, M, H, 1, yr, 0, H, wc, 0, H, 0, r, 0, M);
    const offset = new Float64Array(M); // b_j − logQ · c_j
    for (let j = 0; j < M; j++) offset[j] = bias.data[s.candidates[j]] - (s.correction ? logQ * s.correction[j] : 0);
    for (let i = 0; i < n; i++) for (let j = 0; j < M; j++) r[i * M + j] += offset[j];
    const d = allocateLike(like, n * M); // (n, M)
    for (let i = 0; i < n; i++) {
      const row = r.subarray(i * M, (i + 1) * M);
      const dRow = d.subarray(i * M, (i + 1) * M);
      loss += o.kind === 'cross-entropy' ? crossEntropyRow(row, s.targets[i], dRow) : bprMaxRow(row, s.targets[i], bpreg, dRow);
    }
    for (let i = 0; i < d.length; i++) d[i] /= total;
    dScores.push(d);
  }
  out.data[0] = total > 0 ? loss / total : 0;

  record('sampledItemLoss', [y, weight, bias], [out], () => {
    if (!out.grad || total === 0) return;
    const g = out.grad.data[0];
    const dY = wants(y) ? y.gradBuffer().data : null;
    // Rows of W and b the candidates touch: one slot per distinct item.
    const touched = wants(weight) || wants(bias) ? distinctSorted(steps.map((s) => s.candidates)) : new Int32Array(0);
    const slot = new Map<number, number>();
    touched.forEach((item, i) => slot.set(item, i));
    const dW = allocateLike(like, touched.length * H); // (U, H)
    const dB = allocateLike(like, touched.length); // (U)
    steps.forEach((s, si) => {
      const n = s.rows.length,
        M = s.candidates.length;
      if (n === 0) return;
      const d = g === 1 ? dScores[si] : dScores[si].map((v) => v * g); // (n, M)
      const slots = Int32Array.from(s.candidates, (c) => slot.get(c) ?? -1); // (M)
      // r = y_r W_cᵀ + b_c − …  →  dy_r += d W_c,  dW_c += dᵀ y_r,  db_c += Σ_rows d
      if (dY) {
        const wc = gatherRows(weight.data, s.candidates, H);
        const dyr = allocateLike(like, n * H); // (n, H)
        k.gemm(false, false, n, H, M, 1, d, 0, M, wc, 0, H, 0, dyr, 0, H);
        for (let i = 0; i < n; i++) for (let h = 0; h < H; h++) dY[s.rows[i] * H + h] += dyr[i * H + h];
      }
      if (wants(weight)) {
        const yr = gatherRows(y.data, s.rows, H);
        const dwc = allocateLike(like, M * H); // (M, H)
        k.gemm(true, false, M, H, n, 1, d, 0, M, yr, 0, H, 0, dwc, 0, H);
        for (let j = 0; j < M; j++) {
          const o = slots[j] * H;
          for (let h = 0; h < H; h++) dW[o + h] += dwc[j * H + h];
        }
      }
      if (wants(bias)) {
        for (let i = 0; i < n; i++) for (let j = 0; j < M; j++) dB[slots[j]] += d[i * M + j];
      }
    });
    if (wants(weight)) {
      if (o.sparse) {
        const positions = new Int32Array(touched.length * H);
        for (let i = 0; i < touched.length; i++) for (let h = 0; h < H; h++) positions[i * H + h] = touched[i] * H + h;
        weight.accumulateSparse({ positions, values: dW });
      } else {
        const gw = weight.gradBuffer().data;
        for (let i = 0; i < touched.length; i++) for (let h = 0; h < H; h++) gw[touched[i] * H + h] += dW[i * H + h];
      }
    }
    if (wants(bias)) {
      if (o.sparse) bias.accumulateSparse({ positions: touched.slice(), values: dB });
      else {
        const gb = bias.gradBuffer().data;
        for (let i = 0; i < touched.length; i++) gb[touched[i]] += dB[i];
      }
    }
  });
  return out;
}

/** −r_t + log Σ exp(r_j); writes softmax(r) − onehot(t) into d. */
function crossEntropyRow(r: FloatArray, t: number, d: FloatArray): number {
  let max = -Infinity;
  for (const v of r) if (v > max) max = v;
  let z = 0;
  for (let j = 0; j < r.length; j++) z += d[j] = Math.exp(r[j] - max);
  for (let j = 0; j < r.length; j++) d[j] /= z;
  d[t] -= 1;
  return max + Math.log(z) - r[t];
}

/**
 * −log Σ_{j≠t} s_j σ(r_t − r_j) + λ Σ_{j≠t} s_j r_j², s = softmax over the
 * negatives; writes ∂L/∂r into d:
 *   with σ_j = σ(r_t − r_j), A = Σ s_j σ_j, R = Σ s_j r_j²:
 *   ∂L/∂r_t = −Σ s_j σ_j (1 − σ_j) / A
 *   ∂L/∂r_k = −s_k (σ_k² − A) / A + λ s_k (r_k² − R + 2 r_k)      (k ≠ t)
 */
function bprMaxRow(r: FloatArray, t: number, lambda: number, d: FloatArray): number {
  const M = r.length;
  let max = -Infinity;
  for (let j = 0; j < M; j++) if (j !== t && r[j] > max) max = r[j];
  let z = 0;
  for (let j = 0; j < M; j++) z += j === t ? 0 : Math.exp(r[j] - max);
  let A = 0,
    R = 0,
    dt = 0;
  for (let j = 0; j < M; j++) {
    if (j === t) continue;
    const s = Math.exp(r[j] - max) / z;
    const sig = 1 / (1 + Math.exp(r[j] - r[t]));
    A += s * sig;
    R += s * r[j] * r[j];
    dt += s * sig * (1 - sig);
  }
  // A underflows only when every negative outscores the target by ~700; the loss is then capped.
  const a = Math.max(A, 1e-300);
  for (let j = 0; j < M; j++) {
    if (j === t) continue;
    const s = Math.exp(r[j] - max) / z;
    const sig = 1 / (1 + Math.exp(r[j] - r[t]));
    d[j] = (-s * (sig * sig - A)) / a + lambda * s * (r[j] * r[j] - R + 2 * r[j]);
  }
  d[t] = -dt / a;
  return -Math.log(a) + lambda * R;
}

/** Rows `idx` of a (·, H) matrix, gathered into (idx.length, H). */
function gatherRows(src: FloatArray, idx: Int32Array, H: number): FloatArray {
  const out = allocateLike(src, idx.length * H);
  for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i] * H, (idx[i] + 1) * H), i * H);
  return out;
}

/** The distinct values of several arrays, sorted. */
function distinctSorted(parts: readonly Int32Array[]): Int32Array {
  const seen = new Set<number>();
  for (const p of parts) for (const v of p) seen.add(v);
  return Int32Array.from(seen).sort();
}
