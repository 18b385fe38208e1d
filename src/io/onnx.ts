/**
 * ONNX interoperability for the GRU operator: reading `onnx.TensorProto`s,
 * importing a model's GRU node as a {@link GRU} module, running it with
 * ONNX's input and output conventions, and the inverse weight mapping for
 * an exporter.
 *
 * ONNX's GRU (opset 7–22) and PyTorch's nn.GRU compute the same function up
 * to conventions, which is all this module translates:
 *
 * | ONNX                                     | this library (PyTorch names)                 |
 * |------------------------------------------|----------------------------------------------|
 * | gate order z, r, h                       | gate order r, z, n                           |
 * | W [D, 3H, I], R [D, 3H, H]               | weight_ih_l0 [3H, I], weight_hh_l0 [3H, H]   |
 * | B [D, 6H] = [Wb(z,r,h), Rb(z,r,h)]       | bias_ih_l0 [3H], bias_hh_l0 [3H]             |
 * | linear_before_reset 0 / 1                | resetAfter false / true                      |
 * | direction bidirectional (D = 2)          | bidirectional: true (index 1 = `_reverse`)   |
 * | layout 0: X [T, B, I], Y [T, D, B, H]    | batchFirst false: output [T, B, D·H]         |
 * | layout 1: X [B, T, I], Y [B, T, D, H]    | batchFirst true: output [B, T, D·H]          |
 * | sequence_lens                            | forward option `lengths`                     |
 *
 * @module
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { Tensor, allocate, shapeString, type DType, type FloatArray } from '../tensor/tensor.js';
import { GRU } from '../nn/gru.js';
import { GruError, type GruErrorCode } from '../errors.js';

const { onnx } = onnxProto;

// ---------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------

/** The typed arrays an {@link OnnxTensor} may hold, one per supported ONNX element type. */
export type OnnxTensorData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** A decoded `onnx.TensorProto`: name, shape and row-major data. */
export interface OnnxTensor {
  /** The proto's name ("" when it has none). */
  name: string;
  /** ONNX `TensorProto.DataType` number (1 FLOAT, 7 INT64, 11 DOUBLE, …). */
  dataType: number;
  /** The data type's ONNX name, e.g. "FLOAT", for messages. */
  dataTypeName: string;
  /** Dimensions as plain numbers (int64 in the proto). */
  dims: number[];
  /** The elements, row-major; length is the product of `dims`. */
  data: OnnxTensorData;
}

/** Something holding a tensor value: ours, or a decoded ONNX one. */
export type OnnxTensorInput = Tensor | OnnxTensor;

/** Per supported data type: bytes per element, which repeated field holds it when raw_data is absent, and how to read it. */
interface ElementType {
  bytes: number;
  field: 'floatData' | 'doubleData' | 'int32Data' | 'int64Data' | 'uint64Data';
  make: (n: number) => OnnxTensorData;
  read: (view: DataView, offset: number) => number | bigint;
}

// Numbers from onnx.proto's TensorProto.DataType.
const DT = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11, UINT32: 12, UINT64: 13 } as const;

const ELEMENT_TYPES: Record<number, ElementType> = {
  [DT.FLOAT]: { bytes: 4, field: 'floatData', make: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o, true) },
  [DT.DOUBLE]: { bytes: 8, field: 'doubleData', make: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o, true) },
  // onnx.proto: int32_data also carries INT8, UINT8, INT16, UINT16 and BOOL.
  [DT.INT8]: { bytes: 1, field: 'int32Data', make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  [DT.UINT8]: { bytes: 1, field: 'int32Data', make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  [DT.BOOL]: { bytes: 1, field: 'int32Data', make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  [DT.INT16]: { bytes: 2, field: 'int32Data', make: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o, true) },
  [DT.UINT16]: { bytes: 2, field: 'int32Data', make: (n) => new Uint16Array(n), read: (v, o) => v.getUint16(o, true) },
  [DT.INT32]: { bytes: 4, field: 'int32Data', make: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o, true) },
  [DT.INT64]: { bytes: 8, field: 'int64Data', make: (n) => new BigInt64Array(n), read: (v, o) => v.getBigInt64(o, true) },
  // onnx.proto: uint64_data carries UINT32 and UINT64.
  [DT.UINT32]: { bytes: 4, field: 'uint64Data', make: (n) => new Uint32Array(n), read: (v, o) => v.getUint32(o, true) },
  [DT.UINT64]: { bytes: 8, field: 'uint64Data', make: (n) => new BigUint64Array(n), read: (v, o) => v.getBigUint64(o, true) },
};

/** ONNX's name of a data type number, for messages. */
function dataTypeName(t: number): string {
  return (onnx.TensorProto.DataType as unknown as Record<number, string>)[t] ?? `unknown data type ${t}`;
}

const SUPPORTED_TYPES = () =>
  Object.keys(ELEMENT_TYPES)
    .map((k) => dataTypeName(Number(k)))
    .join(', ');

/**
 * An int64 as protobufjs hands it over — a number, or a Long object
 * ({low, high, unsigned}) when the `long` package is installed — as a
 * bigint, so no precision is lost on the way.
 */
function int64ToBigInt(v: unknown, unsigned = false): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new GruError('INVALID_FILE', `expected an integer, got ${v}`);
    b = BigInt(v);
  } else if (typeof v === 'string' && /^-?\d+$/.test(v)) b = BigInt(v);
  else if (v !== null && typeof v === 'object' && typeof (v as { low?: unknown }).low === 'number' && typeof (v as { high?: unknown }).high === 'number') {
    const { low, high } = v as { low: number; high: number };
    b = (BigInt(high) << 32n) | BigInt(low >>> 0);
  } else throw new GruError('INVALID_FILE', `expected a 64-bit integer, got ${String(v)}`);
  return unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
}

