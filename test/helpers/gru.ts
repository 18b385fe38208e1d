/**
 * The GRU kernel harness of every kernel test: a case (sizes, mode, y's
 * layout), its data (weights at PyTorch's initialization scale, inputs,
 * upstream gradients, the starting values of y and of the accumulated
 * gradients, the input projection), and a forward with cache then a backward
 * on a backend, returning every output.
 */
import assert from 'node:assert/strict';
import { Rng, gruCacheSizes, type Backend, type DType, type FloatArray, type GruCache } from '../../src/index.js';
import { maxRelError, rand } from './random.js';

export interface GruCase {
  T: number;
  B: number;
  I: number;
  H: number;
  reverse: boolean;
  resetAfter: boolean;
  lengths: Int32Array | null;
  bias: boolean;
  /** y's (and dy's) layout: this direction's row (t, b) at yOff + t·ldyT + b·ldy; default time-major, H wide. */
  ldy?: number;
  yOff?: number;
  ldyT?: number;
}

/** A case's y layout with its defaults, and the elements y and dy need. */
export function gruLayout(c: GruCase): { ldy: number; yOff: number; ldyT: number; size: number } {
  const ldy = c.ldy ?? c.H,
    yOff = c.yOff ?? 0,
    ldyT = c.ldyT ?? c.B * ldy;
  return { ldy, yOff, ldyT, size: Math.max(c.T * c.B * ldy, (c.T - 1) * ldyT + (c.B - 1) * ldy + yOff + c.H) };
}

export interface GruData {
  wIh: FloatArray;
  wHh: FloatArray;
  bIh: FloatArray | null;
  bHh: FloatArray | null;
  x: FloatArray;
  h0: FloatArray;
  dy: FloatArray;
  dhN: FloatArray;
  /** x·W_ihᵀ + b_ih, summed in float64 and rounded once. */
  xProj: FloatArray;
  /** y's contents before the forward: only this direction's columns may change. */
  y0: FloatArray;
  /** The gradients' starting values: backward accumulates into them. */
  g0: { dx: FloatArray; dh0: FloatArray; dWIh: FloatArray; dWHh: FloatArray; dBIh: FloatArray; dBHh: FloatArray };
}

/** A case's data, from `seed`; float32-representable values in both dtypes. */
export function gruData(c: GruCase, seed: number, dtype: DType = 'float32'): GruData {
  const { T, B, I, H } = c;
  const G = 3 * H;
  const rng = new Rng(seed);
  const r = (n: number, s = 1) => rand(rng, n, s, dtype);
  // PyTorch's initialization scale. (Much larger recurrent weights make the
  // backward recursion grow gradients to tens, where float32 arithmetic and
  // the reference's double sums part by ~2e-5.)
  const sc = 1 / Math.sqrt(H);
  const wIh = r(G * I, sc),
    wHh = r(G * H, sc);
  const bIh = c.bias ? r(G, sc) : null,
    bHh = c.bias ? r(G, sc) : null;
  const x = r(T * B * I),
    h0 = r(B * H, 0.5);
  const { size } = gruLayout(c);
  const dy = r(size),
    dhN = r(B * H),
    y0 = r(size);
  const g0 = { dx: r(T * B * I, 0.1), dh0: r(B * H, 0.1), dWIh: r(G * I, 0.1), dWHh: r(G * H, 0.1), dBIh: r(G, 0.1), dBHh: r(G, 0.1) };
  const xProj = dtype === 'float64' ? new Float64Array(T * B * G) : new Float32Array(T * B * G);
  for (let row = 0; row < T * B; row++) {
    for (let g = 0; g < G; g++) {
      let acc = bIh ? bIh[g] : 0;
      for (let i = 0; i < I; i++) acc += x[row * I + i] * wIh[g * I + i];
      xProj[row * G + g] = acc;
    }
  }
  return { wIh, wHh, bIh, bHh, x, h0, dy, dhN, xProj, y0, g0 };
}

const like = (a: FloatArray, n: number): FloatArray => (a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n));

function mode(c: GruCase, d: GruData) {
  return { T: c.T, B: c.B, I: c.I, H: c.H, wHh: d.wHh, bHh: d.bHh, reverse: c.reverse, resetAfter: c.resetAfter, lengths: c.lengths, h0: d.h0 };
}

