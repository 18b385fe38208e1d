/**
 * The wasm backend, platform-neutral part: WebAssembly SIMD kernels
 * (AssemblyScript, assembly/) behind the {@link Backend} contract.
 *
 * Memory: one linear memory; everything above the module's heap base is a
 * bump arena owned by this file. Each call resets the arena and, field by
 * field in spec order (src/kernels/spec.ts), copies in the arrays the kernel
 * reads (in, inout), allocates those it only writes (out), takes the
 * kernel's scratch block (its <name>WorkBytes export), runs, and copies out
 * what it wrote. Arrays of rows (the GRU's y and dy) with gaps between their
 * rows are gathered into (and scattered from) a dense block, their strides
 * and offset rewritten to match. The memory grows when a call needs more and
 * is then reused. Kernels never allocate.
 *
 * The registry (../registry.ts) sends float64 calls to ref, and calls that
 * would need more than WebAssembly's 4 GiB ({@link WasmOutOfMemory}), and
 * kernels the module lacks: the small pointwise, bias and embedding ops,
 * memory-bound, for which copying into linear memory and back would cost
 * more than the JS loops.
 *
 * Threads: a {@link ParallelRunner} (in Node the WorkerPool of ./threads.ts:
 * worker_threads over a shared memory) runs the threaded kernels (the spec
 * says which) on several instances; without one they run on this thread
 * with nt = 1.
 */
import type { Backend } from '../backend.js';
import { createBackend, KernelOutOfMemory, threadSetting, type FastKernels } from '../registry.js';
import { kernelSpecs, KERNEL_ABI, type Args, type Field, type KernelName, type KernelSpec } from '../spec.js';
import { GruError } from '../../errors.js';

