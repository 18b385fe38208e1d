// Every backend present against the reference backend on random shapes (≤ 1e-5 relative).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, backendNames, refBackend, setBackend, backend, gruCacheSizes, type Backend, type FloatArray } from '../src/index.js';
import { maxRelError } from './helpers/random.js';

const TOL = 1e-5;
const others = (): Backend[] => backendNames().filter((n) => n !== 'ref').map((n) => { setBackend(n); return backend(); });

function rand(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.range(-1, 1);
  return a;
}

test('the backends in this process', () => {
  assert.ok(backendNames().includes('ref'));
  console.log(`# backends: ${backendNames().join(', ')}`);
  // test/wasm-relaxed.test.ts runs this file again where the relaxed-simd build loads.
  if (process.env.GRU_TS_EXPECT_RELAXED_SIMD === '1') {
    setBackend('wasm');
    assert.equal((backend() as Backend & { relaxedSimd?: boolean }).relaxedSimd, true, 'expected the relaxed-simd wasm build');
    console.log('# wasm: relaxed-simd build');
  }
});

for (const k of others()) {
  test(`${k.name}: gemm with every transpose, offsets, leading dimensions, alpha and beta`, () => {
    const rng = new Rng(1);
    for (let c = 0; c < 60; c++) {
      const M = 1 + rng.int(70), N = 1 + rng.int(70), K = 1 + rng.int(300);
      const tA = rng.uniform() < 0.5, tB = rng.uniform() < 0.5;
      const lda = (tA ? M : K) + rng.int(3), ldb = (tB ? K : N) + rng.int(3), ldc = N + rng.int(3);
      const aOff = rng.int(4), bOff = rng.int(4), cOff = rng.int(4);
      const A = rand(rng, aOff + lda * (tA ? K : M));
      const B = rand(rng, bOff + ldb * (tB ? N : K));
      const C0 = rand(rng, cOff + ldc * M);
      const alpha = [1, 0.5, -2][rng.int(3)], beta = [0, 1, 0.25][rng.int(3)];
      const want = C0.slice(), got = C0.slice();
      refBackend.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, want, cOff, ldc);
      k.gemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, got, cOff, ldc);
      const err = maxRelError(got, want);
      assert.ok(err <= TOL, `M=${M} N=${N} K=${K} tA=${tA} tB=${tB}: ${err}`);
    }
  });

  test(`${k.name}: GRU forward and backward, both directions, both reset forms, with lengths, y time-major or batch-first`, () => {
    const rng = new Rng(2);
    for (let c = 0; c < 16; c++) {
      const T = 1 + rng.int(9), B = 1 + rng.int(9), I = 1 + rng.int(40), H = 1 + rng.int(70);
      const reverse = rng.uniform() < 0.5, resetAfter = rng.uniform() < 0.5, bias = rng.uniform() < 0.8;
      const lengths = rng.uniform() < 0.5 ? Int32Array.from({ length: B }, () => 1 + rng.int(T)) : null;
      const w = { wIh: rand(rng, 3 * H * I, 0.5), wHh: rand(rng, 3 * H * H, 0.5), bIh: bias ? rand(rng, 3 * H) : null, bHh: bias ? rand(rng, 3 * H) : null };
      const x = rand(rng, T * B * I), h0 = rand(rng, B * H, 0.5);
      // y's rows: C wide (this direction's H columns at yOff), time-major or batch-first.
      const C = H + 2 * rng.int(2) * H, yOff = C > H ? H : 0;
      const batchFirst = rng.uniform() < 0.5;
      const [ldy, ldyT] = batchFirst ? [T * C, C] : [C, undefined];
      const dy = rand(rng, T * B * C), dhN = rand(rng, B * H);
      const run = (be: Backend) => {
        const s = gruCacheSizes({ T, B, I, H });
        const cache = { gates: new Float32Array(s.gates), hPrev: new Float32Array(s.hPrev), hn: new Float32Array(s.hn) };
        const y = new Float32Array(T * B * C), hN = new Float32Array(B * H);
        const mode = { T, B, I, H, ...w, reverse, resetAfter, lengths };
        be.gruForward({ ...mode, y, yOff, ldy, ldyT, hN, x, h0, cache });
        const g = { dx: new Float32Array(T * B * I), dh0: new Float32Array(B * H), dWIh: new Float32Array(3 * H * I), dWHh: new Float32Array(3 * H * H), dBIh: bias ? new Float32Array(3 * H) : null, dBHh: bias ? new Float32Array(3 * H) : null };
        be.gruBackward({ ...mode, ...g, dy, dyOff: yOff, ldy, ldyT, dhN, x, h0, cache });
        return { y, hN, ...g };
      };
      const want = run(refBackend), got = run(k);
      for (const key of Object.keys(want) as (keyof typeof want)[]) {
        if (want[key] === null) continue;
        const err = maxRelError(got[key] as FloatArray, want[key] as FloatArray);
        assert.ok(err <= TOL, `T=${T} B=${B} I=${I} H=${H} reverse=${reverse} resetAfter=${resetAfter} lengths=${!!lengths} batchFirst=${batchFirst}: ${key} off by ${err}`);
      }
    }
  });
}

