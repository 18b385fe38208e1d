// Sparse inputs (token ids, CSR steps) and sparse gradients give the dense path's results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Adam,
  Embedding,
  add,
  GRU,
  Rng,
  SGD,
  Tensor,
  Var,
  backend,
  backendNames,
  backward,
  clipGradNorm,
  constant,
  csr,
  csrToDense,
  mul,
  setBackend,
  sparseProjection,
  sparseSequence,
  sum,
  tokenSequence,
  type CsrMatrix,
} from '../src/index.js';
import { maxRelError, randomTensor } from './helpers/random.js';

/** A random CSR matrix with 0–3 entries per row, some repeated columns, values in ±1. */
function randomCsr(rng: Rng, rows: number, cols: number, withValues: boolean): CsrMatrix {
  const rowPtr = [0];
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    const n = rng.int(4);
    for (let k = 0; k < n; k++) {
      colIdx.push(rng.int(cols));
      values.push(rng.range(-1, 1));
    }
    rowPtr.push(colIdx.length);
  }
  return csr(rows, cols, rowPtr, colIdx, withValues ? values : null);
}

/** Loss gradients of a GRU fed `x` (dense tensor or sparse sequence), with weights from one seed. */
function run(x: Tensor | ReturnType<typeof sparseSequence>, o: { I: number; bidirectional: boolean; numLayers: number; checkpoint?: number; lengths?: number[] }) {
  const gru = new GRU({ inputSize: o.I, hiddenSize: 5, numLayers: o.numLayers, bidirectional: o.bidirectional, seed: 7, checkpoint: o.checkpoint });
  const { output, hN } = gru.forward(x, { lengths: o.lengths });
  const rng = new Rng(9);
  backward(add(sum(mul(output, constant(randomTensor(rng, [...output.shape], 1)))), sum(mul(hN, constant(randomTensor(rng, [...hN.shape], 1))))));
  const sparseW = gru.layers[0].map((d) => d.wIh.sparseGrad !== null);
  const grads = gru.parameters().map((p) => p.denseGrad()!.data.slice());
  return { output: output.data.slice(), hN: hN.data.slice(), grads, sparseW };
}

for (const name of backendNames()) {
  test(`${name}: CSR and token-id inputs give the dense one-hot path's outputs and gradients`, () => {
    setBackend(name);
    const rng = new Rng(1);
    const T = 9,
      B = 3,
      I = 40;
    const cases = [
      { what: 'token ids, one layer', ids: true, bidirectional: false, numLayers: 1 },
      { what: 'CSR with values, bidirectional, two layers, lengths', ids: false, bidirectional: true, numLayers: 2, lengths: [9, 4, 6] },
      { what: 'CSR, checkpointed', ids: false, bidirectional: true, numLayers: 1, checkpoint: 4 },
    ];
    for (const c of cases) {
      const m = c.ids ? null : randomCsr(rng, T * B, I, true);
      const ids = Array.from({ length: T * B }, () => rng.int(I));
      const seq = m ? sparseSequence(m, T, B) : tokenSequence(ids, T, B, I);
      const dense = Tensor.zeros([T, B, I]);
      if (m) csrToDense(m, dense.data);
      else ids.forEach((id, r) => (dense.data[r * I + id] = 1));
      const want = run(dense, { I, ...c });
      const got = run(seq, { I, ...c });
      assert.ok(maxRelError(got.output, want.output) <= 1e-5, `${backend().name} ${c.what}: output differs by ${maxRelError(got.output, want.output)}`);
      assert.ok(maxRelError(got.hN, want.hN) <= 1e-5, `${c.what}: hN`);
      got.grads.forEach((g, i) => assert.ok(maxRelError(g, want.grads[i]) <= 1e-5, `${backend().name} ${c.what}: gradient ${i} differs by ${maxRelError(g, want.grads[i])}`));
      assert.ok(got.sparseW.every(Boolean), `${c.what}: weight_ih_l0 should get a sparse gradient`);
    }
  });
}

test('batch-first sparse rows are reordered to the same result as time-major rows', () => {
  const rng = new Rng(2);
  const T = 4,
    B = 3,
    I = 10;
  const ids = Array.from({ length: T * B }, () => rng.int(I));
  const batchFirst = Array.from({ length: T * B }, (_, r) => ids[(r % T) * B + Math.floor(r / T)]);
  const gru = new GRU({ inputSize: I, hiddenSize: 4, seed: 1 });
  const a = gru.forward(tokenSequence(ids, T, B, I)).output.data;
  const b = gru.forward(tokenSequence(batchFirst, T, B, I, true)).output.data;
  assert.deepEqual(Array.from(b), Array.from(a));
});

test('sparse embedding gradients equal the dense ones, and accumulate across backward calls', () => {
  const ids = [3, 1, 3, 7, 1, 1];
  const grads = (sparse: boolean) => {
    const emb = new Embedding({ numEmbeddings: 10, embeddingDim: 4, sparse, seed: 3 });
    const w = constant(randomTensor(new Rng(5), [6, 4], 1));
    backward(sum(mul(emb.forward(ids), w)));
    backward(sum(mul(emb.forward([9, 3, 0, 0, 2, 2]), w)));
    return emb.weight;
  };
  const dense = grads(false),
    sparse = grads(true);
  assert.ok(sparse.grad === null && sparse.sparseGrad !== null);
  assert.deepEqual(
    Array.from(sparse.sparseGrad!.positions.filter((_, i) => i % 4 === 0)),
    [0, 1, 2, 3, 7, 9].map((r) => r * 4),
  );
  assert.ok(maxRelError(sparse.denseGrad()!.data, dense.grad!.data) <= 1e-6);
});

