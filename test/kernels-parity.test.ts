// Parity, kernel by kernel: every fast backend in this process against ref on
// random shapes (≤ 1e-5 relative), and the registry's part, which is the same
// for every backend: a float64 call runs on ref (bit for bit), a call that
// does not fit its spec is a GruError naming the field, and GRU_TS_THREADS
// must be a positive integer. (The attention kernels: attention-kernels.test.ts;
// the GRU's input projection: gru-xproj.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GruError, Rng, backend, backendNames, createBackend, refBackend, setBackend, type Backend, type DType } from '../src/index.js';
import { createNativeBackend, type NativeAddon } from '../src/kernels/native/index.js';
import { instantiateWasmBackend, wasmDir } from '../src/kernels/wasm/index.js';
import { maxRelError, rand } from './helpers/random.js';
import { fastBackends, forEachBackend } from './helpers/backends.js';
import { assertClose, describeCase, gruData, randomGruCase, runGru } from './helpers/gru.js';

const TOL = 1e-5;

test('the backends in this process', () => {
  assert.ok(backendNames().includes('ref'));
  console.log(
    `# backends: ${backendNames().join(', ')}; parity on ${fastBackends()
      .map((b) => b.name)
      .join(', ')}`,
  );
  // test/wasm-relaxed.test.ts runs this file again where the relaxed-simd build loads.
  if (process.env.GRU_TS_EXPECT_RELAXED_SIMD === '1') {
    setBackend('wasm');
    assert.equal((backend() as Backend & { relaxedSimd?: boolean }).relaxedSimd, true, 'expected the relaxed-simd wasm build');
    console.log('# wasm: relaxed-simd build');
  }
});

/** The arguments of one gemm call and a fresh C. */
function gemmCase(rng: Rng, dtype: DType = 'float32') {
  const M = 1 + rng.int(70),
    N = 1 + rng.int(70),
    K = 1 + rng.int(300);
  const tA = rng.uniform() < 0.5,
    tB = rng.uniform() < 0.5;
  const lda = (tA ? M : K) + rng.int(3),
    ldb = (tB ? K : N) + rng.int(3),
    ldc = N + rng.int(3);
  const aOff = rng.int(4),
    bOff = rng.int(4),
    cOff = rng.int(4);
  const A = rand(rng, aOff + lda * (tA ? K : M), 1, dtype),
    B = rand(rng, bOff + ldb * (tB ? N : K), 1, dtype);
  const C0 = rand(rng, cOff + ldc * M, 1, dtype);
  const alpha = [1, 0.5, -2][rng.int(3)],
    beta = [0, 1, 0.25][rng.int(3)];
  const run = (k: Backend) => {
    const C = C0.slice();
    k.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    return C;
  };
  return { run, what: `M=${M} N=${N} K=${K} tA=${tA} tB=${tB} alpha=${alpha} beta=${beta}` };
}

/** The elementwise kernels' arguments on an (N, C) case. */
function elementwiseCase(rng: Rng, dtype: DType = 'float32') {
  const N = 1 + rng.int(40),
    C = 1 + rng.int(70),
    V = 1 + rng.int(9);
  return {
    N,
    C,
    V,
    x: rand(rng, N * C, 6, dtype),
    dy: rand(rng, N * C, 1, dtype),
    y: rand(rng, N * C, 1, dtype),
    start: rand(rng, N * C, 1, dtype),
    bias: rand(rng, C, 1, dtype),
    dBias: rand(rng, C, 1, dtype),
    table: rand(rng, V * C, 1, dtype),
    dTable: rand(rng, V * C, 1, dtype),
    // Some rows ignored (negative targets); ids repeat.
    targets: Int32Array.from({ length: N }, () => (rng.uniform() < 0.2 ? -100 : rng.int(C))),
    ids: Int32Array.from({ length: N }, () => rng.int(V)),
  };
}

