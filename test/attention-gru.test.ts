// AttentionGRU: gradients, a window of 1 is the Cho-form GRU, windows clamp, weights are a distribution; Luong local-p windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionGRU, GRU, Rng, SEED_003_FORM, Tensor, Var, attentionGru, concat0, reshape } from '../src/index.js';
import { gradCheck, leaf } from './helpers/gradcheck.js';
import { maxRelError, randomTensor } from './helpers/random.js';

function params(rng: Rng, I: number, H: number, A: number) {
  return {
    wIh: leaf(rng, [3 * H, I], 'wIh', 0.6),
    wHh: leaf(rng, [3 * H, H], 'wHh', 0.6),
    bIh: leaf(rng, [3 * H], 'bIh'),
    bHh: leaf(rng, [3 * H], 'bHh'),
    wA: leaf(rng, [A, H], 'wA'),
    uA: leaf(rng, [A, H], 'uA'),
    v: leaf(rng, [A], 'v'),
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
  assert.ok(
    a.attention.toArray().every((w) => w === 1),
    'a single slot gets all the weight',
  );
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
      assert.ok(
        row.slice(t + 1).every((v) => v === 0),
        `step ${t} attends to ${t + 1} states only`,
      );
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

// ---- Luong local-p: a predicted position, a window of 2D + 1 states around it, a Gaussian ----

/** Distance of p from the nearest point where round(p) switches (x.5). */
const switchDistance = (p: number) => Math.abs(p - Math.floor(p) - 0.5);

for (const D of [1, 2]) {
  test(`local-p gradient check in float64: x, h0, every parameter and W_p, v_p (halfWidth ${D})`, () => {
    const rng = new Rng(69); // a seed whose p_t all lie ≥ 0.06 from a switch of round(p_t)
    const [T, B, I, H, A] = [7, 2, 3, 4, 3];
    const p = { ...params(rng, I, H, A), wP: leaf(rng, [A, H], 'wP', 1.5), vP: leaf(rng, [A], 'vP', 2) };
    const names = Object.keys(p) as (keyof typeof p)[];
    const x = leaf(rng, [T, B, I], 'x');
    const h0 = leaf(rng, [B, H], 'h0', 0.5);
    const local = { kind: 'predictive', halfWidth: D } as const;
    // The point must be away from every switch of round(p_t), and the windows must move.
    const probe = attentionGru(x, h0, p, local);
    const pos = probe.position!.toArray(),
      start = probe.start.toArray();
    assert.deepEqual(probe.attention.shape, [T, B, 2 * D + 1]);
    assert.ok(Math.min(...pos.map(switchDistance)) > 0.01, `p_t too close to a rounding switch: ${pos.map((v) => v.toFixed(3)).join(' ')}`);
    assert.ok(
      start.some((s) => s > 0),
      `windows never leave the start: ${start.join(' ')}`,
    );
    const f = ([xv, hv, ...w]: Var[]) => {
      const pp = Object.fromEntries(names.map((n, i) => [n, w[i]])) as typeof p;
      const { y, hN } = attentionGru(xv, hv, pp, local);
      return concat0([reshape(y, [T * B * H]), reshape(hN, [B * H])]);
    };
    const r = gradCheck(f, [x, h0, ...names.map((n) => p[n])]);
    assert.ok(r.maxError <= 1e-6, `max error ${r.maxError} at ${r.where}`);
    for (const v of [p.wP, p.vP])
      assert.ok(
        v.grad!.toArray().some((g) => Math.abs(g) > 1e-6),
        `${v.name} gets a gradient through the Gaussian`,
      );
  });
}

/**
 * The module's forward written plainly, one sequence at a time, in float64:
 * global attention (local null), or local-p with (windowed) or without
 * (windowed false: global softmax times the Gaussian) the 2D + 1 window.
 * Returns the outputs (T, B, H) and each step's weights over S_0 … S_{t−1}.
 */
function plainForward(m: AttentionGRU, x: Tensor, h0: Tensor | null, local: { D: number; windowed: boolean } | null) {
  const [T, B, I] = x.shape;
  const H = m.hiddenSize,
    A = m.attentionSize;
  const arr = (v: Var | null) => (v ? Array.from(v.data) : []);
  const [Wih, Whh, bih, bhh, Wa, Ua, va, Wp, vp] = [m.params.wIh, m.params.wHh, m.params.bIh, m.params.bHh, m.params.wA, m.params.uA, m.params.v, m.params.wP, m.params.vP].map(arr);
  const dotRow = (M: number[], r: number, vec: number[]) => vec.reduce((s, u, c) => s + M[r * vec.length + c] * u, 0);
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  const out = new Float64Array(T * B * H);
  const weights: number[][][] = Array.from({ length: T }, () => []);
  for (let b = 0; b < B; b++) {
    const S: number[][] = [h0 ? Array.from(h0.data.slice(b * H, (b + 1) * H)) : new Array(H).fill(0)];
    for (let t = 1; t <= T; t++) {
      const prev = S[t - 1];
      const xt = Array.from(x.data.slice(((t - 1) * B + b) * I, ((t - 1) * B + b + 1) * I));
      let mem = [...Array(t).keys()];
      let pt = 0;
      if (local) {
        let sp = 0;
        for (let a = 0; a < A; a++) sp += vp[a] * Math.tanh(dotRow(Wp, a, prev));
        pt = t * sig(sp);
        if (local.windowed) mem = mem.filter((j) => Math.abs(j - Math.round(pt)) <= local.D);
      }
      const e = mem.map((j) => {
        let s = 0;
        for (let a = 0; a < A; a++) s += va[a] * Math.tanh(dotRow(Wa, a, S[j]) + dotRow(Ua, a, prev));
        return s;
      });
      const z0 = e.reduce((s, ej) => s + Math.exp(ej), 0);
      const sigma = local ? local.D / 2 : 0;
      const w = new Array(t).fill(0);
      mem.forEach((j, i) => (w[j] = (Math.exp(e[i]) / z0) * (local ? Math.exp(-((j - pt) ** 2) / (2 * sigma * sigma)) : 1)));
      weights[t - 1][b] = w;
      const c = new Array(H).fill(0);
      for (let j = 0; j < t; j++) for (let d = 0; d < H; d++) c[d] += w[j] * S[j][d];
      const r = [...Array(H).keys()].map((d) => sig(dotRow(Wih, d, xt) + bih[d] + dotRow(Whh, d, prev) + bhh[d]));
      const rc = c.map((cd, d) => r[d] * cd);
      const next = [...Array(H).keys()].map((d) => {
        const z = sig(dotRow(Wih, H + d, xt) + bih[H + d] + dotRow(Whh, H + d, prev) + bhh[H + d]);
        const n = Math.tanh(dotRow(Wih, 2 * H + d, xt) + bih[2 * H + d] + dotRow(Whh.slice(2 * H * H), d, rc) + bhh[2 * H + d]);
        return (1 - z) * n + z * prev[d];
      });
      S.push(next);
      out.set(next, ((t - 1) * B + b) * H);
    }
  }
  return { out, weights };
}

/** Places the (T, B, W) slots at their states: row (t, b) as weights over S_0 … S_t. */
function placed(attention: Tensor, start: Tensor, t: number, b: number): number[] {
  const [, B, W] = attention.shape;
  const row = new Array(t + 1).fill(0);
  const s0 = start.data[t * B + b];
  for (let k = 0; k < W; k++) {
    const v = attention.data[(t * B + b) * W + k];
    if (s0 + k <= t) row[s0 + k] = v;
    else assert.equal(v, 0, `slot ${k} of step ${t} lies past the window and must be 0`);
  }
  return row;
}

test('the plain float64 reference reproduces global attention (so it can judge local-p)', () => {
  const rng = new Rng(50);
  const x = randomTensor(rng, [5, 2, 3], 1, 'float64');
  const h0 = randomTensor(rng, [2, 4], 0.5, 'float64');
  const m = new AttentionGRU({ inputSize: 3, hiddenSize: 4, attentionSize: 3, seed: 51, dtype: 'float64' });
  const got = m.forward(x, { h0 });
  const ref = plainForward(m, x, h0, null);
  assert.ok(maxRelError(got.output.data, ref.out) < 1e-12);
  for (let t = 0; t < 5; t++) for (let b = 0; b < 2; b++) assert.ok(maxRelError(placed(got.attention, got.start, t, b), ref.weights[t][b]) < 1e-12);
});

test('local-p with halfWidth covering every state is global attention times the Gaussian (plain float64 recomputation)', () => {
  const rng = new Rng(52);
  const [T, B] = [6, 3];
  const x = randomTensor(rng, [T, B, 3], 1, 'float64');
  const h0 = randomTensor(rng, [B, 4], 0.5, 'float64');
  for (const D of [T, T + 5]) {
    const m = new AttentionGRU({ inputSize: 3, hiddenSize: 4, attentionSize: 5, local: { kind: 'predictive', halfWidth: D }, seed: 53, dtype: 'float64' });
    const got = m.forward(x, { h0 });
    const ref = plainForward(m, x, h0, { D, windowed: false });
    assert.ok(maxRelError(got.output.data, ref.out) < 1e-12, `D ${D}: outputs`);
    assert.deepEqual(got.attention.shape, [T, B, T], 'slots are clamped to the sequence');
    assert.ok(got.start.toArray().every((s) => s === 0));
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const row = placed(got.attention, got.start, t, b);
        assert.ok(maxRelError(row, ref.weights[t][b]) < 1e-12, `D ${D}: weights of step ${t}`);
        assert.ok(row.reduce((s, v) => s + v, 0) < 1, 'the Gaussian is not renormalised');
        const p = got.position!.data[t * B + b];
        assert.ok(p >= 0 && p <= t + 1, `p_t = ${p} lies in [0, t]`);
      }
    }
  }
});

