/**
 * The safetensors format (https://github.com/huggingface/safetensors), in
 * memory: no file system here, so this module runs in browsers too (the
 * node:fs helpers live in safetensors-file.ts).
 *
 * Layout: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON header
 *
 *   {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 *
 * (possibly padded with trailing spaces), then the data buffer. Offsets are
 * relative to the data buffer, and the tensors must cover it exactly, without
 * gaps or overlaps. All values are little-endian.
 *
 * Files come from strangers, so the parser validates the whole header —
 * sizes, offsets, coverage — before it allocates anything in proportion to
 * what the header claims.
 */
import { Tensor } from '../tensor/tensor.js';
import { GruError } from '../errors.js';

/** Floating-point element types this module reads; F16 and BF16 are widened to float32 on reading. */
export type SafetensorsFloatDType = 'F64' | 'F32' | 'F16' | 'BF16';
/** Integer element types this module reads and writes. */
export type SafetensorsIntDType = 'I64' | 'U64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8';
/** Every element type this module understands. */
export type SafetensorsDType = SafetensorsFloatDType | SafetensorsIntDType;

/** Typed arrays that hold integer tensors (64-bit ones as bigint arrays). */
export type IntArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** An integer tensor: a typed array plus a row-major shape. The array type decides the dtype. */
export interface IntTensor {
  data: IntArray;
  shape: readonly number[];
}

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** Floating-point tensors (F32 → float32, F64 → float64, F16/BF16 → widened to float32), in header order. */
  tensors: Map<string, Tensor>;
  /** Integer tensors (I64 → BigInt64Array, I32 → Int32Array, …), in header order. */
  ints: Map<string, IntTensor>;
  /** The header's `__metadata__` (string → string); empty when the file has none. */
  metadata: Record<string, string>;
}

/** Largest header accepted, in bytes (the reference library's limit too). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

/** Bytes per element of each dtype. */
const DTYPE_SIZE: Record<SafetensorsDType, number> = {
  F64: 8,
  I64: 8,
  U64: 8,
  F32: 4,
  I32: 4,
  U32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
};

/**
 * Rank of each dtype in the reference writer's ordering (its Rust enum order):
 * tensors are written by descending rank, then by name. Higher ranks have
 * equal or larger element sizes, so every tensor starts aligned to its own
 * element size.
 */
const DTYPE_RANK: Record<SafetensorsDType, number> = {
  U8: 1,
  I8: 2,
  I16: 3,
  U16: 4,
  F16: 5,
  BF16: 6,
  I32: 7,
  U32: 8,
  F32: 9,
  F64: 10,
  I64: 11,
  U64: 12,
};

/** True on little-endian hosts (nearly all); big-endian hosts byte-swap. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

/** Short, bounded rendering of a value from an untrusted header, for error messages. */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[array]' : String(v); // String() of an array recurses too
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Deepest nesting of arrays and objects accepted in a header: serde_json's
 * default recursion limit, which the reference reader uses. A real header
 * nests 3 deep; the limit keeps every recursive step after parsing
 * (JSON.stringify and String() in messages) clear of a stack overflow.
 */
const MAX_HEADER_DEPTH = 128;

/**
 * One pass over the raw header text, before JSON.parse: throws when arrays
 * and objects nest deeper than {@link MAX_HEADER_DEPTH}, and returns the
 * first top-level key that occurs twice (null if none) — JSON.parse would
 * silently keep the last one. The key result is meaningful only for text
 * that JSON.parse accepts, so it is acted on after parsing.
 */
