/**
 * The one model file: safetensors with the weights under their module
 * names and, in `__metadata__`, the format, task, configuration and
 * preprocessing (tokenizer, normalisation) as JSON strings. Readers check
 * the format version, so a file from a newer release fails clearly.
 *
 * This part works on parsed bytes and loads in a browser; model-file.ts adds
 * reading and writing files.
 */
import { withAllocationBudget, type Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';
import type { SafetensorsFile } from '../io/safetensors.js';
import { GruError } from '../errors.js';
import type { TrainingDataRecord } from './training-data.js';
import { jsonPath } from './model-schema.js';
import { GRU_TS_VERSION } from '../version.js';

export const MODEL_FORMAT = 'gru-ts';
/** Bumped when a reader of an older version could not read the files. */
export const MODEL_FORMAT_VERSION = 1;

/** A task's registered name ('forecast', 'classify', …; see tasks/registry.ts). */
export type TaskName = string;

export interface ModelFile {
  /** The path it was read from (errors name it). */
  path: string;
  task: TaskName;
  /**
   * Parsed JSON entries of the metadata (config, tokenizer, …): unchecked,
   * so a loader passes them through `validateMeta` (tasks/model-schema.ts)
   * before reading them.
   */
  meta: Record<string, unknown>;
  weights: Map<string, Tensor>;
  /** The `data` entry as it came, unchecked: what the file records of its training data and split (files of older releases have none). */
  data?: TrainingDataRecord;
}

/**
 * Where a model file came from: the gru-ts release, when, and the `gru`
 * command line that made it with every training option as it took effect,
 * defaults and the seed included (both absent for files made by library calls).
 */
export interface Provenance {
  gruTs: string;
  created: string;
  command?: string[];
  options?: Record<string, string | number | boolean | null>;
}

/**
 * The held-out test scores of the training run that wrote a model file, as
 * `gru train` printed them (the `metrics` metadata entry). Absent in files
 * of older releases, in files written by other means than training (import,
 * checkpoints) and in pruned files, whose weights no longer scored these.
 */
export interface HeldOutMetrics {
  /** How many held-out cases were scored: classify texts or sequences, forecast windows, lm texts, seq2seq pairs, recommend next-click predictions. */
  examples: number;
  /** Metric name → value (e.g. accuracy and macroF1; mae, rmse, smape and mase; bitsPerChar; wer and per; recall@20 and mrr@20). */
  values: Record<string, number>;
  /** Settings the values depend on, when there are any (seq2seq: beam; a global forecaster: series). */
  settings?: Record<string, number>;
}

/**
 * A {@link HeldOutMetrics} record; values that are not finite numbers (a
 * MASE over a constant series) are left out, since JSON has no NaN or
 * Infinity and the file's schema accepts finite numbers only.
 */
export function heldOutMetrics(examples: number, values: Record<string, number>, settings?: Record<string, number>): HeldOutMetrics {
  const finite = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([, v]) => Number.isFinite(v)));
  return { examples, values: finite(values), ...(settings ? { settings: finite(settings) } : {}) };
}

let madeByCommand: string[] | undefined;

/** The `gru` command records its arguments here once, so every model file it writes names the command that made it. */
export function recordCommandLine(args: readonly string[]): void {
  madeByCommand = [...args];
}

let madeWithOptions: Provenance['options'];

/** Records the training options a `gru train` run took (flags and defaults, the seed included), for the model files it writes. */
export function recordTrainingOptions(options: Record<string, unknown>): void {
  madeWithOptions = {};
  for (const [k, v] of Object.entries(options)) {
    if (typeof v === 'string' || typeof v === 'boolean' || v === null) madeWithOptions[k] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) madeWithOptions[k] = v;
    else if (Array.isArray(v)) madeWithOptions[k] = v.join(','); // lists of columns or words, as typed
  }
}

/** Metadata entries for a task model: the JSON-encoded parts plus format, version and provenance. */
export function modelMetadata(task: TaskName, parts: Record<string, unknown>): Record<string, string> {
  const provenance: Provenance = { gruTs: GRU_TS_VERSION, created: new Date().toISOString(), ...(madeByCommand ? { command: madeByCommand } : {}), ...(madeWithOptions ? { options: madeWithOptions } : {}) };
  const out: Record<string, string> = { format: MODEL_FORMAT, formatVersion: String(MODEL_FORMAT_VERSION), task, provenance: JSON.stringify(provenance) };
  for (const [k, v] of Object.entries(parts)) out[k] = JSON.stringify(v);
  return out;
}

