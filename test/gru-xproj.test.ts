// The precomputed input projection of the GRU kernels (GruForwardArgs.xProj,
// GruBackwardArgs.xProj / dXProj) on every backend present: forward with
// xProj = x·W_ihᵀ + b_ih (float64) equals the normal forward; backward's
// dXProj satisfies dx = dXProj·W_ih, dW_ih = dXProjᵀ·x, db_ih = Σ dXProj
// against the normal backward, matches ref's dXProj, accumulates, is zero on
// masked steps, and leaves dx, dW_ih, db_ih alone; I = 0 with an empty x and
// W_ih works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, refBackend, gruCacheSizes, type Backend, type FloatArray } from '../src/index.js';
import { maxRelError, rand } from './helpers/random.js';
import { fastBackends } from './helpers/backends.js';
import { gruData, randomGruCase, type GruCase, type GruData } from './helpers/gru.js';

type Data = GruData;
const makeData = (c: Case, seed: number): Data => gruData(c, seed);

const TOL = 1e-5;

const backends = [...fastBackends(), refBackend];

type Case = Required<Pick<GruCase, 'ldy' | 'yOff'>> & GruCase;

function newCache(c: Case) {
  const s = gruCacheSizes(c);
  return { gates: new Float32Array(s.gates), hPrev: new Float32Array(s.hPrev), hn: new Float32Array(s.hn) };
}

/** The normal path: forward with cache, backward with every gradient. */
function runNormal(be: Backend, c: Case, d: Data) {
  const { T, B, I, H, ldy, yOff } = c;
  const G = 3 * H;
  const mode = { T, B, I, H, wIh: d.wIh, wHh: d.wHh, bIh: d.bIh, bHh: d.bHh, reverse: c.reverse, resetAfter: c.resetAfter, lengths: c.lengths };
  const cache = newCache(c);
  const y = new Float32Array(T * B * ldy),
    hN = new Float32Array(B * H);
  be.gruForward({ ...mode, y, yOff, ldy, hN, x: d.x, h0: d.h0, cache });
  const g = {
    dx: new Float32Array(T * B * I),
    dh0: new Float32Array(B * H),
    dWIh: new Float32Array(G * I),
    dWHh: new Float32Array(G * H),
    dBIh: c.bias ? new Float32Array(G) : null,
    dBHh: c.bias ? new Float32Array(G) : null,
  };
  be.gruBackward({ ...mode, ...g, dy: d.dy, dyOff: yOff, ldy, dhN: d.dhN, x: d.x, h0: d.h0, cache });
  return { y, hN, cache, ...g };
}

const SENTINEL = 7.25;

/**
 * xProj mode: no x, W_ih or b_ih (and no dx, dW_ih, db_ih). `empty`: I = 0
 * (the convention); else I keeps its size, which this mode does not use.
 */
function runProjected(be: Backend, c: Case, d: Data, empty: boolean, dXProj0: FloatArray | null = null) {
  const { T, B, H, ldy, yOff } = c;
  const G = 3 * H;
  const I = empty ? 0 : c.I;
  const mode = { T, B, I, H, wHh: d.wHh, bHh: d.bHh, reverse: c.reverse, resetAfter: c.resetAfter, lengths: c.lengths };
  const cache = newCache(c);
  const y = new Float32Array(T * B * ldy).fill(SENTINEL),
    hN = new Float32Array(B * H);
  const xProj = d.xProj.slice();
  be.gruForward({ ...mode, y, yOff, ldy, hN, h0: d.h0, cache, xProj });
  assert.deepEqual(xProj, d.xProj, 'forward must not write xProj');
  const dXProj = dXProj0 ? dXProj0.slice() : new Float32Array(T * B * G);
  const g = { dh0: new Float32Array(B * H), dWHh: new Float32Array(G * H), dBHh: c.bias ? new Float32Array(G) : null };
  be.gruBackward({ ...mode, ...g, dy: d.dy, dyOff: yOff, ldy, dhN: d.dhN, h0: d.h0, cache, xProj, dXProj });
  // y's other columns survive.
  for (let r = 0; r < T * B; r++) {
    for (let j = 0; j < ldy; j++) {
      if (j < yOff || j >= yOff + H) assert.equal(y[r * ldy + j], SENTINEL, `${be.name}: y column ${j} outside [yOff, yOff + H) written`);
    }
  }
  return { y, hN, cache, dh0: g.dh0, dWHh: g.dWHh, dBHh: g.dBHh, dXProj };
}

