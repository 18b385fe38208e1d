/**
 * A classifier from the bytes of its model file, for browsers and any code
 * without a file system: the same safetensors file that `saveClassifier` /
 * `gru train classify` write (weights under their module names; format,
 * task, config, tokenizer and training-data record as JSON strings in
 * `__metadata__`), read with the byte-level safetensors reader and checked
 * as {@link loadClassifier} checks a file: format and version, the task,
 * every metadata entry against the classify schema (zod), the model built
 * inside an allocation budget set by the file's own tensors, and every
 * weight present with its shape. Any problem is a {@link GruError}
 * ('INVALID_FILE') naming `name` and what is wrong, before anything is built.
 *
 * Nothing here touches Node: src/browser.ts exports it; the checks are
 * model-format.ts's, which readModelFile runs on files.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(await (await fetch('tones.safetensors')).arrayBuffer());
 * const kws = new KeywordStream(classifierFromBytes(bytes, 'tones.safetensors'));
 * ```
 */
import { parseSafetensors, type SafetensorsFile } from '../../io/safetensors.js';
import { Tokenizer } from '../../data/tokenizer.js';
import { validateMeta } from '../model-schema.js';
import { buildModel, modelFileOf } from '../model-format.js';
import { Classifier } from './model.js';
import { classifyMetaSchema } from './schema.js';
import type { TrainedClassifier } from './task.js';
import { GruError } from '../../errors.js';

export type { TrainedClassifier } from './task.js';

/**
 * Reads a classifier (text or frames/audio) from the bytes of its model
 * file; `name` (a file name or URL) is what error messages call it.
 * The model is in eval mode; for an audio classifier `model.config.audio`
 * holds its front end, so a {@link KeywordStream} can run it.
 * @throws {GruError} `INVALID_FILE` for bytes that are not a usable classify model file.
 */
export function classifierFromBytes(bytes: Uint8Array | ArrayBuffer, name = 'classifier bytes'): TrainedClassifier {
  let parsed: SafetensorsFile;
  try {
    parsed = parseSafetensors(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (e) {
    throw e instanceof GruError ? new GruError('INVALID_FILE', `${name}: ${e.message}`, { cause: e }) : e;
  }
  const f = modelFileOf(parsed, name, 'classify');
  const m = validateMeta(name, 'classify', f.meta, classifyMetaSchema);
  const tokenizer = m.tokenizer ? Tokenizer.fromJSON(m.tokenizer) : undefined;
  const model = buildModel(f, m.config, () => new Classifier(m.config, tokenizer?.size ?? 0));
  return { model: model.eval(), ...(tokenizer ? { tokenizer } : {}), ...(m.data ? { data: m.data } : {}), ...(m.metrics ? { metrics: m.metrics } : {}) };
}