/** An int64 that must fit a JS number exactly (a dimension, an attribute). */
function int64ToNumber(v: unknown, what: string): number {
  const b = int64ToBigInt(v);
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new GruError('INVALID_FILE', `${what}: ${b} does not fit a JavaScript number exactly`);
  }
  return Number(b);
}

/**
 * Reads an `onnx.TensorProto` (decoded, or a plain object of the same shape)
 * into dims and a typed array.
 *
 * Data comes from `raw_data` (little-endian, as ONNX specifies) when present,
 * else from the typed field for the data type (`float_data`, `double_data`,
 * `int32_data`, `int64_data`, `uint64_data`). Supported types: FLOAT, DOUBLE,
 * INT8/16/32/64, UINT8/16/32/64, BOOL.
 *
 * @throws a {@link GruError}: 'UNSUPPORTED' if the data type is unsupported
 *   (FLOAT16, STRING, …) or the data is external or segmented; 'INVALID_FILE'
 *   if a dimension is negative or the number of elements present is not the
 *   product of the dims (checked before anything is allocated).
 */
export function tensorFromOnnx(proto: OnnxTypes.ITensorProto): OnnxTensor {
  const name = proto.name ?? '';
  const what = `ONNX tensor${name ? ` '${name}'` : ''}`;
  const dims = (proto.dims ?? []).map((d, i) => {
    const n = int64ToNumber(d, `${what}: dims[${i}]`);
    if (n < 0) throw new GruError('INVALID_FILE', `${what}: dims must be non-negative, got dims[${i}] = ${n}`);
    return n;
  });
  const dataType = proto.dataType ?? 0;
  const type = ELEMENT_TYPES[dataType];
  if (!type) throw new GruError('UNSUPPORTED', `${what}: data type ${dataTypeName(dataType)} (${dataType}) is not supported; expected one of ${SUPPORTED_TYPES()}`);
  if (proto.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const loc = (proto.externalData ?? []).find((e) => e.key === 'location')?.value;
    throw new GruError('UNSUPPORTED', `${what}: its data is stored outside the model${loc ? ` (in '${loc}')` : ''}, which is not supported; save the model with the data inside it`);
  }
  if (proto.segment) throw new GruError('UNSUPPORTED', `${what}: segmented tensors are not supported`);
  // The dims are only a claim: check them against the data actually present before allocating
  // anything, so dims [1e6, 1e6] with 4 bytes of data are refused instead of reserving gigabytes.
  const raw = proto.rawData;
  const values: readonly unknown[] = proto[type.field] ?? [];
  const fieldName = type.field.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (!Number.isSafeInteger(n * type.bytes)) {
      const present = raw && raw.length > 0 ? `${raw.length} bytes of raw_data` : `${values.length} elements in ${fieldName}`;
      throw new GruError('INVALID_FILE', `${what}: dims ${shapeString(dims)} of ${dataTypeName(dataType)} claim more than 2^53 - 1 bytes; the tensor holds ${present}`);
    }
  }
  if (raw && raw.length > 0) {
    if (raw.length !== n * type.bytes) {
      throw new GruError('INVALID_FILE', `${what}: raw_data has ${raw.length} bytes, but dims ${shapeString(dims)} of ${dataTypeName(dataType)} need ${n * type.bytes} (${n} × ${type.bytes})`);
    }
    const data = type.make(n);
    // raw_data is little-endian per onnx.proto; a DataView reads it so on any host and at any byte offset.
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) (data as { [i: number]: number | bigint })[i] = type.read(view, i * type.bytes);
    return { name, dataType, dataTypeName: dataTypeName(dataType), dims, data };
  }
  if (values.length !== n) {
    throw new GruError('INVALID_FILE', `${what}: holds ${values.length} elements (${fieldName}, no raw_data), but dims ${shapeString(dims)} need ${n}`);
  }
  const data = type.make(n);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const unsigned = data instanceof BigUint64Array;
    for (let i = 0; i < n; i++) data[i] = int64ToBigInt(values[i], unsigned);
  } else {
    // uint64_data holds UINT32 as 64-bit numbers (possibly Long objects).
    const conv = type.field === 'uint64Data' ? (v: unknown) => Number(int64ToBigInt(v, true)) : (v: unknown) => Number(v);
    for (let i = 0; i < n; i++) data[i] = conv(values[i]);
  }
  return { name, dataType, dataTypeName: dataTypeName(dataType), dims, data };
}

/**
 * Decodes a serialized `onnx.TensorProto` (e.g. the `input_0.pb` files of
 * ONNX's test data sets) and reads it with {@link tensorFromOnnx}.
 *
 * @throws a {@link GruError} ('INVALID_FILE') naming the input when the bytes are not a TensorProto.
 */
export function decodeOnnxTensor(bytes: Uint8Array): OnnxTensor {
  let proto: OnnxTypes.TensorProto;
  try {
    proto = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new GruError('INVALID_FILE', `decodeOnnxTensor: could not decode ${bytes.length} bytes as an onnx.TensorProto (${(e as Error).message})`);
  }
  return tensorFromOnnx(proto);
}

/**
 * A float {@link OnnxTensor} as a {@link Tensor}; integer types are converted
 * too (exactly, as long as values fit a double). `dtype` defaults to float64
 * for DOUBLE and float32 otherwise.
 */
export function onnxTensorToTensor(t: OnnxTensor, dtype?: DType): Tensor {
  const dt = dtype ?? (t.data instanceof Float64Array ? 'float64' : 'float32');
  const out = allocate(t.data.length, dt);
  for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]);
  return new Tensor(out, t.dims);
}