// Minimal WebAssembly typings (the project's lib is ES2022 without DOM).
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
export interface WasmModule {}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WebAssemblyApi {
  Module: new (bytes: ArrayBufferView | ArrayBuffer) => WasmModule;
  Instance: new (module: WasmModule, imports?: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  compile(bytes: ArrayBufferView | ArrayBuffer): Promise<WasmModule>;
  validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}

/** The WebAssembly global, or null where there is none. */
export function webAssembly(): WebAssemblyApi | null {
  return (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly ?? null;
}

/**
 * What the module exports (assembly/index.ts): besides these, one function
 * per kernel it has, named as the kernel's spec and taking its fields in
 * spec order (pointers are byte addresses, 0 for null), then `work` where
 * there is a <name>WorkBytes(dims…, nt) export, then (tid, nt, sync) for
 * threaded kernels.
 */
export interface KernelExports {
  heapBase(): number;
  /** KERNEL_ABI of the specs the module was built from (a module without it is refused, as one with another number). */
  kernelAbi?(): number;
  /** 0: this instance's thread only spins in barriers (a browser's main thread may not wait). */
  barrierMaySleep(may: number): void;
  /** 1 in the relaxed-simd build. */
  relaxedSimd?(): number;
  [kernel: string]: unknown;
}

/** Kernels a {@link ParallelRunner} can run on several threads: the threaded specs. */
export type ParallelKernel = KernelName;
export const parallelKernels: readonly ParallelKernel[] = Object.values(kernelSpecs)
  .filter((s) => s.threaded)
  .map((s) => s.name);

/** Runs a kernel on several instances sharing the memory (tid 0 on the caller). */
export interface ParallelRunner {
  /** The most threads it can run (itself included). */
  readonly maxThreads: number;
  /** Calls exports[name](...args, tid, nt, syncPtr) for tid < nt on nt threads; returns when all are done. */
  run(name: ParallelKernel, args: number[], nt: number): void;
}

/**
 * The fixed block at the bottom of the arena: the kernels' barrier (128 bytes)
 * and the thread pool's control words (64 bytes of int32 header, 32 float64
 * arguments).
 */
export function controlBlock(heapBase: number): { syncPtr: number; ctlPtr: number; end: number } {
  const syncPtr = align64(heapBase);
  const ctlPtr = syncPtr + 128;
  return { syncPtr, ctlPtr, end: ctlPtr + 64 + 32 * 8 };
}

const PAGE = 65536;

/** A call needs more linear memory than WebAssembly gives (4 GiB at most): the registry hands it to ref. */
export class WasmOutOfMemory extends KernelOutOfMemory {
  constructor(bytes: number) {
    super(`wasm backend: a call needs ${bytes} bytes of linear memory`);
  }
}

/** Bump allocator over the linear memory above the module's heap base. */
export class Arena {
  private top: number;
  readonly base: number;
  /** memory.buffer, kept: reading it costs ~0.2 µs (shared memory makes a new object each time); renewed when this arena grows the memory, which nothing else does. */
  private buf: ArrayBuffer | SharedArrayBuffer;

  constructor(
    readonly memory: WasmMemory,
    base: number,
  ) {
    this.base = align64(base);
    this.top = this.base;
    this.buf = memory.buffer;
  }

  reset(): void {
    this.top = this.base;
  }

  /** `bytes` bytes, 64-aligned; grows the memory when needed (old views go stale). */
  alloc(bytes: number): number {
    const p = align64(this.top);
    this.top = p + bytes;
    const have = this.buf.byteLength;
    if (this.top > have) {
      // Grow by at least half again, so a run of slightly larger calls does not grow every time.
      const need = Math.ceil((this.top - have) / PAGE);
      const more = Math.max(need, Math.ceil(have / PAGE / 2));
      try {
        this.memory.grow(more);
      } catch {
        try {
          this.memory.grow(need);
        } catch {
          throw new WasmOutOfMemory(this.top);
        }
      }
      this.buf = this.memory.buffer;
    }
    return p;
  }

  /** A view of n elements at ptr, of src's element type (Float32Array or Int32Array). */
  view(ptr: number, n: number, like: Float32Array | Int32Array = F32): Float32Array | Int32Array {
    return like instanceof Int32Array ? new Int32Array(this.buf, ptr, n) : new Float32Array(this.buf, ptr, n);
  }

  /** Copies src in; returns its address. */
  put(src: Float32Array | Int32Array): number {
    const p = this.alloc(src.length * 4);
    this.view(p, src.length, src).set(src);
    return p;
  }

  /** Bytes of linear memory now. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }
}
const F32 = new Float32Array(0);

function align64(n: number): number {
  return (n + 63) & ~63;
}

/** The wasm {@link Backend}, plus what tests and the timing script look at. */
export interface WasmBackend extends Backend {
  /** The module is the relaxed-simd build: its products use fused multiply-adds. */
  readonly relaxedSimd: boolean;
  /** Bytes of linear memory in use by the arena (it only grows). */
  memoryBytes(): number;
  /** Times a thread slept in a barrier so far (it spins first; diagnostics). */
  barrierSleeps(): number;
}

/** Products smaller than this many multiply-adds stay on one thread (waking workers costs ~10–50 µs). */
const PARALLEL_GEMM_MACS = 1 << 21;

/** Calls the wasm kernels decline (they run on ref): empty sizes, and the ops with no kernel here. */
const declines: Partial<Record<KernelName, (a: Args) => boolean>> = {
  gruForward: (a) => a.T <= 0 || a.B <= 0 || a.H <= 0 || (a.I <= 0 && !a.xProj),
  gruBackward: (a) => a.T <= 0 || a.B <= 0 || a.H <= 0 || (a.I <= 0 && !a.xProj),
  attentionForward: (a) => a.B <= 0 || a.S <= 0 || a.A <= 0 || a.D <= 0,
  attentionBackward: (a) => a.B <= 0 || a.S <= 0 || a.A <= 0 || a.D <= 0,
  unaryForward: (a) => a.op !== 'tanh' && a.op !== 'sigmoid',
};

/** Whether an (n0, n1) grid of `w`-wide rows with strides s0, s1 fills n0·n1·w elements without gaps. */
function denseRows(n0: number, n1: number, s0: number, s1: number, w: number): boolean {
  if (n0 * n1 <= 1) return true;
  if (n0 === 1) return s1 === w;
  if (n1 === 1) return s0 === w;
  return (s1 === w && s0 === n1 * w) || (s0 === w && s1 === n0 * w);
}

/** A field, and the indices of the fields its layout refers to. */
interface Slot {
  f: Field;
  offset: number; // index of the offset field, or −1
  rows: { n0: number; n1: number; s0: number; s1: number; w: number } | null; // indices
}

/**
 * Wraps an instantiated kernel module. `pool`, when given, runs the threaded
 * kernels on several threads (its instances share `memory`); `threads` is
 * then the default count, overridden by GRU_TS_THREADS or setThreads
 * (whichever changed last).
 */
export function createWasmBackend(exports: KernelExports, memory: WasmMemory, pool: ParallelRunner | null = null, threads?: number): WasmBackend {
  const abi = typeof exports.kernelAbi === 'function' ? exports.kernelAbi() : null;
  if (abi !== KERNEL_ABI) {
    throw new GruError('UNSUPPORTED', `wasm backend: the module has kernel ABI ${abi ?? '(none)'}, this gru-ts needs ${KERNEL_ABI}: rebuild with npm run build`);
  }
  const { syncPtr, end } = controlBlock(exports.heapBase());
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
  const arena = new Arena(memory, end);
  new Int32Array(memory.buffer, syncPtr, 32).fill(0);
  const setting = pool ? threadSetting(threads ?? 1, pool.maxThreads) : null;

  /** The kernel of one spec: copy in, run, copy out. */
  function kernel(spec: KernelSpec, fn: (...a: number[]) => unknown): (a: Args, values: readonly unknown[]) => unknown {
    const index = (name: string) => spec.fields.findIndex((g) => g.name === name);
    const slots: Slot[] = spec.fields.map((f) => ({
      f,
      offset: f.offset ? index(f.offset) : -1,
      rows: f.rows ? { n0: index(f.rows.counts[0]), n1: index(f.rows.counts[1]), s0: index(f.rows.strides[0]), s1: index(f.rows.strides[1]), w: index(f.rows.width) } : null,
    }));
    const dims = slots.flatMap((s, i) => (s.f.type === 'dim' ? [i] : []));
    const workBytes = exports[`${spec.name}WorkBytes`] as ((...a: number[]) => number) | undefined;
    const threaded = !!spec.threaded;
    const want = slots.length + (workBytes ? 1 : 0) + (threaded ? 3 : 0);
    if (fn.length !== want) {
      throw new GruError('UNSUPPORTED', `wasm backend: the module's ${spec.name} takes ${fn.length} arguments, the spec ${want}: rebuild with npm run build`);
    }
    const n = slots.length;
    const arrays = slots.flatMap((s, i) => (s.f.type === 'f32' || s.f.type === 'i32' ? [i] : []));
    const scalars = slots.flatMap((s, i) => (s.f.type === 'f32' || s.f.type === 'i32' ? [] : [i]));
    // The arguments (then work, then tid, nt, sync), and what to copy out after the call: reused call after call.
    const v = Array.from({ length: n + (workBytes ? 1 : 0) + 3 }, () => 0);
    const back = { count: 0, field: new Int32Array(arrays.length), ptr: new Float64Array(arrays.length), size: new Float64Array(arrays.length), off: new Float64Array(arrays.length) };
    const rowsBack: (() => void)[] = [];
    const workArgs = Array.from({ length: dims.length + 1 }, () => 0);

    return (a, values) => {
      arena.reset();
      // Scalars first: the arrays' layouts below read (and may rewrite) them.
      for (const i of scalars) {
        const f = slots[i].f,
          x = values[i];
        v[i] = f.type === 'flag' ? (x ? 1 : 0) : f.type === 'enum' ? f.values!.indexOf(x as string) : (x as number);
      }
      back.count = 0;
      if (rowsBack.length > 0) rowsBack.length = 0;
      for (const i of arrays) {
        const { f, offset, rows } = slots[i];
        const x = values[i] as Float32Array | Int32Array | null;
        if (x === null) {
          v[i] = 0;
          continue;
        }
        const off = offset >= 0 ? v[offset] : 0;
        const written = f.role !== 'in';
        const readIn = f.role !== 'out' && !(f.overwritten?.(a) ?? false);
        if (rows && !denseRows(v[rows.n0], v[rows.n1], v[rows.s0], v[rows.s1], v[rows.w])) {
          // Rows with gaps between them: a dense (n0, n1, w) block here.
          const n0 = v[rows.n0],
            n1 = v[rows.n1],
            s0 = v[rows.s0],
            s1 = v[rows.s1],
            w = v[rows.w];
          const p = arena.alloc(n0 * n1 * w * 4);
          const each = (fn: (src: number, dst: number) => void) => {
            for (let r = 0; r < n0; r++) for (let c = 0; c < n1; c++) fn(off + r * s0 + c * s1, (r * n1 + c) * w);
          };
          if (readIn) {
            const d = arena.view(p, n0 * n1 * w, x);
            each((src, dst) => d.set(x.subarray(src, src + w), dst));
          }
          if (written) {
            rowsBack.push(() => {
              const d = arena.view(p, n0 * n1 * w, x);
              each((dst, src) => x.set(d.subarray(src, src + w), dst));
            });
          }
          v[i] = p;
          v[rows.s0] = n1 * w;
          v[rows.s1] = w;
          if (offset >= 0) v[offset] = 0;
          continue;
        }
        // The whole extent (a dense grid of rows: exactly its rows).
        const size = rows ? v[rows.n0] * v[rows.n1] * v[rows.w] : f.size ? f.size(a) : x.length - off;
        const p = readIn ? arena.put(off === 0 && size === x.length ? x : x.subarray(off, off + size)) : arena.alloc(size * 4);
        if (written) {
          const k = back.count++;
          back.field[k] = i;
          back.ptr[k] = p;
          back.size[k] = size;
          back.off[k] = off;
        }
        v[i] = p;
        if (offset >= 0) v[offset] = 0;
      }
      let nt = 1;
      if (threaded && setting) nt = spec.name === 'gemm' && v[dims[0]] * v[dims[1]] * v[dims[2]] < PARALLEL_GEMM_MACS ? 1 : setting.forCall();
      let last = n;
      if (workBytes) {
        for (let d = 0; d < dims.length; d++) workArgs[d] = v[dims[d]];
        workArgs[dims.length] = nt;
        v[last++] = arena.alloc(workBytes(...workArgs));
      }
      let result: unknown;
      if (threaded && pool && nt > 1) pool.run(spec.name, v.slice(0, last), nt);
      else {
        if (threaded) {
          v[last] = 0; // tid
          v[last + 1] = 1; // nt
          v[last + 2] = syncPtr;
        }
        result = fn(...v);
      }
      for (let k = 0; k < back.count; k++) {
        const x = values[back.field[k]] as Float32Array | Int32Array;
        x.set(arena.view(back.ptr[k], back.size[k], x), back.off[k]);
      }
      for (const b of rowsBack) b();
      return result;
    };
  }

  const kernels: FastKernels = {};
  for (const spec of Object.values(kernelSpecs)) {
    const fn = exports[spec.name];
    if (typeof fn !== 'function') continue;
    const no = declines[spec.name];
    kernels[spec.name] = { run: kernel(spec, fn as (...a: number[]) => unknown), accepts: no ? (a) => !no(a) : undefined };
  }
  return createBackend('wasm', kernels, {
    relaxedSimd: (exports.relaxedSimd?.() ?? 0) === 1,
    memoryBytes: () => arena.bytes,
    barrierSleeps: () => Atomics.load(new Int32Array(memory.buffer, syncPtr, 32), 24),
    ...(setting ? { threads: setting.threads, setThreads: setting.setThreads } : {}),
  }) as WasmBackend;
}

/** Instantiates a compiled kernel module (single-threaded build) as the backend. */
export function instantiateWasmBackend(module: WasmModule): WasmBackend {
  const wa = webAssembly()!;
  const instance = new wa.Instance(module, {
    env: {
      abort: () => {
        throw new Error('wasm backend: abort');
      },
    },
  });
  const ex = instance.exports as unknown as KernelExports & { memory: WasmMemory };
  return createWasmBackend(ex, ex.memory);
}

/** A module's bytes, or a URL to fetch them from. */
export type WasmSource = ArrayBuffer | ArrayBufferView | URL | string;

/**
 * For browsers (or anywhere async is fine): the module's bytes, or a URL to
 * fetch them from. Given several (e.g. gru-relaxed.wasm, then gru.wasm), the
 * first this engine validates is used: engines without relaxed-simd fall
 * back to the plain SIMD build.
 */
export async function initWasmBackend(source: WasmSource | readonly WasmSource[]): Promise<WasmBackend> {
  return instantiateWasmBackend(await compileFirstValid(source));
}

/** Compiles the first of `source` that this engine validates (the last is compiled regardless, so its error shows). @internal */
export async function compileFirstValid(source: WasmSource | readonly WasmSource[]): Promise<WasmModule> {
  const wa = webAssembly();
  if (!wa) throw new GruError('UNSUPPORTED', 'wasm backend: this platform has no WebAssembly');
  const sources = Array.isArray(source) ? source : [source as WasmSource];
  for (const [i, s] of sources.entries()) {
    let bytes: ArrayBuffer | ArrayBufferView;
    if (typeof s === 'string' || s instanceof URL) {
      const res = await fetch(s);
      if (!res.ok) throw new GruError('INVALID_FILE', `wasm backend: fetching ${String(s)} failed with ${res.status}`);
      bytes = await res.arrayBuffer();
    } else bytes = s;
    if (i < sources.length - 1 && !wa.validate(bytes)) continue;
    return wa.compile(bytes);
  }
  throw new GruError('INVALID_ARGUMENT', 'wasm backend: no module was given');
}
