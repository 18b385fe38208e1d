// Pointwise, bias, softmax-cross-entropy and embedding kernels (see
// src/kernels/ref/elementwise.ts), each forward beside its backward.
#pragma once
#include <cstdint>

#include "abi.h"

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

// The calls (Backend's parameters; n and N are the lengths of x, dy and ids).
#define GRU_UNARY_FORWARD_FIELDS(X) \
  X(long, op, "op", false) X(float*, out, "out", false) X(const float*, x, "x", false) X(long, n, "n", false)
GRU_ARGS(UnaryForwardCall, GRU_UNARY_FORWARD_FIELDS)
#define GRU_UNARY_BACKWARD_FIELDS(X)                                                              \
  X(long, op, "op", false) X(float*, dx, "dx", false) X(const float*, dy, "dy", false)            \
  X(const float*, y, "y", false) X(long, n, "n", false)
GRU_ARGS(UnaryBackwardCall, GRU_UNARY_BACKWARD_FIELDS)
#define GRU_ADD_BIAS_FIELDS(X) \
  X(float*, out, "out", false) X(const float*, bias, "bias", false) X(long, N, "N", false) X(long, C, "C", false)
GRU_ARGS(AddBiasCall, GRU_ADD_BIAS_FIELDS)
#define GRU_ADD_BIAS_BACKWARD_FIELDS(X) \
  X(float*, dBias, "dBias", false) X(const float*, dOut, "dOut", false) X(long, N, "N", false) X(long, C, "C", false)
GRU_ARGS(AddBiasBackwardCall, GRU_ADD_BIAS_BACKWARD_FIELDS)
#define GRU_SOFTMAX_CE_FORWARD_FIELDS(X)                                                          \
  X(float*, probs, "probs", false) X(const float*, logits, "logits", false)                       \
  X(const int32_t*, targets, "targets", false) X(long, N, "N", false) X(long, C, "C", false)
GRU_ARGS(SoftmaxCeForwardCall, GRU_SOFTMAX_CE_FORWARD_FIELDS)
#define GRU_SOFTMAX_CE_BACKWARD_FIELDS(X)                                                         \
  X(float*, dLogits, "dLogits", false) X(const float*, probs, "probs", false)                     \
  X(const int32_t*, targets, "targets", false) X(long, N, "N", false) X(long, C, "C", false)      \
  X(float, scale, "scale", false)
GRU_ARGS(SoftmaxCeBackwardCall, GRU_SOFTMAX_CE_BACKWARD_FIELDS)
#define GRU_EMBEDDING_FORWARD_FIELDS(X)                                                           \
  X(float*, out, "out", false) X(const float*, table, "table", false)                             \
  X(const int32_t*, ids, "ids", false) X(long, D, "D", false) X(long, N, "N", false)
GRU_ARGS(EmbeddingForwardCall, GRU_EMBEDDING_FORWARD_FIELDS)
#define GRU_EMBEDDING_BACKWARD_FIELDS(X)                                                          \
  X(float*, dTable, "dTable", false) X(const float*, dOut, "dOut", false)                         \
  X(const int32_t*, ids, "ids", false) X(long, D, "D", false) X(long, N, "N", false)
GRU_ARGS(EmbeddingBackwardCall, GRU_EMBEDDING_BACKWARD_FIELDS)

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