test('local-p windows are clamped at the sequence start (and end), matching the plain recomputation', () => {
  // W_p = 0 makes p_t = t · σ(0) = t / 2 (1-based t): windows are known in advance.
  const rng = new Rng(54);
  const [T, B, D] = [9, 2, 1];
  const x = randomTensor(rng, [T, B, 2], 1, 'float64');
  const m = new AttentionGRU({ inputSize: 2, hiddenSize: 3, local: { kind: 'predictive', halfWidth: D }, seed: 55, dtype: 'float64' });
  m.params.wP!.value.data.fill(0);
  const got = m.forward(x);
  const ref = plainForward(m, x, null, { D, windowed: true });
  assert.ok(maxRelError(got.output.data, ref.out) < 1e-12);
  assert.deepEqual(got.attention.shape, [T, B, 3]);
  for (let s = 0; s < T; s++) {
    const t = s + 1,
      p = t / 2,
      c = Math.round(p);
    const lo = Math.max(0, c - D),
      hi = Math.min(t - 1, c + D);
    for (let b = 0; b < B; b++) {
      assert.equal(got.position!.data[s * B + b], p);
      assert.equal(got.start.data[s * B + b], lo, `step ${t}: window starts at ${lo}`);
      const row = placed(got.attention, got.start, s, b);
      row.forEach((v, j) => assert.equal(v > 0, j >= lo && j <= hi, `step ${t}: state ${j} ${j >= lo && j <= hi ? 'in' : 'outside'} the window [${lo}, ${hi}]`));
      assert.ok(maxRelError(row, ref.weights[s][b]) < 1e-12);
    }
  }
  // Step 1 sees h0 alone, weighted by the Gaussian at p = 0.5; step 2 (p = 1) is cut at both ends: [0, 1].
  assert.ok(Math.abs(got.attention.data[0] - Math.exp(-(0.5 ** 2) / (2 * 0.5 ** 2))) < 1e-15);
  assert.equal(got.start.data[B], 0);
});

