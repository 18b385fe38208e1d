/**
 * Whole training runs off the main thread. {@link trainInWorker} runs what
 * `gru train TASK ARGS…` runs — the same options, checks, lock, checkpoints
 * and output files — in a worker thread, forwards its training events, and
 * stops it when the signal fires, so a server or a UI stays responsive
 * while a model trains and can cancel it.
 *
 * Stopping: the worker sees the abort at its next training step and ends
 * there (the checkpoint holds the last completed epoch, written atomically);
 * a worker that does not get to a step within `graceMs` (still reading
 * data, say) is terminated, which is as safe: every file write is atomic.
 * Either way the run's lock is released and its temporary files removed.
 *
 * This module is also the worker's entry point (it starts itself).
 */
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { reviveError, serializeError, startModuleWorker, type SerializedError } from './module-worker.js';
import type { GruError } from '../errors.js';
import { removeStaleTemporaries } from '../io/safetensors-file.js';
import { releaseLockFile } from './lock.js';
import type { TrainEvent } from './trainer.js';

export interface TrainInWorkerOptions {
  /** A task name: forecast, classify, lm, seq2seq (as `gru train TASK`). */
  task: string;
  /** The flags `gru train TASK` takes, e.g. ['--data', 'sales.csv', '--column', 'units', '--out', 'm.safetensors']. */
  args: string[];
  /** Stops the run; the promise then rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
  /** Every training event (start, resume, step, epoch, checkpoint, stop), on this thread. */
  onEvent?: (e: TrainEvent) => void;
  /** How long an aborted run may take to reach its next step before the worker is terminated (default 2000 ms). */
  graceMs?: number;
}

export interface TrainInWorkerResult {
  /** What the run printed: the task's report (one JSON object with `--json`). */
  stdout: string;
  stderr: string;
  /** The report parsed, when the run printed JSON (with `--json`). */
  json?: unknown;
}

const MARK = 'gru-ts/train-worker';

type Message = { type: 'event'; event: TrainEvent } | { type: 'lock'; path: string; token: string; acquired: boolean } | { type: 'done' } | { type: 'error'; error: SerializedError };

/**
 * Trains as `gru train TASK ARGS…` does, in a worker thread. Resolves with
 * what the run printed when it completes; rejects with the run's error (a
 * {@link GruError} for a rejected option, bad data or divergence, as the
 * command line reports them) or, when `signal` fires, with its reason.
 */
export function trainInWorker(o: TrainInWorkerOptions): Promise<TrainInWorkerResult> {
  if (o.signal?.aborted) return Promise.reject(o.signal.reason);
  return new Promise((resolve, reject) => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = startWorker({ [MARK]: true, task: o.task, args: o.args, flag });
    let stdout = '',
      stderr = '';
    const ended = [worker.stdout, worker.stderr].map(
      (stream, i) =>
        new Promise<void>((done) => {
          stream.setEncoding('utf8');
          stream.on('data', (s: string) => (i === 0 ? (stdout += s) : (stderr += s)));
          stream.on('end', done);
          stream.on('error', done);
        }),
    );
    const locks = new Map<string, string>();
    let outcome: { ok: true } | { ok: false; error: unknown } | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    worker.on('message', (m: Message) => {
      if (m.type === 'event') o.onEvent?.(m.event);
      else if (m.type === 'lock') {
        if (m.acquired) locks.set(m.path, m.token);
        else locks.delete(m.path);
      } else if (m.type === 'done') outcome = { ok: true };
      else if (m.type === 'error') outcome = { ok: false, error: reviveError(m.error) };
    });
    worker.on('error', (e) => {
      outcome ??= { ok: false, error: e };
    });
    const onAbort = () => {
      Atomics.store(flag, 0, 1);
      timer = setTimeout(() => void worker.terminate(), o.graceMs ?? 2000);
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('exit', (code) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      // A terminated worker could not release its locks or finish a write: do it for it.
      for (const [lockPath, token] of locks) {
        removeStaleTemporaries(lockPath.slice(0, -'.lock'.length), process.pid);
        releaseLockFile(lockPath, token);
      }
      void Promise.race([Promise.all(ended), new Promise((r) => setTimeout(r, 1000))]).then(() => {
        if (o.signal?.aborted) reject(o.signal.reason);
        else if (outcome?.ok) resolve({ stdout, stderr, json: lastJson(stdout) });
        else reject(outcome?.error ?? new Error(`the training worker stopped with exit code ${code}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
      });
    });
  });
}

/** A worker running this module. */
function startWorker(data: Record<string, unknown>): Worker {
  return startModuleWorker(import.meta.url, { workerData: data, stdout: true, stderr: true });
}

/** The last line of the output, parsed, if it is a JSON object. */
function lastJson(out: string): unknown {
  const line = out.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The worker's side: build the `gru train` commands, run the one asked for, report. */
async function runInWorker(d: { task: string; args: string[]; flag: Int32Array }): Promise<void> {
  const port = parentPort!;
  const [{ Command }, { TASKS }, { trainingHooks }, { onLockChange, releaseAllLocks }] = await Promise.all([import('commander'), import('../tasks/index.js'), import('../cli/options.js'), import('./lock.js')]);
  onLockChange((lock) => port.postMessage({ type: 'lock', ...lock } satisfies Message));
  trainingHooks.onEvent = (event) => port.postMessage({ type: 'event', event } satisfies Message);
  trainingHooks.signal = {
    get aborted() {
      return Atomics.load(d.flag, 0) === 1;
    },
  };
  const program = new Command('gru').exitOverride().configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
  });
  const train = program.command('train');
  for (const t of TASKS) t.addTrainCommand(train);
  try {
    await program.parseAsync(['train', d.task, ...d.args], { from: 'user' });
    port.postMessage({ type: 'done' } satisfies Message);
  } catch (e) {
    port.postMessage({ type: 'error', error: serializeError(e) } satisfies Message);
  } finally {
    releaseAllLocks();
  }
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[MARK]) {
  void runInWorker(workerData as { task: string; args: string[]; flag: Int32Array });
}
