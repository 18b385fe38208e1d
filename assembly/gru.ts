/**
 * GRU sequence kernels, the structure of src/kernels/ref/gru.ts exactly:
 * same gate order (r, z, n), both reset forms, reverse, lengths, the same
 * cache (gates = r, z, n; hPrev; hn = U_n h + b_hn or r ⊙ h), the input
 * projection of every step as one product before the loop, the weight
 * gradients as one product after it.
 *
 * Inside the time loop: the recurrent weights are packed once per call into
 * the micro-kernel's panel layout (forward: per gate, Whhᵀ; backward: Whh),
 * the state (a few rows) is packed per step, and the gate math runs on f32x4
 * with the vectorised sigmoid/tanh.
 *
 * Threads: every kernel takes (tid, nt, sync). Thread tid owns the hidden
 * units of panels [p0, p1) (8 units a panel) in all three gates: it computes
 * its columns of the input projection, packs its panels of the weights,
 * computes its columns of each step's product and its units' gate math, so
 * one barrier per step suffices (two for the reset-before form, whose n
 * product needs all of r ⊙ h). With nt = 1 every barrier is a no-op.
 *
 * All pointers are byte addresses of the first element; null is 0.
 * Scratch comes from `work` (see *WorkBytes), laid out by the plan functions;
 * nothing is allocated.
 */
import { MR, NR, sgemm, sgemmWorkBytes, packA, packB, blockColumn } from './gemm';
import { sigmoid4, tanh4 } from './math';
import { barrier, shareLo, shareHi } from './threads';

// ---------------------------------------------------------------- helpers

let cur: usize = 0;

/** Takes `bytes` from the plan cursor, keeping 64-byte alignment. */
// @ts-ignore: decorator
@inline function take(bytes: usize): usize {
  const p = cur;
  cur = (cur + bytes + 63) & ~(<usize>63);
  return p;
}
// @ts-ignore: decorator
@inline function align64(n: usize): usize {
  return (n + 63) & ~(<usize>63);
}
// @ts-ignore: decorator
@inline function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) / m * m;
}

/** 4 lanes (w = 4) or lane 0 only (w = 1, for row tails). */
// @ts-ignore: decorator
@inline function ld(p: usize, w: i32): v128 {
  return w == 4 ? v128.load(p) : v128.load32_splat(p);
}
// @ts-ignore: decorator
@inline function st(p: usize, v: v128, w: i32): void {
  if (w == 4) v128.store(p, v);
  else v128.store32_lane(p, v, 0);
}

// @ts-ignore: decorator
@inline function active(lengths: usize, b: i32, t: i32): bool {
  return lengths == 0 || t < load<i32>(lengths + (<usize>b << 2));
}

/**
 * C[:, gate columns] (op) = A_packed · B_packed for gates [g0, g1) and
 * panels [p0, p1) of each gate. Gate g, panel p covers columns g·H + 8p ….
 * beta = 0 overwrites, 1 accumulates.
 */
function tiles(
  M: i32, kc: i32, pA: usize, pB: usize, panelBytes: usize, gateBytes: usize,
  g0: i32, g1: i32, p0: i32, p1: i32, H: i32, C: usize, ldc: i32, beta: f32, tmp: usize,
): void {
  for (let g = g0; g < g1; g++) {
    for (let p = p0; p < p1; p++) {
      const pb = pB + <usize>g * gateBytes + <usize>p * panelBytes;
      blockColumn(M, kc, pA, pb, C + (<usize>(g * H + p * NR) << 2), ldc, 1, beta, min(NR, H - p * NR), tmp);
    }
  }
}

/** out[n, c] += bias[c] for n < N, c < C; rows ldo apart. */
export function addBiasRows(out: usize, ldo: i32, bias: usize, N: i32, C: i32): void {
  const ldb = <usize>ldo << 2;
  for (let n = 0; n < N; n++) {
    const row = out + <usize>n * ldb;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const p = row + (<usize>c << 2);
      v128.store(p, f32x4.add(v128.load(p), v128.load(bias + (<usize>c << 2))));
    }
    for (; c < C; c++) {
      const p = row + (<usize>c << 2);
      store<f32>(p, load<f32>(p) + load<f32>(bias + (<usize>c << 2)));
    }
  }
}

