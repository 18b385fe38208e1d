// Packed SGEMM (GotoBLAS/BLIS structure), compiled once per instruction set.
//
// For each NC-wide column block and KC-deep slice of op(B), the slice is
// packed into NR-column panels; for each MC-tall row block of op(A), the block
// is packed into MR-row slivers; the micro-kernel then walks every
// (sliver, panel) pair with an MR x NR accumulator tile in registers, and the
// epilogue applies alpha, beta (beta = 0 ignores C, even NaN) and the
// optional fused column bias. Any transpose, offset or leading dimension is
// absorbed by the packing, so the micro-kernel sees one layout only.
// Threads take disjoint row (or column) ranges of C, each with its own packs.
#include "simd.h"
#include "microkernel.h"
#include "gemm.h"
#include "threads.h"

namespace ISA_NS {
namespace {

using grunative::Gemm;

constexpr int MR = GRU_GEMM_MR;
constexpr int NV = GRU_GEMM_NV;
constexpr int NR = NV * VW;
constexpr long KC = 256;
constexpr long MC = MR * (96 / MR > 0 ? 96 / MR : 1);
constexpr long NC = NR * (4096 / NR);

/** op(A)[i0 : i0 + mc, p0 : p0 + kc] as MR-row slivers, k-major within a sliver, zero padded. */
void pack_a(const Gemm& g, long i0, long mc, long p0, long kc, float* __restrict dst) {
  for (long ir = 0; ir < mc; ir += MR) {
    const long mr = lmin(MR, mc - ir);
    float* d = dst + ir * kc;
    if (!g.transA) {
      const float* src = g.A + (i0 + ir) * g.lda + p0;
      if (mr == MR) {
        long k = 0;
#if defined(__AVX2__)
        // 8 k at a time: transpose groups of 8 rows (the last group padded),
        // store 8 floats per k in increasing k (a store's spill past the
        // sliver's MR floats is overwritten by the next; the buffer has slack).
        constexpr int NG = (MR + 7) / 8;
        for (; k + 8 <= kc; k += 8) {
          __m256 col[NG][8];
#pragma GCC unroll 4
          for (int gi = 0; gi < NG; gi++) {
            const int rows = MR - gi * 8 < 8 ? MR - gi * 8 : 8;
            __m256 r[8];
#pragma GCC unroll 8
            for (int ii = 0; ii < 8; ii++)
              r[ii] = ii < rows ? _mm256_loadu_ps(src + (gi * 8 + ii) * g.lda + k) : _mm256_setzero_ps();
            transpose8(r, col[gi]);
          }
#pragma GCC unroll 8
          for (int kk = 0; kk < 8; kk++)
#pragma GCC unroll 4
            for (int gi = 0; gi < NG; gi++) _mm256_storeu_ps(d + (k + kk) * MR + gi * 8, col[gi][kk]);
        }
#endif
        for (; k < kc; k++)
#pragma GCC unroll 16
          for (int ii = 0; ii < MR; ii++) d[k * MR + ii] = src[ii * g.lda + k];
      } else {
        for (long k = 0; k < kc; k++) {
          for (long ii = 0; ii < mr; ii++) d[k * MR + ii] = src[ii * g.lda + k];
          for (long ii = mr; ii < MR; ii++) d[k * MR + ii] = 0;
        }
      }
    } else {
      const float* src = g.A + p0 * g.lda + i0 + ir;
      if (mr == MR) {
        for (long k = 0; k < kc; k++)
#pragma GCC unroll 16
          for (int ii = 0; ii < MR; ii++) d[k * MR + ii] = src[k * g.lda + ii];
      } else {
        for (long k = 0; k < kc; k++) {
          for (long ii = 0; ii < mr; ii++) d[k * MR + ii] = src[k * g.lda + ii];
          for (long ii = mr; ii < MR; ii++) d[k * MR + ii] = 0;
        }
      }
    }
  }
}

/** op(B)[p0 : p0 + kc, j0 : j0 + nc] as NR-column panels, k-major within a panel, zero padded. */
void pack_b(const Gemm& g, long p0, long kc, long j0, long nc, float* __restrict dst) {
  for (long jr = 0; jr < nc; jr += NR) {
    const long nr = lmin(NR, nc - jr);
    float* d = dst + jr * kc;
    if (!g.transB) {
      const float* src = g.B + p0 * g.ldb + j0 + jr;
      if (nr == NR) {
        for (long k = 0; k < kc; k++)
#pragma GCC unroll 8
          for (int v = 0; v < NV; v++) vstore(d + k * NR + v * VW, vload(src + k * g.ldb + v * VW));
      } else {
        for (long k = 0; k < kc; k++) {
          for (long jj = 0; jj < nr; jj++) d[k * NR + jj] = src[k * g.ldb + jj];
          for (long jj = nr; jj < NR; jj++) d[k * NR + jj] = 0;
        }
      }
    } else {
      // B(k, j) = B[j * ldb + k]: read each column's run of k contiguously.
      const float* src = g.B + (j0 + jr) * g.ldb + p0;
#if defined(__AVX2__)
      if (nr == NR && NR % 8 == 0) {
        long k = 0;
        for (; k + 8 <= kc; k += 8)
          for (long jj = 0; jj < NR; jj += 8) transpose8x8(src + jj * g.ldb + k, g.ldb, d + k * NR + jj, NR);
        for (; k < kc; k++)
          for (long jj = 0; jj < NR; jj++) d[k * NR + jj] = src[jj * g.ldb + k];
        continue;
      }
#endif
      for (long jj = 0; jj < nr; jj++) {
        const float* s = src + jj * g.ldb;
        for (long k = 0; k < kc; k++) d[k * NR + jj] = s[k];
      }
      for (long jj = nr; jj < NR; jj++)
        for (long k = 0; k < kc; k++) d[k * NR + jj] = 0;
    }
  }
}

/** One MR x NR tile: C = alpha * (Ap * Bp) + beta * C (+ bias), for its valid mr x nr part. */
GRU_INLINE void kernel(long kc, const float* Ap, const float* Bp, float* C, long ldc, long mr, long nr,
                       float alpha, float beta, const float* bias) {
  vf acc[MR][NV];
  tile<MR, NV, 1>(kc, Ap, 1, MR, Bp, NR, acc);
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      float* c = C + i * ldc;
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) {
        vf r = acc[i][v] * alpha;
        if (beta != 0.0f) r += vload(c + v * VW) * beta;
        if (bias) r += vload(bias + v * VW);
        vstore(c + v * VW, r);
      }
    }
    return;
  }
  for (long i = 0; i < mr; i++) {
    float* c = C + i * ldc;
    for (int v = 0; v < NV; v++) {
      const long n = nr - v * VW;
      if (n <= 0) break;
      vf r = acc[i][v] * alpha;
      if (beta != 0.0f) r += vloadn(c + v * VW, n) * beta;
      if (bias) r += vloadn(bias + v * VW, n);
      vstoren(c + v * VW, r, n);
    }
  }
}

