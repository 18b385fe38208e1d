// The native backend beyond the shared parity test: large shapes (several
// cache blocks, partial tiles, every transpose), 1 and 2 threads, the Cho and
// PyTorch forms with lengths, float64 delegation to the reference backend,
// thread-count settings, and the portable kernel set in a child process.
// Skipped where the addon is not built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng, refBackend, gruCacheSizes, type Backend, type FloatArray } from '../src/index.js';
import { loadNativeBackend } from '../src/kernels/native/index.js';
import { maxRelError } from './helpers/random.js';

const TOL = 1e-5;
const native = loadNativeBackend();
test('native: the addon is built by npm install (g++ is on this machine)', () => {
  assert.ok(native, 'build/Release/gru_native.node is missing: npm install (scripts/build-native.mjs) did not build it');
});
const root = fileURLToPath(new URL('..', import.meta.url));

function rand(rng: Rng, n: number, scale = 1, dtype: 'float32' | 'float64' = 'float32'): FloatArray {
  const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.range(-1, 1);
  return a;
}

interface GruCase {
  T: number; B: number; I: number; H: number;
  reverse: boolean; resetAfter: boolean; lengths: Int32Array | null; bias: boolean;
  ldy: number; yOff: number;
  /** y's time stride (default B·ldy). */
  ldyT?: number;
}

/** Forward (with cache) then backward with every gradient wanted; returns every output. */
function runGru(be: Backend, c: GruCase, seed: number, dtype: 'float32' | 'float64' = 'float32'): Record<string, FloatArray> {
  const rng = new Rng(seed);
  const { T, B, I, H, ldy, yOff, ldyT } = c;
  const G = 3 * H;
  const alloc = (n: number) => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  // PyTorch's initialization scale. (Much larger recurrent weights make the
  // backward recursion grow gradients to tens, where float32 arithmetic and
  // the reference's double sums part by ~2e-5.)
  const sc = 1 / Math.sqrt(H);
  const w = {
    wIh: rand(rng, G * I, sc, dtype), wHh: rand(rng, G * H, sc, dtype),
    bIh: c.bias ? rand(rng, G, sc, dtype) : null, bHh: c.bias ? rand(rng, G, sc, dtype) : null,
  };
  const x = rand(rng, T * B * I, 1, dtype), h0 = rand(rng, B * H, 0.5, dtype);
  const dy = rand(rng, T * B * ldy, 1, dtype), dhN = rand(rng, B * H, 1, dtype);
  const s = gruCacheSizes({ T, B, I, H });
  const cache = { gates: alloc(s.gates), hPrev: alloc(s.hPrev), hn: alloc(s.hn) };
  const y = alloc(T * B * ldy), hN = alloc(B * H);
  const mode = { T, B, I, H, ...w, reverse: c.reverse, resetAfter: c.resetAfter, lengths: c.lengths };
  be.gruForward({ ...mode, y, yOff, ldy, ldyT, hN, x, h0, cache });
  const g = {
    dx: alloc(T * B * I), dh0: alloc(B * H), dWIh: alloc(G * I), dWHh: alloc(G * H),
    dBIh: c.bias ? alloc(G) : null, dBHh: c.bias ? alloc(G) : null,
  };
  be.gruBackward({ ...mode, ...g, dy, dyOff: yOff, ldy, ldyT, dhN, x, h0, cache });
  const out: Record<string, FloatArray> = { y, hN, ...cache };
  for (const [k, v] of Object.entries(g)) if (v) out[k] = v;
  return out;
}

function assertClose(got: Record<string, FloatArray>, want: Record<string, FloatArray>, what: string): void {
  for (const key of Object.keys(want)) {
    const err = maxRelError(got[key], want[key]);
    assert.ok(err <= TOL, `${what}: ${key} off by ${err}`);
  }
}

