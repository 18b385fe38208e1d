// Encoder-decoder attention for one decoder step, forward and backward, with
// the structure of src/kernels/ref/attention.ts:
//   additive (v given): e_j = v . tanh(K_j + q);  dot (v null): e_j = q . K_j
//   alpha = softmax(e) over j < length (0 past it), times gain_j when a gain is
//   given (not renormalised), context = sum_j alpha_j V_j
// Key row (b, j) starts at keys + b * kb + j * kj (likewise u and dKeys), value
// row (b, j) at values + b * vb + j * vj (likewise dValues); dense: kb = S * A,
// kj = A, vb = S * D, vj = D.
// Backward accumulates (+=) into the gradients given.
#pragma once
#include <cstdint>

#include "abi.h"

namespace grunative {

// X(type, member, spec field name, nullable): the fields of src/kernels/spec.ts.
#define GRU_ATTENTION_INPUT_FIELDS(X)                                                               \
  X(const float*, q, "q", false)        /* (B, A) */                                                \
  X(const float*, keys, "keys", false)  /* (B, S, A) in the key layout */                           \
  X(const float*, values, "values", false) /* (B, S, D) in the value layout */                      \
  X(const float*, v, "v", true)         /* (A), or null: the dot score */                           \
  X(const int32_t*, lengths, "lengths", true) /* (B) or null; clamped to [0, S] */                  \
  X(const float*, gain, "gain", true)   /* (B, S) or null: weights after the softmax, nonzero for j < length */ \
  X(long, B, "B", false) X(long, S, "S", false) X(long, A, "A", false) X(long, D, "D", false)       \
  X(long, kb, "keyStrideB", false) X(long, kj, "keyStrideJ", false)       /* key row strides */     \
  X(long, vb, "valueStrideB", false) X(long, vj, "valueStrideJ", false)   /* value row strides */

#define GRU_ATTENTION_FORWARD_FIELDS(X)                                                             \
  X(float*, alpha, "alpha", false)      /* out (B, S) */                                            \
  X(float*, context, "context", false)  /* out (B, D) */                                            \
  X(float*, u, "u", true)               /* (B, S, A) or null: tanh(K_j + q) for j < length (additive) */ \
  GRU_ATTENTION_INPUT_FIELDS(X)
GRU_ARGS(AttentionForward, GRU_ATTENTION_FORWARD_FIELDS)

#define GRU_ATTENTION_BACKWARD_FIELDS(X)                                                            \
  X(float*, dq, "dq", true)             /* (B, A) or null */                                        \
  X(float*, dKeys, "dKeys", true)       /* the keys' layout, or null */                             \
  X(float*, dValues, "dValues", true)   /* the values' layout, or null */                           \
  X(float*, dv, "dv", true)             /* (A) or null (additive only) */                           \
  X(float*, dGain, "dGain", true)       /* (B, S) or null (with a gain only): += alpha_j dbeta_j */ \
  X(const float*, dContext, "dContext", false) /* (B, D) */                                         \
  X(const float*, alpha, "alpha", false) /* the forward's (B, S) */                                 \
  X(const float*, u, "u", true)         /* the forward's (B, S, A), or null: recomputed (additive) */ \
  GRU_ATTENTION_INPUT_FIELDS(X)
GRU_ARGS(AttentionBackward, GRU_ATTENTION_BACKWARD_FIELDS)

void attention_forward(const AttentionForward& a);
void attention_backward(const AttentionBackward& a);

}  // namespace grunative

#define GRU_DECLARE_ATTENTION(ns)                                  \
  namespace ns {                                                   \
  void attention_forward(const grunative::AttentionForward& a);    \
  void attention_backward(const grunative::AttentionBackward& a);  \
  }
GRU_DECLARE_ATTENTION(isa_generic)
GRU_DECLARE_ATTENTION(isa_avx2)
GRU_DECLARE_ATTENTION(isa_avx512)
