// The wasm backend beyond the parity test: large shapes, memory growth, float64 delegation, threads, the vector math.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, refBackend, gruCacheSizes, type Backend, type FloatArray } from '../src/index.js';
import {
  createWasmBackend, instantiateThreadedWasmBackend, instantiateWasmBackend, loadWasmBackend, wasmDir, type WasmBackend,
} from '../src/kernels/wasm/index.js';
import { webAssembly, type KernelExports, type WasmMemory } from '../src/kernels/wasm/backend.js';
import { maxRelError } from './helpers/random.js';

const TOL = 1e-5;
const stPath = join(wasmDir(), 'gru.wasm');
const mtPath = join(wasmDir(), 'gru-mt.wasm');
const wasm = loadWasmBackend() as WasmBackend | null;
const missing = wasm === null ? `wasm modules not built (npm run build:wasm): ${stPath}` : '';

test('wasm: the modules are built (npm install builds them)', () => {
  assert.equal(missing, '');
  for (const f of ['gru-mt.wasm', 'gru-relaxed.wasm', 'gru-mt-relaxed.wasm']) assert.ok(existsSync(join(wasmDir(), f)), `no ${f} in ${wasmDir()}`);
});

test('wasm: a relaxed-simd build is used exactly where this engine validates it', () => {
  const relaxed = readFileSync(join(wasmDir(), 'gru-relaxed.wasm'));
  assert.equal(wasm!.relaxedSimd, webAssembly()!.validate(relaxed));
  // The plain build validates everywhere SIMD does.
  assert.ok(webAssembly()!.validate(readFileSync(stPath)));
});

/** Float32 values (also when returned as float64, so both precisions see the same inputs). */
function rand(rng: Rng, n: number, scale = 1, f64 = false): FloatArray {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.range(-1, 1);
  return f64 ? Float64Array.from(a) : a;
}

/** A fresh single-threaded instance (its memory starts small). */
function fresh(): WasmBackend {
  const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
  return instantiateWasmBackend(new WA.Module(readFileSync(stPath)));
}

function gemmCase(k: Backend, rng: Rng, M: number, N: number, K: number, tA: boolean, tB: boolean, alpha: number, beta: number, f64 = false) {
  const lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 2;
  const aOff = 5, bOff = 2, cOff = 7;
  const A = rand(rng, aOff + lda * (tA ? K : M), 1, f64);
  const B = rand(rng, bOff + ldb * (tB ? N : K), 1, f64);
  const C0 = rand(rng, cOff + ldc * M, 1, f64);
  const want = C0.slice(), got = C0.slice();
  refBackend.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, want, cOff, ldc);
  k.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, got, cOff, ldc);
  return { got, want };
}

interface GruCase {
  T: number; B: number; I: number; H: number;
  reverse: boolean; resetAfter: boolean; lengths: Int32Array | null; bias: boolean; strided: boolean;
}

function gruRun(be: Backend, c: GruCase, seed: number, f64 = false) {
  const { T, B, I, H, reverse, resetAfter, lengths, bias, strided } = c;
  const rng = new Rng(seed);
  const mk = (n: number, s = 1) => rand(rng, n, s, f64);
  const alloc = (n: number) => (f64 ? new Float64Array(n) : new Float32Array(n));
  const k = 1 / Math.sqrt(H);
  const w = { wIh: mk(3 * H * I, k), wHh: mk(3 * H * H, k), bIh: bias ? mk(3 * H, k) : null, bHh: bias ? mk(3 * H, k) : null };
  const x = mk(T * B * I), h0 = mk(B * H, 0.5);
  const ldy = strided ? 2 * H + 3 : H, yOff = strided ? H + 1 : 0;
  const dy = mk(T * B * ldy), dhN = mk(B * H);
  const s = gruCacheSizes({ T, B, I, H });
  const cache = { gates: alloc(s.gates), hPrev: alloc(s.hPrev), hn: alloc(s.hn) };
  const y = mk(T * B * ldy), hN = alloc(B * H); // y's other columns must survive
  const mode = { T, B, I, H, ...w, reverse, resetAfter, lengths };
  be.gruForward({ ...mode, y, yOff, ldy, hN, x, h0, cache });
  const g = {
    dx: mk(T * B * I), dh0: mk(B * H), dWIh: mk(3 * H * I), dWHh: mk(3 * H * H), // accumulated into
    dBIh: bias ? mk(3 * H) : null, dBHh: bias ? mk(3 * H) : null,
  };
  be.gruBackward({ ...mode, ...g, dy, dyOff: yOff, ldy, dhN, x, h0, cache });
  return { y, hN, ...g, hPrev: cache.hPrev, gates: cache.gates };
}

