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
 *
 * Legend. T steps, B batch rows, I input size, H hidden size, G = 3H (the
 * gates r, z, n side by side). A name ending in 4 is a byte count or byte
 * offset (H4 = 4H bytes, a row of H floats). This thread's hidden units are
 * [j0, j1), nj of them, J4 the byte offset of j0; `…Row` is where row (t, b)
 * or (b) starts at unit j0, as a byte offset into its buffer (hRow, gRow,
 * cacheRow) or an address (yRow, hnRow, gateRow, dyRow); `w` is 4 (a vector
 * of units) or 1 (a row's tail).
 * gi, gh: a step's input and hidden pre-activations (x W_ihᵀ, h W_hhᵀ), bi,
 * bh their biases. hLast: the state after the last step (B, H). The cache:
 * gates (T, B, 3H) = r, z, n; hPrev (T, B, H) = the state each step read;
 * hn (T, B, H) = U_n h + b_hn (reset-after: dr needs it) or r ⊙ h
 * (reset-before: dW_hh's n rows need it).
 */
import { MR, NR, sgemm, sgemmWorkBytes, packA, packB, blockColumn } from './gemm';
import { sigmoid4, tanh4 } from './math';
import { barrier, shareLo, shareHi } from './threads';

// ---------------------------------------------------------------- helpers

/** The next free byte of `work` while a plan function lays it out. */
let planCursor: usize = 0;

/** Takes `bytes` from the plan cursor, keeping 64-byte alignment. */
// @ts-ignore: decorator
@inline function take(bytes: usize): usize {
  const p = planCursor;
  planCursor = (planCursor + bytes + 63) & ~(<usize>63);
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

/** Loads 4 lanes (w = 4) or lane 0 only (w = 1, for row tails). */
// @ts-ignore: decorator
@inline function loadLanes(p: usize, w: i32): v128 {
  return w == 4 ? v128.load(p) : v128.load32_splat(p);
}
/** Stores 4 lanes (w = 4) or lane 0 only (w = 1). */
// @ts-ignore: decorator
@inline function storeLanes(p: usize, v: v128, w: i32): void {
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
  M: i32, kc: i32, packedA: usize, packedB: usize, panelBytes: usize, gateBytes: usize,
  g0: i32, g1: i32, p0: i32, p1: i32, H: i32, C: usize, ldc: i32, beta: f32, edgeTile: usize,
): void {
  for (let g = g0; g < g1; g++) {
    for (let p = p0; p < p1; p++) {
      const panel = packedB + <usize>g * gateBytes + <usize>p * panelBytes;
      blockColumn(M, kc, packedA, panel, C + (<usize>(g * H + p * NR) << 2), ldc, 1, beta, min(NR, H - p * NR), edgeTile);
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

/** dst[0..3] += the float64 pair sums lo (lanes 0, 1) and hi (lanes 2, 3), rounded once. */
// @ts-ignore: decorator
@inline function addPairs(dst: usize, lo: v128, hi: v128): void {
  const before = v128.load(dst);
  const sumLo = f32x4.demote_f64x2_zero(f64x2.add(lo, f64x2.promote_low_f32x4(before)));
  const sumHi = f32x4.demote_f64x2_zero(f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(before, before, 2, 3, 0, 1))));
  v128.store(dst, v128.shuffle<f32>(sumLo, sumHi, 0, 1, 4, 5));
}
/** Lanes 0, 1 of a f32x4 as f64x2. */
// @ts-ignore: decorator
@inline function lanes01(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
/** Lanes 2, 3 of a f32x4 as f64x2. */
// @ts-ignore: decorator
@inline function lanes23(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/**
 * dBias[c] += Σ_n src[n, c] for n < N, c < C; rows lds apart. Sums of 32
 * rows in float32, joined in float64 (T·B rows can be thousands; ref's
 * one-by-one float32 sum drifts ~1e-5 there). 16 columns a pass, so every
 * cache line read is used whole.
 */
export function addColumnSums(dBias: usize, src: usize, lds: i32, N: i32, C: i32): void {
  const rowBytes = <usize>lds << 2;
  let c = 0;
  for (; c + 16 <= C; c += 16) {
    let lo0 = f64x2.splat(0), hi0 = f64x2.splat(0), lo1 = f64x2.splat(0), hi1 = f64x2.splat(0);
    let lo2 = f64x2.splat(0), hi2 = f64x2.splat(0), lo3 = f64x2.splat(0), hi3 = f64x2.splat(0);
    let p = src + (<usize>c << 2);
    for (let n0 = 0; n0 < N; n0 += 32) {
      const n1 = min(N, n0 + 32);
      let sum0 = f32x4.splat(0), sum1 = f32x4.splat(0), sum2 = f32x4.splat(0), sum3 = f32x4.splat(0);
      for (let n = n0; n < n1; n++) {
        sum0 = f32x4.add(sum0, v128.load(p));
        sum1 = f32x4.add(sum1, v128.load(p, 16));
        sum2 = f32x4.add(sum2, v128.load(p, 32));
        sum3 = f32x4.add(sum3, v128.load(p, 48));
        p += rowBytes;
      }
      lo0 = f64x2.add(lo0, lanes01(sum0)); hi0 = f64x2.add(hi0, lanes23(sum0));
      lo1 = f64x2.add(lo1, lanes01(sum1)); hi1 = f64x2.add(hi1, lanes23(sum1));
      lo2 = f64x2.add(lo2, lanes01(sum2)); hi2 = f64x2.add(hi2, lanes23(sum2));
      lo3 = f64x2.add(lo3, lanes01(sum3)); hi3 = f64x2.add(hi3, lanes23(sum3));
    }
    const dst = dBias + (<usize>c << 2);
    addPairs(dst, lo0, hi0);
    addPairs(dst + 16, lo1, hi1);
    addPairs(dst + 32, lo2, hi2);
    addPairs(dst + 48, lo3, hi3);
  }
  for (; c + 4 <= C; c += 4) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let p = src + (<usize>c << 2);
    for (let n0 = 0; n0 < N; n0 += 32) {
      const n1 = min(N, n0 + 32);
      let sum = f32x4.splat(0);
      for (let n = n0; n < n1; n++) {
        sum = f32x4.add(sum, v128.load(p));
        p += rowBytes;
      }
      lo = f64x2.add(lo, lanes01(sum));
      hi = f64x2.add(hi, lanes23(sum));
    }
    addPairs(dBias + (<usize>c << 2), lo, hi);
  }
  for (; c < C; c++) {
    let acc: f64 = 0;
    let p = src + (<usize>c << 2);
    for (let n = 0; n < N; n++) {
      acc += <f64>load<f32>(p);
      p += rowBytes;
    }
    const dst = dBias + (<usize>c << 2);
    store<f32>(dst, <f32>(<f64>load<f32>(dst) + acc));
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

let fwdWhhT: usize = 0; // packed Whhᵀ, per gate: P panels of H×8
let fwdGh: usize = 0; // (B, 3H) U h for one step (without b_hh)
let fwdHPing: usize = 0; // (B, H) the state, double-buffered: one holds h_t while the other receives h_t+1
let fwdHPong: usize = 0; // (B, H)
let fwdRH: usize = 0; // (B, H) r ⊙ h (reset-before)
let fwdR: usize = 0; // (B, H) r (reset-before)
let fwdPackedA: usize = 0; // per thread: packed A (ceil5(B)·H) + edge tile
let fwdPackedAStride: usize = 0;
let fwdGemmWork: usize = 0; // per thread: sgemm workspace
let fwdGemmWorkStride: usize = 0;
let fwdGates: usize = 0; // (T, B, 3H) the gates when the caller keeps no cache
let fwdZeros: usize = 0; // (3H) zeros: the bias when there is none

function planForward(work: usize, T: i32, B: i32, H: i32, nt: i32): usize {
  const Hp = roundUp(H, NR);
  const G = 3 * H;
  planCursor = work;
  fwdGates = take(<usize>T * B * G * 4);
  fwdZeros = take(<usize>G * 4);
  fwdWhhT = take(<usize>(3 * Hp) * H * 4);
  fwdGh = take(<usize>B * G * 4);
  fwdHPing = take(<usize>B * H * 4);
  fwdHPong = take(<usize>B * H * 4);
  fwdRH = take(<usize>B * H * 4);
  fwdR = take(<usize>B * H * 4);
  fwdPackedAStride = align64(<usize>roundUp(B, MR) * H * 4 + MR * NR * 4);
  fwdPackedA = take(fwdPackedAStride * nt);
  fwdGemmWorkStride = align64(sgemmWorkBytes());
  fwdGemmWork = take(fwdGemmWorkStride * nt);
  return planCursor - work;
}

/** Bytes of `work` that {@link gruForward} needs. */
export function gruForwardWorkBytes(T: i32, B: i32, I: i32, H: i32, nt: i32): usize {
  return planForward(0, T, B, H, nt);
}

/** gi + b_i: a gate's input side. The cells add b_i as they read gi, so the projection needs no bias pass. */
// @ts-ignore: decorator
@inline function inputTerm(gi: usize, bi: usize, w: i32): v128 {
  return f32x4.add(loadLanes(gi, w), loadLanes(bi, w));
}

/** Reset-after cell (PyTorch): r, z from (gi + b_i) + (gh + b_h); n = tanh(gi_n + b_in + r ⊙ (gh_n + b_hn)). */
// @ts-ignore: decorator
@inline function cellAfter(
  gi: usize, bi: usize, gh: usize, bh: usize, hIn: usize, hOut: usize, yOut: usize, hnOut: usize, H4: usize, w: i32,
): void {
  const one = f32x4.splat(1);
  const r = sigmoid4(f32x4.add(inputTerm(gi, bi, w), f32x4.add(loadLanes(gh, w), loadLanes(bh, w))));
  const z = sigmoid4(f32x4.add(inputTerm(gi + H4, bi + H4, w), f32x4.add(loadLanes(gh + H4, w), loadLanes(bh + H4, w))));
  const ghn = f32x4.add(loadLanes(gh + 2 * H4, w), loadLanes(bh + 2 * H4, w));
  const n = tanh4(f32x4.add(inputTerm(gi + 2 * H4, bi + 2 * H4, w), f32x4.mul(r, ghn)));
  const h = f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, loadLanes(hIn, w)));
  storeLanes(gi, r, w);
  storeLanes(gi + H4, z, w);
  storeLanes(gi + 2 * H4, n, w);
  if (hnOut) storeLanes(hnOut, ghn, w);
  storeLanes(hOut, h, w);
  storeLanes(yOut, h, w);
}

/** Reset-before cell (Cho / ONNX default), second half: reads r and r ⊙ h, which {@link resetGate} wrote before the n product. */
// @ts-ignore: decorator
@inline function cellBefore(
  gi: usize, bi: usize, gh: usize, bh: usize, rIn: usize, rhIn: usize, hIn: usize, hOut: usize, yOut: usize, hnOut: usize, H4: usize, w: i32,
): void {
  const one = f32x4.splat(1);
  const z = sigmoid4(f32x4.add(inputTerm(gi + H4, bi + H4, w), f32x4.add(loadLanes(gh + H4, w), loadLanes(bh + H4, w))));
  const n = tanh4(f32x4.add(inputTerm(gi + 2 * H4, bi + 2 * H4, w), f32x4.add(loadLanes(gh + 2 * H4, w), loadLanes(bh + 2 * H4, w))));
  const h = f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, loadLanes(hIn, w)));
  storeLanes(gi, loadLanes(rIn, w), w);
  storeLanes(gi + H4, z, w);
  storeLanes(gi + 2 * H4, n, w);
  if (hnOut) storeLanes(hnOut, loadLanes(rhIn, w), w);
  storeLanes(hOut, h, w);
  storeLanes(yOut, h, w);
}

/** Reset-before, first half: r = σ(gi_r + b_ir + gh_r + b_hr) and r ⊙ h, for every unit before the n product. */
// @ts-ignore: decorator
@inline function resetGate(gi: usize, bi: usize, gh: usize, bh: usize, hIn: usize, rOut: usize, rhOut: usize, w: i32): void {
  const r = sigmoid4(f32x4.add(inputTerm(gi, bi, w), f32x4.add(loadLanes(gh, w), loadLanes(bh, w))));
  storeLanes(rOut, r, w);
  storeLanes(rhOut, f32x4.mul(r, loadLanes(hIn, w)), w);
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
  y: usize, yOff: i32, ldy: i32, ldyT: i32, hLast: usize, cacheGates: usize, cacheHPrev: usize, cacheHn: usize,
  xProj: usize, x: usize, h0: usize, wIh: usize, wHh: usize, bIhGiven: usize, bHhGiven: usize, lengths: usize,
  reverse: i32, resetAfter: i32, T: i32, B: i32, I: i32, H: i32,
  work: usize, tid: i32, nt: i32, sync: usize,
): void {
  planForward(work, T, B, H, nt);
  share(H, tid, nt);
  y += <usize>yOff << 2;
  const gates = cacheGates ? cacheGates : fwdGates;
  const bIh = bIhGiven ? bIhGiven : fwdZeros;
  const bHh = bHhGiven ? bHhGiven : fwdZeros;
  const G = 3 * H;
  const P = (H + NR - 1) / NR;
  const nj = j1 - j0;
  const H4 = <usize>H << 2;
  const G4 = <usize>G << 2;
  const panelBytes = <usize>H * NR * 4;
  const gateBytes = <usize>P * panelBytes;
  const packedA = fwdPackedA + <usize>tid * fwdPackedAStride;
  const edgeTile = packedA + <usize>roundUp(B, MR) * H4;
  const gemmWork = fwdGemmWork + <usize>tid * fwdGemmWorkStride;
  const TB = T * B;
  const J4 = <usize>j0 << 2;
  const ldy4 = <usize>ldy << 2;
  const ldyT4 = <usize>ldyT << 2;

  if (nj > 0) {
    for (let g = 0; g < 3; g++) {
      const col = <usize>(g * H + j0);
      memory.fill(fwdZeros + (col << 2), 0, <usize>nj << 2); // this thread reads its own columns of the bias only
      if (xProj) {
        // The caller's gi (b_ih included) for this thread's columns.
        for (let row = 0; row < TB; row++) memory.copy(gates + <usize>row * G4 + (col << 2), xProj + <usize>row * G4 + (col << 2), <usize>nj << 2);
      } else {
        // gi = x W_ihᵀ for this thread's columns, all T·B rows at once (b_ih joins in the cells).
        sgemm(0, 1, TB, nj, I, 1, x, I, wIh + col * I * 4, I, 0, gates + (col << 2), G, gemmWork);
      }
      // Whhᵀ columns of this gate, this thread's panels: B(k, j) = Whh[(gH + j)·H + k].
      packB(wHh + col * H4, 1, H, H, nj, fwdWhhT + <usize>g * gateBytes + <usize>p0 * panelBytes);
    }
  }

  let hCur = h0;
  let hNext = fwdHPing;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    if (cacheHPrev && nj > 0) {
      for (let b = 0; b < B; b++) {
        const o = <usize>b * H4 + J4;
        memory.copy(cacheHPrev + <usize>(t * B) * H4 + o, hCur + o, <usize>nj << 2);
      }
    }
    packA(hCur, H, 1, B, H, packedA);
    if (resetAfter) {
      tiles(B, H, packedA, fwdWhhT, panelBytes, gateBytes, 0, 3, p0, p1, H, fwdGh, G, 0, edgeTile);
    } else {
      tiles(B, H, packedA, fwdWhhT, panelBytes, gateBytes, 0, 2, p0, p1, H, fwdGh, G, 0, edgeTile);
      for (let b = 0; b < B; b++) {
        const gi = gates + <usize>(t * B + b) * G4 + J4;
        const gh = fwdGh + <usize>b * G4 + J4;
        const hRow = <usize>b * H4 + J4;
        let j = 0;
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          resetGate(gi + o, bIh + J4 + o, gh + o, bHh + J4 + o, hCur + hRow + o, fwdR + hRow + o, fwdRH + hRow + o, 4);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          resetGate(gi + o, bIh + J4 + o, gh + o, bHh + J4 + o, hCur + hRow + o, fwdR + hRow + o, fwdRH + hRow + o, 1);
        }
      }
      barrier(sync, nt); // all of r ⊙ h before the n product
      packA(fwdRH, H, 1, B, H, packedA);
      tiles(B, H, packedA, fwdWhhT, panelBytes, gateBytes, 2, 3, p0, p1, H, fwdGh, G, 0, edgeTile);
    }
    for (let b = 0; b < B; b++) {
      const hRow = <usize>b * H4 + J4;
      const yRow = y + <usize>t * ldyT4 + <usize>b * ldy4 + J4;
      const hnRow = cacheHn ? cacheHn + <usize>(t * B) * H4 + hRow : 0;
      const gi = gates + <usize>(t * B + b) * G4 + J4;
      const bi = bIh + J4;
      if (!active(lengths, b, t)) {
        memory.copy(hNext + hRow, hCur + hRow, <usize>nj << 2);
        memory.fill(yRow, 0, <usize>nj << 2);
        if (hnRow) memory.fill(hnRow, 0, <usize>nj << 2);
        for (let g = 0; g < 3; g++) addBiasRows(gi + <usize>g * H4, G, bi + <usize>g * H4, 1, nj); // gates keep W x + b_i, as in ref
        continue;
      }
      const gh = fwdGh + <usize>b * G4 + J4;
      const bh = bHh + J4;
      let j = 0;
      if (resetAfter) {
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellAfter(gi + o, bi + o, gh + o, bh + o, hCur + hRow + o, hNext + hRow + o, yRow + o, hnRow ? hnRow + o : 0, H4, 4);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellAfter(gi + o, bi + o, gh + o, bh + o, hCur + hRow + o, hNext + hRow + o, yRow + o, hnRow ? hnRow + o : 0, H4, 1);
        }
      } else {
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellBefore(gi + o, bi + o, gh + o, bh + o, fwdR + hRow + o, fwdRH + hRow + o, hCur + hRow + o, hNext + hRow + o, yRow + o, hnRow ? hnRow + o : 0, H4, 4);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellBefore(gi + o, bi + o, gh + o, bh + o, fwdR + hRow + o, fwdRH + hRow + o, hCur + hRow + o, hNext + hRow + o, yRow + o, hnRow ? hnRow + o : 0, H4, 1);
        }
      }
    }
    barrier(sync, nt); // the new state is complete before anyone packs it
    const done = hNext;
    hNext = done == fwdHPing ? fwdHPong : fwdHPing;
    hCur = done;
  }
  if (nj > 0) {
    for (let b = 0; b < B; b++) {
      const o = <usize>b * H4 + J4;
      memory.copy(hLast + o, hCur + o, <usize>nj << 2);
    }
  }
}

