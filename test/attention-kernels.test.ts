// The encoder–decoder attention kernels (Backend.attentionForward / attentionBackward):
// every backend present against ref on random shapes (≤ 1e-5 relative, float32), ref against an
// independent float64 recomputation (and central differences), the native tanh's accuracy, and the
// encoderAttention op on each backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Rng, Tensor, Var, backend, backendNames, backward, encoderAttention, refBackend, setBackend,
  type AttentionBackwardArgs, type AttentionForwardArgs, type Backend, type FloatArray,
} from '../src/index.js';
import { maxRelError } from './helpers/random.js';

const TOL = 1e-5;
const others = (): Backend[] => backendNames().filter((n) => n !== 'ref').map((n) => { setBackend(n); return backend(); });

function rand(rng: Rng, n: number, scale = 1, f64 = false): FloatArray {
  const a = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.range(-1, 1);
  return a;
}

interface Case {
  B: number; S: number; A: number; D: number;
  additive: boolean;
  q: FloatArray; keys: FloatArray; values: FloatArray; v: FloatArray | null; lengths: Int32Array | null;
  dContext: FloatArray;
  /** Starting values of the gradients (backward accumulates into them). */
  g0: { dq: FloatArray; dKeys: FloatArray; dValues: FloatArray; dv: FloatArray };
}

/** A random case: S up to 40, A and D mostly not multiples of 4 or 8; lengths (when present) include 1 and S. */
function randomCase(rng: Rng, additive: boolean, f64 = false, o: { withLengths?: boolean; zeroLength?: boolean } = {}): Case {
  const B = 1 + rng.int(7), S = 1 + rng.int(40);
  const pick = (): number => { const n = 1 + rng.int(70); return n % 4 === 0 ? n + 1 + rng.int(3) : n; };
  const A = pick(), D = pick();
  let lengths: Int32Array | null = null;
  if (o.withLengths ?? rng.uniform() < 0.7) {
    lengths = Int32Array.from({ length: B }, () => 1 + rng.int(S));
    lengths[0] = 1;
    if (B > 1) lengths[B - 1] = S;
    if (o.zeroLength && B > 2) lengths[1] = 0;
  }
  return {
    B, S, A, D, additive, lengths,
    q: rand(rng, B * A, 1, f64),
    keys: rand(rng, B * S * A, 2, f64), // |K + q| up to 3: both branches of the tanh
    values: rand(rng, B * S * D, 1, f64),
    v: additive ? rand(rng, A, 1, f64) : null,
    dContext: rand(rng, B * D, 1, f64),
    g0: { dq: rand(rng, B * A, 0.1, f64), dKeys: rand(rng, B * S * A, 0.1, f64), dValues: rand(rng, B * S * D, 0.1, f64), dv: rand(rng, A, 0.1, f64) },
  };
}

const like = (a: FloatArray, n: number): FloatArray => (a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n));

interface Run {
  alpha: FloatArray; context: FloatArray; u: FloatArray | null;
  dq: FloatArray | null; dKeys: FloatArray | null; dValues: FloatArray | null; dv: FloatArray | null;
}

/**
 * Forward then backward on `be`. saveU: the forward saves u and backward reads it (additive);
 * want: which gradients are asked for.
 */
function run(be: Backend, c: Case, saveU: boolean, want = { dq: true, dKeys: true, dValues: true, dv: true }): Run {
  const { B, S, A, D } = c;
  const inputs = { B, S, A, D, q: c.q, keys: c.keys, values: c.values, v: c.v, lengths: c.lengths };
  // Garbage in the outputs: the forward must overwrite them.
  const alpha = like(c.q, B * S).fill(7), context = like(c.q, B * D).fill(-3);
  const u = saveU && c.additive ? like(c.q, B * S * A) : null;
  const fa: AttentionForwardArgs = { ...inputs, alpha, context, u };
  be.attentionForward(fa);
  const g = {
    dq: want.dq ? c.g0.dq.slice() : null,
    dKeys: want.dKeys ? c.g0.dKeys.slice() : null,
    dValues: want.dValues ? c.g0.dValues.slice() : null,
    dv: want.dv && c.additive ? c.g0.dv.slice() : null,
  };
  const ba: AttentionBackwardArgs = { ...inputs, ...g, dContext: c.dContext, alpha, u };
  be.attentionBackward(ba);
  return { alpha, context, u, ...g };
}

