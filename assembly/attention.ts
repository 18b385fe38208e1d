/**
 * Encoder–decoder attention for one decoder step, the structure and formulas
 * of src/kernels/ref/attention.ts, row b at a time:
 *   scores   e_j = vᵀ tanh(K_j + q) (additive, v ≠ 0) or qᵀ K_j (dot, v = 0)
 *            over j < L, f32x4 over the key size A;
 *   softmax  in f64 over j < L (α = 0 past L), times the per-slot gain
 *            when one is given (β = α g, not renormalised);
 *   context  Σ_j β_j V_j, f32x4 over D in register blocks.
 * Key row (b, j) starts at element b·kb + j·kj of keys (and of u, dKeys),
 * value row (b, j) at b·vb + j·vj of values (and dValues): the strides of
 * src/kernels/backend.ts (dense: kb = S·A, kj = A, vb = S·D, vj = D).
 * Backward accumulates (+=) into the gradients given (0 = not wanted) and
 * recomputes tanh(K_j + q) unless the forward's u is given.
 * tanh is math.ts's tanh4 (within 3e-7 of float64, see the wasm test).
 *
 * All pointers are byte addresses; null is 0. Lengths are clamped to [0, S].
 * `work` holds S float64 (attentionWorkBytes).
 */
import { tanh1, tanh4 } from './math';

// @ts-ignore: decorator
@inline function rowLength(lengths: usize, b: i32, S: i32): i32 {
  if (lengths == 0) return S;
  const L = load<i32>(lengths + (<usize>b << 2));
  return L < 0 ? 0 : L > S ? S : L;
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** vᵀ tanh(k + q) over A, storing tanh(k + q) into u when u ≠ 0. */
function additiveScore(k: usize, q: usize, v: usize, u: usize, A: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= A; i += 8) {
    const o = <usize>i << 2;
    const t0 = tanh4(f32x4.add(v128.load(k + o), v128.load(q + o)));
    const t1 = tanh4(f32x4.add(v128.load(k + o, 16), v128.load(q + o, 16)));
    if (u != 0) {
      v128.store(u + o, t0);
      v128.store(u + o, t1, 16);
    }
    acc0 = f32x4.add(acc0, f32x4.mul(t0, v128.load(v + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(t1, v128.load(v + o, 16)));
  }
  for (; i + 4 <= A; i += 4) {
    const o = <usize>i << 2;
    const t = tanh4(f32x4.add(v128.load(k + o), v128.load(q + o)));
    if (u != 0) v128.store(u + o, t);
    acc0 = f32x4.add(acc0, f32x4.mul(t, v128.load(v + o)));
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; i < A; i++) {
    const o = <usize>i << 2;
    const t = tanh1(load<f32>(k + o) + load<f32>(q + o));
    if (u != 0) store<f32>(u + o, t);
    s += t * load<f32>(v + o);
  }
  return s;
}

/** qᵀ k over A. */
function dotScore(k: usize, q: usize, A: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= A; i += 8) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(k + o), v128.load(q + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(k + o, 16), v128.load(q + o, 16)));
  }
  for (; i + 4 <= A; i += 4) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(k + o), v128.load(q + o)));
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; i < A; i++) {
    const o = <usize>i << 2;
    s += load<f32>(k + o) * load<f32>(q + o);
  }
  return s;
}

/** out[d] = Σ_{j < L} w[j] V[j·ldv + d] for d < D (w: L floats, V: L rows of D, ldv apart). */
function weightedRows(out: usize, w: usize, V: usize, L: i32, D: i32, ldv: i32): void {
  const row = <usize>ldv << 2;
  let d = 0;
  for (; d + 16 <= D; d += 16) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let r = V + (<usize>d << 2);
    for (let j = 0; j < L; j++) {
      const wj = v128.load32_splat(w + (<usize>j << 2));
      c0 = f32x4.add(c0, f32x4.mul(wj, v128.load(r)));
      c1 = f32x4.add(c1, f32x4.mul(wj, v128.load(r, 16)));
      c2 = f32x4.add(c2, f32x4.mul(wj, v128.load(r, 32)));
      c3 = f32x4.add(c3, f32x4.mul(wj, v128.load(r, 48)));
      r += row;
    }
    const o = out + (<usize>d << 2);
    v128.store(o, c0);
    v128.store(o, c1, 16);
    v128.store(o, c2, 32);
    v128.store(o, c3, 48);
  }
  for (; d + 4 <= D; d += 4) {
    let c = f32x4.splat(0);
    let r = V + (<usize>d << 2);
    for (let j = 0; j < L; j++) {
      c = f32x4.add(c, f32x4.mul(v128.load32_splat(w + (<usize>j << 2)), v128.load(r)));
      r += row;
    }
    v128.store(out + (<usize>d << 2), c);
  }
  for (; d < D; d++) {
    let c: f32 = 0;
    let r = V + (<usize>d << 2);
    for (let j = 0; j < L; j++) {
      c += load<f32>(w + (<usize>j << 2)) * load<f32>(r);
      r += row;
    }
    store<f32>(out + (<usize>d << 2), c);
  }
}