/** Shape and data of either kind of tensor. */
function view(t: OnnxTensorInput): { dims: readonly number[]; data: ArrayLike<number | bigint>; float: boolean; f64: boolean; typeName: string } {
  if (t instanceof Tensor) return { dims: t.shape, data: t.data, float: true, f64: t.dtype === 'float64', typeName: t.dtype };
  const float = t.data instanceof Float32Array || t.data instanceof Float64Array;
  return { dims: t.dims, data: t.data, float, f64: t.data instanceof Float64Array, typeName: t.dataTypeName };
}

/** A float input (X, W, R, B, initial_h) as our Tensor of the given dtype; integers are refused since ONNX's GRU takes float types only. */
function floatInput(t: OnnxTensorInput, what: string, dtype: DType): Tensor {
  const v = view(t);
  if (!v.float) throw new GruError('INVALID_ARGUMENT', `${what}: expected a FLOAT or DOUBLE tensor, got ${v.typeName}`);
  if (t instanceof Tensor && t.dtype === dtype) return t;
  const out = allocate(v.data.length, dtype);
  for (let i = 0; i < v.data.length; i++) out[i] = Number(v.data[i]);
  return new Tensor(out, v.dims);
}

function expectDims(dims: readonly number[], want: readonly (number | null)[], what: string, names: string): void {
  const ok = dims.length === want.length && want.every((w, i) => w === null || dims[i] === w);
  if (!ok) {
    const wantStr = `[${want.map((w, i) => (w === null ? names.split(',')[i].trim() : String(w))).join(', ')}]`;
    throw new GruError('INVALID_ARGUMENT', `${what}: expected shape ${wantStr}, got ${shapeString(dims)}`);
  }
}

// ---------------------------------------------------------------------------
// Weights: ONNX ↔ PyTorch layout
// ---------------------------------------------------------------------------

/** ONNX's `direction` attribute. */
export type OnnxGruDirection = 'forward' | 'reverse' | 'bidirectional';

/** The attributes of an ONNX GRU node that this library supports. */
export interface OnnxGruAttributes {
  /** hidden_size; `null` when the node omits it (then R's last dimension gives it). */
  hiddenSize: number | null;
  /** direction (default 'forward'). */
  direction: OnnxGruDirection;
  /** linear_before_reset (default 0): 0 ↔ `resetAfter: false`, 1 ↔ `resetAfter: true`. */
  linearBeforeReset: 0 | 1;
  /** layout (default 0): 0 = X [T, B, I]; 1 = X [B, T, I]. */
  layout: 0 | 1;
}

/** ONNX GRU weights W, R and (optionally) B, as ONNX lays them out. */
export interface OnnxGruWeights {
  /** [numDirections, 3H, inputSize], gate blocks z, r, h. */
  W: OnnxTensorInput;
  /** [numDirections, 3H, H], gate blocks z, r, h. */
  R: OnnxTensorInput;
  /** [numDirections, 6H] = [Wb(z, r, h), Rb(z, r, h)]; absent means zero biases (→ `bias: false`). */
  B?: OnnxTensorInput | null;
}

/** Options of {@link gruFromOnnxWeights}. */
export interface GruFromOnnxOptions extends OnnxGruWeights {
  /** Checked against W and R when given. */
  hiddenSize?: number | null;
  /** 'forward' (default) or 'bidirectional'; 'reverse' is rejected (see {@link gruFromOnnxWeights}). */
  direction?: OnnxGruDirection;
  /** 0 (default, ONNX's default) or 1. */
  linearBeforeReset?: 0 | 1;
  /** 1 builds the GRU with `batchFirst: true`, so it takes X as ONNX layout 1 does (default 0). */
  layout?: 0 | 1;
  /** Element type of the module; float64 when W is DOUBLE, else float32. */
  dtype?: DType;
}

/**
 * Reorders the three gate blocks of a [3H, …] matrix (or [3H] vector) between
 * ONNX's (z, r, h) and PyTorch's (r, z, n). The permutation swaps the first
 * two blocks, so it is its own inverse and serves both directions.
 */
function swapGateBlocks(src: ArrayLike<number>, srcOff: number, H: number, cols: number, out: FloatArray, outOff: number): void {
  const block = H * cols;
  for (let i = 0; i < block; i++) {
    out[outOff + i] = src[srcOff + block + i]; // r (ONNX block 1) → block 0
    out[outOff + block + i] = src[srcOff + i]; // z (ONNX block 0) → block 1
    out[outOff + 2 * block + i] = src[srcOff + 2 * block + i]; // h/n stays block 2
  }
}

function numDirectionsOf(direction: OnnxGruDirection): number {
  return direction === 'bidirectional' ? 2 : 1;
}

function checkDirection(d: unknown, what: string, code: GruErrorCode = 'INVALID_ARGUMENT'): OnnxGruDirection {
  if (d === 'forward' || d === 'reverse' || d === 'bidirectional') return d;
  throw new GruError(code, `${what}: direction must be 'forward', 'reverse' or 'bidirectional', got ${JSON.stringify(d)}`);
}

/**
 * Builds a GRU from ONNX weights, allowing 'reverse' (the result then holds
 * the reverse direction's weights in a forward module: the caller must run it
 * on time-reversed sequences, as {@link runOnnxGru} does).
 */
