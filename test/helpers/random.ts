/** Random test data from the library's own seeded generator. */
import { Rng, Tensor, type DType, type FloatArray } from '../../src/index.js';

/**
 * n values uniform in ±scale, rounded to float32 in both dtypes (so a
 * float64 run sees exactly the inputs of the float32 run it is compared with).
 */
export function rand(rng: Rng, n: number, scale = 1, dtype: DType = 'float32'): FloatArray {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.range(-1, 1);
  return dtype === 'float64' ? Float64Array.from(a) : a;
}

export function randomTensor(rng: Rng, shape: number[], scale = 1, dtype: DType = 'float32'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = Tensor.zeros(shape, dtype);
  for (let i = 0; i < n; i++) t.data[i] = scale * rng.range(-1, 1);
  return t;
}

/** A flat row-major array as nested arrays of the given shape. */
export function nest(data: ArrayLike<number>, shape: readonly number[]): any {
  if (shape.length === 1) return Array.from(data);
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) => nest(Array.prototype.slice.call(data, i * inner, (i + 1) * inner), shape.slice(1)));
}

/** max |a − b| / max(1, |b|) over all elements. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}
