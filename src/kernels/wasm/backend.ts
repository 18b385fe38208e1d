/**
 * The wasm backend, platform-neutral part: WebAssembly SIMD kernels
 * (AssemblyScript, assembly/) behind the {@link Backend} contract.
 *
 * Memory: one linear memory; everything above the module's heap base is a
 * bump arena owned by this file. Each call resets the arena, copies its
 * inputs in, takes the kernel's scratch block, runs, and copies the outputs
 * out; the memory grows when a call needs more and is then reused. Kernels
 * never allocate.
 *
 * The attention step runs on one thread (it is a small, memory-bound call:
 * each copies its keys and values in).
 *
 * Float64 inputs (gradient checks) go to the reference backend unchanged, as
 * do the small pointwise/loss/embedding ops (copying them in and out would
 * cost more than the JS loops).
 *
 * Threads: a {@link ParallelRunner} (in Node the WorkerPool of ./threads.ts:
 * worker_threads over a shared memory) runs the same kernels on several
 * instances; without one the kernels run on this thread with nt = 1.
 * Calls that would need more than WebAssembly's 4 GiB run on ref.
 */
import type { AdamStep, AttentionBackwardArgs, AttentionForwardArgs, Backend, GruBackwardArgs, GruForwardArgs, UnaryOp } from '../backend.js';
import type { FloatArray } from '../../tensor/tensor.js';
import { refBackend } from '../ref/index.js';
import { attentionStrides } from '../ref/attention.js';

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

/** What the module exports (assembly/index.ts). Pointers are byte addresses. */
export interface KernelExports {
  heapBase(): number;
  sgemmWorkBytes(): number;
  sgemm(
    transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number, work: number,
  ): void;
  sgemmPart(
    transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number, work: number,
    tid: number, nt: number, sync: number,
  ): void;
  gruForwardWorkBytes(T: number, B: number, I: number, H: number, nt: number): number;
  gruForward(
    T: number, B: number, I: number, H: number,
    x: number, h0: number, wIh: number, wHh: number, bIh: number, bHh: number, lengths: number,
    reverse: number, resetAfter: number,
    y: number, ldy: number, ldyT: number, hN: number, gates: number, hPrev: number, hn: number, projected: number,
    work: number, tid: number, nt: number, sync: number,
  ): void;
  gruBackwardWorkBytes(T: number, B: number, I: number, H: number, nt: number): number;
  gruBackward(
    T: number, B: number, I: number, H: number,
    x: number, wIh: number, wHh: number, lengths: number, reverse: number, resetAfter: number,
    dy: number, ldy: number, ldyT: number, dhN: number, gates: number, hPrev: number, hn: number,
    dx: number, dh0: number, dWIh: number, dWHh: number, dBIh: number, dBHh: number, dXProj: number,
    work: number, tid: number, nt: number, sync: number,
  ): void;
  /** 0: this instance's thread only spins in barriers (a browser's main thread may not wait). */
  barrierMaySleep(may: number): void;
  attentionWorkBytes(S: number): number;
  /** 2: the attention kernels below (row strides, gain); absent in older modules. */
  attentionVersion(): number;
  attentionForward(
    alpha: number, context: number, u: number, q: number, keys: number, values: number, v: number, lengths: number, gain: number,
    B: number, S: number, A: number, D: number, kb: number, kj: number, vb: number, vj: number, work: number,
  ): void;
  attentionBackward(
    dq: number, dKeys: number, dValues: number, dv: number, dGain: number, dContext: number, alpha: number, u: number,
    q: number, keys: number, values: number, v: number, lengths: number, gain: number,
    B: number, S: number, A: number, D: number, kb: number, kj: number, vb: number, vj: number, work: number,
  ): void;
  /** Absent in modules built before it. */
  adamUpdate?(w: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, c1: number, c2: number, l2: number, shrink: number): void;
  /** Absent in modules built before it. */
  softmaxCrossEntropyForward?(probs: number, logits: number, targets: number, N: number, C: number): number;
  /** 1 in the relaxed-simd build (absent in modules built before it). */
  relaxedSimd?(): number;
  vexp(out: number, x: number, n: number): void;
  vsigmoid(out: number, x: number, n: number): void;
  vtanh(out: number, x: number, n: number): void;
}

