/** Adding a per-sequence vector to every step: x (B, K, D) + a (B, D). */
import { Tensor, allocateLike, shapeString } from '../../tensor/tensor.js';
import { Var, record, wants } from '../var.js';
import { GruError } from '../../errors.js';

export function addBroadcast(x: Var, a: Var): Var {
  const [B, K, D] = x.shape;
  if (x.shape.length !== 3 || a.shape.length !== 2 || a.shape[0] !== B || a.shape[1] !== D) {
    throw new GruError('INVALID_ARGUMENT', `addBroadcast: expected x [B, K, D] and a [B, D], got ${shapeString(x.shape)} and ${shapeString(a.shape)}`);
  }
  const out = new Var(new Tensor(allocateLike(x.data, x.value.size), x.shape));
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) for (let d = 0; d < D; d++) out.data[(b * K + k) * D + d] = x.data[(b * K + k) * D + d] + a.data[b * D + d];
  record('addBroadcast', [x, a], [out], () => {
    if (!out.grad) return;
    const g = out.grad.data;
    if (wants(x)) {
      const gx = x.gradBuffer().data;
      for (let i = 0; i < g.length; i++) gx[i] += g[i];
    }
    if (wants(a)) {
      const ga = a.gradBuffer().data;
      for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) for (let d = 0; d < D; d++) ga[b * D + d] += g[(b * K + k) * D + d];
    }
  });
  return out;
}