/** Returns dcᵀ Vj; adds w·dc to dVj when dVj ≠ 0. */
function valueRowBackward(dc: usize, Vj: usize, dVj: usize, w: f32, D: i32): f32 {
  let acc = f32x4.splat(0);
  const wv = f32x4.splat(w);
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const o = <usize>d << 2;
    const c = v128.load(dc + o);
    acc = f32x4.add(acc, f32x4.mul(c, v128.load(Vj + o)));
    if (dVj != 0) v128.store(dVj + o, f32x4.add(v128.load(dVj + o), f32x4.mul(wv, c)));
  }
  let s = hsum(acc);
  for (; d < D; d++) {
    const o = <usize>d << 2;
    const c = load<f32>(dc + o);
    s += c * load<f32>(Vj + o);
    if (dVj != 0) store<f32>(dVj + o, load<f32>(dVj + o) + w * c);
  }
  return s;
}

/** Additive: dv += de·u, g = de·v·(1 − u²), dk += g, dq += g (each when ≠ 0); u recomputed when uj = 0. */
function additiveRowBackward(de: f32, k: usize, q: usize, v: usize, uj: usize, dk: usize, dq: usize, dv: usize, A: i32): void {
  const dev = f32x4.splat(de);
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= A; i += 4) {
    const o = <usize>i << 2;
    const t = uj != 0 ? v128.load(uj + o) : tanh4(f32x4.add(v128.load(k + o), v128.load(q + o)));
    if (dv != 0) v128.store(dv + o, f32x4.add(v128.load(dv + o), f32x4.mul(dev, t)));
    const g = f32x4.mul(f32x4.mul(dev, v128.load(v + o)), f32x4.sub(one, f32x4.mul(t, t)));
    if (dk != 0) v128.store(dk + o, f32x4.add(v128.load(dk + o), g));
    if (dq != 0) v128.store(dq + o, f32x4.add(v128.load(dq + o), g));
  }
  for (; i < A; i++) {
    const o = <usize>i << 2;
    const t = uj != 0 ? load<f32>(uj + o) : tanh1(load<f32>(k + o) + load<f32>(q + o));
    if (dv != 0) store<f32>(dv + o, load<f32>(dv + o) + de * t);
    const g = de * load<f32>(v + o) * (1 - t * t);
    if (dk != 0) store<f32>(dk + o, load<f32>(dk + o) + g);
    if (dq != 0) store<f32>(dq + o, load<f32>(dq + o) + g);
  }
}

/** Dot: dk += de·q, dq += de·k (each when ≠ 0). */
function dotRowBackward(de: f32, k: usize, q: usize, dk: usize, dq: usize, A: i32): void {
  const dev = f32x4.splat(de);
  let i = 0;
  for (; i + 4 <= A; i += 4) {
    const o = <usize>i << 2;
    if (dk != 0) v128.store(dk + o, f32x4.add(v128.load(dk + o), f32x4.mul(dev, v128.load(q + o))));
    if (dq != 0) v128.store(dq + o, f32x4.add(v128.load(dq + o), f32x4.mul(dev, v128.load(k + o))));
  }
  for (; i < A; i++) {
    const o = <usize>i << 2;
    if (dk != 0) store<f32>(dk + o, load<f32>(dk + o) + de * load<f32>(q + o));
    if (dq != 0) store<f32>(dq + o, load<f32>(dq + o) + de * load<f32>(k + o));
  }
}

/** Scratch bytes of {@link attentionForward}: S scores in float64. */
export function attentionForwardWorkBytes(B: i32, S: i32, A: i32, D: i32, nt: i32): usize {
  return (<usize>S << 3) + 64;
}

/** Scratch bytes of {@link attentionBackward}: S score gradients in float64. */
export function attentionBackwardWorkBytes(B: i32, S: i32, A: i32, D: i32, nt: i32): usize {
  return (<usize>S << 3) + 64;
}

/**
 * alpha (B, S), context (B, D) and, additive only and when u ≠ 0, u (the
 * keys' layout) from q (B, A), keys, values, v (A) or 0, lengths (B) or 0,
 * gain (B, S) or 0; kb, kj, vb, vj: the row strides in elements.
 */
