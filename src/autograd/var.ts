/**
 * The autograd tape. A Var holds a value and, after backward, its gradient.
 * Each op that has an input needing a gradient records one Node — its
 * inputs, its outputs and a backward closure that reads the outputs'
 * gradients and accumulates into the inputs'. `backward(loss)` replays the
 * recorded nodes in reverse order of creation. Ops are coarse (a whole GRU
 * layer is one node), so the tape stays short.
 */
import { Tensor, allocateLike, type FloatArray } from '../tensor/tensor.js';
import { GruError } from '../errors.js';
import { tapeBuffers } from './pool.js';

let nextId = 0;

/** One recorded operation. */
export interface Node {
  readonly id: number;
  readonly name: string;
  readonly inputs: readonly Var[];
  /** The values it produced: their gradients are read by its backward and by nothing after it. */
  readonly outputs: readonly Var[];
  /** Accumulates into the inputs' gradients from the outputs' (already set) gradients. */
  readonly backward: () => void;
}

/** A value on the tape. */
/**
 * A gradient that is zero except at `positions`: sorted, unique flat element
 * indices of the value, with one value each. Embeddings and sparse input
 * projections produce these, so a step touches only the rows a batch used.
 */
export interface SparseGrad {
  positions: Int32Array;
  values: FloatArray;
}

export class Var {
  value: Tensor;
  /**
   * The dense gradient, after backward: a parameter's (or any value made
   * with requiresGrad) stays until zeroGrad; an intermediate value's is
   * released once backward has used it (null after it, as in PyTorch).
   */
  grad: Tensor | null = null;
  /** A sparse gradient, when every contribution so far was sparse (see {@link Var.accumulateSparse}). */
  sparseGrad: SparseGrad | null = null;
  readonly requiresGrad: boolean;
  /** The op that produced this value, if it is on the tape. */
  node: Node | null = null;
  /** The buffer zeroGrad let go of, reused by the next backward (no fresh pages every step). */
  private spareGrad: Tensor | null = null;
  /** Optional name, e.g. a parameter's PyTorch name. */
  name: string;

  constructor(value: Tensor, requiresGrad = false, name = '') {
    this.value = value;
    this.requiresGrad = requiresGrad;
    this.name = name;
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }

  get data() {
    return this.value.data;
  }

  /** The dense gradient buffer, created on first use (zeroed, or holding the sparse gradient so far). */
  gradBuffer(): Tensor {
    if (this.grad === null) {
      // A parameter reuses the buffer zeroGrad let go; an intermediate value takes one from the tape's pool (it goes back after backward).
      const spare = this.spareGrad;
      this.spareGrad = null;
      const data = spare ? spare.data : this.requiresGrad ? null : tapeBuffers.take(this.value.data, this.value.size);
      this.grad = data ? new Tensor(data.fill(0), this.value.shape) : new Tensor(allocateLike(this.value.data, this.value.size), this.value.shape);
      if (this.sparseGrad) scatterAdd(this.grad.data, this.sparseGrad);
      this.sparseGrad = null;
    }
    return this.grad;
  }

  /**
   * Adds a sparse contribution (sorted unique positions). It stays sparse
   * unless a dense gradient already exists, in which case it is added there.
   */
  accumulateSparse(g: SparseGrad): void {
    if (this.grad) scatterAdd(this.grad.data, g);
    else this.sparseGrad = this.sparseGrad ? mergeSparse(this.sparseGrad, g) : g;
  }

  /** The gradient as a dense tensor (densifying a sparse one), or null when there is none. */
  denseGrad(): Tensor | null {
    return this.grad || this.sparseGrad ? this.gradBuffer() : null;
  }

  /**
   * Makes `buffer` (of this value's size) the storage of the dense gradient
   * from the next backward on, in place of a buffer of its own: a
   * data-parallel replica's parameters write their gradients into shared memory.
   */
  useGradBuffer(buffer: FloatArray): void {
    if (buffer.length !== this.value.size) throw new GruError('INVALID_ARGUMENT', `useGradBuffer: expected ${this.value.size} elements, got ${buffer.length}`);
    this.spareGrad = new Tensor(buffer, this.value.shape);
    this.grad = null;
    this.sparseGrad = null;
  }