test('native: gemm on large shapes, every transpose, 1 and 2 threads', () => {
  const k = native!;
  const rng = new Rng(11);
  const M = 200, N = 300, K = 700;
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 5;
      const aOff = 7, bOff = 2, cOff = 3;
      const A = rand(rng, aOff + lda * (tA ? K : M)), B = rand(rng, bOff + ldb * (tB ? N : K));
      const C0 = rand(rng, cOff + ldc * M);
      // (|alpha| ≤ 1: float sums over K = 700 are ~5e-6 from the reference's
      // double sums; alpha = 2 would double that.)
      for (const [alpha, beta] of [[1, 0], [0.5, 1], [-1, 0.25]]) {
        const want = C0.slice();
        refBackend.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, want, cOff, ldc);
        for (const threads of [1, 2]) {
          k.setThreads!(threads);
          const got = C0.slice();
          k.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, got, cOff, ldc);
          const err = maxRelError(got, want);
          assert.ok(err <= TOL, `tA=${tA} tB=${tB} alpha=${alpha} beta=${beta} threads=${threads}: ${err}`);
        }
      }
    }
  }
});

test('native: gemm with beta = 0 ignores NaN in C, and K = 0 scales C by beta', () => {
  const k = native!;
  const A = new Float32Array(12).fill(1), B = new Float32Array(12).fill(2);
  const C = new Float32Array(9).fill(NaN);
  k.gemm(false, false, 3, 3, 4, 1, A, 0, 4, B, 0, 3, 0, C, 0, 3);
  assert.deepEqual(Array.from(C), new Array(9).fill(8));
  k.gemm(false, false, 3, 3, 0, 1, A, 0, 4, B, 0, 3, 0.5, C, 0, 3);
  assert.deepEqual(Array.from(C), new Array(9).fill(4));
});

test('native: GRU T=20 B=33 I=64 H=256, both forms, lengths, reverse, strided y, 1 and 2 threads', () => {
  const k = native!;
  const B = 33;
  const lengths = Int32Array.from({ length: B }, (_, b) => 1 + ((b * 7) % 20));
  const cases: GruCase[] = [
    { T: 20, B, I: 64, H: 256, reverse: false, resetAfter: true, lengths, bias: true, ldy: 512, yOff: 256 },
    { T: 20, B, I: 64, H: 256, reverse: true, resetAfter: false, lengths, bias: true, ldy: 256, yOff: 0 },
    // Sizes that leave partial unit blocks, panels and row tiles everywhere.
    { T: 7, B: 5, I: 13, H: 77, reverse: false, resetAfter: false, lengths: null, bias: false, ldy: 154, yOff: 77 },
    { T: 3, B: 1, I: 9, H: 131, reverse: true, resetAfter: true, lengths: Int32Array.of(2), bias: true, ldy: 131, yOff: 0 },
  ];
  for (const [i, c] of cases.entries()) {
    const want = runGru(refBackend, c, 100 + i);
    for (const threads of [1, 2]) {
      k.setThreads!(threads);
      assertClose(runGru(k, c, 100 + i), want, `case ${i} (H=${c.H} resetAfter=${c.resetAfter}) threads=${threads}`);
    }
  }
});

test('native: one step of a few rows (weights read in place, no packing) matches ref: both forms, lengths, strided y, partial vectors', () => {
  const k = native!;
  k.setThreads!(1);
  let i = 0;
  for (const B of [1, 2, 3, 5, 8, 9]) {
    for (const resetAfter of [true, false]) {
      for (const [I, H] of [[64, 256], [13, 77]]) {
        const lengths = B > 1 ? Int32Array.from({ length: B }, (_, b) => (b === 1 ? 0 : 1)) : null;
        const c: GruCase = { T: 1, B, I, H, reverse: false, resetAfter, lengths, bias: i % 3 !== 2, ldy: 2 * H, yOff: H };
        assertClose(runGru(k, c, 300 + i), runGru(refBackend, c, 300 + i), `B=${B} I=${I} H=${H} resetAfter=${resetAfter}`);
        i++;
      }
    }
  }
});