export function attentionForward(
  alpha: usize, context: usize, u: usize,
  q: usize, keys: usize, values: usize, v: usize, lengths: usize, gain: usize,
  B: i32, S: i32, A: i32, D: i32, kb: i32, kj: i32, vb: i32, vj: i32, work: usize,
): void {
  const p = (work + 7) & ~(<usize>7); // S f64
  for (let b = 0; b < B; b++) {
    const L = rowLength(lengths, b, S);
    const qb = q + (<usize>(b * A) << 2);
    const al = alpha + (<usize>(b * S) << 2);
    // Scores (into alpha for now).
    let max = -Infinity;
    for (let j = 0; j < L; j++) {
      const r = (<usize>b * <usize>kb + <usize>j * <usize>kj) << 2;
      const e = v != 0 ? additiveScore(keys + r, qb, v, u != 0 ? u + r : 0, A) : dotScore(keys + r, qb, A);
      store<f32>(al + (<usize>j << 2), e);
      if (<f64>e > max) max = <f64>e;
    }
    // Masked softmax, in f64 (times the gain).
    let sum: f64 = 0;
    for (let j = 0; j < L; j++) {
      const e = Math.exp(<f64>load<f32>(al + (<usize>j << 2)) - max);
      store<f64>(p + (<usize>j << 3), e);
      sum += e;
    }
    if (gain != 0) {
      const g = gain + (<usize>(b * S) << 2);
      for (let j = 0; j < S; j++) {
        store<f32>(al + (<usize>j << 2), j < L ? <f32>(load<f64>(p + (<usize>j << 3)) / sum * <f64>load<f32>(g + (<usize>j << 2))) : 0);
      }
    } else {
      for (let j = 0; j < S; j++) store<f32>(al + (<usize>j << 2), j < L ? <f32>(load<f64>(p + (<usize>j << 3)) / sum) : 0);
    }
    weightedRows(context + (<usize>(b * D) << 2), al, values + ((<usize>b * <usize>vb) << 2), L, D, vj);
  }
}

/**
 * Accumulates dq (B, A), dKeys, dValues (their inputs' layouts), dv (A,
 * additive only), dGain (B, S, with a gain only) — each 0 when not wanted —
 * from dContext (B, D), the forward's alpha and (or 0) u, and the forward's inputs.
 */
export function attentionBackward(
  dq: usize, dKeys: usize, dValues: usize, dv: usize, dGain: usize,
  dContext: usize, alpha: usize, u: usize,
  q: usize, keys: usize, values: usize, v: usize, lengths: usize, gain: usize,
  B: i32, S: i32, A: i32, D: i32, kb: i32, kj: i32, vb: i32, vj: i32, work: usize,
): void {
  const dA = (work + 7) & ~(<usize>7); // S f64
  const dvp = v != 0 ? dv : 0;
  const dgp = gain != 0 ? dGain : 0;
  for (let b = 0; b < B; b++) {
    const L = rowLength(lengths, b, S);
    const al = alpha + (<usize>(b * S) << 2);
    const dc = dContext + (<usize>(b * D) << 2);
    const qb = q + (<usize>(b * A) << 2);
    const dqb = dq != 0 ? dq + (<usize>(b * A) << 2) : 0;
    // Through the context: dV_j += β_j dc, dβ_j = dcᵀ V_j.
    let dot: f64 = 0;
    for (let j = 0; j < L; j++) {
      const r = (<usize>b * <usize>vb + <usize>j * <usize>vj) << 2;
      const w = load<f32>(al + (<usize>j << 2));
      const t = valueRowBackward(dc, values + r, dValues != 0 ? dValues + r : 0, w, D);
      store<f64>(dA + (<usize>j << 3), <f64>t);
      dot += <f64>w * <f64>t;
    }
    // Through the gain, the softmax and the score.
    const g = gain != 0 ? gain + (<usize>(b * S) << 2) : 0;
    const dg = dgp != 0 ? dgp + (<usize>(b * S) << 2) : 0;
    for (let j = 0; j < L; j++) {
      const w = <f64>load<f32>(al + (<usize>j << 2));
      const da = load<f64>(dA + (<usize>j << 3));
      let de: f32;
      if (g != 0) {
        const a0 = w / <f64>load<f32>(g + (<usize>j << 2));
        de = <f32>(w * da - a0 * dot);
        if (dg != 0) store<f32>(dg + (<usize>j << 2), load<f32>(dg + (<usize>j << 2)) + <f32>(a0 * da));
      } else {
        de = <f32>(w * (da - dot));
      }
      const r = (<usize>b * <usize>kb + <usize>j * <usize>kj) << 2;
      const dk = dKeys != 0 ? dKeys + r : 0;
      if (v != 0) additiveRowBackward(de, keys + r, qb, v, u != 0 ? u + r : 0, dk, dqb, dvp, A);
      else dotRowBackward(de, keys + r, qb, dk, dqb, A);
    }
  }
}