function scanHeader(text: string): string | null {
  const keys = new Set<string>();
  let duplicate: string | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) {
          escaped = true;
          i++;
        }
      }
      // At depth 1 a string followed by ':' is a key of the top-level object.
      if (depth === 1 && duplicate === null) {
        let j = i + 1;
        while (j < text.length && (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r')) j++;
        if (text[j] === ':') {
          const key = escaped ? decodeJsonString(text.slice(start, i + 1)) : text.slice(start + 1, i);
          if (keys.has(key)) duplicate = key;
          keys.add(key);
        }
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_HEADER_DEPTH) {
        throw new GruError('INVALID_FILE', `safetensors: header nests arrays/objects more than ${MAX_HEADER_DEPTH} deep (at character ${i} of the header); expected a flat {name: {dtype, shape, data_offsets}} object`);
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return duplicate;
}

/** A JSON string literal's value ("a\u0062" → "ab"); the literal itself when invalid (JSON.parse then reports it). */
function decodeJsonString(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------- reading

/** A header entry after validation. */
interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file held in memory. Tensor data are copied out, so
 * the result does not keep `bytes` alive and may be modified freely.
 *
 * Throws a {@link GruError} with code 'INVALID_FILE', naming what was
 * expected and what was found, when the file is malformed: truncated, header
 * too large, nested more than 128 deep, not a JSON object or with a key
 * given twice, unknown dtype, bad shape or offsets, byte length ≠ elements ×
 * element size, tensors overlapping or not covering the data buffer
 * exactly, metadata that is not a string → string map. Every check runs
 * before any allocation sized by the header.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) {
    throw new GruError('INVALID_FILE', `safetensors: expected at least 8 bytes (the header length), got a file of ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Compared as bigint first: a u64 may not fit a double exactly.
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    throw new GruError('INVALID_FILE', `safetensors: header length must be at most ${SAFETENSORS_MAX_HEADER_BYTES} bytes, got ${n64}`);
  }
  const headerLength = Number(n64);
  if (headerLength > bytes.length - 8) {
    throw new GruError('INVALID_FILE', `safetensors: header length ${headerLength} exceeds the ${bytes.length - 8} bytes after the length field (file truncated?)`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw new GruError('INVALID_FILE', 'safetensors: header must be valid UTF-8, got invalid byte sequences');
  }
  const duplicate = scanHeader(text); // before JSON.parse: refuses hostile nesting cheaply
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new GruError('INVALID_FILE', `safetensors: header must be JSON, got a parse error: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) {
    throw new GruError('INVALID_FILE', `safetensors: header must be a JSON object, got ${show(header)}`);
  }
  if (duplicate !== null) {
    throw new GruError('INVALID_FILE', `safetensors: header key '${duplicate}' occurs more than once; expected each tensor name (and ${METADATA_KEY}) once`);
  }

  const metadata = parseMetadata(header[METADATA_KEY]);
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name !== METADATA_KEY) entries.push(parseEntry(name, raw, dataLength));
  }
  checkCoverage(entries, dataLength);

  // Validation done: only now allocate, each tensor no larger than its verified byte range.
  const tensors = new Map<string, Tensor>();
  const ints = new Map<string, IntTensor>();
  for (const e of entries) {
    const le = copyLittleEndian(bytes, dataStart + e.begin, dataStart + e.end, DTYPE_SIZE[e.dtype]);
    switch (e.dtype) {
      case 'F64':
        tensors.set(e.name, new Tensor(new Float64Array(le), e.shape));
        break;
      case 'F32':
        tensors.set(e.name, new Tensor(new Float32Array(le), e.shape));
        break;
      case 'F16':
        tensors.set(e.name, new Tensor(decodeF16(new Uint16Array(le)), e.shape));
        break;
      case 'BF16':
        tensors.set(e.name, new Tensor(decodeBF16(new Uint16Array(le)), e.shape));
        break;
      case 'I64':
        ints.set(e.name, { data: new BigInt64Array(le), shape: e.shape });
        break;
      case 'U64':
        ints.set(e.name, { data: new BigUint64Array(le), shape: e.shape });
        break;
      case 'I32':
        ints.set(e.name, { data: new Int32Array(le), shape: e.shape });
        break;
      case 'U32':
        ints.set(e.name, { data: new Uint32Array(le), shape: e.shape });
        break;
      case 'I16':
        ints.set(e.name, { data: new Int16Array(le), shape: e.shape });
        break;
      case 'U16':
        ints.set(e.name, { data: new Uint16Array(le), shape: e.shape });
        break;
      case 'I8':
        ints.set(e.name, { data: new Int8Array(le), shape: e.shape });
        break;
      case 'U8':
        ints.set(e.name, { data: new Uint8Array(le), shape: e.shape });
        break;
    }
  }
  return { tensors, ints, metadata };
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {}; // the reference reader accepts null too
  if (!isPlainObject(raw)) {
    throw new GruError('INVALID_FILE', `safetensors: ${METADATA_KEY} must be an object of strings, got ${show(raw)}`);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new GruError('INVALID_FILE', `safetensors: ${METADATA_KEY}['${k}'] must be a string, got ${show(v)}`);
  }
  // fromEntries defines own properties, so even a key "__proto__" survives.
  return Object.fromEntries(Object.entries(raw)) as Record<string, string>;
}