// ---------------------------------------------------------------- backward

let bwdDgi: usize = 0; // (T, B, 3H) gradient of W x + b_i
let bwdDgh: usize = 0; // (T, B, 3H) gradient of U h + b_h
let bwdDhPing: usize = 0; // (B, H) gradient of the state, double-buffered: of h_t, and of h_t−1 being summed
let bwdDhPong: usize = 0; // (B, H)
let bwdDrh: usize = 0; // (B, H) gradient of r ⊙ h (reset-before)
let bwdWhh: usize = 0; // packed Whh (K = 3H rows, N = H), P panels of 3H×8
let bwdPackedA: usize = 0; // per thread: packed A (ceil5(B)·3H) + edge tile
let bwdPackedAStride: usize = 0;
let bwdGemmWork: usize = 0; // per thread: sgemm workspace
let bwdGemmWorkStride: usize = 0;

function planBackward(work: usize, T: i32, B: i32, H: i32, nt: i32): usize {
  const Hp = roundUp(H, NR);
  const G = 3 * H;
  planCursor = work;
  bwdDgi = take(<usize>T * B * G * 4);
  bwdDgh = take(<usize>T * B * G * 4);
  bwdDhPing = take(<usize>B * H * 4);
  bwdDhPong = take(<usize>B * H * 4);
  bwdDrh = take(<usize>B * H * 4);
  bwdWhh = take(<usize>Hp * G * 4);
  bwdPackedAStride = align64(<usize>roundUp(B, MR) * G * 4 + MR * NR * 4);
  bwdPackedA = take(bwdPackedAStride * nt);
  bwdGemmWorkStride = align64(sgemmWorkBytes());
  bwdGemmWork = take(bwdGemmWorkStride * nt);
  return planCursor - work;
}