  /**
   * Clears the gradient. Its buffer is kept and zeroed by the next backward,
   * so a tensor read from `.grad` before this call changes then: copy it to keep it.
   */
  zeroGrad(): void {
    if (this.grad && this.requiresGrad) this.spareGrad = this.grad;
    this.grad = null;
    this.sparseGrad = null;
  }
}

/** True when `v` wants a gradient: a parameter, or computed from one. */
export function wants(v: Var | null | undefined): v is Var {
  return v != null && (v.requiresGrad || v.node !== null);
}

let gradEnabled = true;

/**
 * Runs `f` without recording anything on the tape (inference): ops keep no
 * caches for backward, so forward passes are faster and lighter.
 */
export function noGrad<T>(f: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return f();
  } finally {
    gradEnabled = before;
  }
}

/** True when some input needs a gradient and recording is on, i.e. the op must be recorded. */
export function needsGrad(inputs: readonly (Var | null | undefined)[]): boolean {
  return gradEnabled && inputs.some(wants);
}

/**
 * Records `backward` as the node producing `outputs` when any input needs a
 * gradient; otherwise records nothing (inference builds no tape).
 */
export function record(name: string, inputs: readonly (Var | null | undefined)[], outputs: readonly Var[], backward: () => void): void {
  const present = inputs.filter((v): v is Var => v != null);
  if (!needsGrad(present)) return;
  const node: Node = { id: nextId++, name, inputs: present, outputs, backward };
  for (const o of outputs) o.node = node;
}

/** A constant (no gradient). */
export function constant(t: Tensor): Var {
  return new Var(t, false);
}

/**
 * The same value cut off from the tape: gradients stop here. Truncated BPTT
 * carries a state across chunks this way — `h0: detach(prev.hN)`.
 */
export function detach(v: Var): Var {
  return new Var(v.value, false);
}

/**
 * Backpropagates from a scalar `loss` (gradient 1) through every node that
 * produced it, in reverse order of creation. Parameters receive their
 * gradients in `.grad` (accumulated across calls until zeroed).
 */
export function backward(loss: Var, seed?: Tensor): void {
  if (seed === undefined && loss.value.size !== 1) {
    throw new GruError('INVALID_ARGUMENT', `backward: expected a scalar loss (1 element), got shape [${loss.shape.join(', ')}]; pass a seed gradient`);
  }
  const g = loss.gradBuffer();
  if (seed) g.data.set(seed.data);
  else g.data[0] += 1;

  // Collect the nodes reachable from the loss, then run them newest first.
  const nodes = new Map<number, Node>();
  const stack: Var[] = [loss];
  const seen = new Set<Var>();
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const n = v.node;
    if (n && !nodes.has(n.id)) {
      nodes.set(n.id, n);
      for (const i of n.inputs) stack.push(i);
    }
  }
  const order = [...nodes.values()].sort((a, b) => b.id - a.id);
  for (const n of order) {
    n.backward();
    // Nothing reads an intermediate value's gradient after its producer's backward (PyTorch keeps none either): back to the pool.
    for (const o of n.outputs) {
      if (o.requiresGrad || o.grad === null) continue;
      tapeBuffers.give(o.grad.data);
      o.grad = null;
    }
  }
  // Intermediate values drop their node so the graph can be collected.
  for (const v of seen) if (!v.requiresGrad) v.node = null;
}

function scatterAdd(dense: FloatArray, g: SparseGrad): void {
  for (let i = 0; i < g.positions.length; i++) dense[g.positions[i]] += g.values[i];
}

/** The sum of two sparse gradients (a sorted merge). */
function mergeSparse(a: SparseGrad, b: SparseGrad): SparseGrad {
  const pos = new Int32Array(a.positions.length + b.positions.length);
  const val = new (a.values.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(pos.length);
  let i = 0,
    j = 0,
    n = 0;
  while (i < a.positions.length || j < b.positions.length) {
    const pa = i < a.positions.length ? a.positions[i] : Infinity;
    const pb = j < b.positions.length ? b.positions[j] : Infinity;
    if (pa === pb) {
      pos[n] = pa;
      val[n++] = a.values[i++] + b.values[j++];
    } else if (pa < pb) {
      pos[n] = pa;
      val[n++] = a.values[i++];
    } else {
      pos[n] = pb;
      val[n++] = b.values[j++];
    }
  }
  return { positions: pos.slice(0, n), values: val.slice(0, n) };
}
