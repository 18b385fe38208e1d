/**
 * Whole ONNX graphs in: {@link importOnnx} reads a model made of GRU nodes
 * (any number: stacked, bidirectional, reverse, both `linear_before_reset`
 * values, `sequence_lens`, `initial_h`) and the operators around them —
 * linear layers, embeddings, reshaping, shape arithmetic, activations — and
 * returns a model that runs it: `importOnnx(bytes).run({ X })`.
 *
 * GRU nodes run on the library's {@link GRU} through {@link runOnnxGru}, so
 * they compute what ONNX Runtime and PyTorch compute; the other operators are
 * small TypeScript kernels (matrix products on the current backend's gemm).
 *
 * Every graph is checked when it is imported, before anything is computed:
 * unknown operators and attributes are named (with the node's name and
 * index), names that nothing defines, names defined twice and cycles are
 * refused, and the parts of the graph that depend only on constants are
 * evaluated then (so a weight of the wrong shape, or a ConstantOfShape asking
 * for 10¹² elements, fails at import). At run time each operator checks its
 * inputs' shapes and the size of its result before allocating it.
 *
 * Browser-safe: bytes in, tensors out, no file system.
 *
 * @module
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { GruError, type GruErrorCode } from '../errors.js';
import { Tensor, shapeString } from '../tensor/tensor.js';
import type { GRU } from '../nn/gru.js';
import { noGrad } from '../autograd/var.js';
import { backend } from '../kernels/index.js';
import { gruFromOnnxWeights, runOnnxGru, tensorFromOnnx, type OnnxGruDirection, type OnnxTensor } from './onnx.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** A graph input or output as the model declares it. */
export interface OnnxValueDescription {
  /** Its name in the graph (the key of `run`'s feeds or results). */
  name: string;
  /** ONNX element type name, e.g. "FLOAT", "INT64"; "" when the model does not say. */
  type: string;
  /**
   * Dimensions: a number where fixed, the symbol's name (e.g. "batch") where
   * symbolic, null where unnamed; null for the whole when the model gives no shape.
   */
  shape: (number | string | null)[] | null;
}

/** A value given to {@link OnnxGraphModel.run}: a Tensor, or a decoded ONNX tensor (e.g. from {@link decodeOnnxTensor}). */
export type OnnxFeed = Tensor | OnnxTensor;

/** Options of {@link importOnnx}. */
export interface ImportOnnxOptions {
  /**
   * The most elements one operator may produce (default 2²⁷, 512 MiB of
   * float32). Larger results are refused before they are allocated.
   */
  maxElements?: number;
}

/** A GRU node of an imported graph and the module that runs it. */
export interface OnnxGraphGru {
  /** The node's name ("" when unnamed). */
  node: string;
  /** Its index in the graph's node list. */
  index: number;
  /**
   * The one-layer {@link GRU} holding the node's weights, or null when they
   * are not constants of the model (then each run builds one from its inputs).
   * For direction 'reverse' it holds the reverse weights in a forward module.
   * Runs use this module, so weights changed on it change the results.
   */
  gru: GRU | null;
  direction: OnnxGruDirection;
  linearBeforeReset: 0 | 1;
  layout: 0 | 1;
}

/** What {@link importOnnx} returns: a runnable graph. */
export interface OnnxGraphModel {
  /** The inputs a run takes (graph inputs that have no initializer), in the model's order. */
  readonly inputs: OnnxValueDescription[];
  /** The outputs a run returns, in the model's order. */
  readonly outputs: OnnxValueDescription[];
  /** The model's opset version for the default ONNX domain. */
  readonly opsetVersion: number;
  /** The model's producer_name ("" when unset). */
  readonly producer: string;
  /** The operator types of the graph's nodes, with how many of each. */
  readonly ops: Record<string, number>;
  /** The graph's GRU nodes, in graph order. */
  readonly grus: OnnxGraphGru[];
  /**
   * Runs the graph. `feeds` gives a value for each input by name (graph
   * inputs that have an initializer may be fed too, replacing it); the result
   * holds every graph output by name. Floating-point values come back as
   * float32 (FLOAT) or float64 (DOUBLE) tensors, integer and boolean values
   * as float64 tensors holding the integers.
   *
   * @throws a {@link GruError} ('INVALID_ARGUMENT') when a feed is missing,
   *   unknown, of the wrong type or shape, or an operator's inputs do not fit
   *   (naming the node); ('UNSUPPORTED') for a value the importer cannot
   *   compute with, e.g. Dropout in training mode.
   */
  run(feeds: Record<string, OnnxFeed> | Map<string, OnnxFeed>): Record<string, Tensor>;
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/**
 * A value flowing through the graph: ONNX element type, dims, and data —
 * Float32Array for FLOAT, Float64Array for everything else (DOUBLE, and the
 * integer and boolean types, whose values a double holds exactly up to 2⁵³).
 * Values are never written to once made, so ops may share data (Reshape).
 */
interface Val {
  type: number;
  dims: number[];
  data: Float32Array | Float64Array;
}

const INT_TYPES: ReadonlySet<number> = new Set([DT.INT8, DT.UINT8, DT.INT16, DT.UINT16, DT.INT32, DT.UINT32, DT.INT64, DT.UINT64]);
const isFloat = (t: number) => t === DT.FLOAT || t === DT.DOUBLE;
const isInt = (t: number) => INT_TYPES.has(t);
const typeName = (t: number): string => (DT as unknown as Record<number, string>)[t] ?? `type ${t}`;
const SUPPORTED_VALUE_TYPES: ReadonlySet<number> = new Set([DT.FLOAT, DT.DOUBLE, DT.BOOL, ...INT_TYPES]);

/** Elements of dims (may exceed 2⁵³ for absurd dims: callers compare it with a limit). */
function count(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let k = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= dims[i];
  }
  return s;
}

/** An internal failure of one operator; the executor adds the node's name and the error code. */
class OpError extends Error {
  constructor(
    message: string,
    readonly code?: GruErrorCode,
  ) {
    super(message);
  }
}

const fail = (message: string, code?: GruErrorCode): never => {
  throw new OpError(message, code);
};

/** Allocation for operator results, refused past the model's element limit before anything is allocated. */
interface Ctx {
  maxElements: number;
}

function alloc(ctx: Ctx, type: number, dims: readonly number[]): Val {
  const n = count(dims);
  if (!(n <= ctx.maxElements)) fail(`its result of shape ${shapeString(dims)} would have ${n} elements, more than the limit of ${ctx.maxElements} (option maxElements)`);
  return { type, dims: dims.slice(), data: type === DT.FLOAT ? new Float32Array(n) : new Float64Array(n) };
}

/** Reads src[offset + Σ idx_d · strides_d] over all indices of dims into out, row-major. */
function stridedCopy(src: ArrayLike<number>, offset: number, dims: readonly number[], strides: readonly number[], out: { [i: number]: number }): void {
  const r = dims.length;
  const n = count(dims);
  if (n === 0) return;
  if (r === 0) {
    out[0] = src[offset];
    return;
  }
  const inner = dims[r - 1],
    si = strides[r - 1];
  const idx = new Array<number>(r).fill(0);
  let base = offset;
  for (let k = 0; k < n; k += inner) {
    for (let j = 0; j < inner; j++) out[k + j] = src[base + j * si];
    // Advance the odometer over the outer dimensions.
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < dims[d]) break;
      base -= idx[d] * strides[d];
      idx[d] = 0;
    }
  }
}

/** ONNX's multidirectional (NumPy) broadcast of two shapes, or null when they do not broadcast. */
function broadcastDims(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1,
      y = b[b.length - r + i] ?? 1;
    if (x === y || y === 1) out[i] = x;
    else if (x === 1) out[i] = y;
    else return null;
  }
  return out;
}

/** Strides reading a tensor of dims as if broadcast to outDims (0 along broadcast axes). */
function broadcastStrides(dims: readonly number[], outDims: readonly number[]): number[] {
  const s = stridesOf(dims);
  const off = outDims.length - dims.length;
  return outDims.map((_, i) => (i < off || dims[i - off] === 1 ? 0 : s[i - off]));
}

/** A value's data read as broadcast to outDims, materialised (or the data itself when no broadcast is needed). */
function broadcastTo(ctx: Ctx, v: Val, outDims: readonly number[]): Float32Array | Float64Array {
  if (v.dims.length === outDims.length && v.dims.every((d, i) => d === outDims[i])) return v.data;
  const out = alloc(ctx, v.type, outDims);
  stridedCopy(v.data, 0, outDims, broadcastStrides(v.dims, outDims), out.data);
  return out.data;
}

