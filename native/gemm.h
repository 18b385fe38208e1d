// Packed single-precision matrix product (BLAS sgemm semantics, row-major):
// C = alpha * op(A) * op(B) + beta * C, op(A) M x K, op(B) K x N.
#pragma once

namespace grunative {

struct Gemm {
  bool transA, transB;
  long M, N, K;
  float alpha;
  const float* A; long lda;
  const float* B; long ldb;
  float beta;
  float* C; long ldc;
  /** Optional (N): added to every row of C (once), for fused bias adds. */
  const float* bias;
};

/** Dispatches to the best kernel set of this CPU; threads <= 1 runs serially. */
void sgemm(const Gemm& g, int threads);

}  // namespace grunative

// Each kernel set (one translation unit per instruction set) provides:
#define GRU_DECLARE_GEMM(ns) \
  namespace ns { void sgemm(const grunative::Gemm& g, int threads); }
GRU_DECLARE_GEMM(isa_generic)
GRU_DECLARE_GEMM(isa_avx2)
GRU_DECLARE_GEMM(isa_avx512)
