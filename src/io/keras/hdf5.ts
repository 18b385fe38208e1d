/**
 * Reading the HDF5 files Keras writes (`model.weights.h5`, legacy `.h5`)
 * through jsfive, a pure-JavaScript reader that runs in Node and browsers
 * without WebAssembly or a virtual file system. Everything jsfive throws
 * (it throws strings too) becomes a {@link GruError} ('INVALID_FILE') that
 * names the file and the object being read.
 *
 * @module
 */
/// <reference path="./jsfive.d.ts" />
import * as jsfive from 'jsfive';
import { Tensor, shapeString, sizeOf } from '../../tensor/tensor.js';
import { GruError } from '../../errors.js';

/** HDF5's format signature, the first 8 bytes of a file without a user block. */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether `bytes` start with the HDF5 signature. */
export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && HDF5_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * The end-of-file address an HDF5 superblock records (HDF5 File Format
 * Specification, section II.A: versions 0–1 keep it after the base and
 * free-space addresses, versions 2–3 after the base and extension
 * addresses), or null when the superblock is not one of those or the
 * address does not fit a number. A file shorter than this is truncated.
 */
export function declaredSize(bytes: Uint8Array): number | null {
  if (!isHdf5(bytes) || bytes.length < 16) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8];
  const offsetSize = version <= 1 ? bytes[13] : bytes[9];
  if (offsetSize !== 4 && offsetSize !== 8) return null;
  const at = version === 0 ? 24 + 2 * offsetSize : version === 1 ? 28 + 2 * offsetSize : version <= 3 ? 12 + 2 * offsetSize : -1;
  if (at < 0 || at + offsetSize > bytes.length) return version <= 3 ? bytes.length + 1 : null;
  const eof = offsetSize === 4 ? view.getUint32(at, true) : view.getBigUint64(at, true);
  return eof > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(eof);
}

/** A fixed-length HDF5 string without its padding: h5py writes numpy bytes arrays ('|S57') null-padded. */
const unpad = (s: string): string => {
  const end = s.indexOf('\0');
  return end < 0 ? s : s.slice(0, end);
};

/** Numpy-style float types read as weights. */
const FLOAT_TYPES = new Set(['<f4', '>f4', '<f8', '>f8']);

/** An opened HDF5 file: groups by path, their attributes, float datasets as tensors. */
export class Hdf5File {
  /** The name errors use (a path, or e.g. "model.weights.h5 in model.keras"). */
  readonly source: string;
  /** Size of the file in bytes. */
  readonly size: number;
  private readonly root: jsfive.File;

  /** @throws a {@link GruError} ('INVALID_FILE') when the bytes are not a readable HDF5 file. */
  constructor(bytes: Uint8Array, source: string) {
    this.source = source;
    this.size = bytes.length;
    if (!isHdf5(bytes)) throw new GruError('INVALID_FILE', `${source}: not an HDF5 file (it does not start with the HDF5 signature)`);
    // jsfive reads a whole ArrayBuffer: copy when the bytes are a view into a larger one
    // (new Uint8Array copies; a Buffer's slice() would not).
    const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes.buffer : new Uint8Array(bytes).buffer;
    const declared = declaredSize(bytes);
    if (declared !== null && declared > bytes.length) {
      throw new GruError('INVALID_FILE', `${source}: truncated: its HDF5 superblock gives an end of file at byte ${declared}, but the file has ${bytes.length} bytes`);
    }
    this.root = this.guard('the superblock', () => new jsfive.File(buffer, source));
  }

