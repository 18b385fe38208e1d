/** Shape and arithmetic ops, each forward beside its backward. */
import { Tensor, allocateLike, shapeString, sizeOf } from '../../tensor/tensor.js';
import { Var, record, wants } from '../var.js';
import { GruError } from '../../errors.js';

function sameShape(a: Var, b: Var, op: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new GruError('INVALID_ARGUMENT', `${op}: operands must have the same shape, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
}

function result(like: Var, shape: readonly number[] = like.shape): Var {
  return new Var(new Tensor(allocateLike(like.data, sizeOf(shape)), shape));
}

/** a + b (same shapes). */
export function add(a: Var, b: Var): Var {
  sameShape(a, b, 'add');
  const out = result(a);
  for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[i] + b.data[i];
  record('add', [a, b], [out], () => {
    if (!out.grad) return;
    for (const v of [a, b]) {
      if (!wants(v)) continue;
      const g = v.gradBuffer().data;
      const dy = out.grad.data;
      for (let i = 0; i < g.length; i++) g[i] += dy[i];
    }
  });
  return out;
}

/** a ⊙ b (same shapes). */
export function mul(a: Var, b: Var): Var {
  sameShape(a, b, 'mul');
  const out = result(a);
  for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[i] * b.data[i];
  record('mul', [a, b], [out], () => {
    if (!out.grad) return;
    const go = out.grad.data;
    if (wants(a)) {
      const ga = a.gradBuffer().data;
      for (let i = 0; i < go.length; i++) ga[i] += go[i] * b.data[i];
    }
    if (wants(b)) {
      const gb = b.gradBuffer().data;
      for (let i = 0; i < go.length; i++) gb[i] += go[i] * a.data[i];
    }
  });
  return out;
}

/** s · a for a constant s. */
export function scale(a: Var, s: number): Var {
  const out = result(a);
  for (let i = 0; i < out.data.length; i++) out.data[i] = s * a.data[i];
  record('scale', [a], [out], () => {
    if (!out.grad) return;
    const g = a.gradBuffer().data;
    const dy = out.grad.data;
    for (let i = 0; i < g.length; i++) g[i] += s * dy[i];
  });
  return out;
}

/** Σ a, a scalar of shape [1]. */
export function sum(a: Var): Var {
  const out = result(a, [1]);
  let acc = 0;
  for (let i = 0; i < a.data.length; i++) acc += a.data[i];
  out.data[0] = acc;
  record('sum', [a], [out], () => {
    if (!out.grad) return;
    const g = a.gradBuffer().data;
    const go = out.grad.data[0];
    for (let i = 0; i < g.length; i++) g[i] += go;
  });
  return out;
}

/** The same values with another shape of equal size. */
export function reshape(a: Var, shape: readonly number[]): Var {
  const out = new Var(a.value.reshape(shape));
  record('reshape', [a], [out], () => {
    if (!out.grad) return;
    const g = a.gradBuffer().data;
    const dy = out.grad.data;
    for (let i = 0; i < g.length; i++) g[i] += dy[i];
  });
  return out;
}

/** Swaps the first two axes: (A, B, …rest) → (B, A, …rest). Used for batch-first layouts. */
export function swapAxes01(a: Var): Var {
  const [A, B] = a.shape;
  const inner = a.value.size / (A * B);
  const out = result(a, [B, A, ...a.shape.slice(2)]);
  const src = a.data;
  const dst = out.data;
  for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) dst.set(src.subarray((i * B + j) * inner, (i * B + j + 1) * inner), (j * A + i) * inner);
  record('swapAxes01', [a], [out], () => {
    if (!out.grad) return;
    const g = a.gradBuffer().data;
    const go = out.grad.data;
    for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) for (let k = 0; k < inner; k++) g[(i * B + j) * inner + k] += go[(j * A + i) * inner + k];
  });
  return out;
}
