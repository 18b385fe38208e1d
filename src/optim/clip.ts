/** Gradient-norm clipping, as PyTorch's clip_grad_norm_. */
import type { Var } from '../autograd/var.js';

/** Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Var[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) if (p.grad) for (const g of p.grad.data) sq += g * g;
  const norm = Math.sqrt(sq);
  if (!Number.isFinite(norm)) throw new Error(`clipGradNorm: the gradient norm is ${norm}; training diverged or an input was not finite`);
  const s = maxNorm / (norm + 1e-6);
  if (s < 1) for (const p of params) if (p.grad) for (let i = 0; i < p.grad.data.length; i++) p.grad.data[i] *= s;
  return norm;
}
