/** Model files on disk: {@link readModelFile} and {@link writeModelFile} around the byte-level checks of model-format.ts. */
import type { Tensor } from '../tensor/tensor.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors-file.js';
import { modelFileOf, type ModelFile, type TaskName } from './model-format.js';
import { GruError } from '../errors.js';

export * from './model-format.js';

/** Writes weights and metadata atomically. */
export function writeModelFile(path: string, weights: Record<string, Tensor>, metadata: Record<string, string>): void {
  writeSafetensors(path, weights, metadata);
}

/**
 * Reads a model file, checking format, version and (if given) the task; the
 * metadata entries must be JSON. Any failure is a {@link GruError}
 * ('INVALID_FILE') naming the file.
 */
export function readModelFile(path: string, expectTask?: TaskName): ModelFile {
  return modelFileOf(readSafetensors(path), path, expectTask);
}

/** The model file of a `task` loader: `file` when the caller has read it already (checked to be of that task), else read from `path`. */
export function modelFileFor(path: string, task: TaskName, file?: ModelFile): ModelFile {
  if (!file) return readModelFile(path, task);
  if (file.task !== task) throw new GruError('INVALID_FILE', `${path}: metadata task: expected a ${task} model, got a ${file.task} model`);
  return file;
}
