// Optimizer updates, compiled once per instruction set: plain loops the
// compiler vectorises (sqrt and division included: -O3, no fast-math, so
// each entry is rounded as the float32 formula says).
#include "simd.h"
#include "optim.h"

namespace ISA_NS {

void adam_update(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v, long n,
                 const grunative::AdamStep& s) {
  const float b1 = s.beta1, b2 = s.beta2, a1 = 1.0f - s.beta1, a2 = 1.0f - s.beta2;
  const float lr = s.lr, eps = s.eps, c1 = s.c1, c2 = s.c2, l2 = s.l2, shrink = s.shrink;
  for (long i = 0; i < n; i++) {
    const float gi = g[i] + l2 * w[i];
    const float mi = b1 * m[i] + a1 * gi;
    const float vi = b2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = shrink * w[i] - (lr * (mi / c1)) / (__builtin_sqrtf(vi / c2) + eps);
  }
}

}  // namespace ISA_NS