/** Integer values of an int tensor (shapes, axes, indices), checked to be a 1-D (or scalar) integer tensor. */
function intList(v: Val, what: string): number[] {
  if (!isInt(v.type)) fail(`${what} must be an integer tensor, got ${typeName(v.type)}`);
  if (v.dims.length > 1) fail(`${what} must be 1-D, got shape ${shapeString(v.dims)}`);
  return Array.from(v.data);
}

function normAxis(axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) fail(`${what} ${axis} is out of range for rank ${rank} (expected ${-rank}…${rank - 1})`);
  return axis < 0 ? axis + rank : axis;
}

function scalarOf(type: number, x: number): Val {
  return { type, dims: [], data: type === DT.FLOAT ? Float32Array.of(x) : Float64Array.of(x) };
}

/** A value from a decoded ONNX tensor (types outside the supported set refused). */
function valFromOnnx(t: OnnxTensor, what: string, code: GruErrorCode): Val {
  if (!SUPPORTED_VALUE_TYPES.has(t.dataType)) throw new GruError('UNSUPPORTED', `${what}: element type ${t.dataTypeName} is not supported`);
  let data: Float32Array | Float64Array;
  if (t.data instanceof Float32Array) data = t.data;
  else if (t.data instanceof Float64Array) data = t.data;
  else {
    data = new Float64Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = Number(t.data[i]);
  }
  if (t.dims.length > 64) throw new GruError(code, `${what}: rank ${t.dims.length} is beyond any model's (at most 64 dimensions)`);
  return { type: t.dataType, dims: t.dims.slice(), data };
}

// ---------------------------------------------------------------------------
// Protobuf helpers
// ---------------------------------------------------------------------------

/** An int64 from protobufjs (number, Long or bigint) as a number; beyond ±2⁵³ it is rounded, which only the clamping of Slice bounds (INT64_MAX) meets. */
function int64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return Number(v);
  if (v !== null && typeof v === 'object' && typeof (v as { low?: unknown }).low === 'number' && typeof (v as { high?: unknown }).high === 'number') {
    const { low, high, unsigned } = v as { low: number; high: number; unsigned?: boolean };
    return (unsigned ? high >>> 0 : high) * 4294967296 + (low >>> 0);
  }
  return Number.NaN;
}

const decodeText = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The attributes of one node: each read once with its type checked; names not listed for the op are refused. */
class Attrs {
  private readonly byName = new Map<string, OnnxTypes.IAttributeProto>();

  constructor(
    node: OnnxTypes.INodeProto,
    private readonly what: string,
    allowed: readonly string[],
  ) {
    for (const a of node.attribute ?? []) {
      const name = a.name ?? '';
      if (a.refAttrName) throw new GruError('UNSUPPORTED', `${what}: attribute '${name}' refers to a function's attribute (${a.refAttrName}); not supported`);
      if (!allowed.includes(name)) {
        throw new GruError('UNSUPPORTED', `${what}: attribute '${name}' is not supported${allowed.length ? ` (this importer reads ${allowed.join(', ')})` : ` (this operator takes none here)`}`);
      }
      if (this.byName.has(name)) throw new GruError('INVALID_FILE', `${what}: attribute '${name}' is given twice`);
      this.byName.set(name, a);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: number, field: keyof OnnxTypes.IAttributeProto): OnnxTypes.IAttributeProto | null {
    const a = this.byName.get(name);
    if (!a) return null;
    // Old models omit the type; then the field that is present says it.
    const t = a.type || (has(a, field) ? type : 0);
    if (t !== type) throw new GruError('INVALID_FILE', `${this.what}: attribute '${name}' must be ${AT[type]}, got ${AT[a.type ?? 0] ?? a.type}`);
    return a;
  }

  int(name: string, def: number): number;
  int(name: string): number | null;
  int(name: string, def: number | null = null): number | null {
    const a = this.get(name, AT.INT, 'i');
    if (!a) return def;
    const v = int64(a.i ?? 0);
    if (!Number.isSafeInteger(v)) throw new GruError('INVALID_FILE', `${this.what}: attribute '${name}' = ${String(a.i)} is not an integer a model can use`);
    return v;
  }

  ints(name: string): number[] | null {
    const a = this.get(name, AT.INTS, 'ints');
    return a ? (a.ints ?? []).map(int64) : null;
  }

  float(name: string, def: number): number {
    const a = this.get(name, AT.FLOAT, 'f');
    return a ? (a.f ?? 0) : def;
  }

  floats(name: string): number[] | null {
    const a = this.get(name, AT.FLOATS, 'floats');
    return a ? (a.floats ?? []).slice() : null;
  }

  string(name: string, def: string): string {
    const a = this.get(name, AT.STRING, 's');
    return a ? decodeText(a.s) : def;
  }

  strings(name: string): string[] | null {
    const a = this.get(name, AT.STRINGS, 'strings');
    return a ? (a.strings ?? []).map(decodeText) : null;
  }

  tensor(name: string): OnnxTypes.ITensorProto | null {
    const a = this.get(name, AT.TENSOR, 't');
    return a ? (a.t ?? null) : null;
  }
}

// ---------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------

/** A compiled node: takes its input values (null where omitted) and returns its outputs by position (`wanted`: which outputs the graph names). */
type Kernel = (inputs: (Val | null)[], ctx: Ctx, wanted: readonly boolean[]) => (Val | null)[];

interface OpDef {
  /** Inputs: how many at least, at most; which positions must be named. */
  inputs: [number, number];
  /** Outputs the op can produce. */
  outputs: number;
  attrs: readonly string[];
  compile(a: Attrs, opset: number, what: string): Kernel;
}

const req = (v: Val | null, what: string): Val => v ?? fail(`input ${what} is required`);

function floatInput(v: Val, what: string): Val {
  if (!isFloat(v.type)) fail(`${what} must be FLOAT or DOUBLE, got ${typeName(v.type)}`);
  return v;
}

function unary(f: (x: number) => number, floatOnly = true): OpDef['compile'] {
  return () =>
    ([x], ctx) => {
      const v = req(x, 'X');
      if (floatOnly) floatInput(v, 'X');
      const out = alloc(ctx, v.type, v.dims);
      for (let i = 0; i < v.data.length; i++) out.data[i] = f(v.data[i]);
      return [out];
    };
}

function binary(name: string, f: (a: number, b: number) => number, intF?: (a: number, b: number) => number): OpDef {
  return {
    inputs: [2, 2],
    outputs: 1,
    attrs: ['broadcast', 'axis'],
    compile: (a) => {
      // Opset ≤ 6's explicit broadcast (B aligned at `axis`) is not the NumPy rule; refuse it rather than guess.
      if (a.int('broadcast', 0) !== 0 && a.has('axis')) fail(`${name} with the legacy broadcast axis attribute is not supported`, 'UNSUPPORTED');
      return ([x, y], ctx) => {
        const A = req(x, 'A'),
          B = req(y, 'B');
        if (A.type !== B.type) fail(`inputs A and B must have the same type, got ${typeName(A.type)} and ${typeName(B.type)}`);
        if (!isFloat(A.type) && !isInt(A.type)) fail(`expects numbers, got ${typeName(A.type)}`);
        const dims = broadcastDims(A.dims, B.dims) ?? fail(`shapes ${shapeString(A.dims)} and ${shapeString(B.dims)} do not broadcast`);
        const out = alloc(ctx, A.type, dims);
        const g = isInt(A.type) && intF ? intF : f;
        const n = out.data.length;
        const o = out.data,
          ad = A.data,
          bd = B.data;
        if (ad.length === n && bd.length === n) for (let i = 0; i < n; i++) o[i] = g(ad[i], bd[i]);
        else if (ad.length === n && bd.length === 1) for (let i = 0; i < n; i++) o[i] = g(ad[i], bd[0]);
        else if (ad.length === n && B.dims.length <= dims.length && n > 0 && count(dims.slice(dims.length - B.dims.length)) === bd.length && B.dims.every((d, i) => d === dims[dims.length - B.dims.length + i])) {
          // The common bias add: B is A's trailing dims.
          const m = bd.length;
          for (let i = 0; i < n; i++) o[i] = g(ad[i], bd[i % m]);
        } else {
          const aa = broadcastTo(ctx, A, dims),
            bb = broadcastTo(ctx, B, dims);
          for (let i = 0; i < n; i++) o[i] = g(aa[i], bb[i]);
        }
        return [out];
      };
    },
  };
}

/** C (M, N) = alpha · op(A) · op(B) + beta · C on the backend's gemm. */
function gemmInto(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array | Float64Array,
  aOff: number,
  B: Float32Array | Float64Array,
  bOff: number,
  beta: number,
  C: Float32Array | Float64Array,
  cOff: number,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    for (let i = 0; i < M * N; i++) C[cOff + i] = beta === 0 ? 0 : beta * C[cOff + i];
    return;
  }
  backend().gemm(transA, transB, M, N, K, alpha, A, aOff, transA ? M : K, B, bOff, transB ? K : N, beta, C, cOff, N);
}