/** Kernels a {@link ParallelRunner} can run on several threads. */
export type ParallelKernel = 'gruForward' | 'gruBackward' | 'sgemmPart';
export const parallelKernels: readonly ParallelKernel[] = ['gruForward', 'gruBackward', 'sgemmPart'];

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

/** A call needs more linear memory than WebAssembly gives (4 GiB at most): the backend hands it to ref. */
export class WasmOutOfMemory extends Error {
  constructor(bytes: number) {
    super(`wasm backend: a call needs ${bytes} bytes of linear memory`);
  }
}

/** Runs `fast`; when it runs out of linear memory (before writing any output), runs `slow` instead. */
function orRef(fast: () => void, slow: () => void): void {
  try {
    fast();
  } catch (e) {
    if (!(e instanceof WasmOutOfMemory)) throw e;
    slow();
  }
}

/** Bump allocator over the linear memory above the module's heap base. */
export class Arena {
  private top: number;
  readonly base: number;

  constructor(readonly memory: WasmMemory, base: number) {
    this.base = align64(base);
    this.top = this.base;
  }

  reset(): void {
    this.top = this.base;
  }

  /** `bytes` bytes, 64-aligned; grows the memory when needed (old views go stale). */
  alloc(bytes: number): number {
    const p = align64(this.top);
    this.top = p + bytes;
    const have = this.memory.buffer.byteLength;
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
    }
    return p;
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** Copies src in; returns its address. */
  put(src: Float32Array): number {
    const p = this.alloc(src.length * 4);
    this.f32(p, src.length).set(src);
    return p;
  }

  putI32(src: Int32Array): number {
    const p = this.alloc(src.length * 4);
    new Int32Array(this.memory.buffer, p, src.length).set(src);
    return p;
  }

  zeros(n: number): number {
    const p = this.alloc(n * 4);
    this.f32(p, n).fill(0);
    return p;
  }