test('native: caches are interchangeable with the reference backend', () => {
  const k = native!;
  const T = 6, B = 4, I = 10, H = 40, G = 3 * H;
  for (const resetAfter of [true, false]) {
    const rng = new Rng(5);
    const w = { wIh: rand(rng, G * I, 0.4), wHh: rand(rng, G * H, 0.4), bIh: rand(rng, G), bHh: rand(rng, G) };
    const x = rand(rng, T * B * I), h0 = rand(rng, B * H, 0.5), dy = rand(rng, T * B * H);
    const lengths = Int32Array.of(6, 3, 1, 5);
    const mode = { T, B, I, H, ...w, reverse: false, resetAfter, lengths };
    const s = gruCacheSizes({ T, B, I, H });
    const fwd = (be: Backend) => {
      const cache = { gates: new Float32Array(s.gates), hPrev: new Float32Array(s.hPrev), hn: new Float32Array(s.hn) };
      be.gruForward({ ...mode, y: new Float32Array(T * B * H), yOff: 0, ldy: H, hN: new Float32Array(B * H), x, h0, cache });
      return cache;
    };
    const refCache = fwd(refBackend), nativeCache = fwd(k);
    for (const key of ['gates', 'hPrev', 'hn'] as const) {
      assert.ok(maxRelError(nativeCache[key], refCache[key]) <= TOL, `resetAfter=${resetAfter}: cache.${key}`);
    }
    // Backward on the native backend from the reference backend's cache.
    const bwd = (be: Backend, cache: typeof refCache) => {
      const g = { dx: new Float32Array(T * B * I), dh0: new Float32Array(B * H), dWIh: new Float32Array(G * I), dWHh: new Float32Array(G * H), dBIh: new Float32Array(G), dBHh: new Float32Array(G) };
      be.gruBackward({ ...mode, ...g, dy, dyOff: 0, ldy: H, dhN: null, x, h0, cache });
      return g;
    };
    const want = bwd(refBackend, refCache), got = bwd(k, refCache);
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      assert.ok(maxRelError(got[key], want[key]) <= TOL, `resetAfter=${resetAfter}: ${key}`);
    }
  }
});

test('native: float64 inputs go to the reference backend (bit-identical)', () => {
  const k = native!;
  const rng = new Rng(3);
  const M = 9, N = 7, K = 11;
  const A = rand(rng, M * K, 1, 'float64'), B = rand(rng, K * N, 1, 'float64'), C0 = rand(rng, M * N, 1, 'float64');
  const want = C0.slice(), got = C0.slice();
  refBackend.gemm(false, true, M, N, K, 0.5, A, 0, K, B, 0, K, 0.25, want, 0, N);
  k.gemm(false, true, M, N, K, 0.5, A, 0, K, B, 0, K, 0.25, got, 0, N);
  assert.deepEqual(got, want);
  const c: GruCase = { T: 5, B: 3, I: 6, H: 10, reverse: true, resetAfter: false, lengths: Int32Array.of(5, 2, 4), bias: true, ldy: 20, yOff: 10 };
  const r = runGru(refBackend, c, 9, 'float64'), n = runGru(k, c, 9, 'float64');
  for (const key of Object.keys(r)) {
    assert.ok(n[key] instanceof Float64Array, key);
    assert.deepEqual(n[key], r[key], key);
  }
});

test('native: ids outside the embedding table, target classes past C and overlapping y rows are errors, not reads out of bounds', () => {
  const k = native!;
  const table = new Float32Array(4 * 3), out = new Float32Array(2 * 3);
  assert.throws(() => k.embeddingForward(out, table, Int32Array.of(1, 4), 3), /is outside the embedding table/);
  assert.throws(() => k.embeddingBackward(table, out, Int32Array.of(-1, 0), 3), /is outside the embedding table/);
  const probs = new Float32Array(2 * 5);
  assert.throws(() => k.softmaxCrossEntropyForward(probs, probs.slice(), Int32Array.of(0, 5), 2, 5), /is >= the number of classes/);
  const c: GruCase = { T: 3, B: 2, I: 2, H: 4, reverse: false, resetAfter: true, lengths: null, bias: true, ldy: 4, yOff: 0 };
  assert.throws(() => runGru(k, { ...c, ldyT: 2 }, 1), /y columns \[0, 4\) exceed a row stride \(ld 4, ldT 2\)/);
});