/** Every elementwise kernel on a case; every result by name. */
function runElementwise(k: Backend, e: ReturnType<typeof elementwiseCase>) {
  const { N, C } = e;
  const out: Record<string, ArrayLike<number>> = {};
  for (const op of ['tanh', 'sigmoid', 'relu', 'identity'] as const) {
    const f = e.x.slice().fill(0);
    k.unaryForward(op, f, e.x);
    const b = e.start.slice();
    k.unaryBackward(op, b, e.dy, e.y);
    out[`${op} forward`] = f;
    out[`${op} backward`] = b;
  }
  const biased = e.x.slice();
  k.addBias(biased, e.bias, N, C);
  const dBias = e.dBias.slice();
  k.addBiasBackward(dBias, e.dy, N, C);
  const probs = e.x.slice().fill(0);
  const loss = k.softmaxCrossEntropyForward(probs, e.x, e.targets, N, C);
  const dLogits = e.start.slice();
  k.softmaxCrossEntropyBackward(dLogits, probs, e.targets, N, C, 0.37);
  const rows = e.x.slice().fill(0);
  k.embeddingForward(rows, e.table, e.ids, C);
  const dTable = e.dTable.slice();
  k.embeddingBackward(dTable, e.dy, e.ids, C);
  return { ...out, addBias: biased, addBiasBackward: dBias, 'softmax probs': probs, 'softmax loss': [loss], softmaxBackward: dLogits, embeddingForward: rows, embeddingBackward: dTable };
}

/** Adam and AdamW over 20 steps on n entries: w, m and v after them. */
function runAdam(k: Backend, n: number, l2: number, wd: number, seed: number, dtype: DType = 'float32') {
  const rng = new Rng(seed);
  const w = rand(rng, n, 1, dtype),
    m = rand(rng, n, 0, dtype),
    v = rand(rng, n, 0, dtype);
  for (let t = 1; t <= 20; t++) {
    const g = rand(rng, n, 0.1, dtype);
    k.adamUpdate(w, g, m, v, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, c1: 1 - 0.9 ** t, c2: 1 - 0.999 ** t, l2, shrink: 1 - 1e-2 * wd });
  }
  return { w, m, v };
}