function parseEntry(name: string, raw: unknown, dataLength: number): Entry {
  const where = `safetensors: tensor '${name}'`;
  if (!isPlainObject(raw)) throw new GruError('INVALID_FILE', `${where}: expected an object {dtype, shape, data_offsets}, got ${show(raw)}`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isDType(dtype)) {
    throw new GruError('INVALID_FILE', `${where}: unsupported dtype ${show(dtype)} (expected one of ${Object.keys(DTYPE_SIZE).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new GruError('INVALID_FILE', `${where}: shape must be an array of non-negative integers, got ${show(shape)}`);
  }
  // Element count, refusing overflow early: shape [2**40, 2**40] claims 2**80 elements.
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (!Number.isSafeInteger(count)) {
      throw new GruError('INVALID_FILE', `${where}: shape ${show(shape)} has too many elements (more than 2^53 - 1)`);
    }
  }
  const byteLength = count * DTYPE_SIZE[dtype];
  if (!Number.isSafeInteger(byteLength)) {
    throw new GruError('INVALID_FILE', `${where}: shape ${show(shape)} of ${dtype} is too large (more than 2^53 - 1 bytes)`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new GruError('INVALID_FILE', `${where}: data_offsets must be two non-negative integers [begin, end] with begin <= end, got ${show(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw new GruError('INVALID_FILE', `${where}: data_offsets end ${end} lies beyond the data buffer of ${dataLength} bytes (file truncated?)`);
  }
  if (end - begin !== byteLength) {
    throw new GruError('INVALID_FILE', `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, expected ${byteLength} (${count} elements of ${dtype} for shape ${show(shape)})`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** The reference library's rule: sorted by offsets, tensors tile the data buffer exactly. */
function checkCoverage(entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < covered) {
      throw new GruError('INVALID_FILE', `safetensors: tensor '${e.name}' at [${e.begin}, ${e.end}] overlaps tensor '${previous!.name}' at [${previous!.begin}, ${previous!.end}]`);
    }
    if (e.begin > covered) {
      throw new GruError('INVALID_FILE', `safetensors: data bytes [${covered}, ${e.begin}) belong to no tensor (before '${e.name}'); expected tensors to cover the data buffer contiguously`);
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    throw new GruError('INVALID_FILE', `safetensors: tensors cover ${covered} bytes but the data buffer has ${dataLength}; expected tensors to cover the data buffer contiguously, without trailing bytes`);
  }
}

/**
 * A fresh, aligned copy of bytes [begin, end) in host byte order. Not
 * `bytes.slice`: on a node Buffer that returns a view, not a copy.
 */
function copyLittleEndian(bytes: Uint8Array, begin: number, end: number, elemSize: number): ArrayBuffer {
  const copy = new Uint8Array(end - begin);
  copy.set(bytes.subarray(begin, end));
  if (!HOST_LITTLE_ENDIAN) swapBytes(copy, elemSize);
  return copy.buffer;
}

/** Reverses the byte order of every `elemSize`-byte element, in place. */
function swapBytes(b: Uint8Array, elemSize: number): void {
  if (elemSize === 1) return;
  for (let i = 0; i < b.length; i += elemSize) b.subarray(i, i + elemSize).reverse();
}

/** IEEE half precision → float32 (exact: every half is a float32). */
function decodeF16(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const sign = h[i] & 0x8000 ? -1 : 1;
    const exp = (h[i] >> 10) & 0x1f;
    const frac = h[i] & 0x3ff;
    if (exp === 0)
      out[i] = sign * frac * 2 ** -24; // zero and subnormals
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** bfloat16 → float32: bfloat16 is the top half of a float32's bits. */
function decodeBF16(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < h.length; i++) bits[i] = h[i] << 16;
  return out;
}

// ---------------------------------------------------------------- writing

/** A tensor to write, resolved to its dtype and raw bytes. */
interface Outgoing {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  bytes: Uint8Array;
  nameUtf8: Uint8Array;
}

/**
 * Serializes tensors to safetensors bytes, as the reference writer does:
 * float32 tensors as F32, float64 as F64, integer arrays by their type
 * (Int32Array → I32, BigInt64Array → I64, …); tensors ordered by element
 * size (descending, in the reference's dtype order) then by name, the header
 * padded with spaces to a multiple of 8 bytes so every tensor is aligned.
 * Metadata keys keep their insertion order (the reference writer's order is
 * that of a hash map, i.e. arbitrary), so a parsed file re-serializes to the
 * same bytes; it is omitted from the header when empty.
 *
 * Throws a {@link GruError} ('INVALID_ARGUMENT') before producing anything when a name is empty, `__metadata__`,
 * used twice or not well-formed Unicode, when a tensor's data are not a
 * Float32Array/Float64Array (an IntArray for `ints`) or do not match its
 * shape, or when a metadata value is not a string.
 */
export function serializeSafetensors(tensors: Record<string, Tensor> | Map<string, Tensor>, metadata?: Record<string, string>, ints?: Record<string, IntTensor> | Map<string, IntTensor>): Uint8Array {
  const encoder = new TextEncoder();
  const items: Outgoing[] = [];
  const seen = new Set<string>();
  const add = (name: string, dtype: SafetensorsDType, shape: readonly number[], data: IntArray | Float32Array | Float64Array) => {
    checkName(name, seen);
    checkShape(name, shape, data.length);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    items.push({ name, dtype, shape: [...shape], bytes, nameUtf8: encoder.encode(name) });
  };
  for (const [name, t] of entriesOf(tensors)) {
    const data = (t as Tensor | undefined)?.data as unknown;
    if (data instanceof Float32Array) add(name, 'F32', t.shape, data);
    else if (data instanceof Float64Array) add(name, 'F64', t.shape, data);
    else throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: tensor '${name}' must hold a Float32Array or Float64Array, got ${typeName(data)}`);
  }
  for (const [name, t] of entriesOf(ints ?? {})) {
    const dtype = intDTypeOf(t?.data);
    if (dtype === null) throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: integer tensor '${name}' must hold an integer typed array, got ${typeName(t?.data)}`);
    add(name, dtype, t.shape, t.data);
  }

  const meta: unknown = metadata ?? {};
  if (!isPlainObject(meta)) throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: metadata must be an object of strings, got ${typeName(meta)}`);
  const metaEntries = Object.entries(meta);
  for (const [k, v] of metaEntries) {
    if (typeof v !== 'string') throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: metadata['${k}'] must be a string, got ${typeName(v)}`);
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: metadata['${k}'] is not well-formed Unicode (lone surrogate)`);
  }

  // The reference order: dtype rank descending, then name by UTF-8 bytes (Rust's string order).
  items.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareBytes(a.nameUtf8, b.nameUtf8));
  // The JSON is assembled by hand: a JS object would move integer-like keys ("0", "12") to the front.
  const parts: string[] = [];
  if (metaEntries.length > 0) {
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const it of items) {
    const info = { dtype: it.dtype, shape: it.shape, data_offsets: [offset, offset + it.bytes.length] };
    parts.push(`${JSON.stringify(it.name)}:${JSON.stringify(info)}`);
    offset += it.bytes.length;
  }

  const json = encoder.encode(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded); // spaces
  let at = 8 + padded;
  for (const it of items) {
    const dst = out.subarray(at, at + it.bytes.length);
    dst.set(it.bytes);
    if (!HOST_LITTLE_ENDIAN) swapBytes(dst, DTYPE_SIZE[it.dtype]);
    at += it.bytes.length;
  }
  return out;
}

// A UTF-16 surrogate not part of a pair: TextEncoder would silently turn it into U+FFFD.
const LONE_SURROGATE = /\p{Cs}/u;

function checkName(name: string, seen: Set<string>): void {
  if (name === '' || name === METADATA_KEY || LONE_SURROGATE.test(name)) {
    throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: invalid tensor name ${show(name)} (expected a non-empty, well-formed string other than '${METADATA_KEY}')`);
  }
  if (seen.has(name)) throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: tensor name '${name}' is used twice (floats and ints share one namespace)`);
  seen.add(name);
}

function checkShape(name: string, shape: readonly number[], length: number): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: tensor '${name}': shape must be an array of non-negative integers, got ${show(shape)}`);
  }
  const count = shape.reduce((a, d) => a * d, 1);
  if (count !== length) throw new GruError('INVALID_ARGUMENT', `serializeSafetensors: tensor '${name}': shape ${show(shape)} needs ${count} elements, data has ${length}`);
}