/** Bytes of `work` that {@link gruBackward} needs. */
export function gruBackwardWorkBytes(T: i32, B: i32, I: i32, H: i32, nt: i32): usize {
  return planBackward(0, T, B, H, nt);
}

/**
 * Gate gradients of one active (b, t), 4 units or 1: from dhIn (the gradient
 * of the state this step made, from later steps) and dyIn (of its output, or
 * 0), writes dgiOut and dghOut (reset-before: all but r's, which
 * {@link cellBackR} adds once d(r ⊙ h) is known) and dhPrevOut (the gradient
 * of the state the step read, z's share).
 */
// @ts-ignore: decorator
@inline function cellBack(
  gatesIn: usize, hPrevIn: usize, hnIn: usize, dhIn: usize, dyIn: usize, dgiOut: usize, dghOut: usize, dhPrevOut: usize,
  H4: usize, w: i32, resetAfter: bool,
): void {
  const one = f32x4.splat(1);
  const r = loadLanes(gatesIn, w);
  const z = loadLanes(gatesIn + H4, w);
  const n = loadLanes(gatesIn + 2 * H4, w);
  let dOut = loadLanes(dhIn, w);
  if (dyIn) dOut = f32x4.add(dOut, loadLanes(dyIn, w));
  // h' = (1 − z) n + z h
  const dn = f32x4.mul(dOut, f32x4.sub(one, z));
  const dzPre = f32x4.mul(f32x4.mul(f32x4.mul(dOut, f32x4.sub(loadLanes(hPrevIn, w), n)), z), f32x4.sub(one, z));
  const dnPre = f32x4.mul(dn, f32x4.sub(one, f32x4.mul(n, n)));
  storeLanes(dgiOut + H4, dzPre, w);
  storeLanes(dghOut + H4, dzPre, w);
  storeLanes(dgiOut + 2 * H4, dnPre, w);
  storeLanes(dhPrevOut, f32x4.mul(dOut, z), w);
  if (resetAfter) {
    const drPre = f32x4.mul(f32x4.mul(f32x4.mul(dnPre, loadLanes(hnIn, w)), r), f32x4.sub(one, r));
    storeLanes(dghOut + 2 * H4, f32x4.mul(dnPre, r), w);
    storeLanes(dgiOut, drPre, w);
    storeLanes(dghOut, drPre, w);
  } else {
    storeLanes(dghOut + 2 * H4, dnPre, w);
  }
}

