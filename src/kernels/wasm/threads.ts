/**
 * Threads for the wasm backend: worker_threads in Node, Web Workers in a
 * cross-origin-isolated page ({@link initThreadedWasmBackend}), each with its
 * own instance of the shared-memory build (wasm/gru-mt.wasm) on the same
 * WebAssembly.Memory. The caller's thread is thread 0.
 *
 * A call: the caller writes the kernel id, thread count and arguments into
 * the control block (see controlBlock), bumps the sequence word and notifies;
 * every worker wakes (Atomics.wait on the sequence word), runs its share
 * (tid < nt) and bumps the done word. Inside the kernels the threads meet at
 * a spin-then-wait barrier once per time step (assembly/threads.ts).
 * In Node, workers are spawned on the first call that wants them, and unref'd
 * so they never keep the process alive; in a browser they start before the
 * first call, and the page's thread spins where Node's would wait.
 *
 * Node's modules are loaded when first needed, through {@link nodeBuiltin},
 * never imported at the top: this file sits in the import graph of the
 * kernels registry, which must load in a browser (and under a bundler's dev
 * server) as it is.
 */
import {
  compileFirstValid,
  controlBlock,
  createWasmBackend,
  parallelKernels,
  webAssembly,
  type KernelExports,
  type ParallelKernel,
  type ParallelRunner,
  type WasmBackend,
  type WasmMemory,
  type WasmModule,
  type WasmSource,
} from './backend.js';
import { GruError } from '../../errors.js';

type GetBuiltin = (id: string) => unknown;
type WorkerThreads = typeof import('node:worker_threads');

/** Whether this is Node (process.versions.node is set). */
export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * A Node built-in module (`node:fs`, …), loaded through process.getBuiltinModule
 * (Node ≥ 20.16) so that bundling this file for a browser pulls in no Node
 * module, as src/kernels/native/index.ts does. Throws outside Node, and on
 * older Node, which has no synchronous way to load one from an ES module.
 */
export function nodeBuiltin<T>(id: string): T {
  const getBuiltin = isNode() ? (process as { getBuiltinModule?: GetBuiltin }).getBuiltinModule : undefined;
  if (typeof getBuiltin !== 'function') {
    throw new Error(isNode() ? `wasm backend: loading ${id} needs process.getBuiltinModule (Node ≥ 20.16); this is Node ${process.versions.node}` : `wasm backend: ${id} is only available in Node`);
  }
  return getBuiltin(id) as T;
}

// Control words (int32 index into the block at ctlPtr).
const SEQ = 0;
const DONE = 1;
const FN = 2;
const NT = 3;
const NARGS = 4;
const ERR = 5;

/**
 * A worker's loop, the same in Node and in browsers: wait on the sequence
 * word, run this thread's share of the kernel, count itself done. Expects
 * ex (the worker's instance), memory, ctlPtr, syncPtr, tid, names, seq.
 */
const WORKER_LOOP = `
const i32 = new Int32Array(memory.buffer, ctlPtr, 16);
const f64 = new Float64Array(memory.buffer, ctlPtr + 64, 32);
let seen = seq;
for (;;) {
  Atomics.wait(i32, ${SEQ}, seen);
  seen = Atomics.load(i32, ${SEQ});
  const fn = i32[${FN}];
  if (fn < 0) break;
  const nt = i32[${NT}];
  if (tid < nt) {
    try {
      ex[names[fn]](...f64.subarray(0, i32[${NARGS}]), tid, nt, syncPtr);
    } catch (e) {
      Atomics.store(i32, ${ERR}, 1);
    }
  }
  Atomics.add(i32, ${DONE}, 1);
  Atomics.notify(i32, ${DONE});
}
`;

const instantiate = "new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } }).exports";

