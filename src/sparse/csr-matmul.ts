/**
 * Sparse × dense products for pruned weights, in plain TypeScript (no
 * backend needed, so the same code runs in Node.js and the browser).
 *
 * The weight W is a (M × K) {@link CsrMatrix} in the layout of GRU and
 * Linear weights (one row per output), and the product is the one those
 * layers need: y (N × M) = x (N × K) · Wᵀ. Row m of W is one output column
 * of y; its stored entries are walked once per block of four x rows, so
 * every column index and value loaded serves four multiply-adds, and the
 * inner loop allocates nothing and does no bounds logic. Work is
 * proportional to N · nnz(W) instead of N · M · K.
 */
import { Tensor, allocateLike, shapeString, sizeOf, type FloatArray } from '../tensor/tensor.js';
import type { CsrMatrix } from '../tensor/csr.js';
import { GruError } from '../errors.js';

/**
 * Low-level kernel: for n in [0, N) and weight rows m in [r0, r1),
 *
 *   y[yOff + n·ldy + (m − r0)]  =  (y[…] if accumulate, else 0)  +  Σ_k W[m, k] · x[xOff + n·ldx + k]
 *
 * so a row range of W (e.g. the r and z gate rows of a GRU's W_hh) can be
 * multiplied into a column range of a wider y. x and y are row-major with
 * leading dimensions ldx ≥ K and ldy ≥ r1 − r0. Arguments are checked once
 * per call (ranges and buffer lengths), never inside the loops.
 */
export function csrGemmT(N: number, w: CsrMatrix, r0: number, r1: number, x: FloatArray, xOff: number, ldx: number, y: FloatArray, yOff: number, ldy: number, accumulate: boolean): void {
  const K = w.cols;
  if (!(Number.isInteger(N) && N >= 0)) throw new GruError('INVALID_ARGUMENT', `csrGemmT: N must be a non-negative integer, got ${N}`);
  if (!(Number.isInteger(r0) && Number.isInteger(r1) && 0 <= r0 && r0 <= r1 && r1 <= w.rows)) {
    throw new GruError('INVALID_ARGUMENT', `csrGemmT: weight rows [${r0}, ${r1}) must lie in [0, ${w.rows}]`);
  }
  if (N === 0 || r1 === r0) return;
  if (ldx < K) throw new GruError('INVALID_ARGUMENT', `csrGemmT: ldx (${ldx}) must be at least the weight's columns (${K})`);
  if (ldy < r1 - r0) throw new GruError('INVALID_ARGUMENT', `csrGemmT: ldy (${ldy}) must be at least the output columns (${r1 - r0})`);
  if (xOff < 0 || xOff + (N - 1) * ldx + K > x.length) throw new GruError('INVALID_ARGUMENT', `csrGemmT: x holds ${x.length} values, too few for ${N} rows of ${K} at offset ${xOff} with stride ${ldx}`);
  if (yOff < 0 || yOff + (N - 1) * ldy + (r1 - r0) > y.length) throw new GruError('INVALID_ARGUMENT', `csrGemmT: y holds ${y.length} values, too few for ${N} rows of ${r1 - r0} at offset ${yOff} with stride ${ldy}`);
  if (w.values === null) gemmTOnes(N, w.rowPtr, w.colIdx, r0, r1, x, xOff, ldx, y, yOff, ldy, accumulate);
  else gemmT(N, w.rowPtr, w.colIdx, w.values, r0, r1, x, xOff, ldx, y, yOff, ldy, accumulate);
}

function gemmT(N: number, rp: Int32Array, ci: Int32Array, val: FloatArray, r0: number, r1: number, x: FloatArray, xOff: number, ldx: number, y: FloatArray, yOff: number, ldy: number, accumulate: boolean): void {
  // Panels of x rows small enough to stay in cache while every weight row passes over them.
  const P = Math.max(4, (PANEL_VALUES / Math.max(ldx, 1)) & ~3);
  for (let p0 = 0; p0 < N; p0 += P) {
    gemmTPanel(Math.min(P, N - p0), rp, ci, val, r0, r1, x, xOff + p0 * ldx, ldx, y, yOff + p0 * ldy, ldy, accumulate);
  }
}

/** x values per panel (64 KiB of float32). */
const PANEL_VALUES = 16384;