function assertGruClose(got: ReturnType<typeof gruRun>, want: ReturnType<typeof gruRun>, what: string): void {
  for (const key of Object.keys(want) as (keyof typeof want)[]) {
    if (want[key] === null) continue;
    const err = maxRelError(got[key] as FloatArray, want[key] as FloatArray);
    assert.ok(err <= TOL, `${what}: ${key} off by ${err}`);
  }
}

/**
 * Large shapes are checked against ref run in float64 on the same (float32)
 * inputs: ref in float32 is itself ~1e-5 off there (its bias gradients add
 * T·B = 660 rows one by one into float32), while the wasm kernels sum in
 * blocks and stay within ~4e-6.
 */
function assertGruVsRef(be: Backend, c: GruCase, seed: number, what: string): void {
  const key = JSON.stringify({ ...c, lengths: c.lengths && Array.from(c.lengths), seed });
  let want = refRuns.get(key);
  if (!want) refRuns.set(key, (want = gruRun(refBackend, c, seed, true)));
  assertGruClose(gruRun(be, c, seed), want, what);
}
const refRuns = new Map<string, ReturnType<typeof gruRun>>(); // ref in float64 takes seconds on these shapes

const big = (resetAfter: boolean, reverse: boolean, withLengths: boolean): GruCase => {
  const B = 33, T = 20;
  const lengths = withLengths ? Int32Array.from({ length: B }, (_, b) => 1 + ((b * 7) % T)) : null;
  return { T, B, I: 64, H: 256, reverse, resetAfter, lengths, bias: true, strided: reverse };
};

test('wasm: gemm M=200 N=300 K=700, every transpose, alpha and beta', () => {
  const k = wasm!;
  const rng = new Rng(11);
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      for (const [alpha, beta] of [[1, 0], [-0.5, 1], [1, 0.25]]) {
        const { got, want } = gemmCase(k, rng, 200, 300, 700, tA, tB, alpha, beta);
        const err = maxRelError(got, want);
        assert.ok(err <= TOL, `tA=${tA} tB=${tB} alpha=${alpha} beta=${beta}: ${err}`);
      }
    }
  }
});

test('wasm: gemm with every row count 1–16 (5- and 4-row blocks of A, partial last blocks)', () => {
  const k = fresh();
  const rng = new Rng(16);
  for (let M = 1; M <= 16; M++) {
    for (const [tA, tB] of [[false, false], [true, true]]) {
      const { got, want } = gemmCase(k, rng, M, 19, 37, tA, tB, M % 2 ? 1 : 0.5, M % 3 ? 0 : 0.25);
      assert.ok(maxRelError(got, want) <= TOL, `M=${M} tA=${tA} tB=${tB}: ${maxRelError(got, want)}`);
    }
  }
});

test('wasm: gemm with beta = 0 ignores NaN in C and keeps the row gaps', () => {
  const k = wasm!;
  const M = 9, N = 13, K = 17, ldc = 16;
  const rng = new Rng(3);
  const A = rand(rng, M * K), B = rand(rng, K * N);
  const C = new Float32Array(M * ldc).fill(Number.NaN);
  for (let i = 0; i < M; i++) for (let j = N; j < ldc; j++) C[i * ldc + j] = 42;
  k.gemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, C, 0, ldc);
  const want = new Float32Array(M * ldc).fill(Number.NaN);
  refBackend.gemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, want, 0, ldc);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < ldc; j++) {
      if (j < N) assert.ok(Math.abs(C[i * ldc + j] - want[i * ldc + j]) <= TOL * Math.max(1, Math.abs(want[i * ldc + j])));
      else assert.equal(C[i * ldc + j], 42);
    }
  }
});

/** The large cases (ref in float64 takes ~2 s each, so they are few and shared). */
const bigCases: { c: GruCase; seed: number; what: string }[] = [
  ...[true, false].flatMap((resetAfter) => [false, true].map((reverse) => ({ resetAfter, reverse, lengths: true }))),
  { resetAfter: true, reverse: false, lengths: false },
  { resetAfter: false, reverse: true, lengths: false },
].map((m, i) => ({ c: big(m.resetAfter, m.reverse, m.lengths), seed: 100 + i, what: `resetAfter=${m.resetAfter} reverse=${m.reverse} lengths=${m.lengths}` }));

