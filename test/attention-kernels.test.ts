// The attention kernels (Backend.attentionForward / attentionBackward):
// every backend present against ref on random shapes (≤ 1e-5 relative, float32), dense and strided
// (rows of a time-major history, padded rows), with and without a per-slot gain; ref against an
// independent float64 recomputation (and central differences), the native tanh's accuracy, and the
// ops built on the kernels (encoderAttention, attentionGru in all three window modes) on each backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Rng,
  Tensor,
  Var,
  attentionGru,
  backendNames,
  backward,
  concat0,
  encoderAttention,
  refBackend,
  reshape,
  type AttentionBackwardArgs,
  type AttentionForwardArgs,
  type AttentionWindow,
  type Backend,
  type FloatArray,
} from '../src/index.js';
import { maxRelError, rand } from './helpers/random.js';
import { backendNamed, forEachBackend, withBackend } from './helpers/backends.js';

const TOL = 1e-5;

interface Case {
  B: number;
  S: number;
  A: number;
  D: number;
  additive: boolean;
  q: FloatArray;
  keys: FloatArray;
  values: FloatArray;
  v: FloatArray | null;
  lengths: Int32Array | null;
  /** Per-slot weights (B, S) after the softmax, or null. */
  gain: FloatArray | null;
  dContext: FloatArray;
  /** Starting values of the gradients (backward accumulates into them). */
  g0: { dq: FloatArray; dKeys: FloatArray; dValues: FloatArray; dv: FloatArray; dGain: FloatArray };
}

/** A random case: S up to 40, A and D mostly not multiples of 4 or 8; lengths (when present) include 1 and S. */
function randomCase(rng: Rng, additive: boolean, f64 = false, o: { withLengths?: boolean; zeroLength?: boolean; gain?: boolean } = {}): Case {
  const dt = f64 ? 'float64' : 'float32';
  const B = 1 + rng.int(7),
    S = 1 + rng.int(40);
  const pick = (): number => {
    const n = 1 + rng.int(70);
    return n % 4 === 0 ? n + 1 + rng.int(3) : n;
  };
  const A = pick(),
    D = pick();
  let lengths: Int32Array | null = null;
  if (o.withLengths ?? rng.uniform() < 0.7) {
    lengths = Int32Array.from({ length: B }, () => 1 + rng.int(S));
    lengths[0] = 1;
    if (B > 1) lengths[B - 1] = S;
    if (o.zeroLength && B > 2) lengths[1] = 0;
  }
  return {
    B,
    S,
    A,
    D,
    additive,
    lengths,
    q: rand(rng, B * A, 1, dt),
    keys: rand(rng, B * S * A, 2, dt), // |K + q| up to 3: both branches of the tanh
    values: rand(rng, B * S * D, 1, dt),
    v: additive ? rand(rng, A, 1, dt) : null,
    gain: o.gain ? positive(rng, B * S, f64) : null, // in [0.01, 1]: a Gaussian's range in a local-p window
    dContext: rand(rng, B * D, 1, dt),
    g0: { dq: rand(rng, B * A, 0.1, dt), dKeys: rand(rng, B * S * A, 0.1, dt), dValues: rand(rng, B * S * D, 0.1, dt), dv: rand(rng, A, 0.1, dt), dGain: rand(rng, B * S, 0.1, dt) },
  };
}

function positive(rng: Rng, n: number, f64: boolean): FloatArray {
  const a = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 0.01 + 0.99 * rng.uniform();
  return a;
}

const like = (a: FloatArray, n: number): FloatArray => (a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n));

interface Run {
  alpha: FloatArray;
  context: FloatArray;
  u: FloatArray | null;
  dq: FloatArray | null;
  dKeys: FloatArray | null;
  dValues: FloatArray | null;
  dv: FloatArray | null;
  dGain: FloatArray | null;
}

type Want = { dq: boolean; dKeys: boolean; dValues: boolean; dv: boolean; dGain?: boolean };
const all: Want = { dq: true, dKeys: true, dValues: true, dv: true, dGain: true };