function buildGru(o: GruFromOnnxOptions, what: string): GRU {
  const direction = checkDirection(o.direction ?? 'forward', what);
  const D = numDirectionsOf(direction);
  const lbr = o.linearBeforeReset ?? 0;
  if (lbr !== 0 && lbr !== 1) throw new GruError('INVALID_ARGUMENT', `${what}: linearBeforeReset must be 0 or 1, got ${String(lbr)}`);
  const W = view(o.W),
    R = view(o.R);
  if (!W.float) throw new GruError('INVALID_ARGUMENT', `${what}: W must be FLOAT or DOUBLE, got ${W.typeName}`);
  if (!R.float) throw new GruError('INVALID_ARGUMENT', `${what}: R must be FLOAT or DOUBLE, got ${R.typeName}`);
  if (R.dims.length !== 3 || R.dims[1] % 3 !== 0 || R.dims[1] / 3 !== R.dims[2]) {
    throw new GruError('INVALID_ARGUMENT', `${what}: R must have shape [numDirections, 3·hiddenSize, hiddenSize], got ${shapeString(R.dims)}`);
  }
  const H = R.dims[2];
  if (H === 0) throw new GruError('INVALID_ARGUMENT', `${what}: hidden size must be positive, got R of shape ${shapeString(R.dims)}`);
  if (o.hiddenSize != null && o.hiddenSize !== H) throw new GruError('INVALID_ARGUMENT', `${what}: hidden_size is ${o.hiddenSize} but R has shape ${shapeString(R.dims)} (hidden size ${H})`);
  expectDims(R.dims, [D, 3 * H, H], `${what}: R (direction '${direction}')`, 'numDirections, 3H, H');
  if (W.dims.length !== 3) throw new GruError('INVALID_ARGUMENT', `${what}: W must have shape [${D}, ${3 * H}, inputSize], got ${shapeString(W.dims)}`);
  const I = W.dims[2];
  expectDims(W.dims, [D, 3 * H, null], `${what}: W (direction '${direction}', hidden size ${H})`, ',,inputSize');
  if (I === 0) throw new GruError('INVALID_ARGUMENT', `${what}: input size must be positive, got W of shape ${shapeString(W.dims)}`);
  let Bv: ReturnType<typeof view> | null = null;
  if (o.B != null) {
    Bv = view(o.B);
    if (!Bv.float) throw new GruError('INVALID_ARGUMENT', `${what}: B must be FLOAT or DOUBLE, got ${Bv.typeName}`);
    expectDims(Bv.dims, [D, 6 * H], `${what}: B (direction '${direction}', hidden size ${H})`, '');
  }
  const dtype: DType = o.dtype ?? (W.f64 ? 'float64' : 'float32');
  const gru = new GRU({
    inputSize: I,
    hiddenSize: H,
    bidirectional: D === 2,
    bias: Bv !== null,
    resetAfter: lbr === 1,
    batchFirst: (o.layout ?? 0) === 1,
    dtype,
  });
  const dict = new Map<string, Tensor>();
  for (let d = 0; d < D; d++) {
    const sfx = `_l0${d === 1 ? '_reverse' : ''}`;
    const wIh = allocate(3 * H * I, dtype),
      wHh = allocate(3 * H * H, dtype);
    swapGateBlocks(W.data as ArrayLike<number>, d * 3 * H * I, H, I, wIh, 0);
    swapGateBlocks(R.data as ArrayLike<number>, d * 3 * H * H, H, H, wHh, 0);
    dict.set(`weight_ih${sfx}`, new Tensor(wIh, [3 * H, I]));
    dict.set(`weight_hh${sfx}`, new Tensor(wHh, [3 * H, H]));
    if (Bv) {
      const bIh = allocate(3 * H, dtype),
        bHh = allocate(3 * H, dtype);
      swapGateBlocks(Bv.data as ArrayLike<number>, d * 6 * H, H, 1, bIh, 0);
      swapGateBlocks(Bv.data as ArrayLike<number>, d * 6 * H + 3 * H, H, 1, bHh, 0);
      dict.set(`bias_ih${sfx}`, new Tensor(bIh, [3 * H]));
      dict.set(`bias_hh${sfx}`, new Tensor(bHh, [3 * H]));
    }
  }
  gru.loadStateDict(dict, { prefix: '' });
  return gru;
}

/**
 * Builds a one-layer {@link GRU} from ONNX GRU weights W, R and B, mapping
 * ONNX's gate order (z, r, h) to PyTorch's (r, z, n) and B's halves to
 * bias_ih / bias_hh. Without B the module has no biases (ONNX: B = 0).
 *
 * direction 'reverse' is rejected: the module's only reversed direction is
 * the second of a bidirectional pair, so a reverse-only ONNX GRU has no
 * equivalent module. {@link runOnnxGru} runs it all the same.
 *
 * @example
 * ```ts
 * const gru = gruFromOnnxWeights({ W, R, B, linearBeforeReset: 0 }); // resetAfter: false
 * const { output, hN } = gru.forward(x);                              // x [T, B, I]
 * ```
 * @throws a {@link GruError} ('INVALID_ARGUMENT') when shapes do not agree with each other, with hiddenSize or with direction.
 */
export function gruFromOnnxWeights(o: GruFromOnnxOptions): GRU {
  if (o.direction === 'reverse') {
    throw new GruError(
      'INVALID_ARGUMENT',
      "gruFromOnnxWeights: direction 'reverse' cannot be expressed as a GRU module (it reverses only the second direction of a bidirectional pair); use runOnnxGru, which runs it on time-reversed sequences",
    );
  }
  return buildGru(o, 'gruFromOnnxWeights');
}

/** What {@link gruToOnnxWeights} returns: W, R, B laid out for ONNX, and the matching attributes. */
export interface OnnxGruExport extends OnnxGruAttributes {
  hiddenSize: number;
  W: Tensor;
  R: Tensor;
  /** null when the module has no biases (ONNX then omits B). */
  B: Tensor | null;
}

/**
 * The inverse of {@link gruFromOnnxWeights}, for an ONNX exporter: one layer
 * of `gru` as ONNX W [D, 3H, I], R [D, 3H, H], B [D, 6H] (gate order
 * z, r, h) plus hidden_size, direction, linear_before_reset and layout.
 * A multi-layer GRU exports as one ONNX GRU node per layer.
 */
