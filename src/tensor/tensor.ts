/**
 * Tensor: a flat typed array plus a row-major shape. Float32 is the working
 * precision; float64 exists so gradient checks and reference recomputations
 * can run the very same kernels with far less rounding.
 */
import { GruError } from '../errors.js';

/** The storage types a tensor may have. */
export type FloatArray = Float32Array | Float64Array;
/** Element type of a tensor. */
export type DType = 'float32' | 'float64';

/** A dense row-major array of numbers with a shape. */
export class Tensor {
  readonly data: FloatArray;
  readonly shape: readonly number[];

  constructor(data: FloatArray, shape: readonly number[]) {
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new GruError('INVALID_ARGUMENT', `Tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`);
    }
    this.data = data;
    this.shape = shape.slice();
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  get size(): number {
    return this.data.length;
  }

  /** A tensor of zeros. */
  static zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return new Tensor(allocate(sizeOf(shape), dtype), shape);
  }

  /** A tensor from nested arrays or a flat list with a shape. */
  static from(values: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const data = allocate(values.length, dtype);
    data.set(values as ArrayLike<number>);
    return new Tensor(data, shape);
  }

  /** Same data viewed with another shape of the same size (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** A deep copy, optionally converted to another element type. */
  clone(dtype: DType = this.dtype): Tensor {
    const data = allocate(this.size, dtype);
    data.set(this.data);
    return new Tensor(data, this.shape);
  }

  /** Plain numbers, for printing and tests. */
  toArray(): number[] {
    return Array.from(this.data);
  }
}

/** Number of elements of a shape; throws on a negative or fractional dimension. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new GruError('INVALID_ARGUMENT', `shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    n *= d;
  }
  return n;
}

/** A zeroed typed array of the given element type. */
export function allocate(n: number, dtype: DType): FloatArray {
  if (budget !== null) charge(n);
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** A zeroed array of the same element type as `like`. */
export function allocateLike(like: FloatArray, n: number): FloatArray {
  if (budget !== null) charge(n);
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** An active {@link withAllocationBudget} scope; scopes nest, and an allocation counts against each. */
interface AllocationBudget {
  readonly limit: number;
  left: number;
  readonly parent: AllocationBudget | null;
  readonly exceeded?: (asked: number, limit: number, allocated: number) => Error;
}

let budget: AllocationBudget | null = null;

/** Counts `n` elements against every active budget; throws, before anything is allocated, when one would be exceeded. */
function charge(n: number): void {
  for (let b = budget; b !== null; b = b.parent) {
    if (!(n <= b.left)) {
      const allocated = b.limit - b.left;
      throw b.exceeded?.(n, b.limit, allocated) ?? new GruError('INVALID_ARGUMENT', `allocation budget exceeded: ${n} more elements asked for, ${allocated} of ${b.limit} already allocated`);
    }
  }
  for (let b = budget; b !== null; b = b.parent) b.left -= n;
}

/**
 * Runs `fn` with at most `elements` tensor elements allocated in it (every
 * {@link allocate} / {@link allocateLike}, so every parameter a module's
 * constructor initialises). The allocation that would pass the budget throws
 * before its array exists: `exceeded(asked, limit, allocated)` makes the
 * error, by default a {@link GruError} ('INVALID_ARGUMENT'). Loaders build a
 * module described by a file's metadata inside a budget set by the file's own
 * tensors, so a forged configuration cannot make them allocate gigabytes.
 * Synchronous code only: the scope ends when `fn` returns or throws.
 */
export function withAllocationBudget<T>(elements: number, fn: () => T, exceeded?: (asked: number, limit: number, allocated: number) => Error): T {
  const b: AllocationBudget = { limit: elements, left: elements, parent: budget, exceeded };
  budget = b;
  try {
    return fn();
  } finally {
    budget = b.parent;
  }
}

/** "[2, 3, 4]" — for error messages. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws unless `t` has exactly `expected` shape; `what` names it in the message. */
export function assertShape(t: Tensor, expected: readonly number[], what: string): void {
  const same = t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (!same) throw new GruError('INVALID_ARGUMENT', `${what}: expected shape ${shapeString(expected)}, got ${shapeString(t.shape)}`);
}

/** Throws if any element is NaN or ±Infinity, naming the first bad index. */
export function assertFinite(t: Tensor, what: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new GruError('INVALID_DATA', `${what}: expected finite numbers, got ${d[i]} at flat index ${i}`);
  }
}