/**
 * Forward then backward on `be`. saveU: the forward saves u and backward reads it (additive);
 * want: which gradients are asked for.
 */
function run(be: Backend, c: Case, saveU: boolean, want: Want = all): Run {
  const { B, S, A, D } = c;
  const inputs = { B, S, A, D, q: c.q, keys: c.keys, values: c.values, v: c.v, lengths: c.lengths, gain: c.gain };
  // Garbage in the outputs: the forward must overwrite them.
  const alpha = like(c.q, B * S).fill(7),
    context = like(c.q, B * D).fill(-3);
  const u = saveU && c.additive ? like(c.q, B * S * A) : null;
  const fa: AttentionForwardArgs = { ...inputs, alpha, context, u };
  be.attentionForward(fa);
  const g = {
    dq: want.dq ? c.g0.dq.slice() : null,
    dKeys: want.dKeys ? c.g0.dKeys.slice() : null,
    dValues: want.dValues ? c.g0.dValues.slice() : null,
    dv: want.dv && c.additive ? c.g0.dv.slice() : null,
    dGain: (want.dGain ?? true) && c.gain ? c.g0.dGain.slice() : null,
  };
  const ba: AttentionBackwardArgs = { ...inputs, ...g, dContext: c.dContext, alpha, u };
  be.attentionBackward(ba);
  return { alpha, context, u, ...g };
}

/** Where rows (b, j) of keys and values lie: element offsets b·kb + j·kj (keys) and b·vb + j·vj (values). */
interface Layout {
  name: string;
  kb: number;
  kj: number;
  vb: number;
  vj: number;
}

/**
 * Random strided layouts of a case: 'time-major' (rows of a (S, B, ·) history, as the AttentionGRU
 * reads its states, each row padded by 0–3 elements) or 'padded' ((B, S, ·) with padded rows and gaps
 * between batch rows).
 */
function randomLayout(rng: Rng, c: Case): Layout {
  const { B, S, A, D } = c;
  const pk = rng.int(4),
    pv = rng.int(4);
  if (rng.uniform() < 0.5) return { name: 'time-major', kb: A + pk, kj: B * (A + pk), vb: D + pv, vj: B * (D + pv) };
  return { name: 'padded', kb: S * (A + pk) + rng.int(5), kj: A + pk, vb: S * (D + pv) + rng.int(5), vj: D + pv };
}

/** One past the last element of any row j < length (what a strided array must cover). */
function extent(c: Case, sb: number, sj: number, cols: number): number {
  let end = 0;
  for (let b = 0; b < c.B; b++) {
    const L = c.lengths ? Math.max(0, Math.min(c.S, c.lengths[b])) : c.S;
    if (L > 0) end = Math.max(end, b * sb + (L - 1) * sj + cols);
  }
  return end;
}

const SENTINEL = 1234.5;

/**
 * Forward then backward on `be` with keys, values (and u, dKeys, dValues) in `layout`: arrays exactly
 * as long as the valid rows need, their gaps holding a sentinel. Returns the results gathered back to
 * the dense layout (rows past each length keep their dense starting values), after checking that
 * nothing outside the valid rows was written.
 */
