/**
 * Packed SGEMM (after BLIS / GotoBLAS): C = alpha · op(A) · op(B) + beta · C,
 * row-major, any transposes, leading dimensions and offsets (pointers here
 * already point at each matrix's first element).
 *
 * Blocking: B is packed KC×NC at a time into panels of NR = 8 columns
 * (k-major, 8 floats per k, zero-padded), A is packed MC×KC at a time into
 * blocks of 5 rows, the last few of 4 (k-major, 5 or 4 floats per k, see
 * {@link fiveRowEnd}); a 5×8 micro-kernel keeps its tile of C in 10 v128
 * accumulators and per k loads 2 vectors of B and the block's 5 values of A.
 *
 * Why 5×8, and why A is loaded as one vector and broadcast by shuffles: V8
 * gives wasm 15 allocatable xmm registers, and TurboFan (Node 20) schedules
 * every load of the loop body before the arithmetic, so all loaded values are
 * live at once. 5×8 with broadcast loads needs 10 + 2 + 5 = 17 registers and
 * spills (21 GFLOP/s on Zen 5); with one vector load of rows 0–3 and a
 * broadcast load of row 4 it needs 10 + 2 + 2 + 1 shuffle temporary = 15.
 * Measured on Zen 5 with the panels in L1: 55.5 GFLOP/s (relaxed-simd) and
 * 47 (plain SIMD, multiply then add) against 49.5 and 38 for 4×8 — 10
 * accumulators hide the FMA latency that 8 (2 pipes × 4 cycles) only just
 * cover. 6×8 and 4×12 spill in either form. 4-row blocks use the 4×8 kernel.
 *
 * Built with relaxed-simd (wasm/*-relaxed.wasm, for engines that have it:
 * browsers, Node 22+), each multiply-add is one relaxed_madd (an FMA where
 * the CPU has one).
 *
 * The recurrent products of the GRU reuse the same micro-kernels through
 * {@link blockColumn}: B packed once per call (the recurrent weights), A (the
 * state, a few rows) packed per step.
 */

import { shareLo, shareHi } from './threads';
import { madd } from './math';

/** The most rows of a packed A block (blocks have 5 rows, or 4: see {@link fiveRowEnd}). */
export const MR: i32 = 5;
export const NR: i32 = 8;

/**
 * Rows [0, fiveRowEnd(M)) of a packed A are in 5-row blocks, the rest in
 * 4-row blocks: M = 5a + 4b with every block full whenever M ≥ 12 (M = 32:
 * four 5-row blocks, three 4-row ones). Below that, M ≤ 4 is one 4-row
 * block and other M are 5-row blocks with a partial last one.
 */
function fiveRowEnd(M: i32): i32 {
  const fours = (4 * M) % 5; // 4·fours ≡ M (mod 5)
  if (4 * fours <= M) return M - 4 * fours;
  return M < 5 ? 0 : M;
}

/** Height of the block starting at row ir (end: {@link fiveRowEnd}). */
// @ts-ignore: decorator
@inline function blockHeight(ir: i32, end: i32): i32 {
  return ir < end ? 5 : 4;
}

/**
 * Depth of one packed block. Small on purpose: C is stored (in float32)
 * between blocks, so each float32 running sum covers at most 64 products;
 * sums of 256+ products drift by ~1e-5 from the float64 sums of the
 * reference (measured: K = 700 gives 1.4e-5 with 256, 6e-6 with 64), and
 * the extra C traffic costs ~2%. The GRU's per-step products call the
 * micro-kernel with their whole depth (values there are small).
 */
const KC: i32 = 64;
const MC: i32 = 256;
const NC: i32 = 2048;

/** Bytes of workspace {@link sgemm} needs (packed A block, packed B block, an edge tile). */
export function sgemmWorkBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4 + 64;
}