function entriesOf<T>(m: Record<string, T> | Map<string, T>): [string, T][] {
  return m instanceof Map ? [...m.entries()] : Object.entries(m);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

// ---------------------------------------------------------------- integers

/** The safetensors dtype of an integer typed array, or null for anything else. */
export function intDTypeOf(data: unknown): SafetensorsIntDType | null {
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof BigUint64Array) return 'U64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8'; // node Buffers too
  return null;
}

/**
 * The values of an integer tensor as plain numbers. Throws, naming the
 * index, when a 64-bit value lies outside ±(2^53 − 1) and so has no exact
 * number. `what` names the tensor in the message.
 */
export function intsToNumbers(t: IntTensor | IntArray, what = 'integer tensor'): number[] {
  const data = 'shape' in t ? t.data : t;
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === 'bigint') {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new GruError('INVALID_DATA', `${what}: expected values within ±(2^53 - 1), got ${v} at flat index ${i}`);
      }
      out[i] = Number(v);
    } else {
      out[i] = v;
    }
  }
  return out;
}

/**
 * The values of an integer tensor as an Int32Array (a copy). Throws, naming
 * the index, when a value lies outside [−2^31, 2^31 − 1].
 */
export function intsToInt32Array(t: IntTensor | IntArray, what = 'integer tensor'): Int32Array {
  const data = 'shape' in t ? t.data : t;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const n = typeof v === 'bigint' ? (v >= -0x80000000n && v <= 0x7fffffffn ? Number(v) : NaN) : v;
    if (!(n >= -0x80000000 && n <= 0x7fffffff)) {
      throw new GruError('INVALID_DATA', `${what}: expected int32 values in [-2147483648, 2147483647], got ${v} at flat index ${i}`);
    }
    out[i] = n;
  }
  return out;
}
