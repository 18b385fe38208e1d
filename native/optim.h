// Optimizer updates over a whole parameter, in place (see src/kernels/ref/optim.ts).
#pragma once
#include "abi.h"

namespace grunative {

/** One Adam step's constants (Backend.adamUpdate's AdamStep). */
struct AdamStep {
  float lr, beta1, beta2, eps, c1, c2, l2, shrink;
};

// Backend.adamUpdate's call: the parameter, its gradient and moments (n each), and the step.
#define GRU_ADAM_CALL_FIELDS(X)                                                                     \
  X(float*, w, "w", false) X(const float*, g, "g", false) X(float*, m, "m", false) X(float*, v, "v", false) \
  X(long, n, "n", false)                                                                            \
  X(float, lr, "s.lr", false) X(float, beta1, "s.beta1", false) X(float, beta2, "s.beta2", false)   \
  X(float, eps, "s.eps", false) X(float, c1, "s.c1", false) X(float, c2, "s.c2", false)             \
  X(float, l2, "s.l2", false) X(float, shrink, "s.shrink", false)
GRU_ARGS(AdamCall, GRU_ADAM_CALL_FIELDS)

/** Adam over n entries: dispatches to the best kernel set of this CPU. */
void adam_update(float* w, const float* g, float* m, float* v, long n, const AdamStep& s);

}  // namespace grunative

#define GRU_DECLARE_OPTIM(ns) \
  namespace ns { void adam_update(float* w, const float* g, float* m, float* v, long n, const grunative::AdamStep& s); }
GRU_DECLARE_OPTIM(isa_generic)
GRU_DECLARE_OPTIM(isa_avx2)
GRU_DECLARE_OPTIM(isa_avx512)
