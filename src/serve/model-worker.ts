/**
 * The model calls of `gru serve` in a worker thread: the event loop parses,
 * validates and queues requests while the worker computes, as ONNX Runtime
 * computes off the event loop. Without it a GRU call holds the event loop,
 * and requests arriving meanwhile wait to be read at all.
 *
 * The worker loads the same model file and answers batches with the task's
 * own servable (servables.ts); the server's thread keeps the schema, the
 * request checks (`prepare`) and the batcher. A GruError in the worker comes
 * back as a GruError with the same code (a 400 stays a 400). A worker that
 * dies fails the batch it held and is started again for the next one. The
 * worker's kernels use every core but one (GRU_TS_THREADS overrides it):
 * on 2 cores, one thread answers more requests than two (bench/RESULTS.md).
 *
 * This module is also the worker's entry point (it starts itself).
 */
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { GruError } from '../errors.js';
import { backend } from '../kernels/index.js';
import { reviveError, serializeError, startModuleWorker, type SerializedError } from '../train/module-worker.js';
import type { Servable } from './servables.js';

const MARK = 'gru-ts/serve-worker';

type Request = { id: number; inputs: unknown[] };
type Reply = { id: number; outputs: unknown[] } | { id: number; error: SerializedError } | { ready: true } | { failed: SerializedError };

/** A worker thread holding one model file, answering batches in order. */
export class ModelWorker {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (o: unknown[]) => void; reject: (e: unknown) => void }>();
  private closed = false;

  /** `path`: the model file (loaded again in the worker). */
  constructor(readonly path: string) {}

  /** Starts the worker and waits until its model is loaded; a file the worker cannot load rejects (as `gru serve` would have). */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = startModuleWorker(import.meta.url, { workerData: { [MARK]: true, path: this.path } });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: Reply) => {
        if ('ready' in m) return resolve();
        if ('failed' in m) return reject(reviveError(m.failed));
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if ('outputs' in m) p.resolve(m.outputs);
        else p.reject(reviveError(m.error));
      });
      const died = (why: string) => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.ready = null;
        const e = new Error(`gru serve: the model worker stopped (${why})`);
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      };
      worker.on('error', (e) => died(e.message));
      worker.on('exit', (code) => died(`exit code ${code}`));
    });
    return this.ready;
  }

  /** Answers a batch in the worker (starting it again if it died). */
  async run(inputs: unknown[]): Promise<unknown[]> {
    if (this.closed) throw new GruError('UNSUPPORTED', 'gru serve: the model worker is closed: no more model calls after close()');
    await this.start();
    const id = this.next++;
    return new Promise<unknown[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, inputs } satisfies Request);
    });
  }

  /** Stops the worker (after the server has answered what it holds). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** `servable` with its model calls made by `worker`: the same body, checks and answers. */
export function inWorker(servable: Servable, worker: ModelWorker): Servable {
  return { ...servable, run: (inputs) => worker.run(inputs), engine: `${servable.engine ?? `gru-ts (${backend().name} backend)`} in a worker thread` };
}

/** The worker's side: load the model, then answer each batch with the task's servable. */
async function runInWorker(path: string): Promise<void> {
  const port = parentPort!;
  const [{ TASKS }, { loadTaskModel }, { servableFor }] = await Promise.all([import('../tasks/index.js'), import('../tasks/registry.js'), import('./servables.js')]);
  // Every core but one, which the event loop needs to read requests meanwhile (unless GRU_TS_THREADS says otherwise).
  const b = backend();
  if (!process.env.GRU_TS_THREADS && b.setThreads && b.threads) b.setThreads(Math.max(1, b.threads() - 1));
  let servable: Servable;
  try {
    const { task, model } = loadTaskModel(TASKS, path);
    servable = servableFor(task.name, model);
  } catch (e) {
    port.postMessage({ failed: serializeError(e) } satisfies Reply);
    return;
  }
  port.on('message', async (m: Request) => {
    try {
      port.postMessage({ id: m.id, outputs: await servable.run(m.inputs) } satisfies Reply);
    } catch (e) {
      port.postMessage({ id: m.id, error: serializeError(e) } satisfies Reply);
    }
  });
  port.postMessage({ ready: true } satisfies Reply);
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[MARK]) {
  void runInWorker((workerData as { path: string }).path);
}