/** d[0..3] += the float64 pair sums lo (lanes 0, 1) and hi (lanes 2, 3), rounded once. */
// @ts-ignore: decorator
@inline function addPairs(d: usize, lo: v128, hi: v128): void {
  const old = v128.load(d);
  const l = f32x4.demote_f64x2_zero(f64x2.add(lo, f64x2.promote_low_f32x4(old)));
  const h = f32x4.demote_f64x2_zero(f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(old, old, 2, 3, 0, 1))));
  v128.store(d, v128.shuffle<f32>(l, h, 0, 1, 4, 5));
}
// @ts-ignore: decorator
@inline function lo2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline function hi2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/**
 * dBias[c] += Σ_n src[n, c] for n < N, c < C; rows lds apart. Sums of 32
 * rows in float32, joined in float64 (T·B rows can be thousands; ref's
 * one-by-one float32 sum drifts ~1e-5 there). 16 columns a pass, so every
 * cache line read is used whole.
 */
export function addColumnSums(dBias: usize, src: usize, lds: i32, N: i32, C: i32): void {
  const ls = <usize>lds << 2;
  let c = 0;
  for (; c + 16 <= C; c += 16) {
    let l0 = f64x2.splat(0), h0 = f64x2.splat(0), l1 = f64x2.splat(0), h1 = f64x2.splat(0);
    let l2 = f64x2.splat(0), h2 = f64x2.splat(0), l3 = f64x2.splat(0), h3 = f64x2.splat(0);
    let p = src + (<usize>c << 2);
    for (let n0 = 0; n0 < N; n0 += 32) {
      const n1 = min(N, n0 + 32);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let n = n0; n < n1; n++) {
        a0 = f32x4.add(a0, v128.load(p));
        a1 = f32x4.add(a1, v128.load(p, 16));
        a2 = f32x4.add(a2, v128.load(p, 32));
        a3 = f32x4.add(a3, v128.load(p, 48));
        p += ls;
      }
      l0 = f64x2.add(l0, lo2(a0)); h0 = f64x2.add(h0, hi2(a0));
      l1 = f64x2.add(l1, lo2(a1)); h1 = f64x2.add(h1, hi2(a1));
      l2 = f64x2.add(l2, lo2(a2)); h2 = f64x2.add(h2, hi2(a2));
      l3 = f64x2.add(l3, lo2(a3)); h3 = f64x2.add(h3, hi2(a3));
    }
    const d = dBias + (<usize>c << 2);
    addPairs(d, l0, h0);
    addPairs(d + 16, l1, h1);
    addPairs(d + 32, l2, h2);
    addPairs(d + 48, l3, h3);
  }
  for (; c + 4 <= C; c += 4) {
    let l = f64x2.splat(0), h = f64x2.splat(0);
    let p = src + (<usize>c << 2);
    for (let n0 = 0; n0 < N; n0 += 32) {
      const n1 = min(N, n0 + 32);
      let a = f32x4.splat(0);
      for (let n = n0; n < n1; n++) {
        a = f32x4.add(a, v128.load(p));
        p += ls;
      }
      l = f64x2.add(l, lo2(a));
      h = f64x2.add(h, hi2(a));
    }
    addPairs(dBias + (<usize>c << 2), l, h);
  }
  for (; c < C; c++) {
    let acc: f64 = 0;
    let p = src + (<usize>c << 2);
    for (let n = 0; n < N; n++) {
      acc += <f64>load<f32>(p);
      p += ls;
    }
    const d = dBias + (<usize>c << 2);
    store<f32>(d, <f32>(<f64>load<f32>(d) + acc));
  }
}

/** The units [j0, j1) of this thread: panels [p0, p1) of 8. */
let p0: i32 = 0;
let p1: i32 = 0;
let j0: i32 = 0;
let j1: i32 = 0;

function share(H: i32, tid: i32, nt: i32): void {
  const P = (H + NR - 1) / NR;
  // Whole pairs of panels (16 floats, a 64-byte line) so threads never write the same cache line.
  p0 = shareLo(P, 2, tid, nt);
  p1 = shareHi(P, 2, tid, nt);
  j0 = min(H, p0 * NR);
  j1 = min(H, p1 * NR);
}