forEachBackend((k) => {
  test(`${k.name}: gemm with every transpose, offsets, leading dimensions, alpha and beta`, () => {
    const rng = new Rng(1);
    for (let c = 0; c < 60; c++) {
      const { run, what } = gemmCase(rng);
      const err = maxRelError(run(k), run(refBackend));
      assert.ok(err <= TOL, `${what}: ${err}`);
    }
  });

  test(`${k.name}: GRU forward and backward, both directions, both reset forms, with lengths, y time-major or batch-first`, () => {
    const rng = new Rng(2);
    for (let n = 0; n < 16; n++) {
      const c = randomGruCase(rng);
      const d = gruData(c, 100 + n);
      assertClose(runGru(k, c, d), runGru(refBackend, c, d), TOL, describeCase(c));
    }
  });

  test(`${k.name}: unary, bias, softmax cross-entropy and embedding kernels, forward and backward`, () => {
    const rng = new Rng(4);
    for (let n = 0; n < 12; n++) {
      const e = elementwiseCase(rng);
      const got = runElementwise(k, e),
        want = runElementwise(refBackend, e);
      for (const key of Object.keys(want) as (keyof typeof want)[]) {
        const err = maxRelError(got[key], want[key]);
        assert.ok(err <= TOL, `${key} N=${e.N} C=${e.C}: ${err}`);
      }
      assert.deepEqual(got.embeddingForward, want.embeddingForward, 'embedding rows are copies');
    }
  });

  test(`${k.name}: Adam and AdamW updates over 20 steps, odd lengths`, () => {
    for (const n of [1, 3, 8, 37, 1000, 4099]) {
      for (const [l2, wd] of [
        [0, 0],
        [0.01, 0],
        [0, 0.05],
      ]) {
        const got = runAdam(k, n, l2, wd, n),
          want = runAdam(refBackend, n, l2, wd, n);
        for (const key of ['w', 'm', 'v'] as const) {
          const err = maxRelError(got[key], want[key]);
          assert.ok(err <= TOL, `n=${n} l2=${l2} wd=${wd} ${key}: ${err}`);
        }
      }
    }
  });

  test(`${k.name}: every kernel called with float64 arrays runs on ref, bit for bit`, () => {
    const rng = new Rng(8);
    const g = gemmCase(rng, 'float64');
    assert.deepEqual(g.run(k), g.run(refBackend), `gemm ${g.what}`);
    const c = { ...randomGruCase(rng), lengths: Int32Array.of(3, 1, 2), T: 3, B: 3 };
    const d = gruData(c, 9, 'float64');
    const got = runGru(k, c, d),
      want = runGru(refBackend, c, d);
    for (const key of Object.keys(want)) {
      assert.ok(got[key] instanceof Float64Array, key);
      assert.deepEqual(got[key], want[key], `GRU ${key}`);
    }
    const e = elementwiseCase(rng, 'float64');
    assert.deepEqual(runElementwise(k, e), runElementwise(refBackend, e));
    assert.deepEqual(runAdam(k, 37, 0.01, 0, 5, 'float64'), runAdam(refBackend, 37, 0.01, 0, 5, 'float64'));
  });

  test(`${k.name}: calls that do not fit their kernel's spec are GruErrors naming the field, before any kernel runs`, () => {
    const isArg = (re: RegExp) => (e: unknown) => e instanceof GruError && e.code === 'INVALID_ARGUMENT' && re.test(e.message);
    const A = new Float32Array(12),
      B = new Float32Array(12),
      C = new Float32Array(9).fill(5);
    assert.throws(() => k.gemm(false, false, 3, 3, 4, 1, A, 1, 4, B, 0, 3, 0, C, 0, 3), isArg(/^gemm: A needs 13 elements \(from offset 1\), has 12$/));
    assert.throws(() => k.gemm(false, false, 3, 3, 4, 1, A, 0, 3, B, 0, 3, 0, C, 0, 3), isArg(/^gemm: lda 3 is smaller than a row of A \(4\)$/));
    assert.throws(() => k.gemm(false, false, 3, 3, 4, 1, A, 0, 4, B, 0, 3, 0, [] as never, 0, 3), isArg(/^gemm: C: expected a Float32Array or Float64Array, got object$/));
    assert.ok(
      C.every((v) => v === 5),
      'nothing was written',
    );
    assert.throws(() => k.addBias(new Float32Array(6), new Float32Array(2), 2, 3), isArg(/^addBias: bias needs 3 elements, has 2$/));
    assert.throws(() => k.unaryForward('gelu' as never, new Float32Array(2), new Float32Array(2)), isArg(/^unaryForward: op: expected one of tanh, sigmoid, relu, identity, got gelu$/));
    assert.throws(() => k.unaryForward('tanh', new Float32Array(1), new Float32Array(2)), isArg(/^unaryForward: out needs 2 elements, has 1$/));
    assert.throws(() => k.embeddingForward(new Float32Array(6), new Float32Array(12), Int32Array.of(1, 4), 3), isArg(/^embeddingForward: ids\[1\] = 4 is outside the embedding table \(4 rows of 3\)$/));
    assert.throws(() => k.softmaxCrossEntropyForward(new Float32Array(10), new Float32Array(10), Int32Array.of(0, 5), 2, 5), isArg(/^softmaxCrossEntropyForward: target class 5 of row 1 is >= the number of classes 5$/));
    const c = { T: 3, B: 2, I: 2, H: 4, reverse: false, resetAfter: true, lengths: null, bias: true };
    const d = gruData(c, 1);
    const h = { T: 3, B: 2, I: 2, H: 4, wHh: d.wHh, bHh: d.bHh, reverse: false, resetAfter: true, lengths: null, h0: d.h0, x: d.x, wIh: d.wIh, bIh: d.bIh, hN: new Float32Array(8), cache: null };
    assert.throws(() => k.gruForward({ ...h, y: new Float32Array(24), yOff: 0, ldy: 4, ldyT: 2 }), isArg(/^gruForward: y columns \[0, 4\) exceed a row stride \(ld 4, ldT 2\)$/));
    assert.throws(() => k.gruForward({ ...h, y: new Float32Array(23), yOff: 0, ldy: 4 }), isArg(/^gruForward: y needs 24 elements \(from offset 0\), has 23$/));
    assert.throws(() => k.gruForward({ ...h, h0: new Float32Array(7), y: new Float32Array(24), yOff: 0, ldy: 4 }), isArg(/^gruForward: h0 needs 8 elements, has 7$/));
    assert.throws(() => k.gruForward({ ...h, lengths: new Float32Array(2) as never, y: new Float32Array(24), yOff: 0, ldy: 4 }), isArg(/^gruForward: lengths: expected an Int32Array, got a Float32Array of 2 elements$/));
    assert.throws(() => k.gruForward({ ...h, T: 1.5, y: new Float32Array(24), yOff: 0, ldy: 4 }), isArg(/^gruForward: T: expected a non-negative integer, got 1.5$/));
  });

  if (k.setThreads) {
    test(`${k.name}: GRU_TS_THREADS must be a positive integer; setThreads and the variable, whichever changed last`, () => {
      const saved = process.env.GRU_TS_THREADS;
      try {
        k.setThreads!(1);
        assert.equal(k.threads!(), 1);
        process.env.GRU_TS_THREADS = '2';
        assert.equal(k.threads!(), 2);
        k.setThreads!(1);
        assert.equal(k.threads!(), 1);
        for (const bad of ['0', 'abc', '-2', '1.5']) {
          process.env.GRU_TS_THREADS = bad;
          assert.throws(
            () => k.threads!(),
            (e: unknown) => e instanceof GruError && e.code === 'INVALID_ARGUMENT' && e.message === `GRU_TS_THREADS: expected a positive integer (threads per kernel call), got '${bad}'`,
          );
        }
        // A threaded kernel's call reads it too.
        const c = { T: 2, B: 1, I: 1, H: 1, reverse: false, resetAfter: true, lengths: null, bias: false };
        assert.throws(() => runGru(k, c, gruData(c, 1)), /GRU_TS_THREADS/);
        process.env.GRU_TS_THREADS = '';
        k.setThreads!(1);
        assert.equal(k.threads!(), 1);
        assert.throws(
          () => k.setThreads!(0),
          (e: unknown) => e instanceof GruError && /setThreads: expected a positive integer, got 0/.test(e.message),
        );
      } finally {
        if (saved === undefined) delete process.env.GRU_TS_THREADS;
        else process.env.GRU_TS_THREADS = saved;
      }
    });
  }
});

