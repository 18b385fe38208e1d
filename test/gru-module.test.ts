// The GRU module: bad input fails early and clearly; state dicts, seeding, train/eval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, Tensor } from '../src/index.js';

const gru = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2 });

test('constructor rejects bad sizes and options', () => {
  assert.throws(() => new GRU({ inputSize: 0, hiddenSize: 4 }), /inputSize must be a positive integer, got 0/);
  assert.throws(() => new GRU({ inputSize: 3, hiddenSize: 2.5 }), /hiddenSize must be a positive integer, got 2.5/);
  assert.throws(() => new GRU({ inputSize: 3, hiddenSize: 4, numLayers: -1 }), /numLayers must be a positive integer, got -1/);
  assert.throws(() => new GRU({ inputSize: 3, hiddenSize: 4, dropout: 1 }), /dropout must be in \[0, 1\), got 1/);
});

test('input of the wrong rank or feature size', () => {
  assert.throws(() => gru.forward(Tensor.zeros([5, 3])), /input must have shape \[T, B, 3\], got \[5, 3\]/);
  assert.throws(() => gru.forward(Tensor.zeros([5, 2, 4])), /input must have shape \[T, B, 3\], got \[5, 2, 4\]/);
  const bf = new GRU({ inputSize: 3, hiddenSize: 4, batchFirst: true });
  assert.throws(() => bf.forward(Tensor.zeros([2, 5, 7])), /input must have shape \[B, T, 3\], got \[2, 5, 7\]/);
  assert.throws(() => gru.forward(Tensor.zeros([0, 2, 3])), /at least one step and one sequence, got \[0, 2, 3\]/);
});

test('non-finite inputs and states', () => {
  const x = Tensor.zeros([2, 1, 3]);
  x.data[4] = NaN;
  assert.throws(() => gru.forward(x), /input: expected finite numbers, got NaN at flat index 4/);
  const h0 = Tensor.zeros([2, 1, 4]);
  h0.data[1] = Infinity;
  assert.throws(() => gru.forward(Tensor.zeros([2, 1, 3]), { h0 }), /h0: expected finite numbers, got Infinity at flat index 1/);
});

test('h0 of the wrong shape', () => {
  assert.throws(() => gru.forward(Tensor.zeros([2, 3, 3]), { h0: Tensor.zeros([1, 3, 4]) }), /h0 must have shape \[2, 3, 4\] \(numLayers·numDirections, batch, hidden\), got \[1, 3, 4\]/);
});

test('lengths: wrong count, out of range, fractional', () => {
  const x = Tensor.zeros([4, 2, 3]);
  assert.throws(() => gru.forward(x, { lengths: [4] }), /lengths must have one entry per sequence \(2\), got 1/);
  assert.throws(() => gru.forward(x, { lengths: [4, 0] }), /lengths\[1\] must be an integer in \[1, 4\], got 0/);
  assert.throws(() => gru.forward(x, { lengths: [5, 1] }), /lengths\[0\] must be an integer in \[1, 4\], got 5/);
  assert.throws(() => gru.forward(x, { lengths: [2.5, 1] }), /lengths\[0\] must be an integer in \[1, 4\], got 2.5/);
});

test('state dict: missing, unexpected and mis-shaped keys', () => {
  const good = gru.stateDict();
  const missing = { ...good };
  delete missing.bias_hh_l1;
  assert.throws(() => new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2 }).loadStateDict(missing), /missing keys: bias_hh_l1/);
  const extra = { ...good, weight_ih_l2: Tensor.zeros([12, 4]) };
  assert.throws(() => new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2 }).loadStateDict(extra), /unexpected keys: weight_ih_l2/);
  const wrong = { ...good, weight_hh_l0: Tensor.zeros([12, 5]) };
  assert.throws(() => new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2 }).loadStateDict(wrong), /'weight_hh_l0' must have shape \[12, 4\], got \[12, 5\]/);
});

test('state dict round trip, with and without a prefix; a failed load changes nothing', () => {
  const other = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 99 });
  const before = other.stateDict();
  const bad = { ...gru.stateDict(), weight_hh_l1: Tensor.zeros([1]) };
  assert.throws(() => other.loadStateDict(bad));
  assert.deepEqual(other.stateDict().weight_ih_l0.toArray(), before.weight_ih_l0.toArray());

  const prefixed: Record<string, Tensor> = { 'head.weight': Tensor.zeros([1, 4]) };
  for (const [k, v] of Object.entries(gru.stateDict())) prefixed[`encoder.gru.${k}`] = v;
  other.loadStateDict(prefixed);
  assert.deepEqual(other.stateDict().weight_hh_l1.toArray(), gru.stateDict().weight_hh_l1.toArray());
});

test('same seed, same weights; other seed, other weights; PyTorch init bound 1/√H', () => {
  const a = new GRU({ inputSize: 3, hiddenSize: 16, seed: 11 }).stateDict();
  const b = new GRU({ inputSize: 3, hiddenSize: 16, seed: 11 }).stateDict();
  const c = new GRU({ inputSize: 3, hiddenSize: 16, seed: 12 }).stateDict();
  assert.deepEqual(a.weight_hh_l0.toArray(), b.weight_hh_l0.toArray());
  assert.notDeepEqual(a.weight_hh_l0.toArray(), c.weight_hh_l0.toArray());
  const all = Object.values(a).flatMap((t) => t.toArray());
  assert.ok(
    all.every((v) => Math.abs(v) <= 0.25),
    'all weights within ±1/√16',
  );
  assert.ok(Math.max(...all.map(Math.abs)) > 0.2, 'weights spread out to the bound');
  assert.deepEqual(Object.keys(new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true }).stateDict()), [
    'weight_ih_l0',
    'weight_hh_l0',
    'bias_ih_l0',
    'bias_hh_l0',
    'weight_ih_l0_reverse',
    'weight_hh_l0_reverse',
    'bias_ih_l0_reverse',
    'bias_hh_l0_reverse',
  ]);
});

test('dropout acts between layers in training mode only', () => {
  const x = Tensor.from(
    Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.sin(i)),
    [4, 2, 3],
  );
  const net = new GRU({ inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.5, seed: 5 });
  const a = net.forward(x).output.value.toArray();
  const b = net.forward(x).output.value.toArray();
  assert.notDeepEqual(a, b, 'fresh masks each training pass');
  net.eval();
  const c = net.forward(x).output.value.toArray();
  assert.deepEqual(net.forward(x).output.value.toArray(), c, 'no dropout in eval mode');
  const plain = new GRU({ inputSize: 3, hiddenSize: 8, numLayers: 2, seed: 5 });
  assert.deepEqual(plain.forward(x).output.value.toArray(), c, 'eval output equals a dropout-free twin');
  // A single layer has no layer after it, so dropout never applies (as PyTorch, which warns).
  const one = new GRU({ inputSize: 3, hiddenSize: 8, dropout: 0.5, seed: 5 });
  assert.deepEqual(one.forward(x).output.value.toArray(), one.forward(x).output.value.toArray());
});

test('noGrad: the same outputs, nothing recorded', async () => {
  const { noGrad, Var } = await import('../src/index.js');
  const g = new GRU({ inputSize: 3, hiddenSize: 4, seed: 2 });
  const x = new Var(
    Tensor.from(
      Array.from({ length: 12 }, (_, i) => i / 10),
      [2, 2, 3],
    ),
    true,
  );
  const a = g.forward(x);
  const b = noGrad(() => g.forward(x));
  assert.deepEqual(b.output.value.toArray(), a.output.value.toArray());
  assert.notEqual(a.output.node, null);
  assert.equal(b.output.node, null);
});
