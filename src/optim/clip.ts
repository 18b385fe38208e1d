/** Gradient-norm clipping, as PyTorch's clip_grad_norm_. */
import type { Var } from '../autograd/var.js';
import { GruError } from '../errors.js';

/** Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Var[], maxNorm: number): number {
  let sq = 0;
  const grads = params.map((p) => p.grad?.data ?? p.sparseGrad?.values ?? null);
  for (const g of grads) if (g) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  if (!Number.isFinite(norm)) throw new GruError('INVALID_DATA', `clipGradNorm: the gradient norm is ${norm}; training diverged or an input was not finite`);
  const s = maxNorm / (norm + 1e-6);
  if (s < 1) for (const g of grads) if (g) for (let i = 0; i < g.length; i++) g[i] *= s;
  return norm;
}
