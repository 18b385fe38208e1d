// AttentionGRUStack (the attention GRU behind a task's --cell): packed lengths, both directions, layers,
// gradients; the cell factory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionGRU, AttentionGRUStack, GRU, Rng, Tensor, Var, concat0, recurrentLayer, reshape, checkCell } from '../src/index.js';
import { gradCheck } from './helpers/gradcheck.js';
import { maxRelError, randomTensor } from './helpers/random.js';

/** Steps [0, n) of sequence b of x (T, B, F) as (n, 1, F), in order or reversed. */
function oneSequence(x: Tensor, b: number, n: number, reversed: boolean): Tensor {
  const [, B, F] = x.shape;
  const out = Tensor.zeros([n, 1, F], x.dtype);
  for (let t = 0; t < n; t++) {
    const src = reversed ? n - 1 - t : t;
    out.data.set(x.data.subarray((src * B + b) * F, (src * B + b + 1) * F), t * F);
  }
  return out;
}

test('one layer, both directions, packed lengths: each sequence as if run alone (forward in order, reverse from its last step); zeros past the length', () => {
  const rng = new Rng(3);
  const [T, B, I, H] = [6, 3, 2, 4];
  const lengths = [6, 2, 4];
  const x = randomTensor(rng, [T, B, I], 1, 'float64');
  const m = new AttentionGRUStack({ inputSize: I, hiddenSize: H, attentionSize: 3, bidirectional: true, window: 3, seed: 5, dtype: 'float64' });
  const { output, hN } = m.forward(x, { lengths });
  assert.deepEqual(output.shape, [T, B, 2 * H]);
  assert.deepEqual(hN.shape, [2, B, H]);
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    const fwd = m.cells[0].forward(oneSequence(x, b, n, false)).output.data;
    const bwd = m.cells[1].forward(oneSequence(x, b, n, true)).output.data;
    for (let t = 0; t < T; t++) {
      const row = Array.from(output.data.subarray((t * B + b) * 2 * H, (t * B + b + 1) * 2 * H));
      if (t >= n) {
        assert.ok(
          row.every((v) => v === 0),
          `sequence ${b} step ${t} is past its length`,
        );
        continue;
      }
      const want = [...fwd.subarray(t * H, (t + 1) * H), ...bwd.subarray((n - 1 - t) * H, (n - t) * H)];
      assert.ok(maxRelError(row, want) < 1e-12, `sequence ${b} step ${t}`);
    }
    assert.ok(maxRelError(hN.data.subarray(b * H, (b + 1) * H), fwd.subarray((n - 1) * H, n * H)) < 1e-12, `hN forward, sequence ${b}`);
    assert.ok(maxRelError(hN.data.subarray((B + b) * H, (B + b + 1) * H), bwd.subarray((n - 1) * H, n * H)) < 1e-12, `hN reverse, sequence ${b}`);
  }
});

test('gradient check in float64: two bidirectional layers with packed lengths and h0 (x, h0 and every parameter)', () => {
  const rng = new Rng(11);
  const [T, B, I, H] = [4, 2, 2, 3];
  const m = new AttentionGRUStack({ inputSize: I, hiddenSize: H, attentionSize: 2, numLayers: 2, bidirectional: true, seed: 12, dtype: 'float64' });
  const x = new Var(randomTensor(rng, [T, B, I], 1, 'float64'), true, 'x');
  const h0 = new Var(randomTensor(rng, [4, B, H], 0.5, 'float64'), true, 'h0');
  const params = m.parameters();
  const f = ([xv, hv]: Var[]) => {
    const { output, hN } = m.forward(xv, { h0: hv, lengths: [4, 3] });
    return concat0([reshape(output, [T * B * 2 * H]), reshape(hN, [4 * B * H])]);
  };
  const r = gradCheck(f, [x, h0, ...params]);
  assert.ok(r.maxError <= 1e-6, `max error ${r.maxError} at ${r.where}`);
});

test('recurrentLayer: the GRU by default, the attention stack in the library or seed-003 form; bad cells refused', () => {
  const o = { inputSize: 2, hiddenSize: 4, numLayers: 2, batchFirst: true };
  assert.ok(recurrentLayer(undefined, o) instanceof GRU);
  assert.ok(recurrentLayer({ kind: 'gru' }, o) instanceof GRU);
  const a = recurrentLayer({ kind: 'attention-gru', window: 8 }, o) as AttentionGRUStack;
  assert.ok(a instanceof AttentionGRUStack);
  assert.equal(a.cells.length, 2);
  assert.equal(a.cells[0].window, 8);
  assert.deepEqual(a.cells[0].form, { resetContext: true, attendInitial: true, updateGate: 'previous' });
  const s = recurrentLayer({ kind: 'seed-003', local: 3 }, o) as AttentionGRUStack;
  assert.deepEqual(s.cells[1].form, { resetContext: false, attendInitial: false, updateGate: 'candidate' });
  assert.equal(s.cells[1].local?.halfWidth, 3);
  assert.equal(s.cells[1].params.bIh, null, 'seed 003 has no biases');
  assert.ok(s.cells[0] instanceof AttentionGRU);
  const names = Object.keys(s.stateDict());
  assert.ok(names.includes('l1.attn_pw') && names.includes('l0.weight_hh'), names.join(' '));
  assert.throws(() => checkCell({ kind: 'lstm' as 'gru' }), /kind must be one of gru, attention-gru, seed-003, got "lstm"/);
  assert.throws(() => checkCell({ kind: 'gru', window: 4 }), /window and local apply to the attention cells/);
  assert.throws(() => checkCell({ kind: 'attention-gru', window: 4, local: 2 }), /give one, got window 4 and local 2/);
  assert.throws(() => checkCell({ kind: 'attention-gru', window: -1 }), /window must be a non-negative integer, got -1/);
});