  /** Runs a jsfive call; whatever it throws becomes an INVALID_FILE error naming `what`. */
  private guard<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof GruError) throw e;
      const why = e instanceof Error ? e.message : String(e);
      throw new GruError('INVALID_FILE', `${this.source}: cannot read ${what} (${why.length > 200 ? why.slice(0, 200) + '…' : why}); the file is truncated, damaged or not written by Keras`, { cause: e });
    }
  }

  private node(path: string): jsfive.Group | jsfive.Dataset | null {
    if (path === '' || path === '/') return this.root;
    return this.guard(`'${path}'`, () => {
      // jsfive throws "x not found in group": look members up level by level instead, so absence is null.
      let at: jsfive.Group = this.root;
      const parts = path.split('/').filter((p) => p !== '');
      for (let i = 0; i < parts.length; i++) {
        if (!at.keys.includes(parts[i])) return null;
        const next = at.get(parts[i]);
        if (next === null) return null;
        if (i === parts.length - 1) return next;
        if (!(next instanceof jsfive.Group)) return null;
        at = next;
      }
      return at;
    });
  }

  /** Whether a group exists at `path`. */
  hasGroup(path: string): boolean {
    return this.node(path) instanceof jsfive.Group;
  }

  /** Whether a dataset exists at `path`. */
  hasDataset(path: string): boolean {
    return this.node(path) instanceof jsfive.Dataset;
  }

  /** Member names of the group at `path`. @throws INVALID_FILE when there is no such group. */
  keys(path: string): string[] {
    const g = this.node(path);
    if (!(g instanceof jsfive.Group)) throw new GruError('INVALID_FILE', `${this.source}: expected a group '${path}', found ${g === null ? 'nothing' : 'a dataset'}`);
    return this.guard(`the members of '${path}'`, () => g.keys);
  }

  /** An attribute of the group or dataset at `path`, or undefined. */
  attr(path: string, name: string): unknown {
    const n = this.node(path);
    if (n === null) return undefined;
    return this.guard(`the attributes of '${path || '/'}'`, () => n.attrs[name]);
  }

  /** An attribute that must be a string (Keras stores JSON configs so), or undefined when absent. */
  stringAttr(path: string, name: string): string | undefined {
    const v = this.attr(path, name);
    if (v === undefined) return undefined;
    const s = typeof v === 'string' ? v : Array.isArray(v) && v.length === 1 && typeof v[0] === 'string' ? v[0] : null;
    if (s === null) throw new GruError('INVALID_FILE', `${this.source}: attribute '${name}' of '${path || '/'}' must be a string`);
    return unpad(s);
  }

  /** An attribute that must be a list of strings (Keras' layer_names, weight_names), or undefined when absent. */
  stringListAttr(path: string, name: string): string[] | undefined {
    const v = this.attr(path, name);
    if (v === undefined) return undefined;
    const list = typeof v === 'string' ? [v] : Array.isArray(v) || ArrayBuffer.isView(v) ? Array.from(v as ArrayLike<unknown>) : null;
    if (list === null || !list.every((s) => typeof s === 'string')) {
      // An empty list comes back from h5py as a float64 array of length 0.
      if (list !== null && list.length === 0) return [];
      throw new GruError('INVALID_FILE', `${this.source}: attribute '${name}' of '${path || '/'}' must be a list of strings`);
    }
    return (list as string[]).map(unpad);
  }

  /**
   * The float dataset at `path` as a float32 tensor of its shape.
   * @throws a {@link GruError} ('INVALID_FILE') when it is missing, not float32/float64, or holds fewer elements than its shape.
   */
  tensor(path: string): Tensor {
    const d = this.node(path);
    if (!(d instanceof jsfive.Dataset)) throw new GruError('INVALID_FILE', `${this.source}: expected a dataset '${path}', found ${d === null ? 'nothing' : 'a group'}`);
    const { shape, dtype } = this.guard(`the header of '${path}'`, () => ({ shape: [...d.shape], dtype: d.dtype }));
    if (typeof dtype !== 'string' || !FLOAT_TYPES.has(dtype)) {
      throw new GruError('UNSUPPORTED', `${this.source}: dataset '${path}' has element type ${typeof dtype === 'string' ? dtype : JSON.stringify(dtype)}; expected float32 or float64 weights`);
    }
    if (!shape.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new GruError('INVALID_FILE', `${this.source}: dataset '${path}' has an invalid shape ${JSON.stringify(shape)}`);
    const n = sizeOf(shape);
    const values = this.guard(`the data of '${path}'`, () => d.value);
    if (values.length !== n) throw new GruError('INVALID_FILE', `${this.source}: dataset '${path}' of shape ${shapeString(shape)} holds ${values.length} elements, expected ${n}`);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = values[i] as number;
    return new Tensor(data, shape);
  }
}
