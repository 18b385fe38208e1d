// Optimizer updates over a whole parameter, in place (see src/kernels/ref/optim.ts).
#pragma once

namespace grunative {

/** One Adam step's constants (Backend.adamUpdate's AdamStep). */
struct AdamStep {
  float lr, beta1, beta2, eps, c1, c2, l2, shrink;
};

/** Adam over n entries: dispatches to the best kernel set of this CPU. */
void adam_update(float* w, const float* g, float* m, float* v, long n, const AdamStep& s);

}  // namespace grunative

#define GRU_DECLARE_OPTIM(ns) \
  namespace ns { void adam_update(float* w, const float* g, float* m, float* v, long n, const grunative::AdamStep& s); }
GRU_DECLARE_OPTIM(isa_generic)
GRU_DECLARE_OPTIM(isa_avx2)
GRU_DECLARE_OPTIM(isa_avx512)