function describe(c: Case): string {
  return `${c.additive ? 'additive' : 'dot'} B=${c.B} S=${c.S} A=${c.A} D=${c.D} lengths=${c.lengths ? `[${c.lengths.join(',')}]` : 'null'}`;
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
  for (const key of ['alpha', 'context', 'dq', 'dKeys', 'dValues', 'dv'] as const) {
    const w = want[key], g = got[key];
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
  const alpha = new Float64Array(B * S), context = new Float64Array(B * D);
  const dq = Float64Array.from(c.g0.dq), dKeys = Float64Array.from(c.g0.dKeys), dValues = Float64Array.from(c.g0.dValues);
  const dv = c.additive ? Float64Array.from(c.g0.dv) : null;
  for (let b = 0; b < B; b++) {
    const L = c.lengths ? Math.max(0, Math.min(S, c.lengths[b])) : S;
    if (L === 0) continue;
    const K = (j: number, a: number) => c.keys[(b * S + j) * A + a], Q = (a: number) => c.q[b * A + a];
    const e = Array.from({ length: L }, (_, j) => {
      let s = 0;
      for (let a = 0; a < A; a++) s += c.additive ? c.v![a] * Math.tanh(K(j, a) + Q(a)) : Q(a) * K(j, a);
      return s;
    });
    const m = Math.max(...e);
    const z = e.reduce((s, x) => s + Math.exp(x - m), 0);
    const al = e.map((x) => Math.exp(x - m) / z);
    for (let j = 0; j < L; j++) {
      alpha[b * S + j] = al[j];
      for (let d = 0; d < D; d++) context[b * D + d] += al[j] * c.values[(b * S + j) * D + d];
    }
    // Backward.
    const dAl = al.map((_, k) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += c.dContext[b * D + d] * c.values[(b * S + k) * D + d];
      return s;
    });
    for (let k = 0; k < L; k++) for (let d = 0; d < D; d++) dValues[(b * S + k) * D + d] += al[k] * c.dContext[b * D + d];
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
  return { alpha, context, u: null, dq, dKeys, dValues, dv };
}

/** The scalar Σ dContext ⊙ context of the float64 recomputation (for central differences). */
function objective(c: Case): number {
  const r = recompute({ ...c, g0: { dq: new Float64Array(c.B * c.A), dKeys: new Float64Array(c.B * c.S * c.A), dValues: new Float64Array(c.B * c.S * c.D), dv: new Float64Array(c.A) } });
  let s = 0;
  for (let i = 0; i < r.context.length; i++) s += c.dContext[i] * r.context[i];
  return s;
}

// ---------------------------------------------------------------- tests

test('ref: float32 matches a float64 recomputation (1e-5), float64 matches it to 1e-12', () => {
  for (const additive of [true, false]) {
    const rng = new Rng(additive ? 11 : 12);
    for (let n = 0; n < 12; n++) {
      const c32 = randomCase(rng, additive, false, { zeroLength: n % 4 === 0 });
      compare(run(refBackend, c32, n % 2 === 0), recompute(c32), c32, TOL, 'ref float32 vs float64');
      const c64 = randomCase(rng, additive, true, { zeroLength: n % 4 === 1 });
      compare(run(refBackend, c64, n % 2 === 1), recompute(c64), c64, 1e-12, 'ref float64 vs float64');
    }
  }
});

test('the float64 recomputation agrees with central differences', () => {
  for (const additive of [true, false]) {
    const rng = new Rng(additive ? 21 : 22);
    const c = randomCase(rng, additive, true, { withLengths: true });
    const zero = { dq: new Float64Array(c.B * c.A), dKeys: new Float64Array(c.B * c.S * c.A), dValues: new Float64Array(c.B * c.S * c.D), dv: new Float64Array(c.A) };
    const r = recompute({ ...c, g0: zero });
    const eps = 1e-6;
    const arrays = { q: c.q, keys: c.keys, values: c.values, ...(additive ? { v: c.v! } : {}) };
    const grads: Record<string, FloatArray> = { q: r.dq!, keys: r.dKeys!, values: r.dValues!, v: r.dv! };
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
        assert.ok(Math.abs(fd - grads[name][i]) <= 1e-6 * Math.max(1, Math.abs(fd)), `${additive ? 'additive' : 'dot'} d${name}[${i}]: ${grads[name][i]} vs ${fd}`);
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

for (const k of others()) {
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
      const c = randomCase(rng, n % 2 === 0);
      const want = { dq: rng.uniform() < 0.5, dKeys: rng.uniform() < 0.5, dValues: rng.uniform() < 0.5, dv: rng.uniform() < 0.5 };
      compare(run(k, c, n % 4 < 2, want), run(refBackend, c, n % 4 < 2, want), c, TOL, `${k.name} vs ref (${JSON.stringify(want)})`);
    }
  });

  test(`${k.name}: float64 attention goes to ref (identical results)`, () => {
    const rng = new Rng(34);
    for (const additive of [true, false]) {
      const c = randomCase(rng, additive, true);
      const got = run(k, c, false), want = run(refBackend, c, false);
      for (const key of ['alpha', 'context', 'dq', 'dKeys', 'dValues', 'dv'] as const) {
        if (want[key]) assert.deepEqual(got[key], want[key], `${key}`);
      }
    }
  });

  test(`${k.name}: encoderAttention (the op) matches ref: context, weights and gradients`, () => {
    const rng = new Rng(35);
    for (const score of ['additive', 'dot'] as const) {
      const B = 5, S = 13, A = 19, D = 23;
      const lengths = new Int32Array([13, 1, 7, 13, 4]);
      const data = { q: rand(rng, B * A), keys: rand(rng, B * S * A, 2), values: rand(rng, B * S * D), v: rand(rng, A), seed: rand(rng, B * D) };
      const once = (name: string) => {
        setBackend(name);
        const q = new Var(new Tensor(data.q.slice(), [B, A]), true), keys = new Var(new Tensor(data.keys.slice(), [B, S, A]), true);
        const values = new Var(new Tensor(data.values.slice(), [B, S, D]), true), v = new Var(new Tensor(data.v.slice(), [A]), true);
        const { context, weights } = encoderAttention(score, q, keys, values, score === 'additive' ? v : null, lengths);
        backward(context, new Tensor(data.seed, [B, D]));
        return { context: context.data, weights: weights.data, dq: q.grad!.data, dKeys: keys.grad!.data, dValues: values.grad!.data, dv: score === 'additive' ? v.grad!.data : null };
      };
      const got = once(k.name), want = once('ref');
      for (const key of Object.keys(want) as (keyof typeof want)[]) {
        if (want[key] === null) continue;
        const err = maxRelError(got[key]!, want[key]!);
        assert.ok(err <= TOL, `${score}: ${key} off by ${err}`);
      }
      for (let b = 0; b < B; b++) for (let j = lengths[b]; j < S; j++) assert.equal(got.weights[b * S + j], 0);
    }
  });
}

const native = (): (Backend & { attentionTanh(out: Float32Array, x: Float32Array): void }) | null => {
  if (!backendNames().includes('native')) return null;
  setBackend('native');
  return backend() as Backend & { attentionTanh(out: Float32Array, x: Float32Array): void };
};

test('native: the attention tanh is within 3e-7 relative of float64 Math.tanh', { skip: !backendNames().includes('native') && 'no native backend' }, () => {
  const nb = native()!;
  const xs: number[] = [];
  for (let i = 0; i <= 400000; i++) xs.push(-10 + (20 * i) / 400000);
  for (let e = -40; e <= 0; e++) xs.push(2 ** e, -(2 ** e), 0.625 * (1 + 2 ** e / 64), 0.625 * (1 - 2 ** e / 64));
  const x = Float32Array.from(xs);
  const out = new Float32Array(x.length);
  nb.attentionTanh(out, x);
  let worst = 0, at = 0;
  for (let i = 0; i < x.length; i++) {
    const t = Math.tanh(x[i]);
    const err = Math.abs(out[i] - t) / Math.max(Math.abs(t), 1e-30);
    if (err > worst) { worst = err; at = x[i]; }
  }
  console.log(`# native attention tanh: max relative error ${worst.toExponential(2)} at x = ${at}`);
  assert.ok(worst <= 3e-7, `max relative error ${worst} at ${at}`);
  const special = Float32Array.from([0, -0, Infinity, -Infinity, NaN, 100, -100, 1e-30]);
  const so = new Float32Array(special.length);
  nb.attentionTanh(so, special);
  assert.deepEqual(Array.from(so.subarray(0, 4)), [0, -0, 1, -1]);
  assert.ok(Number.isNaN(so[4]));
  assert.deepEqual(Array.from(so.subarray(5)), [1, -1, Math.fround(1e-30)]);
});
