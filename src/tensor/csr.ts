/**
 * Compressed sparse rows (CSR): the one sparse layout of the library. Row r
 * holds the entries k in [rowPtr[r], rowPtr[r+1]): column colIdx[k], value
 * values[k] (values null = every stored entry is 1, e.g. token ids or
 * multi-hot features). Used for sparse inputs (rows = time steps × batch)
 * and for pruned weight matrices.
 */
import type { FloatArray } from './tensor.js';
import { GruError } from '../errors.js';

/** A (rows × cols) sparse matrix in CSR form; build it with {@link csr} so it is checked. */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows + 1 offsets into colIdx/values, non-decreasing, rowPtr[0] = 0. */
  readonly rowPtr: Int32Array;
  /** Column of each stored entry, in [0, cols). */
  readonly colIdx: Int32Array;
  /** Value of each stored entry, or null when all are 1. */
  readonly values: FloatArray | null;
}

function ints(what: string, a: ArrayLike<number>): Int32Array {
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isInteger(v)) throw new GruError('INVALID_ARGUMENT', `csr: ${what}[${i}] must be an integer, got ${v}`);
    out[i] = v;
  }
  return out;
}

/**
 * Checks and builds a CSR matrix. Errors name what was expected and what came:
 * non-integer or negative indices, columns out of range, a rowPtr that is not
 * non-decreasing or does not end at the entry count, values of the wrong length
 * or not finite.
 */
export function csr(rows: number, cols: number, rowPtr: ArrayLike<number>, colIdx: ArrayLike<number>, values: ArrayLike<number> | null = null): CsrMatrix {
  for (const [name, v] of [
    ['rows', rows],
    ['cols', cols],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new GruError('INVALID_ARGUMENT', `csr: ${name} must be a non-negative integer, got ${v}`);
  }
  if (rowPtr.length !== rows + 1) throw new GruError('INVALID_ARGUMENT', `csr: rowPtr must have rows + 1 = ${rows + 1} entries, got ${rowPtr.length}`);
  const rp = ints('rowPtr', rowPtr);
  const ci = ints('colIdx', colIdx);
  if (rp[0] !== 0) throw new GruError('INVALID_ARGUMENT', `csr: rowPtr[0] must be 0, got ${rp[0]}`);
  for (let r = 0; r < rows; r++) {
    if (rp[r + 1] < rp[r]) throw new GruError('INVALID_ARGUMENT', `csr: rowPtr must be non-decreasing, but rowPtr[${r + 1}] = ${rp[r + 1]} < rowPtr[${r}] = ${rp[r]}`);
  }
  if (rp[rows] !== ci.length) throw new GruError('INVALID_ARGUMENT', `csr: rowPtr[${rows}] must equal the number of column indices (${ci.length}), got ${rp[rows]}`);
  for (let k = 0; k < ci.length; k++) {
    if (ci[k] < 0 || ci[k] >= cols) throw new GruError('INVALID_ARGUMENT', `csr: column index ${ci[k]} at entry ${k} is out of range [0, ${cols})`);
  }
  let vals: FloatArray | null = null;
  if (values !== null) {
    if (values.length !== ci.length) throw new GruError('INVALID_ARGUMENT', `csr: values must have one entry per column index (${ci.length}), got ${values.length}`);
    vals = values instanceof Float64Array ? values : Float32Array.from(values);
    for (let k = 0; k < vals.length; k++) {
      if (!Number.isFinite(vals[k])) throw new GruError('INVALID_ARGUMENT', `csr: value at entry ${k} must be finite, got ${vals[k]}`);
    }
  }
  return { rows, cols, rowPtr: rp, colIdx: ci, values: vals };
}

/**
 * One id per row: the CSR form of token indices (each row a one-hot without
 * the zeros). Ids must be integers in [0, cols).
 */
export function csrFromIds(ids: ArrayLike<number>, cols: number): CsrMatrix {
  const rowPtr = new Int32Array(ids.length + 1);
  for (let r = 0; r < ids.length; r++) rowPtr[r + 1] = r + 1;
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= cols) throw new GruError('INVALID_ARGUMENT', `csr: id at position ${i} must be an integer in [0, ${cols}), got ${v}`);
  }
  return csr(ids.length, cols, rowPtr, ids, null);
}

/** The stored entries of a dense (rows × cols) row-major matrix whose |value| > threshold. */
export function csrFromDense(dense: FloatArray, rows: number, cols: number, threshold = 0): CsrMatrix {
  if (dense.length !== rows * cols) throw new GruError('INVALID_ARGUMENT', `csr: dense matrix must have ${rows}×${cols} = ${rows * cols} entries, got ${dense.length}`);
  const rowPtr = new Int32Array(rows + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = dense[r * cols + c];
      if (Math.abs(v) > threshold) {
        colIdx.push(c);
        values.push(v);
      }
    }
    rowPtr[r + 1] = colIdx.length;
  }
  const vals = dense instanceof Float64Array ? Float64Array.from(values) : Float32Array.from(values);
  return { rows, cols, rowPtr, colIdx: Int32Array.from(colIdx), values: vals };
}

/** The dense (rows × cols) row-major form; duplicate entries add up. */
export function csrToDense(m: CsrMatrix, out: FloatArray = new Float32Array(m.rows * m.cols)): FloatArray {
  out.fill(0);
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.rowPtr[r]; k < m.rowPtr[r + 1]; k++) out[r * m.cols + m.colIdx[k]] += m.values ? m.values[k] : 1;
  }
  return out;
}

/** Stored entries divided by rows × cols. */
export function csrDensity(m: CsrMatrix): number {
  return m.rows * m.cols === 0 ? 0 : m.colIdx.length / (m.rows * m.cols);
}