// ---------------------------------------------------------------- forward

let fWp: usize = 0; // packed Whhᵀ, per gate: P panels of H×8
let fGh: usize = 0; // (B, 3H) U h for one step (without b_hh)
let fHa: usize = 0; // (B, H) state, double-buffered
let fHb: usize = 0;
let fRh: usize = 0; // (B, H) r ⊙ h (reset-before)
let fRb: usize = 0; // (B, H) r (reset-before)
let fPA: usize = 0; // per thread: packed A (ceil5(B)·H) + edge tile
let fPAStride: usize = 0;
let fGw: usize = 0; // per thread: sgemm workspace
let fGwStride: usize = 0;
let fGates: usize = 0; // (T, B, 3H) the gates when the caller keeps no cache
let fZero: usize = 0; // (3H) zeros: the bias when there is none

function planForward(work: usize, T: i32, B: i32, H: i32, nt: i32): usize {
  const Hp = roundUp(H, NR);
  const G = 3 * H;
  cur = work;
  fGates = take(<usize>T * B * G * 4);
  fZero = take(<usize>G * 4);
  fWp = take(<usize>(3 * Hp) * H * 4);
  fGh = take(<usize>B * G * 4);
  fHa = take(<usize>B * H * 4);
  fHb = take(<usize>B * H * 4);
  fRh = take(<usize>B * H * 4);
  fRb = take(<usize>B * H * 4);
  fPAStride = align64(<usize>roundUp(B, MR) * H * 4 + MR * NR * 4);
  fPA = take(fPAStride * nt);
  fGwStride = align64(sgemmWorkBytes());
  fGw = take(fGwStride * nt);
  return cur - work;
}

/** Bytes of `work` that {@link gruForward} needs. */
export function gruForwardWorkBytes(T: i32, B: i32, I: i32, H: i32, nt: i32): usize {
  return planForward(0, T, B, H, nt);
}

/** gi + b_i, the input projection with its bias (added here rather than in a pass of its own). */
// @ts-ignore: decorator
@inline function gib(gi: usize, bi: usize, w: i32): v128 {
  return f32x4.add(ld(gi, w), ld(bi, w));
}

/** Reset-after cell (PyTorch): r, z from (gi + b_i) + (gh + b_h); n = tanh(gi_n + b_in + r ⊙ (gh_n + b_hn)). */
// @ts-ignore: decorator
@inline function cellAfter(
  gi: usize, bi: usize, gh: usize, bh: usize, hIn: usize, hOut: usize, yp: usize, hnp: usize, H4: usize, w: i32,
): void {
  const one = f32x4.splat(1);
  const r = sigmoid4(f32x4.add(gib(gi, bi, w), f32x4.add(ld(gh, w), ld(bh, w))));
  const z = sigmoid4(f32x4.add(gib(gi + H4, bi + H4, w), f32x4.add(ld(gh + H4, w), ld(bh + H4, w))));
  const ghn = f32x4.add(ld(gh + 2 * H4, w), ld(bh + 2 * H4, w));
  const n = tanh4(f32x4.add(gib(gi + 2 * H4, bi + 2 * H4, w), f32x4.mul(r, ghn)));
  const h = f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, ld(hIn, w)));
  st(gi, r, w);
  st(gi + H4, z, w);
  st(gi + 2 * H4, n, w);
  if (hnp) st(hnp, ghn, w);
  st(hOut, h, w);
  st(yp, h, w);
}

/** Reset-before cell (Cho / ONNX default), second half: r and r ⊙ h were made before the n product. */
// @ts-ignore: decorator
@inline function cellBefore(
  gi: usize, bi: usize, gh: usize, bh: usize, rb: usize, rh: usize, hIn: usize, hOut: usize, yp: usize, hnp: usize, H4: usize, w: i32,
): void {
  const one = f32x4.splat(1);
  const z = sigmoid4(f32x4.add(gib(gi + H4, bi + H4, w), f32x4.add(ld(gh + H4, w), ld(bh + H4, w))));
  const n = tanh4(f32x4.add(gib(gi + 2 * H4, bi + 2 * H4, w), f32x4.add(ld(gh + 2 * H4, w), ld(bh + 2 * H4, w))));
  const h = f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, ld(hIn, w)));
  st(gi, ld(rb, w), w);
  st(gi + H4, z, w);
  st(gi + 2 * H4, n, w);
  if (hnp) st(hnp, ld(rh, w), w);
  st(hOut, h, w);
  st(yp, h, w);
}