export function gruToOnnxWeights(gru: GRU, layer = 0): OnnxGruExport {
  if (!Number.isInteger(layer) || layer < 0 || layer >= gru.numLayers) {
    throw new GruError('INVALID_ARGUMENT', `gruToOnnxWeights: layer must be an integer in [0, ${gru.numLayers - 1}], got ${layer}`);
  }
  const dirs = gru.layers[layer];
  const D = dirs.length,
    H = gru.hiddenSize,
    I = dirs[0].wIh.shape[1];
  const dtype = dirs[0].wIh.value.dtype;
  const W = allocate(D * 3 * H * I, dtype),
    R = allocate(D * 3 * H * H, dtype);
  const B = gru.bias ? allocate(D * 6 * H, dtype) : null;
  dirs.forEach((p, d) => {
    swapGateBlocks(p.wIh.data, 0, H, I, W, d * 3 * H * I);
    swapGateBlocks(p.wHh.data, 0, H, H, R, d * 3 * H * H);
    if (B && p.bIh && p.bHh) {
      swapGateBlocks(p.bIh.data, 0, H, 1, B, d * 6 * H);
      swapGateBlocks(p.bHh.data, 0, H, 1, B, d * 6 * H + 3 * H);
    }
  });
  return {
    W: new Tensor(W, [D, 3 * H, I]),
    R: new Tensor(R, [D, 3 * H, H]),
    B: B ? new Tensor(B, [D, 6 * H]) : null,
    hiddenSize: H,
    direction: D === 2 ? 'bidirectional' : 'forward',
    linearBeforeReset: gru.resetAfter ? 1 : 0,
    layout: gru.batchFirst ? 1 : 0,
  };
}

// ---------------------------------------------------------------------------
// Running with ONNX conventions
// ---------------------------------------------------------------------------

/** The inputs of ONNX's GRU operator, by their ONNX names. */
export interface OnnxGruInputs {
  /** [T, B, I] (layout 0) or [B, T, I] (layout 1). */
  X: OnnxTensorInput;
  /** Required unless a `gru` is passed in the options. */
  W?: OnnxTensorInput | null;
  /** Required unless a `gru` is passed in the options. */
  R?: OnnxTensorInput | null;
  B?: OnnxTensorInput | null;
  /** [B] valid length of each sequence, each in [1, T]; all T when absent. */
  sequence_lens?: OnnxTensorInput | ArrayLike<number> | null;
  /** [D, B, H] (layout 0) or [B, D, H] (layout 1); zeros when absent. */
  initial_h?: OnnxTensorInput | null;
}

/** ONNX-shaped results of {@link runOnnxGru}. */
export interface OnnxGruOutputs {
  /** All hidden states: [T, D, B, H] (layout 0) or [B, T, D, H] (layout 1); 0 past a sequence's length. */
  Y: Tensor;
  /** Last hidden state (each sequence's own last step): [D, B, H] (layout 0) or [B, D, H] (layout 1). */
  Y_h: Tensor;
}

/** Options of {@link runOnnxGru}: the node's attributes, or a prepared module. */
export interface OnnxGruRunOptions extends Partial<OnnxGruAttributes> {
  /**
   * A one-layer GRU to run instead of building one from W/R/B (which must then
   * be absent). With direction 'reverse' it must be unidirectional and hold the
   * reverse direction's weights.
   */
  gru?: GRU;
}

/**
 * Evaluates ONNX's GRU operator with this library's GRU: takes the operator's
 * inputs (X, W, R, B, sequence_lens, initial_h) as ONNX shapes them for the
 * given layout and returns Y and Y_h shaped likewise.
 *
 * direction 'reverse' runs a forward module over each sequence reversed
 * within its own length and reverses the result back — exactly ONNX's
 * reverse direction, which starts at each sequence's last valid step.
 *
 * @example
 * ```ts
 * const { Y, Y_h } = runOnnxGru({ X, W, R, B }, { layout: 0, linearBeforeReset: 0 });
 * ```
 */
