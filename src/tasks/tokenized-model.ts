/** Model files of task models made of a module and one tokenizer (classify, lm). */
import type { Module } from '../nn/module.js';
import { Tokenizer, type TokenizerJSON } from '../data/tokenizer.js';
import type * as z from 'zod';
import { buildModel, modelFileFor, modelMetadata, writeModelFile, type HeldOutMetrics, type ModelFile, type TaskName } from './model-file.js';
import { validateMeta } from './model-schema.js';
import type { TrainingDataRecord } from './training-data.js';

/** A module with its configuration, and the tokenizer its inputs come from. */
export interface TokenizedModel<M extends Module & { config: unknown }> {
  model: M;
  tokenizer: Tokenizer;
  /** The training data and its split, recorded in the model file. */
  data?: TrainingDataRecord;
  /** The training run's held-out test scores, recorded in the model file. */
  metrics?: HeldOutMetrics;
}

export function tokenizedMetadata(task: TaskName, m: TokenizedModel<Module & { config: unknown }>): Record<string, string> {
  return modelMetadata(task, { config: m.model.config, tokenizer: m.tokenizer.toJSON(), ...(m.data ? { data: m.data } : {}), ...(m.metrics ? { metrics: m.metrics } : {}) });
}

export function saveTokenizedModel(task: TaskName, m: TokenizedModel<Module & { config: unknown }>, path: string): void {
  writeModelFile(path, m.model.stateDict(), tokenizedMetadata(task, m));
}

/**
 * Reads a file of `task`: checks its metadata against `schema` (which has
 * `config` and `tokenizer` entries), then rebuilds the module with
 * `make(config, vocabularySize)` inside an allocation budget set by the
 * file's tensors, and loads them. A bad file is a GruError ('INVALID_FILE')
 * naming the file and the metadata key or tensor at fault.
 */
export function loadTokenizedModel<S extends z.ZodType<{ config: unknown; tokenizer: TokenizerJSON; data?: TrainingDataRecord; metrics?: HeldOutMetrics }>, M extends Module & { config: unknown }>(
  path: string,
  task: TaskName,
  schema: S,
  make: (config: z.output<S>['config'], vocab: number) => M,
  file?: ModelFile,
): TokenizedModel<M> {
  const f = modelFileFor(path, task, file);
  const meta = validateMeta(path, task, f.meta, schema);
  const tokenizer = Tokenizer.fromJSON(meta.tokenizer);
  const model = buildModel(f, meta.config, () => make(meta.config, tokenizer.size));
  return { model: model.eval(), tokenizer, data: meta.data, ...(meta.metrics ? { metrics: meta.metrics } : {}) };
}
