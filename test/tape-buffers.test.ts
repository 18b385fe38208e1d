// The tape's buffer pool (src/autograd/pool.ts): the GRU's saved activations
// are reused across graphs only when nothing can read them any more, so every
// gradient equals the one computed with fresh buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, GRU, Rng, Tensor, TapeBufferPool, Var, add, backendNames, backward, constant, mul, noGrad, setBackend, sum, tapeBuffers } from '../src/index.js';
import { randomTensor } from './helpers/random.js';

const T = 7,
  B = 3,
  I = 4,
  H = 5;

function model(o: { bidirectional?: boolean; resetAfter?: boolean; numLayers?: number } = {}): GRU {
  return new GRU({ inputSize: I, hiddenSize: H, seed: 11, ...o });
}

function input(seed: number): Tensor {
  return randomTensor(new Rng(seed), [T, B, I], 1);
}

/** A scalar of the GRU's output and final state, weighted by fixed random tensors. */
function lossOf(gru: GRU, x: Tensor, o: { lengths?: number[]; on?: 'output' | 'hN' | 'both' } = {}): Var {
  const { output, hN } = gru.forward(x, { lengths: o.lengths });
  const rng = new Rng(99);
  const wy = constant(randomTensor(rng, output.shape as number[], 1));
  const wh = constant(randomTensor(rng, hN.shape as number[], 1));
  const on = o.on ?? 'both';
  if (on === 'output') return sum(mul(output, wy));
  if (on === 'hN') return sum(mul(hN, wh));
  return add(sum(mul(output, wy)), sum(mul(hN, wh)));
}

function grads(gru: GRU): Float32Array[] {
  return gru.parameters().map((p) => Float32Array.from(p.grad!.data));
}

/** The parameters' gradients of one loss, alone: a fresh model (same seed), one forward, one backward. */
function alone(o: Parameters<typeof model>[0], x: Tensor, lo: Parameters<typeof lossOf>[2] = {}): Float32Array[] {
  const gru = model(o);
  backward(lossOf(gru, x, lo));
  return grads(gru);
}

function assertSame(got: Float32Array[], want: Float32Array[], what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.deepEqual(g, want[i], `${what}: parameter ${i}`));
}

/** Runs fn with the shared pool emptied and set so (graphs of earlier tests, not yet collected, may still count as out). */
function withPool<R>(o: { maxLive?: number; maxBytes?: number }, fn: () => R): R {
  const keep = { maxLive: tapeBuffers.maxLive, maxBytes: tapeBuffers.maxBytes };
  tapeBuffers.clear();
  Object.assign(tapeBuffers, o);
  try {
    return fn();
  } finally {
    Object.assign(tapeBuffers, keep);
  }
}

for (const name of backendNames()) {
  test(`${name}: two live graphs, backward on both in either order, give each graph's own gradients`, () =>
    withPool({ maxLive: 1000 }, () => {
      setBackend(name);
      for (const o of [{}, { bidirectional: true, numLayers: 2 }, { resetAfter: false }]) {
        const x1 = input(1),
          x2 = input(2);
        const want1 = alone(o, x1),
          want2 = alone(o, x2);
        const gru = model(o);
        const l1 = lossOf(gru, x1);
        const l2 = lossOf(gru, x2);
        const l3 = lossOf(gru, input(3)); // a third graph, never backwarded, holding buffers too
        backward(l2);
        assertSame(grads(gru), want2, `${JSON.stringify(o)} second graph`);
        for (const p of gru.parameters()) p.zeroGrad();
        lossOf(gru, input(4)); // takes the buffers graph 2 gave back
        backward(l1);
        assertSame(grads(gru), want1, `${JSON.stringify(o)} first graph`);
        void l3;
      }
    }));

  test(`${name}: a second backward through a GRU whose saved buffers were reused recomputes them`, () =>
    withPool({ maxLive: 1000 }, () => {
      setBackend(name);
      const x = input(5);
      // The same gradients as a backward of the output's loss alone: the first backward's
      // gradient of the final state is released with it (as PyTorch keeps no non-leaf gradient).
      const gruRef = model();
      {
        const { output } = gruRef.forward(x);
        const wy = constant(randomTensor(new Rng(99), output.shape as number[], 1));
        backward(sum(mul(output, wy)));
      }
      const want = grads(gruRef);

      const gru = model();
      const { output, hN } = gru.forward(x);
      const rng = new Rng(99);
      const wy = constant(randomTensor(rng, output.shape as number[], 1));
      const wh = constant(randomTensor(rng, hN.shape as number[], 1));
      backward(sum(mul(hN, wh))); // reaches the layer through hN only; its buffers go back to the pool
      const before = tapeBuffers.stats();
      lossOf(gru, input(6)); // reuses (overwrites) them
      assert.ok(tapeBuffers.stats().reused >= before.reused + 3, 'the next forward reuses the buffers');
      for (const p of gru.parameters()) p.zeroGrad();
      backward(sum(mul(output, wy))); // the layer again, through its output
      assertSame(grads(gru), want, 'second backward');
    }));

  test(`${name}: forwards on the tape that are dropped stop saving after maxLive; a kept one still has its gradients`, () =>
    withPool({}, () => {
      setBackend(name);
      const gru = model();
      const x = input(7);
      const start = tapeBuffers.stats();
      for (let i = 0; i < tapeBuffers.maxLive + 4; i++) gru.forward(x);
      const after = tapeBuffers.stats();
      assert.ok(after.skipped - start.skipped >= 4, `skipped ${after.skipped - start.skipped} saves`);
      const kept = lossOf(gru, input(8)); // saves nothing: its backward recomputes
      assert.ok(tapeBuffers.stats().skipped > after.skipped);
      backward(kept);
      assertSame(grads(gru), alone({}, input(8)), 'recomputed cache');
      // Under noGrad nothing is saved or counted.
      const s = tapeBuffers.stats();
      noGrad(() => gru.forward(x));
      assert.deepEqual(tapeBuffers.stats(), s);
    }));

  test(`${name}: reused buffers full of NaN do not leak into gradients (lengths, both reset forms, both directions)`, () =>
    withPool({ maxLive: 1000 }, () => {
      setBackend(name);
      for (const resetAfter of [true, false]) {
        const o = { resetAfter, bidirectional: true };
        const lengths = [7, 4, 1];
        const want = alone(o, input(9), { lengths });
        tapeBuffers.clear();
        // Poison the pool with buffers of every size the layer saves.
        for (const n of [T * B * 3 * H, T * B * H, T * B * H, T * B * 3 * H, T * B * H, T * B * H]) tapeBuffers.give(new Float32Array(n).fill(Number.NaN));
        const gru = model(o);
        backward(lossOf(gru, input(9), { lengths }));
        assertSame(grads(gru), want, `resetAfter ${resetAfter}`);
        tapeBuffers.clear();
      }
    }));

  test(`${name}: training with the pool equals training without reuse (Adam, 2 layers, bidirectional)`, () => {
    setBackend(name);
    const run = (maxBytes: number) =>
      withPool({ maxBytes, maxLive: 1000 }, () => {
        const gru = model({ numLayers: 2, bidirectional: true });
        const opt = new Adam(gru.parameters(), { lr: 0.01 });
        for (let s = 0; s < 4; s++) {
          opt.zeroGrad();
          backward(lossOf(gru, input(20 + s)));
          opt.step();
        }
        return gru.parameters().map((p) => Float32Array.from(p.value.data));
      });
    const before = tapeBuffers.stats().reused;
    const pooled = run(256 * 2 ** 20);
    assert.ok(tapeBuffers.stats().reused > before, 'buffers were reused');
    assertSame(pooled, run(0), 'weights after 4 steps');
  });
}