test('wasm: GRU T=20 B=33 I=64 H=256, both reset forms, both directions, with lengths, vs ref (float64)', () => {
  // The single-threaded build, and the default instance (threads = cores where SharedArrayBuffer exists).
  for (const [name, k] of [['gru.wasm', fresh()], [`default ×${wasm!.threads?.() ?? 1}`, wasm!]] as const) {
    for (const { c, seed, what } of bigCases) assertGruVsRef(k, c, seed, `${name} ${what}`);
  }
});

test('wasm: GRU without bias, odd sizes (tails of every loop)', () => {
  const k = wasm!;
  for (const [T, B, I, H] of [[3, 1, 1, 1], [4, 5, 3, 13], [2, 7, 9, 33], [5, 6, 10, 70]]) {
    for (const resetAfter of [true, false]) {
      const c: GruCase = { T, B, I, H, reverse: false, resetAfter, lengths: Int32Array.from({ length: B }, (_, b) => 1 + (b % T)), bias: false, strided: true };
      assertGruClose(gruRun(k, c, T * 1000 + H), gruRun(refBackend, c, T * 1000 + H), `T=${T} B=${B} I=${I} H=${H} resetAfter=${resetAfter}`);
    }
  }
});

test('wasm: the memory grows when inputs exceed it, and is reused after', () => {
  const k = fresh();
  const before = k.memoryBytes();
  const { c, seed } = bigCases[0];
  assertGruVsRef(k, c, seed, 'after growth');
  const after = k.memoryBytes();
  assert.ok(after > before, `memory ${before} → ${after}`);
  assert.ok(after > 4 * gruCacheSizes(c).gates, 'the cache alone needs this much');
  const small: GruCase = { T: 3, B: 2, I: 4, H: 5, reverse: false, resetAfter: false, lengths: null, bias: true, strided: false };
  assertGruClose(gruRun(k, small, 8), gruRun(refBackend, small, 8), 'small call after a large one');
  assert.equal(k.memoryBytes(), after);
  const rng = new Rng(9);
  const { got, want } = gemmCase(k, rng, 500, 600, 800, true, false, 1, 0.5); // larger than the GRU's arena use
  assert.ok(maxRelError(got, want) <= TOL);
  assert.ok(k.memoryBytes() >= after);
});

test('wasm: a call that needs more memory than allowed runs on ref instead', () => {
  const WA = (globalThis as unknown as {
    WebAssembly: {
      Module: new (b: Uint8Array) => object;
      Instance: new (m: object, i: object) => { exports: unknown };
      Memory: new (d: object) => WasmMemory;
    };
  }).WebAssembly;
  const memory = new WA.Memory({ initial: 2, maximum: 24, shared: true }); // 1.5 MiB at most
  const ex = new WA.Instance(new WA.Module(readFileSync(mtPath)), { env: { memory, abort() {} } }).exports as KernelExports;
  const k = createWasmBackend(ex, memory);
  const small: GruCase = { T: 3, B: 2, I: 4, H: 5, reverse: false, resetAfter: true, lengths: null, bias: true, strided: false };
  assertGruClose(gruRun(k, small, 3), gruRun(refBackend, small, 3), 'fits');
  const c: GruCase = { T: 20, B: 33, I: 32, H: 128, reverse: true, resetAfter: false, lengths: null, bias: true, strided: true }; // ~4 MB
  const got = gruRun(k, c, 4), want = gruRun(refBackend, c, 4);
  for (const key of Object.keys(want) as (keyof typeof want)[]) assert.deepEqual(got[key], want[key], key); // ref itself: bit for bit
  assert.ok(k.memoryBytes() <= 24 * 65536);
  const rng = new Rng(1);
  const { got: g2, want: w2 } = gemmCase(k, rng, 300, 300, 300, false, true, 1, 0);
  assert.deepEqual(g2, w2);
  assertGruClose(gruRun(k, small, 5), gruRun(refBackend, small, 5), 'still usable after');
});

