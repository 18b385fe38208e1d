/**
 * safetensors files on disk (node:fs). Kept apart from safetensors.ts so
 * that bundling the parser for a browser does not pull in node:fs.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '../tensor/tensor.js';
import type { LoadOptions, Module } from '../nn/module.js';
import { GruError } from '../errors.js';
import { parseSafetensors, serializeSafetensors, type IntTensor, type SafetensorsFile } from './safetensors.js';
import { writeFileAtomic } from './atomic-file.js';

/** Reads and parses a safetensors file; see {@link parseSafetensors} for what is checked. */
export function readSafetensors(path: string): SafetensorsFile {
  const bytes = readFileSync(path);
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    const message = `${path}: ${(e as Error).message}`;
    // Keep the rejection's class and code; anything else is a bug and stays a plain Error.
    throw e instanceof GruError ? new GruError(e.code, message, { cause: e }) : new Error(message, { cause: e });
  }
}

/**
 * Writes tensors as a safetensors file, atomically: the bytes go to a
 * temporary file in the same directory, which is flushed to disk and then
 * renamed over `path`. Readers therefore see either the old file or the
 * complete new one, never a torn write, even if the process dies midway.
 * On failure the temporary file is removed and `path` is left untouched.
 * An existing file's permission bits are kept.
 */
export function writeSafetensors(path: string, tensors: Record<string, Tensor> | Map<string, Tensor>, metadata?: Record<string, string>, ints?: Record<string, IntTensor> | Map<string, IntTensor>): void {
  // Serialize first: an invalid tensor throws before the file system is touched.
  const bytes = serializeSafetensors(tensors, metadata, ints);
  writeFileAtomic(path, bytes);
}

/**
 * Loads a module's parameters from a safetensors file (float tensors only;
 * F16/BF16/F64 are converted to the module's element type). The module's
 * prefix inside the file (e.g. "gru.") is detected unless given; every
 * parameter must be present with its shape, and keys under the prefix that
 * the module lacks are an error (see {@link Module.loadStateDict}).
 * Returns the file's metadata.
 */
export function loadStateDictFile(module: Module, path: string, opts: LoadOptions = {}): Record<string, string> {
  const file = readSafetensors(path);
  try {
    module.loadStateDict(file.tensors, opts);
  } catch (e) {
    // Integer tensors are not offered as parameters; say so when they may explain a missing key.
    const ints = [...file.ints.keys()];
    const note = ints.length > 0 ? ` (integer tensors in the file, not loadable as parameters: ${ints.join(', ')})` : '';
    throw new Error(`${path}: ${(e as Error).message}${note}`, { cause: e });
  }
  return file.metadata;
}

/** Saves a module's parameters (its state dict, PyTorch names) to a safetensors file, atomically. */
export function saveStateDictFile(module: Module, path: string, metadata?: Record<string, string>): void {
  writeSafetensors(path, module.stateDict(), metadata);
}

/** The temporary files of `path`: `${path}.tmp-<pid>-<12 hex digits>`. */
const TEMPORARY = /^\.tmp-(\d+)-[0-9a-f]{12}$/;

/**
 * Removes the temporary files an atomic write of `path` left behind when
 * its process died mid-write (killed, out of power): those whose process no
 * longer runs, and those of `deadThreadsOf` (a process id: this one, when a
 * worker thread that wrote `path` was terminated). Files of a live process
 * are left alone (it may be writing). Returns the paths removed. Best
 * effort: unreadable directories and files that cannot be removed are
 * skipped.
 */
export function removeStaleTemporaries(path: string, deadThreadsOf?: number): string[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const m = TEMPORARY.exec(name.slice(base.length));
    if (!m || (Number(m[1]) !== deadThreadsOf && processAlive(Number(m[1])))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(join(dir, name));
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/** Whether a process with this id runs on this machine (one we may not signal counts as running). */
export function processAlive(pid: number): boolean {
  if (!(Number.isInteger(pid) && pid > 0)) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