/**
 * Packs an mc×kc block of A into row blocks of 5 or 4 (see {@link fiveRowEnd}):
 * the block of height h at row i0 starts i0·kc floats into dst and holds, for
 * each k, A(i0 + 0..h-1, k) contiguously; rows past mc are zero.
 * Element (i, k) is at A + (i·sAi + k·sAk)·4.
 */
export function packA(A: usize, sAi: i32, sAk: i32, mc: i32, kc: i32, dst: usize): void {
  const bi = <usize>sAi << 2;
  const bk = <usize>sAk << 2;
  const end = fiveRowEnd(mc);
  for (let i0 = 0; i0 < mc; ) {
    const h = blockHeight(i0, end);
    const mr = min(h, mc - i0);
    const src = A + <usize>i0 * bi;
    const dk = <usize>h << 2; // bytes per k
    let d = dst + (<usize>i0 * kc << 2);
    if (mr == h && sAi == 1) {
      // op(A) columns are contiguous: one vector (and row 4) per k.
      let s = src;
      for (let k = 0; k < kc; k++) {
        v128.store(d, v128.load(s));
        if (h == 5) store<f32>(d, load<f32>(s, 16), 16);
        s += bk;
        d += dk;
      }
    } else if (mr == h && sAk == 1) {
      // Rows are contiguous: 4×4 transposes of rows 0–3, then row 4 one by one.
      let r0 = src, r1 = src + bi, r2 = src + 2 * bi, r3 = src + 3 * bi;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const a = v128.load(r0), b = v128.load(r1), c = v128.load(r2), e = v128.load(r3);
        const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
        const ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7); // a2 b2 a3 b3
        const ce0 = v128.shuffle<f32>(c, e, 0, 4, 1, 5);
        const ce1 = v128.shuffle<f32>(c, e, 2, 6, 3, 7);
        v128.store(d, v128.shuffle<f32>(ab0, ce0, 0, 1, 4, 5));
        v128.store(d + dk, v128.shuffle<f32>(ab0, ce0, 2, 3, 6, 7));
        v128.store(d + 2 * dk, v128.shuffle<f32>(ab1, ce1, 0, 1, 4, 5));
        v128.store(d + 3 * dk, v128.shuffle<f32>(ab1, ce1, 2, 3, 6, 7));
        r0 += 16; r1 += 16; r2 += 16; r3 += 16;
        d += 4 * dk;
      }
      for (; k < kc; k++) {
        store<f32>(d, load<f32>(r0));
        store<f32>(d, load<f32>(r1), 4);
        store<f32>(d, load<f32>(r2), 8);
        store<f32>(d, load<f32>(r3), 12);
        r0 += 4; r1 += 4; r2 += 4; r3 += 4;
        d += dk;
      }
      if (h == 5) {
        let r4 = src + 4 * bi;
        let d4 = dst + (<usize>i0 * kc << 2) + 16;
        for (k = 0; k < kc; k++) {
          store<f32>(d4, load<f32>(r4));
          r4 += 4;
          d4 += dk;
        }
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const s = src + <usize>k * bk;
        for (let i = 0; i < h; i++) {
          store<f32>(d + (<usize>i << 2), i < mr ? load<f32>(s + <usize>i * bi) : 0);
        }
        d += dk;
      }
    }
    i0 += h;
  }
}

/**
 * Packs a kc×nc block of B into NR-column panels: panel p holds, for each k,
 * B(k, p·NR + 0..7) contiguously; columns past nc are zero.
 * Element (k, j) is at B + (k·sBk + j·sBj)·4.
 */
