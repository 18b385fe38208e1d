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

namespace grunative {

struct AttentionForward {
  long B, S, A, D;
  long kb, kj, vb, vj;   // row strides (elements) of keys / values
  const float* q;        // (B, A)
  const float* keys;     // (B, S, A) in the key layout
  const float* values;   // (B, S, D) in the value layout
  const float* v;        // (A), or null: the dot score
  const int32_t* lengths;  // (B) or null; clamped to [0, S]
  const float* gain;     // (B, S) or null: per-slot weights after the softmax (nonzero for j < length)
  float* alpha;          // out (B, S)
  float* context;        // out (B, D)
  float* u;              // out (B, S, A) or null: tanh(K_j + q) for j < length (additive)
};

struct AttentionBackward {
  long B, S, A, D;
  long kb, kj, vb, vj;
  const float* q; const float* keys; const float* values; const float* v;
  const int32_t* lengths;
  const float* gain;     // (B, S) or null
  float* dGain;          // (B, S) or null (with a gain only): += alpha_j dbeta_j
  const float* alpha;    // the forward's (B, S)
  const float* u;        // the forward's (B, S, A), or null: recomputed (additive)
  const float* dContext; // (B, D)
  float* dq;             // (B, A) or null
  float* dKeys;          // (B, S, A) or null
  float* dValues;        // (B, S, D) or null
  float* dv;             // (A) or null (additive only)
};

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