/** Reset-before, first half: r = σ(gi_r + gh_r + b_hr), r ⊙ h. */
// @ts-ignore: decorator
@inline function resetGate(gi: usize, bi: usize, gh: usize, bh: usize, hIn: usize, rb: usize, rh: usize, w: i32): void {
  const r = sigmoid4(f32x4.add(gib(gi, bi, w), f32x4.add(ld(gh, w), ld(bh, w))));
  st(rb, r, w);
  st(rh, f32x4.mul(r, ld(hIn, w)), w);
}

/**
 * One direction of one GRU layer (see the ref kernel); the arguments are
 * Backend.gruForward's fields in spec order (src/kernels/spec.ts). Row
 * (t, b) of y is at y + (yOff + t·ldyT + b·ldy) floats (time-major:
 * ldyT = B·ldy; batch-first: ldy = T·ldyT); the cache (gates, hPrev, hn)
 * and the biases may be 0. Inactive steps leave h, write y = 0 and hn = 0
 * and leave gates as the input projection (as ref).
 * xProj ≠ 0: the caller's input projection x W_ihᵀ + b_ih; x, wIh and bIh
 * are 0 then.
 */
export function gruForward(
  y: usize, yOff: i32, ldy: i32, ldyT: i32, hN: usize, cacheGates: usize, hPrev: usize, hn: usize,
  xProj: usize, x: usize, h0: usize, wIh: usize, wHh: usize, bIhIn: usize, bHhIn: usize, lengths: usize,
  reverse: i32, resetAfter: i32, T: i32, B: i32, I: i32, H: i32,
  work: usize, tid: i32, nt: i32, sync: usize,
): void {
  planForward(work, T, B, H, nt);
  share(H, tid, nt);
  y += <usize>yOff << 2;
  const gates = cacheGates ? cacheGates : fGates;
  const bIh = bIhIn ? bIhIn : fZero;
  const bHh = bHhIn ? bHhIn : fZero;
  const G = 3 * H;
  const P = (H + NR - 1) / NR;
  const nj = j1 - j0;
  const H4 = <usize>H << 2;
  const G4 = <usize>G << 2;
  const panelBytes = <usize>H * NR * 4;
  const gateBytes = <usize>P * panelBytes;
  const pA = fPA + <usize>tid * fPAStride;
  const tmp = pA + <usize>roundUp(B, MR) * H4;
  const gw = fGw + <usize>tid * fGwStride;
  const TB = T * B;
  const J4 = <usize>j0 << 2;
  const ldy4 = <usize>ldy << 2;
  const ldyT4 = <usize>ldyT << 2;

  if (nj > 0) {
    for (let g = 0; g < 3; g++) {
      const col = <usize>(g * H + j0);
      memory.fill(fZero + (col << 2), 0, <usize>nj << 2); // this thread reads its own columns of the bias only
      if (xProj) {
        // The caller's gi (b_ih included) for this thread's columns.
        for (let r = 0; r < TB; r++) memory.copy(gates + <usize>r * G4 + (col << 2), xProj + <usize>r * G4 + (col << 2), <usize>nj << 2);
      } else {
        // gi = x W_ihᵀ for this thread's columns, all T·B rows at once (b_ih joins in the cells).
        sgemm(0, 1, TB, nj, I, 1, x, I, wIh + col * I * 4, I, 0, gates + (col << 2), G, gw);
      }
      // Whhᵀ columns of this gate, this thread's panels: B(k, j) = Whh[(gH + j)·H + k].
      packB(wHh + col * H4, 1, H, H, nj, fWp + <usize>g * gateBytes + <usize>p0 * panelBytes);
    }
  }

  let hCur = h0;
  let hNext = fHa;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    if (hPrev && nj > 0) {
      for (let b = 0; b < B; b++) {
        const o = <usize>b * H4 + J4;
        memory.copy(hPrev + <usize>(t * B) * H4 + o, hCur + o, <usize>nj << 2);
      }
    }
    packA(hCur, H, 1, B, H, pA);
    if (resetAfter) {
      tiles(B, H, pA, fWp, panelBytes, gateBytes, 0, 3, p0, p1, H, fGh, G, 0, tmp);
    } else {
      tiles(B, H, pA, fWp, panelBytes, gateBytes, 0, 2, p0, p1, H, fGh, G, 0, tmp);
      for (let b = 0; b < B; b++) {
        const gi = gates + <usize>(t * B + b) * G4 + J4;
        const gh = fGh + <usize>b * G4 + J4;
        const hr = <usize>b * H4 + J4;
        let j = 0;
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          resetGate(gi + o, bIh + J4 + o, gh + o, bHh + J4 + o, hCur + hr + o, fRb + hr + o, fRh + hr + o, 4);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          resetGate(gi + o, bIh + J4 + o, gh + o, bHh + J4 + o, hCur + hr + o, fRb + hr + o, fRh + hr + o, 1);
        }
      }
      barrier(sync, nt); // all of r ⊙ h before the n product
      packA(fRh, H, 1, B, H, pA);
      tiles(B, H, pA, fWp, panelBytes, gateBytes, 2, 3, p0, p1, H, fGh, G, 0, tmp);
    }
    for (let b = 0; b < B; b++) {
      const hr = <usize>b * H4 + J4;
      const yp = y + <usize>t * ldyT4 + <usize>b * ldy4 + J4;
      const hnp = hn ? hn + <usize>(t * B) * H4 + hr : 0;
      const gi = gates + <usize>(t * B + b) * G4 + J4;
      const bi = bIh + J4;
      if (!active(lengths, b, t)) {
        memory.copy(hNext + hr, hCur + hr, <usize>nj << 2);
        memory.fill(yp, 0, <usize>nj << 2);
        if (hnp) memory.fill(hnp, 0, <usize>nj << 2);
        for (let g = 0; g < 3; g++) addBiasRows(gi + <usize>g * H4, G, bi + <usize>g * H4, 1, nj); // gates keep W x + b_i, as in ref
        continue;
      }
      const gh = fGh + <usize>b * G4 + J4;
      const bh = bHh + J4;
      let j = 0;
      if (resetAfter) {
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellAfter(gi + o, bi + o, gh + o, bh + o, hCur + hr + o, hNext + hr + o, yp + o, hnp ? hnp + o : 0, H4, 4);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellAfter(gi + o, bi + o, gh + o, bh + o, hCur + hr + o, hNext + hr + o, yp + o, hnp ? hnp + o : 0, H4, 1);
        }
      } else {
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellBefore(gi + o, bi + o, gh + o, bh + o, fRb + hr + o, fRh + hr + o, hCur + hr + o, hNext + hr + o, yp + o, hnp ? hnp + o : 0, H4, 4);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellBefore(gi + o, bi + o, gh + o, bh + o, fRb + hr + o, fRh + hr + o, hCur + hr + o, hNext + hr + o, yp + o, hnp ? hnp + o : 0, H4, 1);
        }
      }
    }
    barrier(sync, nt); // the new state is complete before anyone packs it
    const done = hNext;
    hNext = done == fHa ? fHb : fHa;
    hCur = done;
  }
  if (nj > 0) {
    for (let b = 0; b < B; b++) {
      const o = <usize>b * H4 + J4;
      memory.copy(hN + o, hCur + o, <usize>nj << 2);
    }
  }
}

