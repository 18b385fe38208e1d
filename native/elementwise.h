// Pointwise, bias, softmax-cross-entropy and embedding kernels (see
// src/kernels/ref/elementwise.ts), each forward beside its backward.
#pragma once
#include <cstdint>

namespace grunative {

/** Backend.UnaryOp, in this order. */
enum class Unary : int { Tanh = 0, Sigmoid = 1, Relu = 2, Identity = 3 };

void unary_forward(Unary op, float* out, const float* x, long n);
void unary_backward(Unary op, float* dx, const float* dy, const float* y, long n);
void add_bias(float* out, const float* bias, long N, long C);
void add_bias_backward(float* dBias, const float* dOut, long N, long C);
/** Writes probs (N, C); returns the summed −log p(target) over rows whose target is ≥ 0. */
double softmax_ce_forward(float* probs, const float* logits, const int32_t* targets, long N, long C);
void softmax_ce_backward(float* dLogits, const float* probs, const int32_t* targets, long N, long C, float scale);
/** out (N, D) = rows ids[n] of table; the caller has checked every id. */
void embedding_forward(float* out, const float* table, const int32_t* ids, long N, long D);
/** Rows ids[n] of dTable += dOut[n], in order n = 0 … N−1 (as ref). */
void embedding_backward(float* dTable, const float* dOut, const int32_t* ids, long N, long D);

}  // namespace grunative

#define GRU_DECLARE_ELEMENTWISE(ns)                                                                      \
  namespace ns {                                                                                         \
  void unary_forward(grunative::Unary op, float* out, const float* x, long n);                           \
  void unary_backward(grunative::Unary op, float* dx, const float* dy, const float* y, long n);          \
  void add_bias(float* out, const float* bias, long N, long C);                                          \
  void add_bias_backward(float* dBias, const float* dOut, long N, long C);                               \
  double softmax_ce_forward(float* probs, const float* logits, const int32_t* targets, long N, long C);  \
  void softmax_ce_backward(float* dLogits, const float* probs, const int32_t* targets, long N, long C, float scale); \
  void embedding_forward(float* out, const float* table, const int32_t* ids, long N, long D);              \
  void embedding_backward(float* dTable, const float* dOut, const int32_t* ids, long N, long D);           \
  }
GRU_DECLARE_ELEMENTWISE(isa_generic)
GRU_DECLARE_ELEMENTWISE(isa_avx2)
GRU_DECLARE_ELEMENTWISE(isa_avx512)
