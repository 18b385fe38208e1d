// The teacher-forced loss of Seq2Seq (Bahdanau) through the one-node
// attention decoder against the step-by-step loop, on every backend: the same
// loss and the same gradient of every parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, backend, backendNames, backward, setBackend } from '../src/index.js';
import { Seq2Seq, makePairBatch } from '../src/tasks/seq2seq/model.js';

function lossAndGrads(model: Seq2Seq, fused: boolean, batch: ReturnType<typeof makePairBatch>): { loss: number; grads: Map<string, Float32Array> } {
  model.fusedDecoder = fused;
  model.train();
  model.reseed(5); // the same dropout masks on both paths
  for (const p of model.parameters()) p.zeroGrad();
  const loss = model.loss(batch);
  backward(loss);
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) grads.set(name, Float32Array.from(p.gradBuffer().data));
  return { loss: loss.data[0], grads };
}

test('fused attention decoder = the step-by-step loop (loss and every gradient), every backend, two encoder layers, dropout, ragged batch', () => {
  const before = backend().name;
  const rng = new Rng(1);
  const seq = (n: number, V: number) => Array.from({ length: n }, () => 4 + rng.int(V - 4));
  const src = [7, 3, 5, 1, 6].map((n) => seq(n, 12));
  const tgt = [4, 6, 2, 5, 3].map((n) => seq(n, 9));
  const batch = makePairBatch(src, tgt);
  try {
    for (const name of backendNames()) {
      setBackend(name);
      const model = new Seq2Seq({ attention: 'bahdanau', embeddingSize: 6, encoderSize: 8, encoderLayers: 2, decoderSize: 10, attentionSize: 7, maxTargetLen: 10, dropout: 0.2 }, 12, 9, 3);
      const a = lossAndGrads(model, false, batch);
      const b = lossAndGrads(model, true, batch);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-6 * Math.abs(a.loss), `${name}: loss ${b.loss} vs ${a.loss}`);
      for (const [param, g] of a.grads) {
        const h = b.grads.get(param)!;
        let scale = 0,
          worst = 0;
        for (let i = 0; i < g.length; i++) {
          scale = Math.max(scale, Math.abs(g[i]));
          worst = Math.max(worst, Math.abs(g[i] - h[i]));
        }
        assert.ok(scale > 0, `${name}: ${param} got no gradient`);
        assert.ok(worst <= 1e-5 * scale, `${name}: ${param} differs by ${worst} (largest ${scale})`);
      }
    }
  } finally {
    setBackend(before);
  }
});
