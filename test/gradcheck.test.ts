// Every differentiable op against central differences in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GRU,
  Rng,
  Var,
  add,
  addBroadcast,
  attentionDecoder,
  attentionPool,
  concatLast,
  encoderAttention,
  concat0,
  crossEntropy,
  dropout,
  embedding,
  gruLayer,
  linear,
  mseLoss,
  mul,
  relu,
  reshape,
  scale,
  sigmoid,
  sliceRows,
  sum,
  swapAxes01,
  tanh,
} from '../src/index.js';
import { gradCheck, leaf } from './helpers/gradcheck.js';

const TOL = 1e-6;

function ok(name: string, r: { maxError: number; where: string; checked: number }): void {
  assert.ok(r.checked > 0, `${name}: nothing checked`);
  assert.ok(r.maxError <= TOL, `${name}: max error ${r.maxError} at ${r.where}`);
}

test('elementwise, shape and reduction ops', () => {
  const rng = new Rng(3);
  const a = leaf(rng, [3, 4], 'a');
  const b = leaf(rng, [3, 4], 'b');
  ok(
    'add',
    gradCheck(([p, q]) => add(p, q), [a, b]),
  );
  ok(
    'mul',
    gradCheck(([p, q]) => mul(p, q), [a, b]),
  );
  ok(
    'scale',
    gradCheck(([p]) => scale(p, -1.7), [a]),
  );
  ok(
    'sum',
    gradCheck(([p]) => sum(p), [a]),
  );
  ok(
    'reshape',
    gradCheck(([p]) => reshape(p, [2, 6]), [a]),
  );
  ok(
    'swapAxes01',
    gradCheck(([p]) => swapAxes01(p), [leaf(rng, [2, 3, 4], 'c')]),
  );
  ok(
    'tanh',
    gradCheck(([p]) => tanh(p), [a]),
  );
  ok(
    'sigmoid',
    gradCheck(([p]) => sigmoid(p), [a]),
  );
  // relu: keep inputs away from the kink at 0, where the derivative is undefined.
  const away = leaf(rng, [3, 4], 'away');
  for (let i = 0; i < away.data.length; i++) away.data[i] += away.data[i] >= 0 ? 0.1 : -0.1;
  ok(
    'relu',
    gradCheck(([p]) => relu(p), [away]),
  );
  ok(
    'sliceRows',
    gradCheck(([p]) => sliceRows(p, 1, 2, [2, 4]), [a]),
  );
  ok(
    'concat0',
    gradCheck(([p, q]) => concat0([p, q]), [a, b]),
  );
  ok(
    'addBroadcast',
    gradCheck(([p, q]) => addBroadcast(p, q), [leaf(rng, [2, 3, 4], 'x'), leaf(rng, [2, 4], 'v')]),
  );
});

test('linear, with and without bias, with leading dimensions', () => {
  const rng = new Rng(4);
  const x = leaf(rng, [2, 3, 5], 'x');
  const w = leaf(rng, [4, 5], 'weight');
  const bias = leaf(rng, [4], 'bias');
  ok(
    'linear',
    gradCheck(([p, q, r]) => linear(p, q, r), [x, w, bias]),
  );
  ok(
    'linear no bias',
    gradCheck(([p, q]) => linear(p, q, null), [x, w]),
  );
});

test('losses: MSE and cross-entropy (with an ignored row)', () => {
  const rng = new Rng(5);
  const p = leaf(rng, [4, 3], 'pred');
  const t = leaf(rng, [4, 3], 'target');
  ok(
    'mseLoss',
    gradCheck(([a, b]) => mseLoss(a, b), [p, t]),
  );
  const logits = leaf(rng, [5, 7], 'logits', 3);
  ok(
    'crossEntropy',
    gradCheck(([a]) => crossEntropy(a, [0, 6, -100, 3, 3]), [logits]),
  );
});

test('embedding (repeated ids accumulate) and dropout (fixed mask)', () => {
  const rng = new Rng(6);
  const table = leaf(rng, [6, 4], 'table');
  ok(
    'embedding',
    gradCheck(([e]) => embedding(e, [1, 5, 1, 0], [2, 2]), [table]),
  );
  const x = leaf(rng, [5, 4], 'x');
  ok(
    'dropout',
    gradCheck(([v]) => dropout(v, 0.4, new Rng(9)), [x]),
  );
});

test('fused GRU layer: x, h0 and every weight and bias, both directions, both reset forms, with lengths', () => {
  const rng = new Rng(7);
  for (const resetAfter of [true, false]) {
    for (const lengths of [null, new Int32Array([4, 2, 1])]) {
      const [T, B, I, H] = [4, 3, 3, 5];
      const x = leaf(rng, [T, B, I], 'x');
      const h0 = leaf(rng, [2, B, H], 'h0', 0.5);
      const dirs = [0, 1].map((d) => ({
        wIh: leaf(rng, [3 * H, I], `wIh${d}`),
        wHh: leaf(rng, [3 * H, H], `wHh${d}`),
        bIh: leaf(rng, [3 * H], `bIh${d}`),
        bHh: leaf(rng, [3 * H], `bHh${d}`),
      }));
      const params = dirs.flatMap((p) => [p.wIh, p.wHh, p.bIh, p.bHh]);
      // Both outputs feed the loss: y and hN together.
      const f = ([xv, hv, ...w]: Var[]) => {
        const ds = [0, 1].map((d) => ({ wIh: w[4 * d], wHh: w[4 * d + 1], bIh: w[4 * d + 2], bHh: w[4 * d + 3] }));
        const { y, hN } = gruLayer(xv, hv, ds, { resetAfter, lengths });
        return concat0([reshape(y, [T * B * 2 * H]), reshape(hN, [2 * B * H])]);
      };
      ok(`gruLayer resetAfter=${resetAfter} lengths=${lengths}`, gradCheck(f, [x, h0, ...params]));
    }
  }
});