export function packB(B: usize, sBk: i32, sBj: i32, kc: i32, nc: i32, dst: usize): void {
  const bk = <usize>sBk << 2;
  const bj = <usize>sBj << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const nr = min(NR, nc - j0);
    const src = B + <usize>j0 * bj;
    if (nr == NR && sBj == 1) {
      let s = src;
      let d = dst;
      for (let k = 0; k < kc; k++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += bk;
        d += 32;
      }
    } else if (sBk == 1) {
      // op(B) columns are contiguous in k (B transposed): copy column by column.
      for (let j = 0; j < NR; j++) {
        let d = dst + (<usize>j << 2);
        if (j < nr) {
          let s = src + <usize>j * bj;
          for (let k = 0; k < kc; k++) {
            store<f32>(d, load<f32>(s));
            s += 4;
            d += 32;
          }
        } else {
          for (let k = 0; k < kc; k++) {
            store<f32>(d, 0);
            d += 32;
          }
        }
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = dst + (<usize>k << 5);
        const s = src + <usize>k * bk;
        for (let j = 0; j < NR; j++) {
          store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(s + <usize>j * bj) : 0);
        }
      }
    }
    dst += <usize>kc << 5;
  }
}

/** Row c[0..8] from two accumulators. mode 0: C = acc; 1: C = alpha·acc; 2: C = alpha·acc + beta·C. */
// @ts-ignore: decorator
@inline function out8(c: usize, lo: v128, hi: v128, va: v128, vb: v128, mode: i32): void {
  if (mode == 0) {
    v128.store(c, lo);
    v128.store(c, hi, 16);
  } else if (mode == 1) {
    v128.store(c, f32x4.mul(lo, va));
    v128.store(c, f32x4.mul(hi, va), 16);
  } else {
    v128.store(c, f32x4.add(f32x4.mul(lo, va), f32x4.mul(v128.load(c), vb)));
    v128.store(c, f32x4.add(f32x4.mul(hi, va), f32x4.mul(v128.load(c, 16), vb)), 16);
  }
}


/**
 * The 4×8 micro-kernel: C[0..mr, 0..nr] = alpha · Σ_k pa(k)ᵀ pb(k) + beta · C
 * (beta = 0: C is not read). pa: kc×4 packed A; pb: kc×8 packed B.
 * Edge tiles (mr < 4 or nr < 8) go through the buffer tmp ({@link storeEdge}).
 */
