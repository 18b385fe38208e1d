// The wasm backend beyond the per-kernel parity test (kernels-parity.test.ts): large shapes, memory growth and
// its limit, threads, the vector math, the loader's checks of the module against the kernel specs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, refBackend, gruCacheSizes, type Backend, type FloatArray } from '../src/index.js';
import { createWasmBackend, instantiateThreadedWasmBackend, instantiateWasmBackend, loadWasmBackend, wasmDir, type WasmBackend } from '../src/kernels/wasm/index.js';
import { webAssembly, type KernelExports, type WasmMemory } from '../src/kernels/wasm/backend.js';
import { maxRelError, rand } from './helpers/random.js';
import { assertClose, gruData, runGru, type GruCase } from './helpers/gru.js';

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

/** A fresh single-threaded instance (its memory starts small). */
function fresh(): WasmBackend {
  const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
  return instantiateWasmBackend(new WA.Module(readFileSync(stPath)));
}

function gemmCase(k: Backend, rng: Rng, M: number, N: number, K: number, tA: boolean, tB: boolean, alpha: number, beta: number) {
  const lda = (tA ? M : K) + 3,
    ldb = (tB ? K : N) + 1,
    ldc = N + 2;
  const aOff = 5,
    bOff = 2,
    cOff = 7;
  const A = rand(rng, aOff + lda * (tA ? K : M));
  const B = rand(rng, bOff + ldb * (tB ? N : K));
  const C0 = rand(rng, cOff + ldc * M);
  const want = C0.slice(),
    got = C0.slice();
  refBackend.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, want, cOff, ldc);
  k.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, got, cOff, ldc);
  return { got, want };
}

/** y's rows 2H + 3 wide, this direction's columns at H + 1: the other columns must survive. */
const strided = (c: GruCase): GruCase => ({ ...c, ldy: 2 * c.H + 3, yOff: c.H + 1 });

/**
 * Large shapes are checked against ref run in float64 on the same (float32)
 * inputs: ref in float32 is itself ~1e-5 off there (its bias gradients add
 * T·B = 660 rows one by one into float32), while the wasm kernels sum in
 * blocks and stay within ~4e-6.
 */
function assertGruVsRef(be: Backend, c: GruCase, seed: number, what: string): void {
  const key = JSON.stringify({ ...c, lengths: c.lengths && Array.from(c.lengths), seed });
  let want = refRuns.get(key);
  if (!want) refRuns.set(key, (want = runGru(refBackend, c, gruData(c, seed, 'float64'))));
  assertClose(runGru(be, c, gruData(c, seed)), want, TOL, what);
}
const refRuns = new Map<string, Record<string, FloatArray>>(); // ref in float64 takes seconds on these shapes

const big = (resetAfter: boolean, reverse: boolean, withLengths: boolean): GruCase => {
  const B = 33,
    T = 20;
  const lengths = withLengths ? Int32Array.from({ length: B }, (_, b) => 1 + ((b * 7) % T)) : null;
  const c: GruCase = { T, B, I: 64, H: 256, reverse, resetAfter, lengths, bias: true };
  return reverse ? strided(c) : c;
};

test('wasm: gemm M=200 N=300 K=700, every transpose, alpha and beta', () => {
  const k = wasm!;
  const rng = new Rng(11);
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      for (const [alpha, beta] of [
        [1, 0],
        [-0.5, 1],
        [1, 0.25],
      ]) {
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
    for (const [tA, tB] of [
      [false, false],
      [true, true],
    ]) {
      const { got, want } = gemmCase(k, rng, M, 19, 37, tA, tB, M % 2 ? 1 : 0.5, M % 3 ? 0 : 0.25);
      assert.ok(maxRelError(got, want) <= TOL, `M=${M} tA=${tA} tB=${tB}: ${maxRelError(got, want)}`);
    }
  }
});

test('wasm: gemm with beta = 0 ignores NaN in C and keeps the row gaps', () => {
  const k = wasm!;
  const M = 9,
    N = 13,
    K = 17,
    ldc = 16;
  const rng = new Rng(3);
  const A = rand(rng, M * K),
    B = rand(rng, K * N);
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
  for (const [name, k] of [
    ['gru.wasm', fresh()],
    [`default ×${wasm!.threads?.() ?? 1}`, wasm!],
  ] as const) {
    for (const { c, seed, what } of bigCases) assertGruVsRef(k, c, seed, `${name} ${what}`);
  }
});

