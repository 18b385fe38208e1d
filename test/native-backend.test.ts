// The native backend beyond the per-kernel parity test (kernels-parity.test.ts):
// large shapes (several cache blocks, partial tiles, every transpose), 1 and
// 2 threads, the one-step path, caches shared with ref, the portable kernel
// set in a child process, and the loader's checks of the addon against the
// kernel specs. Where the addon is deliberately not built (GRU_TS_SKIP_NATIVE=1:
// a user without a C++ compiler) it checks that the registry falls back to wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Rng, backendNames, refBackend } from '../src/index.js';
import { createNativeBackend, loadNativeBackend, type NativeAddon } from '../src/kernels/native/index.js';
import { maxRelError, rand } from './helpers/random.js';
import { assertClose, gruBackwardRun, gruData, gruForwardRun, runGru, type GruCase } from './helpers/gru.js';

const TOL = 1e-5;
const withoutCompiler = process.env.GRU_TS_SKIP_NATIVE === '1';
const native = withoutCompiler ? null : loadNativeBackend();
const root = fileURLToPath(new URL('..', import.meta.url));

test('native: the addon is built by npm install (g++ is on this machine)', { skip: withoutCompiler && 'GRU_TS_SKIP_NATIVE=1' }, () => {
  assert.ok(native, 'build/Release/gru_native.node is missing: npm install (scripts/build-native.mjs) did not build it');
});

test('without the addon (GRU_TS_SKIP_NATIVE=1: no C++ compiler) the default backend is wasm', () => {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `
    import { backend, backendNames } from './src/index.ts';
    console.log(JSON.stringify({ names: backendNames(), current: backend().name }));
  `,
    ],
    { cwd: root, env: { ...process.env, GRU_TS_SKIP_NATIVE: '1', GRU_TS_BACKEND: '' }, encoding: 'utf8' },
  );
  const { names, current } = JSON.parse(out.trim().split('\n').pop()!);
  assert.deepEqual(names, ['wasm', 'ref']);
  assert.equal(current, 'wasm');
});

const skip = !native && 'no addon';

