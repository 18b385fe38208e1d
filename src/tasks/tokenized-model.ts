/** Model files of task models made of a module and one tokenizer (classify, lm). */
import type { Module } from '../nn/module.js';
import { Tokenizer, type TokenizerJSON } from '../data/tokenizer.js';
import { modelMetadata, readModelFile, writeModelFile, type TaskName } from './model-file.js';
import type { TrainingDataRecord } from './training-data.js';

/** A module with its configuration, and the tokenizer its inputs come from. */
export interface TokenizedModel<M extends Module & { config: unknown }> {
  model: M;
  tokenizer: Tokenizer;
  /** The training data and its split, recorded in the model file. */
  data?: TrainingDataRecord;
}

export function tokenizedMetadata(task: TaskName, m: TokenizedModel<Module & { config: unknown }>): Record<string, string> {
  return modelMetadata(task, { config: m.model.config, tokenizer: m.tokenizer.toJSON(), ...(m.data ? { data: m.data } : {}) });
}

export function saveTokenizedModel(task: TaskName, m: TokenizedModel<Module & { config: unknown }>, path: string): void {
  writeModelFile(path, m.model.stateDict(), tokenizedMetadata(task, m));
}

/** Reads a file of `task`, rebuilding the module with `make(config, vocabularySize)`. */
export function loadTokenizedModel<C, M extends Module & { config: unknown }>(path: string, task: TaskName, make: (config: C, vocab: number) => M): TokenizedModel<M> {
  const f = readModelFile(path, task);
  const tokenizer = Tokenizer.fromJSON(f.meta.tokenizer as TokenizerJSON);
  const model = make(f.meta.config as C, tokenizer.size);
  model.loadStateDict(f.weights);
  return { model: model.eval(), tokenizer, data: f.data };
}