function kernel4x8(
  kc: i32, pa: usize, pb: usize, c: usize, ldc: i32,
  alpha: f32, beta: f32, mr: i32, nr: i32, tmp: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(pa, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(pa, 8);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(pa, 12);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    pa += 16;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  if (mr == 4 && nr == NR) {
    const mode = beta != 0 ? 2 : alpha != 1 ? 1 : 0;
    const ld = <usize>ldc << 2;
    out8(c, c00, c01, va, vb, mode);
    out8(c + ld, c10, c11, va, vb, mode);
    out8(c + 2 * ld, c20, c21, va, vb, mode);
    out8(c + 3 * ld, c30, c31, va, vb, mode);
    return;
  }
  v128.store(tmp, f32x4.mul(c00, va), 0); v128.store(tmp, f32x4.mul(c01, va), 16);
  v128.store(tmp, f32x4.mul(c10, va), 32); v128.store(tmp, f32x4.mul(c11, va), 48);
  v128.store(tmp, f32x4.mul(c20, va), 64); v128.store(tmp, f32x4.mul(c21, va), 80);
  v128.store(tmp, f32x4.mul(c30, va), 96); v128.store(tmp, f32x4.mul(c31, va), 112);
  storeEdge(c, ldc, beta, mr, nr, tmp);
}

/**
 * The 5×8 micro-kernel, as {@link kernel4x8} for a 5-row block (pa: kc×5).
 * Rows 0–3 of A come in one vector load and are broadcast by shuffles, which
 * TurboFan places next to their use (see the file comment).
 */
function kernel5x8(
  kc: i32, pa: usize, pb: usize, c: usize, ldc: i32,
  alpha: f32, beta: f32, mr: i32, nr: i32, tmp: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a = v128.load(pa);
    const a4 = v128.load32_splat(pa, 16);
    let s = v128.shuffle<f32>(a, a, 0, 0, 0, 0);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    s = v128.shuffle<f32>(a, a, 1, 1, 1, 1);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    s = v128.shuffle<f32>(a, a, 2, 2, 2, 2);
    c20 = madd(s, b0, c20);
    c21 = madd(s, b1, c21);
    s = v128.shuffle<f32>(a, a, 3, 3, 3, 3);
    c30 = madd(s, b0, c30);
    c31 = madd(s, b1, c31);
    c40 = madd(a4, b0, c40);
    c41 = madd(a4, b1, c41);
    pa += 20;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  if (mr == 5 && nr == NR) {
    const mode = beta != 0 ? 2 : alpha != 1 ? 1 : 0;
    const ld = <usize>ldc << 2;
    out8(c, c00, c01, va, vb, mode);
    out8(c + ld, c10, c11, va, vb, mode);
    out8(c + 2 * ld, c20, c21, va, vb, mode);
    out8(c + 3 * ld, c30, c31, va, vb, mode);
    out8(c + 4 * ld, c40, c41, va, vb, mode);
    return;
  }
  v128.store(tmp, f32x4.mul(c00, va), 0); v128.store(tmp, f32x4.mul(c01, va), 16);
  v128.store(tmp, f32x4.mul(c10, va), 32); v128.store(tmp, f32x4.mul(c11, va), 48);
  v128.store(tmp, f32x4.mul(c20, va), 64); v128.store(tmp, f32x4.mul(c21, va), 80);
  v128.store(tmp, f32x4.mul(c30, va), 96); v128.store(tmp, f32x4.mul(c31, va), 112);
  v128.store(tmp, f32x4.mul(c40, va), 128); v128.store(tmp, f32x4.mul(c41, va), 144);
  storeEdge(c, ldc, beta, mr, nr, tmp);
}

/** C[0..mr, 0..nr] = tmp (rows of 8, alpha applied) + beta · C: the edge tiles' store. */
function storeEdge(c: usize, ldc: i32, beta: f32, mr: i32, nr: i32, tmp: usize): void {
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * (<usize>ldc << 2);
    const t = tmp + (<usize>i << 5);
    if (beta == 0) {
      for (let j = 0; j < nr; j++) store<f32>(row + (<usize>j << 2), load<f32>(t + (<usize>j << 2)));
    } else {
      for (let j = 0; j < nr; j++) {
        const p = row + (<usize>j << 2);
        store<f32>(p, load<f32>(t + (<usize>j << 2)) + beta * load<f32>(p));
      }
    }
  }
}

/**
 * The micro-kernel for the packed A block of height h (5 or 4) at pa, which
 * holds mr ≤ h real rows. tmp: MR·NR floats.
 */
// @ts-ignore: decorator
@inline function blockKernel(
  h: i32, kc: i32, pa: usize, pb: usize, c: usize, ldc: i32,
  alpha: f32, beta: f32, mr: i32, nr: i32, tmp: usize,
): void {
  if (h == 5) kernel5x8(kc, pa, pb, c, ldc, alpha, beta, mr, nr, tmp);
  else kernel4x8(kc, pa, pb, c, ldc, alpha, beta, mr, nr, tmp);
}

/** Every row block of a packed A (M rows, depth kc at pA) against one packed B panel pb: C rows 0..M. */
export function blockColumn(
  M: i32, kc: i32, pA: usize, pb: usize, c: usize, ldc: i32,
  alpha: f32, beta: f32, nr: i32, tmp: usize,
): void {
  const ld = <usize>ldc << 2;
  const end = fiveRowEnd(M);
  for (let ir = 0; ir < M; ) {
    const h = blockHeight(ir, end);
    blockKernel(h, kc, pA + (<usize>ir * kc << 2), pb, c + <usize>ir * ld, ldc, alpha, beta, min(h, M - ir), nr, tmp);
    ir += h;
  }
}