export function runOnnxGru(inputs: OnnxGruInputs, options: OnnxGruRunOptions = {}): OnnxGruOutputs {
  const what = 'runOnnxGru';
  const layout = options.layout ?? 0;
  if (layout !== 0 && layout !== 1) throw new GruError('INVALID_ARGUMENT', `${what}: layout must be 0 or 1, got ${String(layout)}`);
  const direction = checkDirection(options.direction ?? (options.gru?.bidirectional ? 'bidirectional' : 'forward'), what);
  let gru: GRU;
  if (options.gru) {
    if (inputs.W != null || inputs.R != null || inputs.B != null) throw new GruError('INVALID_ARGUMENT', `${what}: pass either a gru or the weights W/R/B, not both`);
    gru = options.gru;
    if (gru.numLayers !== 1) throw new GruError('INVALID_ARGUMENT', `${what}: the gru must have one layer (an ONNX GRU node is one layer), got ${gru.numLayers}`);
    if (gru.bidirectional !== (direction === 'bidirectional')) {
      throw new GruError('INVALID_ARGUMENT', `${what}: direction '${direction}' needs a ${direction === 'bidirectional' ? 'bidirectional' : 'unidirectional'} gru`);
    }
    if (options.hiddenSize != null && options.hiddenSize !== gru.hiddenSize) throw new GruError('INVALID_ARGUMENT', `${what}: hidden_size ${options.hiddenSize} but the gru has hidden size ${gru.hiddenSize}`);
    if (options.linearBeforeReset != null && (options.linearBeforeReset === 1) !== gru.resetAfter) {
      throw new GruError('INVALID_ARGUMENT', `${what}: linear_before_reset ${options.linearBeforeReset} but the gru has resetAfter ${gru.resetAfter}`);
    }
  } else {
    if (inputs.W == null || inputs.R == null) throw new GruError('INVALID_ARGUMENT', `${what}: inputs W and R are required (or pass a gru in the options)`);
    gru = buildGru({ W: inputs.W, R: inputs.R, B: inputs.B, hiddenSize: options.hiddenSize, direction, linearBeforeReset: options.linearBeforeReset }, what);
  }
  const dtype = gru.dtype;
  const D = numDirectionsOf(direction),
    H = gru.hiddenSize,
    I = gru.inputSize;

  const X = floatInput(inputs.X, `${what}: X`, dtype);
  expectDims(X.shape, [null, null, I], `${what}: X (layout ${layout}, input size ${I})`, layout === 0 ? 'T, B, I' : 'B, T, I');
  const [T, Bn] = layout === 0 ? [X.shape[0], X.shape[1]] : [X.shape[1], X.shape[0]];
  if (T === 0 || Bn === 0) throw new GruError('INVALID_ARGUMENT', `${what}: X needs at least one step and one sequence, got ${shapeString(X.shape)}`);

  let lengths: number[] | null = null;
  if (inputs.sequence_lens != null) {
    const s = inputs.sequence_lens;
    const isTensor = s instanceof Tensor || (typeof s === 'object' && 'dims' in s && 'data' in s);
    const dims = isTensor ? view(s as OnnxTensorInput).dims : [s.length];
    const data = isTensor ? view(s as OnnxTensorInput).data : (s as ArrayLike<number>);
    if (dims.length !== 1 || dims[0] !== Bn) throw new GruError('INVALID_ARGUMENT', `${what}: sequence_lens must have shape [${Bn}] (batch), got ${shapeString(dims)}`);
    lengths = Array.from({ length: Bn }, (_, b) => {
      const n = Number(data[b]);
      if (!Number.isInteger(n) || n < 1 || n > T) throw new GruError('INVALID_ARGUMENT', `${what}: sequence_lens[${b}] must be an integer in [1, ${T}], got ${String(data[b])}`);
      return n;
    });
  }

  // Everything below works time-major: x[t][b] at (t·B + b)·I.
  const x = allocate(T * Bn * I, dtype);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < Bn; b++) {
      // For 'reverse', step t of sequence b reads its step L−1−t (steps past L keep their place; the GRU ignores them).
      const L = lengths ? lengths[b] : T;
      const ts = direction === 'reverse' && t < L ? L - 1 - t : t;
      const src = layout === 0 ? (ts * Bn + b) * I : (b * T + ts) * I;
      x.set(X.data.subarray(src, src + I), (t * Bn + b) * I);
    }
  }

  let h0: Tensor | undefined;
  if (inputs.initial_h != null) {
    const h = floatInput(inputs.initial_h, `${what}: initial_h`, dtype);
    expectDims(h.shape, layout === 0 ? [D, Bn, H] : [Bn, D, H], `${what}: initial_h (layout ${layout})`, '');
    h0 = layout === 0 ? h : permute3(h, [1, 0, 2]);
  }

  const xIn = new Tensor(x, [T, Bn, I]);
  const { output, hN } = gru.forward(gru.batchFirst ? permute3(xIn, [1, 0, 2]) : xIn, { h0, lengths: lengths ?? undefined });
  const y = gru.batchFirst ? permute3(output.value, [1, 0, 2]) : output.value; // [T, B, D·H]

  const Y = allocate(T * D * Bn * H, dtype);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < Bn; b++) {
      const L = lengths ? lengths[b] : T;
      const ts = direction === 'reverse' && t < L ? L - 1 - t : t; // undo the reversal
      for (let d = 0; d < D; d++) {
        const src = (ts * Bn + b) * D * H + d * H;
        const dst = layout === 0 ? ((t * D + d) * Bn + b) * H : ((b * T + t) * D + d) * H;
        Y.set(y.data.subarray(src, src + H), dst);
      }
    }
  }
  return {
    Y: new Tensor(Y, layout === 0 ? [T, D, Bn, H] : [Bn, T, D, H]),
    Y_h: layout === 0 ? hN.value : permute3(hN.value, [1, 0, 2]),
  };
}

/** A copy of a 3-D tensor with its axes permuted. */
function permute3(t: Tensor, perm: [number, number, number]): Tensor {
  const s = t.shape;
  const out = allocate(t.size, t.dtype);
  const shape = perm.map((p) => s[p]);
  const strides = [s[1] * s[2], s[2], 1];
  const st = perm.map((p) => strides[p]);
  let k = 0;
  for (let i = 0; i < shape[0]; i++) for (let j = 0; j < shape[1]; j++) for (let l = 0; l < shape[2]; l++) out[k++] = t.data[i * st[0] + j * st[1] + l * st[2]];
  return new Tensor(out, shape);
}

// ---------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------

/** The ONNX names of the GRU node's inputs and outputs, by position. */
const GRU_INPUTS = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'] as const;
const GRU_OUTPUTS = ['Y', 'Y_h'] as const;

/** What {@link importOnnxGru} found in a model. */
export interface ImportedOnnxGru extends OnnxGruAttributes {
  /**
   * The GRU with the model's weights, or null when it cannot be built here:
   * W or R (or B, when used) are graph inputs given no value, or direction is
   * 'reverse' (see {@link gruFromOnnxWeights}); `gruUnavailable` says which.
   * Built with `batchFirst` = (layout = 1), so it takes X as the model does.
   */
  gru: GRU | null;
  /** Why `gru` is null; null when it is not. */
  gruUnavailable: string | null;
  /** The node's input names in ONNX order X, W, R, B, sequence_lens, initial_h; "" where omitted. */
  inputNames: string[];
  /** The node's output names Y, Y_h; "" where omitted. */
  outputNames: string[];
  /** The node's name ("" when unnamed). */
  nodeName: string;
  /** The model's opset version for the default domain (0 if not declared). */
  opsetVersion: number;
  /** Values known for the node's inputs: initializers, Constant nodes, and what was passed to importOnnxGru. */
  constants: Map<string, OnnxTensor | Tensor>;
  /**
   * Evaluates the GRU node alone with {@link runOnnxGru}. `feeds` give values
   * by the node's input names (they override `constants`); the result is keyed
   * by the node's non-empty output names.
   */
  run(feeds?: Record<string, OnnxTensorInput> | Map<string, OnnxTensorInput>): Record<string, Tensor>;
}