function softmaxOp(log: boolean): OpDef {
  return {
    inputs: [1, 1],
    outputs: 1,
    attrs: ['axis'],
    compile: (a, opset) => {
      const axisAttr = a.int('axis', opset >= 13 ? -1 : 1);
      return ([x], ctx) => {
        const v = floatInput(req(x, 'input'), 'input');
        const r = v.dims.length;
        const axis = normAxis(axisAttr, Math.max(r, 1), 'axis');
        // Opset < 13 flattens to 2-D at axis and normalises each row; opset ≥ 13 normalises along axis alone.
        const outer = count(v.dims.slice(0, axis));
        const len = opset >= 13 ? (v.dims[axis] ?? 1) : count(v.dims.slice(axis));
        const inner = opset >= 13 ? count(v.dims.slice(axis + 1)) : 1;
        const out = alloc(ctx, v.type, v.dims);
        const d = v.data,
          o = out.data;
        for (let p = 0; p < outer; p++) {
          for (let q = 0; q < inner; q++) {
            const base = p * len * inner + q;
            let max = -Infinity;
            for (let k = 0; k < len; k++) max = Math.max(max, d[base + k * inner]);
            let sum = 0;
            for (let k = 0; k < len; k++) sum += Math.exp(d[base + k * inner] - max);
            const ls = Math.log(sum);
            for (let k = 0; k < len; k++) {
              const z = d[base + k * inner] - max;
              o[base + k * inner] = log ? z - ls : Math.exp(z) / sum;
            }
          }
        }
        return [out];
      };
    },
  };
}

/** Axes of Squeeze/Unsqueeze: the attribute (opset < 13) or the second input (opset ≥ 13). */
function axesOf(attr: number[] | null, input: Val | null): number[] | null {
  if (input) return intList(input, 'axes');
  return attr;
}

function reshapeTo(v: Val, dims: number[]): Val {
  return { type: v.type, dims, data: v.data };
}

const CAST_TARGETS: ReadonlySet<number> = SUPPORTED_VALUE_TYPES;

/** Wraps a value of an integer type to that type's range, as a C cast does. */
function wrapInt(x: number, t: number): number {
  switch (t) {
    case DT.INT8:
      return (x << 24) >> 24;
    case DT.UINT8:
      return x & 0xff;
    case DT.INT16:
      return (x << 16) >> 16;
    case DT.UINT16:
      return x & 0xffff;
    case DT.INT32:
      return x | 0;
    case DT.UINT32:
      return x >>> 0;
    default:
      return x;
  }
}

const GRU_ATTRS = ['hidden_size', 'direction', 'linear_before_reset', 'layout', 'activations', 'activation_alpha', 'activation_beta', 'clip'] as const;

/** GRU: parsed at import; `prebuilt` is filled in by the importer when W, R and B are constants. */
interface GruNode {
  hiddenSize: number | null;
  direction: OnnxGruDirection;
  linearBeforeReset: 0 | 1;
  layout: 0 | 1;
  gru: GRU | null;
}

function parseGru(a: Attrs): GruNode {
  const hs = a.int('hidden_size');
  if (hs !== null && hs <= 0) fail(`hidden_size must be positive, got ${hs}`, 'INVALID_FILE');
  const direction = a.string('direction', 'forward');
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') fail(`direction must be forward, reverse or bidirectional, got '${direction}'`, 'INVALID_FILE');
  const lbr = a.int('linear_before_reset', 0);
  if (lbr !== 0 && lbr !== 1) fail(`linear_before_reset must be 0 or 1, got ${lbr}`, 'INVALID_FILE');
  const layout = a.int('layout', 0);
  if (layout !== 0 && layout !== 1) fail(`layout must be 0 or 1, got ${layout}`, 'INVALID_FILE');
  if (a.has('clip')) fail('attribute clip is not supported; only unclipped GRUs can be imported', 'UNSUPPORTED');
  const acts = a.strings('activations');
  const D = direction === 'bidirectional' ? 2 : 1;
  if (acts) {
    const want = Array.from({ length: 2 * D }, (_, i) => (i % 2 === 0 ? 'sigmoid' : 'tanh'));
    if (acts.length !== want.length || acts.some((s, i) => s.toLowerCase() !== want[i])) {
      fail(`only the default activations (${want.join(', ')}) are supported, got ${acts.join(', ') || '(none)'}`, 'UNSUPPORTED');
    }
  }
  return { hiddenSize: hs, direction: direction as OnnxGruDirection, linearBeforeReset: lbr as 0 | 1, layout: layout as 0 | 1, gru: null };
}

const gruNodes = new WeakMap<Kernel, GruNode>();

function asTensor(v: Val): Tensor {
  return new Tensor(v.data, v.dims);
}

function valOf(t: Tensor): Val {
  return { type: t.dtype === 'float64' ? DT.DOUBLE : DT.FLOAT, dims: t.shape.slice(), data: t.data };
}