  /** Bytes of linear memory now. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }
}

function align64(n: number): number {
  return (n + 63) & ~63;
}

const isF64 = (a: FloatArray | null | undefined): boolean => a instanceof Float64Array;

/** The wasm {@link Backend}, plus what tests and the timing script look at. */
export interface WasmBackend extends Backend {
  /** The module is the relaxed-simd build: its products use fused multiply-adds. */
  readonly relaxedSimd: boolean;
  /** Bytes of linear memory in use by the arena (it only grows). */
  memoryBytes(): number;
  /** Times a thread slept in a barrier so far (it spins first; diagnostics). */
  barrierSleeps(): number;
}

/** Whether rows (t, b) at t·ldyT + b·ldy fill T·B·H floats without gaps: time-major or batch-first, H wide. */
function denseLayout(ldy: number, ldyT: number | undefined, T: number, B: number, H: number): boolean {
  const lt = ldyT ?? B * ldy;
  return (ldy === H && lt === B * H) || (lt === H && ldy === T * H);
}

/** Products smaller than this many multiply-adds stay on one thread (waking workers costs ~10–50 µs). */
const PARALLEL_GEMM_MACS = 1 << 21;

/**
 * Wraps an instantiated kernel module. `pool`, when given, runs the GRU
 * kernels and large products on several threads (its instances share
 * `memory`); `threads` is then the default count, overridden by
 * GRU_TS_THREADS or setThreads (whichever changed last, as in native).
 */
export function createWasmBackend(
  exports: KernelExports, memory: WasmMemory, pool: ParallelRunner | null = null, threads?: number,
): WasmBackend {
  const { syncPtr, end } = controlBlock(exports.heapBase());
  const arena = new Arena(memory, end);
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
  new Int32Array(memory.buffer, syncPtr, 32).fill(0);
  const gemmWork = align64(exports.sgemmWorkBytes());
  // A module built before the attention kernels (or their strides and gain) existed: those calls stay on ref.
  const hasAttention = typeof exports.attentionVersion === 'function' && exports.attentionVersion() >= 2;
  // Thread count, as the native backend: GRU_TS_THREADS or setThreads, whichever changed last; else the default.
  const envThreads = (): string | undefined => (typeof process !== 'undefined' ? process.env?.GRU_TS_THREADS : undefined);
  const parse = (v: string | undefined): number => {
    const n = Number(v);
    return v !== undefined && v.trim() !== '' && Number.isInteger(n) && n >= 1 ? n : 0;
  };
  let lastEnv = envThreads();
  let chosen = parse(lastEnv);

  /** Threads for the next call (at most the pool's). */
  function nThreads(): number {
    if (!pool) return 1;
    const env = envThreads();
    if (env !== lastEnv) {
      lastEnv = env;
      chosen = parse(env);
    }
    return Math.max(1, Math.min(chosen || threads || 1, pool.maxThreads));
  }

  function run(name: ParallelKernel, args: number[], nt: number): void {
    if (pool && nt > 1) pool.run(name, args, nt);
    else (exports[name] as (...a: number[]) => void)(...args, 0, 1, syncPtr);
  }

  function gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: FloatArray, aOff: number, lda: number,
    B: FloatArray, bOff: number, ldb: number,
    beta: number, C: FloatArray, cOff: number, ldc: number,
  ): void {
    orRef(
      () => gemmWasm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc),
      () => refBackend.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc),
    );
  }

  function gemmWasm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: FloatArray, aOff: number, lda: number,
    B: FloatArray, bOff: number, ldb: number,
    beta: number, C: FloatArray, cOff: number, ldc: number,
  ): void {
    if (isF64(A) || isF64(B) || isF64(C) || M <= 0 || N <= 0 || K <= 0) {
      refBackend.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
      return;
    }
    const aLen = transA ? (K - 1) * lda + M : (M - 1) * lda + K;
    const bLen = transB ? (N - 1) * ldb + K : (K - 1) * ldb + N;
    const cLen = (M - 1) * ldc + N;
    arena.reset();
    const pa = arena.put((A as Float32Array).subarray(aOff, aOff + aLen));
    const pb = arena.put((B as Float32Array).subarray(bOff, bOff + bLen));
    const cIn = (C as Float32Array).subarray(cOff, cOff + cLen);
    // Copy C in when it is read (beta ≠ 0) or when its row gaps must survive the copy out.
    const pc = beta !== 0 || ldc !== N ? arena.put(cIn) : arena.alloc(cLen * 4);
    const nt = M * N * K >= PARALLEL_GEMM_MACS ? nThreads() : 1;
    const work = arena.alloc(gemmWork * nt);
    run('sgemmPart', [transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc, work], nt);
    cIn.set(arena.f32(pc, cLen));
  }

  function gruForward(a: GruForwardArgs): void {
    orRef(() => gruForwardWasm(a), () => refBackend.gruForward(a));
  }

  function gruForwardWasm(a: GruForwardArgs): void {
    const { T, B, I, H } = a;
    const c = a.cache;
    const xProj = a.xProj ?? null; // x W_ihᵀ + b_ih from the caller: goes in as the gates buffer
    if (
      isF64(a.x) || isF64(a.h0) || isF64(a.wIh) || isF64(a.wHh) || isF64(a.bIh) || isF64(a.bHh) ||
      isF64(a.y) || isF64(a.hN) || isF64(c?.gates) || isF64(c?.hPrev) || isF64(c?.hn) || isF64(xProj) ||
      T <= 0 || B <= 0 || H <= 0 || (I <= 0 && !xProj)
    ) {
      refBackend.gruForward(a);
      return;
    }
    const G = 3 * H;
    const TB = T * B;
    const { px, pwi, pwh, plen } = putSequence(a, !!xProj);
    const ph0 = arena.put((a.h0 as Float32Array).subarray(0, B * H));
    const pbi = a.bIh && !xProj ? arena.put((a.bIh as Float32Array).subarray(0, G)) : arena.zeros(G);
    const pbh = a.bHh ? arena.put((a.bHh as Float32Array).subarray(0, G)) : arena.zeros(G);
    const py = arena.alloc(TB * H * 4);
    const phN = arena.alloc(B * H * 4);
    const pg = xProj ? arena.put((xProj as Float32Array).subarray(0, TB * G)) : arena.alloc(TB * G * 4);
    const php = c ? arena.alloc(TB * H * 4) : 0;
    const phn = c ? arena.alloc(TB * H * 4) : 0;
    const nt = nThreads();
    const work = arena.alloc(exports.gruForwardWorkBytes(T, B, I, H, nt));
    // y without gaps (time-major or batch-first) is written in its own layout and copied out at once.
    const dense = denseLayout(a.ldy, a.ldyT, T, B, H);
    run('gruForward', [
      T, B, I, H, px, ph0, pwi, pwh, pbi, pbh, plen, a.reverse ? 1 : 0, a.resetAfter ? 1 : 0,
      py, dense ? a.ldy : H, dense ? a.ldyT ?? B * a.ldy : B * H, phN, pg, php, phn, xProj ? 1 : 0, work,
    ], nt);
    const yc = arena.f32(py, TB * H);
    const y = a.y as Float32Array;
    if (dense) y.set(yc, a.yOff);
    else {
      const ldyT = a.ldyT ?? B * a.ldy;
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) y.set(yc.subarray((t * B + b) * H, (t * B + b + 1) * H), t * ldyT + b * a.ldy + a.yOff);
      }
    }
    (a.hN as Float32Array).set(arena.f32(phN, B * H));
    if (c) {
      (c.gates as Float32Array).set(arena.f32(pg, TB * G));
      (c.hPrev as Float32Array).set(arena.f32(php, TB * H));
      (c.hn as Float32Array).set(arena.f32(phn, TB * H));
    }
  }

  /**
   * Empties the arena and copies in what forward and backward both read: x, the weights, the lengths
   * (x and W_ih not when the input projection is precomputed: they are 0 then).
   */
  function putSequence(a: GruForwardArgs | GruBackwardArgs, projected: boolean): { px: number; pwi: number; pwh: number; plen: number } {
    const { T, B, I, H } = a;
    arena.reset();
    return {
      px: projected ? 0 : arena.put((a.x as Float32Array).subarray(0, T * B * I)),
      pwi: projected ? 0 : arena.put((a.wIh as Float32Array).subarray(0, 3 * H * I)),
      pwh: arena.put((a.wHh as Float32Array).subarray(0, 3 * H * H)),
      plen: a.lengths ? arena.putI32(a.lengths.subarray(0, B)) : 0,
    };
  }

  function gruBackward(a: GruBackwardArgs): void {
    orRef(() => gruBackwardWasm(a), () => refBackend.gruBackward(a));
  }

  function gruBackwardWasm(a: GruBackwardArgs): void {
    const { T, B, I, H, cache: c } = a;
    // xProj mode: the input side's gradient goes to dXProj; x, W_ih, dx, dW_ih, db_ih stay out.
    const projected = !!a.xProj;
    const dXProjArg = projected ? a.dXProj ?? null : null;
    if (
      isF64(a.x) || isF64(a.h0) || isF64(a.wIh) || isF64(a.wHh) || isF64(a.dy) || isF64(a.dhN) ||
      isF64(a.dx) || isF64(a.dh0) || isF64(a.dWIh) || isF64(a.dWHh) || isF64(a.dBIh) || isF64(a.dBHh) ||
      isF64(c.gates) || isF64(c.hPrev) || isF64(c.hn) || isF64(a.xProj) || isF64(dXProjArg) ||
      T <= 0 || B <= 0 || H <= 0 || (I <= 0 && !projected)
    ) {
      refBackend.gruBackward(a);
      return;
    }
    const G = 3 * H;
    const TB = T * B;
    const { px, pwi, pwh, plen } = putSequence(a, projected);
    let pdy = 0;
    const dense = denseLayout(a.ldy, a.ldyT, T, B, H);
    if (a.dy) {
      const dy = a.dy as Float32Array;
      const ldyT = a.ldyT ?? B * a.ldy;
      if (dense) pdy = arena.put(dy.subarray(a.dyOff, a.dyOff + TB * H));
      else {
        pdy = arena.alloc(TB * H * 4);
        const v = arena.f32(pdy, TB * H);
        for (let t = 0; t < T; t++) {
          for (let b = 0; b < B; b++) {
            const o = t * ldyT + b * a.ldy + a.dyOff;
            v.set(dy.subarray(o, o + H), (t * B + b) * H);
          }
        }
      }
    }
    const pdhN = a.dhN ? arena.put((a.dhN as Float32Array).subarray(0, B * H)) : 0;
    const pg = arena.put((c.gates as Float32Array).subarray(0, TB * G));
    const php = arena.put((c.hPrev as Float32Array).subarray(0, TB * H));
    const phn = arena.put((c.hn as Float32Array).subarray(0, TB * H));
    const dx = a.dx && !projected ? (a.dx as Float32Array).subarray(0, TB * I) : null;
    const dh0 = a.dh0 ? (a.dh0 as Float32Array).subarray(0, B * H) : null;
    const dWIh = projected ? null : (a.dWIh as Float32Array).subarray(0, G * I);
    const dWHh = (a.dWHh as Float32Array).subarray(0, G * H);
    const dBIh = a.dBIh && !projected ? (a.dBIh as Float32Array).subarray(0, G) : null;
    const dBHh = a.dBHh ? (a.dBHh as Float32Array).subarray(0, G) : null;
    const dXProj = dXProjArg ? (dXProjArg as Float32Array).subarray(0, TB * G) : null;
    const pdx = dx ? arena.put(dx) : 0;
    const pdh0 = dh0 ? arena.put(dh0) : 0;
    const pdWi = dWIh ? arena.put(dWIh) : 0;
    const pdWh = arena.put(dWHh);
    const pdBi = dBIh ? arena.put(dBIh) : 0;
    const pdBh = dBHh ? arena.put(dBHh) : 0;
    const pdXp = dXProj ? arena.put(dXProj) : 0;
    const nt = nThreads();
    const work = arena.alloc(exports.gruBackwardWorkBytes(T, B, I, H, nt));
    run('gruBackward', [
      T, B, I, H, px, pwi, pwh, plen, a.reverse ? 1 : 0, a.resetAfter ? 1 : 0,
      pdy, dense ? a.ldy : H, dense ? a.ldyT ?? B * a.ldy : B * H, pdhN, pg, php, phn, pdx, pdh0, pdWi, pdWh, pdBi, pdBh, pdXp, work,
    ], nt);
    if (dx) dx.set(arena.f32(pdx, dx.length));
    if (dh0) dh0.set(arena.f32(pdh0, dh0.length));
    if (dWIh) dWIh.set(arena.f32(pdWi, dWIh.length));
    dWHh.set(arena.f32(pdWh, dWHh.length));
    if (dBIh) dBIh.set(arena.f32(pdBi, dBIh.length));
    if (dBHh) dBHh.set(arena.f32(pdBh, dBHh.length));
    if (dXProj) dXProj.set(arena.f32(pdXp, dXProj.length));
  }

  function attentionForward(a: AttentionForwardArgs): void {
    orRef(() => attentionForwardWasm(a), () => refBackend.attentionForward(a));
  }

  function attentionForwardWasm(a: AttentionForwardArgs): void {
    const { B, S, A, D } = a;
    const u = a.v ? a.u : null; // additive only
    const gain = a.gain ?? null;
    if (
      !hasAttention || isF64(a.q) || isF64(a.keys) || isF64(a.values) || isF64(a.v) || isF64(a.alpha) || isF64(a.context) || isF64(u) ||
      isF64(gain) || B <= 0 || S <= 0 || A <= 0 || D <= 0
    ) {
      refBackend.attentionForward(a);
      return;
    }
    arena.reset();
    const l = attentionLayout(a);
    const { pq, pk, pv, pw, plen, pg } = putAttentionInputs(a, l, true);
    const pa = arena.alloc(B * S * 4);
    const pc = arena.alloc(B * D * 4);
    const pu = u ? arena.alloc(l.keyExtent * 4) : 0;
    const work = arena.alloc(exports.attentionWorkBytes(S));
    exports.attentionForward(pa, pc, pu, pq, pk, pv, pw, plen, pg, B, S, A, D, l.kb, l.kj, l.vb, l.vj, work);
    (a.alpha as Float32Array).set(arena.f32(pa, B * S));
    (a.context as Float32Array).set(arena.f32(pc, B * D));
    if (u) {
      // Only the rows inside each length were written.
      const src = arena.f32(pu, l.keyExtent), dst = u as Float32Array;
      for (let b = 0; b < B; b++) {
        const L = a.lengths ? Math.max(0, Math.min(S, a.lengths[b])) : S;
        if (l.kj === A) dst.set(src.subarray(b * l.kb, b * l.kb + L * A), b * l.kb);
        else for (let j = 0; j < L; j++) dst.set(src.subarray(b * l.kb + j * l.kj, b * l.kb + j * l.kj + A), b * l.kb + j * l.kj);
      }
    }
  }

  /**
   * The row strides with their defaults, and how many elements of keys and of values
   * the rows inside each length span (only those are copied in and out).
   */
  function attentionLayout(a: AttentionForwardArgs | AttentionBackwardArgs): { kb: number; kj: number; vb: number; vj: number; keyExtent: number; valueExtent: number } {
    const { B, S, A, D } = a;
    const st = attentionStrides(a);
    let keyExtent = 0, valueExtent = 0;
    for (let b = 0; b < B; b++) {
      const L = a.lengths ? Math.max(0, Math.min(S, a.lengths[b])) : S;
      if (L === 0) continue;
      keyExtent = Math.max(keyExtent, b * st.kb + (L - 1) * st.kj + A);
      valueExtent = Math.max(valueExtent, b * st.vb + (L - 1) * st.vj + D);
    }
    return { ...st, keyExtent, valueExtent };
  }

  /** Copies in q, keys (unless not read), values, v, lengths and gain (after arena.reset()). */
  function putAttentionInputs(
    a: AttentionForwardArgs | AttentionBackwardArgs, l: { keyExtent: number; valueExtent: number }, needKeys: boolean,
  ): { pq: number; pk: number; pv: number; pw: number; plen: number; pg: number } {
    const { B, S, A } = a;
    return {
      pq: arena.put((a.q as Float32Array).subarray(0, B * A)),
      pk: needKeys ? arena.put((a.keys as Float32Array).subarray(0, l.keyExtent)) : 0,
      pv: arena.put((a.values as Float32Array).subarray(0, l.valueExtent)),
      pw: a.v ? arena.put((a.v as Float32Array).subarray(0, A)) : 0,
      plen: a.lengths ? arena.putI32(a.lengths.subarray(0, B)) : 0,
      pg: a.gain ? arena.put((a.gain as Float32Array).subarray(0, B * S)) : 0,
    };
  }

  function attentionBackward(a: AttentionBackwardArgs): void {
    orRef(() => attentionBackwardWasm(a), () => refBackend.attentionBackward(a));
  }

  function attentionBackwardWasm(a: AttentionBackwardArgs): void {
    const { B, S, A, D } = a;
    const u = a.v ? a.u : null, dvArg = a.v ? a.dv : null; // additive only
    const gain = a.gain ?? null, dGainArg = gain ? a.dGain ?? null : null;
    if (
      !hasAttention || isF64(a.q) || isF64(a.keys) || isF64(a.values) || isF64(a.v) || isF64(a.alpha) || isF64(u) || isF64(a.dContext) ||
      isF64(a.dq) || isF64(a.dKeys) || isF64(a.dValues) || isF64(dvArg) || isF64(gain) || isF64(dGainArg) ||
      B <= 0 || S <= 0 || A <= 0 || D <= 0
    ) {
      refBackend.attentionBackward(a);
      return;
    }
    arena.reset();
    const l = attentionLayout(a);
    // The additive backward reads u in place of the keys when it is given.
    const { pq, pk, pv, pw, plen, pg } = putAttentionInputs(a, l, !(a.v && u));
    const pa = arena.put((a.alpha as Float32Array).subarray(0, B * S));
    const pu = u ? arena.put((u as Float32Array).subarray(0, l.keyExtent)) : 0;
    const pdc = arena.put((a.dContext as Float32Array).subarray(0, B * D));
    const dq = a.dq ? (a.dq as Float32Array).subarray(0, B * A) : null;
    const dKeys = a.dKeys ? (a.dKeys as Float32Array).subarray(0, l.keyExtent) : null;
    const dValues = a.dValues ? (a.dValues as Float32Array).subarray(0, l.valueExtent) : null;
    const dv = dvArg ? (dvArg as Float32Array).subarray(0, A) : null;
    const dGain = dGainArg ? (dGainArg as Float32Array).subarray(0, B * S) : null;
    const pdq = dq ? arena.put(dq) : 0;
    const pdk = dKeys ? arena.put(dKeys) : 0;
    const pdV = dValues ? arena.put(dValues) : 0;
    const pdv = dv ? arena.put(dv) : 0;
    const pdg = dGain ? arena.put(dGain) : 0;
    const work = arena.alloc(exports.attentionWorkBytes(S));
    exports.attentionBackward(pdq, pdk, pdV, pdv, pdg, pdc, pa, pu, pq, pk, pv, pw, plen, pg, B, S, A, D, l.kb, l.kj, l.vb, l.vj, work);
    if (dq) dq.set(arena.f32(pdq, dq.length));
    // Whole extents go back: the gaps between rows were copied in and are unchanged.
    if (dKeys) dKeys.set(arena.f32(pdk, dKeys.length));
    if (dValues) dValues.set(arena.f32(pdV, dValues.length));
    if (dv) dv.set(arena.f32(pdv, dv.length));
    if (dGain) dGain.set(arena.f32(pdg, dGain.length));
  }

  function adamUpdate(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, st: AdamStep): void {
    orRef(() => adamUpdateWasm(w, g, m, v, st), () => refBackend.adamUpdate(w, g, m, v, st));
  }

  function adamUpdateWasm(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, st: AdamStep): void {
    if (!exports.adamUpdate || isF64(w) || isF64(g) || isF64(m) || isF64(v)) {
      refBackend.adamUpdate(w, g, m, v, st);
      return;
    }
    const n = g.length;
    arena.reset();
    const f32 = (a: FloatArray) => (a as Float32Array).subarray(0, n);
    const pw = arena.put(f32(w)), pg = arena.put(f32(g)), pm = arena.put(f32(m)), pv = arena.put(f32(v));
    exports.adamUpdate(pw, pg, pm, pv, n, st.lr, st.beta1, st.beta2, st.eps, st.c1, st.c2, st.l2, st.shrink);
    (w as Float32Array).set(arena.f32(pw, n));
    (m as Float32Array).set(arena.f32(pm, n));
    (v as Float32Array).set(arena.f32(pv, n));
  }

  // tanh, sigmoid and the softmax are exp-bound: worth the copies into linear memory and back.
  function unaryForward(op: UnaryOp, out: FloatArray, x: FloatArray): void {
    const kernel = op === 'tanh' ? exports.vtanh : op === 'sigmoid' ? exports.vsigmoid : null;
    if (!kernel || isF64(out) || isF64(x)) {
      refBackend.unaryForward(op, out, x);
      return;
    }
    orRef(() => {
      const n = x.length;
      arena.reset();
      const px = arena.put(x as Float32Array);
      kernel(px, px, n);
      (out as Float32Array).set(arena.f32(px, n));
    }, () => refBackend.unaryForward(op, out, x));
  }

  function softmaxCrossEntropyForward(probs: FloatArray, logits: FloatArray, targets: Int32Array, N: number, C: number): number {
    const kernel = exports.softmaxCrossEntropyForward;
    if (!kernel || isF64(probs) || isF64(logits) || targets.some((t) => t >= C)) return refBackend.softmaxCrossEntropyForward(probs, logits, targets, N, C);
    let loss = 0;
    orRef(() => {
      arena.reset();
      const pl = arena.put((logits as Float32Array).subarray(0, N * C));
      const pt = arena.putI32(targets.subarray(0, N));
      const pp = arena.alloc(N * C * 4);
      loss = kernel(pp, pl, pt, N, C);
      (probs as Float32Array).set(arena.f32(pp, N * C));
    }, () => (loss = refBackend.softmaxCrossEntropyForward(probs, logits, targets, N, C)));
    return loss;
  }

  const backend: WasmBackend = {
    name: 'wasm',
    gemm,
    // Memory-bound (a pass or a copy each): the plain loop over the caller's
    // arrays is already as fast as copying them into linear memory would be.
    addBias: refBackend.addBias,
    addBiasBackward: refBackend.addBiasBackward,
    unaryForward,
    unaryBackward: refBackend.unaryBackward,
    softmaxCrossEntropyForward,
    softmaxCrossEntropyBackward: refBackend.softmaxCrossEntropyBackward,
    embeddingForward: refBackend.embeddingForward,
    embeddingBackward: refBackend.embeddingBackward,
    gruForward,
    gruBackward,
    attentionForward,
    attentionBackward,
    adamUpdate,
    relaxedSimd: (exports.relaxedSimd?.() ?? 0) === 1,
    memoryBytes: () => arena.bytes,
    barrierSleeps: () => Atomics.load(new Int32Array(memory.buffer, syncPtr, 32), 24),
  };
  if (pool) {
    backend.setThreads = (n: number) => {
      if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: expected a positive integer, got ${n}`);
      lastEnv = envThreads();
      chosen = n;
    };
    backend.threads = nThreads;
  }
  return backend;
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
  if (!wa) throw new Error('wasm backend: this platform has no WebAssembly');
  const sources = Array.isArray(source) ? source : [source as WasmSource];
  for (const [i, s] of sources.entries()) {
    let bytes: ArrayBuffer | ArrayBufferView;
    if (typeof s === 'string' || s instanceof URL) {
      const res = await fetch(s);
      if (!res.ok) throw new Error(`wasm backend: fetching ${String(s)} failed with ${res.status}`);
      bytes = await res.arrayBuffer();
    } else bytes = s;
    if (i < sources.length - 1 && !wa.validate(bytes)) continue;
    return wa.compile(bytes);
  }
  throw new Error('wasm backend: no module was given');
}