test('native: thread count from setThreads and GRU_TS_THREADS, whichever changed last', () => {
  const k = native!;
  const saved = process.env.GRU_TS_THREADS;
  try {
    k.setThreads!(1);
    assert.equal(k.threads!(), 1);
    process.env.GRU_TS_THREADS = '3';
    assert.equal(k.threads!(), 3);
    k.setThreads!(2);
    assert.equal(k.threads!(), 2);
    assert.throws(() => k.setThreads!(0));
  } finally {
    if (saved === undefined) delete process.env.GRU_TS_THREADS;
    else process.env.GRU_TS_THREADS = saved;
  }
});

test('native: the portable kernel set (GRU_TS_NATIVE_ISA=generic) matches too', () => {
  // The kernel set is chosen once per process, so this runs in a child.
  const code = `
    import { Rng, refBackend, gruCacheSizes } from './src/index.ts';
    import { loadNativeBackend } from './src/kernels/native/index.ts';
    const k = loadNativeBackend();
    const rng = new Rng(4);
    const r = (n, s = 1) => Float32Array.from({ length: n }, () => s * rng.range(-1, 1));
    const err = (a, b) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]))); return m; };
    let worst = 0;
    const A = r(37 * 53), B = r(53 * 29), C1 = new Float32Array(37 * 29), C2 = new Float32Array(37 * 29);
    refBackend.gemm(false, false, 37, 29, 53, 1, A, 0, 53, B, 0, 29, 0, C1, 0, 29);
    k.gemm(false, false, 37, 29, 53, 1, A, 0, 53, B, 0, 29, 0, C2, 0, 29);
    worst = Math.max(worst, err(C2, C1));
    for (const [resetAfter, T] of [[true, 6], [false, 6], [true, 1], [false, 1]]) {
      const Bt = 7, I = 9, H = 42, G = 3 * H;
      const w = { wIh: r(G * I, 0.4), wHh: r(G * H, 0.4), bIh: r(G), bHh: r(G) };
      const x = r(T * Bt * I), h0 = r(Bt * H), dy = r(T * Bt * H), lengths = T === 1 ? Int32Array.of(1, 0, 1, 1, 0, 1, 1) : Int32Array.of(6, 1, 3, 6, 2, 5, 4);
      const run = (be) => {
        const s = gruCacheSizes({ T, B: Bt, I, H });
        const cache = { gates: new Float32Array(s.gates), hPrev: new Float32Array(s.hPrev), hn: new Float32Array(s.hn) };
        const y = new Float32Array(T * Bt * H), hN = new Float32Array(Bt * H);
        const mode = { T, B: Bt, I, H, ...w, reverse: false, resetAfter, lengths };
        be.gruForward({ ...mode, y, yOff: 0, ldy: H, hN, x, h0, cache });
        const g = { dx: new Float32Array(T * Bt * I), dh0: new Float32Array(Bt * H), dWIh: new Float32Array(G * I), dWHh: new Float32Array(G * H), dBIh: new Float32Array(G), dBHh: new Float32Array(G) };
        be.gruBackward({ ...mode, ...g, dy, dyOff: 0, ldy: H, dhN: null, x, h0, cache });
        return [y, hN, ...Object.values(g)];
      };
      const want = run(refBackend), got = run(k);
      want.forEach((v, i) => { worst = Math.max(worst, err(got[i], v)); });
    }
    console.log(JSON.stringify({ isa: k.isa, worst }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root, env: { ...process.env, GRU_TS_NATIVE_ISA: 'generic' }, encoding: 'utf8',
  });
  const { isa, worst } = JSON.parse(out.trim().split('\n').pop()!);
  assert.equal(isa, 'generic');
  assert.ok(worst <= TOL, `generic kernels off by ${worst}`);
});
