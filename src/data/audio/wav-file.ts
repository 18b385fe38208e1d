/**
 * Node-only: reads a WAV file from disk and decodes it (./wav.ts takes bytes,
 * for the browser and for callers that already hold them).
 * @module
 */
import { readFileSync } from 'node:fs';
import { GruError } from '../../errors.js';
import { decodeWav, type WavInfo } from './wav.js';

/**
 * Reads and decodes the WAV file at `path` (see {@link decodeWav}); errors name the path.
 * @throws {GruError} `INVALID_FILE` when the file cannot be read or is not a usable WAV file.
 */
export function readWavFile(path: string): WavInfo {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new GruError('INVALID_FILE', `${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  return decodeWav(bytes, path);
}