for (const k of others()) {
  test(`${k.name}: pointwise ops, bias, softmax cross-entropy and embedding, forward and backward`, () => {
    const rng = new Rng(4);
    for (let c = 0; c < 12; c++) {
      const N = 1 + rng.int(40), C = 1 + rng.int(70);
      const x = rand(rng, N * C, 6), dy = rand(rng, N * C);
      for (const op of ['tanh', 'sigmoid', 'relu', 'identity'] as const) {
        const want = new Float32Array(N * C), got = new Float32Array(N * C);
        refBackend.unaryForward(op, want, x);
        k.unaryForward(op, got, x);
        assert.ok(maxRelError(got, want) <= TOL, `${op} forward N=${N} C=${C}: ${maxRelError(got, want)}`);
        const dWant = rand(new Rng(c), N * C), dGot = dWant.slice();
        refBackend.unaryBackward(op, dWant, dy, want);
        k.unaryBackward(op, dGot, dy, want);
        assert.ok(maxRelError(dGot, dWant) <= TOL, `${op} backward N=${N} C=${C}`);
      }
      const bias = rand(rng, C), bWant = x.slice(), bGot = x.slice();
      refBackend.addBias(bWant, bias, N, C);
      k.addBias(bGot, bias, N, C);
      assert.ok(maxRelError(bGot, bWant) <= TOL, `addBias N=${N} C=${C}`);
      const dbWant = rand(rng, C), dbGot = dbWant.slice();
      refBackend.addBiasBackward(dbWant, dy, N, C);
      k.addBiasBackward(dbGot, dy, N, C);
      assert.ok(maxRelError(dbGot, dbWant) <= TOL, `addBiasBackward N=${N} C=${C}`);
      // Some rows ignored (negative targets).
      const targets = Int32Array.from({ length: N }, () => (rng.uniform() < 0.2 ? -100 : rng.int(C)));
      const pWant = new Float32Array(N * C), pGot = new Float32Array(N * C);
      const lWant = refBackend.softmaxCrossEntropyForward(pWant, x, targets, N, C);
      const lGot = k.softmaxCrossEntropyForward(pGot, x, targets, N, C);
      assert.ok(maxRelError(pGot, pWant) <= TOL, `softmax probs N=${N} C=${C}`);
      assert.ok(Math.abs(lGot - lWant) <= TOL * Math.max(1, Math.abs(lWant)), `softmax loss ${lGot} vs ${lWant}`);
      const gWant = rand(rng, N * C), gGot = gWant.slice();
      refBackend.softmaxCrossEntropyBackward(gWant, pWant, targets, N, C, 0.37);
      k.softmaxCrossEntropyBackward(gGot, pWant, targets, N, C, 0.37);
      assert.ok(maxRelError(gGot, gWant) <= TOL, `softmax backward N=${N} C=${C}`);
      // Embedding: rows of a (V, C) table, ids repeating.
      const V = 1 + rng.int(9), table = rand(rng, V * C);
      const ids = Int32Array.from({ length: N }, () => rng.int(V));
      const eWant = new Float32Array(N * C), eGot = new Float32Array(N * C);
      refBackend.embeddingForward(eWant, table, ids, C);
      k.embeddingForward(eGot, table, ids, C);
      assert.deepEqual(eGot, eWant, `embedding forward N=${N} C=${C}`);
      const dtWant = rand(rng, V * C), dtGot = dtWant.slice();
      refBackend.embeddingBackward(dtWant, dy, ids, C);
      k.embeddingBackward(dtGot, dy, ids, C);
      assert.ok(maxRelError(dtGot, dtWant) <= TOL, `embedding backward N=${N} C=${C}`);
    }
  });
}

for (const k of others()) {
  test(`${k.name}: Adam and AdamW updates over 20 steps, odd lengths`, () => {
    const rng = new Rng(7);
    for (const n of [1, 3, 8, 37, 1000, 4099]) {
      for (const [l2, wd] of [[0, 0], [0.01, 0], [0, 0.05]]) {
        const w0 = rand(rng, n), want = { w: w0.slice(), m: new Float32Array(n), v: new Float32Array(n) };
        const got = { w: w0.slice(), m: new Float32Array(n), v: new Float32Array(n) };
        for (let t = 1; t <= 20; t++) {
          const g = rand(rng, n, 0.1);
          const s = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, c1: 1 - 0.9 ** t, c2: 1 - 0.999 ** t, l2, shrink: 1 - 1e-2 * wd };
          refBackend.adamUpdate(want.w, g, want.m, want.v, s);
          k.adamUpdate(got.w, g, got.m, got.v, s);
        }
        for (const key of ['w', 'm', 'v'] as const) {
          const err = maxRelError(got[key], want[key]);
          assert.ok(err <= TOL, `n=${n} l2=${l2} wd=${wd} ${key}: ${err}`);
        }
      }
    }
  });
}