/** The input side's gradients from dXProj, in float64: dx = dXProj·W_ih, dW_ih = dXProjᵀ·x, db_ih = Σ_rows dXProj. */
function fromDXProj(c: Case, d: Data, dXProj: FloatArray) {
  const { T, B, I, H } = c;
  const G = 3 * H,
    TB = T * B;
  const dx = new Float64Array(TB * I),
    dWIh = new Float64Array(G * I),
    dBIh = new Float64Array(G);
  for (let r = 0; r < TB; r++) {
    for (let g = 0; g < G; g++) {
      const v = dXProj[r * G + g];
      dBIh[g] += v;
      for (let i = 0; i < I; i++) {
        dx[r * I + i] += v * d.wIh[g * I + i];
        dWIh[g * I + i] += v * d.x[r * I + i];
      }
    }
  }
  return { dx, dWIh, dBIh };
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  const err = maxRelError(got, want);
  assert.ok(err <= TOL, `${what}: off by ${err}`);
}

/** Random cases, plus every combination of reverse × reset form with lengths. */
function cases(): Case[] {
  const rng = new Rng(77);
  const out: Case[] = [];
  // Time-major y (the runners here lay y out so), this direction's columns alone or among others.
  for (let n = 0; n < 14; n++) out.push(randomGruCase(rng, { batchFirst: false }) as Case);
  for (const reverse of [false, true]) {
    for (const resetAfter of [false, true]) {
      const B = 5,
        T = 6;
      out.push({ T, B, I: 13, H: 37, reverse, resetAfter, bias: true, lengths: Int32Array.from([6, 1, 4, 6, 3]), ldy: 2 * 37 + 3, yOff: 37 + 1 });
    }
  }
  return out;
}

test('the backends checked for xProj', () => {
  console.log(`# backends: ${backends.map((b) => `${b.name}${b.threads ? ` ×${b.threads()}` : ''}`).join(', ')}`);
  assert.ok(backends.some((b) => b.name === 'ref'));
});

for (const k of backends) {
  test(`${k.name}: GRU with a precomputed input projection equals the normal path`, () => {
    for (const [n, c] of cases().entries()) {
      const what = `${k.name} case ${n} T=${c.T} B=${c.B} I=${c.I} H=${c.H} reverse=${c.reverse} resetAfter=${c.resetAfter} bias=${c.bias} lengths=${!!c.lengths} ldy=${c.ldy}`;
      const d = makeData(c, 1000 + n);
      const normal = runNormal(k, c, d);
      const proj = runProjected(k, c, d, false);
      const refProj = k === refBackend ? proj : runProjected(refBackend, c, d, false);

      // Forward: outputs and the cache as in the normal path.
      for (let r = 0; r < c.T * c.B; r++) {
        close(proj.y.subarray(r * c.ldy + c.yOff, r * c.ldy + c.yOff + c.H), normal.y.subarray(r * c.ldy + c.yOff, r * c.ldy + c.yOff + c.H), `${what}: y row ${r}`);
      }
      close(proj.hN, normal.hN, `${what}: hN`);
      close(proj.cache.gates, normal.cache.gates, `${what}: cache.gates`);
      close(proj.cache.hPrev, normal.cache.hPrev, `${what}: cache.hPrev`);
      close(proj.cache.hn, normal.cache.hn, `${what}: cache.hn`);

      // Backward: the recurrent side unchanged, the input side through dXProj.
      close(proj.dh0, normal.dh0, `${what}: dh0`);
      close(proj.dWHh, normal.dWHh, `${what}: dWHh`);
      if (c.bias) close(proj.dBHh!, normal.dBHh!, `${what}: dBHh`);
      const viaProj = fromDXProj(c, d, proj.dXProj);
      close(viaProj.dx, normal.dx, `${what}: dXProj·W_ih vs dx`);
      close(viaProj.dWIh, normal.dWIh, `${what}: dXProjᵀ·x vs dWIh`);
      if (c.bias) close(viaProj.dBIh, normal.dBIh!, `${what}: Σ dXProj vs dBIh`);
      close(proj.dXProj, refProj.dXProj, `${what}: dXProj vs ref`);

      // Masked steps: zero gradient.
      if (c.lengths) {
        const G = 3 * c.H;
        for (let t = 0; t < c.T; t++) {
          for (let b = 0; b < c.B; b++) {
            if (t < c.lengths[b]) continue;
            const row = proj.dXProj.subarray((t * c.B + b) * G, (t * c.B + b + 1) * G);
            assert.ok(
              row.every((v) => v === 0),
              `${what}: dXProj nonzero at masked t=${t} b=${b}`,
            );
          }
        }
      }

      // dXProj accumulates.
      const base = rand(new Rng(n), proj.dXProj.length);
      const acc = runProjected(k, c, d, false, base).dXProj;
      const want = Float32Array.from(base, (v, i) => v + proj.dXProj[i]);
      close(acc, want, `${what}: dXProj accumulates`);
    }
  });

  test(`${k.name}: xProj mode with I = 0 and an empty x and W_ih`, () => {
    const list: Case[] = [
      { T: 4, B: 3, I: 6, H: 9, reverse: false, resetAfter: true, bias: true, lengths: null, ldy: 9, yOff: 0 },
      { T: 5, B: 4, I: 3, H: 20, reverse: true, resetAfter: false, bias: true, lengths: Int32Array.from([5, 2, 1, 4]), ldy: 43, yOff: 21 },
      { T: 3, B: 6, I: 11, H: 33, reverse: false, resetAfter: false, bias: false, lengths: Int32Array.from([1, 3, 2, 3, 3, 2]), ldy: 33, yOff: 0 },
      { T: 6, B: 2, I: 5, H: 40, reverse: true, resetAfter: true, bias: true, lengths: Int32Array.from([6, 3]), ldy: 80, yOff: 40 },
    ];
    for (const [n, c] of list.entries()) {
      const what = `${k.name} I=0 case ${n} H=${c.H} reverse=${c.reverse} resetAfter=${c.resetAfter}`;
      const d = makeData(c, 500 + n);
      const normal = runNormal(refBackend, c, d);
      const proj = runProjected(k, c, d, true);
      const refProj = runProjected(refBackend, c, d, true);
      for (let r = 0; r < c.T * c.B; r++) {
        close(proj.y.subarray(r * c.ldy + c.yOff, r * c.ldy + c.yOff + c.H), normal.y.subarray(r * c.ldy + c.yOff, r * c.ldy + c.yOff + c.H), `${what}: y row ${r}`);
      }
      close(proj.hN, normal.hN, `${what}: hN`);
      close(proj.dh0, normal.dh0, `${what}: dh0`);
      close(proj.dWHh, normal.dWHh, `${what}: dWHh`);
      close(proj.dXProj, refProj.dXProj, `${what}: dXProj vs ref`);
      const viaProj = fromDXProj(c, d, proj.dXProj);
      close(viaProj.dx, normal.dx, `${what}: dXProj·W_ih vs dx`);
      close(viaProj.dWIh, normal.dWIh, `${what}: dXProjᵀ·x vs dWIh`);
      if (c.bias) close(viaProj.dBIh, normal.dBIh!, `${what}: Σ dXProj vs dBIh`);
    }
  });
}

