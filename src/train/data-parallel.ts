/**
 * Data-parallel training on the cores of one machine: the calling thread and
 * `replicas − 1` worker threads each hold a replica of the model and compute
 * the gradient of their share of every batch; the shares' gradients are
 * summed, weighted by how much of the batch's loss each holds, and the
 * optimizer updates the one set of weights.
 *
 * Why replicas and not more threads per kernel: a training step of a small
 * recurrent model is many small products (a 256-unit step is ~10 µs of
 * arithmetic), and threads that meet at a barrier every time step lose to
 * whatever else runs on the machine, V8's garbage collector first. Replicas
 * meet twice per batch. Each replica runs its kernels on one thread.
 *
 * The weights live in one SharedArrayBuffer that every replica's parameters
 * view, so updates reach the workers without copies. Each worker's dense
 * gradients live in its own region of a second one; it sends sparse ones
 * (embedding rows) in its reply. The calling thread waits on an Atomics
 * counter per worker and reads the reply with receiveMessageOnPort: a step
 * is synchronous, as {@link fit} expects.
 *
 * Each replica scales its backward pass by its share of the loss's weight,
 * so the sum is the gradient of the whole batch's loss: the same as one
 * replica computes, up to float rounding (the sums run in another order).
 * Dropout draws differ (each replica has its own stream, seeded from the
 * epoch and its rank), so runs with different replica counts take different
 * paths; runs with the same count repeat exactly.
 *
 * This module is also the workers' entry point (it starts itself).
 */