// ---------------------------------------------------------------- backward

let bDgi: usize = 0; // (T, B, 3H) gradient of W x + b_i
let bDgh: usize = 0; // (T, B, 3H) gradient of U h + b_h
let bDhA: usize = 0; // (B, H) gradient of the state, double-buffered
let bDhB: usize = 0;
let bDrh: usize = 0; // (B, H) gradient of r ⊙ h (reset-before)
let bWp: usize = 0; // packed Whh (K = 3H rows, N = H), P panels of 3H×8
let bPA: usize = 0;
let bPAStride: usize = 0;
let bGw: usize = 0;
let bGwStride: usize = 0;

function planBackward(work: usize, T: i32, B: i32, H: i32, nt: i32): usize {
  const Hp = roundUp(H, NR);
  const G = 3 * H;
  cur = work;
  bDgi = take(<usize>T * B * G * 4);
  bDgh = take(<usize>T * B * G * 4);
  bDhA = take(<usize>B * H * 4);
  bDhB = take(<usize>B * H * 4);
  bDrh = take(<usize>B * H * 4);
  bWp = take(<usize>Hp * G * 4);
  bPAStride = align64(<usize>roundUp(B, MR) * G * 4 + MR * NR * 4);
  bPA = take(bPAStride * nt);
  bGwStride = align64(sgemmWorkBytes());
  bGw = take(bGwStride * nt);
  return cur - work;
}