function runStrided(be: Backend, c: Case, saveU: boolean, layout: Layout, want: Want = all): Run {
  const { B, S, A, D } = c;
  const lens = (b: number) => (c.lengths ? Math.max(0, Math.min(S, c.lengths[b])) : S);
  const kLen = extent(c, layout.kb, layout.kj, A),
    vLen = extent(c, layout.vb, layout.vj, D);
  /** Dense (B, S, cols) → strided rows j < length, the rest SENTINEL. */
  const scatter = (dense: FloatArray, n: number, sb: number, sj: number, cols: number): FloatArray => {
    const out = like(dense, n).fill(SENTINEL);
    for (let b = 0; b < B; b++) for (let j = 0; j < lens(b); j++) for (let i = 0; i < cols; i++) out[b * sb + j * sj + i] = dense[(b * S + j) * cols + i];
    return out;
  };
  /** Strided rows j < length → a copy of `base` (dense); asserts everything else is still SENTINEL. */
  const gather = (str: FloatArray, base: FloatArray, sb: number, sj: number, cols: number, what: string): FloatArray => {
    const out = base.slice();
    const seen = new Uint8Array(str.length);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < lens(b); j++) {
        for (let i = 0; i < cols; i++) {
          out[(b * S + j) * cols + i] = str[b * sb + j * sj + i];
          seen[b * sb + j * sj + i] = 1;
        }
      }
    }
    for (let i = 0; i < str.length; i++) if (!seen[i]) assert.equal(str[i], SENTINEL, `${what}: element ${i} outside the valid rows was written`);
    return out;
  };
  const strides = { keyStrideB: layout.kb, keyStrideJ: layout.kj, valueStrideB: layout.vb, valueStrideJ: layout.vj };
  const keys = scatter(c.keys, kLen, layout.kb, layout.kj, A),
    values = scatter(c.values, vLen, layout.vb, layout.vj, D);
  const inputs = { B, S, A, D, q: c.q, keys, values, v: c.v, lengths: c.lengths, gain: c.gain, ...strides };
  const alpha = like(c.q, B * S).fill(7),
    context = like(c.q, B * D).fill(-3);
  const u = saveU && c.additive ? like(c.q, kLen).fill(SENTINEL) : null;
  be.attentionForward({ ...inputs, alpha, context, u });
  const dKeys = want.dKeys ? scatter(c.g0.dKeys, kLen, layout.kb, layout.kj, A) : null;
  const dValues = want.dValues ? scatter(c.g0.dValues, vLen, layout.vb, layout.vj, D) : null;
  const g = {
    dq: want.dq ? c.g0.dq.slice() : null,
    dv: want.dv && c.additive ? c.g0.dv.slice() : null,
    dGain: (want.dGain ?? true) && c.gain ? c.g0.dGain.slice() : null,
  };
  be.attentionBackward({ ...inputs, ...g, dKeys, dValues, dContext: c.dContext, alpha, u });
  return {
    alpha,
    context,
    ...g,
    u: u ? gather(u, like(c.q, B * S * A), layout.kb, layout.kj, A, 'u') : null,
    dKeys: dKeys ? gather(dKeys, c.g0.dKeys, layout.kb, layout.kj, A, 'dKeys') : null,
    dValues: dValues ? gather(dValues, c.g0.dValues, layout.vb, layout.vj, D, 'dValues') : null,
  };
}

function describe(c: Case): string {
  return `${c.additive ? 'additive' : 'dot'}${c.gain ? ' gain' : ''} B=${c.B} S=${c.S} A=${c.A} D=${c.D} lengths=${c.lengths ? `[${c.lengths.join(',')}]` : 'null'}`;
}

/** u only where it is defined: rows j < length. */
function validRows(u: FloatArray, c: Case): number[] {
  const out: number[] = [];
  for (let b = 0; b < c.B; b++) {
    const L = c.lengths ? Math.max(0, Math.min(c.S, c.lengths[b])) : c.S;
    for (let i = b * c.S * c.A; i < (b * c.S + L) * c.A; i++) out.push(u[i]);
  }
  return out;
}

function compare(got: Run, want: Run, c: Case, tol: number, what: string): void {
  for (const key of ['alpha', 'context', 'dq', 'dKeys', 'dValues', 'dv', 'dGain'] as const) {
    const w = want[key],
      g = got[key];
    if (w === null) {
      assert.equal(g, null);
      continue;
    }
    const err = maxRelError(g!, w);
    assert.ok(err <= tol, `${what} ${describe(c)}: ${key} off by ${err}`);
  }
  if (want.u) {
    const err = maxRelError(validRows(got.u!, c), validRows(want.u, c));
    assert.ok(err <= tol, `${what} ${describe(c)}: u off by ${err}`);
  }
}

// ---------------------------------------------------------------- an independent float64 recomputation

/**
 * Forward in float64 from the definition, and backward through the explicit softmax Jacobian
 * ∂α_k/∂e_j = α_k (δ_jk − α_j), everything as plain numbers (inputs read as given).
 */
