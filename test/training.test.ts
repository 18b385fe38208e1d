// A seeded end-to-end training run, GRU → Linear → MSE with clipping and
// Adam, checked against an independent recomputation: the same model trained
// in float64 by plain loops written from PyTorch's definitions (nn.GRU's
// equations, clip_grad_norm_, torch.optim.Adam), sharing only the initial
// weights and the data with the library. The reference's own gradient is
// checked by central differences first, so a wrong reference cannot pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, GRU, Linear, Rng, Tensor, backward, clipGradNorm, constant, mseLoss, sliceRows } from '../src/index.js';

const [T, B, H] = [6, 16, 12];

/** Task: after reading a sequence of ±1 values, output the mean of its first three. Needs memory. */
function makeBatches(steps: number): { x: Tensor; y: Tensor }[] {
  const rng = new Rng(1);
  return Array.from({ length: steps }, () => {
    const x = Tensor.zeros([T, B, 1]);
    const y = Tensor.zeros([B, 1]);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) x.data[t * B + b] = rng.uniform() < 0.5 ? -1 : 1;
      y.data[b] = (x.data[b] + x.data[B + b] + x.data[2 * B + b]) / 3;
    }
    return { x, y };
  });
}

function makeModel() {
  const gru = new GRU({ inputSize: 1, hiddenSize: H, seed: 3 });
  const head = new Linear({ inFeatures: H, outFeatures: 1, seed: 4 });
  return { gru, head };
}

/** The library's run: losses per step, and the weights after the last. */
function run(steps: number, lr = 0.02): { losses: number[]; weights: Record<string, Float32Array> } {
  const { gru, head } = makeModel();
  const opt = new Adam([...gru.parameters(), ...head.parameters()], { lr });
  const losses: number[] = [];
  for (const { x, y } of makeBatches(steps)) {
    const { hN } = gru.forward(x);
    const loss = mseLoss(head.forward(sliceRows(hN, 0, 1, [B, H])), constant(y));
    opt.zeroGrad();
    backward(loss);
    clipGradNorm(opt.params, 5);
    opt.step();
    losses.push(loss.data[0]);
  }
  const weights: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(gru.stateDict())) weights[`gru.${k}`] = t.data as Float32Array;
  for (const [k, t] of Object.entries(head.stateDict())) weights[`head.${k}`] = t.data as Float32Array;
  return { losses, weights };
}

// ---- The float64 reference: plain arrays, no library code. ----

interface P {
  wih: Float64Array; // [3H, 1]: rows r, z, n (PyTorch's order)
  whh: Float64Array; // [3H, H]
  bih: Float64Array; // [3H]
  bhh: Float64Array; // [3H]
  wo: Float64Array; // [1, H]
  bo: Float64Array; // [1]
}
const KEYS = ['wih', 'whh', 'bih', 'bhh', 'wo', 'bo'] as const;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function initialWeights(): P {
  const { gru, head } = makeModel();
  const g = gru.stateDict(),
    h = head.stateDict();
  const f = (t: Tensor) => Float64Array.from(t.data);
  return { wih: f(g.weight_ih_l0), whh: f(g.weight_hh_l0), bih: f(g.bias_ih_l0), bhh: f(g.bias_hh_l0), wo: f(h.weight), bo: f(h.bias) };
}

/** Loss and gradient of one batch: nn.GRU (h' = (1 − z) ⊙ n + z ⊙ h, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))), a linear head on h_T, mean squared error. */
function lossAndGrad(p: P, x: Float32Array, y: Float32Array): { loss: number; grad: P } {
  const grad: P = { wih: new Float64Array(3 * H), whh: new Float64Array(3 * H * H), bih: new Float64Array(3 * H), bhh: new Float64Array(3 * H), wo: new Float64Array(H), bo: new Float64Array(1) };
  let loss = 0;
  for (let b = 0; b < B; b++) {
    // Forward, keeping each step's values.
    const hs: Float64Array[] = [new Float64Array(H)];
    const saved: { r: Float64Array; z: Float64Array; n: Float64Array; hn: Float64Array }[] = [];
    for (let t = 0; t < T; t++) {
      const xt = x[t * B + b],
        h = hs[t];
      const r = new Float64Array(H),
        z = new Float64Array(H),
        n = new Float64Array(H),
        hn = new Float64Array(H),
        next = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        let ar = p.wih[j] * xt + p.bih[j] + p.bhh[j];
        let az = p.wih[H + j] * xt + p.bih[H + j] + p.bhh[H + j];
        let an = p.bhh[2 * H + j];
        for (let k = 0; k < H; k++) {
          ar += p.whh[j * H + k] * h[k];
          az += p.whh[(H + j) * H + k] * h[k];
          an += p.whh[(2 * H + j) * H + k] * h[k];
        }
        r[j] = sigmoid(ar);
        z[j] = sigmoid(az);
        hn[j] = an;
        n[j] = Math.tanh(p.wih[2 * H + j] * xt + p.bih[2 * H + j] + r[j] * an);
        next[j] = (1 - z[j]) * n[j] + z[j] * h[j];
      }
      saved.push({ r, z, n, hn });
      hs.push(next);
    }
    let out = p.bo[0];
    for (let j = 0; j < H; j++) out += p.wo[j] * hs[T][j];
    const diff = out - y[b];
    loss += (diff * diff) / B;
    // Backward through time.
    const dOut = (2 * diff) / B;
    grad.bo[0] += dOut;
    let dh = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      grad.wo[j] += dOut * hs[T][j];
      dh[j] = dOut * p.wo[j];
    }
    for (let t = T - 1; t >= 0; t--) {
      const { r, z, n, hn } = saved[t];
      const h = hs[t],
        xt = x[t * B + b];
      const prev = new Float64Array(H);
      const dar = new Float64Array(H),
        daz = new Float64Array(H),
        dhn = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const dn = dh[j] * (1 - z[j]);
        const dz = dh[j] * (h[j] - n[j]);
        prev[j] += dh[j] * z[j];
        const dan = dn * (1 - n[j] * n[j]);
        grad.wih[2 * H + j] += dan * xt;
        grad.bih[2 * H + j] += dan;
        dhn[j] = dan * r[j];
        dar[j] = dan * hn[j] * r[j] * (1 - r[j]);
        daz[j] = dz * z[j] * (1 - z[j]);
      }
      for (let g = 0; g < 3; g++) {
        const da = g === 0 ? dar : g === 1 ? daz : dhn;
        for (let j = 0; j < H; j++) {
          const row = g * H + j;
          grad.bhh[row] += da[j];
          if (g < 2) {
            grad.bih[row] += da[j];
            grad.wih[row] += da[j] * xt;
          }
          for (let k = 0; k < H; k++) {
            grad.whh[row * H + k] += da[j] * h[k];
            prev[k] += p.whh[row * H + k] * da[j];
          }
        }
      }
      dh = prev;
    }
  }
  return { loss, grad };
}