/** C[m0 : m1, n0 : n1] of the product, with the given pack buffers. */
void gemm_block(const Gemm& g, long m0, long m1, long n0, long n1, float* pa, float* pb) {
  for (long jc = n0; jc < n1; jc += NC) {
    const long nc = lmin(NC, n1 - jc);
    for (long pc = 0; pc < g.K; pc += KC) {
      const long kc = lmin(KC, g.K - pc);
      pack_b(g, pc, kc, jc, nc, pb);
      const float beta = pc == 0 ? g.beta : 1.0f;
      const float* bias = pc == 0 && g.bias ? g.bias + jc : nullptr;
      for (long ic = m0; ic < m1; ic += MC) {
        const long mc = lmin(MC, m1 - ic);
        pack_a(g, ic, mc, pc, kc, pa);
        for (long jr = 0; jr < nc; jr += NR) {
          const long nr = lmin(NR, nc - jr);
          for (long ir = 0; ir < mc; ir += MR) {
            kernel(kc, pa + ir * kc, pb + jr * kc, g.C + (ic + ir) * g.ldc + jc + jr, g.ldc,
                   lmin(MR, mc - ir), nr, g.alpha, beta, bias ? bias + jr : nullptr);
          }
        }
      }
    }
  }
}

struct Split {
  const Gemm* g;
  bool byRows;
  long chunk;
};

void gemm_job(void* p, int tid, int /* nthreads: the split was made for them */) {
  const Split& s = *static_cast<const Split*>(p);
  const Gemm& g = *s.g;
  const long total = s.byRows ? g.M : g.N;
  const long b = tid * s.chunk, e = lmin(total, b + s.chunk);
  if (b >= e) return;
  const long rows = s.byRows ? e - b : g.M, cols = s.byRows ? g.N : e - b, kc = lmin(KC, g.K);
  const long mc = (lmin(MC, rows) + MR - 1) / MR * MR, nc = (lmin(NC, cols) + NR - 1) / NR * NR;
  float* pa = grunative::thread_scratch(grunative::kTSlotPackA, size_t(mc * kc + 16));  // + slack for pack_a's spills
  float* pb = grunative::thread_scratch(grunative::kTSlotPackB, size_t(kc * nc));
  if (s.byRows) gemm_block(g, b, e, 0, g.N, pa, pb);
  else gemm_block(g, 0, g.M, b, e, pa, pb);
}

}  // namespace

void sgemm(const Gemm& g, int threads) {
  if (g.M <= 0 || g.N <= 0) return;
  if (g.K <= 0) {
    // No products: C = beta * C (+ bias).
    for (long i = 0; i < g.M; i++) {
      float* c = g.C + i * g.ldc;
      for (long j = 0; j < g.N; j++) c[j] = (g.beta == 0.0f ? 0.0f : g.beta * c[j]) + (g.bias ? g.bias[j] : 0.0f);
    }
    return;
  }
  const double work = double(g.M) * double(g.N) * double(g.K);
  long nt = threads;
  if (work < grunative::kMinParallelWork) nt = 1;
  Split s{&g, true, g.M};
  if (nt > 1) {
    const long rowTiles = (g.M + MR - 1) / MR, colTiles = (g.N + NR - 1) / NR;
    s.byRows = rowTiles >= 2 * nt || rowTiles >= colTiles;
    const long tiles = s.byRows ? rowTiles : colTiles;
    if (nt > tiles) nt = tiles;
    s.chunk = ((tiles + nt - 1) / nt) * (s.byRows ? MR : NR);
  }
  if (nt <= 1) {
    s.byRows = true;
    s.chunk = g.M;
    gemm_job(&s, 0, 1);
    return;
  }
  grunative::parallel_run(int(nt), gemm_job, &s);
}

}  // namespace ISA_NS
