/**
 * The one model file: safetensors with the weights under their module
 * names and, in `__metadata__`, the format, task, configuration and
 * preprocessing (tokenizer, normalisation) as JSON strings. Readers check
 * the format version, so a file from a newer release fails clearly.
 */
import type { Tensor } from '../tensor/tensor.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors-file.js';
import type { TrainingDataRecord } from './training-data.js';

export const MODEL_FORMAT = 'gru-ts';
/** Bumped when a reader of an older version could not read the files. */
export const MODEL_FORMAT_VERSION = 1;

/** A task's registered name ('forecast', 'classify', …; see tasks/registry.ts). */
export type TaskName = string;

export interface ModelFile {
  task: TaskName;
  /** Parsed JSON entries of the metadata (config, tokenizer, …). */
  meta: Record<string, unknown>;
  weights: Map<string, Tensor>;
  /** What the file records of its training data and split (files of older releases have none). */
  data?: TrainingDataRecord;
}

/** Metadata entries for a task model: the JSON-encoded parts plus format and version. */
export function modelMetadata(task: TaskName, parts: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = { format: MODEL_FORMAT, formatVersion: String(MODEL_FORMAT_VERSION), task };
  for (const [k, v] of Object.entries(parts)) out[k] = JSON.stringify(v);
  return out;
}

/** Writes weights and metadata atomically. */
export function writeModelFile(path: string, weights: Record<string, Tensor>, metadata: Record<string, string>): void {
  writeSafetensors(path, weights, metadata);
}

/** Reads a model file, checking format, version and (if given) the task. */
export function readModelFile(path: string, expectTask?: TaskName): ModelFile {
  const f = readSafetensors(path);
  const md = f.metadata;
  if (md.format !== MODEL_FORMAT) throw new Error(`${path}: not a gru-ts model file (metadata format is ${md.format === undefined ? 'missing' : `'${md.format}'`}); for raw weights use loadStateDictFile`);
  const version = Number(md.formatVersion);
  if (!(version >= 1 && version <= MODEL_FORMAT_VERSION)) {
    throw new Error(`${path}: model format version ${md.formatVersion} is newer than this gru-ts reads (up to ${MODEL_FORMAT_VERSION}); upgrade gru-ts`);
  }
  const task = md.task as TaskName;
  if (expectTask && task !== expectTask) throw new Error(`${path}: expected a ${expectTask} model, got a ${task} model`);
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(md)) {
    if (k === 'format' || k === 'formatVersion' || k === 'task' || k === 'checkpoint') continue;
    try {
      meta[k] = JSON.parse(v);
    } catch {
      throw new Error(`${path}: metadata '${k}' is not valid JSON`);
    }
  }
  const weights = new Map([...f.tensors].filter(([k]) => !k.startsWith('__')));
  return { task, meta, weights, data: meta.data as TrainingDataRecord | undefined };
}
