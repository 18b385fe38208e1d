/**
 * A worker thread running one of this package's modules, from the compiled
 * JavaScript or from the TypeScript sources (tests, tsx): there the worker
 * registers tsx's loader first, because Node 20 does not pass `--import`
 * hooks on to worker threads. The module starts itself when it finds its
 * mark in `workerData`. An error crosses the thread boundary as a
 * {@link SerializedError}: a GruError keeps its code (and a training run's
 * divergence its epochs).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { GruError, type GruErrorCode } from '../errors.js';
import { TrainingDivergedError } from './trainer.js';

/** A worker running the module at `moduleUrl` (its `import.meta.url`). */
export function startModuleWorker(moduleUrl: string, options: WorkerOptions): Worker {
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(moduleUrl), options);
  // tsx's ESM API ('tsx/esm/api', import condition), found beside its main entry (dist/loader.mjs).
  const tsx = pathToFileURL(join(dirname(createRequire(moduleUrl).resolve('tsx')), 'esm', 'api', 'index.mjs')).href;
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); })`;
  return new Worker(code, { ...options, eval: true });
}

/** An error as a worker posts it. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  diverged?: { epoch: number; lastGoodEpoch: number; checkpointPath?: string };
}

/** What a worker posts for an error it caught. */
export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const s: SerializedError = { name: e.name, message: e.message };
  if (e instanceof GruError) s.code = e.code;
  else if ((e as { code?: unknown }).code !== undefined && e.name === 'CommanderError') {
    // A rejected option, as commander words it ("error: option '--lr <rate>' argument …").
    s.code = 'INVALID_ARGUMENT';
    s.message = e.message.replace(/^error: /, '');
  }
  if (e instanceof TrainingDivergedError) s.diverged = { epoch: e.epoch, lastGoodEpoch: e.lastGoodEpoch, checkpointPath: e.checkpointPath };
  return s;
}

/** The error again, on the receiving thread: a GruError with its code, a TrainingDivergedError, an AbortError, or an Error with its name. */
export function reviveError(s: SerializedError): Error {
  if (s.diverged) return new TrainingDivergedError(s.code as GruErrorCode, s.message, s.diverged.epoch, s.diverged.lastGoodEpoch, s.diverged.checkpointPath);
  if (s.code) return new GruError(s.code as GruErrorCode, s.message);
  if (s.name === 'AbortError') return new DOMException(s.message, 'AbortError');
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}
