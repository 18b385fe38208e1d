/** Inverted dropout: zero each element with probability p, scale survivors by 1/(1−p). */
import { Tensor, allocateLike } from '../../tensor/tensor.js';
import type { Rng } from '../../tensor/random.js';
import { Var, record } from '../var.js';
import { GruError } from '../../errors.js';

export function dropout(x: Var, p: number, rng: Rng): Var {
  if (!(p >= 0 && p < 1)) throw new GruError('INVALID_ARGUMENT', `dropout: probability must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  const mask = allocateLike(x.data, x.value.size);
  const keep = 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < p ? 0 : keep;
  const out = new Var(new Tensor(allocateLike(x.data, x.value.size), x.shape));
  for (let i = 0; i < mask.length; i++) out.data[i] = x.data[i] * mask[i];
  record('dropout', [x], [out], () => {
    if (!out.grad) return;
    const g = x.gradBuffer().data;
    for (let i = 0; i < g.length; i++) g[i] += out.grad.data[i] * mask[i];
  });
  return out;
}