/** Steps of a tiny embedding model (loss Σ w ⊙ e², clipped); returns the table after them. */
function train(sparse: boolean, makeOpt: (p: Var[]) => { step(): void; zeroGrad(): void }, steps: number[][]): Float32Array {
  const emb = new Embedding({ numEmbeddings: 6, embeddingDim: 3, sparse, seed: 1 });
  const opt = makeOpt(emb.parameters());
  const w = constant(randomTensor(new Rng(8), [steps[0].length, 3], 1));
  for (const ids of steps) {
    opt.zeroGrad();
    const e = emb.forward(ids);
    backward(sum(mul(mul(e, e), w)));
    clipGradNorm(emb.parameters(), 1.5);
    opt.step();
  }
  return emb.weight.data.slice() as Float32Array;
}

test('SGD on sparse gradients gives the dense result', () => {
  const steps = [
    [0, 2, 2, 5],
    [1, 1, 3, 0],
    [4, 5, 5, 2],
  ];
  const sgd = (p: Var[]) => new SGD(p, { lr: 0.1 });
  assert.ok(maxRelError(train(true, sgd, steps), train(false, sgd, steps)) <= 1e-6);
});

test('lazy Adam equals Adam when every row is touched, and leaves untouched rows alone', () => {
  const adam = (p: Var[]) => new Adam(p, { lr: 0.05 });
  const everyRow = [
    [0, 1, 2, 3, 4, 5],
    [5, 4, 3, 2, 1, 0],
    [3, 5, 0, 1, 4, 2],
  ];
  assert.ok(maxRelError(train(true, adam, everyRow), train(false, adam, everyRow)) <= 1e-6, 'lazy Adam with every row touched should equal Adam');
  const start = new Embedding({ numEmbeddings: 6, embeddingDim: 3, seed: 1 }).weight.data;
  const some = [
    [0, 1, 2, 0, 1, 2],
    [4, 1, 4, 0, 1, 2],
    [0, 1, 2, 0, 1, 2],
  ];
  const lazy = train(true, adam, some),
    dense = train(false, adam, some);
  for (const row of [3, 5]) for (let d = 0; d < 3; d++) assert.equal(lazy[row * 3 + d], start[row * 3 + d], `row ${row} was never used and must not move`);
  // Row 4 has moments after step 1 and no gradient in step 2: dense Adam still moves it, lazy Adam waits.
  assert.ok(maxRelError(lazy.subarray(12, 15), dense.subarray(12, 15)) > 1e-4, 'lazy Adam should not move row 4 in a step without its gradient');
});

test('sparse inputs: out-of-range, negative and non-integer ids, inconsistent CSR and wrong sizes are clear errors', () => {
  assert.throws(() => tokenSequence([0, 5], 2, 1, 5), /id at position 1 must be an integer in \[0, 5\), got 5/);
  assert.throws(() => tokenSequence([-1, 0], 2, 1, 5), /id at position 0 must be an integer in \[0, 5\), got -1/);
  assert.throws(() => tokenSequence([0.5, 0], 2, 1, 5), /got 0.5/);
  assert.throws(() => tokenSequence([0, 1, 2], 2, 1, 5), /expected T·B = 2 ids, got 3/);
  assert.throws(() => csr(2, 4, [0, 2, 1], [0, 1]), /rowPtr must be non-decreasing/);
  assert.throws(() => csr(2, 4, [0, 1], [0, 1]), /rowPtr must have rows \+ 1 = 3 entries, got 2/);
  assert.throws(() => csr(2, 4, [0, 1, 3], [0, 1]), /rowPtr\[2\] must equal the number of column indices \(2\), got 3/);
  assert.throws(() => csr(2, 4, [0, 1, 2], [0, 4]), /column index 4 at entry 1 is out of range \[0, 4\)/);
  assert.throws(() => csr(2, 4, [0, 1, 2], [0, 1], [1]), /values must have one entry per column index \(2\), got 1/);
  assert.throws(() => csr(2, 4, [0, 1, 2], [0, 1], [1, NaN]), /value at entry 1 must be finite, got NaN/);
  assert.throws(() => sparseSequence(csr(3, 4, [0, 0, 0, 0], []), 2, 2), /expected T·B = 2·2 = 4 rows, got 3/);
  const gru = new GRU({ inputSize: 6, hiddenSize: 2 });
  assert.throws(() => gru.forward(tokenSequence([0, 1], 2, 1, 5)), /sparse input must have 6 features, got 5/);
});

test('sparseProjection equals the dense product x·Wᵀ + b, and its weight gradient is sparse', () => {
  const rng = new Rng(4);
  const m = randomCsr(rng, 7, 12, true);
  const dense = csrToDense(m);
  const w = new Var(randomTensor(rng, [5, 12], 1), true, 'w');
  const b = new Var(randomTensor(rng, [5], 1), true, 'b');
  const y = sparseProjection(m, w, b);
  const gy = randomTensor(rng, [7, 5], 1);
  backward(sum(mul(y, constant(gy))));
  for (let r = 0; r < 7; r++) {
    for (let g = 0; g < 5; g++) {
      let want = b.data[g];
      for (let c = 0; c < 12; c++) want += dense[r * 12 + c] * w.data[g * 12 + c];
      assert.ok(Math.abs(y.data[r * 5 + g] - want) <= 1e-5, `y[${r}, ${g}]`);
    }
  }
  assert.ok(w.sparseGrad !== null && w.grad === null);
  const dw = w.denseGrad()!.data;
  for (let g = 0; g < 5; g++) {
    for (let c = 0; c < 12; c++) {
      let want = 0;
      for (let r = 0; r < 7; r++) want += gy.data[r * 5 + g] * dense[r * 12 + c];
      assert.ok(Math.abs(dw[g * 12 + c] - want) <= 1e-5, `dW[${g}, ${c}]`);
    }
  }
});