/** Reset-before: r's gate gradients and its share of dhPrevOut, from d(r ⊙ h). */
// @ts-ignore: decorator
@inline function cellBackR(gatesIn: usize, hPrevIn: usize, drhIn: usize, dgiOut: usize, dghOut: usize, dhPrevOut: usize, w: i32): void {
  const r = loadLanes(gatesIn, w);
  const drh = loadLanes(drhIn, w);
  const drPre = f32x4.mul(f32x4.mul(f32x4.mul(drh, loadLanes(hPrevIn, w)), r), f32x4.sub(f32x4.splat(1), r));
  storeLanes(dgiOut, drPre, w);
  storeLanes(dghOut, drPre, w);
  storeLanes(dhPrevOut, f32x4.add(loadLanes(dhPrevOut, w), f32x4.mul(drh, r)), w);
}

/**
 * Backward of {@link gruForward}, Backend.gruBackward's fields in spec order;
 * accumulates into dx, dh0, dWIh, dWHh, dBIh, dBHh, dXProj (each but dWHh
 * may be 0). dy has y's layout (offset dyOff, strides ldy, ldyT) or is 0;
 * dhLast may be 0. dXProj (T, B, 3H) receives the gradient of the input
 * projection (the input-side gate gradients); with a precomputed projection
 * (xProj ≠ 0, not read) x, wIh, dx, dWIh and dBIh are 0. h0, bIh and bHh
 * are not read (the cache holds what they gave).
 */