/** torch.nn.utils.clip_grad_norm_ then torch.optim.Adam (defaults but lr), in float64. */
function referenceRun(steps: number, lr = 0.02): { losses: number[]; weights: P } {
  const p = initialWeights();
  const m = Object.fromEntries(KEYS.map((k) => [k, new Float64Array(p[k].length)])) as unknown as P;
  const v = Object.fromEntries(KEYS.map((k) => [k, new Float64Array(p[k].length)])) as unknown as P;
  const [beta1, beta2, eps, maxNorm] = [0.9, 0.999, 1e-8, 5];
  const losses: number[] = [];
  makeBatches(steps).forEach(({ x, y }, s) => {
    const { loss, grad } = lossAndGrad(p, x.data as Float32Array, y.data as Float32Array);
    losses.push(loss);
    let sq = 0;
    for (const k of KEYS) for (const g of grad[k]) sq += g * g;
    const coef = maxNorm / (Math.sqrt(sq) + 1e-6);
    const t = s + 1;
    for (const k of KEYS) {
      for (let i = 0; i < p[k].length; i++) {
        const g = coef < 1 ? grad[k][i] * coef : grad[k][i];
        m[k][i] = beta1 * m[k][i] + (1 - beta1) * g;
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * g * g;
        const mHat = m[k][i] / (1 - beta1 ** t),
          vHat = v[k][i] / (1 - beta2 ** t);
        p[k][i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    }
  });
  return { losses, weights: p };
}

test('the float64 reference: its gradient matches central differences of its loss', () => {
  const p = initialWeights();
  const [{ x, y }] = makeBatches(1);
  const { grad } = lossAndGrad(p, x.data as Float32Array, y.data as Float32Array);
  const rng = new Rng(9);
  let checked = 0;
  for (const k of KEYS) {
    for (let c = 0; c < 6; c++) {
      const i = rng.int(p[k].length);
      const keep = p[k][i],
        h = 1e-6;
      p[k][i] = keep + h;
      const up = lossAndGrad(p, x.data as Float32Array, y.data as Float32Array).loss;
      p[k][i] = keep - h;
      const down = lossAndGrad(p, x.data as Float32Array, y.data as Float32Array).loss;
      p[k][i] = keep;
      const numeric = (up - down) / (2 * h);
      assert.ok(Math.abs(numeric - grad[k][i]) <= 1e-7 + 1e-5 * Math.abs(numeric), `${k}[${i}]: analytic ${grad[k][i]}, numeric ${numeric}`);
      checked++;
    }
  }
  assert.equal(checked, 36);
});

test('training losses and weights follow the float64 reference (PyTorch GRU, clipping, Adam) step for step', () => {
  // float32 against float64: 2e-5 apart at most over these 40 steps (losses, relative), 6e-6 (weights).
  const steps = 40;
  const lib = run(steps);
  const ref = referenceRun(steps);
  lib.losses.forEach((l, s) => {
    const r = ref.losses[s];
    assert.ok(Math.abs(l - r) <= 1e-4 * r, `step ${s + 1}: loss ${l}, float64 reference ${r}`);
  });
  const names: [keyof P, string][] = [
    ['wih', 'gru.weight_ih_l0'],
    ['whh', 'gru.weight_hh_l0'],
    ['bih', 'gru.bias_ih_l0'],
    ['bhh', 'gru.bias_hh_l0'],
    ['wo', 'head.weight'],
    ['bo', 'head.bias'],
  ];
  for (const [k, name] of names) {
    ref.weights[k].forEach((w, i) => assert.ok(Math.abs(lib.weights[name][i] - w) <= 3e-5, `${name}[${i}] after ${steps} steps: ${lib.weights[name][i]}, reference ${w}`));
  }
  // The comparison has teeth: another learning rate moves the losses well past the tolerance.
  const other = referenceRun(steps, 0.021);
  assert.ok(
    other.losses.some((l, s) => Math.abs(l - lib.losses[s]) > 2e-3 * l),
    'lr 0.021 is told apart from lr 0.02',
  );
});

test('loss falls far below its start, and the run is reproducible', () => {
  const { losses } = run(150);
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  assert.ok(last < 0.15 * first, `mean loss fell from ${first} to ${last}`);
  assert.deepEqual(run(5).losses, losses.slice(0, 5));
});
