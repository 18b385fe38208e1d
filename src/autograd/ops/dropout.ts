/** Inverted dropout: zero each element with probability p, scale survivors by 1/(1−p). */
import { Tensor, allocateLike } from '../../tensor/tensor.js';
import type { Rng } from '../../tensor/random.js';
import { Var, record } from '../var.js';
import { GruError } from '../../errors.js';

export function dropout(x: Var, p: number, rng: Rng): Var {
  if (!(p >= 0 && p < 1)) throw new GruError('INVALID_ARGUMENT', `dropout: probability must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  const n = x.value.size;
  const xs = x.data;
  // Dropped where uniform() < p, i.e. where the 32-bit draw is below ⌈p·2³²⌉ (no division per element).
  const below = Math.ceil(p * 4294967296);
  // The survivors' scale as the array stores it (float32 arrays: rounded once, as a float32 mask held it).
  const keep = xs instanceof Float32Array ? Math.fround(1 / (1 - p)) : 1 / (1 - p);
  const kept = new Uint8Array(n);
  const out = new Var(new Tensor(allocateLike(xs, n), x.shape));
  const ys = out.data;
  for (let i = 0; i < n; i++) {
    if (rng.nextUint32() >= below) {
      kept[i] = 1;
      ys[i] = xs[i] * keep;
    }
  }
  record('dropout', [x], [out], () => {
    if (!out.grad) return;
    const g = x.gradBuffer().data;
    const dy = out.grad.data;
    for (let i = 0; i < n; i++) if (kept[i]) g[i] += dy[i] * keep;
  });
  return out;
}
