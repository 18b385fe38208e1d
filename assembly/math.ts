/**
 * Vectorised transcendental functions on f32x4 (4 lanes at once).
 *
 * exp: Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, the Cephes
 * degree-6 polynomial for e^r, and 2^n built in the exponent bits. The
 * relaxed-simd build evaluates the polynomials with fused multiply-adds. Within
 * 2 ulp over the clamped range [−87.3, 88.7] (checked against Math.exp by
 * the wasm backend test).
 * sigmoid: split by sign so exp never overflows: e = exp(−|x|),
 * σ = 1/(1+e) for x ≥ 0, e/(1+e) for x < 0 (no cancellation on either side).
 * tanh: the Cephes odd polynomial for |x| < 0.625 (no cancellation near 0),
 * 1 − 2/(exp(2|x|)+1) with the sign restored above it.
 */

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;

/** c + a·b: fused (relaxed_madd) in the relaxed-simd build, a multiply then an add otherwise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** c − a·b, fused in the relaxed-simd build. */
// @ts-ignore: decorator
@inline function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline const ROUND: f32 = 12582912; // 1.5·2^23: adding it rounds |y| < 2^22 to an integer, kept in the low mantissa bits

/**
 * e^x for x in [−87.34, 88.73] (the caller clamps). n = nearest(x·log2 e) by
 * the 1.5·2^23 trick (the same integer as f32x4.nearest, and its bits are
 * those of t, so no float→int conversion, which V8 expands to ~8
 * instructions). wide = false: the caller keeps n ≤ 127 and 2^n is one
 * scale; wide = true: n = 128 at the top of the range, so the scale is split.
 */
// @ts-ignore: decorator
@inline function expIn(x: v128, wide: bool): v128 {
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND));
  const n = f32x4.sub(t, f32x4.splat(ROUND));
  let r = nmadd(n, f32x4.splat(LN2_HI), x);
  r = nmadd(n, f32x4.splat(LN2_LO), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  // The low bits of t are n (two's complement, above the constant's zero low bits): (n + 127) << 23 is 2^n.
  if (!wide) return f32x4.mul(p, i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23));
  const ni = i32x4.sub(t, i32x4.splat(0x4B400000));
  const half = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, half), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** e^x for each lane (x clamped to [−87.33, 88.72], so no inf/denormals). */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  return expIn(f32x4.pmax(f32x4.pmin(x, f32x4.splat(88.7228317)), f32x4.splat(-87.3365448)), true);
}

/** σ(x) = 1/(1+e^−x) for each lane. */
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  const e = expIn(f32x4.pmax(f32x4.neg(f32x4.abs(x)), f32x4.splat(-87.3365448)), false);
  const s = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(s, f32x4.mul(e, s), f32x4.ge(x, f32x4.splat(0)));
}

/** tanh(x) for each lane. */
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const a = f32x4.abs(x);
  // Small |x|: x + x³·P(x²).
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = madd(p, z, f32x4.splat(2.06390887954e-2));
  p = madd(p, z, f32x4.splat(-5.37397155531e-2));
  p = madd(p, z, f32x4.splat(1.33314422036e-1));
  p = madd(p, z, f32x4.splat(-3.33332819422e-1));
  const small = madd(f32x4.mul(p, z), x, x);
  // Large |x|: 1 − 2/(e^{2|x|} + 1), sign of x. 2|x| stops at 20: from |x| = 10 on the result rounds to 1 anyway.
  const e = expIn(f32x4.pmin(f32x4.add(a, a), f32x4.splat(20)), false);
  const big = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(a, f32x4.splat(0.625)));
}

/** Scalar versions through lane 0, so scalar tails round exactly like the vector body. */
// @ts-ignore: decorator
@inline export function sigmoid1(x: f32): f32 {
  return f32x4.extract_lane(sigmoid4(f32x4.splat(x)), 0);
}
// @ts-ignore: decorator
@inline export function tanh1(x: f32): f32 {
  return f32x4.extract_lane(tanh4(f32x4.splat(x)), 0);
}
// @ts-ignore: decorator
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

// Exported for the accuracy test: out[i] = f(x[i]) over n floats (n any).
export function vexp(out: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), exp4(v128.load(x + (<usize>i << 2))));
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), exp1(load<f32>(x + (<usize>i << 2))));
}
export function vsigmoid(out: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), sigmoid4(v128.load(x + (<usize>i << 2))));
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), sigmoid1(load<f32>(x + (<usize>i << 2))));
}
export function vtanh(out: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), tanh4(v128.load(x + (<usize>i << 2))));
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), tanh1(load<f32>(x + (<usize>i << 2))));
}

/**
 * Backend.unaryForward for the exp-bound ops (op 0 tanh, 1 sigmoid; the
 * loader sends relu and identity to ref, where a plain loop is as fast as
 * the copies into linear memory would be).
 */
export function unaryForward(op: i32, out: usize, x: usize, n: i32): void {
  if (op == 0) vtanh(out, x, n);
  else if (op == 1) vsigmoid(out, x, n);
  else unreachable();
}