/** Decodes a ModelProto, turning protobuf's internal errors into a message about the input. */
function decodeModel(modelBytes: Uint8Array): OnnxTypes.ModelProto {
  if (!(modelBytes instanceof Uint8Array)) throw new GruError('INVALID_ARGUMENT', `importOnnxGru: expected the model as a Uint8Array, got ${typeof modelBytes}`);
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(modelBytes);
  } catch (e) {
    throw new GruError('INVALID_FILE', `importOnnxGru: could not decode ${modelBytes.length} bytes as an ONNX model (onnx.ModelProto): ${(e as Error).message}; expected the contents of a .onnx file`);
  }
  // Protobuf decoding accepts many byte strings that are not models; a real one has a graph with nodes.
  if (!model.graph || (model.graph.node ?? []).length === 0) {
    throw new GruError('INVALID_FILE', `importOnnxGru: ${modelBytes.length} bytes decoded to no ONNX graph with nodes; expected the contents of a .onnx file`);
  }
  return model;
}

function attrString(a: OnnxTypes.IAttributeProto): string {
  return new TextDecoder().decode(a.s ?? new Uint8Array());
}

/** Reads the GRU node's attributes, refusing what our GRU cannot compute. */
function readAttributes(node: OnnxTypes.INodeProto, D: (d: OnnxGruDirection) => number): OnnxGruAttributes {
  const what = `importOnnxGru: GRU node${node.name ? ` '${node.name}'` : ''}`;
  const A = onnx.AttributeProto.AttributeType;
  const out: OnnxGruAttributes = { hiddenSize: null, direction: 'forward', linearBeforeReset: 0, layout: 0 };
  let activations: string[] | null = null;
  const int = (a: OnnxTypes.IAttributeProto) => {
    if (a.type !== A.INT) throw new GruError('INVALID_FILE', `${what}: attribute ${a.name} must be an INT, got type ${A[a.type ?? 0] ?? a.type}`);
    return int64ToNumber(a.i ?? 0, `${what}: attribute ${a.name}`);
  };
  for (const a of node.attribute ?? []) {
    if (a.refAttrName) throw new GruError('UNSUPPORTED', `${what}: attribute ${a.name} refers to a function attribute (${a.refAttrName}); not supported`);
    switch (a.name) {
      case 'hidden_size': {
        const h = int(a);
        if (h <= 0) throw new GruError('INVALID_FILE', `${what}: hidden_size must be positive, got ${h}`);
        out.hiddenSize = h;
        break;
      }
      case 'direction': {
        if (a.type !== A.STRING) throw new GruError('INVALID_FILE', `${what}: attribute direction must be a STRING, got type ${A[a.type ?? 0] ?? a.type}`);
        out.direction = checkDirection(attrString(a), what, 'INVALID_FILE');
        break;
      }
      case 'linear_before_reset': {
        const v = int(a);
        if (v !== 0 && v !== 1) throw new GruError('INVALID_FILE', `${what}: linear_before_reset must be 0 or 1, got ${v}`);
        out.linearBeforeReset = v;
        break;
      }
      case 'layout': {
        const v = int(a);
        if (v !== 0 && v !== 1) throw new GruError('INVALID_FILE', `${what}: layout must be 0 or 1, got ${v}`);
        out.layout = v;
        break;
      }
      case 'activations':
        activations = (a.strings ?? []).map((s) => new TextDecoder().decode(s));
        break;
      case 'clip':
        throw new GruError('UNSUPPORTED', `${what}: attribute clip (${a.f}) is not supported; only unclipped GRUs can be imported`);
      case 'activation_alpha':
      case 'activation_beta':
        // Parameters of activations such as LeakyRelu; Sigmoid and Tanh (the only ones accepted below) take none.
        break;
      default:
        throw new GruError('INVALID_FILE', `${what}: unknown attribute '${a.name}'; expected hidden_size, direction, linear_before_reset, layout, activations, activation_alpha, activation_beta or clip`);
    }
  }
  if (activations !== null) {
    const want = Array.from({ length: 2 * D(out.direction) }, (_, i) => (i % 2 === 0 ? 'sigmoid' : 'tanh'));
    const ok = activations.length === want.length && activations.every((s, i) => s.toLowerCase() === want[i]);
    if (!ok) {
      throw new GruError('UNSUPPORTED', `${what}: only the default activations are supported (${want.map((s) => s[0].toUpperCase() + s.slice(1)).join(', ')}), got ${activations.join(', ') || '(none)'}`);
    }
  }
  return out;
}

/**
 * Reads an ONNX model that contains a GRU node: its attributes, its input and
 * output names, and — when W and R (and B, if used) have values, as
 * initializers, Constant nodes or entries of `initializers` — a {@link GRU}
 * with those weights.
 *
 * `initializers` supplies values for node inputs that are graph inputs
 * (e.g. the `input_N.pb` tensors of ONNX's test data sets), by name.
 *
 * @throws a {@link GruError}: 'INVALID_FILE' on bytes that are not an ONNX
 *   model and on malformed tensors, attributes or weights; 'UNSUPPORTED' when
 *   the graph has no GRU node or several (naming what it has), and on
 *   attributes our GRU cannot compute: activations other than Sigmoid/Tanh, clip.
 */