test('xProj without a cache, and float64 xProj (ref delegation)', () => {
  const c: Case = { T: 5, B: 3, I: 7, H: 19, reverse: true, resetAfter: false, bias: true, lengths: Int32Array.from([5, 2, 4]), ldy: 19, yOff: 0 };
  const d = makeData(c, 9);
  const want = runNormal(refBackend, c, d);
  for (const k of backends) {
    const y = new Float32Array(c.T * c.B * c.H),
      hN = new Float32Array(c.B * c.H);
    k.gruForward({
      T: c.T,
      B: c.B,
      I: 0,
      H: c.H,
      wHh: d.wHh,
      bHh: d.bHh,
      reverse: c.reverse,
      resetAfter: c.resetAfter,
      lengths: c.lengths,
      y,
      yOff: 0,
      ldy: c.H,
      hN,
      h0: d.h0,
      cache: null,
      xProj: d.xProj,
    });
    close(y, want.y, `${k.name}: y without cache`);
    close(hN, want.hN, `${k.name}: hN without cache`);
    const f64 = (a: FloatArray | null) => (a ? Float64Array.from(a) : null);
    const y64 = new Float64Array(c.T * c.B * c.H),
      hN64 = new Float64Array(c.B * c.H);
    k.gruForward({
      T: c.T,
      B: c.B,
      I: 0,
      H: c.H,
      wHh: f64(d.wHh)!,
      bHh: f64(d.bHh),
      reverse: c.reverse,
      resetAfter: c.resetAfter,
      lengths: c.lengths,
      y: y64,
      yOff: 0,
      ldy: c.H,
      hN: hN64,
      h0: f64(d.h0)!,
      cache: null,
      xProj: f64(d.xProj)!,
    });
    close(y64, want.y, `${k.name}: y in float64`);
    close(hN64, want.hN, `${k.name}: hN in float64`);
  }
});

test('xProj together with x, W_ih or b_ih (or their gradients) is refused on every backend', () => {
  const c: Case = { T: 2, B: 2, I: 3, H: 4, reverse: false, resetAfter: true, bias: true, lengths: null, ldy: 4, yOff: 0 };
  const d = makeData(c, 3);
  for (const k of backends) {
    const base = { T: 2, B: 2, I: 3, H: 4, wHh: d.wHh, bHh: d.bHh, reverse: false, resetAfter: true, lengths: null, y: new Float32Array(16), yOff: 0, ldy: 4, hN: new Float32Array(8), h0: d.h0, cache: null };
    // (the types forbid it; a caller without them gets a GruError)
    const both = { ...base, xProj: d.xProj, x: d.x, wIh: d.wIh, bIh: d.bIh } as never;
    assert.throws(
      () => k.gruForward(both),
      (e: Error) => e.name === 'GruError' && /with xProj \(the input projection\) there is no x, wIh, bIh/.test(e.message),
    );
    const neither = { ...base } as never;
    assert.throws(() => k.gruForward(neither), /expected x and wIh \(or xProj\)/);
  }
});