/** Bytes of `work` that {@link gruBackward} needs. */
export function gruBackwardWorkBytes(T: i32, B: i32, I: i32, H: i32, nt: i32): usize {
  return planBackward(0, T, B, H, nt);
}

/** Gate gradients of one active (b, t), 4 units or 1. */
// @ts-ignore: decorator
@inline function cellBack(
  g: usize, hp: usize, hnp: usize, dhp: usize, dyp: usize, dgi: usize, dgh: usize, dhn: usize,
  H4: usize, w: i32, resetAfter: bool,
): void {
  const one = f32x4.splat(1);
  const r = ld(g, w);
  const z = ld(g + H4, w);
  const n = ld(g + 2 * H4, w);
  let dOut = ld(dhp, w);
  if (dyp) dOut = f32x4.add(dOut, ld(dyp, w));
  // h' = (1 − z) n + z h
  const dn = f32x4.mul(dOut, f32x4.sub(one, z));
  const dzPre = f32x4.mul(f32x4.mul(f32x4.mul(dOut, f32x4.sub(ld(hp, w), n)), z), f32x4.sub(one, z));
  const dnPre = f32x4.mul(dn, f32x4.sub(one, f32x4.mul(n, n)));
  st(dgi + H4, dzPre, w);
  st(dgh + H4, dzPre, w);
  st(dgi + 2 * H4, dnPre, w);
  st(dhn, f32x4.mul(dOut, z), w);
  if (resetAfter) {
    const drPre = f32x4.mul(f32x4.mul(f32x4.mul(dnPre, ld(hnp, w)), r), f32x4.sub(one, r));
    st(dgh + 2 * H4, f32x4.mul(dnPre, r), w);
    st(dgi, drPre, w);
    st(dgh, drPre, w);
  } else {
    st(dgh + 2 * H4, dnPre, w);
  }
}

/** Reset-before: r's share once d(r ⊙ h) is known. */
// @ts-ignore: decorator
@inline function cellBackR(g: usize, hp: usize, drh: usize, dgi: usize, dgh: usize, dhn: usize, w: i32): void {
  const r = ld(g, w);
  const d = ld(drh, w);
  const drPre = f32x4.mul(f32x4.mul(f32x4.mul(d, ld(hp, w)), r), f32x4.sub(f32x4.splat(1), r));
  st(dgi, drPre, w);
  st(dgh, drPre, w);
  st(dhn, f32x4.add(ld(dhn, w), f32x4.mul(d, r)), w);
}

/**
 * Backward of {@link gruForward}, Backend.gruBackward's fields in spec order;
 * accumulates into dx, dh0, dWIh, dWHh, dBIh, dBHh, dXProj (each but dWHh
 * may be 0). dy has y's layout (offset dyOff, strides ldy, ldyT) or is 0;
 * dhN may be 0. dXProj (T, B, 3H) receives the gradient of the input
 * projection (the input-side gate gradients); with a precomputed projection
 * (xProj ≠ 0, not read) x, wIh, dx, dWIh and dBIh are 0. h0, bIh and bHh
 * are not read (the cache holds what they gave).
 */