test('local-p options are checked: halfWidth a positive integer, one kind of window, the predictor weights', () => {
  const mk = (local: unknown, window?: number) => new AttentionGRU({ inputSize: 2, hiddenSize: 4, window, local: local as never });
  for (const D of [0, -1]) assert.throws(() => mk({ kind: 'predictive', halfWidth: D }), new RegExp(`local.halfWidth must be a positive integer, got ${D}`));
  assert.throws(() => mk({ kind: 'predictive', halfWidth: 1.5 }), /local.halfWidth must be a positive integer, got 1.5/);
  assert.throws(() => mk({ kind: 'predictive', halfWidth: NaN }), /got NaN/);
  assert.throws(() => mk({ kind: 'predictive' }), /got undefined/);
  assert.throws(() => mk({ kind: 'monotonic', halfWidth: 2 }), /local must be \{ kind: 'predictive', halfWidth: D \}, got \{"kind":"monotonic","halfWidth":2\}/);
  assert.throws(() => mk({ kind: 'predictive', halfWidth: 2 }, 3), /window and local are two kinds of local attention; give one/);
  const rng = new Rng(56);
  const x = leaf(rng, [3, 1, 2], 'x');
  const p = params(rng, 2, 4, 3);
  assert.throws(() => attentionGru(x, null, p, { kind: 'predictive', halfWidth: 2 }), /a predictive window needs the position predictor parameters wP \(A, H\) and vP \(A\)/);
  assert.throws(() => attentionGru(x, null, { ...p, wP: leaf(rng, [3, 4], 'wP'), vP: leaf(rng, [3], 'vP') }, { kind: 'predictive', halfWidth: 0 }), /halfWidth must be a positive integer, got 0/);
  assert.throws(() => attentionGru(x, null, { ...p, wP: leaf(rng, [4, 3], 'wP'), vP: leaf(rng, [3], 'vP') }, { kind: 'predictive', halfWidth: 1 }), /wP must have shape \[3, 4\], got \[4, 3\]/);
});