/**
 * A parsed model file (`path`: what errors call it), checking format,
 * version and (if given) the task; the metadata entries must be JSON. Any
 * failure is a {@link GruError} ('INVALID_FILE') naming it.
 */
export function modelFileOf(f: SafetensorsFile, path: string, expectTask?: TaskName): ModelFile {
  const md = f.metadata;
  const bad = (message: string) => new GruError('INVALID_FILE', `${path}: ${message}`);
  if (md.format !== MODEL_FORMAT) throw bad(`not a gru-ts model file (metadata format is ${md.format === undefined ? 'missing' : clip(md.format)}); for raw weights use loadStateDictFile`);
  const version = md.formatVersion === undefined || md.formatVersion.trim() === '' ? NaN : Number(md.formatVersion);
  if (!(Number.isInteger(version) && version >= 1)) {
    throw bad(`metadata formatVersion: expected a format version from 1 to ${MODEL_FORMAT_VERSION}, got ${md.formatVersion === undefined ? 'nothing' : clip(md.formatVersion)}`);
  }
  if (version > MODEL_FORMAT_VERSION) {
    throw bad(`model format version ${md.formatVersion} is newer than this gru-ts reads (up to ${MODEL_FORMAT_VERSION}); upgrade gru-ts`);
  }
  const task = md.task;
  if (task === undefined || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(task)) {
    throw bad(`metadata task: expected a task name (such as 'classify'), got ${task === undefined ? 'nothing' : clip(task)}`);
  }
  if (expectTask && task !== expectTask) throw bad(`metadata task: expected a ${expectTask} model, got a ${task} model`);
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(md)) {
    if (k === 'format' || k === 'formatVersion' || k === 'task' || k === 'checkpoint') continue;
    try {
      meta[k] = JSON.parse(v);
    } catch (e) {
      throw new GruError('INVALID_FILE', `${path}: metadata ${jsonPath([k])}: expected JSON, got text that is not JSON (${oneLine((e as Error).message)})`, { cause: e });
    }
  }
  const weights = new Map([...f.tensors].filter(([k]) => !k.startsWith('__')));
  return { path, task, meta, weights, data: meta.data as TrainingDataRecord | undefined };
}

/** Elements a loader may allocate to build a module, beyond the file's own: small configurations have fixed costs. */
const BUDGET_SLACK = 1_000_000;

/**
 * Builds the module a file describes and loads the file's weights into it.
 * `make` runs inside an allocation budget set by the file's own tensors
 * (their elements × 1.25 + 1M), so a configuration that implies more weights
 * than the file holds fails before its arrays exist; then every parameter
 * must be in the file with its shape, and no other tensor may be. `config`
 * is the (validated) configuration, whose sizes the budget error lists.
 * Errors are {@link GruError}s ('INVALID_FILE') naming the file.
 */
export function buildModel<M extends Module>(f: ModelFile, config: unknown, make: () => M): M {
  let held = 0;
  for (const t of f.weights.values()) held += t.size;
  const budget = Math.ceil(held * 1.25) + BUDGET_SLACK;
  const model = withAllocationBudget(
    budget,
    make,
    (asked, limit, allocated) =>
      new GruError(
        'INVALID_FILE',
        `${f.path}: metadata config${sizesOf(config)} implies more weights than the file holds: building the ${f.task} model asked for ${allocated + asked} elements or more, past the ${limit} allowed for a file of ${held}`,
      ),
  );
  model.loadStateDict(f.weights, { prefix: '', file: f.path });
  return model;
}

/** " (hiddenSize 8, numLayers 1, …)": the integer entries of a config, which decide its weights' sizes. */
function sizesOf(config: unknown): string {
  if (typeof config !== 'object' || config === null) return '';
  const sizes = Object.entries(config)
    .filter(([, v]) => Number.isInteger(v))
    .map(([k, v]) => `${k} ${String(v)}`);
  return sizes.length > 0 ? ` (${sizes.join(', ')})` : '';
}

/** A metadata string for a message: quoted (so control characters stay on one line), at most 40 characters. */
const clip = (s: string) => (s.length > 40 ? `${JSON.stringify(s.slice(0, 40))}…` : JSON.stringify(s));

/** An error message from elsewhere on one line, at most 120 characters (JSON.parse quotes the text it failed on). */
const oneLine = (s: string) => (s.length > 120 ? `${s.slice(0, 120)}…` : s).replace(/[\u0000-\u001f\u2028\u2029]/g, ' ');
