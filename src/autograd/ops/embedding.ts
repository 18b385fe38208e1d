/** Embedding lookup: rows of a table gathered by integer ids. */
import { Tensor, allocateLike } from '../../tensor/tensor.js';
import { backend } from '../../kernels/index.js';
import { Var, record } from '../var.js';

/** table (V, D), ids of any shape S → (…S, D). Ids must be integers in [0, V). */
export function embedding(table: Var, ids: Int32Array | readonly number[], idsShape: readonly number[] = [ids.length]): Var {
  const [V, D] = table.shape;
  const checked = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= V) throw new Error(`embedding: id at position ${i} must be an integer in [0, ${V}), got ${v}`);
    checked[i] = v;
  }
  const k = backend();
  const out = new Var(new Tensor(allocateLike(table.data, ids.length * D), [...idsShape, D]));
  k.embeddingForward(out.data, table.data, checked, D);
  record('embedding', [table], [out], () => {
    if (out.grad) k.embeddingBackward(table.gradBuffer().data, out.grad.data, checked, D);
  });
  return out;
}
