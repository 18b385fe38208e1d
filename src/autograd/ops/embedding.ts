/** Embedding lookup: rows of a table gathered by integer ids. */
import { Tensor, allocateLike, type FloatArray } from '../../tensor/tensor.js';
import { backend } from '../../kernels/index.js';
import { Var, record, type SparseGrad } from '../var.js';
import { GruError } from '../../errors.js';

/**
 * table (V, D), ids of any shape S → (…S, D). Ids must be integers in [0, V).
 * With `sparse`, the table's gradient is sparse: only the rows of the ids seen
 * (as PyTorch's `nn.Embedding(sparse=True)`), so an optimizer step costs
 * O(rows used · D), not O(V · D).
 */
export function embedding(table: Var, ids: Int32Array | readonly number[], idsShape: readonly number[] = [ids.length], sparse = false): Var {
  const [V, D] = table.shape;
  const checked = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= V) throw new GruError('INVALID_ARGUMENT', `embedding: id at position ${i} must be an integer in [0, ${V}), got ${v}`);
    checked[i] = v;
  }
  const k = backend();
  const out = new Var(new Tensor(allocateLike(table.data, ids.length * D), [...idsShape, D]));
  k.embeddingForward(out.data, table.data, checked, D);
  record('embedding', [table], [out], () => {
    if (!out.grad) return;
    if (sparse) table.accumulateSparse(rowSparseGrad(out.grad.data, checked, D));
    else k.embeddingBackward(table.gradBuffer().data, out.grad.data, checked, D);
  });
  return out;
}

/** The gradient of a gather: Σ dOut over each distinct row id, as whole rows of width D. */
export function rowSparseGrad(dOut: FloatArray, ids: Int32Array, D: number): SparseGrad {
  const rows = Int32Array.from(new Set(ids)).sort();
  const slot = new Map<number, number>();
  rows.forEach((r, i) => slot.set(r, i));
  const values = allocateLike(dOut, rows.length * D);
  for (let n = 0; n < ids.length; n++) {
    const o = slot.get(ids[n])! * D;
    for (let d = 0; d < D; d++) values[o + d] += dOut[n * D + d];
  }
  const positions = new Int32Array(rows.length * D);
  for (let i = 0; i < rows.length; i++) for (let d = 0; d < D; d++) positions[i * D + d] = rows[i] * D + d;
  return { positions, values };
}