test('wasm: float64 inputs are delegated to ref, bit for bit', () => {
  const k = wasm!;
  const r1 = new Rng(5), r2 = new Rng(5);
  const a = gemmCase(k, r1, 20, 30, 40, true, false, 0.5, 0.25, true);
  const b = gemmCase(refBackend, r2, 20, 30, 40, true, false, 0.5, 0.25, true);
  assert.deepEqual(a.got, b.got);
  for (const resetAfter of [true, false]) {
    const c: GruCase = { T: 4, B: 3, I: 5, H: 6, reverse: true, resetAfter, lengths: Int32Array.from([4, 2, 3]), bias: true, strided: true };
    const got = gruRun(k, c, 21, true), want = gruRun(refBackend, c, 21, true);
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      assert.ok(got[key] instanceof Float64Array || got[key] === null);
      assert.deepEqual(got[key], want[key], key);
    }
  }
});

test('wasm: threads (shared memory, worker_threads) match ref and one thread', () => {
  const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
  const k = instantiateThreadedWasmBackend(new WA.Module(readFileSync(mtPath)));
  for (const nt of [2, 3]) {
    k.setThreads!(nt);
    assert.equal(k.threads!(), nt);
    for (const { c, seed, what } of bigCases.slice(0, 4)) assertGruVsRef(k, c, seed, `nt=${nt} ${what}`);
    // H smaller than one panel per thread: idle threads still meet at the barriers.
    const tiny: GruCase = { T: 5, B: 3, I: 4, H: 7, reverse: false, resetAfter: false, lengths: Int32Array.from([5, 1, 3]), bias: true, strided: false };
    assertGruClose(gruRun(k, tiny, 9), gruRun(refBackend, tiny, 9), `nt=${nt} tiny`);
    const rng = new Rng(nt);
    for (const [tA, tB] of [[false, false], [true, true], [false, true]]) {
      for (const [M, N] of [[200, 300], [300, 40]]) {
        const { got, want } = gemmCase(k, rng, M, N, 700, tA, tB, 1, 0.5);
        const err = maxRelError(got, want);
        assert.ok(err <= TOL, `nt=${nt} gemm ${M}×${N} tA=${tA} tB=${tB}: ${err}`);
      }
    }
  }
  k.setThreads!(1);
  const c = big(true, false, true);
  assertGruVsRef(k, bigCases[0].c, bigCases[0].seed, 'back to one thread');
});

test('wasm: vector exp, sigmoid and tanh within 3e-7 of float64 (each build this engine runs)', (t) => {
  // The relaxed-simd build evaluates the polynomials with fused multiply-adds: check it where it validates
  // (Node 22+, or Node 20 with --experimental-wasm-relaxed-simd: test/wasm-relaxed.test.ts runs this test so).
  const relaxedPath = join(wasmDir(), 'gru-relaxed.wasm');
  const builds = [stPath, ...(webAssembly()!.validate(readFileSync(relaxedPath)) ? [relaxedPath] : [])];
  if (process.env.GRU_TS_EXPECT_RELAXED_SIMD === '1') assert.equal(builds.length, 2, 'this engine should run the relaxed-simd build');
  t.diagnostic(`vector math checked in ${builds.map((b) => b.split(/[\\/]/).pop()).join(', ')}`);
  for (const path of builds) checkVectorMath(path);
});

function checkVectorMath(path: string): void {
  const WA = (globalThis as unknown as {
    WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Record<string, any> } };
  }).WebAssembly;
  const ex = new WA.Instance(new WA.Module(readFileSync(path)), { env: { abort() {} } }).exports;
  const n = 200_003;
  const base = ex.heapBase() + 4096;
  ex.memory.grow(Math.ceil((base + 8 * n + 64) / 65536));
  const X = new Float32Array(ex.memory.buffer, base, n), O = new Float32Array(ex.memory.buffer, base + 4 * n + 32, n);
  const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  for (const [name, f, lo, hi, absFloor] of [
    ['vexp', Math.exp, -87, 88, 0], ['vsigmoid', sig, -40, 40, 1e-30], ['vsigmoid', sig, -100, 100, 1e-30],
    ['vtanh', Math.tanh, -10, 10, 1e-30], ['vtanh', Math.tanh, -30, 30, 1e-30], ['vtanh', Math.tanh, -0.7, 0.7, 0],
  ] as const) {
    for (let i = 0; i < n; i++) X[i] = lo + ((hi - lo) * i) / (n - 1);
    ex[name](O.byteOffset, X.byteOffset, n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const w = f(X[i]);
      if (w === 0) continue;
      worst = Math.max(worst, Math.abs(O[i] - w) / Math.max(Math.abs(w), absFloor));
    }
    assert.ok(worst <= 3e-7, `${path}: ${name} on [${lo}, ${hi}]: relative error ${worst}`);
  }
}