function recompute(c: Case): Run {
  const { B, S, A, D } = c;
  const alpha = new Float64Array(B * S),
    context = new Float64Array(B * D);
  const dq = Float64Array.from(c.g0.dq),
    dKeys = Float64Array.from(c.g0.dKeys),
    dValues = Float64Array.from(c.g0.dValues);
  const dv = c.additive ? Float64Array.from(c.g0.dv) : null;
  const dGain = c.gain ? Float64Array.from(c.g0.dGain) : null;
  const gain = (b: number, j: number) => (c.gain ? c.gain[b * S + j] : 1);
  for (let b = 0; b < B; b++) {
    const L = c.lengths ? Math.max(0, Math.min(S, c.lengths[b])) : S;
    if (L === 0) continue;
    const K = (j: number, a: number) => c.keys[(b * S + j) * A + a],
      Q = (a: number) => c.q[b * A + a];
    const e = Array.from({ length: L }, (_, j) => {
      let s = 0;
      for (let a = 0; a < A; a++) s += c.additive ? c.v![a] * Math.tanh(K(j, a) + Q(a)) : Q(a) * K(j, a);
      return s;
    });
    const m = Math.max(...e);
    const z = e.reduce((s, x) => s + Math.exp(x - m), 0);
    const al = e.map((x) => Math.exp(x - m) / z);
    const be = al.map((a, j) => a * gain(b, j)); // β = α g
    for (let j = 0; j < L; j++) {
      alpha[b * S + j] = be[j];
      for (let d = 0; d < D; d++) context[b * D + d] += be[j] * c.values[(b * S + j) * D + d];
    }
    // Backward: dβ_k = dc·V_k, ∂/∂α_k = g_k dβ_k, ∂/∂g_k = α_k dβ_k.
    const dBe = be.map((_, k) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += c.dContext[b * D + d] * c.values[(b * S + k) * D + d];
      return s;
    });
    const dAl = dBe.map((t, k) => t * gain(b, k));
    if (dGain) for (let k = 0; k < L; k++) dGain[b * S + k] += al[k] * dBe[k];
    for (let k = 0; k < L; k++) for (let d = 0; d < D; d++) dValues[(b * S + k) * D + d] += be[k] * c.dContext[b * D + d];
    for (let j = 0; j < L; j++) {
      let de = 0;
      for (let k = 0; k < L; k++) de += dAl[k] * al[k] * ((j === k ? 1 : 0) - al[j]);
      for (let a = 0; a < A; a++) {
        if (c.additive) {
          const t = Math.tanh(K(j, a) + Q(a));
          dv![a] += de * t;
          const g = de * c.v![a] * (1 - t * t);
          dKeys[(b * S + j) * A + a] += g;
          dq[b * A + a] += g;
        } else {
          dKeys[(b * S + j) * A + a] += de * Q(a);
          dq[b * A + a] += de * K(j, a);
        }
      }
    }
  }
  return { alpha, context, u: null, dq, dKeys, dValues, dv, dGain };
}

const zeroGrads = (c: Case) => ({ dq: new Float64Array(c.B * c.A), dKeys: new Float64Array(c.B * c.S * c.A), dValues: new Float64Array(c.B * c.S * c.D), dv: new Float64Array(c.A), dGain: new Float64Array(c.B * c.S) });

/** The scalar Σ dContext ⊙ context of the float64 recomputation (for central differences). */
function objective(c: Case): number {
  const r = recompute({ ...c, g0: zeroGrads(c) });
  let s = 0;
  for (let i = 0; i < r.context.length; i++) s += c.dContext[i] * r.context[i];
  return s;
}

// ---------------------------------------------------------------- tests

test('ref: float32 matches a float64 recomputation (1e-5), float64 matches it to 1e-12', () => {
  for (const additive of [true, false]) {
    const rng = new Rng(additive ? 11 : 12);
    for (let n = 0; n < 12; n++) {
      const c32 = randomCase(rng, additive, false, { zeroLength: n % 4 === 0, gain: n % 3 === 2 });
      compare(run(refBackend, c32, n % 2 === 0), recompute(c32), c32, TOL, 'ref float32 vs float64');
      const c64 = randomCase(rng, additive, true, { zeroLength: n % 4 === 1, gain: n % 3 === 1 });
      compare(run(refBackend, c64, n % 2 === 1), recompute(c64), c64, 1e-12, 'ref float64 vs float64');
    }
  }
});