test('TapeBufferPool: buffers by type and length, unspecified contents, a byte limit, a buffer given twice kept once', () => {
  const pool = new TapeBufferPool();
  const a = pool.take(new Float32Array(0), 10);
  assert.ok(a instanceof Float32Array && a.length === 10);
  a.fill(3);
  pool.give(a);
  pool.give(a);
  assert.equal(pool.stats().idle, 1);
  assert.ok(pool.take(new Float64Array(0), 10) instanceof Float64Array, 'another type is another key');
  assert.equal(pool.take(new Float32Array(0), 11).length, 11, 'another length is another key');
  assert.equal(pool.take(new Float32Array(0), 10), a, 'the same buffer comes back, contents as left');
  assert.equal(pool.stats().reused, 1);
  pool.maxBytes = 50;
  pool.give(a); // 40 bytes: kept
  const b = new Float32Array(8);
  pool.give(b); // would make 72: the size given back longest ago (a's) makes room
  assert.deepEqual([pool.stats().idle, pool.stats().idleBytes], [1, 32]);
  assert.equal(pool.take(new Float32Array(0), 8), b, 'the newest size is kept');
  pool.give(new Float32Array(20)); // 80 bytes, over maxBytes alone: not kept
  assert.deepEqual([pool.stats().idle, pool.stats().idleBytes], [0, 0]);
  pool.give(b);
  pool.give(a); // a given after b: b goes
  assert.equal(pool.take(new Float32Array(0), 10), a);
  assert.deepEqual([pool.stats().idle, pool.stats().idleBytes], [0, 0]);
  // Sizes taken back to none left, then an eviction: nothing stale is found in their place.
  pool.give(new Float32Array(4));
  pool.give(a);
  pool.take(new Float32Array(0), 4);
  pool.give(b); // 72 bytes: a goes
  assert.deepEqual([pool.stats().idle, pool.stats().idleBytes], [1, 32]);
  pool.give(b);
  pool.clear();
  assert.deepEqual([pool.stats().idle, pool.stats().idleBytes], [0, 0]);
});

test('TapeBufferPool.save: a set per owner; released sets are reused; past maxLive with nothing idle, null', () => {
  const pool = new TapeBufferPool();
  pool.maxLive = 2;
  const like = new Float32Array(0);
  const o1 = {},
    o2 = {},
    o3 = {};
  const s1 = pool.save(like, [6, 2, 2], o1)!;
  const s2 = pool.save(like, [6, 2, 2], o2)!;
  assert.deepEqual(
    s1.map((b) => b.length),
    [6, 2, 2],
  );
  assert.equal(pool.save(like, [6, 2, 2], o3), null, 'two out, none idle');
  assert.notEqual(pool.save(like, [8], o3), null, 'another kind counts apart');
  pool.release(o1, s1);
  const s3 = pool.save(like, [6, 2, 2], o3)!;
  assert.deepEqual(new Set(s3), new Set(s1), 'the released set is reused');
  assert.equal(pool.stats().live, 3);
  void s2;
});
