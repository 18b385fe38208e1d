/**
 * The input projection of sparse inputs: y = x · Wᵀ + b for x in CSR form,
 * a gather-and-sum of weight columns instead of a dense product, so a
 * vocabulary of 50k costs per step what the step's stored entries cost.
 */
import { Tensor, allocateLike, type FloatArray } from '../../tensor/tensor.js';
import type { CsrMatrix } from '../../tensor/csr.js';
import { Var, record, wants } from '../var.js';

/**
 * x (N × I) sparse, W (G, I) (PyTorch layout), b (G) or null → y (…shape, G)
 * with N = product of `shape`. W's gradient is sparse: only the columns of W
 * that x touches (sorted flat positions g·I + c).
 */
export function sparseProjection(x: CsrMatrix, w: Var, b: Var | null, shape: readonly number[] = [x.rows]): Var {
  const [G, I] = w.shape;
  if (x.cols !== I) throw new Error(`sparseProjection: sparse input has ${x.cols} columns but the weight expects ${I}`);
  const { used, slotOf } = usedColumns(x);
  const U = used.length;
  // The touched columns of W, gathered once into contiguous rows (U, G).
  const wt = allocateLike(w.data, U * G);
  for (let u = 0; u < U; u++) for (let g = 0; g < G; g++) wt[u * G + g] = w.data[g * I + used[u]];

  const y = new Var(new Tensor(allocateLike(w.data, x.rows * G), [...shape, G]));
  const out = y.data;
  for (let r = 0; r < x.rows; r++) {
    const o = r * G;
    if (b) out.set(b.data, o);
    for (let k = x.rowPtr[r]; k < x.rowPtr[r + 1]; k++) {
      const v = x.values ? x.values[k] : 1;
      const src = slotOf[k] * G;
      for (let g = 0; g < G; g++) out[o + g] += v * wt[src + g];
    }
  }

  record('sparseProjection', [w, b], [y], () => {
    if (!y.grad) return;
    const dy = y.grad.data;
    if (b && wants(b)) {
      const db = b.gradBuffer().data;
      for (let r = 0; r < x.rows; r++) for (let g = 0; g < G; g++) db[g] += dy[r * G + g];
    }
    if (!wants(w)) return;
    const dwt = allocateLike(w.data, U * G); // (U, G)
    for (let r = 0; r < x.rows; r++) {
      for (let k = x.rowPtr[r]; k < x.rowPtr[r + 1]; k++) {
        const v = x.values ? x.values[k] : 1;
        const dst = slotOf[k] * G;
        for (let g = 0; g < G; g++) dwt[dst + g] += v * dy[r * G + g];
      }
    }
    w.accumulateSparse(columnSparseGrad(dwt, used, G, I));
  });
  return y;
}

/** The distinct columns x uses (sorted) and, per stored entry, its slot among them. */
function usedColumns(x: CsrMatrix): { used: Int32Array; slotOf: Int32Array } {
  const used = Int32Array.from(new Set(x.colIdx)).sort();
  const slot = new Map<number, number>();
  used.forEach((c, i) => slot.set(c, i));
  const slotOf = Int32Array.from(x.colIdx, (c) => slot.get(c)!);
  return { used, slotOf };
}

/** The (U, G) gradient of the used columns as a sparse gradient of the (G, I) weight. */
function columnSparseGrad(dwt: FloatArray, used: Int32Array, G: number, I: number) {
  const U = used.length;
  const positions = new Int32Array(G * U);
  const values = allocateLike(dwt, G * U);
  for (let g = 0; g < G; g++) {
    for (let u = 0; u < U; u++) {
      positions[g * U + u] = g * I + used[u];
      values[g * U + u] = dwt[u * G + g];
    }
  }
  return { positions, values };
}
