/**
 * A worker thread running one of this package's modules, from the compiled
 * JavaScript or from the TypeScript sources (tests, tsx): there the worker
 * registers tsx's loader first, because Node 20 does not pass `--import`
 * hooks on to worker threads. The module starts itself when it finds its
 * mark in `workerData`.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

/** A worker running the module at `moduleUrl` (its `import.meta.url`). */
export function startModuleWorker(moduleUrl: string, options: WorkerOptions): Worker {
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(moduleUrl), options);
  // tsx's ESM API ('tsx/esm/api', import condition), found beside its main entry (dist/loader.mjs).
  const tsx = pathToFileURL(join(dirname(createRequire(moduleUrl).resolve('tsx')), 'esm', 'api', 'index.mjs')).href;
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); })`;
  return new Worker(code, { ...options, eval: true });
}
