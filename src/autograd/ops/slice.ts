/** Slicing and joining along the first axis. */
import { Tensor, allocateLike } from '../../tensor/tensor.js';
import { Var, record, wants } from '../var.js';

/** Rows [start, start + count) of the first axis, reshaped to `shape`. */
export function sliceRows(a: Var, start: number, count: number, shape: readonly number[]): Var {
  const inner = a.value.size / a.shape[0];
  const out = new Var(new Tensor(allocateLike(a.data, count * inner), shape));
  out.data.set(a.data.subarray(start * inner, (start + count) * inner));
  record('sliceRows', [a], [out], () => {
    if (!out.grad) return;
    const g = a.gradBuffer().data;
    const dy = out.grad.data;
    const o = start * inner;
    for (let i = 0; i < count * inner; i++) g[o + i] += dy[i];
  });
  return out;
}

/** Concatenation along the first axis (other axes equal). */
export function concat0(parts: readonly Var[]): Var {
  if (parts.length === 1) return parts[0];
  const rest = parts[0].shape.slice(1);
  const rows = parts.reduce((n, p) => n + p.shape[0], 0);
  const out = new Var(
    new Tensor(
      allocateLike(
        parts[0].data,
        parts.reduce((n, p) => n + p.value.size, 0),
      ),
      [rows, ...rest],
    ),
  );
  let off = 0;
  for (const p of parts) {
    out.data.set(p.data, off);
    off += p.value.size;
  }
  record('concat0', parts, [out], () => {
    if (!out.grad) return;
    let o = 0;
    for (const p of parts) {
      if (wants(p)) {
        const g = p.gradBuffer().data;
        const dy = out.grad.data;
        for (let i = 0; i < g.length; i++) g[i] += dy[o + i];
      }
      o += p.value.size;
    }
  });
  return out;
}