test('the float64 recomputation agrees with central differences (with and without a gain)', () => {
  for (const [additive, withGain] of [
    [true, false],
    [false, false],
    [true, true],
    [false, true],
  ]) {
    const rng = new Rng((additive ? 21 : 22) + (withGain ? 2 : 0));
    const c = randomCase(rng, additive, true, { withLengths: true, gain: withGain });
    const r = recompute({ ...c, g0: zeroGrads(c) });
    const eps = 1e-6;
    const arrays = { q: c.q, keys: c.keys, values: c.values, ...(additive ? { v: c.v! } : {}), ...(withGain ? { gain: c.gain! } : {}) };
    const grads: Record<string, FloatArray> = { q: r.dq!, keys: r.dKeys!, values: r.dValues!, v: r.dv!, gain: r.dGain! };
    for (const [name, arr] of Object.entries(arrays)) {
      for (let n = 0; n < 6; n++) {
        const i = rng.int(arr.length);
        const x = arr[i];
        arr[i] = x + eps;
        const up = objective(c);
        arr[i] = x - eps;
        const down = objective(c);
        arr[i] = x;
        const fd = (up - down) / (2 * eps);
        assert.ok(Math.abs(fd - grads[name][i]) <= 1e-6 * Math.max(1, Math.abs(fd)), `${describe(c)} d${name}[${i}]: ${grads[name][i]} vs ${fd}`);
      }
    }
  }
});

test('ref: rows of length 0 get α = 0 and context = 0, and no gradient', () => {
  const rng = new Rng(5);
  const c = randomCase(rng, true, false, { withLengths: true });
  c.lengths!.fill(0);
  const r = run(refBackend, c, false);
  assert.ok(r.alpha.every((x) => x === 0) && r.context.every((x) => x === 0));
  assert.deepEqual(r.dq, c.g0.dq);
  assert.deepEqual(r.dKeys, c.g0.dKeys);
});

test('ref: strided keys and values (time-major, padded rows) give exactly the dense results, touching only valid rows', () => {
  const rng = new Rng(41);
  for (let n = 0; n < 48; n++) {
    const c = randomCase(rng, n % 2 === 0, n % 3 === 0, { zeroLength: n % 8 === 1, gain: n % 4 >= 2 });
    const layout = randomLayout(rng, c);
    const saveU = n % 5 < 2;
    compare(runStrided(refBackend, c, saveU, layout), run(refBackend, c, saveU), c, 0, `ref ${layout.name} vs dense`);
  }
});