import { MessageChannel, isMainThread, receiveMessageOnPort, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import { backward, type SparseGrad, type Var } from '../autograd/var.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { backend, setBackend } from '../kernels/index.js';
import { GruError } from '../errors.js';
import { reviveError, serializeError, startModuleWorker, type SerializedError } from './module-worker.js';

/** What a replica is: a model and the loss of a batch on the tape. */
export interface Replica<Batch> {
  model: Module;
  loss: (batch: Batch) => Var;
}

/** A model that trains on its own `loss`, as a {@link Replica}. */
export function replicaOf<Batch>(model: Module & { loss(batch: Batch): Var }): Replica<Batch> {
  return { model, loss: (b) => model.loss(b) };
}

/**
 * How a worker builds its replica: `url` is a module (its `import.meta.url`)
 * exporting `replica(args)`, which returns a {@link Replica} with the same
 * parameters (names and shapes) as the calling thread's model; `args` must
 * survive structured cloning.
 */
export interface ReplicaRecipe {
  url: string;
  args: unknown;
}

/** A share of a batch and its weight: the number of terms its mean loss averages (rows, target tokens). */
export interface Share<Batch> {
  batch: Batch;
  weight: number;
}

export interface DataParallelOptions<Batch> {
  /** Replicas, the calling thread's included (at least 2). */
  replicas: number;
  /** The calling thread's replica: its model's parameters become views of the shared weights. */
  local: Replica<Batch>;
  recipe: ReplicaRecipe;
  /** A batch in `parts` shares (fewer when it has fewer rows); the loss must be the weighted mean of the shares' losses. */
  split: (batch: Batch, parts: number) => Share<Batch>[];
}

/**
 * Rows 0…B−1 dealt out in turn to at most `parts` shares: a batch sorted by
 * length gives every share as long sequences, and as much work, as the others.
 */
export function dealRows(B: number, parts: number): number[][] {
  const n = Math.min(parts, B);
  return Array.from({ length: n }, (_, k) => Array.from({ length: Math.ceil((B - k) / n) }, (_, j) => k + j * n));
}

/** The first `width` elements of each of `rows` of a row-major matrix `data` with `stride` elements a row (a share's padded rows, trimmed). */
export function gatherRows<A extends Int32Array | Float32Array>(data: A, stride: number, rows: readonly number[], width: number): A {
  const out = new (data.constructor as new (n: number) => A)(rows.length * width);
  rows.forEach((i, r) => out.set(data.subarray(i * stride, i * stride + width), r * width));
  return out;
}

const MARK = 'gru-ts/data-parallel-replica';

type Request<Batch> = { type: 'step'; batch: Batch; scale: number; seed: number };
type Reply = { type: 'ready' } | { type: 'step'; loss: number; dense: Uint8Array; sparse: { index: number; grad: SparseGrad }[] } | { type: 'error'; error: SerializedError };

interface WorkerSetup {
  [MARK]: true;
  rank: number;
  recipe: ReplicaRecipe;
  backend: string;
  names: string[];
  shapes: number[][];
  offsets: number[];
  float64: boolean;
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  flags: Int32Array;
  port: MessagePort;
}

interface Peer {
  worker: Worker;
  port: MessagePort;
  /** Its gradient of each parameter, in its region of shared memory. */
  grads: (Float32Array | Float64Array)[];
  /** Its messages read so far (its flag counts those sent). */
  received: number;
}

/**
 * The replicas of one training run. {@link lossAndGradient} is a training
 * step's forward and backward on the whole batch; {@link close} ends the
 * workers (fit calls it when training ends, however it ends).
 */
export class DataParallel<Batch> {
  private readonly params: Var[];
  private readonly views: (Float32Array | Float64Array)[];
  private readonly offsets: number[];
  private readonly flags: Int32Array;
  private readonly peers: Peer[] = [];
  private seed = 0;
  private closed = false;

  constructor(private readonly o: DataParallelOptions<Batch>) {
    if (!Number.isInteger(o.replicas) || o.replicas < 2) throw new GruError('INVALID_ARGUMENT', `DataParallel: expected 2 or more replicas, got ${o.replicas}`);
    const named = o.local.model.namedParameters();
    this.params = named.map(([, p]) => p);
    const float64 = this.params.some((p) => p.value.data instanceof Float64Array);
    const Float = float64 ? Float64Array : Float32Array;
    this.offsets = [];
    let total = 0;
    for (const p of this.params) {
      this.offsets.push(total);
      total += p.value.size;
    }
    const weights = new SharedArrayBuffer(total * Float.BYTES_PER_ELEMENT);
    this.views = this.params.map((p, i) => floats(float64, weights, this.offsets[i], p.value.size));
    this.share();
    this.flags = new Int32Array(new SharedArrayBuffer(4 * o.replicas));
    for (let rank = 1; rank < o.replicas; rank++) {
      const grads = new SharedArrayBuffer(total * Float.BYTES_PER_ELEMENT);
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = {
        [MARK]: true,
        rank,
        recipe: o.recipe,
        backend: backend().name,
        names: named.map(([n]) => n),
        shapes: this.params.map((p) => [...p.shape]),
        offsets: this.offsets,
        float64,
        weights,
        grads,
        flags: this.flags,
        port: port2,
      };
      const worker = startModuleWorker(import.meta.url, { workerData: setup, transferList: [port2] });
      worker.unref();
      this.peers.push({ worker, port: port1, grads: this.params.map((p, i) => floats(float64, grads, this.offsets[i], p.value.size)), received: 0 });
    }
  }

  /** Seeds the replicas' dropout for an epoch (fit calls it where it reseeds its model). */
  reseed(seed: number): void {
    this.seed = seed;
  }

  /**
   * Zeroes the gradients, then computes the batch's loss and leaves its
   * gradient in the calling thread's parameters, the shares computed at the
   * same time on every replica. Returns the loss.
   */
  lossAndGradient(batch: Batch): number {
    if (this.closed) throw new GruError('INVALID_ARGUMENT', 'DataParallel: used after close()');
    this.share();
    const shares = this.o.split(batch, this.o.replicas);
    const total = shares.reduce((s, x) => s + x.weight, 0) || 1;
    for (const p of this.params) p.zeroGrad();
    const asked = shares.slice(1).map((share, k) => {
      const peer = this.peers[k];
      peer.port.postMessage({ type: 'step', batch: share.batch, scale: share.weight / total, seed: this.seed } satisfies Request<Batch>);
      return peer;
    });
    // This replica's kernels on one thread too (the others have the other cores), for this step only.
    const kernels = backend();
    const threads = kernels.threads?.();
    kernels.setThreads?.(1);
    const scale = shares[0].weight / total;
    let local: Var;
    try {
      local = this.o.local.loss(shares[0].batch);
      backward(local, new Tensor(new Float64Array([scale]), [1]));
    } catch (e) {
      // The workers' replies to this step are read, so the next step reads its own.
      asked.forEach((peer, k) => {
        try {
          this.reply(peer, k + 1);
        } catch {}
      });
      throw e;
    } finally {
      if (threads !== undefined) kernels.setThreads?.(threads);
    }
    let loss = local.value.data[0] * scale;
    asked.forEach((peer, k) => {
      const r = this.reply(peer, k + 1);
      if (r.type !== 'step') throw new GruError('INVALID_ARGUMENT', `DataParallel: replica ${k + 1} answered '${r.type}' to a step`);
      loss += r.loss * (shares[k + 1].weight / total);
      this.params.forEach((p, i) => {
        // g += the worker's gradient (addBiasBackward with one row is that sum, in the backend's fast kernel).
        if (r.dense[i] === 1) kernels.addBiasBackward(p.gradBuffer().data, peer.grads[i], 1, p.value.size);
      });
      for (const { index, grad } of r.sparse) this.params[index].accumulateSparse(grad);
    });
    return loss;
  }

  /** Ends the workers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers) void peer.worker.terminate();
  }

  /** Puts every parameter's values into the shared weights, where they are not there already (loadStateDict, a swap for validation). */
  private share(): void {
    this.params.forEach((p, i) => {
      const view = this.views[i];
      if (p.value.data === view) return;
      view.set(p.value.data);
      p.value = new Tensor(view, p.value.shape);
    });
  }

  /** The worker's next reply but 'ready' (its first message): each message counts up the worker's flag, so none is missed. */
  private reply(peer: Peer, rank: number): Reply {
    for (;;) {
      // (Every failure the worker can see, its start included, comes as an 'error' reply.)
      Atomics.wait(this.flags, rank, peer.received);
      const m = receiveMessageOnPort(peer.port)?.message as Reply | undefined;
      if (!m) throw new GruError('INVALID_ARGUMENT', `DataParallel: replica ${rank} counted a reply it did not send`);
      peer.received++;
      if (m.type === 'error') {
        this.close();
        throw reviveError(m.error);
      }
      if (m.type !== 'ready') return m;
    }
  }
}

/** How a replica's parameters differ from the model's (names with shapes, in order): at most 3 differences, then how many more. */
function parameterDifferences(replica: [string, number[]][], model: [string, number[]][]): string[] {
  const shape = (d: number[]) => `[${d.join(', ')}]`;
  const mine = new Map(replica);
  const out: string[] = [];
  for (const [name, want] of model) {
    const got = mine.get(name);
    if (!got) out.push(`${name} ${shape(want)} is missing`);
    else if (got.join() !== want.join()) out.push(`${name} is ${shape(got)}, expected ${shape(want)}`);
    mine.delete(name);
  }
  for (const [name, got] of mine) out.push(`${name} ${shape(got)} is not in the model`);
  if (out.length === 0 && replica.some(([n], i) => n !== model[i][0])) out.push('the parameters come in another order');
  return out.length > 3 ? [...out.slice(0, 3), `${out.length - 3} more`] : out;
}

/** A view of `length` floats of shared memory from element `offset`. */
function floats(float64: boolean, buffer: SharedArrayBuffer, offset: number, length: number): Float32Array | Float64Array {
  // (TypeScript's ES2022 typings take only an ArrayBuffer here; a SharedArrayBuffer works the same.)
  const b = buffer as unknown as ArrayBuffer;
  return float64 ? new Float64Array(b, offset * 8, length) : new Float32Array(b, offset * 4, length);
}

/** The worker's side: build the replica, bind its parameters to the shared weights, answer steps. */
async function runReplica(s: WorkerSetup): Promise<void> {
  const answer = (m: Reply) => {
    s.port.postMessage(m);
    Atomics.add(s.flags, s.rank, 1);
    Atomics.notify(s.flags, s.rank);
  };
  try {
    setBackend(s.backend);
    backend().setThreads?.(1);
    const { replica } = (await import(s.recipe.url)) as { replica: (args: unknown) => Replica<unknown> };
    const r = replica(s.recipe.args);
    const named = r.model.namedParameters();
    const differences = parameterDifferences(
      named.map(([n, p]) => [n, [...p.shape]]),
      s.names.map((n, i) => [n, s.shapes[i]]),
    );
    if (differences.length > 0) throw new GruError('INVALID_ARGUMENT', `DataParallel: the replica built from ${s.recipe.url} does not match the model: ${differences.join('; ')}`);
    const params = named.map(([, p], i) => {
      p.value = new Tensor(floats(s.float64, s.weights, s.offsets[i], p.value.size), p.value.shape);
      return p;
    });
    const grads = params.map((p, i) => floats(s.float64, s.grads, s.offsets[i], p.value.size));
    params.forEach((p, i) => p.useGradBuffer(grads[i]));
    r.model.train();
    let seed: number | null = null;
    s.port.on('message', (m: Request<unknown>) => {
      try {
        if (m.seed !== seed) r.model.reseed((seed = m.seed) * 1000003 + s.rank);
        for (const p of params) p.zeroGrad();
        const loss = r.loss(m.batch);
        backward(loss, new Tensor(new Float64Array([m.scale]), [1]));
        const dense = new Uint8Array(params.length);
        const sparse: { index: number; grad: SparseGrad }[] = [];
        params.forEach((p, i) => {
          if (p.grad) {
            // (It is there already, unless something replaced the buffer.)
            if (p.grad.data !== grads[i]) grads[i].set(p.grad.data);
            dense[i] = 1;
          } else if (p.sparseGrad) sparse.push({ index: i, grad: p.sparseGrad });
        });
        answer({ type: 'step', loss: loss.value.data[0], dense, sparse });
      } catch (e) {
        answer({ type: 'error', error: serializeError(e) });
      }
    });
    answer({ type: 'ready' });
  } catch (e) {
    answer({ type: 'error', error: serializeError(e) });
  }
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[MARK]) {
  void runReplica(workerData as WorkerSetup);
}