test('GRU module: three layers, bidirectional, batch-first, no bias, with lengths', () => {
  const rng = new Rng(8);
  for (const resetAfter of [true, false]) {
    const gru = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 3, bidirectional: true, batchFirst: true, bias: false, resetAfter, dtype: 'float64', seed: 2 });
    const x = leaf(rng, [2, 5, 3], 'x');
    const h0 = leaf(rng, [6, 2, 4], 'h0', 0.5);
    const params = gru.parameters();
    const f = ([xv, hv]: Var[]) => {
      const { output, hN } = gru.forward(xv, { h0: hv, lengths: [3, 5] });
      return concat0([reshape(output, [output.value.size]), reshape(hN, [hN.value.size])]);
    };
    ok(`GRU resetAfter=${resetAfter}`, gradCheck(f, [x, h0, ...params], { maxPerInput: 24 }));
  }
});

test('attention pooling, with lengths', () => {
  const rng = new Rng(10);
  const h = leaf(rng, [3, 5, 4], 'h');
  const W = leaf(rng, [6, 4], 'W');
  const b = leaf(rng, [6], 'b');
  const v = leaf(rng, [6], 'v');
  const lengths = new Int32Array([5, 2, 1]);
  ok(
    'attentionPool',
    gradCheck(([p, q, r, s]) => attentionPool(p, q, r, s, lengths).pooled, [h, W, b, v]),
  );
  const { weights } = attentionPool(h, W, b, v, lengths);
  for (let i = 0; i < 3; i++) {
    const row = weights.toArray().slice(i * 5, i * 5 + 5);
    assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-12, 'weights sum to 1');
    assert.ok(
      row.slice(lengths[i]).every((x) => x === 0),
      'no weight past the length',
    );
  }
});

test('concatenation along the last axis; encoder–decoder attention (additive and dot), with source lengths', () => {
  const rng = new Rng(11);
  ok(
    'concatLast',
    gradCheck(([p, q]) => concatLast([p, q]), [leaf(rng, [2, 3, 2], 'a'), leaf(rng, [2, 3, 4], 'b')]),
  );
  const lengths = new Int32Array([4, 2]);
  const q = leaf(rng, [2, 3], 'q'),
    keys = leaf(rng, [2, 4, 3], 'keys'),
    values = leaf(rng, [2, 4, 5], 'values'),
    v = leaf(rng, [3], 'v');
  ok(
    'additive',
    gradCheck(([a, b, c, d]) => encoderAttention('additive', a, b, c, d, lengths).context, [q, keys, values, v]),
  );
  ok(
    'dot',
    gradCheck(([a, b, c]) => encoderAttention('dot', a, b, c, null, lengths).context, [q, keys, values]),
  );
  const w = encoderAttention('dot', q, keys, values, null, lengths).weights.toArray();
  assert.deepEqual(w.slice(6, 8), [0, 0], 'padded source steps get no weight');
});

test('teacher-forced attention decoder: every input, with source lengths and a context the readout does not see', () => {
  const rng = new Rng(13);
  const [T, B, S, E, D, A, H] = [3, 2, 4, 2, 3, 3, 4];
  const lengths = new Int32Array([4, 2]);
  const inputs = [
    leaf(rng, [T * B, E], 'embedded'),
    leaf(rng, [1, B, H], 's0', 0.5),
    leaf(rng, [B, S, A], 'keys'),
    leaf(rng, [B, S, D], 'values'),
    leaf(rng, [A, H], 'wQ'),
    leaf(rng, [A], 'v'),
    leaf(rng, [3 * H, E + D], 'wIh'),
    leaf(rng, [3 * H, H], 'wHh'),
    leaf(rng, [3 * H], 'bIh'),
    leaf(rng, [3 * H], 'bHh'),
  ];
  const run = ([embedded, s0, keys, values, wQ, v, wIh, wHh, bIh, bHh]: Var[]) => attentionDecoder({ embedded, s0, keys, values, lengths, wQ, v, gru: { wIh, wHh, bIh, bHh } }, T);
  ok(
    'attentionDecoder',
    gradCheck((xs) => {
      const { states, contexts } = run(xs);
      return concat0([reshape(states, [T * B * H]), reshape(contexts, [T * B * D])]);
    }, inputs),
  );
  // Only the states feed the loss: the contexts still reach it through the later steps.
  ok(
    'attentionDecoder, states only',
    gradCheck((xs) => run(xs).states, inputs),
  );
});