/** C (mc×nc) from packed blocks pA (mc×kc) and pB (kc×nc). */
function macroKernel(
  mc: i32, nc: i32, kc: i32, pA: usize, pB: usize, C: usize, ldc: i32,
  alpha: f32, beta: f32, tmp: usize,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    blockColumn(mc, kc, pA, pB + <usize>jr * (<usize>kc << 2), C + (<usize>jr << 2), ldc, alpha, beta, min(NR, nc - jr), tmp);
  }
}

/**
 * C = alpha · op(A) · op(B) + beta · C; op(A) M×K, op(B) K×N, C M×N, row-major.
 * beta = 0 never reads C. work: {@link sgemmWorkBytes} bytes, 16-aligned.
 */
export function sgemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, work: usize,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (let i = 0; i < M; i++) {
      const row = C + <usize>i * (<usize>ldc << 2);
      for (let j = 0; j < N; j++) {
        const p = row + (<usize>j << 2);
        store<f32>(p, beta == 0 ? <f32>0 : beta * load<f32>(p));
      }
    }
    return;
  }
  const sAi = transA ? 1 : lda, sAk = transA ? lda : 1;
  const sBk = transB ? 1 : ldb, sBj = transB ? ldb : 1;
  const pA = work;
  const pB = pA + <usize>(MC * KC * 4);
  const tmp = pB + <usize>(KC * NC * 4);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const b = pc == 0 ? beta : <f32>1;
      packB(B + ((<usize>pc * sBk + <usize>jc * sBj) << 2), sBk, sBj, kc, nc, pB);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(A + ((<usize>ic * sAi + <usize>pc * sAk) << 2), sAi, sAk, mc, kc, pA);
        macroKernel(mc, nc, kc, pA, pB, C + ((<usize>ic * ldc + jc) << 2), ldc, alpha, b, tmp);
      }
    }
  }
}

/**
 * Thread tid's share of {@link sgemm}: the columns [n0, n1) of C (whole
 * 8-column panels) when N ≥ M, else the rows [m0, m1). work holds nt
 * workspaces of {@link sgemmWorkBytes} (64-aligned each).
 */
function sgemmPart(
  transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, work: usize, tid: i32, nt: i32, sync: usize,
): void {
  const w = work + <usize>tid * ((<usize>sgemmWorkBytes() + 63) & ~(<usize>63));
  if (N >= M) {
    const n0 = shareLo(N, NR, tid, nt), n1 = shareHi(N, NR, tid, nt);
    if (n1 <= n0) return;
    const b = B + ((transB ? <usize>n0 * ldb : <usize>n0) << 2);
    sgemm(transA, transB, M, n1 - n0, K, alpha, A, lda, b, ldb, beta, C + (<usize>n0 << 2), ldc, w);
  } else {
    const m0 = shareLo(M, MR, tid, nt), m1 = shareHi(M, MR, tid, nt);
    if (m1 <= m0) return;
    const a = A + ((transA ? <usize>m0 : <usize>m0 * lda) << 2);
    sgemm(transA, transB, m1 - m0, N, K, alpha, a, lda, B, ldb, beta, C + <usize>m0 * (<usize>ldc << 2), ldc, w);
  }
}

/** Bytes of `work` that {@link gemm} needs on nt threads. */
export function gemmWorkBytes(M: i32, N: i32, K: i32, nt: i32): usize {
  return ((<usize>sgemmWorkBytes() + 63) & ~(<usize>63)) * <usize>nt;
}

/**
 * Backend.gemm (src/kernels/spec.ts): C = alpha · op(A) · op(B) + beta · C,
 * each matrix from its offset (in elements), on thread tid of nt.
 */
export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, aOff: i32, lda: i32, B: usize, bOff: i32, ldb: i32,
  beta: f32, C: usize, cOff: i32, ldc: i32, work: usize, tid: i32, nt: i32, sync: usize,
): void {
  sgemmPart(
    transA, transB, M, N, K, alpha, A + (<usize>aOff << 2), lda, B + (<usize>bOff << 2), ldb,
    beta, C + (<usize>cOff << 2), ldc, work, tid, nt, sync,
  );
}
