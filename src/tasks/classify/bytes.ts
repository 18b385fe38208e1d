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
 * Nothing here touches Node: src/browser.ts exports it (the file readers of
 * tasks/model-file.ts import node:fs, so the header checks are repeated here;
 * test/browser-mic.test.ts checks both agree on the same files).
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(await (await fetch('tones.safetensors')).arrayBuffer());
 * const kws = new KeywordStream(classifierFromBytes(bytes, 'tones.safetensors'));
 * ```
 */
import { parseSafetensors } from '../../io/safetensors.js';
import { withAllocationBudget } from '../../tensor/tensor.js';
import { Tokenizer } from '../../data/tokenizer.js';
import { jsonPath, validateMeta } from '../model-schema.js';
import { Classifier } from './model.js';
import { classifyMetaSchema } from './schema.js';
import type { TrainedClassifier } from './task.js';
import { GruError } from '../../errors.js';

export type { TrainedClassifier } from './task.js';

/** The metadata `format` of a gru-ts model file (tasks/model-file.ts: MODEL_FORMAT). */
export const CLASSIFIER_FILE_FORMAT = 'gru-ts';
/** The newest model-file format version read here (tasks/model-file.ts: MODEL_FORMAT_VERSION). */
export const CLASSIFIER_FILE_VERSION = 1;

/** Elements a loader may allocate beyond the file's own (tasks/model-file.ts: buildModel). */
const BUDGET_SLACK = 1_000_000;

/**
 * Reads a classifier (text or frames/audio) from the bytes of its model
 * file; `name` (a file name or URL) is what error messages call it.
 * The model is in eval mode; for an audio classifier `model.config.audio`
 * holds its front end, so a {@link KeywordStream} can run it.
 * @throws {GruError} `INVALID_FILE` for bytes that are not a usable classify model file.
 */
export function classifierFromBytes(bytes: Uint8Array | ArrayBuffer, name = 'classifier bytes'): TrainedClassifier {
  const bad = (message: string, cause?: unknown) => new GruError('INVALID_FILE', `${name}: ${message}`, cause === undefined ? undefined : { cause });
  let file: ReturnType<typeof parseSafetensors>;
  try {
    file = parseSafetensors(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (e) {
    throw e instanceof GruError ? bad(e.message, e) : e;
  }
  const md = file.metadata;
  if (md.format !== CLASSIFIER_FILE_FORMAT) throw bad(`not a gru-ts model file (metadata format is ${md.format === undefined ? 'missing' : clip(md.format)})`);
  const version = md.formatVersion === undefined || md.formatVersion.trim() === '' ? NaN : Number(md.formatVersion);
  if (!(Number.isInteger(version) && version >= 1)) {
    throw bad(`metadata formatVersion: expected a format version from 1 to ${CLASSIFIER_FILE_VERSION}, got ${md.formatVersion === undefined ? 'nothing' : clip(md.formatVersion)}`);
  }
  if (version > CLASSIFIER_FILE_VERSION) throw bad(`model format version ${md.formatVersion} is newer than this gru-ts reads (up to ${CLASSIFIER_FILE_VERSION}); upgrade gru-ts`);
  if (md.task !== 'classify') throw bad(`metadata task: expected a classify model, got ${md.task === undefined ? 'nothing' : `a ${clip(md.task)} model`}`);
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(md)) {
    if (k === 'format' || k === 'formatVersion' || k === 'task' || k === 'checkpoint') continue;
    try {
      meta[k] = JSON.parse(v);
    } catch (e) {
      throw bad(`metadata ${jsonPath([k])}: expected JSON, got text that is not JSON`, e);
    }
  }
  const m = validateMeta(name, 'classify', meta, classifyMetaSchema);
  const tokenizer = m.tokenizer ? Tokenizer.fromJSON(m.tokenizer) : undefined;
  const weights = new Map([...file.tensors].filter(([k]) => !k.startsWith('__')));
  let held = 0;
  for (const t of weights.values()) held += t.size;
  const limit = Math.ceil(held * 1.25) + BUDGET_SLACK;
  const model = withAllocationBudget(limit, () => new Classifier(m.config, tokenizer?.size ?? 0), (asked, max, allocated) =>
    bad(`metadata config implies more weights than the file holds: building the classifier asked for ${allocated + asked} elements or more, past the ${max} allowed for a file of ${held}`));
  model.loadStateDict(weights, { prefix: '', file: name });
  return { model: model.eval(), ...(tokenizer ? { tokenizer } : {}), ...(m.data ? { data: m.data } : {}) };
}

/** A metadata string for a message: quoted, at most 40 characters. */
const clip = (s: string) => (s.length > 40 ? `${JSON.stringify(s.slice(0, 40))}…` : JSON.stringify(s));
