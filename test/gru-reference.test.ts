// The GRU module against an independent float64 recomputation (test/helpers/naive-gru.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, Rng, Tensor } from '../src/index.js';
import { naiveGru, type NaiveWeights } from './helpers/naive-gru.js';
import { maxRelError, nest, randomTensor } from './helpers/random.js';

function naiveWeights(gru: GRU): NaiveWeights[][] {
  return gru.layers.map((dirs) =>
    dirs.map((p) => ({
      wIh: nest(p.wIh.data, p.wIh.shape),
      wHh: nest(p.wHh.data, p.wHh.shape),
      bIh: p.bIh ? Array.from(p.bIh.data) : null,
      bHh: p.bHh ? Array.from(p.bHh.data) : null,
    })),
  );
}

interface Case {
  T: number;
  B: number;
  I: number;
  H: number;
  L: number;
  bi: boolean;
  resetAfter: boolean;
  bias: boolean;
  lengths: boolean;
  h0: boolean;
  batchFirst: boolean;
}

function check(c: Case, seed: number): number {
  const rng = new Rng(seed);
  const gru = new GRU({ inputSize: c.I, hiddenSize: c.H, numLayers: c.L, bidirectional: c.bi, resetAfter: c.resetAfter, bias: c.bias, batchFirst: c.batchFirst, seed });
  const D = c.bi ? 2 : 1;
  const x = randomTensor(rng, [c.T, c.B, c.I]);
  const h0 = c.h0 ? randomTensor(rng, [c.L * D, c.B, c.H], 0.5) : undefined;
  const lengths = c.lengths ? Array.from({ length: c.B }, (_, b) => (b === 0 ? c.T : 1 + rng.int(c.T))) : undefined;
  let xIn = x;
  if (c.batchFirst) {
    xIn = Tensor.zeros([c.B, c.T, c.I]);
    for (let t = 0; t < c.T; t++) for (let b = 0; b < c.B; b++) for (let i = 0; i < c.I; i++) xIn.data[(b * c.T + t) * c.I + i] = x.data[(t * c.B + b) * c.I + i];
  }
  const { output, hN } = gru.forward(xIn, { h0, lengths });
  const want = naiveGru(nest(x.data, x.shape), h0 ? nest(h0.data, h0.shape) : null, naiveWeights(gru), c.H, c.resetAfter, lengths ?? null);
  let got = output.value;
  if (c.batchFirst) {
    assert.deepEqual(got.shape, [c.B, c.T, D * c.H]);
    const tb = Tensor.zeros([c.T, c.B, D * c.H]);
    for (let t = 0; t < c.T; t++) for (let b = 0; b < c.B; b++) for (let j = 0; j < D * c.H; j++) tb.data[(t * c.B + b) * D * c.H + j] = got.data[(b * c.T + t) * D * c.H + j];
    got = tb;
  }
  assert.deepEqual(got.shape, [c.T, c.B, D * c.H]);
  assert.deepEqual(hN.shape, [c.L * D, c.B, c.H]);
  return Math.max(maxRelError(got.data, want.output.flat(2)), maxRelError(hN.value.data, want.hN.flat(2)));
}

test('matches float64 recomputation on random configurations (≤ 1e-5 relative)', () => {
  const rng = new Rng(42);
  for (let i = 0; i < 24; i++) {
    const c: Case = {
      T: 1 + rng.int(7),
      B: 1 + rng.int(4),
      I: 1 + rng.int(12),
      H: 1 + rng.int(20),
      L: 1 + rng.int(3),
      bi: rng.uniform() < 0.5,
      resetAfter: rng.uniform() < 0.5,
      bias: rng.uniform() < 0.8,
      lengths: rng.uniform() < 0.5,
      h0: rng.uniform() < 0.5,
      batchFirst: rng.uniform() < 0.3,
    };
    const err = check(c, 100 + i);
    assert.ok(err <= 1e-5, `case ${JSON.stringify(c)}: relative error ${err}`);
  }
});

test('matches float64 recomputation at hidden size 256, two bidirectional layers, with lengths', () => {
  for (const resetAfter of [true, false]) {
    const err = check({ T: 6, B: 3, I: 33, H: 256, L: 2, bi: true, resetAfter, bias: true, lengths: true, h0: true, batchFirst: false }, 7);
    assert.ok(err <= 1e-5, `resetAfter=${resetAfter}: relative error ${err}`);
  }
});

test('steps past a sequence length output exactly 0 and leave hN at the last valid step', () => {
  const gru = new GRU({ inputSize: 3, hiddenSize: 4, seed: 1 });
  const rng = new Rng(5);
  const x = randomTensor(rng, [5, 2, 3]);
  const { output, hN } = gru.forward(x, { lengths: [5, 2] });
  const y = output.value.data;
  for (let t = 2; t < 5; t++) for (let j = 0; j < 4; j++) assert.equal(y[(t * 2 + 1) * 4 + j], 0);
  for (let j = 0; j < 4; j++) assert.equal(hN.value.data[4 + j], y[(1 * 2 + 1) * 4 + j]);
});
