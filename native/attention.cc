// Encoder-decoder attention for one decoder step, compiled once per
// instruction set (see simd.h), with the structure and formulas of
// src/kernels/ref/attention.ts. Row b at a time:
//   scores    e_j = v . tanh(K_j + q) (additive) or q . K_j (dot), j < L,
//             vectorised over the key size A (horizontal sum per j);
//   softmax   in double over j < L (alpha = 0 past L), times the per-slot
//             gain when one is given (beta = alpha g, not renormalised);
//   context   sum_j beta_j V_j, vectorised over D in register blocks.
// Key and value rows are addressed through the strides of attention.h, so
// the memory may be a slice of a time-major history (the AttentionGRU).
// Backward recomputes tanh(K_j + q) unless the forward's u is given: the
// keys must be read in either case (or u, of the same size), so recomputing
// costs only the tanh, and spares the forward a (B, S, A) store (and its
// caller the buffer).
// tanh: vtanh_acc (simd.h), a few ulp in relative terms.
#include <cmath>
#include <vector>

#include "simd.h"
#include "attention.h"

namespace ISA_NS {
namespace {

using grunative::AttentionBackward;
using grunative::AttentionForward;

GRU_INLINE float hsum(vf v) {
  float s = 0;
  for (int i = 0; i < VW; i++) s += v[i];
  return s;
}

inline long row_length(const int32_t* lengths, long b, long S) {
  if (!lengths) return S;
  const long L = lengths[b];
  return L < 0 ? 0 : (L > S ? S : L);
}

/** v . tanh(k + q) over A, storing tanh(k + q) into u when given. */
GRU_INLINE float additive_score(const float* __restrict k, const float* __restrict q, const float* __restrict v,
                                float* __restrict u, long A) {
  vf acc0 = vzero(), acc1 = vzero();
  long i = 0;
  for (; i + 2 * VW <= A; i += 2 * VW) {
    const vf t0 = vtanh_acc(vload(k + i) + vload(q + i));
    const vf t1 = vtanh_acc(vload(k + i + VW) + vload(q + i + VW));
    if (u) {
      vstore(u + i, t0);
      vstore(u + i + VW, t1);
    }
    acc0 += t0 * vload(v + i);
    acc1 += t1 * vload(v + i + VW);
  }
  for (; i < A; i += VW) {
    const long n = lmin(VW, A - i);
    const vf t = vtanh_acc(vloadn(k + i, n) + vloadn(q + i, n));
    if (u) vstoren(u + i, t, n);
    acc0 += t * vloadn(v + i, n);  // lanes past A: tanh(0) * 0
  }
  return hsum(acc0 + acc1);
}

/** q . k over A. */
GRU_INLINE float dot_score(const float* __restrict k, const float* __restrict q, long A) {
  vf acc0 = vzero(), acc1 = vzero();
  long i = 0;
  for (; i + 2 * VW <= A; i += 2 * VW) {
    acc0 += vload(k + i) * vload(q + i);
    acc1 += vload(k + i + VW) * vload(q + i + VW);
  }
  for (; i < A; i += VW) {
    const long n = lmin(VW, A - i);
    acc0 += vloadn(k + i, n) * vloadn(q + i, n);
  }
  return hsum(acc0 + acc1);
}

/** out[d] = sum_{j < L} w[j] V[j * ldv + d] for d < D, in register blocks of 4 vectors. */
void weighted_rows(float* __restrict out, const float* __restrict w, const float* __restrict V, long L, long D, long ldv) {
  long d = 0;
  for (; d + 4 * VW <= D; d += 4 * VW) {
    vf c0 = vzero(), c1 = vzero(), c2 = vzero(), c3 = vzero();
    for (long j = 0; j < L; j++) {
      const vf wj = vset1(w[j]);
      const float* r = V + j * ldv + d;
      c0 += wj * vload(r);
      c1 += wj * vload(r + VW);
      c2 += wj * vload(r + 2 * VW);
      c3 += wj * vload(r + 3 * VW);
    }
    vstore(out + d, c0);
    vstore(out + d + VW, c1);
    vstore(out + d + 2 * VW, c2);
    vstore(out + d + 3 * VW, c3);
  }
  for (; d < D; d += VW) {
    const long n = lmin(VW, D - d);
    vf c = vzero();
    for (long j = 0; j < L; j++) c += vset1(w[j]) * vloadn(V + j * ldv + d, n);
    vstoren(out + d, c, n);
  }
}

/** Returns dc . Vj; adds w * dc to dVj when given. */
GRU_INLINE float value_row_backward(const float* __restrict dc, const float* __restrict Vj, float* __restrict dVj,
                                    float w, long D) {
  vf acc0 = vzero(), acc1 = vzero();
  const vf wv = vset1(w);
  long d = 0;
  for (; d + 2 * VW <= D; d += 2 * VW) {
    const vf c0 = vload(dc + d), c1 = vload(dc + d + VW);
    acc0 += c0 * vload(Vj + d);
    acc1 += c1 * vload(Vj + d + VW);
    if (dVj) {
      vstore(dVj + d, vload(dVj + d) + wv * c0);
      vstore(dVj + d + VW, vload(dVj + d + VW) + wv * c1);
    }
  }
  for (; d < D; d += VW) {
    const long n = lmin(VW, D - d);
    const vf c = vloadn(dc + d, n);
    acc0 += c * vloadn(Vj + d, n);
    if (dVj) vstoren(dVj + d, vloadn(dVj + d, n) + wv * c, n);
  }
  return hsum(acc0 + acc1);
}

/**
 * Additive score backward for one key row, de = dloss/de_j:
 * dv += de u, g = de v (1 - u^2), dk += g, dq += g (each when given).
 */
GRU_INLINE void additive_row_backward(float de, const float* __restrict k, const float* __restrict q,
                                      const float* __restrict v, const float* __restrict u, float* __restrict dk,
                                      float* __restrict dq, float* __restrict dv, long A) {
  const vf dev = vset1(de);
  for (long i = 0; i < A; i += VW) {
    const long n = lmin(VW, A - i);
    const vf t = u ? vloadn(u + i, n) : vtanh_acc(vloadn(k + i, n) + vloadn(q + i, n));
    if (dv) vstoren(dv + i, vloadn(dv + i, n) + dev * t, n);
    const vf g = dev * vloadn(v + i, n) * (1.0f - t * t);
    if (dk) vstoren(dk + i, vloadn(dk + i, n) + g, n);
    if (dq) vstoren(dq + i, vloadn(dq + i, n) + g, n);
  }
}

/** Dot score backward for one key row: dk += de q, dq += de k (each when given). */
GRU_INLINE void dot_row_backward(float de, const float* __restrict k, const float* __restrict q, float* __restrict dk,
                                 float* __restrict dq, long A) {
  const vf dev = vset1(de);
  for (long i = 0; i < A; i += VW) {
    const long n = lmin(VW, A - i);
    if (dk) vstoren(dk + i, vloadn(dk + i, n) + dev * vloadn(q + i, n), n);
    if (dq) vstoren(dq + i, vloadn(dq + i, n) + dev * vloadn(k + i, n), n);
  }
}

/** Per-thread scratch of at least n doubles (calls are serialized by the addon; this is for safety). */
double* scratch(long n) {
  static thread_local std::vector<double> buf;
  if (long(buf.size()) < n) buf.resize(size_t(n));
  return buf.data();
}

}  // namespace

void attention_forward(const AttentionForward& a) {
  const long B = a.B, S = a.S, A = a.A, D = a.D;
  double* p = scratch(S);
  for (long b = 0; b < B; b++) {
    const long L = row_length(a.lengths, b, S);
    const float* q = a.q + b * A;
    float* alpha = a.alpha + b * S;
    // Scores (into alpha for now).
    for (long j = 0; j < L; j++) {
      const long r = b * a.kb + j * a.kj;
      alpha[j] = a.v ? additive_score(a.keys + r, q, a.v, a.u ? a.u + r : nullptr, A) : dot_score(a.keys + r, q, A);
    }
    // Masked softmax, in double (times the gain).
    double max = -INFINITY, sum = 0;
    for (long j = 0; j < L; j++) max = alpha[j] > max ? alpha[j] : max;
    for (long j = 0; j < L; j++) sum += p[j] = std::exp(double(alpha[j]) - max);
    if (a.gain) {
      const float* g = a.gain + b * S;
      for (long j = 0; j < S; j++) alpha[j] = j < L ? float(p[j] / sum * double(g[j])) : 0.0f;
    } else {
      for (long j = 0; j < S; j++) alpha[j] = j < L ? float(p[j] / sum) : 0.0f;
    }
    weighted_rows(a.context + b * D, alpha, a.values + b * a.vb, L, D, a.vj);
  }
}

void attention_backward(const AttentionBackward& a) {
  const long B = a.B, S = a.S, A = a.A, D = a.D;
  float* dv = a.v ? a.dv : nullptr;
  double* dAlpha = scratch(S);
  for (long b = 0; b < B; b++) {
    const long L = row_length(a.lengths, b, S);
    const float* alpha = a.alpha + b * S;
    const float* dc = a.dContext + b * D;
    const float* q = a.q + b * A;
    float* dq = a.dq ? a.dq + b * A : nullptr;
    // Through the context: dV_j += beta_j dc, dbeta_j = dc . V_j.
    double dot = 0;
    for (long j = 0; j < L; j++) {
      const long r = b * a.vb + j * a.vj;
      const float t = value_row_backward(dc, a.values + r, a.dValues ? a.dValues + r : nullptr, alpha[j], D);
      dAlpha[j] = t;
      dot += double(alpha[j]) * t;
    }
    // Through the gain, the softmax and the score.
    const float* g = a.gain ? a.gain + b * S : nullptr;
    float* dg = g && a.dGain ? a.dGain + b * S : nullptr;
    for (long j = 0; j < L; j++) {
      const long r = b * a.kb + j * a.kj;
      float de;
      if (g) {
        const double al = double(alpha[j]) / double(g[j]);
        de = float(double(alpha[j]) * dAlpha[j] - al * dot);
        if (dg) dg[j] += float(al * dAlpha[j]);
      } else {
        de = float(double(alpha[j]) * (dAlpha[j] - dot));
      }
      const float* k = a.keys + r;
      float* dk = a.dKeys ? a.dKeys + r : nullptr;
      if (a.v) additive_row_backward(de, k, q, a.v, a.u ? a.u + r : nullptr, dk, dq, dv, A);
      else dot_row_backward(de, k, q, dk, dq, A);
    }
  }
}

}  // namespace ISA_NS