/** worker_threads: the worker's data comes as workerData. */
const NODE_WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctlPtr, syncPtr, tid, names, seq } = workerData;
const ex = ${instantiate};
${WORKER_LOOP}`;

/** A Web Worker: the data comes in the first message; it answers 'ready' once instantiated, then never returns to its event loop. */
const BROWSER_WORKER_SOURCE = `
onmessage = (event) => {
  const { module, memory, ctlPtr, syncPtr, tid, names, seq } = event.data;
  const ex = ${instantiate};
  postMessage('ready');
  ${WORKER_LOOP}
};`;

/** The parts of a Web Worker used here (this file also compiles without the DOM's types). */
interface WebWorker {
  onmessage: ((e: unknown) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
  postMessage(data: unknown): void;
}

/** What a pool's workers are told when they start. */
interface WorkerData {
  module: WasmModule;
  memory: WasmMemory;
  ctlPtr: number;
  syncPtr: number;
  tid: number;
  names: readonly string[];
  seq: number;
}

/**
 * A pool over `memory` running the kernels of `module` (tid 0 runs on
 * `exports`, the caller's instance). In Node it spawns worker_threads as
 * calls first want them; in a browser ({@link initThreadedWasmBackend}) the
 * workers are started beforehand, and the caller's thread, which may not
 * block there, spins instead of waiting.
 */
export class WorkerPool implements ParallelRunner {
  private workers: unknown[] = [];
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly ctlPtr: number;
  private readonly syncPtr: number;

  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly exports: KernelExports,
    readonly maxThreads: number,
    /** Starts worker tid (Node); null where all workers were started beforehand. */
    private readonly start: ((data: WorkerData) => { unref?(): void }) | null = nodeWorker,
  ) {
    const { ctlPtr, syncPtr } = controlBlock(exports.heapBase());
    this.ctlPtr = ctlPtr;
    this.syncPtr = syncPtr;
    // The block sits below every later growth, so these views stay valid.
    this.i32 = new Int32Array(memory.buffer, ctlPtr, 16);
    this.f64 = new Float64Array(memory.buffer, ctlPtr + 64, 32);
    this.i32.fill(0);
  }

  /** What worker `tid` needs to start (for pools whose workers are started elsewhere). */
  workerData(tid: number): WorkerData {
    return { module: this.module, memory: this.memory, ctlPtr: this.ctlPtr, syncPtr: this.syncPtr, tid, names: parallelKernels, seq: Atomics.load(this.i32, SEQ) };
  }

  /** Counts workers started elsewhere. */
  adopt(worker: unknown): void {
    this.workers.push(worker);
  }

  private spawn(n: number): void {
    while (this.workers.length < n && this.start) {
      const w = this.start(this.workerData(this.workers.length + 1));
      w.unref?.();
      this.workers.push(w);
    }
  }

  run(name: ParallelKernel, args: number[], nt: number): void {
    nt = Math.min(nt, this.maxThreads, this.start ? Infinity : this.workers.length + 1);
    this.spawn(nt - 1);
    const { i32, f64 } = this;
    f64.set(args);
    i32[FN] = parallelKernels.indexOf(name);
    i32[NT] = nt;
    i32[NARGS] = args.length;
    Atomics.store(i32, ERR, 0);
    Atomics.store(i32, DONE, 0);
    Atomics.add(i32, SEQ, 1);
    Atomics.notify(i32, SEQ);
    let error: unknown = null;
    try {
      (this.exports[name] as (...a: number[]) => void)(...args, 0, nt, this.syncPtr);
    } catch (e) {
      error = e;
    }
    const n = this.workers.length;
    const t0 = Date.now();
    for (let d = Atomics.load(i32, DONE); d < n; d = Atomics.load(i32, DONE)) {
      // A trap on this thread can leave the workers in a barrier: give up on them after a while.
      if (error && Date.now() - t0 > 2000) break;
      if (this.start) Atomics.wait(i32, DONE, d, 100); // (a browser's main thread may not wait: it spins)
    }
    if (error) throw error;
    if (Atomics.load(i32, ERR)) throw new Error(`wasm backend: ${name} failed on a worker thread`);
  }

  /** Stops the workers (tests; the process may also just exit). */
  close(): void {
    this.i32[FN] = -1;
    Atomics.add(this.i32, SEQ, 1);
    Atomics.notify(this.i32, SEQ);
    this.workers = [];
  }
}

/** The shared-memory build instantiated on a new shared memory (thread 0's instance). */
export function instantiateShared(module: WasmModule): { memory: WasmMemory; exports: KernelExports } {
  const memory = new (webAssembly()!.Memory)({ initial: 16, maximum: 65536, shared: true });
  const instance = new (webAssembly()!.Instance)(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm backend: abort');
      },
    },
  });
  return { memory, exports: instance.exports as unknown as KernelExports };
}

/** A worker_threads worker running the loop (Node). */
function nodeWorker(data: WorkerData): { unref(): void } {
  const { Worker } = nodeBuiltin<WorkerThreads>('node:worker_threads');
  return new Worker(NODE_WORKER_SOURCE, { eval: true, workerData: data });
}

/**
 * For browsers: the wasm backend on `threads` threads (default: the cores,
 * at most 8), from the shared-memory build's bytes or URL — given several
 * (gru-mt-relaxed.wasm, then gru-mt.wasm), the first this engine validates.
 * Needs shared memory, which a page has when it is cross-origin isolated
 * (served with Cross-Origin-Opener-Policy: same-origin and
 * Cross-Origin-Embedder-Policy: require-corp). The workers start here, before
 * any call: a browser starts a worker only while the page's thread is free,
 * and a call keeps it busy (it spins where Node would wait).
 */
export async function initThreadedWasmBackend(source: WasmSource | readonly WasmSource[], threads?: number): Promise<WasmBackend> {
  const wa = webAssembly();
  if (!wa) throw new GruError('UNSUPPORTED', 'wasm backend: this platform has no WebAssembly');
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new GruError('UNSUPPORTED', 'wasm backend: threads need shared memory, which this page does not have (serve it cross-origin isolated: COOP same-origin, COEP require-corp)');
  }
  const g = globalThis as unknown as { navigator?: { hardwareConcurrency?: number }; Worker?: new (url: string) => WebWorker };
  if (!g.Worker) throw new GruError('UNSUPPORTED', 'wasm backend: threads need Web Workers, which this platform does not have');
  const cores = g.navigator?.hardwareConcurrency ?? 1;
  const nt = threads ?? Math.max(1, Math.min(8, cores));
  if (!Number.isInteger(nt) || nt < 1) throw new GruError('INVALID_ARGUMENT', `initThreadedWasmBackend: threads must be a positive integer, got ${threads}`);
  const module = await compileFirstValid(source);
  const { memory, exports } = instantiateShared(module);
  exports.barrierMaySleep(0);
  const pool = new WorkerPool(module, memory, exports, nt, null);
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
  try {
    await Promise.all(
      Array.from(
        { length: nt - 1 },
        (_, i) =>
          new Promise<void>((ready, fail) => {
            const w = new g.Worker!(url);
            w.onmessage = () => ready();
            w.onerror = (e) => fail(new Error(`wasm backend: worker ${i + 1} failed to start: ${e.message ?? 'no reason given'}`));
            w.postMessage(pool.workerData(i + 1));
            pool.adopt(w);
          }),
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
  return createWasmBackend(exports, memory, pool, nt);
}
