// The register-blocked micro-kernel shared by the matrix product and the GRU
// step: an MR x (NV * VW) tile of accumulators held in vector registers.
//
//   acc[i][v][lane] = sum_k A(i, k) * P[k * ps + v * VW + lane]
//
// with A(i, k) = A[i * ars + k * acs] (a packed sliver: ars = 1, acs = MR; a
// row-major matrix: ars = lda, acs = 1) and P a panel of NV vectors per k.
// KS > 1 splits k over KS accumulator sets (for short tiles, whose few
// accumulators would otherwise wait on the FMA latency), summed at the end.
#pragma once
#include "simd.h"

namespace ISA_NS {
namespace {

/** Sums of k in chunks of this length are added up separately (see tile). */
constexpr long kChunk = 64;

template <int MR, int NV, int KS>
GRU_INLINE void tile_chunk(long k0, long k1, const float* __restrict A, long ars, long acs,
                           const float* __restrict P, long ps, vf (&out)[MR][NV]) {
  vf acc[KS][MR][NV];
#pragma GCC unroll 64
  for (int s = 0; s < KS; s++)
#pragma GCC unroll 64
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 64
      for (int v = 0; v < NV; v++) acc[s][i][v] = vzero();
  long k = k0;
  for (; k + KS <= k1; k += KS) {
#pragma GCC unroll 64
    for (int s = 0; s < KS; s++) {
      const float* p = P + (k + s) * ps;
      vf b[NV];
#pragma GCC unroll 64
      for (int v = 0; v < NV; v++) b[v] = vload(p + v * VW);
#pragma GCC unroll 64
      for (int i = 0; i < MR; i++) {
        const vf a = vset1(A[i * ars + (k + s) * acs]);
#pragma GCC unroll 64
        for (int v = 0; v < NV; v++) acc[s][i][v] += a * b[v];
      }
    }
  }
  for (; k < k1; k++) {
    const float* p = P + k * ps;
    vf b[NV];
#pragma GCC unroll 64
    for (int v = 0; v < NV; v++) b[v] = vload(p + v * VW);
#pragma GCC unroll 64
    for (int i = 0; i < MR; i++) {
      const vf a = vset1(A[i * ars + k * acs]);
#pragma GCC unroll 64
      for (int v = 0; v < NV; v++) acc[0][i][v] += a * b[v];
    }
  }
#pragma GCC unroll 64
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 64
    for (int v = 0; v < NV; v++) {
      vf sum = acc[0][i][v];
#pragma GCC unroll 64
      for (int s = 1; s < KS; s++) sum += acc[s][i][v];
      out[i][v] = sum;
    }
}

/**
 * The tile over k in [0, K). Float accumulation along one long chain of k
 * drifts from the reference (which sums in double) about like K; summing
 * chunks of kChunk separately, then the chunk sums, brings that to about
 * √(K·kChunk): on uniform [-1, 1) data at K = 700 the worst element moves
 * from 1.3e-5 to 5e-6 of max(1, |C|), for ~3% of speed.
 */
template <int MR, int NV, int KS>
GRU_INLINE void tile(long K, const float* __restrict A, long ars, long acs,
                     const float* __restrict P, long ps, vf (&out)[MR][NV]) {
  tile_chunk<MR, NV, KS>(0, lmin(K, kChunk), A, ars, acs, P, ps, out);
  for (long k0 = kChunk; k0 < K; k0 += kChunk) {
    vf part[MR][NV];
    tile_chunk<MR, NV, KS>(k0, lmin(K, k0 + kChunk), A, ars, acs, P, ps, part);
#pragma GCC unroll 64
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 64
      for (int v = 0; v < NV; v++) out[i][v] += part[i][v];
  }
}

}  // namespace
}  // namespace ISA_NS
