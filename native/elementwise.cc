// Pointwise, bias, softmax-cross-entropy and embedding kernels, compiled once per
// instruction set: tanh, sigmoid and exp by simd.h's vector forms (a few
// ulp), the rest plain loops the compiler vectorises, in ref's order of
// summation where a sum is taken (bias gradients: row by row).
#include <cmath>

#include "simd.h"
#include "elementwise.h"

namespace ISA_NS {

using grunative::Unary;

void unary_forward(Unary op, float* __restrict out, const float* __restrict x, long n) {
  switch (op) {
    case Unary::Tanh:
      for (long i = 0; i < n; i += VW) vstoren(out + i, vtanh_acc(vloadn(x + i, lmin(VW, n - i))), lmin(VW, n - i));
      return;
    case Unary::Sigmoid:
      for (long i = 0; i < n; i += VW) vstoren(out + i, vsigmoid(vloadn(x + i, lmin(VW, n - i))), lmin(VW, n - i));
      return;
    case Unary::Relu:
      for (long i = 0; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case Unary::Identity:
      for (long i = 0; i < n; i++) out[i] = x[i];
      return;
  }
}

void unary_backward(Unary op, float* __restrict dx, const float* __restrict dy, const float* __restrict y, long n) {
  switch (op) {
    case Unary::Tanh: for (long i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]); return;
    case Unary::Sigmoid: for (long i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]); return;
    case Unary::Relu: for (long i = 0; i < n; i++) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f; return;
    case Unary::Identity: for (long i = 0; i < n; i++) dx[i] += dy[i]; return;
  }
}

void add_bias(float* __restrict out, const float* __restrict bias, long N, long C) {
  for (long r = 0; r < N; r++)
    for (long c = 0; c < C; c++) out[r * C + c] += bias[c];
}

void add_bias_backward(float* __restrict dBias, const float* __restrict dOut, long N, long C) {
  for (long r = 0; r < N; r++)
    for (long c = 0; c < C; c++) dBias[c] += dOut[r * C + c];
}

double softmax_ce_forward(float* __restrict probs, const float* __restrict logits, const int32_t* __restrict targets, long N, long C) {
  double loss = 0;
  for (long r = 0; r < N; r++) {
    const float* x = logits + r * C;
    float* p = probs + r * C;
    float max = -INFINITY;
    for (long c = 0; c < C; c++) max = x[c] > max ? x[c] : max;
    vf acc = vzero();
    for (long c = 0; c < C; c += VW) {
      const long m = lmin(VW, C - c);
      const vf e = vexp(vloadn(x + c, m) - max);
      vstoren(p + c, e, m);
      acc += m == VW ? e : vloadn(p + c, m);  // the tail's unused lanes are not summed
    }
    double sum = 0;
    for (int i = 0; i < VW; i++) sum += acc[i];
    const float inv = float(1.0 / sum);
    for (long c = 0; c < C; c++) p[c] *= inv;
    const long t = targets[r];
    if (t >= 0) loss += std::log(sum) + double(max) - double(x[t]);  // −log softmax(t), stably
  }
  return loss;
}

void softmax_ce_backward(float* __restrict dLogits, const float* __restrict probs, const int32_t* __restrict targets, long N, long C, float scale) {
  for (long r = 0; r < N; r++) {
    const long t = targets[r];
    if (t < 0) continue;
    for (long c = 0; c < C; c++) dLogits[r * C + c] += scale * probs[r * C + c];
    dLogits[r * C + t] -= scale;
  }
}

void embedding_forward(float* __restrict out, const float* __restrict table, const int32_t* __restrict ids, long N, long D) {
  for (long r = 0; r < N; r++) {
    const float* row = table + long(ids[r]) * D;
    for (long d = 0; d < D; d++) out[r * D + d] = row[d];
  }
}

void embedding_backward(float* dTable, const float* __restrict dOut, const int32_t* __restrict ids, long N, long D) {
  // Not __restrict: two rows of dOut may add into the same table row.
  for (long r = 0; r < N; r++) {
    float* row = dTable + long(ids[r]) * D;
    for (long d = 0; d < D; d++) row[d] += dOut[r * D + d];
  }
}

}  // namespace ISA_NS
