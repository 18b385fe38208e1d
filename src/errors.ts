/**
 * The library's error class. Every input the library rejects — a malformed
 * or hostile file, bad table data, a bad option — throws a {@link GruError}
 * with a {@link GruErrorCode}, so callers can tell a clean rejection from a
 * bug (which surfaces as a plain `Error`, `TypeError`, `RangeError`, …).
 *
 * @module
 */

/**
 * Why an input was rejected:
 * - `INVALID_FILE`: a file (safetensors, ONNX) is malformed, truncated or hostile;
 * - `INVALID_DATA`: table or sequence data (CSV, JSONL, values) is malformed;
 * - `INVALID_ARGUMENT`: an option, shape or argument passed by the caller is wrong;
 * - `UNSUPPORTED`: the input is valid but uses something this library does not handle.
 */
export type GruErrorCode = 'INVALID_FILE' | 'INVALID_DATA' | 'INVALID_ARGUMENT' | 'UNSUPPORTED';

/**
 * A rejection by the library: the message names what was expected and what
 * came; `code` says which kind of input was at fault.
 *
 * @example
 * ```ts
 * import { GruError, parseSafetensors } from 'gru-ts';
 * try {
 *   parseSafetensors(bytes);
 * } catch (e) {
 *   if (e instanceof GruError && e.code === 'INVALID_FILE') console.error(`not a usable model file: ${e.message}`);
 *   else throw e; // a bug, not a rejection
 * }
 * ```
 */
export class GruError extends Error {
  override readonly name = 'GruError';
  /** Which kind of input was at fault. */
  readonly code: GruErrorCode;

  constructor(code: GruErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
