/**
 * Micro-batching for `gru serve`: requests that arrive while the model is
 * busy, or together, wait in a bounded queue and go to the model as one
 * batch, so N concurrent requests cost far fewer than N GRU calls (a GRU
 * call's cost grows much more slowly than its batch size).
 *
 * When a batch starts: as soon as the model is free and the requests parsed
 * in the current turn of the event loop are in (`maxWaitMs` 0, the default:
 * no latency is added when the server is idle), or once `maxBatch` requests
 * wait, or `maxWaitMs` after the first one came. One batch runs at a time:
 * a synchronous model call holds the event loop anyway, and an asynchronous
 * one (ONNX Runtime) gains a bigger next batch from the requests that arrive
 * meanwhile.
 */
import { GruError } from '../errors.js';

/** How requests are gathered into batches. */
export interface BatchOptions {
  /** The most inputs in one model call. */
  maxBatch: number;
  /** The most requests waiting for the model (the batch running not counted); more are refused. */
  maxQueue: number;
  /** How long the first waiting request may wait for others, in milliseconds; 0: only for those parsed in the same turn. */
  maxWaitMs: number;
}

/** Counters for `/info`: how many requests, in how many model calls. */
export interface BatchStats {
  /** Requests accepted into the queue. */
  requests: number;
  /** Model calls made (one per batch). */
  batches: number;
  /** Requests refused because the queue was full. */
  rejected: number;
  /** The largest batch so far. */
  largestBatch: number;
  /** Requests waiting now. */
  waiting: number;
  /** Requests in the model call running now. */
  running: number;
}

interface Waiting<I, O> {
  input: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

/** Checks a {@link BatchOptions} value, naming the one that is wrong. */
export function checkBatchOptions(o: BatchOptions): BatchOptions {
  const bad = (name: string, v: number, want: string) => new GruError('INVALID_ARGUMENT', `${name}: expected ${want}, got ${v}`);
  if (!Number.isInteger(o.maxBatch) || o.maxBatch < 1) throw bad('maxBatch', o.maxBatch, 'a whole number ≥ 1');
  if (!Number.isInteger(o.maxQueue) || o.maxQueue < 1) throw bad('maxQueue', o.maxQueue, 'a whole number ≥ 1');
  if (!Number.isFinite(o.maxWaitMs) || o.maxWaitMs < 0) throw bad('maxWaitMs', o.maxWaitMs, 'a number of milliseconds ≥ 0');
  return o;
}

/**
 * Gathers single inputs into batches for `run`, which answers a batch with
 * one output per input, in order. A batch whose call fails fails each of its
 * requests with that error.
 */
export class MicroBatcher<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private runningCount = 0;
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | null = null;
  private draining = false;
  private idle: (() => void)[] = [];
  private readonly counts = { requests: 0, batches: 0, rejected: 0, largestBatch: 0 };

  constructor(
    private readonly run: (inputs: I[]) => O[] | Promise<O[]>,
    readonly options: BatchOptions,
  ) {
    checkBatchOptions(options);
  }

  /**
   * Queues one input: a promise of its output, or null when the queue
   * already holds `maxQueue` requests (the caller answers "busy").
   */
  offer(input: I): Promise<O> | null {
    if (this.waiting.length >= this.options.maxQueue) {
      this.counts.rejected++;
      return null;
    }
    this.counts.requests++;
    const p = new Promise<O>((resolve, reject) => this.waiting.push({ input, resolve, reject }));
    this.schedule();
    return p;
  }

  /** The counters now. */
  stats(): BatchStats {
    return { ...this.counts, waiting: this.waiting.length, running: this.runningCount };
  }

  /**
   * Stops waiting for more requests (batches start at once from now on) and
   * resolves when every request taken so far is answered: for a graceful
   * shutdown.
   */
  drain(): Promise<void> {
    this.draining = true;
    if (this.timer !== null && this.runningCount === 0) this.startNow();
    if (this.waiting.length === 0 && this.runningCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Arranges the next batch; while one runs, its end arranges the next. */
  private schedule(): void {
    if (this.runningCount > 0 || this.waiting.length === 0) return;
    if (this.waiting.length >= this.options.maxBatch || this.draining) {
      this.startNow();
      return;
    }
    if (this.timer !== null) return;
    // setImmediate runs after the poll phase, so every request parsed in this turn joins the batch.
    this.timer = this.options.maxWaitMs > 0 ? setTimeout(() => this.startNow(), this.options.maxWaitMs) : setImmediate(() => this.startNow());
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer as ReturnType<typeof setTimeout>);
    clearImmediate(this.timer as ReturnType<typeof setImmediate>);
    this.timer = null;
  }

  private startNow(): void {
    this.clearTimer();
    if (this.runningCount > 0 || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.runningCount = batch.length;
    this.counts.batches++;
    this.counts.largestBatch = Math.max(this.counts.largestBatch, batch.length);
    void this.runBatch(batch);
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const out = await this.run(batch.map((w) => w.input));
      if (out.length !== batch.length) throw new GruError('UNSUPPORTED', `the model answered ${out.length} results for a batch of ${batch.length} inputs`);
      batch.forEach((w, i) => w.resolve(out[i]));
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      this.runningCount = 0;
      if (this.waiting.length > 0) {
        // Those waiting have waited through the call: start at once, but after the requests that came meanwhile are parsed.
        this.timer = setImmediate(() => this.startNow());
      } else if (this.idle.length > 0) {
        for (const f of this.idle.splice(0)) f();
      }
    }
  }
}