test('local-p: attn_pw / attn_pv in the state dict, which round-trips through loadStateDict', () => {
  const opts = { inputSize: 3, hiddenSize: 4, attentionSize: 5, local: { kind: 'predictive', halfWidth: 2 } } as const;
  const a = new AttentionGRU({ ...opts, seed: 1 });
  const b = new AttentionGRU({ ...opts, seed: 2 });
  const dict = a.stateDict();
  assert.deepEqual(Object.keys(dict), ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'attn_w', 'attn_u', 'attn_v', 'attn_pw', 'attn_pv']);
  assert.deepEqual(dict.attn_pw.shape, [5, 4]);
  assert.deepEqual(dict.attn_pv.shape, [5]);
  const x = randomTensor(new Rng(57), [8, 2, 3]);
  assert.notDeepEqual(b.forward(x).output.value.toArray(), a.forward(x).output.value.toArray());
  b.loadStateDict(dict);
  const ya = a.forward(x),
    yb = b.forward(x);
  assert.deepEqual(yb.output.value.toArray(), ya.output.value.toArray());
  assert.deepEqual(yb.attention.toArray(), ya.attention.toArray());
  assert.deepEqual(yb.start.toArray(), ya.start.toArray());
  // A global model's dict has no predictor: loading it into a local-p model names the missing keys.
  const global = new AttentionGRU({ inputSize: 3, hiddenSize: 4, attentionSize: 5 });
  assert.ok(!('attn_pw' in global.stateDict()));
  assert.throws(() => b.loadStateDict(global.stateDict()), /missing keys: attn_pw, attn_pv/);
});

// ---- Seed 003's equations: resetContext, attendInitial, updateGate ----

/**
 * Seed 003's cell written from its equations, one sequence at a time, in float64:
 *   z_t = σ(W_z x_t + U_z h_{t−1}),  r_t = σ(W_r x_t + U_r h_{t−1})   (r reaches nothing)
 *   e_ti = v_aᵀ tanh(W_a h_i + U_a h_{t−1}),  α_ti = softmax over i = 1 … t−1 (optionally the last w of them)
 *   h̃_t = tanh(W_h x_t + U_h Σ_{i=1}^{t−1} α_ti h_i)                  (an empty sum is 0)
 *   h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t
 */
function seed003(m: AttentionGRU, x: Tensor, h0: Tensor | null, window = 0): Float64Array {
  const [T, B, I] = x.shape;
  const H = m.hiddenSize,
    A = m.attentionSize;
  const [W, U, Wa, Ua, va] = [m.params.wIh, m.params.wHh, m.params.wA, m.params.uA, m.params.v].map((v) => Array.from(v.data));
  const dot = (M: number[], row: number, vec: number[]) => vec.reduce((s, u, c) => s + M[row * vec.length + c] * u, 0);
  const sig = (a: number) => 1 / (1 + Math.exp(-a));
  const out = new Float64Array(T * B * H);
  for (let b = 0; b < B; b++) {
    const h: number[][] = [h0 ? Array.from(h0.data.slice(b * H, (b + 1) * H)) : new Array(H).fill(0)];
    for (let t = 1; t <= T; t++) {
      const xt = Array.from(x.data.slice(((t - 1) * B + b) * I, ((t - 1) * B + b + 1) * I));
      const prev = h[t - 1];
      const from = window > 0 ? Math.max(1, t - window) : 1;
      const memory = [...Array(t).keys()].filter((i) => i >= from && i <= t - 1);
      const e = memory.map((i) => [...Array(A).keys()].reduce((s, a) => s + va[a] * Math.tanh(dot(Wa, a, h[i]) + dot(Ua, a, prev)), 0));
      const eMax = Math.max(...e);
      const ex = e.map((v) => Math.exp(v - eMax));
      const total = ex.reduce((s, v) => s + v, 0);
      const context = new Array(H).fill(0);
      memory.forEach((i, k) => h[i].forEach((v, d) => (context[d] += (ex[k] / total) * v)));
      const next = [...Array(H).keys()].map((d) => {
        const z = sig(dot(W, H + d, xt) + dot(U, H + d, prev));
        const cand = Math.tanh(dot(W, 2 * H + d, xt) + dot(U.slice(2 * H * H), d, context));
        return (1 - z) * prev[d] + z * cand;
      });
      h.push(next);
      out.set(next, ((t - 1) * B + b) * H);
    }
  }
  return out;
}