forEachBackend((k) => {
  test(`${k.name}: attention forward and backward match ref (additive and dot, with and without saved u)`, () => {
    for (const additive of [true, false]) {
      const rng = new Rng(additive ? 31 : 32);
      for (let n = 0; n < 40; n++) {
        const c = randomCase(rng, additive, false, { zeroLength: n % 8 === 0 });
        const saveU = n % 2 === 0;
        compare(run(k, c, saveU), run(refBackend, c, saveU), c, TOL, `${k.name} vs ref (saveU=${saveU})`);
      }
    }
  });

  test(`${k.name}: attention backward with only some gradients wanted`, () => {
    const rng = new Rng(33);
    for (let n = 0; n < 16; n++) {
      const c = randomCase(rng, n % 2 === 0, false, { gain: n % 4 >= 2 });
      const want = { dq: rng.uniform() < 0.5, dKeys: rng.uniform() < 0.5, dValues: rng.uniform() < 0.5, dv: rng.uniform() < 0.5, dGain: rng.uniform() < 0.5 };
      compare(run(k, c, n % 4 < 2, want), run(refBackend, c, n % 4 < 2, want), c, TOL, `${k.name} vs ref (${JSON.stringify(want)})`);
    }
  });

  test(`${k.name}: a per-slot gain (forward weights β = α g, backward dGain) matches ref`, () => {
    for (const additive of [true, false]) {
      const rng = new Rng(additive ? 36 : 37);
      for (let n = 0; n < 24; n++) {
        const c = randomCase(rng, additive, false, { zeroLength: n % 8 === 0, gain: true });
        compare(run(k, c, n % 2 === 0), run(refBackend, c, n % 2 === 0), c, TOL, `${k.name} vs ref (gain)`);
      }
    }
  });

  test(`${k.name}: strided keys and values (time-major, padded rows; arrays cut after the last valid row) match dense ref`, () => {
    const rng = new Rng(38);
    for (let n = 0; n < 64; n++) {
      const c = randomCase(rng, n % 2 === 0, false, { zeroLength: n % 8 === 1, gain: n % 4 >= 2 });
      const layout = randomLayout(rng, c);
      const saveU = n % 5 < 2;
      const want = n % 3 === 0 ? { dq: rng.uniform() < 0.5, dKeys: rng.uniform() < 0.5, dValues: rng.uniform() < 0.5, dv: rng.uniform() < 0.5, dGain: rng.uniform() < 0.5 } : all;
      compare(runStrided(k, c, saveU, layout, want), run(refBackend, c, saveU, want), c, TOL, `${k.name} ${layout.name} vs dense ref`);
    }
  });

  test(`${k.name}: float64 attention goes to ref (identical results)`, () => {
    const rng = new Rng(34);
    for (const [additive, gain] of [
      [true, false],
      [false, false],
      [true, true],
    ]) {
      const c = randomCase(rng, additive, true, { gain });
      const got = run(k, c, false),
        want = run(refBackend, c, false);
      for (const key of ['alpha', 'context', 'dq', 'dKeys', 'dValues', 'dv', 'dGain'] as const) {
        if (want[key]) assert.deepEqual(got[key], want[key], `${key}`);
      }
    }
  });

  test(`${k.name}: encoderAttention (the op) matches ref: context, weights and gradients`, () => {
    const rng = new Rng(35);
    for (const score of ['additive', 'dot'] as const) {
      const B = 5,
        S = 13,
        A = 19,
        D = 23;
      const lengths = new Int32Array([13, 1, 7, 13, 4]);
      const data = { q: rand(rng, B * A), keys: rand(rng, B * S * A, 2), values: rand(rng, B * S * D), v: rand(rng, A), seed: rand(rng, B * D) };
      const once = (name: string) =>
        withBackend(name, () => {
          const q = new Var(new Tensor(data.q.slice(), [B, A]), true),
            keys = new Var(new Tensor(data.keys.slice(), [B, S, A]), true);
          const values = new Var(new Tensor(data.values.slice(), [B, S, D]), true),
            v = new Var(new Tensor(data.v.slice(), [A]), true);
          const { context, weights } = encoderAttention(score, q, keys, values, score === 'additive' ? v : null, lengths);
          backward(context, new Tensor(data.seed, [B, D]));
          return { context: context.data, weights: weights.data, dq: q.grad!.data, dKeys: keys.grad!.data, dValues: values.grad!.data, dv: score === 'additive' ? v.grad!.data : null };
        });
      const got = once(k.name),
        want = once('ref');
      for (const key of Object.keys(want) as (keyof typeof want)[]) {
        if (want[key] === null) continue;
        const err = maxRelError(got[key]!, want[key]!);
        assert.ok(err <= TOL, `${score}: ${key} off by ${err}`);
      }
      for (let b = 0; b < B; b++) for (let j = lengths[b]; j < S; j++) assert.equal(got.weights[b * S + j], 0);
    }
  });

  test(`${k.name}: attentionGru (the op, float32) matches ref: outputs, weights, windows and every gradient (global, trailing, predictive)`, () => {
    const windows: AttentionWindow[] = [0, 1, 4, { kind: 'predictive', halfWidth: 1 }, { kind: 'predictive', halfWidth: 3 }];
    for (const [T, B, I, H, A] of [
      [13, 3, 5, 7, 6],
      [9, 1, 4, 16, 32],
      [6, 2, 3, 4, 3],
    ]) {
      for (const window of windows) {
        const rng = new Rng(40 + T);
        const shapes: Record<string, number[]> = {
          wIh: [3 * H, I],
          wHh: [3 * H, H],
          bIh: [3 * H],
          bHh: [3 * H],
          wA: [A, H],
          uA: [A, H],
          v: [A],
          wP: [A, H],
          vP: [A],
        };
        const data = Object.fromEntries(
          Object.entries(shapes).map(([n, sh]) => [
            n,
            rand(
              rng,
              sh.reduce((a, b) => a * b, 1),
              0.7,
            ),
          ]),
        );
        const xs = rand(rng, T * B * I),
          h0s = rand(rng, B * H, 0.5),
          seed = rand(rng, (T + 1) * B * H);
        const once = (name: string) =>
          withBackend(name, () => {
            const p = Object.fromEntries(Object.entries(shapes).map(([n, sh]) => [n, new Var(new Tensor(data[n].slice(), sh), true)]));
            const x = new Var(new Tensor(xs.slice(), [T, B, I]), true),
              h0 = new Var(new Tensor(h0s.slice(), [B, H]), true);
            const r = attentionGru(x, h0, p as never, window);
            backward(concat0([reshape(r.y, [T * B * H]), reshape(r.hN, [B * H])]), new Tensor(seed, [(T + 1) * B * H]));
            const out: Record<string, FloatArray> = { y: r.y.data, hN: r.hN.data, attention: r.attention.data, start: r.start.data, dx: x.grad!.data, dh0: h0.grad!.data };
            if (r.position) out.position = r.position.data;
            for (const n of Object.keys(shapes)) if (p[n].grad) out[`d${n}`] = p[n].grad!.data;
            return out;
          });
        const got = once(k.name),
          want = once('ref');
        const what = `T=${T} B=${B} I=${I} H=${H} A=${A} window ${JSON.stringify(window)}`;
        assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), what);
        assert.deepEqual(got.start, want.start, `${what}: window starts`);
        if (typeof window === 'object')
          assert.ok(
            want.dwP.some((g) => g !== 0),
            `${what}: W_p gets a gradient`,
          );
        for (const key of Object.keys(want)) {
          const err = maxRelError(got[key], want[key]);
          assert.ok(err <= TOL, `${what}: ${key} off by ${err}`);
        }
      }
    }
  });
});