/** The forward with a cache: y (from y0), hN and the cache. */
export function gruForwardRun(be: Backend, c: GruCase, d: GruData): { y: FloatArray; hN: FloatArray; cache: GruCache } {
  const { ldy, yOff, ldyT } = gruLayout(c);
  const s = gruCacheSizes(c);
  const cache = { gates: like(d.x, s.gates), hPrev: like(d.x, s.hPrev), hn: like(d.x, s.hn) };
  const y = d.y0.slice(),
    hN = like(d.x, c.B * c.H);
  be.gruForward({ ...mode(c, d), x: d.x, wIh: d.wIh, bIh: d.bIh, y, yOff, ldy, ldyT, hN, cache });
  return { y, hN, cache };
}

/** The backward from a cache (its own forward's, or another backend's), into copies of the starting gradients. */
export function gruBackwardRun(be: Backend, c: GruCase, d: GruData, cache: GruCache): Record<string, FloatArray> {
  const { ldy, yOff, ldyT } = gruLayout(c);
  const g = {
    dx: d.g0.dx.slice(),
    dh0: d.g0.dh0.slice(),
    dWIh: d.g0.dWIh.slice(),
    dWHh: d.g0.dWHh.slice(),
    dBIh: c.bias ? d.g0.dBIh.slice() : null,
    dBHh: c.bias ? d.g0.dBHh.slice() : null,
  };
  be.gruBackward({ ...mode(c, d), x: d.x, wIh: d.wIh, bIh: d.bIh, ...g, dy: d.dy, dyOff: yOff, ldy, ldyT, dhN: d.dhN, cache });
  const out: Record<string, FloatArray> = {};
  for (const [k, v] of Object.entries(g)) if (v) out[k] = v;
  return out;
}

/** Forward with cache, then backward with every gradient wanted: every output by name. */
export function runGru(be: Backend, c: GruCase, d: GruData): Record<string, FloatArray> {
  const { y, hN, cache } = gruForwardRun(be, c, d);
  return { y, hN, ...cache, ...gruBackwardRun(be, c, d, cache) };
}

/** Every output of `want` within `tol` (max relative error) in `got`. */
export function assertClose(got: Record<string, FloatArray | null>, want: Record<string, FloatArray | null>, tol: number, what: string): void {
  for (const key of Object.keys(want)) {
    if (want[key] === null) continue;
    const err = maxRelError(got[key]!, want[key]!);
    assert.ok(err <= tol, `${what}: ${key} off by ${err}`);
  }
}

/**
 * A small random case: either direction and reset form, lengths or not, y time-major or batch-first
 * (`o.batchFirst` fixes it), alone or one of several columns blocks.
 */
export function randomGruCase(rng: Rng, o: { batchFirst?: boolean } = {}): GruCase {
  const T = 1 + rng.int(9),
    B = 1 + rng.int(9),
    I = 1 + rng.int(40),
    H = 1 + rng.int(70);
  const reverse = rng.uniform() < 0.5,
    resetAfter = rng.uniform() < 0.5,
    bias = rng.uniform() < 0.8;
  const lengths = rng.uniform() < 0.5 ? Int32Array.from({ length: B }, () => 1 + rng.int(T)) : null;
  // y's rows: C wide (this direction's H columns at yOff), time-major or batch-first.
  const C = H + 2 * rng.int(2) * H,
    yOff = C > H ? H : 0;
  const batchFirst = o.batchFirst ?? rng.uniform() < 0.5;
  return { T, B, I, H, reverse, resetAfter, lengths, bias, yOff, ...(batchFirst ? { ldy: T * C, ldyT: C } : { ldy: C }) };
}

/** A case's description for assertion messages. */
export function describeCase(c: GruCase): string {
  const { ldy, yOff, ldyT } = gruLayout(c);
  return `T=${c.T} B=${c.B} I=${c.I} H=${c.H} reverse=${c.reverse} resetAfter=${c.resetAfter} bias=${c.bias} lengths=${!!c.lengths} y(ldy=${ldy}, yOff=${yOff}, ldyT=${ldyT})`;
}
