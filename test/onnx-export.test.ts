// Exported models run in ONNX Runtime and give gru.forward's results; they re-import as the same GRU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { GRU, Rng, exportGruToOnnx, importOnnxGru } from '../src/index.js';
import { maxRelError, randomTensor } from './helpers/random.js';

const cases = [
  { numLayers: 1, bidirectional: false, resetAfter: true, batchFirst: false, bias: true },
  { numLayers: 2, bidirectional: true, resetAfter: true, batchFirst: false, bias: true },
  { numLayers: 3, bidirectional: true, resetAfter: false, batchFirst: true, bias: true },
  { numLayers: 2, bidirectional: false, resetAfter: false, batchFirst: false, bias: false },
];

for (const c of cases) {
  test(`ONNX Runtime runs the export like gru.forward: ${JSON.stringify(c)}`, async () => {
    const [T, B, I, H] = [7, 3, 5, 6];
    const gru = new GRU({ inputSize: I, hiddenSize: H, seed: 4, ...c }).eval();
    const D = c.bidirectional ? 2 : 1;
    const rng = new Rng(9);
    const x = randomTensor(rng, c.batchFirst ? [B, T, I] : [T, B, I]);
    const h0 = randomTensor(rng, [c.numLayers * D, B, H], 0.5);
    const lengths = [7, 4, 1];
    const want = gru.forward(x, { h0, lengths });
    const session = await ort.InferenceSession.create(exportGruToOnnx(gru, { initialState: true, lengths: true }));
    const got = await session.run({
      input: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
      h0: new ort.Tensor('float32', Float32Array.from(h0.data), [...h0.shape]),
      lengths: new ort.Tensor('int32', Int32Array.from(lengths), [B]),
    });
    assert.deepEqual(got.output.dims, want.output.shape);
    assert.deepEqual(got.hN.dims, want.hN.shape);
    const err = Math.max(maxRelError(got.output.data as Float32Array, want.output.data), maxRelError(got.hN.data as Float32Array, want.hN.data));
    assert.ok(err <= 1e-5, `max relative error ${err}`);
  });
}

test('a one-layer export re-imports to the same weights', () => {
  const gru = new GRU({ inputSize: 4, hiddenSize: 3, bidirectional: true, resetAfter: false, seed: 2 });
  const back = importOnnxGru(exportGruToOnnx(gru));
  assert.ok(back.gru, back.gruUnavailable ?? '');
  assert.equal(back.gru.resetAfter, false);
  const a = gru.stateDict(),
    b = back.gru.stateDict();
  for (const k of Object.keys(a)) assert.deepEqual(b[k].toArray(), a[k].toArray(), k);
});