/** Every backend made where `new Function` throws, as under a content security policy without 'unsafe-eval'. */
function backendsWithoutCodeGeneration(): Backend[] {
  const g = globalThis as unknown as { Function: FunctionConstructor };
  const saved = g.Function;
  g.Function = function refused() {
    throw new EvalError('Code generation from strings disallowed for this context');
  } as unknown as FunctionConstructor;
  try {
    const out = [createBackend('ref', {})];
    if (backendNames().includes('native')) {
      const addon = createRequire(import.meta.url)(fileURLToPath(new URL('../build/Release/gru_native.node', import.meta.url))) as NativeAddon;
      out.push(createNativeBackend(addon));
    }
    if (backendNames().includes('wasm')) {
      const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
      out.push(instantiateWasmBackend(new WA.Module(readFileSync(join(wasmDir(), 'gru.wasm')))));
    }
    return out;
  } finally {
    g.Function = saved;
  }
}

test('where code cannot be generated (a content security policy), the interpreted checker and plain calls do the same', () => {
  for (const k of backendsWithoutCodeGeneration()) {
    const rng = new Rng(12);
    for (let n = 0; n < 8; n++) {
      const g = gemmCase(rng);
      assert.ok(maxRelError(g.run(k), g.run(refBackend)) <= TOL, `${k.name} gemm ${g.what}`);
      const c = randomGruCase(rng);
      const d = gruData(c, n);
      assertClose(runGru(k, c, d), runGru(refBackend, c, d), TOL, `${k.name} ${describeCase(c)}`);
      const e = elementwiseCase(rng);
      const got = runElementwise(k, e),
        want = runElementwise(refBackend, e);
      for (const key of Object.keys(want) as (keyof typeof want)[]) assert.ok(maxRelError(got[key], want[key]) <= TOL, `${k.name} ${key}`);
      const a = runAdam(k, 37, 0.01, 0.05, n),
        b = runAdam(refBackend, 37, 0.01, 0.05, n);
      assert.ok(maxRelError(a.w, b.w) <= TOL, `${k.name} adam`);
    }
    const A = new Float32Array(12),
      C = new Float32Array(9);
    assert.throws(() => k.gemm(false, false, 3, 3, 4, 1, A, 1, 4, A, 0, 3, 0, C, 0, 3), /^GruError: gemm: A needs 13 elements \(from offset 1\), has 12$/);
    assert.throws(() => k.unaryForward('gelu' as never, C, C), /^GruError: unaryForward: op: expected one of tanh, sigmoid, relu, identity, got gelu$/);
    const cc = { T: 3, B: 2, I: 2, H: 4, reverse: false, resetAfter: true, lengths: null, bias: true };
    const dd = gruData(cc, 1);
    const h = { T: 3, B: 2, I: 2, H: 4, wHh: dd.wHh, bHh: dd.bHh, reverse: false, resetAfter: true, lengths: null, h0: dd.h0, x: dd.x, wIh: dd.wIh, bIh: dd.bIh, hN: new Float32Array(8), cache: null };
    assert.throws(() => k.gruForward({ ...h, y: new Float32Array(24), yOff: 0, ldy: 4, ldyT: 2 }), /^GruError: gruForward: y columns \[0, 4\) exceed a row stride \(ld 4, ldT 2\)$/);
    assert.throws(() => k.gruForward({ ...h, T: 1.5, y: new Float32Array(24), yOff: 0, ldy: 4 }), /^GruError: gruForward: T: expected a non-negative integer, got 1.5$/);
  }
});