test('native: the vectorised tanh (attention kernels, unaryForward) is within 3e-7 relative of float64 Math.tanh', { skip: !backendNames().includes('native') && 'no native backend' }, () => {
  const nb = backendNamed('native');
  const xs: number[] = [];
  for (let i = 0; i <= 400000; i++) xs.push(-10 + (20 * i) / 400000);
  for (let e = -40; e <= 0; e++) xs.push(2 ** e, -(2 ** e), 0.625 * (1 + 2 ** e / 64), 0.625 * (1 - 2 ** e / 64));
  const x = Float32Array.from(xs);
  const out = new Float32Array(x.length);
  nb.unaryForward('tanh', out, x);
  let worst = 0,
    at = 0;
  for (let i = 0; i < x.length; i++) {
    const t = Math.tanh(x[i]);
    const err = Math.abs(out[i] - t) / Math.max(Math.abs(t), 1e-30);
    if (err > worst) {
      worst = err;
      at = x[i];
    }
  }
  console.log(`# native tanh: max relative error ${worst.toExponential(2)} at x = ${at}`);
  assert.ok(worst <= 3e-7, `max relative error ${worst} at ${at}`);
  const special = Float32Array.from([0, -0, Infinity, -Infinity, NaN, 100, -100, 1e-30]);
  const so = new Float32Array(special.length);
  nb.unaryForward('tanh', so, special);
  assert.deepEqual(Array.from(so.subarray(0, 4)), [0, -0, 1, -1]);
  assert.ok(Number.isNaN(so[4]));
  assert.deepEqual(Array.from(so.subarray(5)), [1, -1, Math.fround(1e-30)]);
});
