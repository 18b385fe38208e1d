/**
 * `gru serve MODEL [--port N]`: a model file behind the HTTP JSON API of
 * server.ts until SIGTERM or SIGINT, which close it gracefully: no new
 * requests (503), those in flight answered, then exit 0. A second signal
 * during that stops the process at once.
 */
import type { Command } from 'commander';
import type { AddressInfo } from 'node:net';
import { GruError } from '../errors.js';
import { TASKS } from '../tasks/index.js';
import { loadTaskModel } from '../tasks/registry.js';
import { intBetween, nonNegativeNumber, positiveInt } from '../cli/options.js';
import { createServer, DEFAULT_BATCHING, type GruServer, type ServerOptions } from './server.js';
import { servableFor } from './servables.js';
import { ModelWorker, inWorker } from './model-worker.js';

interface ServeFlags {
  port: number;
  host: string;
  maxBatch: number;
  maxQueue: number;
  maxWaitMs: number;
  worker: boolean;
}

/**
 * Serves the model file at `path` until a signal closes the server; resolves
 * once it is closed. Prints one line with the address when listening.
 */
export async function serveModel(path: string, o: { port: number; host: string; worker?: boolean } & ServerOptions): Promise<void> {
  const { task, model } = loadTaskModel(TASKS, path);
  const servable = servableFor(task.name, model);
  if (o.worker === false) return serveUntilSignal(createServer(servable, o), o, `${task.name} model ${path}`);
  // The model calls in a worker thread (loading the file again there), so the event loop keeps reading requests meanwhile.
  const worker = new ModelWorker(path);
  await worker.start();
  const server = createServer(inWorker(servable, worker), o);
  server.app.addHook('onClose', () => worker.close());
  await serveUntilSignal(server, o, `${task.name} model ${path} (computing in a worker thread)`);
}

/**
 * Listens on `o.host:o.port`, prints `gru serve: WHAT on http://…` and serves
 * until SIGTERM or SIGINT, then closes gracefully; resolves once closed.
 */
export async function serveUntilSignal(server: GruServer, o: { port: number; host: string }, what: string): Promise<void> {
  try {
    await server.app.listen({ port: o.port, host: o.host });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new GruError('INVALID_ARGUMENT', `port ${o.port} on ${o.host} is in use: choose another --port (0 picks a free one)`, { cause: e });
    throw e;
  }
  const { port } = server.app.server.address() as AddressInfo;
  const b = server.batcher.options;
  console.log(`gru serve: ${what} on http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port} (POST /predict, GET /info, GET /health; batches of up to ${b.maxBatch}, ${b.maxQueue} waiting at most)`);
  await new Promise<void>((resolve, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      // Once: a second signal meets Node's default handling and stops the process at once.
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      console.error(`gru serve: ${signal}: taking no new requests, finishing ${server.inFlight()} in flight`);
      server.app.close().then(() => {
        console.error('gru serve: closed');
        resolve();
      }, reject);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** Adds the `serve` command to the `gru` program. */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a model over HTTP: POST /predict (JSON), GET /info, GET /health; concurrent requests are batched into one model call (text classifiers)')
    .argument('<model>', 'model file')
    .option('--port <n>', 'TCP port (0 picks a free one)', intBetween(0, 65535), 8080)
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--max-batch <n>', 'most requests in one model call', positiveInt, DEFAULT_BATCHING.maxBatch)
    .option('--max-queue <n>', 'most requests waiting for the model; more are answered 503', positiveInt, DEFAULT_BATCHING.maxQueue)
    .option('--max-wait-ms <ms>', 'how long a request may wait for others to batch with (0: only those that arrive together)', nonNegativeNumber, DEFAULT_BATCHING.maxWaitMs)
    .option('--no-worker', 'compute on the event loop instead of in a worker thread (requests are not read while the model runs)')
    .action((path: string, f: ServeFlags) => serveModel(path, { port: f.port, host: f.host, maxBatch: f.maxBatch, maxQueue: f.maxQueue, maxWaitMs: f.maxWaitMs, worker: f.worker }));
}
