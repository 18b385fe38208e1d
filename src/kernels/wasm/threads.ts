/**
 * Threads for the wasm backend in Node: worker_threads, each with its own
 * instance of the shared-memory build (wasm/gru-mt.wasm) on the same
 * WebAssembly.Memory. The caller's thread is thread 0.
 *
 * A call: the caller writes the kernel id, thread count and arguments into
 * the control block (see controlBlock), bumps the sequence word and notifies;
 * every worker wakes (Atomics.wait on the sequence word), runs its share
 * (tid < nt) and bumps the done word. Inside the kernels the threads meet at
 * a spin-then-wait barrier once per time step (assembly/threads.ts).
 * Workers are spawned on the first call that wants them, and unref'd so they
 * never keep the process alive.
 *
 * Node's modules are loaded when first needed, through {@link nodeBuiltin},
 * never imported at the top: this file sits in the import graph of the
 * kernels registry, which must load in a browser (and under a bundler's dev
 * server) as it is.
 */
import { controlBlock, parallelKernels, type KernelExports, type ParallelKernel, type ParallelRunner, type WasmMemory, type WasmModule } from './backend.js';

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
    throw new Error(
      isNode()
        ? `wasm backend: loading ${id} needs process.getBuiltinModule (Node ≥ 20.16); this is Node ${process.versions.node}`
        : `wasm backend: ${id} is only available in Node`,
    );
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

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctlPtr, syncPtr, tid, names } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } }).exports;
const i32 = new Int32Array(memory.buffer, ctlPtr, 16);
const f64 = new Float64Array(memory.buffer, ctlPtr + 64, 32);
let seen = workerData.seq;
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

/** A pool over `memory` running the kernels of `module` (tid 0 runs on `exports`, the caller's instance). */
export class WorkerPool implements ParallelRunner {
  private workers: InstanceType<WorkerThreads['Worker']>[] = [];
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly ctlPtr: number;
  private readonly syncPtr: number;
  private readonly Worker: WorkerThreads['Worker'];

  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly exports: KernelExports,
    readonly maxThreads: number,
  ) {
    this.Worker = nodeBuiltin<WorkerThreads>('node:worker_threads').Worker;
    const { ctlPtr, syncPtr } = controlBlock(exports.heapBase());
    this.ctlPtr = ctlPtr;
    this.syncPtr = syncPtr;
    // The block sits below every later growth, so these views stay valid.
    this.i32 = new Int32Array(memory.buffer, ctlPtr, 16);
    this.f64 = new Float64Array(memory.buffer, ctlPtr + 64, 32);
    this.i32.fill(0);
  }

  private spawn(n: number): void {
    while (this.workers.length < n) {
      const w = new this.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          module: this.module, memory: this.memory, ctlPtr: this.ctlPtr, syncPtr: this.syncPtr,
          tid: this.workers.length + 1, names: parallelKernels, seq: Atomics.load(this.i32, SEQ),
        },
      });
      w.unref();
      this.workers.push(w);
    }
  }

  run(name: ParallelKernel, args: number[], nt: number): void {
    nt = Math.min(nt, this.maxThreads);
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
      Atomics.wait(i32, DONE, d, 100);
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