test('wasm: GRU without bias, odd sizes (tails of every loop)', () => {
  const k = wasm!;
  for (const [T, B, I, H] of [
    [3, 1, 1, 1],
    [4, 5, 3, 13],
    [2, 7, 9, 33],
    [5, 6, 10, 70],
  ]) {
    for (const resetAfter of [true, false]) {
      const c = strided({ T, B, I, H, reverse: false, resetAfter, lengths: Int32Array.from({ length: B }, (_, b) => 1 + (b % T)), bias: false });
      const d = gruData(c, T * 1000 + H);
      assertClose(runGru(k, c, d), runGru(refBackend, c, d), TOL, `T=${T} B=${B} I=${I} H=${H} resetAfter=${resetAfter}`);
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
  const small: GruCase = { T: 3, B: 2, I: 4, H: 5, reverse: false, resetAfter: false, lengths: null, bias: true };
  const ds = gruData(small, 8);
  assertClose(runGru(k, small, ds), runGru(refBackend, small, ds), TOL, 'small call after a large one');
  assert.equal(k.memoryBytes(), after);
  const rng = new Rng(9);
  const { got, want } = gemmCase(k, rng, 500, 600, 800, true, false, 1, 0.5); // larger than the GRU's arena use
  assert.ok(maxRelError(got, want) <= TOL);
  assert.ok(k.memoryBytes() >= after);
});

test('wasm: a call that needs more memory than allowed runs on ref instead', () => {
  const WA = (
    globalThis as unknown as {
      WebAssembly: {
        Module: new (b: Uint8Array) => object;
        Instance: new (m: object, i: object) => { exports: unknown };
        Memory: new (d: object) => WasmMemory;
      };
    }
  ).WebAssembly;
  const memory = new WA.Memory({ initial: 2, maximum: 24, shared: true }); // 1.5 MiB at most
  const ex = new WA.Instance(new WA.Module(readFileSync(mtPath)), { env: { memory, abort() {} } }).exports as KernelExports;
  const k = createWasmBackend(ex, memory);
  const small: GruCase = { T: 3, B: 2, I: 4, H: 5, reverse: false, resetAfter: true, lengths: null, bias: true };
  const ds = gruData(small, 3);
  assertClose(runGru(k, small, ds), runGru(refBackend, small, ds), TOL, 'fits');
  const c = strided({ T: 20, B: 33, I: 32, H: 128, reverse: true, resetAfter: false, lengths: null, bias: true }); // ~4 MB
  const d = gruData(c, 4);
  const got = runGru(k, c, d),
    want = runGru(refBackend, c, d);
  for (const key of Object.keys(want)) assert.deepEqual(got[key], want[key], key); // ref itself: bit for bit
  assert.ok(k.memoryBytes() <= 24 * 65536);
  const rng = new Rng(1);
  const { got: g2, want: w2 } = gemmCase(k, rng, 300, 300, 300, false, true, 1, 0);
  assert.deepEqual(g2, w2);
  const d5 = gruData(small, 5);
  assertClose(runGru(k, small, d5), runGru(refBackend, small, d5), TOL, 'still usable after');
});

test('wasm: the loader refuses a module built from other sources: another kernel ABI, or a kernel taking other arguments', () => {
  const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: KernelExports } } }).WebAssembly;
  const ex = new WA.Instance(new WA.Module(readFileSync(stPath)), { env: { abort() {} } }).exports;
  const memory = ex.memory as WasmMemory;
  assert.throws(() => createWasmBackend({ ...ex, kernelAbi: () => 1 }, memory), /the module has kernel ABI 1, this gru-ts needs \d+: rebuild with npm run build/);
  const { kernelAbi: _none, ...older } = ex;
  assert.throws(() => createWasmBackend(older as KernelExports, memory), /kernel ABI \(none\)/);
  const shorter = { ...ex, addBias: (out: number, bias: number, N: number) => out + bias + N };
  assert.throws(() => createWasmBackend(shorter, memory), /the module's addBias takes 3 arguments, the spec 4: rebuild with npm run build/);
});

test('wasm: threads (shared memory, worker_threads) match ref and one thread', () => {
  const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
  const k = instantiateThreadedWasmBackend(new WA.Module(readFileSync(mtPath)));
  for (const nt of [2, 3]) {
    k.setThreads!(nt);
    assert.equal(k.threads!(), nt);
    for (const { c, seed, what } of bigCases.slice(0, 4)) assertGruVsRef(k, c, seed, `nt=${nt} ${what}`);
    // H smaller than one panel per thread: idle threads still meet at the barriers.
    const tiny: GruCase = { T: 5, B: 3, I: 4, H: 7, reverse: false, resetAfter: false, lengths: Int32Array.from([5, 1, 3]), bias: true };
    const d = gruData(tiny, 9);
    assertClose(runGru(k, tiny, d), runGru(refBackend, tiny, d), TOL, `nt=${nt} tiny`);
    const rng = new Rng(nt);
    for (const [tA, tB] of [
      [false, false],
      [true, true],
      [false, true],
    ]) {
      for (const [M, N] of [
        [200, 300],
        [300, 40],
      ]) {
        const { got, want } = gemmCase(k, rng, M, N, 700, tA, tB, 1, 0.5);
        const err = maxRelError(got, want);
        assert.ok(err <= TOL, `nt=${nt} gemm ${M}×${N} tA=${tA} tB=${tB}: ${err}`);
      }
    }
  }
  k.setThreads!(1);
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
  const WA = (
    globalThis as unknown as {
      WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Record<string, any> } };
    }
  ).WebAssembly;
  const ex = new WA.Instance(new WA.Module(readFileSync(path)), { env: { abort() {} } }).exports;
  const n = 200_003;
  const base = ex.heapBase() + 4096;
  ex.memory.grow(Math.ceil((base + 8 * n + 64) / 65536));
  const X = new Float32Array(ex.memory.buffer, base, n),
    O = new Float32Array(ex.memory.buffer, base + 4 * n + 32, n);
  const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  for (const [name, f, lo, hi, absFloor] of [
    ['vexp', Math.exp, -87, 88, 0],
    ['vsigmoid', sig, -40, 40, 1e-30],
    ['vsigmoid', sig, -100, 100, 1e-30],
    ['vtanh', Math.tanh, -10, 10, 1e-30],
    ['vtanh', Math.tanh, -30, 30, 1e-30],
    ['vtanh', Math.tanh, -0.7, 0.7, 0],
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