export function gruBackward(
  dx: usize, dh0: usize, dWIh: usize, dWHh: usize, dBIh: usize, dBHh: usize, dXProj: usize,
  dy: usize, dyOff: i32, ldy: i32, ldyT: i32, dhN: usize, gates: usize, hPrev: usize, hn: usize,
  xProj: usize, x: usize, h0: usize, wIh: usize, wHh: usize, bIh: usize, bHh: usize, lengths: usize,
  reverse: i32, resetAfter: i32, T: i32, B: i32, I: i32, H: i32,
  work: usize, tid: i32, nt: i32, sync: usize,
): void {
  planBackward(work, T, B, H, nt);
  share(H, tid, nt);
  if (dy) dy += <usize>dyOff << 2;
  const G = 3 * H;
  const nj = j1 - j0;
  const H4 = <usize>H << 2;
  const G4 = <usize>G << 2;
  const J4 = <usize>j0 << 2;
  const panelBytes = <usize>G * NR * 4;
  const pA = bPA + <usize>tid * bPAStride;
  const tmp = pA + <usize>roundUp(B, MR) * G4;
  const gw = bGw + <usize>tid * bGwStride;
  const TB = T * B;
  const ldy4 = <usize>ldy << 2;
  const ldyT4 = <usize>ldyT << 2;
  const ra = resetAfter != 0;

  if (nj > 0) {
    // Whh (3H × H) columns j0..j1: B(k, j) = Whh[k·H + j].
    packB(wHh + J4, H, 1, G, nj, bWp + <usize>p0 * panelBytes);
  }
  let dh = bDhA;
  let dhNext = bDhB;
  for (let b = 0; b < B; b++) {
    const o = <usize>b * H4 + J4;
    if (dhN) memory.copy(dh + o, dhN + o, <usize>nj << 2);
    else memory.fill(dh + o, 0, <usize>nj << 2);
  }

  for (let q = T - 1; q >= 0; q--) {
    const t = reverse ? T - 1 - q : q; // the forward order, walked backwards
    const gt = <usize>(t * B) * G4;
    for (let b = 0; b < B; b++) {
      const hr = <usize>b * H4 + J4;
      const grow = gt + <usize>b * G4 + J4;
      if (!active(lengths, b, t)) {
        // h passed through unchanged; its output was a constant 0.
        memory.copy(dhNext + hr, dh + hr, <usize>nj << 2);
        for (let g = 0; g < 3; g++) {
          memory.fill(bDgi + grow + <usize>g * H4, 0, <usize>nj << 2);
          memory.fill(bDgh + grow + <usize>g * H4, 0, <usize>nj << 2);
        }
        continue;
      }
      const c = <usize>(t * B) * H4 + hr;
      const g = gates + grow;
      const dyp = dy ? dy + <usize>t * ldyT4 + <usize>b * ldy4 + J4 : 0;
      let j = 0;
      if (ra) {
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellBack(g + o, hPrev + c + o, hn + c + o, dh + hr + o, dyp ? dyp + o : 0, bDgi + grow + o, bDgh + grow + o, dhNext + hr + o, H4, 4, true);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellBack(g + o, hPrev + c + o, hn + c + o, dh + hr + o, dyp ? dyp + o : 0, bDgi + grow + o, bDgh + grow + o, dhNext + hr + o, H4, 1, true);
        }
      } else {
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellBack(g + o, hPrev + c + o, 0, dh + hr + o, dyp ? dyp + o : 0, bDgi + grow + o, bDgh + grow + o, dhNext + hr + o, H4, 4, false);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellBack(g + o, hPrev + c + o, 0, dh + hr + o, dyp ? dyp + o : 0, bDgi + grow + o, bDgh + grow + o, dhNext + hr + o, H4, 1, false);
        }
      }
    }
    barrier(sync, nt); // every unit's dgh of this step before the products
    if (ra) {
      // dh += dgh U (rows of finished sequences are zero in dgh)
      packA(bDgh + gt, G, 1, B, G, pA);
      tiles(B, G, pA, bWp, panelBytes, 0, 0, 1, p0, p1, H, dhNext, H, 1, tmp);
    } else {
      // d(r ⊙ h) = dgh_n U_n: the k rows 2H..3H of the packed Whh.
      packA(bDgh + gt + 2 * H4, G, 1, B, H, pA);
      tiles(B, H, pA, bWp + 2 * H4 * NR, panelBytes, 0, 0, 1, p0, p1, H, bDrh, H, 0, tmp);
      for (let b = 0; b < B; b++) {
        if (!active(lengths, b, t)) continue;
        const hr = <usize>b * H4 + J4;
        const grow = gt + <usize>b * G4 + J4;
        const c = <usize>(t * B) * H4 + hr;
        let j = 0;
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellBackR(gates + grow + o, hPrev + c + o, bDrh + hr + o, bDgi + grow + o, bDgh + grow + o, dhNext + hr + o, 4);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellBackR(gates + grow + o, hPrev + c + o, bDrh + hr + o, bDgi + grow + o, bDgh + grow + o, dhNext + hr + o, 1);
        }
      }
      barrier(sync, nt); // every unit's dgh_r before the r, z product
      // dh += dgh_{r,z} U_{r,z}
      packA(bDgh + gt, G, 1, B, 2 * H, pA);
      tiles(B, 2 * H, pA, bWp, panelBytes, 0, 0, 1, p0, p1, H, dhNext, H, 1, tmp);
    }
    const swap = dh;
    dh = dhNext;
    dhNext = swap;
  }

  if (dh0 && nj > 0) {
    for (let b = 0; b < B; b++) {
      const o = <usize>b * H4 + J4;
      let j = 0;
      for (; j + 4 <= nj; j += 4) {
        const p = o + (<usize>j << 2);
        v128.store(dh0 + p, f32x4.add(v128.load(dh0 + p), v128.load(dh + p)));
      }
      for (; j < nj; j++) {
        const p = o + (<usize>j << 2);
        store<f32>(dh0 + p, load<f32>(dh0 + p) + load<f32>(dh + p));
      }
    }
  }
  barrier(sync, nt); // all gate gradients before the weight products

  // Weight gradients over all steps at once: dW_ih += dgiᵀ x, dW_hh += dghᵀ h_prev;
  // this thread takes gate rows [m0, m1).
  const m0 = shareLo(G, MR, tid, nt);
  const m1 = shareHi(G, MR, tid, nt);
  if (m1 > m0) {
    const M0 = <usize>m0 << 2;
    if (dWIh) sgemm(1, 0, m1 - m0, I, TB, 1, bDgi + M0, G, x, I, 1, dWIh + <usize>m0 * I * 4, I, gw);
    if (ra) {
      sgemm(1, 0, m1 - m0, H, TB, 1, bDgh + M0, G, hPrev, H, 1, dWHh + <usize>m0 * H4, H, gw);
    } else {
      const a1 = min(m1, 2 * H);
      if (a1 > m0) sgemm(1, 0, a1 - m0, H, TB, 1, bDgh + M0, G, hPrev, H, 1, dWHh + <usize>m0 * H4, H, gw);
      const c0 = max(m0, 2 * H);
      if (m1 > c0) sgemm(1, 0, m1 - c0, H, TB, 1, bDgh + (<usize>c0 << 2), G, hn, H, 1, dWHh + <usize>c0 * H4, H, gw);
    }
    if (dBIh) addColumnSums(dBIh + M0, bDgi + M0, G, TB, m1 - m0);
    if (dBHh) addColumnSums(dBHh + M0, bDgh + M0, G, TB, m1 - m0);
  }
  // dx += dgi W_ih (dXProj += dgi), rows [r0, r1) of T·B.
  if (dx || dXProj) {
    const r0 = shareLo(TB, MR, tid, nt);
    const r1 = shareHi(TB, MR, tid, nt);
    if (r1 > r0) {
      if (dx) sgemm(0, 0, r1 - r0, I, G, 1, bDgi + <usize>r0 * G4, G, wIh, I, 1, dx + <usize>r0 * I * 4, I, gw);
      if (dXProj) addInto(dXProj + <usize>r0 * G4, bDgi + <usize>r0 * G4, (r1 - r0) * G);
    }
  }
}

/** d[i] += s[i] for i < n. */
function addInto(d: usize, s: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
  }
}