const OPS: Record<string, OpDef> = {
  GRU: {
    inputs: [3, 6],
    outputs: 2,
    attrs: GRU_ATTRS,
    compile: (a) => {
      const g = parseGru(a);
      const kernel: Kernel = ([X, W, R, B, seq, h0], ctx) => {
        const x = floatInput(req(X, 'X'), 'X');
        if (x.dims.length !== 3) fail(`X must be 3-D (${g.layout === 0 ? '[T, B, I]' : '[B, T, I]'}), got ${shapeString(x.dims)}`);
        const D = g.direction === 'bidirectional' ? 2 : 1;
        const H = g.gru?.hiddenSize ?? g.hiddenSize ?? (R ? R.dims[2] : 0) ?? 0;
        const [T, Bn] = g.layout === 0 ? [x.dims[0], x.dims[1]] : [x.dims[1], x.dims[0]];
        const biggest = Math.max(T * Bn * D * H, count(x.dims));
        if (!(biggest <= ctx.maxElements)) fail(`its output Y of ${T}·${D}·${Bn}·${H} elements would pass the limit of ${ctx.maxElements} (option maxElements)`);
        const lens = seq ? intList(seq, 'sequence_lens') : null;
        const opts = { layout: g.layout, direction: g.direction, linearBeforeReset: g.linearBeforeReset, hiddenSize: g.hiddenSize };
        const base = { X: asTensor(x), sequence_lens: lens, initial_h: h0 ? asTensor(floatInput(h0, 'initial_h')) : null };
        const { Y, Y_h } = noGrad(() =>
          g.gru ? runOnnxGru(base, { ...opts, gru: g.gru }) : runOnnxGru({ ...base, W: asTensor(floatInput(req(W, 'W'), 'W')), R: asTensor(floatInput(req(R, 'R'), 'R')), B: B ? asTensor(floatInput(B, 'B')) : null }, opts),
        );
        // Y and Y_h have X's element type.
        const cast = (t: Tensor): Val => (valOf(t).type === x.type ? valOf(t) : { type: x.type, dims: t.shape.slice(), data: x.type === DT.FLOAT ? Float32Array.from(t.data) : Float64Array.from(t.data) });
        return [cast(Y), cast(Y_h)];
      };
      gruNodes.set(kernel, g);
      return kernel;
    },
  },

  Gemm: {
    inputs: [2, 3],
    outputs: 1,
    attrs: ['alpha', 'beta', 'transA', 'transB', 'broadcast'],
    compile: (a) => {
      const alpha = a.float('alpha', 1),
        beta = a.float('beta', 1);
      const tA = a.int('transA', 0) !== 0,
        tB = a.int('transB', 0) !== 0;
      a.int('broadcast', 1);
      return ([x, y, z], ctx) => {
        const A = floatInput(req(x, 'A'), 'A'),
          B = floatInput(req(y, 'B'), 'B');
        if (A.type !== B.type) fail(`A and B must have the same type, got ${typeName(A.type)} and ${typeName(B.type)}`);
        if (A.dims.length !== 2 || B.dims.length !== 2) fail(`A and B must be 2-D, got ${shapeString(A.dims)} and ${shapeString(B.dims)}`);
        const [M, K] = tA ? [A.dims[1], A.dims[0]] : A.dims;
        const [K2, N] = tB ? [B.dims[1], B.dims[0]] : B.dims;
        if (K !== K2) fail(`A${tA ? 'ᵀ' : ''} ${shapeString(tA ? [M, K] : A.dims)} and B${tB ? 'ᵀ' : ''} ${shapeString([K2, N])} do not multiply (${K} ≠ ${K2})`);
        const out = alloc(ctx, A.type, [M, N]);
        let b = 0;
        if (z && beta !== 0) {
          const C = z;
          if (C.type !== A.type) fail(`C must have A's type ${typeName(A.type)}, got ${typeName(C.type)}`);
          const bd = broadcastDims([M, N], C.dims);
          if (!bd || bd.length !== 2 || bd[0] !== M || bd[1] !== N) fail(`C of shape ${shapeString(C.dims)} does not broadcast to [${M}, ${N}]`);
          out.data.set(broadcastTo(ctx, C, [M, N]));
          if (beta !== 1) for (let i = 0; i < out.data.length; i++) out.data[i] *= beta;
          b = 1;
        }
        gemmInto(tA, tB, M, N, K, alpha, A.data, 0, B.data, 0, b, out.data, 0);
        return [out];
      };
    },
  },

  MatMul: {
    inputs: [2, 2],
    outputs: 1,
    attrs: [],
    compile:
      () =>
      ([x, y], ctx) => {
        const A = floatInput(req(x, 'A'), 'A'),
          B = floatInput(req(y, 'B'), 'B');
        if (A.type !== B.type) fail(`A and B must have the same type, got ${typeName(A.type)} and ${typeName(B.type)}`);
        if (A.dims.length === 0 || B.dims.length === 0) fail(`inputs must have at least one dimension, got ${shapeString(A.dims)} and ${shapeString(B.dims)}`);
        // NumPy's matmul: 1-D A is a row, 1-D B a column (removed from the result); leading dims broadcast.
        const ad = A.dims.length === 1 ? [1, A.dims[0]] : A.dims;
        const bd = B.dims.length === 1 ? [B.dims[0], 1] : B.dims;
        const M = ad[ad.length - 2],
          K = ad[ad.length - 1],
          K2 = bd[bd.length - 2],
          N = bd[bd.length - 1];
        if (K !== K2) fail(`shapes ${shapeString(A.dims)} and ${shapeString(B.dims)} do not multiply (${K} ≠ ${K2})`);
        const batch = broadcastDims(ad.slice(0, -2), bd.slice(0, -2)) ?? fail(`batch dimensions of ${shapeString(A.dims)} and ${shapeString(B.dims)} do not broadcast`);
        const dims = [...batch, ...(A.dims.length === 1 ? [] : [M]), ...(B.dims.length === 1 ? [] : [N])];
        const out = alloc(ctx, A.type, dims);
        const nb = count(batch);
        if (nb === 0) return [out];
        const aStr = broadcastStrides(ad.slice(0, -2), batch),
          bStr = broadcastStrides(bd.slice(0, -2), batch);
        const aOffs = new Float64Array(nb),
          bOffs = new Float64Array(nb);
        stridedCopy(
          Float64Array.from({ length: count(ad.slice(0, -2)) }, (_, i) => i * M * K),
          0,
          batch,
          aStr,
          aOffs,
        );
        stridedCopy(
          Float64Array.from({ length: count(bd.slice(0, -2)) }, (_, i) => i * K * N),
          0,
          batch,
          bStr,
          bOffs,
        );
        // Without batch broadcasting on B (the usual x·W), all of A's rows go through one product.
        if (count(bd.slice(0, -2)) === 1) gemmInto(false, false, nb * M, N, K, 1, A.data, 0, B.data, 0, 0, out.data, 0);
        else for (let i = 0; i < nb; i++) gemmInto(false, false, M, N, K, 1, A.data, aOffs[i], B.data, bOffs[i], 0, out.data, i * M * N);
        return [out];
      },
  },

  Add: binary('Add', (a, b) => a + b),
  Sub: binary('Sub', (a, b) => a - b),
  Mul: binary('Mul', (a, b) => a * b),
  Div: binary(
    'Div',
    (a, b) => a / b,
    (a, b) => (b === 0 ? fail('integer division by zero') : Math.trunc(a / b)),
  ),

  Relu: { inputs: [1, 1], outputs: 1, attrs: [], compile: unary((x) => (x > 0 ? x : 0)) },
  Tanh: { inputs: [1, 1], outputs: 1, attrs: [], compile: unary(Math.tanh) },
  Sigmoid: { inputs: [1, 1], outputs: 1, attrs: [], compile: unary((x) => 1 / (1 + Math.exp(-x))) },
  Exp: { inputs: [1, 1], outputs: 1, attrs: [], compile: unary(Math.exp) },
  Log: { inputs: [1, 1], outputs: 1, attrs: [], compile: unary(Math.log) },
  Sqrt: { inputs: [1, 1], outputs: 1, attrs: [], compile: unary(Math.sqrt) },
  Neg: { inputs: [1, 1], outputs: 1, attrs: [], compile: unary((x) => -x, false) },
  Abs: { inputs: [1, 1], outputs: 1, attrs: [], compile: unary(Math.abs, false) },
  LeakyRelu: {
    inputs: [1, 1],
    outputs: 1,
    attrs: ['alpha'],
    compile: (a, opset, what) => {
      const alpha = a.float('alpha', 0.01);
      return unary((x) => (x >= 0 ? x : alpha * x))(a, opset, what);
    },
  },
  HardSigmoid: {
    inputs: [1, 1],
    outputs: 1,
    attrs: ['alpha', 'beta'],
    compile: (a, opset, what) => {
      const alpha = a.float('alpha', 0.2),
        beta = a.float('beta', 0.5);
      return unary((x) => Math.max(0, Math.min(1, alpha * x + beta)))(a, opset, what);
    },
  },
  Softmax: softmaxOp(false),
  LogSoftmax: softmaxOp(true),

  Identity: {
    inputs: [1, 1],
    outputs: 1,
    attrs: [],
    compile:
      () =>
      ([x]) => [req(x, 'input')],
  },

  Dropout: {
    inputs: [1, 3],
    outputs: 2,
    attrs: ['ratio', 'seed', 'is_test'],
    compile: (a) => {
      a.float('ratio', 0.5);
      a.int('seed', 0);
      if (a.int('is_test', 1) === 0) fail('Dropout with is_test = 0 (training) is not supported; export the model in inference mode', 'UNSUPPORTED');
      return ([x, , training], ctx, wanted) => {
        const v = req(x, 'data');
        if (training && training.data.length > 0 && training.data[0] !== 0) fail('training_mode = true is not supported; run the model for inference', 'UNSUPPORTED');
        if (!wanted[1]) return [v, null];
        const mask = alloc(ctx, DT.BOOL, v.dims);
        mask.data.fill(1);
        return [v, mask];
      };
    },
  },

  Gather: {
    inputs: [2, 2],
    outputs: 1,
    attrs: ['axis'],
    compile: (a) => {
      const axisAttr = a.int('axis', 0);
      return ([x, y], ctx) => {
        const data = req(x, 'data'),
          idx = req(y, 'indices');
        if (!isInt(idx.type)) fail(`indices must be INT32 or INT64, got ${typeName(idx.type)}`);
        if (data.dims.length === 0) fail('data must have at least one dimension, got a scalar');
        const axis = normAxis(axisAttr, data.dims.length, 'axis');
        const s = data.dims[axis];
        const outer = count(data.dims.slice(0, axis)),
          inner = count(data.dims.slice(axis + 1));
        const dims = [...data.dims.slice(0, axis), ...idx.dims, ...data.dims.slice(axis + 1)];
        for (let i = 0; i < idx.data.length; i++) {
          const k = idx.data[i];
          if (!(k >= -s && k < s)) fail(`indices[${i}] = ${k} is out of range for axis ${axis} of size ${s} (data ${shapeString(data.dims)})`);
        }
        const out = alloc(ctx, data.type, dims);
        const m = idx.data.length;
        for (let p = 0; p < outer; p++) {
          for (let i = 0; i < m; i++) {
            const k = idx.data[i] < 0 ? idx.data[i] + s : idx.data[i];
            const src = (p * s + k) * inner;
            out.data.set(data.data.subarray(src, src + inner), (p * m + i) * inner);
          }
        }
        return [out];
      };
    },
  },

  Transpose: {
    inputs: [1, 1],
    outputs: 1,
    attrs: ['perm'],
    compile: (a) => {
      const perm = a.ints('perm');
      if (perm && (perm.some((p) => !Number.isInteger(p) || p < 0 || p >= perm.length) || new Set(perm).size !== perm.length)) {
        fail(`perm [${perm.join(', ')}] is not a permutation of 0…${perm.length - 1}`, 'INVALID_FILE');
      }
      return ([x], ctx) => {
        const v = req(x, 'data');
        const r = v.dims.length;
        const p = perm ?? Array.from({ length: r }, (_, i) => r - 1 - i);
        if (p.length !== r) fail(`perm [${p.join(', ')}] has ${p.length} axes but the input ${shapeString(v.dims)} has ${r}`);
        const dims = p.map((i) => v.dims[i]);
        const st = stridesOf(v.dims);
        const out = alloc(ctx, v.type, dims);
        stridedCopy(
          v.data,
          0,
          dims,
          p.map((i) => st[i]),
          out.data,
        );
        return [out];
      };
    },
  },

  Reshape: {
    inputs: [1, 2],
    outputs: 1,
    attrs: ['allowzero', 'shape', 'consumed_inputs'],
    compile: (a) => {
      const allowZero = a.int('allowzero', 0) !== 0;
      const shapeAttr = a.ints('shape');
      return ([x, s]) => {
        const v = req(x, 'data');
        const want = s ? intList(s, 'shape') : (shapeAttr ?? fail('input shape is required'));
        let infer = -1,
          known = 1;
        const dims = want.map((d, i) => {
          if (d === -1) {
            if (infer >= 0) fail(`shape [${want.join(', ')}] has more than one -1`);
            infer = i;
            return -1;
          }
          if (d === 0 && !allowZero) {
            if (i >= v.dims.length) fail(`shape [${want.join(', ')}] copies dimension ${i} (0) but the input ${shapeString(v.dims)} has only ${v.dims.length}`);
            d = v.dims[i];
          }
          if (!Number.isInteger(d) || d < 0) fail(`shape [${want.join(', ')}] has an invalid dimension ${d}`);
          known *= d;
          return d;
        });
        const n = v.data.length;
        if (infer >= 0) {
          if (known === 0 || n % known !== 0) fail(`cannot reshape ${shapeString(v.dims)} (${n} elements) to [${want.join(', ')}]`);
          dims[infer] = n / known;
        } else if (known !== n) fail(`cannot reshape ${shapeString(v.dims)} (${n} elements) to ${shapeString(dims)} (${known} elements)`);
        return [reshapeTo(v, dims)];
      };
    },
  },

  Flatten: {
    inputs: [1, 1],
    outputs: 1,
    attrs: ['axis'],
    compile: (a) => {
      const axisAttr = a.int('axis', 1);
      return ([x]) => {
        const v = req(x, 'input');
        const r = v.dims.length;
        if (axisAttr < -r || axisAttr > r) fail(`axis ${axisAttr} is out of range for rank ${r} (expected ${-r}…${r})`);
        const axis = axisAttr < 0 ? axisAttr + r : axisAttr;
        return [reshapeTo(v, [count(v.dims.slice(0, axis)), count(v.dims.slice(axis))])];
      };
    },
  },

  Squeeze: {
    inputs: [1, 2],
    outputs: 1,
    attrs: ['axes'],
    compile: (a) => {
      const attr = a.ints('axes');
      return ([x, ax]) => {
        const v = req(x, 'data');
        const r = v.dims.length;
        const axes = axesOf(attr, ax);
        let drop: Set<number>;
        if (axes === null) drop = new Set(v.dims.flatMap((d, i) => (d === 1 ? [i] : [])));
        else {
          drop = new Set(axes.map((k) => normAxis(k, r, 'axis')));
          for (const k of drop) if (v.dims[k] !== 1) fail(`cannot squeeze axis ${k} of ${shapeString(v.dims)}: its size is ${v.dims[k]}, not 1`);
        }
        return [
          reshapeTo(
            v,
            v.dims.filter((_, i) => !drop.has(i)),
          ),
        ];
      };
    },
  },

  Unsqueeze: {
    inputs: [1, 2],
    outputs: 1,
    attrs: ['axes'],
    compile: (a) => {
      const attr = a.ints('axes');
      return ([x, ax]) => {
        const v = req(x, 'data');
        const axes = axesOf(attr, ax) ?? fail('axes are required');
        const r = v.dims.length + axes.length;
        const at = new Set(axes.map((k) => normAxis(k, r, 'axis')));
        if (at.size !== axes.length) fail(`axes [${axes.join(', ')}] repeat an axis`);
        const dims: number[] = [];
        let j = 0;
        for (let i = 0; i < r; i++) dims.push(at.has(i) ? 1 : v.dims[j++]);
        return [reshapeTo(v, dims)];
      };
    },
  },

  Concat: {
    inputs: [1, Number.POSITIVE_INFINITY],
    outputs: 1,
    attrs: ['axis'],
    compile: (a) => {
      const axisAttr = a.int('axis') ?? fail('attribute axis is required', 'INVALID_FILE');
      return (inputs, ctx) => {
        const vs = inputs.map((v, i) => req(v, `#${i}`));
        const first = vs[0];
        const r = first.dims.length;
        if (r === 0) fail('inputs must have at least one dimension');
        const axis = normAxis(axisAttr, r, 'axis');
        let total = 0;
        for (const [i, v] of vs.entries()) {
          if (v.type !== first.type) fail(`input #${i} has type ${typeName(v.type)}, input #0 ${typeName(first.type)}`);
          if (v.dims.length !== r || v.dims.some((d, k) => k !== axis && d !== first.dims[k])) {
            fail(`input #${i} of shape ${shapeString(v.dims)} does not match input #0 ${shapeString(first.dims)} outside axis ${axis}`);
          }
          total += v.dims[axis];
        }
        const dims = first.dims.slice();
        dims[axis] = total;
        const out = alloc(ctx, first.type, dims);
        const outer = count(dims.slice(0, axis)),
          inner = count(dims.slice(axis + 1));
        let off = 0;
        for (const v of vs) {
          const len = v.dims[axis] * inner;
          for (let p = 0; p < outer; p++) out.data.set(v.data.subarray(p * len, (p + 1) * len), p * total * inner + off);
          off += len;
        }
        return [out];
      };
    },
  },

  Slice: {
    inputs: [1, 5],
    outputs: 1,
    attrs: ['starts', 'ends', 'axes'],
    compile: (a) => {
      const aStarts = a.ints('starts'),
        aEnds = a.ints('ends'),
        aAxes = a.ints('axes');
      return ([x, s, e, ax, st], ctx) => {
        const v = req(x, 'data');
        const r = v.dims.length;
        const starts = s ? intList(s, 'starts') : (aStarts ?? fail('starts are required'));
        const ends = e ? intList(e, 'ends') : (aEnds ?? fail('ends are required'));
        const axes = ax ? intList(ax, 'axes') : (aAxes ?? starts.map((_, i) => i));
        const steps = st ? intList(st, 'steps') : starts.map(() => 1);
        if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
          fail(`starts, ends, axes and steps must have the same length, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
        }
        const begin = v.dims.map(() => 0),
          step = v.dims.map(() => 1),
          dims = v.dims.slice();
        const seen = new Set<number>();
        axes.forEach((axRaw, i) => {
          const k = normAxis(axRaw, r, 'axis');
          if (seen.has(k)) fail(`axis ${k} is sliced twice`);
          seen.add(k);
          const d = v.dims[k],
            p = steps[i];
          if (p === 0 || !Number.isInteger(p)) fail(`steps must be non-zero integers, got ${p}`);
          let b = starts[i] < 0 ? starts[i] + d : starts[i];
          let t = ends[i] < 0 ? ends[i] + d : ends[i];
          if (p > 0) {
            b = Math.min(Math.max(b, 0), d);
            t = Math.min(Math.max(t, 0), d);
          } else {
            b = Math.min(Math.max(b, 0), d - 1);
            t = Math.min(Math.max(t, -1), d - 1);
          }
          begin[k] = b;
          step[k] = p;
          dims[k] = Math.max(0, Math.ceil((t - b) / p));
        });
        const str = stridesOf(v.dims);
        const out = alloc(ctx, v.type, dims);
        if (out.data.length > 0)
          stridedCopy(
            v.data,
            begin.reduce((acc, b, k) => acc + b * str[k], 0),
            dims,
            str.map((q, k) => q * step[k]),
            out.data,
          );
        return [out];
      };
    },
  },

  Cast: {
    inputs: [1, 1],
    outputs: 1,
    attrs: ['to', 'saturate'],
    compile: (a) => {
      const to = a.int('to') ?? fail('attribute to is required', 'INVALID_FILE');
      a.int('saturate', 1);
      if (!CAST_TARGETS.has(to)) fail(`casting to ${typeName(to)} is not supported; supported: ${[...CAST_TARGETS].map(typeName).join(', ')}`, 'UNSUPPORTED');
      return ([x], ctx) => {
        const v = req(x, 'input');
        if (v.type === to) return [v];
        const out = alloc(ctx, to, v.dims);
        const d = v.data,
          o = out.data;
        if (to === DT.BOOL) for (let i = 0; i < d.length; i++) o[i] = d[i] !== 0 ? 1 : 0;
        else if (isInt(to)) for (let i = 0; i < d.length; i++) o[i] = wrapInt(Math.trunc(d[i]), to);
        else o.set(d);
        return [out];
      };
    },
  },

  Shape: {
    inputs: [1, 1],
    outputs: 1,
    attrs: ['start', 'end'],
    compile: (a) => {
      const start = a.int('start', 0),
        end = a.int('end');
      return ([x]) => {
        const v = req(x, 'data');
        const r = v.dims.length;
        const clamp = (k: number) => Math.min(Math.max(k < 0 ? k + r : k, 0), r);
        const dims = v.dims.slice(clamp(start), end === null ? r : clamp(end));
        return [{ type: DT.INT64, dims: [dims.length], data: Float64Array.from(dims) }];
      };
    },
  },

  Size: {
    inputs: [1, 1],
    outputs: 1,
    attrs: [],
    compile:
      () =>
      ([x]) => [scalarOf(DT.INT64, req(x, 'data').data.length)],
  },

  Constant: {
    inputs: [0, 0],
    outputs: 1,
    attrs: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings', 'sparse_value'],
    compile: (a, _opset, what) => {
      let v: Val | null = null;
      const set = (x: Val) => {
        if (v) fail('more than one value attribute', 'INVALID_FILE');
        v = x;
      };
      const t = a.tensor('value');
      if (t) set(valFromOnnx(tensorFromOnnx(t), what, 'INVALID_FILE'));
      if (a.has('value_float')) set(scalarOf(DT.FLOAT, a.float('value_float', 0)));
      const fs = a.floats('value_floats');
      if (fs) set({ type: DT.FLOAT, dims: [fs.length], data: Float32Array.from(fs) });
      const i = a.int('value_int');
      if (i !== null) set(scalarOf(DT.INT64, i));
      const is = a.ints('value_ints');
      if (is) set({ type: DT.INT64, dims: [is.length], data: Float64Array.from(is) });
      if (a.has('value_string') || a.has('value_strings')) fail('string constants are not supported', 'UNSUPPORTED');
      if (a.has('sparse_value')) fail('sparse constants are not supported', 'UNSUPPORTED');
      const value: Val = v ?? fail('no value attribute', 'INVALID_FILE');
      return () => [value];
    },
  },

  ConstantOfShape: {
    inputs: [1, 1],
    outputs: 1,
    attrs: ['value'],
    compile: (a, _opset, what) => {
      const t = a.tensor('value');
      const value = t ? valFromOnnx(tensorFromOnnx(t), `${what}: value`, 'INVALID_FILE') : scalarOf(DT.FLOAT, 0);
      if (value.data.length !== 1) fail(`value must hold one element, got shape ${shapeString(value.dims)}`, 'INVALID_FILE');
      return ([s], ctx) => {
        const dims = intList(req(s, 'input'), 'input');
        if (dims.some((d) => !Number.isInteger(d) || d < 0)) fail(`shape [${dims.join(', ')}] has a negative dimension`);
        const out = alloc(ctx, value.type, dims);
        out.data.fill(value.data[0]);
        return [out];
      };
    },
  },

  Expand: {
    inputs: [2, 2],
    outputs: 1,
    attrs: [],
    compile:
      () =>
      ([x, s], ctx) => {
        const v = req(x, 'input');
        const want = intList(req(s, 'shape'), 'shape');
        if (want.some((d) => !Number.isInteger(d) || d < 0)) fail(`shape [${want.join(', ')}] has a negative dimension`);
        const dims = broadcastDims(v.dims, want) ?? fail(`input ${shapeString(v.dims)} does not broadcast to [${want.join(', ')}]`);
        const out = alloc(ctx, v.type, dims);
        stridedCopy(v.data, 0, dims, broadcastStrides(v.dims, dims), out.data);
        return [out];
      },
  },
};

/** The operator types {@link importOnnx} runs (default ONNX domain). */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(OPS).sort();

// ---------------------------------------------------------------------------
// The importer
// ---------------------------------------------------------------------------

interface Step {
  index: number;
  what: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  kernel: Kernel;
}

function describeValueInfo(v: OnnxTypes.IValueInfoProto, what: string): OnnxValueDescription {
  const name = v.name ?? '';
  const tt = v.type?.tensorType;
  if (v.type && !tt) throw new GruError('UNSUPPORTED', `${what} '${name}' is not a tensor (sequence, map and optional values are not supported)`);
  const type = tt?.elemType ? typeName(tt.elemType) : '';
  const shape = tt?.shape
    ? (tt.shape.dim ?? []).map((d): number | string | null => {
        if (d.dimValue != null) {
          const n = int64(d.dimValue);
          if (!Number.isSafeInteger(n) || n < 0) throw new GruError('INVALID_FILE', `${what} '${name}': dimension ${String(d.dimValue)} is not a size`);
          return n;
        }
        return d.dimParam ? d.dimParam : null;
      })
    : null;
  return { name, type, shape };
}

function nodeWhat(node: OnnxTypes.INodeProto, index: number): string {
  return `importOnnx: node #${index}${node.name ? ` '${node.name}'` : ''} (${node.opType || '?'})`;
}

/**
 * Imports a whole ONNX model (the bytes of a .onnx file) as a runnable graph.
 *
 * Operators (default domain): GRU (any number of nodes; forward, reverse and
 * bidirectional; linear_before_reset 0 and 1; layout 0 and 1; sequence_lens;
 * initial_h), Gemm, MatMul, Add, Sub, Mul, Div, Gather, Transpose, Reshape,
 * Flatten, Squeeze, Unsqueeze, Concat, Slice, Identity, Dropout (inference),
 * Cast, Shape, Size, Constant, ConstantOfShape, Expand, and the activations
 * Relu, LeakyRelu, Tanh, Sigmoid, HardSigmoid, Softmax, LogSoftmax, Exp, Log,
 * Sqrt, Neg, Abs. The list is {@link SUPPORTED_ONNX_OPS}.
 *
 * The parts of the graph that depend on constants only (weights, Constant
 * nodes, Shape of inputs whose shape the model fixes) are computed once, here.
 *
 * @example
 * ```ts
 * const m = importOnnx(bytes);                 // e.g. exportGruToOnnx(gru), or torch.onnx.export's file
 * m.inputs;                                    // [{ name: 'input', type: 'FLOAT', shape: ['T', 'B', 8] }]
 * const { output, hN } = m.run({ input: x });  // Tensors
 * ```
 * @throws a {@link GruError}: 'INVALID_FILE' for bytes that are not an ONNX
 *   model, names no node, initializer or input defines, names defined twice,
 *   cycles, malformed attributes or tensors, and constant parts that do not
 *   fit together; 'UNSUPPORTED' for operators (named with the node's name and
 *   index), domains, attributes and element types this importer does not handle.
 */
export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): OnnxGraphModel {
  const maxElements = options.maxElements ?? 2 ** 27;
  if (!(Number.isSafeInteger(maxElements) && maxElements > 0)) throw new GruError('INVALID_ARGUMENT', `importOnnx: maxElements must be a positive integer, got ${String(options.maxElements)}`);
  const ctx: Ctx = { maxElements };
  if (!(bytes instanceof Uint8Array)) throw new GruError('INVALID_ARGUMENT', `importOnnx: expected the model as a Uint8Array, got ${typeof bytes}`);
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new GruError('INVALID_FILE', `importOnnx: could not decode ${bytes.length} bytes as an ONNX model (onnx.ModelProto): ${(e as Error).message}; expected the contents of a .onnx file`);
  }
  const graph = model.graph;
  if (!graph || ((graph.node ?? []).length === 0 && (graph.output ?? []).length === 0)) {
    throw new GruError('INVALID_FILE', `importOnnx: ${bytes.length} bytes decoded to no ONNX graph; expected the contents of a .onnx file`);
  }
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opset) throw new GruError('INVALID_FILE', 'importOnnx: the model imports no opset of the default ONNX domain');
  const opsetVersion = int64(opset.version ?? 0);
  if (!Number.isSafeInteger(opsetVersion) || opsetVersion < 1) throw new GruError('INVALID_FILE', `importOnnx: opset version ${String(opset.version)} is not a version`);
  if ((graph.sparseInitializer ?? []).length > 0) throw new GruError('UNSUPPORTED', 'importOnnx: sparse initializers are not supported');

  // Names: initializers, graph inputs, node outputs — each defined once.
  const defined = new Map<string, string>(); // name → what defines it, for messages
  const define = (name: string, by: string) => {
    const before = defined.get(name);
    if (before !== undefined) throw new GruError('INVALID_FILE', `importOnnx: '${name}' is defined twice (by ${before} and by ${by}); an ONNX graph assigns each name once`);
    defined.set(name, by);
  };
  const initializers = new Map<string, Val>();
  for (const init of graph.initializer ?? []) {
    const name = init.name ?? '';
    if (!name) throw new GruError('INVALID_FILE', 'importOnnx: an initializer has no name');
    if (initializers.has(name)) throw new GruError('INVALID_FILE', `importOnnx: initializer '${name}' is given twice`);
    initializers.set(name, valFromOnnx(tensorFromOnnx(init), `importOnnx: initializer '${name}'`, 'INVALID_FILE'));
  }
  const graphInputs = (graph.input ?? []).map((v) => describeValueInfo(v, 'importOnnx: graph input'));
  const inputTypes = new Map<string, OnnxValueDescription>();
  for (const gi of graphInputs) {
    if (!gi.name) throw new GruError('INVALID_FILE', 'importOnnx: a graph input has no name');
    if (inputTypes.has(gi.name)) throw new GruError('INVALID_FILE', `importOnnx: graph input '${gi.name}' is declared twice`);
    inputTypes.set(gi.name, gi);
  }
  for (const name of initializers.keys()) define(name, `initializer '${name}'`);
  for (const gi of graphInputs) if (!initializers.has(gi.name)) define(gi.name, `graph input '${gi.name}'`);

  // Nodes: known operators, their attributes compiled, input and output counts checked.
  const nodes = graph.node ?? [];
  const steps: Step[] = nodes.map((node, index) => {
    const what = nodeWhat(node, index);
    const opType = node.opType ?? '';
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new GruError('UNSUPPORTED', `${what}: operator domain '${node.domain}' is not supported (only the default ONNX domain)`);
    }
    const def = Object.hasOwn(OPS, opType) ? OPS[opType] : undefined;
    if (!def) {
      throw new GruError('UNSUPPORTED', `${what}: op type '${opType}' is not supported; supported: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    }
    const inputs = (node.input ?? []).slice();
    const outputs = (node.output ?? []).slice();
    // Trailing empty names are omitted optional inputs.
    while (inputs.length > 0 && inputs[inputs.length - 1] === '') inputs.pop();
    if (inputs.length < def.inputs[0] || inputs.length > def.inputs[1]) {
      const want = def.inputs[0] === def.inputs[1] ? `${def.inputs[0]}` : def.inputs[1] === Number.POSITIVE_INFINITY ? `at least ${def.inputs[0]}` : `${def.inputs[0]} to ${def.inputs[1]}`;
      throw new GruError('INVALID_FILE', `${what}: takes ${want} inputs, got ${inputs.length}`);
    }
    for (let i = 0; i < def.inputs[0]; i++) if (!inputs[i]) throw new GruError('INVALID_FILE', `${what}: input #${i} is required but has no name`);
    if (outputs.length < 1 || outputs.length > def.outputs) throw new GruError('INVALID_FILE', `${what}: has ${outputs.length} outputs, expected 1${def.outputs > 1 ? ` to ${def.outputs}` : ''}`);
    let kernel: Kernel;
    try {
      kernel = def.compile(new Attrs(node, what, def.attrs), opsetVersion, what);
    } catch (e) {
      if (e instanceof OpError) throw new GruError(e.code ?? 'INVALID_FILE', `${what}: ${e.message}`);
      throw e;
    }
    for (const o of outputs) if (o) define(o, `node #${index}${node.name ? ` '${node.name}'` : ''}`);
    return { index, what, opType, inputs, outputs, kernel };
  });
  for (const s of steps) {
    for (const name of s.inputs) {
      if (name && !defined.has(name)) throw new GruError('INVALID_FILE', `${s.what}: reads '${name}', which no node, initializer or graph input defines`);
    }
  }
  const outputs = (graph.output ?? []).map((v) => describeValueInfo(v, 'importOnnx: graph output'));
  for (const o of outputs) if (!defined.has(o.name)) throw new GruError('INVALID_FILE', `importOnnx: graph output '${o.name}' is not defined by any node, initializer or graph input`);

  // Topological order (Kahn); what is left over lies on a cycle.
  const producer = new Map<string, Step>();
  for (const s of steps) for (const o of s.outputs) if (o) producer.set(o, s);
  const waiting = new Map<Step, number>();
  const readers = new Map<Step, Step[]>();
  for (const s of steps) {
    const deps = new Set(s.inputs.filter((n) => n && producer.has(n)).map((n) => producer.get(n)!));
    waiting.set(s, deps.size);
    for (const d of deps) readers.set(d, [...(readers.get(d) ?? []), s]);
  }
  const order: Step[] = [];
  const ready = steps.filter((s) => waiting.get(s) === 0);
  while (ready.length > 0) {
    const s = ready.shift()!;
    order.push(s);
    for (const r of readers.get(s) ?? []) {
      const left = waiting.get(r)! - 1;
      waiting.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  if (order.length < steps.length) {
    const stuck = steps.filter((s) => waiting.get(s)! > 0);
    throw new GruError(
      'INVALID_FILE',
      `importOnnx: the graph has a cycle through ${stuck
        .slice(0, 8)
        .map((s) => s.what.replace('importOnnx: ', ''))
        .join(', ')}${stuck.length > 8 ? `, … (${stuck.length} nodes)` : ''}`,
    );
  }

  // Only what the outputs need runs.
  const needed = new Set<Step>();
  const want = outputs.map((o) => o.name);
  while (want.length > 0) {
    const s = producer.get(want.pop()!);
    if (!s || needed.has(s)) continue;
    needed.add(s);
    want.push(...s.inputs.filter((n) => n));
  }

  // Fold what depends on constants alone: initializers (unless they double as graph inputs, which feeds may replace),
  // and the shapes of graph inputs whose shape the model fixes (feeds are checked against it).
  const constants = new Map<string, Val>();
  for (const [k, v] of initializers) if (!inputTypes.has(k)) constants.set(k, v);
  const fixedShapes = new Map<string, number[]>();
  for (const gi of graphInputs) if (!initializers.has(gi.name) && gi.shape && gi.shape.every((d) => typeof d === 'number')) fixedShapes.set(gi.name, gi.shape as number[]);
  const exec = (s: Step, vals: (Val | null)[], code: GruErrorCode): (Val | null)[] => {
    try {
      return s.kernel(
        vals,
        ctx,
        s.outputs.map((o) => o !== ''),
      );
    } catch (e) {
      if (e instanceof OpError) throw new GruError(e.code ?? code, `${s.what}: ${e.message}`);
      if (e instanceof GruError) throw new GruError(e.code === 'INVALID_ARGUMENT' ? code : e.code, `${s.what}: ${e.message}`, { cause: e });
      throw e;
    }
  };
  const plan: Step[] = [];
  for (const s of order) {
    if (!needed.has(s)) continue;
    let vals: (Val | null)[] | null = s.inputs.map((n) => (n ? (constants.get(n) ?? null) : null));
    if (s.opType === 'Shape' && fixedShapes.has(s.inputs[0])) {
      // Shape reads only the dims: a stand-in of that shape, holding nothing, is enough.
      const dims = fixedShapes.get(s.inputs[0])!;
      vals = [{ type: DT.FLOAT, dims, data: new Float32Array(0) }];
    } else if (s.inputs.some((n, i) => n && vals![i] === null)) vals = null;
    if (vals && s.opType !== 'GRU') {
      const outs = exec(s, vals, 'INVALID_FILE');
      s.outputs.forEach((o, i) => {
        if (o && outs[i]) constants.set(o, outs[i]!);
      });
      continue;
    }
    plan.push(s);
  }

  // GRU nodes: modules built now from constant weights, so weights that do not fit fail here.
  const grus: OnnxGraphGru[] = [];
  for (const s of steps) {
    if (s.opType !== 'GRU') continue;
    const g = gruNodes.get(s.kernel)!;
    const [W, R, B] = [1, 2, 3].map((i) => (s.inputs[i] ? (constants.get(s.inputs[i]) ?? null) : null));
    if (W && R && (B || !s.inputs[3])) {
      try {
        for (const [v, n] of [
          [W, 'W'],
          [R, 'R'],
          [B, 'B'],
        ] as const)
          if (v && !isFloat(v.type)) throw new OpError(`${n} must be FLOAT or DOUBLE, got ${typeName(v.type)}`, 'INVALID_FILE');
        g.gru = gruFromOnnxWeights({
          W: asTensor(W),
          R: asTensor(R),
          B: B ? asTensor(B) : null,
          hiddenSize: g.hiddenSize,
          // 'reverse' runs a forward module on reversed sequences (runOnnxGru does the reversing).
          direction: g.direction === 'reverse' ? 'forward' : g.direction,
          linearBeforeReset: g.linearBeforeReset,
          layout: g.layout,
        });
      } catch (e) {
        if (e instanceof OpError || e instanceof GruError) throw new GruError(e instanceof GruError && e.code === 'UNSUPPORTED' ? 'UNSUPPORTED' : 'INVALID_FILE', `${s.what}: ${e.message}`);
        throw e;
      }
    }
    grus.push({ node: nodes[s.index].name ?? '', index: s.index, gru: g.gru, direction: g.direction, linearBeforeReset: g.linearBeforeReset, layout: g.layout });
  }

  // Liveness: drop each intermediate after its last reader.
  const lastUse = new Map<string, number>();
  plan.forEach((s, i) => {
    for (const n of s.inputs) if (n) lastUse.set(n, i);
  });
  const outputNames = new Set(outputs.map((o) => o.name));

  const ops: Record<string, number> = {};
  for (const s of steps) ops[s.opType] = (ops[s.opType] ?? 0) + 1;
  const runInputs = graphInputs.filter((gi) => !initializers.has(gi.name));
  // Results that hold a constant's data are copied, so a caller writing to them cannot change the model.
  const constantData = new Set<ArrayBufferView>([...constants.values()].map((v) => v.data));

  const run = (feeds: Record<string, OnnxFeed> | Map<string, OnnxFeed>): Record<string, Tensor> => {
    if (feeds === null || typeof feeds !== 'object') throw new GruError('INVALID_ARGUMENT', `run: expected feeds as an object of tensors by input name, got ${feeds === null ? 'null' : typeof feeds}`);
    const given = feeds instanceof Map ? feeds : new Map(Object.entries(feeds));
    const env = new Map<string, Val>(constants);
    const symbols = new Map<string, { size: number; by: string }>();
    for (const [name, feed] of given) {
      const info = inputTypes.get(name);
      if (!info) throw new GruError('INVALID_ARGUMENT', `run: '${name}' is not an input of the model; its inputs: ${runInputs.map((i) => i.name).join(', ') || '(none)'}`);
      env.set(name, feedToVal(feed, info, symbols));
    }
    for (const gi of runInputs) {
      if (!env.has(gi.name) && lastUse.has(gi.name)) throw new GruError('INVALID_ARGUMENT', `run: no value for input '${gi.name}'${describeShape(gi)}`);
    }
    plan.forEach((s, i) => {
      const vals = s.inputs.map((n) => {
        if (!n) return null;
        const v = env.get(n);
        if (!v) throw new GruError('INVALID_ARGUMENT', `${s.what}: no value for '${n}'`);
        return v;
      });
      const outs = exec(s, vals, 'INVALID_ARGUMENT');
      s.outputs.forEach((o, k) => {
        if (o && outs[k]) env.set(o, outs[k]!);
      });
      for (const n of s.inputs) if (n && lastUse.get(n) === i && !outputNames.has(n) && !constants.has(n)) env.delete(n);
    });
    const result: Record<string, Tensor> = {};
    for (const o of outputs) {
      const v = env.get(o.name);
      if (!v) throw new GruError('INVALID_ARGUMENT', `run: graph output '${o.name}' has no value (is it a graph input not fed?)`);
      const data = !isFloat(v.type) ? Float64Array.from(v.data) : constantData.has(v.data) ? v.data.slice() : v.data;
      result[o.name] = new Tensor(data, v.dims);
    }
    return result;
  };

  return { inputs: runInputs, outputs, opsetVersion, producer: model.producerName ?? '', ops, grus, run };
}

function describeShape(d: OnnxValueDescription): string {
  return d.shape ? ` (${d.type || 'tensor'} of shape [${d.shape.map((s) => s ?? '?').join(', ')}])` : '';
}

/** A feed as a value of the input's declared type, its shape checked against the declaration (symbols bound consistently across inputs). */
function feedToVal(feed: OnnxFeed, info: OnnxValueDescription, symbols: Map<string, { size: number; by: string }>): Val {
  const what = `run: input '${info.name}'`;
  let v: Val;
  if (feed instanceof Tensor) v = valOf(feed);
  else if (feed && typeof feed === 'object' && Array.isArray((feed as OnnxTensor).dims) && ArrayBuffer.isView((feed as OnnxTensor).data)) {
    v = valFromOnnx(feed as OnnxTensor, what, 'INVALID_ARGUMENT');
  } else throw new GruError('INVALID_ARGUMENT', `${what}: expected a Tensor or a decoded ONNX tensor, got ${feed === null ? 'null' : typeof feed}`);
  if (count(v.dims) !== v.data.length) throw new GruError('INVALID_ARGUMENT', `${what}: dims ${shapeString(v.dims)} need ${count(v.dims)} elements, the data holds ${v.data.length}`);
  if (info.shape) {
    if (v.dims.length !== info.shape.length) throw new GruError('INVALID_ARGUMENT', `${what}: expected rank ${info.shape.length}${describeShape(info)}, got shape ${shapeString(v.dims)}`);
    info.shape.forEach((d, i) => {
      if (typeof d === 'number' && v.dims[i] !== d) throw new GruError('INVALID_ARGUMENT', `${what}: expected dimension ${i} to be ${d}${describeShape(info)}, got shape ${shapeString(v.dims)}`);
      if (typeof d === 'string') {
        const b = symbols.get(d);
        if (b && b.size !== v.dims[i]) throw new GruError('INVALID_ARGUMENT', `${what}: dimension ${i} ('${d}') is ${v.dims[i]}, but ${b.by} gave '${d}' = ${b.size}`);
        if (!b) symbols.set(d, { size: v.dims[i], by: `input '${info.name}'` });
      }
    });
  }
  const want = info.type ? (DT as unknown as Record<string, number>)[info.type] : v.type;
  if (want === v.type) return v;
  if (!SUPPORTED_VALUE_TYPES.has(want)) throw new GruError('UNSUPPORTED', `${what}: element type ${info.type} is not supported`);
  // Convert numbers to the declared type: floats freely, integers only when every value is one.
  if (!isFloat(want)) {
    for (let i = 0; i < v.data.length; i++) {
      const x = v.data[i];
      if (!Number.isInteger(x) || (want === DT.BOOL && x !== 0 && x !== 1) || wrapInt(x, want) !== x) {
        throw new GruError('INVALID_ARGUMENT', `${what}: expected ${info.type} values, got ${x} at index ${i}`);
      }
    }
  }
  return { type: want, dims: v.dims, data: want === DT.FLOAT ? Float32Array.from(v.data) : v.type === DT.FLOAT ? Float64Array.from(v.data) : v.data };
}
