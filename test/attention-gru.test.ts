// AttentionGRU: gradients, a window of 1 is the Cho-form GRU, windows clamp, weights are a distribution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionGRU, GRU, Rng, Var, attentionGru, concat0, reshape } from '../src/index.js';
import { gradCheck, leaf } from './helpers/gradcheck.js';
import { maxRelError, randomTensor } from './helpers/random.js';

function params(rng: Rng, I: number, H: number, A: number) {
  return {
    wIh: leaf(rng, [3 * H, I], 'wIh', 0.6), wHh: leaf(rng, [3 * H, H], 'wHh', 0.6), bIh: leaf(rng, [3 * H], 'bIh'), bHh: leaf(rng, [3 * H], 'bHh'),
    wA: leaf(rng, [A, H], 'wA'), uA: leaf(rng, [A, H], 'uA'), v: leaf(rng, [A], 'v'),
  };
}

for (const window of [0, 2, 3]) {
  test(`gradient check in float64: x, h0 and every parameter (window ${window || 'all'})`, () => {
    const rng = new Rng(20 + window);
    const [T, B, I, H, A] = [5, 2, 3, 4, 3];
    const p = params(rng, I, H, A);
    const names = Object.keys(p) as (keyof typeof p)[];
    const x = leaf(rng, [T, B, I], 'x');
    const h0 = leaf(rng, [B, H], 'h0', 0.5);
    const f = ([xv, hv, ...w]: Var[]) => {
      const pp = Object.fromEntries(names.map((n, i) => [n, w[i]])) as typeof p;
      const { y, hN } = attentionGru(xv, hv, pp, window);
      return concat0([reshape(y, [T * B * H]), reshape(hN, [B * H])]);
    };
    const r = gradCheck(f, [x, h0, ...names.map((n) => p[n])]);
    assert.ok(r.maxError <= 1e-6, `max error ${r.maxError} at ${r.where}`);
  });
}

test('window 1 is exactly the GRU in the Cho / ONNX form (reset before the product)', () => {
  const att = new AttentionGRU({ inputSize: 3, hiddenSize: 5, attentionSize: 4, window: 1, seed: 3 });
  const gru = new GRU({ inputSize: 3, hiddenSize: 5, resetAfter: false });
  gru.loadStateDict({ weight_ih_l0: att.params.wIh.value, weight_hh_l0: att.params.wHh.value, bias_ih_l0: att.params.bIh!.value, bias_hh_l0: att.params.bHh!.value });
  const rng = new Rng(4);
  const x = randomTensor(rng, [7, 2, 3]);
  const h0 = randomTensor(rng, [2, 5], 0.5);
  const a = att.forward(x, { h0 });
  const g = gru.forward(x, { h0: h0.reshape([1, 2, 5]) });
  assert.ok(maxRelError(a.output.data, g.output.data) < 1e-6);
  assert.ok(a.attention.toArray().every((w) => w === 1), 'a single slot gets all the weight');
});

test('a window at least as long as the sequence equals global attention; weights sum to 1 over valid slots', () => {
  const rng = new Rng(5);
  const x = randomTensor(rng, [6, 3, 2]);
  const global = new AttentionGRU({ inputSize: 2, hiddenSize: 4, seed: 6 }).forward(x);
  const wide = new AttentionGRU({ inputSize: 2, hiddenSize: 4, seed: 6, window: 50 }).forward(x);
  assert.deepEqual(wide.output.value.toArray(), global.output.value.toArray());
  const [T, B, W] = global.attention.shape;
  assert.equal(W, 6);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = global.attention.toArray().slice((t * B + b) * W, (t * B + b + 1) * W);
      assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-6);
      assert.ok(row.slice(t + 1).every((v) => v === 0), `step ${t} attends to ${t + 1} states only`);
    }
  }
});

test('bad options and inputs are refused clearly', () => {
  assert.throws(() => new AttentionGRU({ inputSize: 2, hiddenSize: 4, window: -1 }), /window must be a positive integer \(or 0 for all states\), got -1/);
  assert.throws(() => new AttentionGRU({ inputSize: 2, hiddenSize: 4, window: 1.5 }), /got 1.5/);
  const m = new AttentionGRU({ inputSize: 2, hiddenSize: 4 });
  assert.throws(() => m.forward(randomTensor(new Rng(1), [3, 2, 5])), /input must have shape \[T, B, 2\], got \[3, 2, 5\]/);
  assert.throws(() => m.forward(randomTensor(new Rng(1), [3, 2, 2]), { h0: randomTensor(new Rng(1), [1, 4]) }), /h0 must have shape \[2, 4\], got \[1, 4\]/);
});