test('native: gemm on large shapes, every transpose, 1 and 2 threads', { skip }, () => {
  const k = native!;
  const rng = new Rng(11);
  const M = 200,
    N = 300,
    K = 700;
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const lda = (tA ? M : K) + 3,
        ldb = (tB ? K : N) + 1,
        ldc = N + 5;
      const aOff = 7,
        bOff = 2,
        cOff = 3;
      const A = rand(rng, aOff + lda * (tA ? K : M)),
        B = rand(rng, bOff + ldb * (tB ? N : K));
      const C0 = rand(rng, cOff + ldc * M);
      // (|alpha| ≤ 1: float sums over K = 700 are ~5e-6 from the reference's
      // double sums; alpha = 2 would double that.)
      for (const [alpha, beta] of [
        [1, 0],
        [0.5, 1],
        [-1, 0.25],
      ]) {
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

test('native: gemm with beta = 0 ignores NaN in C, and K = 0 scales C by beta', { skip }, () => {
  const k = native!;
  const A = new Float32Array(12).fill(1),
    B = new Float32Array(12).fill(2);
  const C = new Float32Array(9).fill(NaN);
  k.gemm(false, false, 3, 3, 4, 1, A, 0, 4, B, 0, 3, 0, C, 0, 3);
  assert.deepEqual(Array.from(C), new Array(9).fill(8));
  k.gemm(false, false, 3, 3, 0, 1, A, 0, 4, B, 0, 3, 0.5, C, 0, 3);
  assert.deepEqual(Array.from(C), new Array(9).fill(4));
});

test('native: GRU T=20 B=33 I=64 H=256, both forms, lengths, reverse, strided y, 1 and 2 threads', { skip }, () => {
  const k = native!;
  const B = 33;
  const lengths = Int32Array.from({ length: B }, (_, b) => 1 + ((b * 7) % 20));
  const cases: GruCase[] = [
    { T: 20, B, I: 64, H: 256, reverse: false, resetAfter: true, lengths, bias: true, ldy: 512, yOff: 256 },
    { T: 20, B, I: 64, H: 256, reverse: true, resetAfter: false, lengths, bias: true },
    // Sizes that leave partial unit blocks, panels and row tiles everywhere.
    { T: 7, B: 5, I: 13, H: 77, reverse: false, resetAfter: false, lengths: null, bias: false, ldy: 154, yOff: 77 },
    { T: 3, B: 1, I: 9, H: 131, reverse: true, resetAfter: true, lengths: Int32Array.of(2), bias: true },
  ];
  for (const [i, c] of cases.entries()) {
    const d = gruData(c, 100 + i);
    const want = runGru(refBackend, c, d);
    for (const threads of [1, 2]) {
      k.setThreads!(threads);
      assertClose(runGru(k, c, d), want, TOL, `case ${i} (H=${c.H} resetAfter=${c.resetAfter}) threads=${threads}`);
    }
  }
});

test('native: one step of a few rows (weights read in place, no packing) matches ref: both forms, lengths, strided y, partial vectors', { skip }, () => {
  const k = native!;
  k.setThreads!(1);
  let i = 0;
  for (const B of [1, 2, 3, 5, 8, 9]) {
    for (const resetAfter of [true, false]) {
      for (const [I, H] of [
        [64, 256],
        [13, 77],
      ]) {
        const lengths = B > 1 ? Int32Array.from({ length: B }, (_, b) => (b === 1 ? 0 : 1)) : null;
        const c: GruCase = { T: 1, B, I, H, reverse: false, resetAfter, lengths, bias: i % 3 !== 2, ldy: 2 * H, yOff: H };
        const d = gruData(c, 300 + i);
        assertClose(runGru(k, c, d), runGru(refBackend, c, d), TOL, `B=${B} I=${I} H=${H} resetAfter=${resetAfter}`);
        i++;
      }
    }
  }
});

test('native: caches are interchangeable with the reference backend', { skip }, () => {
  const k = native!;
  for (const resetAfter of [true, false]) {
    const c: GruCase = { T: 6, B: 4, I: 10, H: 40, reverse: false, resetAfter, lengths: Int32Array.of(6, 3, 1, 5), bias: true };
    const d = gruData(c, 5);
    const refCache = gruForwardRun(refBackend, c, d).cache,
      nativeCache = gruForwardRun(k, c, d).cache;
    assertClose({ ...nativeCache }, { ...refCache }, TOL, `resetAfter=${resetAfter}: cache`);
    // Backward on the native backend from the reference backend's cache.
    assertClose(gruBackwardRun(k, c, d, refCache), gruBackwardRun(refBackend, c, d, refCache), TOL, `resetAfter=${resetAfter}`);
  }
});

test("native: the loader refuses an addon built from other sources: another kernel ABI, or a kernel whose fields are not the spec's", { skip }, () => {
  const addon = requireAddon();
  const info = addon.info();
  assert.equal(createNativeBackend(addon).name, 'native');
  const stale = { ...addon, info: () => ({ ...info, abi: (info.abi ?? 0) - 1 }) } as NativeAddon;
  assert.throws(() => createNativeBackend(stale), /has kernel ABI \d+, this gru-ts needs \d+: rebuild with npm run build/);
  const renamed = { ...addon, info: () => ({ ...info, kernels: { ...info.kernels, gruForward: info.kernels!.gruForward.map((f) => (f.name === 'ldyT' ? { ...f, name: 'ldy2' } : f)) } }) } as NativeAddon;
  assert.throws(() => createNativeBackend(renamed), /native addon: gruForward has no field 'ldyT': it was built from other sources; rebuild with npm run build/);
  const nullable = { ...addon, info: () => ({ ...info, kernels: { ...info.kernels, gemm: info.kernels!.gemm.map((f) => (f.name === 'C' ? { ...f, nullable: true } : f)) } }) } as NativeAddon;
  assert.throws(() => createNativeBackend(nullable), /native addon: gemm field 'C' is f32 \(written, nullable\)/);
  // A kernel the addon does not have runs on ref.
  const { gemm: _gone, ...rest } = addon as Record<string, unknown>;
  const k = createNativeBackend({ ...rest, info: () => info } as NativeAddon);
  const C = new Float32Array(4),
    want = new Float32Array(4);
  const A = Float32Array.of(1, 2, 3, 4);
  k.gemm(false, false, 2, 2, 2, 1, A, 0, 2, A, 0, 2, 0, C, 0, 2);
  refBackend.gemm(false, false, 2, 2, 2, 1, A, 0, 2, A, 0, 2, 0, want, 0, 2);
  assert.deepEqual(C, want);
});

/** The addon's exports, loaded as the loader does. */
function requireAddon(): NativeAddon {
  return createRequire(import.meta.url)(fileURLToPath(new URL('../build/Release/gru_native.node', import.meta.url))) as NativeAddon;
}

test('native: the portable kernel set (GRU_TS_NATIVE_ISA=generic) matches too', { skip }, () => {
  // The kernel set is chosen once per process, so this runs in a child.
  const code = `
    import { refBackend } from './src/index.ts';
    import { loadNativeBackend } from './src/kernels/native/index.ts';
    import { Rng } from './src/index.ts';
    import { rand, maxRelError } from './test/helpers/random.ts';
    import { gruData, runGru } from './test/helpers/gru.ts';
    const k = loadNativeBackend();
    const rng = new Rng(4);
    let worst = 0;
    const A = rand(rng, 37 * 53), B = rand(rng, 53 * 29), C1 = new Float32Array(37 * 29), C2 = new Float32Array(37 * 29);
    refBackend.gemm(false, false, 37, 29, 53, 1, A, 0, 53, B, 0, 29, 0, C1, 0, 29);
    k.gemm(false, false, 37, 29, 53, 1, A, 0, 53, B, 0, 29, 0, C2, 0, 29);
    worst = Math.max(worst, maxRelError(C2, C1));
    for (const [resetAfter, T] of [[true, 6], [false, 6], [true, 1], [false, 1]]) {
      const lengths = T === 1 ? Int32Array.of(1, 0, 1, 1, 0, 1, 1) : Int32Array.of(6, 1, 3, 6, 2, 5, 4);
      const c = { T, B: 7, I: 9, H: 42, reverse: false, resetAfter, lengths, bias: true };
      const d = gruData(c, T);
      const want = runGru(refBackend, c, d), got = runGru(k, c, d);
      for (const key of Object.keys(want)) worst = Math.max(worst, maxRelError(got[key], want[key]));
    }
    console.log(JSON.stringify({ isa: k.isa, worst }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, GRU_TS_NATIVE_ISA: 'generic' },
    encoding: 'utf8',
  });
  const { isa, worst } = JSON.parse(out.trim().split('\n').pop()!);
  assert.equal(isa, 'generic');
  assert.ok(worst <= TOL, `generic kernels off by ${worst}`);
});

test('native: in the registry as the default where it loads', { skip }, () => {
  assert.equal(backendNames()[0], 'native');
});
