// The vector type and pointwise math of one kernel set. Included once, first,
// by each per-ISA translation unit (gemm.cc, gru.cc), which the build compiles
// three times: GRU_ISA_AVX512 (-mavx512f), GRU_ISA_AVX2 (-mavx2 -mfma), and
// neither (portable: SSE2 on x86-64, NEON on arm64). Everything here has
// internal linkage inside a namespace named after the kernel set, so that the
// linker never merges code compiled for one instruction set into another.
//
// Vectors are GCC/Clang vector extensions: the same source becomes zmm, ymm
// or xmm code depending only on the compiler flags of the unit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__AVX2__)
#include <immintrin.h>  // always-inline intrinsics only: no out-of-line code to share
#endif

#if defined(GRU_ISA_AVX512)
#define ISA_NS isa_avx512
#define GRU_VW_DEFAULT 16
#define GRU_GEMM_MR 12  // gemm micro-kernel: 12 x 32, 24 zmm accumulators
#define GRU_GEMM_NV 2
#define GRU_FWD_MR 8    // GRU step tile: 8 rows x (r, z, n) x 16 units, 24 accumulators
#define GRU_BWD_MR 12   // GRU backward dh tile: 12 x 32
#define GRU_BWD_NV 2
#elif defined(GRU_ISA_AVX2)
#define ISA_NS isa_avx2
#define GRU_VW_DEFAULT 8
#define GRU_GEMM_MR 6  // 6 x 16, 12 ymm accumulators
#define GRU_GEMM_NV 2
#define GRU_FWD_MR 4   // 4 rows x (r, z, n) x 8 units: 12 accumulators
#define GRU_BWD_MR 6
#define GRU_BWD_NV 2
#else
#define ISA_NS isa_generic
#define GRU_VW_DEFAULT 4
#define GRU_GEMM_MR 6
#define GRU_GEMM_NV 2
#define GRU_FWD_MR 4
#define GRU_BWD_MR 6
#define GRU_BWD_NV 2
#endif

// Testing aid: build a kernel set with another vector width (e.g. the AVX-512
// layout emulated on an AVX2 machine).
#ifdef GRU_VW_OVERRIDE
#define VW GRU_VW_OVERRIDE
#else
#define VW GRU_VW_DEFAULT
#endif

#define GRU_INLINE inline __attribute__((always_inline))