test("seed 003's equations exactly: { bias: false, resetContext: false, attendInitial: false, updateGate: 'candidate' } (float64 recomputation ≤ 1e-6)", () => {
  const rng = new Rng(80);
  const [T, B] = [7, 3];
  const x = randomTensor(rng, [T, B, 3], 1, 'float64');
  const h0 = randomTensor(rng, [B, 4], 0.5, 'float64');
  for (const window of [0, 2]) {
    const m = new AttentionGRU({ inputSize: 3, hiddenSize: 4, attentionSize: 5, window, bias: false, ...SEED_003_FORM, seed: 81, dtype: 'float64' });
    for (const init of [h0, null]) {
      const got = m.forward(x, init ? { h0: init } : {});
      const ref = seed003(m, x, init, window);
      const diff = Math.max(...Array.from(got.output.data, (v, i) => Math.abs(v - ref[i])));
      assert.ok(diff <= 1e-6, `window ${window}: max difference ${diff}`);
      // t = 1 reads an empty memory: its weights are all 0 and h_1 = (1 − z) h0 + z tanh(W_h x_1).
      assert.ok(
        got.attention
          .toArray()
          .slice(0, B * got.attention.shape[2])
          .every((a) => a === 0),
      );
    }
  }
  // The library's default form differs from it (the test above could fail).
  const dflt = new AttentionGRU({ inputSize: 3, hiddenSize: 4, attentionSize: 5, bias: false, seed: 81, dtype: 'float64' });
  const dd = dflt.forward(x, { h0 }).output.data,
    rr = seed003(dflt, x, h0);
  assert.ok(Math.max(...Array.from(dd, (v, i) => Math.abs(v - rr[i]))) > 1e-3);
});

for (const [label, form, window] of [
  ['seed-003 form, global', SEED_003_FORM, 0],
  ['seed-003 form, window 2', SEED_003_FORM, 2],
  ['seed-003 form, local-p D 1', SEED_003_FORM, { kind: 'predictive', halfWidth: 1 }],
  ['resetContext false alone', { resetContext: false }, 0],
  ['attendInitial false alone, window 3', { attendInitial: false }, 3],
  ["updateGate 'candidate' alone", { updateGate: 'candidate' }, 0],
] as const) {
  test(`gradient check in float64 with ${label}: x, h0 and every parameter`, () => {
    const rng = new Rng(69);
    const [T, B, I, H, A] = [6, 2, 3, 4, 3];
    const local = typeof window === 'object';
    const p = { ...params(rng, I, H, A), ...(local ? { wP: leaf(rng, [A, H], 'wP', 1.5), vP: leaf(rng, [A], 'vP', 2) } : {}) };
    const names = Object.keys(p) as (keyof typeof p)[];
    const x = leaf(rng, [T, B, I], 'x');
    const h0 = leaf(rng, [B, H], 'h0', 0.5);
    if (local) {
      const pos = attentionGru(x, h0, p, window, form).position!.toArray();
      assert.ok(Math.min(...pos.map(switchDistance)) > 0.01, `p_t too close to a rounding switch: ${pos.map((v) => v.toFixed(3)).join(' ')}`);
    }
    const f = ([xv, hv, ...w]: Var[]) => {
      const pp = Object.fromEntries(names.map((n, i) => [n, w[i]])) as typeof p;
      const { y, hN } = attentionGru(xv, hv, pp, window, form);
      return concat0([reshape(y, [T * B * H]), reshape(hN, [B * H])]);
    };
    const r = gradCheck(f, [x, h0, ...names.map((n) => p[n] as Var)]);
    assert.ok(r.maxError <= 1e-6, `max error ${r.maxError} at ${r.where}`);
  });
}

test('the form options are checked', () => {
  assert.throws(() => new AttentionGRU({ inputSize: 2, hiddenSize: 4, updateGate: 'next' as 'previous' }), /updateGate must be 'previous' or 'candidate', got "next"/);
});
