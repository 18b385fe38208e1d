// Packed single-precision matrix product (BLAS sgemm semantics, row-major):
// C = alpha * op(A) * op(B) + beta * C, op(A) M x K, op(B) K x N.
#pragma once
#include "abi.h"

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

// Backend.gemm's call: each matrix as (array, offset, leading dimension).
#define GRU_GEMM_CALL_FIELDS(X)                                                                     \
  X(bool, transA, "transA", false) X(bool, transB, "transB", false)                                 \
  X(long, M, "M", false) X(long, N, "N", false) X(long, K, "K", false) X(float, alpha, "alpha", false) \
  X(const float*, A, "A", false) X(long, aOff, "aOff", false) X(long, lda, "lda", false)            \
  X(const float*, B, "B", false) X(long, bOff, "bOff", false) X(long, ldb, "ldb", false)            \
  X(float, beta, "beta", false)                                                                     \
  X(float*, C, "C", false) X(long, cOff, "cOff", false) X(long, ldc, "ldc", false)
GRU_ARGS(GemmCall, GRU_GEMM_CALL_FIELDS)

}  // namespace grunative

// Each kernel set (one translation unit per instruction set) provides:
#define GRU_DECLARE_GEMM(ns) \
  namespace ns { void sgemm(const grunative::Gemm& g, int threads); }
GRU_DECLARE_GEMM(isa_generic)
GRU_DECLARE_GEMM(isa_avx2)
GRU_DECLARE_GEMM(isa_avx512)
