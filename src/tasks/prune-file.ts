/**
 * Pruning a saved task model: read the model file, rebuild its module,
 * prune, and write the same format (so `gru eval` / `gru predict` and the
 * `load…` functions read it unchanged) with the pruning recorded in the
 * metadata entry `sparsity`.
 */
import { readSafetensors } from '../io/safetensors-file.js';
import { writeModelFile, type TaskName } from './model-file.js';
import type { Module } from '../nn/module.js';
import { magnitudePrune, type PruneOptions, type PruneStat } from '../sparse/prune.js';
import { loadTaskModel } from './registry.js';
import { TASKS } from './index.js';

/** The `sparsity` metadata entry of a pruned model file (stored as JSON). */
export interface SparsityMetadata {
  method: 'magnitude';
  /** The requested density (fraction of weights kept). */
  density: number;
  scope: 'per-matrix' | 'global';
  /** Weights kept / weights in the pruned matrices. */
  overallDensity: number;
  /** Density of each pruned matrix by parameter name. */
  matrices: Record<string, number>;
}

/** What {@link pruneModelFile} did. */
export interface PruneFileResult {
  task: TaskName;
  stats: PruneStat[];
  /** Weights kept and in total over the pruned matrices. */
  kept: number;
  size: number;
  sparsity: SparsityMetadata;
}

/** Rebuilds the module of a task model file (of any registered task). */
export function loadTaskModule(path: string): { task: TaskName; module: Module } {
  const { task, model } = loadTaskModel(TASKS, path);
  return { task: task.name, module: task.module(model) };
}

/**
 * Prunes the model in `input` with {@link magnitudePrune} and writes it to
 * `output` (atomically; `output` may equal `input`). Metadata is kept as it
 * was, less the training run's held-out `metrics` (they scored the dense
 * weights), plus `sparsity` ({@link SparsityMetadata}).
 */
export function pruneModelFile(input: string, output: string, o: PruneOptions): PruneFileResult {
  const { task, module } = loadTaskModule(input);
  const stats = magnitudePrune(module, o);
  let kept = 0,
    size = 0;
  for (const s of stats) {
    kept += s.kept;
    size += s.size;
  }
  const sparsity: SparsityMetadata = {
    method: 'magnitude',
    density: o.density,
    scope: o.scope ?? 'per-matrix',
    overallDensity: size === 0 ? 0 : kept / size,
    matrices: Object.fromEntries(stats.map((s) => [s.name, s.density])),
  };
  const metadata = { ...readSafetensors(input).metadata };
  delete metadata.checkpoint; // a training checkpoint's state no longer fits the pruned weights
  delete metadata.metrics; // the training run's test scores were the dense weights'; gru eval scores the pruned ones
  metadata.sparsity = JSON.stringify(sparsity);
  writeModelFile(output, module.stateDict(), metadata);
  return { task, stats, kept, size, sparsity };
}