export function gruBackward(
  dx: usize, dh0: usize, dWIh: usize, dWHh: usize, dBIh: usize, dBHh: usize, dXProj: usize,
  dy: usize, dyOff: i32, ldy: i32, ldyT: i32, dhLast: usize, cacheGates: usize, cacheHPrev: usize, cacheHn: usize,
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
  const packedA = bwdPackedA + <usize>tid * bwdPackedAStride;
  const edgeTile = packedA + <usize>roundUp(B, MR) * G4;
  const gemmWork = bwdGemmWork + <usize>tid * bwdGemmWorkStride;
  const TB = T * B;
  const ldy4 = <usize>ldy << 2;
  const ldyT4 = <usize>ldyT << 2;
  const isResetAfter = resetAfter != 0;

  if (nj > 0) {
    // Whh (3H × H) columns j0..j1: B(k, j) = Whh[k·H + j].
    packB(wHh + J4, H, 1, G, nj, bwdWhh + <usize>p0 * panelBytes);
  }
  let dh = bwdDhPing;
  let dhPrev = bwdDhPong;
  for (let b = 0; b < B; b++) {
    const o = <usize>b * H4 + J4;
    if (dhLast) memory.copy(dh + o, dhLast + o, <usize>nj << 2);
    else memory.fill(dh + o, 0, <usize>nj << 2);
  }

  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s; // the forward order, walked backwards
    const stepG = <usize>(t * B) * G4;
    for (let b = 0; b < B; b++) {
      const hRow = <usize>b * H4 + J4;
      const gRow = stepG + <usize>b * G4 + J4;
      if (!active(lengths, b, t)) {
        // An inactive step passes h through and outputs 0: dh flows on unchanged, its gates get no gradient.
        memory.copy(dhPrev + hRow, dh + hRow, <usize>nj << 2);
        for (let g = 0; g < 3; g++) {
          memory.fill(bwdDgi + gRow + <usize>g * H4, 0, <usize>nj << 2);
          memory.fill(bwdDgh + gRow + <usize>g * H4, 0, <usize>nj << 2);
        }
        continue;
      }
      const cacheRow = <usize>(t * B) * H4 + hRow;
      const gateRow = cacheGates + gRow;
      const dyRow = dy ? dy + <usize>t * ldyT4 + <usize>b * ldy4 + J4 : 0;
      let j = 0;
      if (isResetAfter) {
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellBack(gateRow + o, cacheHPrev + cacheRow + o, cacheHn + cacheRow + o, dh + hRow + o, dyRow ? dyRow + o : 0, bwdDgi + gRow + o, bwdDgh + gRow + o, dhPrev + hRow + o, H4, 4, true);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellBack(gateRow + o, cacheHPrev + cacheRow + o, cacheHn + cacheRow + o, dh + hRow + o, dyRow ? dyRow + o : 0, bwdDgi + gRow + o, bwdDgh + gRow + o, dhPrev + hRow + o, H4, 1, true);
        }
      } else {
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellBack(gateRow + o, cacheHPrev + cacheRow + o, 0, dh + hRow + o, dyRow ? dyRow + o : 0, bwdDgi + gRow + o, bwdDgh + gRow + o, dhPrev + hRow + o, H4, 4, false);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellBack(gateRow + o, cacheHPrev + cacheRow + o, 0, dh + hRow + o, dyRow ? dyRow + o : 0, bwdDgi + gRow + o, bwdDgh + gRow + o, dhPrev + hRow + o, H4, 1, false);
        }
      }
    }
    barrier(sync, nt); // every unit's dgh of this step before the products
    if (isResetAfter) {
      // dh += dgh U (rows of finished sequences are zero in dgh)
      packA(bwdDgh + stepG, G, 1, B, G, packedA);
      tiles(B, G, packedA, bwdWhh, panelBytes, 0, 0, 1, p0, p1, H, dhPrev, H, 1, edgeTile);
    } else {
      // d(r ⊙ h) = dgh_n U_n: the k rows 2H..3H of the packed Whh.
      packA(bwdDgh + stepG + 2 * H4, G, 1, B, H, packedA);
      tiles(B, H, packedA, bwdWhh + 2 * H4 * NR, panelBytes, 0, 0, 1, p0, p1, H, bwdDrh, H, 0, edgeTile);
      for (let b = 0; b < B; b++) {
        if (!active(lengths, b, t)) continue;
        const hRow = <usize>b * H4 + J4;
        const gRow = stepG + <usize>b * G4 + J4;
        const cacheRow = <usize>(t * B) * H4 + hRow;
        let j = 0;
        for (; j + 4 <= nj; j += 4) {
          const o = <usize>j << 2;
          cellBackR(cacheGates + gRow + o, cacheHPrev + cacheRow + o, bwdDrh + hRow + o, bwdDgi + gRow + o, bwdDgh + gRow + o, dhPrev + hRow + o, 4);
        }
        for (; j < nj; j++) {
          const o = <usize>j << 2;
          cellBackR(cacheGates + gRow + o, cacheHPrev + cacheRow + o, bwdDrh + hRow + o, bwdDgi + gRow + o, bwdDgh + gRow + o, dhPrev + hRow + o, 1);
        }
      }
      barrier(sync, nt); // every unit's dgh_r before the r, z product
      // dh += dgh_{r,z} U_{r,z}
      packA(bwdDgh + stepG, G, 1, B, 2 * H, packedA);
      tiles(B, 2 * H, packedA, bwdWhh, panelBytes, 0, 0, 1, p0, p1, H, dhPrev, H, 1, edgeTile);
    }
    const swap = dh;
    dh = dhPrev;
    dhPrev = swap;
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
    const m0Bytes = <usize>m0 << 2;
    if (dWIh) sgemm(1, 0, m1 - m0, I, TB, 1, bwdDgi + m0Bytes, G, x, I, 1, dWIh + <usize>m0 * I * 4, I, gemmWork);
    if (isResetAfter) {
      sgemm(1, 0, m1 - m0, H, TB, 1, bwdDgh + m0Bytes, G, cacheHPrev, H, 1, dWHh + <usize>m0 * H4, H, gemmWork);
    } else {
      // The r, z rows multiply the state each step read; the n rows multiply r ⊙ h, cached as hn.
      const rzEnd = min(m1, 2 * H);
      if (rzEnd > m0) sgemm(1, 0, rzEnd - m0, H, TB, 1, bwdDgh + m0Bytes, G, cacheHPrev, H, 1, dWHh + <usize>m0 * H4, H, gemmWork);
      const nStart = max(m0, 2 * H);
      if (m1 > nStart) sgemm(1, 0, m1 - nStart, H, TB, 1, bwdDgh + (<usize>nStart << 2), G, cacheHn, H, 1, dWHh + <usize>nStart * H4, H, gemmWork);
    }
    if (dBIh) addColumnSums(dBIh + m0Bytes, bwdDgi + m0Bytes, G, TB, m1 - m0);
    if (dBHh) addColumnSums(dBHh + m0Bytes, bwdDgh + m0Bytes, G, TB, m1 - m0);
  }
  // dx += dgi W_ih (dXProj += dgi), rows [r0, r1) of T·B.
  if (dx || dXProj) {
    const r0 = shareLo(TB, MR, tid, nt);
    const r1 = shareHi(TB, MR, tid, nt);
    if (r1 > r0) {
      if (dx) sgemm(0, 0, r1 - r0, I, G, 1, bwdDgi + <usize>r0 * G4, G, wIh, I, 1, dx + <usize>r0 * I * 4, I, gemmWork);
      if (dXProj) addInto(dXProj + <usize>r0 * G4, bwdDgi + <usize>r0 * G4, (r1 - r0) * G);
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
