/**
 * {@link loadKerasModel}: Keras models from files (node:fs), and from the
 * gru-ts model files `gru import` writes. Kept apart from model.ts so a
 * browser bundle of the Keras reader does not pull in node:fs.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseSafetensors } from '../safetensors.js';
import { GruError } from '../../errors.js';
import { kerasModelFromConfig, readKerasModel, type KerasModel } from './model.js';

/** Options of {@link loadKerasModel}. */
export interface LoadKerasOptions {
  /** The weights of a JSON configuration: a `.weights.h5` (Keras 3) or Keras 2 `.h5` weight file, as a path or bytes. */
  weights?: string | Uint8Array;
}

/**
 * Loads a Keras model: a Keras 3 `.keras` file, a legacy `.h5` model, or a
 * JSON configuration (`model.to_json()`) with `{ weights }`; or a gru-ts
 * model file that `gru import` wrote from one. Returns a {@link KerasModel}
 * whose `predict(x)` gives Keras' `model.predict(x)`.
 *
 * @example
 * ```ts
 * const model = loadKerasModel('classifier.keras');
 * console.log(model.summary());
 * const probs = model.predict(Tensor.from([3, 1, 4, 1, 5, 0], [1, 6])); // token ids for an Embedding input
 * ```
 * @throws a {@link GruError}: 'INVALID_FILE' (truncated or malformed file), 'UNSUPPORTED' (a layer or option gru-ts does not run, named with its position), 'INVALID_ARGUMENT'.
 */
export function loadKerasModel(pathOrBytes: string | Uint8Array, opts: LoadKerasOptions = {}): KerasModel {
  const source = typeof pathOrBytes === 'string' ? pathOrBytes : 'Keras model';
  const bytes = typeof pathOrBytes === 'string' ? readFileSync(pathOrBytes) : pathOrBytes;
  const weights = typeof opts.weights === 'string' ? readFileSync(opts.weights) : opts.weights;
  if (isSafetensors(bytes)) {
    if (weights) throw new GruError('INVALID_ARGUMENT', `${source}: a gru-ts model file holds its own weights; pass no weights option`);
    return readGruTsKerasFile(bytes, source);
  }
  return readKerasModel(bytes, { source, weights, weightsSource: typeof opts.weights === 'string' ? opts.weights : undefined });
}

/** A safetensors file: an 8-byte little-endian header length, then a JSON header. */
function isSafetensors(b: Uint8Array): boolean {
  return b.length > 9 && b[8] === 0x7b && b[6] === 0 && b[7] === 0;
}

/**
 * A gru-ts model file of task 'keras' (written by `gru import`): metadata
 * `format` 'gru-ts', `task` 'keras', `config` = the model's Keras
 * configuration as {@link KerasModel.config} writes it; tensors = its state
 * dict.
 */
function readGruTsKerasFile(bytes: Uint8Array, source: string): KerasModel {
  let file;
  try {
    file = parseSafetensors(bytes);
  } catch (e) {
    throw e instanceof GruError ? new GruError(e.code, `${source}: ${e.message}`, { cause: e }) : e;
  }
  const md = file.metadata;
  if (md.format !== 'gru-ts' || md.task !== 'keras') {
    throw new GruError('INVALID_FILE', `${source}: a safetensors file but not a Keras model imported by gru-ts (metadata format ${JSON.stringify(md.format)}, task ${JSON.stringify(md.task)}; expected 'gru-ts' and 'keras')`);
  }
  if (md.formatVersion !== '1') throw new GruError('INVALID_FILE', `${source}: model format version ${JSON.stringify(md.formatVersion)}; this gru-ts reads version 1`);
  let config: unknown;
  try {
    config = JSON.parse(md.config ?? '');
  } catch (e) {
    throw new GruError('INVALID_FILE', `${source}: metadata config: expected JSON (the Keras configuration)`, { cause: e });
  }
  return kerasModelFromConfig(config, file.tensors, source);
}
