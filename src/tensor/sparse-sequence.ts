/**
 * A batch of sparse input sequences: one CSR row per (step, sequence), so a
 * model reads token ids or sparse feature vectors without ever building the
 * dense one-hot (T · B · vocabulary numbers).
 */
import { csr, csrFromIds, type CsrMatrix } from './csr.js';
import { GruError } from '../errors.js';

/** T steps of B sequences over `size` input features, rows time-major (row t·B + b). */
export interface SparseSequence {
  readonly kind: 'sparse-sequence';
  readonly T: number;
  readonly B: number;
  /** (T·B) × size, row t·B + b holds step t of sequence b. */
  readonly rows: CsrMatrix;
}

/**
 * Sparse sequences from a CSR matrix of T·B rows, each one step of one
 * sequence: time-major rows (t·B + b) by default, or batch-major (b·T + t)
 * with `batchFirst` (reordered here once).
 */
export function sparseSequence(rows: CsrMatrix, T: number, B: number, batchFirst = false): SparseSequence {
  for (const [name, v] of [
    ['T', T],
    ['B', B],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new GruError('INVALID_ARGUMENT', `sparseSequence: ${name} must be a positive integer, got ${v}`);
  }
  if (rows.rows !== T * B) throw new GruError('INVALID_ARGUMENT', `sparseSequence: expected T·B = ${T}·${B} = ${T * B} rows, got ${rows.rows}`);
  return { kind: 'sparse-sequence', T, B, rows: batchFirst ? timeMajor(rows, T, B) : rows };
}

/**
 * Token ids as sparse one-hot steps: ids (T·B) time-major, or (B·T) with
 * `batchFirst`; each an integer in [0, vocabulary).
 */
export function tokenSequence(ids: ArrayLike<number>, T: number, B: number, vocabulary: number, batchFirst = false): SparseSequence {
  if (ids.length !== T * B) throw new GruError('INVALID_ARGUMENT', `tokenSequence: expected T·B = ${T * B} ids, got ${ids.length}`);
  return sparseSequence(csrFromIds(ids, vocabulary), T, B, batchFirst);
}

/** True for a {@link SparseSequence}. */
export function isSparseSequence(x: unknown): x is SparseSequence {
  return typeof x === 'object' && x !== null && (x as SparseSequence).kind === 'sparse-sequence';
}

/** Reorders batch-major rows (b·T + t) to time-major (t·B + b). */
function timeMajor(m: CsrMatrix, T: number, B: number): CsrMatrix {
  const rowPtr = new Int32Array(m.rows + 1);
  const colIdx = new Int32Array(m.colIdx.length);
  const values = m.values ? new (m.values.constructor as Float32ArrayConstructor)(m.values.length) : null;
  let n = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const r = b * T + t;
      for (let k = m.rowPtr[r]; k < m.rowPtr[r + 1]; k++) {
        colIdx[n] = m.colIdx[k];
        if (values) values[n] = m.values![k];
        n++;
      }
      rowPtr[t * B + b + 1] = n;
    }
  }
  return csr(m.rows, m.cols, rowPtr, colIdx, values);
}