namespace ISA_NS {
namespace {

typedef float vf __attribute__((vector_size(VW * 4)));
typedef float vfu __attribute__((vector_size(VW * 4), aligned(4), may_alias));
typedef int32_t vi __attribute__((vector_size(VW * 4)));

GRU_INLINE vf vload(const float* p) { return *reinterpret_cast<const vfu*>(p); }
GRU_INLINE void vstore(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }
// (s - 0 folds to a plain broadcast; 0 + s would not, because of -0.)
GRU_INLINE vf vset1(float s) { return s - vf{}; }
GRU_INLINE vf vzero() { return vf{}; }

/** The first n (<= VW) lanes from p, the rest 0. */
GRU_INLINE vf vloadn(const float* p, long n) {
  if (n >= VW) return vload(p);
  vf v = vzero();
  for (long i = 0; i < n; i++) v[i] = p[i];
  return v;
}
/** Stores the first n (<= VW) lanes. */
GRU_INLINE void vstoren(float* p, vf v, long n) {
  if (n >= VW) { vstore(p, v); return; }
  for (long i = 0; i < n; i++) p[i] = v[i];
}

/** s[i] = the sum of the lanes of v[i], four at once (shuffles shared between them). */
GRU_INLINE void vhsum4(const vf (&v)[4], float (&s)[4]) {
#if defined(__AVX512F__) && VW == 16
  const __m512 a = reinterpret_cast<__m512>(v[0]), b = reinterpret_cast<__m512>(v[1]);
  const __m512 c = reinterpret_cast<__m512>(v[2]), d = reinterpret_cast<__m512>(v[3]);
  // 256-bit halves added: [a, b] and [c, d]; then 128-bit quarters: [a, b, c, d], 4 lanes each.
  // The masked forms with every lane selected (the same instructions): GCC 12's
  // unmasked ones read an uninitialized placeholder and warn (GCC PR 105593).
  const __m512 z = _mm512_setzero_ps();
  const __mmask16 all = 0xFFFF;
  const __m512 ab = _mm512_add_ps(_mm512_mask_shuffle_f32x4(z, all, a, b, 0x44), _mm512_mask_shuffle_f32x4(z, all, a, b, 0xEE));
  const __m512 cd = _mm512_add_ps(_mm512_mask_shuffle_f32x4(z, all, c, d, 0x44), _mm512_mask_shuffle_f32x4(z, all, c, d, 0xEE));
  __m512 q = _mm512_add_ps(_mm512_mask_shuffle_f32x4(z, all, ab, cd, 0x88), _mm512_mask_shuffle_f32x4(z, all, ab, cd, 0xDD));
  q = _mm512_add_ps(q, _mm512_mask_permute_ps(z, all, q, 0x4E));
  q = _mm512_add_ps(q, _mm512_mask_permute_ps(z, all, q, 0xB1));
  const __m512i lanes = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  _mm512_mask_storeu_ps(s, 0x000F, _mm512_mask_permutexvar_ps(z, all, lanes, q));  // lanes 0–3 only
#elif defined(__AVX2__) && VW == 8
  const __m256 a = reinterpret_cast<__m256>(v[0]), b = reinterpret_cast<__m256>(v[1]);
  const __m256 c = reinterpret_cast<__m256>(v[2]), d = reinterpret_cast<__m256>(v[3]);
  const __m256 ab = _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
  const __m256 cd = _mm256_add_ps(_mm256_permute2f128_ps(c, d, 0x20), _mm256_permute2f128_ps(c, d, 0x31));
  __m256 h = _mm256_hadd_ps(ab, cd);  // [a a c c | b b d d] in pairs
  h = _mm256_hadd_ps(h, h);           // [a c a c | b d b d]
  _mm_storeu_ps(s, _mm_unpacklo_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
#else
  for (int i = 0; i < 4; i++) {
    s[i] = 0.0f;
    for (int l = 0; l < VW; l++) s[i] += v[i][l];
  }
#endif
}

// Clamps that let NaN through (as Math.exp and Math.tanh do).
GRU_INLINE vf vclamp_hi(vf x, float hi) { return x > hi ? vset1(hi) : x; }
GRU_INLINE vf vclamp_lo(vf x, float lo) { return x < lo ? vset1(lo) : x; }

/** e^x, Cephes-style: 2^n * p(r), |error| ~ 1 ulp on [-87.3, 88.4] (clamped outside). */
GRU_INLINE vf vexp(vf x) {
  x = vclamp_hi(x, 88.3762626647949f);
  x = vclamp_lo(x, -87.3365447504f);
  const vf magic = vset1(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  vf t = x * 1.44269504088896341f + magic;
  vf n = t - magic;
  vi ni = reinterpret_cast<vi>(t) - 0x4B400000;
  vf r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  vf p = vset1(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  vf e = (p * r) * r + r + 1.0f;
  vf scale = reinterpret_cast<vf>((ni + 127) << 23);
  return e * scale;
}

GRU_INLINE vf vsigmoid(vf x) { return 1.0f / (1.0f + vexp(-x)); }
GRU_INLINE vf vtanh(vf x) { return 2.0f / (1.0f + vexp(-2.0f * x)) - 1.0f; }

GRU_INLINE vf vabs(vf x) { return reinterpret_cast<vf>(reinterpret_cast<vi>(x) & 0x7fffffff); }

// tanh(x) accurate to a few ulp in relative terms (vtanh above loses them near 0):
// |x| < 0.625: the Cephes odd polynomial x + x^3 P(x^2) (no cancellation);
// above: 1 - 2 / (e^{2|x|} + 1) with the sign of x. Measured against float64
// Math.tanh over [-10, 10] (test/attention-kernels.test.ts): within 3e-7
// relative, on every kernel set. NaN stays NaN.
GRU_INLINE vf vtanh_acc(vf x) {
  const vf a = vabs(x);
  // Small |x|: |x| + |x|^3 P(x^2).
  const vf z = a * a;
  vf p = vset1(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z + -5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z + -3.33332819422e-1f;
  const vf small = (p * z) * a + a;
  // Large |x|: 1 - 2 / (e^{2|x|} + 1).
  const vf big = 1.0f - 2.0f / (vexp(a + a) + 1.0f);
  // tanh(|x|), then the sign of x (so tanh(-0) = -0; NaN stays NaN).
  const vf t = a < 0.625f ? small : big;
  return reinterpret_cast<vf>(reinterpret_cast<vi>(t) | (reinterpret_cast<vi>(x) & int32_t(0x80000000u)));
}

#if defined(__AVX2__)
/** out[c] = lane c of r[0..8): an 8 x 8 transpose in registers. */
GRU_INLINE void transpose8(const __m256 (&r)[8], __m256 (&out)[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  out[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  out[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  out[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  out[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  out[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  out[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  out[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  out[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#endif

/**
 * Copies an 8 x 8 block transposed: dst[c * dstride + r] = src[r * sstride + c].
 * (Shuffles where AVX2 is available, used for packing weights into panels.)
 */
GRU_INLINE void transpose8x8(const float* __restrict src, long sstride, float* __restrict dst, long dstride) {
#if defined(__AVX2__)
  __m256 r[8], c[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * sstride);
  transpose8(r, c);
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + i * dstride, c[i]);
#else
  for (int c = 0; c < 8; c++)
    for (int r = 0; r < 8; r++) dst[c * dstride + r] = src[r * sstride + c];
#endif
}

inline long lmin(long a, long b) { return a < b ? a : b; }
inline long lmax(long a, long b) { return a > b ? a : b; }

}  // namespace
}  // namespace ISA_NS