export function importOnnxGru(modelBytes: Uint8Array, initializers?: Record<string, OnnxTensorInput> | Map<string, OnnxTensorInput>): ImportedOnnxGru {
  const model = decodeModel(modelBytes);
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const isGru = (n: OnnxTypes.INodeProto) => n.opType === 'GRU' && (!n.domain || n.domain === 'ai.onnx');
  const grus = nodes.filter(isGru);
  if (grus.length !== 1) {
    const ops = [...new Set(nodes.map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : '') + (n.opType ?? '?')))].join(', ');
    throw new GruError(
      'UNSUPPORTED',
      grus.length === 0
        ? `importOnnxGru: expected a GRU node, but the graph has none (its nodes: ${ops || 'none'})`
        : `importOnnxGru: expected one GRU node, found ${grus.length} (${grus.map((n, i) => n.name || `#${i}`).join(', ')}); import them one at a time`,
    );
  }
  const node = grus[0];
  const attrs = readAttributes(node, numDirectionsOf);
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opsetVersion = opset ? int64ToNumber(opset.version ?? 0, 'importOnnxGru: opset version') : 0;

  const inputNames = GRU_INPUTS.map((_, i) => node.input?.[i] ?? '');
  const outputNames = GRU_OUTPUTS.map((_, i) => node.output?.[i] ?? '');
  if ((node.input?.length ?? 0) > GRU_INPUTS.length) throw new GruError('INVALID_FILE', `importOnnxGru: a GRU node has at most 6 inputs, got ${node.input!.length}`);
  if (!inputNames[0] || !inputNames[1] || !inputNames[2]) throw new GruError('INVALID_FILE', `importOnnxGru: the GRU node must name inputs X, W and R, got [${(node.input ?? []).join(', ')}]`);

  // Values known ahead of time for the node's inputs. Only those the node uses are read, so unrelated initializers of unsupported types do no harm.
  const used = new Set(inputNames.filter((n) => n));
  const constants = new Map<string, OnnxTensor | Tensor>();
  for (const init of graph.initializer ?? []) if (init.name && used.has(init.name)) constants.set(init.name, tensorFromOnnx(init));
  for (const n of nodes) {
    if (n.opType !== 'Constant' || !n.output?.[0] || !used.has(n.output[0])) continue;
    const value = (n.attribute ?? []).find((a) => a.name === 'value' && a.t);
    if (value?.t) constants.set(n.output[0], tensorFromOnnx({ ...value.t, name: n.output[0] }));
  }
  const extra = initializers instanceof Map ? initializers : new Map(Object.entries(initializers ?? {}));
  for (const [k, v] of extra) constants.set(k, v);

  const hiddenSizeOf = () => {
    const R = constants.get(inputNames[2]);
    return R ? (view(R).dims[2] ?? null) : null;
  };
  if (attrs.hiddenSize === null) attrs.hiddenSize = hiddenSizeOf();

  let gru: GRU | null = null;
  let gruUnavailable: string | null = null;
  const missing = [1, 2, 3].filter((i) => inputNames[i] && !constants.has(inputNames[i])).map((i) => `${GRU_INPUTS[i]} ('${inputNames[i]}')`);
  if (attrs.direction === 'reverse') gruUnavailable = "direction 'reverse' has no equivalent GRU module; use run()";
  else if (missing.length > 0) gruUnavailable = `no values for ${missing.join(', ')}: graph inputs without initializers; pass them to importOnnxGru or use gruFromOnnxWeights`;
  else {
    const B = inputNames[3] ? constants.get(inputNames[3]) : null;
    try {
      gru = gruFromOnnxWeights({
        W: constants.get(inputNames[1])!,
        R: constants.get(inputNames[2])!,
        B,
        hiddenSize: attrs.hiddenSize,
        direction: attrs.direction,
        linearBeforeReset: attrs.linearBeforeReset,
        layout: attrs.layout,
      });
    } catch (e) {
      // Weights that do not fit together came from the file, not from the caller.
      if (e instanceof GruError && e.code === 'INVALID_ARGUMENT') throw new GruError('INVALID_FILE', e.message, { cause: e });
      throw e;
    }
  }

  const result: ImportedOnnxGru = {
    ...attrs,
    gru,
    gruUnavailable,
    inputNames,
    outputNames,
    nodeName: node.name ?? '',
    opsetVersion,
    constants,
    run(feeds = {}) {
      const given = feeds instanceof Map ? feeds : new Map(Object.entries(feeds));
      const value = (i: number): OnnxTensorInput | null => {
        const name = inputNames[i];
        if (!name) return null;
        const v = given.get(name) ?? constants.get(name);
        if (v === undefined && i < 3) throw new GruError('INVALID_ARGUMENT', `run: no value for GRU input ${GRU_INPUTS[i]} ('${name}'); pass it in feeds`);
        if (v === undefined) throw new GruError('INVALID_ARGUMENT', `run: no value for optional GRU input ${GRU_INPUTS[i]} ('${name}'); pass it in feeds`);
        return v;
      };
      const X = value(0)!;
      const seq = value(4),
        h0 = value(5);
      // Reuse the module (which may have been trained since) unless new weights are fed.
      const fedWeights = [1, 2, 3].some((i) => inputNames[i] && given.has(inputNames[i]));
      const { Y, Y_h } =
        result.gru && !fedWeights
          ? runOnnxGru({ X, sequence_lens: seq, initial_h: h0 }, { layout: attrs.layout, direction: attrs.direction, gru: result.gru })
          : runOnnxGru({ X, W: value(1), R: value(2), B: value(3), sequence_lens: seq, initial_h: h0 }, attrs);
      const out: Record<string, Tensor> = {};
      if (outputNames[0]) out[outputNames[0]] = Y;
      if (outputNames[1]) out[outputNames[1]] = Y_h;
      return out;
    },
  };
  return result;
}