function gemmTPanel(N: number, rp: Int32Array, ci: Int32Array, val: FloatArray, r0: number, r1: number, x: FloatArray, xOff: number, ldx: number, y: FloatArray, yOff: number, ldy: number, accumulate: boolean): void {
  const N4 = N - (N % 4);
  const ldx2 = 2 * ldx,
    ldx3 = 3 * ldx,
    ldy2 = 2 * ldy,
    ldy3 = 3 * ldy;
  for (let m = r0; m < r1; m++) {
    const k0 = rp[m],
      k1 = rp[m + 1];
    const yc = yOff + (m - r0);
    for (let n = 0; n < N4; n += 4) {
      const xa = xOff + n * ldx;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let k = k0; k < k1; k++) {
        const c = xa + ci[k];
        const v = val[k];
        s0 += v * x[c];
        s1 += v * x[c + ldx];
        s2 += v * x[c + ldx2];
        s3 += v * x[c + ldx3];
      }
      const ya = yc + n * ldy;
      if (accumulate) {
        y[ya] += s0;
        y[ya + ldy] += s1;
        y[ya + ldy2] += s2;
        y[ya + ldy3] += s3;
      } else {
        y[ya] = s0;
        y[ya + ldy] = s1;
        y[ya + ldy2] = s2;
        y[ya + ldy3] = s3;
      }
    }
    for (let n = N4; n < N; n++) {
      // A single row: split the sum in four chains so the multiply-adds overlap.
      const xa = xOff + n * ldx;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      let k = k0;
      for (; k + 3 < k1; k += 4) {
        s0 += val[k] * x[xa + ci[k]];
        s1 += val[k + 1] * x[xa + ci[k + 1]];
        s2 += val[k + 2] * x[xa + ci[k + 2]];
        s3 += val[k + 3] * x[xa + ci[k + 3]];
      }
      for (; k < k1; k++) s0 += val[k] * x[xa + ci[k]];
      const s = s0 + s1 + (s2 + s3);
      const ya = yc + n * ldy;
      y[ya] = accumulate ? y[ya] + s : s;
    }
  }
}

/** The same with every stored value 1 (values null): sums of gathered x entries. */
function gemmTOnes(N: number, rp: Int32Array, ci: Int32Array, r0: number, r1: number, x: FloatArray, xOff: number, ldx: number, y: FloatArray, yOff: number, ldy: number, accumulate: boolean): void {
  for (let m = r0; m < r1; m++) {
    const k0 = rp[m],
      k1 = rp[m + 1];
    const yc = yOff + (m - r0);
    for (let n = 0; n < N; n++) {
      const xa = xOff + n * ldx;
      let s = 0;
      for (let k = k0; k < k1; k++) s += x[xa + ci[k]];
      const ya = yc + n * ldy;
      y[ya] = accumulate ? y[ya] + s : s;
    }
  }
}

/**
 * y = x · Wᵀ (+ bias): x of shape (…, K), W a (M × K) CSR matrix, bias of
 * length M or null → a new tensor of shape (…, M), in x's element type.
 * The sparse counterpart of `linear(x, weight, bias)` for inference.
 *
 * @example
 * ```ts
 * const w = csrFromDense(linear.weight.data, outFeatures, inFeatures);
 * const y = csrMatmul(x, w, linear.bias?.data ?? null);   // equals linear.forward(x) on the same weights
 * ```
 */
export function csrMatmul(x: Tensor, w: CsrMatrix, bias: ArrayLike<number> | null = null): Tensor {
  const K = x.shape[x.shape.length - 1];
  if (x.shape.length === 0 || K !== w.cols) {
    throw new GruError('INVALID_ARGUMENT', `csrMatmul: x must have shape [..., ${w.cols}] to multiply by the transpose of a ${w.rows}×${w.cols} matrix, got ${shapeString(x.shape)}`);
  }
  if (bias !== null && bias.length !== w.rows) throw new GruError('INVALID_ARGUMENT', `csrMatmul: bias must have ${w.rows} entries, got ${bias.length}`);
  const N = sizeOf(x.shape.slice(0, -1));
  const M = w.rows;
  const y = allocateLike(x.data, N * M);
  if (bias !== null) {
    for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) y[n * M + m] = bias[m];
  }
  csrGemmT(N, w, 0, M, x.data, 0, K, y, 0, M, bias !== null);
  return new Tensor(y, [...x.shape.slice(0, -1), M]);
}
