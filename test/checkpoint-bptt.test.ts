// Checkpointed BPTT gives the same gradients as keeping every state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, Rng, Var, add, backend, backward, mul, sum, constant, backendNames, setBackend, detach, swapAxes01 } from '../src/index.js';
import { maxRelError, randomTensor } from './helpers/random.js';

/** Gradients of x, h0 and the weights; batch-first runs on the same (transposed) data, so its gradients equal the time-major ones. */
function gradients(checkpoint: number | 'auto' | undefined, dtype: 'float32' | 'float64', batchFirst = false) {
  const rng = new Rng(3);
  const gru = new GRU({ inputSize: 3, hiddenSize: 6, numLayers: 2, bidirectional: true, checkpoint, batchFirst, seed: 4, dtype });
  const x = new Var(randomTensor(rng, [23, 3, 3], 1, dtype), true, 'x');
  const h0 = new Var(randomTensor(rng, [4, 3, 6], 0.5, dtype), true, 'h0');
  const { output, hN } = gru.forward(batchFirst ? swapAxes01(x) : x, { h0, lengths: [23, 17, 5] });
  const w = constant(randomTensor(rng, [23, 3, 12], 1, dtype));
  const w1 = batchFirst ? swapAxes01(w) : w;
  const w2 = constant(randomTensor(rng, hN.shape as number[], 1, dtype));
  backward(add(sum(mul(output, w1)), sum(mul(hN, w2))));
  return [x.grad!, h0.grad!, ...gru.parameters().map((p) => p.grad!)].map((g) => g.data);
}

for (const name of backendNames()) {
  test(`${name}: checkpoint k = 1, 4, 5, 'auto' and 23 give the full path's gradients, time-major and batch-first`, () => {
    setBackend(name);
    const dtype = 'float32';
    const full = gradients(undefined, dtype);
    for (const batchFirst of [false, true]) {
      for (const k of [undefined, 1, 4, 5, 'auto', 23] as const) {
        if (k === undefined && !batchFirst) continue;
        const got = gradients(k, dtype, batchFirst);
        got.forEach((g, i) => {
          const err = maxRelError(g, full[i]);
          assert.ok(err <= 1e-6, `${backend().name} k=${k} batchFirst=${batchFirst}: gradient ${i} differs by ${err}`);
        });
      }
    }
  });
}

test('checkpoint must be a positive integer or auto', () => {
  assert.throws(() => new GRU({ inputSize: 1, hiddenSize: 2, checkpoint: 0 }), /checkpoint must be a positive integer or 'auto', got 0/);
});

test("truncated BPTT: chunks with a carried, detached state give the full run's outputs; gradients stop at chunk borders", () => {
  const rng = new Rng(8);
  const gru = new GRU({ inputSize: 2, hiddenSize: 5, numLayers: 2, seed: 1 });
  const x = randomTensor(rng, [12, 2, 2]);
  const whole = gru.forward(x).output.value.toArray();
  let state: Var | undefined;
  const parts: number[] = [];
  for (let a = 0; a < 12; a += 4) {
    const xs = new Var(randomTensor(rng, [4, 2, 2]), true);
    xs.value.data.set(x.data.subarray(a * 4, (a + 4) * 4));
    const { output, hN } = gru.forward(xs, state ? { h0: state } : {});
    parts.push(...output.value.toArray());
    gru.zeroGrad();
    backward(sum(output));
    assert.ok(xs.grad !== null, "the chunk's own input gets a gradient");
    if (state) assert.equal(state.grad, null, 'no gradient crosses into the previous chunk');
    state = detach(hN);
  }
  assert.ok(maxRelError(parts, whole) < 1e-6);
});
