/**
 * The input projection of sparse inputs: y = x · Wᵀ + b for x in CSR form,
 * a gather-and-sum of weight columns instead of a dense product, so a
 * vocabulary of 50k costs per step what the step's stored entries cost.
 */
import { Tensor, allocateLike, type FloatArray } from '../../tensor/tensor.js';
import type { CsrMatrix } from '../../tensor/csr.js';
import { Var, record, wants } from '../var.js';
import { GruError } from '../../errors.js';

/**
 * Projects row ranges of a sparse input through W (G, I) and b (G), and
 * collects the gradient of those ranges, so a caller can project a long
 * sequence one segment at a time (and recompute segments in backward).
 * W's gradient is sparse: only the columns x uses, as sorted flat positions
 * g·I + c, handed over by {@link SparseProjector.finish}.
 */
export class SparseProjector {
  readonly G: number;
  /** The distinct columns x uses, sorted. */
  private readonly used: Int32Array;
  /** Per stored entry of x, its column's slot in `used`. */
  private readonly slotOf: Int32Array;
  /** The used columns of W as contiguous rows (U, G). */
  private readonly wt: FloatArray;
  /** Their gradient (U, G), accumulated by backward; null until needed. */
  private dwt: FloatArray | null = null;

  constructor(
    readonly x: CsrMatrix,
    readonly w: Var,
    readonly b: Var | null,
  ) {
    const [G, I] = w.shape;
    if (x.cols !== I) throw new GruError('INVALID_ARGUMENT', `sparse projection: the input has ${x.cols} features but the weight expects ${I}`);
    this.G = G;
    this.used = Int32Array.from(new Set(x.colIdx)).sort();
    const slot = new Map<number, number>();
    this.used.forEach((c, i) => slot.set(c, i));
    this.slotOf = Int32Array.from(x.colIdx, (c) => slot.get(c)!);
    const U = this.used.length;
    this.wt = allocateLike(w.data, U * G);
    for (let u = 0; u < U; u++) for (let g = 0; g < G; g++) this.wt[u * G + g] = w.data[g * I + this.used[u]];
  }

  /** out (r1 − r0, G) = rows [r0, r1) of x · Wᵀ + b. */
  forward(r0: number, r1: number, out: FloatArray): void {
    const { G, x, wt, slotOf } = this;
    for (let r = r0; r < r1; r++) {
      const o = (r - r0) * G;
      if (this.b) out.set(this.b.data, o);
      else out.fill(0, o, o + G);
      for (let k = x.rowPtr[r]; k < x.rowPtr[r + 1]; k++) {
        const v = x.values ? x.values[k] : 1;
        const src = slotOf[k] * G;
        for (let g = 0; g < G; g++) out[o + g] += v * wt[src + g];
      }
    }
  }

  /** Accumulates the gradient of rows [r0, r1) given dOut (r1 − r0, G): into b's gradient now, into W's at {@link finish}. */
  backward(r0: number, r1: number, dOut: FloatArray): void {
    const { G, x, slotOf } = this;
    if (this.b && wants(this.b)) {
      const db = this.b.gradBuffer().data;
      for (let i = 0; i < (r1 - r0) * G; i++) db[i % G] += dOut[i];
    }
    if (!wants(this.w)) return;
    const dwt = (this.dwt ??= allocateLike(this.wt, this.wt.length));
    for (let r = r0; r < r1; r++) {
      const o = (r - r0) * G;
      for (let k = x.rowPtr[r]; k < x.rowPtr[r + 1]; k++) {
        const v = x.values ? x.values[k] : 1;
        const dst = slotOf[k] * G;
        for (let g = 0; g < G; g++) dwt[dst + g] += v * dOut[o + g];
      }
    }
  }

  /** Hands W its sparse gradient (the used columns), once backward is done. */
  finish(): void {
    if (!this.dwt) return;
    const { G, used, dwt } = this;
    const [, I] = this.w.shape;
    const U = used.length;
    const positions = new Int32Array(G * U);
    const values = allocateLike(dwt, G * U);
    for (let g = 0; g < G; g++) {
      for (let u = 0; u < U; u++) {
        positions[g * U + u] = g * I + used[u];
        values[g * U + u] = dwt[u * G + g];
      }
    }
    this.dwt = null;
    this.w.accumulateSparse({ positions, values });
  }
}

/**
 * x (N × I) sparse, W (G, I) (PyTorch layout), b (G) or null → y (…shape, G)
 * with N = product of `shape`, on the tape. W's gradient is sparse.
 */
export function sparseProjection(x: CsrMatrix, w: Var, b: Var | null, shape: readonly number[] = [x.rows]): Var {
  const p = new SparseProjector(x, w, b);
  const y = new Var(new Tensor(allocateLike(w.data, x.rows * p.G), [...shape, p.G]));
  p.forward(0, x.rows, y.data);
  record('sparseProjection', [w, b], [y], () => {
    if (!y.grad) return;
    p.backward(0, x.rows, y.grad.data);
    p.finish();
  });
  return y;
}
