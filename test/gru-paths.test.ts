// The GRU's math outside the GRU kernels, held to the kernels on every
// backend (and ref): the attention GRU's own gate math (forward and its
// hand-written backward, src/autograd/ops/attention-gru.ts) and the pruned
// SparseGRU's CSR loop (src/sparse/sparse-gru.ts). Each is compared with the
// dense GRU module, whose every product and gate runs in the backend's kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, Rng, SparseGRU, Tensor, Var, attentionGru, backward, concat0, magnitudePrune, noGrad, reshape } from '../src/index.js';
import { forEachBackend, withBackend } from './helpers/backends.js';
import { maxRelError, rand } from './helpers/random.js';

const TOL = 1e-5;

/**
 * With a window of one state the attention GRU's context is the previous
 * state (softmax over one score: α = 1), so it is exactly a GRU in the Cho
 * form: n = tanh(W_n x + b_in + U_n (r ⊙ h) + b_hn). Outputs and every
 * gradient must match the GRU module (resetAfter: false) on the same weights.
 */
function attentionWindowOne(name: string, T: number, B: number, I: number, H: number, A: number, seed: number) {
  const rng = new Rng(seed);
  const sc = 1 / Math.sqrt(H);
  const w = { wIh: rand(rng, 3 * H * I, sc), wHh: rand(rng, 3 * H * H, sc), bIh: rand(rng, 3 * H, sc), bHh: rand(rng, 3 * H, sc) };
  const att = { wA: rand(rng, A * H, sc), uA: rand(rng, A * H, sc), v: rand(rng, A, sc) };
  const xs = rand(rng, T * B * I),
    h0s = rand(rng, B * H, 0.5),
    seedGrad = rand(rng, (T + 1) * B * H);
  return withBackend(name, () => {
    // The attention GRU, window 1.
    const p = {
      wIh: new Var(new Tensor(w.wIh.slice(), [3 * H, I]), true),
      wHh: new Var(new Tensor(w.wHh.slice(), [3 * H, H]), true),
      bIh: new Var(new Tensor(w.bIh.slice(), [3 * H]), true),
      bHh: new Var(new Tensor(w.bHh.slice(), [3 * H]), true),
      wA: new Var(new Tensor(att.wA.slice(), [A, H]), true),
      uA: new Var(new Tensor(att.uA.slice(), [A, H]), true),
      v: new Var(new Tensor(att.v.slice(), [A]), true),
    };
    const x1 = new Var(new Tensor(xs.slice(), [T, B, I]), true),
      h1 = new Var(new Tensor(h0s.slice(), [B, H]), true);
    const r = attentionGru(x1, h1, p, 1);
    backward(concat0([reshape(r.y, [T * B * H]), reshape(r.hN, [B * H])]), new Tensor(seedGrad.slice(), [(T + 1) * B * H]));
    // The GRU module on the same weights.
    const gru = new GRU({ inputSize: I, hiddenSize: H, resetAfter: false });
    const l = gru.layers[0][0];
    l.wIh.data.set(w.wIh);
    l.wHh.data.set(w.wHh);
    l.bIh!.data.set(w.bIh);
    l.bHh!.data.set(w.bHh);
    const x2 = new Var(new Tensor(xs.slice(), [T, B, I]), true),
      h2 = new Var(new Tensor(h0s.slice(), [1, B, H]), true);
    const g = gru.forward(x2, { h0: h2 });
    backward(concat0([reshape(g.output, [T * B * H]), reshape(g.hN, [B * H])]), new Tensor(seedGrad.slice(), [(T + 1) * B * H]));
    return {
      attention: { y: r.y.data, hN: r.hN.data, dx: x1.grad!.data, dh0: h1.grad!.data, dwIh: p.wIh.grad!.data, dwHh: p.wHh.grad!.data, dbIh: p.bIh.grad!.data, dbHh: p.bHh.grad!.data },
      gru: { y: g.output.data, hN: g.hN.data, dx: x2.grad!.data, dh0: h2.grad!.data, dwIh: l.wIh.grad!.data, dwHh: l.wHh.grad!.data, dbIh: l.bIh!.grad!.data, dbHh: l.bHh!.grad!.data },
      weights: r.attention.data,
    };
  });
}

forEachBackend(
  (k) => {
    test(`${k.name}: the attention GRU with a window of one state is the GRU kernel's Cho form: outputs and every gradient`, () => {
      for (const [i, [T, B, I, H, A]] of [
        [7, 3, 5, 9, 4],
        [1, 2, 3, 4, 2],
        [12, 1, 8, 33, 16],
      ].entries()) {
        const r = attentionWindowOne(k.name, T, B, I, H, A, 50 + i);
        assert.ok(
          r.weights.every((a) => a === 1),
          'one state, weight 1',
        );
        for (const key of Object.keys(r.gru) as (keyof typeof r.gru)[]) {
          const err = maxRelError(r.attention[key], r.gru[key]);
          assert.ok(err <= TOL, `T=${T} B=${B} I=${I} H=${H}: ${key} off by ${err}`);
        }
      }
    });

    test(`${k.name}: SparseGRU (CSR products, its own gate loop) equals the GRU module on the backend's kernels: both reset forms, bidirectional, two layers, lengths, batch-first, h0`, () => {
      let n = 0;
      for (const resetAfter of [true, false]) {
        for (const bidirectional of [false, true]) {
          for (const batchFirst of [false, true]) {
            const I = 6,
              H = 11,
              T = 5,
              B = 4;
            const gru = new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional, batchFirst, resetAfter, seed: n });
            magnitudePrune(gru, { density: 0.4 });
            const rng = new Rng(70 + n++);
            const D = bidirectional ? 2 : 1;
            const x = new Tensor(rand(rng, T * B * I), batchFirst ? [B, T, I] : [T, B, I]);
            const h0 = new Tensor(rand(rng, 2 * D * B * H, 0.5), [2 * D, B, H]);
            const lengths = Int32Array.of(5, 2, 4, 1);
            const want = withBackend(k.name, () =>
              noGrad(() => {
                gru.eval();
                return gru.forward(x, { h0, lengths });
              }),
            );
            const got = SparseGRU.fromDense(gru).forward(x, { h0, lengths });
            const what = `resetAfter=${resetAfter} bidirectional=${bidirectional} batchFirst=${batchFirst}`;
            assert.deepEqual(got.output.shape, want.output.shape, what);
            assert.ok(maxRelError(got.output.data, want.output.data) <= TOL, `${what}: output off by ${maxRelError(got.output.data, want.output.data)}`);
            assert.ok(maxRelError(got.hN.data, want.hN.data) <= TOL, `${what}: hN off by ${maxRelError(got.hN.data, want.hN.data)}`);
          }
        }
      }
    });
  },
  { withRef: true },
);
