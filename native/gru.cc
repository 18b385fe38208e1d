// GRU sequence forward and backward, compiled once per instruction set, with
// the structure of src/kernels/ref/gru.ts (same formulas, same cache layout:
// gates = r, z, n after their activations; hPrev; hn = U_n h + b_hn for the
// PyTorch form, r ⊙ h for the Cho form), so caches are interchangeable.
//
// Forward: the input projection of every step is one threaded product
// (bias fused) before the loop; U = W_hh is packed once per call into
// unit-block panels: block u holds, for each k, the r, z and n rows of its
// VW hidden units side by side, so one micro-kernel tile yields r, z and n of
// the same units and the gate math runs on the accumulators in registers.
// The hidden units are split across threads; each thread packs and keeps its
// own panels (in its own core's cache) and computes the gates, and the new
// state, of its own units only, so a step needs one barrier (the Cho form:
// two, since U_n multiplies r ⊙ h of every unit).
//
// B = 1 (latency): the step is a matrix-vector product. The same panels are
// then read strictly sequentially, each thread streaming only its own half
// (which stays in its own core's L2), by a 1-row tile that splits k over
// several accumulator sets (tile<1, 3, KS>) to hide the FMA latency.
//
// T = 1 with at most kDirectRows rows (generation, beam search): no packing;
// each weight row is read once in place and dotted with every row's input and
// state (forward_one_step).
//
// Backward: per step, each thread forms the gate gradients of its own units
// (elementwise), then, after a barrier, its own columns of dh·U from all gate
// gradients (U packed once into column panels). The weight gradients are one
// threaded product each after the loop; the bias gradients are summed on the
// fly. Nothing is allocated inside the loop: scratch buffers persist.
//
// Precomputed input projection (xProj, for sparse inputs): forward reads gi
// from it in place of the input product (r, z, n then go to the cache only);
// backward skips dx, dW_ih and db_ih and each thread adds its own units'
// columns of dgi into dXProj.
#include "simd.h"
#include "microkernel.h"
#include "gemm.h"
#include "gru.h"
#include "threads.h"

namespace ISA_NS {
namespace {

using grunative::Barrier;
using grunative::GruBackward;
using grunative::GruForward;

template <int N>
struct Rows {
  static constexpr int value = N;
};

/** The largest power of two below n (0 for n <= 1). */
constexpr int pow2_below(int n) {
  int p = 1;
  while (p * 2 < n) p *= 2;
  return n <= 1 ? 0 : p;
}

template <int P, class F>
GRU_INLINE void remainder_tiles(long& b0, long B, F& f) {
  if constexpr (P >= 1) {
    if (b0 + P <= B) {
      f(Rows<P>{}, b0);
      b0 += P;
    }
    remainder_tiles<P / 2>(b0, B, f);
  }
}

/**
 * Calls f(Rows<M>{}, b0) over the rows [0, B): tiles of MAX rows, then the
 * remainder in power-of-two tiles (so only a few tile heights are compiled).
 */
template <int MAX, class F>
GRU_INLINE void for_row_tiles(long B, F&& f) {
  long b0 = 0;
  for (; b0 + MAX <= B; b0 += MAX) f(Rows<MAX>{}, b0);
  remainder_tiles<pow2_below(MAX)>(b0, B, f);
}

constexpr int FMR = GRU_FWD_MR;
constexpr int PS = 3 * VW;  // floats per k in a forward panel
constexpr int BMR = GRU_BWD_MR;
constexpr int BNV = GRU_BWD_NV;
constexpr int NRB = BNV * VW;  // columns of a backward panel

constexpr int ks_for(int m, int budget) {
  return budget / m < 1 ? 1 : (budget / m > 8 ? 8 : budget / m);
}

/**
 * Per-step work (multiply-adds per thread) below which fewer threads are faster: the threads meet at
 * a barrier every step, and a barrier costs microseconds when the other cores are free but up to a
 * scheduler slice when one is busy (another engine's spinning workers, another process). A 256-unit
 * step of one sequence (196,608 multiply-adds, ~10 µs) ran 0.76 ms per 100 steps on one thread and
 * 1.0 ms on two alone, 4.9 ms on two beside ONNX Runtime (bench:same-process); a batch of 4 at 256
 * units or one sequence at 512 units keeps two threads.
 */
constexpr double kMinStepWorkPerThread = 262144.0;

int step_threads(int threads, long units, long T, long B, long H) {
  long nt = threads < 1 ? 1 : threads;
  if (nt > units) nt = units;
  const double work = double(B) * 3.0 * double(H) * double(H);
  if (double(T) * work < grunative::kMinParallelWork) return 1;
  while (nt > 1 && work / double(nt) < kMinStepWorkPerThread) nt--;
  return int(nt);
}

inline bool inactive(const int32_t* lengths, long b, long t) { return lengths && t >= long(lengths[b]); }

// ---------------------------------------------------------------- forward

/** Block u of U (3H x H) as panel P + u·H·PS: P[k·PS + g·VW + l] = U[(g·H + u·VW + l)·H + k]. */
void pack_forward_panels(const float* __restrict U, long H, long u0, long u1, float* __restrict P) {
  for (long u = u0; u < u1; u++) {
    float* d = P + u * H * PS;
    const long j0 = u * VW, nu = lmin(VW, H - j0);
    for (int g = 0; g < 3; g++) {
      const float* s = U + (g * H + j0) * H;
      float* dg = d + g * VW;
      long k = 0;
      if (VW % 8 == 0 && nu == VW) {
        // 8 x 8 transposes: 8 units by 8 k at a time.
        for (; k + 8 <= H; k += 8)
          for (long l = 0; l < VW; l += 8) transpose8x8(s + l * H + k, H, dg + k * PS + l, PS);
      }
      for (long l = 0; l < VW; l++) {
        float* dd = dg + l;
        if (l < nu) {
          const float* sl = s + l * H;
          for (long kk = k; kk < H; kk++) dd[kk * PS] = sl[kk];
        } else {
          for (long kk = 0; kk < H; kk++) dd[kk * PS] = 0.0f;
        }
      }
    }
  }
}

struct Fwd {
  const GruForward* a;
  long G, blocks;
  // gi: the input projection (with b_ih) read by each step. gates: where r, z,
  // n go when a.gates (the cache) is given. Without xProj both are the same
  // buffer (gi on entry to a step, r, z, n after it, for active rows).
  const float* gi;
  float* gates;
  float* P;
  float* h[2];
  float* rz;  // (B, 2H) r and z, Cho form
  float* rh;  // (B, H) r ⊙ h, Cho form
  Barrier bar;
};

/**
 * An inactive row keeps the input projection in the cache's gates (as ref);
 * with a precomputed projection it is copied there (without, it is in place).
 */
GRU_INLINE void keep_projection(const Fwd& f, long row, long j, long nu) {
  if (f.gates == f.gi || !f.gates) return;
  const long H = f.a->H;
  const float* s = f.gi + row * f.G + j;
  float* d = f.gates + row * f.G + j;
  vstoren(d, vloadn(s, nu), nu);
  vstoren(d + H, vloadn(s + H, nu), nu);
  vstoren(d + 2 * H, vloadn(s + 2 * H, nu), nu);
}

/**
 * The start of a row's step, shared by both forms: saves h_{t−1} for backward
 * and, past the row's length, carries the state, writes a zero output (and
 * a zero hn) and keeps the projection. True when the row is finished (nothing more to do).
 */
GRU_INLINE bool carry_if_inactive(const Fwd& f, long t, long b, long row, long j, long nu, vf hp, float* hnext, float* y) {
  const GruForward& a = *f.a;
  if (a.hPrev) vstoren(a.hPrev + row * a.H + j, hp, nu);
  if (!inactive(a.lengths, b, t)) return false;
  vstoren(y, vzero(), nu);
  if (a.hn) vstoren(a.hn + row * a.H + j, vzero(), nu);
  vstoren(hnext + b * a.H + j, hp, nu);
  keep_projection(f, row, j, nu);
  return true;
}

/** The end of a row's step: the cache (r, z, n and hn) when one is kept, the new state and y. */
GRU_INLINE void store_step(const Fwd& f, long row, long b, long j, long nu, vf r, vf z, vf n, vf hn, vf hNew, float* hnext, float* y) {
  const GruForward& a = *f.a;
  if (a.gates) {
    float* g = f.gates + row * f.G;
    vstoren(g + j, r, nu);
    vstoren(g + a.H + j, z, nu);
    vstoren(g + 2 * a.H + j, n, nu);
    vstoren(a.hn + row * a.H + j, hn, nu);
  }
  vstoren(hnext + b * a.H + j, hNew, nu);
  vstoren(y, hNew, nu);
}

/** PyTorch form, rows [b0, b0 + M) of step t, unit block u. */
template <int M, bool FULL>
GRU_INLINE void fwd_after(const Fwd& f, long t, long b0, long u, const float* hcur, float* hnext) {
  const GruForward& a = *f.a;
  const long H = a.H, G = f.G, j = u * VW, nu = FULL ? VW : lmin(VW, H - j);
  // The epilogue's gi lines are far away (the whole sequence's projection):
  // fetch them while the tile computes.
#pragma GCC unroll 16
  for (int i = 0; i < M; i++) {
    const float* g = f.gi + ((t * a.B + b0 + i) * G + j);
    __builtin_prefetch(g, 0, 3);
    __builtin_prefetch(g + H, 0, 3);
    __builtin_prefetch(g + 2 * H, 0, 3);
    __builtin_prefetch(a.y + t * a.ldyT + (b0 + i) * a.ldy + a.yOff + j, 1, 3);
  }
  vf acc[M][3];
  tile<M, 3, ks_for(M, FMR)>(H, hcur + b0 * H, H, 1, f.P + u * H * PS, PS, acc);
  const vf bhr = a.bHh ? vloadn(a.bHh + j, nu) : vzero();
  const vf bhz = a.bHh ? vloadn(a.bHh + H + j, nu) : vzero();
  const vf bhn = a.bHh ? vloadn(a.bHh + 2 * H + j, nu) : vzero();
#pragma GCC unroll 16
  for (int i = 0; i < M; i++) {
    const long b = b0 + i, row = t * a.B + b;
    float* y = a.y + t * a.ldyT + b * a.ldy + a.yOff + j;
    const vf hp = vloadn(hcur + b * H + j, nu);
    if (carry_if_inactive(f, t, b, row, j, nu, hp, hnext, y)) continue;
    const float* gi = f.gi + row * G;
    const vf r = vsigmoid(vloadn(gi + j, nu) + (acc[i][0] + bhr));
    const vf z = vsigmoid(vloadn(gi + H + j, nu) + (acc[i][1] + bhz));
    const vf ghn = acc[i][2] + bhn;
    const vf n = vtanh(vloadn(gi + 2 * H + j, nu) + r * ghn);
    store_step(f, row, b, j, nu, r, z, n, ghn, (1.0f - z) * n + z * hp, hnext, y);
  }
}

/** Cho form, first half: r and z of rows [b0, b0 + M), unit block u; r ⊙ h for every row. */
template <int M>
GRU_INLINE void fwd_before_rz(const Fwd& f, long t, long b0, long u, const float* hcur) {
  const GruForward& a = *f.a;
  const long H = a.H, G = f.G, j = u * VW, nu = lmin(VW, H - j);
  vf acc[M][2];
  tile<M, 2, ks_for(M, FMR)>(H, hcur + b0 * H, H, 1, f.P + u * H * PS, PS, acc);
  const vf bhr = a.bHh ? vloadn(a.bHh + j, nu) : vzero();
  const vf bhz = a.bHh ? vloadn(a.bHh + H + j, nu) : vzero();
#pragma GCC unroll 16
  for (int i = 0; i < M; i++) {
    const long b = b0 + i, row = t * a.B + b;
    const float* g = f.gi + row * G;
    const vf r = vsigmoid(vloadn(g + j, nu) + (acc[i][0] + bhr));
    const vf z = vsigmoid(vloadn(g + H + j, nu) + (acc[i][1] + bhz));
    vstoren(f.rz + b * 2 * H + j, r, nu);
    vstoren(f.rz + b * 2 * H + H + j, z, nu);
    vstoren(f.rh + b * H + j, r * vloadn(hcur + b * H + j, nu), nu);
  }
}

/** Cho form, second half: n = tanh(gi_n + U_n (r ⊙ h) + b_hn) and the new state. */
template <int M>
GRU_INLINE void fwd_before_n(const Fwd& f, long t, long b0, long u, const float* hcur, float* hnext) {
  const GruForward& a = *f.a;
  const long H = a.H, G = f.G, j = u * VW, nu = lmin(VW, H - j);
  vf acc[M][1];
  tile<M, 1, ks_for(M, 3 * FMR)>(H, f.rh + b0 * H, H, 1, f.P + u * H * PS + 2 * VW, PS, acc);
  const vf bhn = a.bHh ? vloadn(a.bHh + 2 * H + j, nu) : vzero();
#pragma GCC unroll 16
  for (int i = 0; i < M; i++) {
    const long b = b0 + i, row = t * a.B + b;
    float* y = a.y + t * a.ldyT + b * a.ldy + a.yOff + j;
    const vf hp = vloadn(hcur + b * H + j, nu);
    if (carry_if_inactive(f, t, b, row, j, nu, hp, hnext, y)) continue;
    const vf r = vloadn(f.rz + b * 2 * H + j, nu);
    const vf z = vloadn(f.rz + b * 2 * H + H + j, nu);
    const vf n = vtanh(vloadn(f.gi + row * G + 2 * H + j, nu) + (acc[i][0] + bhn));
    store_step(f, row, b, j, nu, r, z, n, vloadn(f.rh + b * H + j, nu), (1.0f - z) * n + z * hp, hnext, y);
  }
}

void forward_job(void* p, int tid, int nt) {
  Fwd& f = *static_cast<Fwd*>(p);
  const GruForward& a = *f.a;
  const long T = a.T, B = a.B, H = a.H;
  const long u0 = f.blocks * tid / nt, u1 = f.blocks * (tid + 1) / nt;
  pack_forward_panels(a.wHh, H, u0, u1, f.P);  // each thread packs (and caches) only its own panels
  const float* hcur = a.h0;
  for (long s = 0; s < T; s++) {
    const long t = a.reverse ? T - 1 - s : s;
    float* hnext = f.h[s & 1];
    if (a.resetAfter) {
      for (long u = u0; u < u1; u++) {
        if ((u + 1) * VW <= H)
          for_row_tiles<FMR>(B, [&](auto R, long b0) { fwd_after<decltype(R)::value, true>(f, t, b0, u, hcur, hnext); });
        else
          for_row_tiles<FMR>(B, [&](auto R, long b0) { fwd_after<decltype(R)::value, false>(f, t, b0, u, hcur, hnext); });
      }
    } else {
      for (long u = u0; u < u1; u++)
        for_row_tiles<FMR>(B, [&](auto R, long b0) { fwd_before_rz<decltype(R)::value>(f, t, b0, u, hcur); });
      grunative::barrier_wait(&f.bar);
      for (long u = u0; u < u1; u++)
        for_row_tiles<FMR>(B, [&](auto R, long b0) { fwd_before_n<decltype(R)::value>(f, t, b0, u, hcur, hnext); });
    }
    if (s + 1 < T) grunative::barrier_wait(&f.bar);
    hcur = hnext;
  }
  // hN: own units of the final state (written by this thread).
  const long j0 = lmin(H, u0 * VW), j1 = lmin(H, u1 * VW);
  for (long b = 0; b < B; b++)
    for (long j = j0; j < j1; j++) a.hN[b * H + j] = hcur[b * H + j];
}

// ---------------------------------------------------------------- backward

/** U (3H x H) as column panels: panel p at P + p·3H·NRB, P[k·NRB + c] = U[k·H + p·NRB + c]. */
void pack_backward_panels(const float* __restrict U, long H, long p0, long p1, float* __restrict P) {
  const long K = 3 * H;
  for (long p = p0; p < p1; p++) {
    float* d = P + p * K * NRB;
    const long c0 = p * NRB, nc = lmin(NRB, H - c0);
    for (long k = 0; k < K; k++) {
      const float* s = U + k * H + c0;
      if (nc == NRB) {
#pragma GCC unroll 8
        for (int v = 0; v < BNV; v++) vstore(d + k * NRB + v * VW, vload(s + v * VW));
      } else {
        long c = 0;
        for (; c < nc; c++) d[k * NRB + c] = s[c];
        for (; c < NRB; c++) d[k * NRB + c] = 0.0f;
      }
    }
  }
}

struct Bwd {
  const GruBackward* a;
  long G, panels;
  float* dgi;
  float* dgh;
  float* P;
  float* dh[2];
  float* dbi;  // (3H) bias-gradient sums, each thread its own units
  float* dbh;
  Barrier bar;
};

/** Gate gradients of own units [j0, j1) for every row of step t (ref: the first loop of a step). */
void bwd_gates(const Bwd& w, long t, long j0, long j1, const float* dh, float* dhNext) {
  const GruBackward& a = *w.a;
  const long B = a.B, H = a.H, G = w.G;
  for (long b = 0; b < B; b++) {
    const long row = t * B + b, g = row * G, c = row * H;
    float* dgi = w.dgi + g;
    float* dgh = w.dgh + g;
    if (inactive(a.lengths, b, t)) {
      // h passed through unchanged; no gate gradients.
      for (long j = j0; j < j1; j++) {
        dhNext[b * H + j] = dh[b * H + j];
        dgi[j] = dgi[H + j] = dgi[2 * H + j] = 0.0f;
        dgh[j] = dgh[H + j] = dgh[2 * H + j] = 0.0f;
      }
      continue;
    }
    const float* gt = a.gates + g;
    const float* dyRow = a.dy ? a.dy + t * a.ldyT + b * a.ldy + a.dyOff : nullptr;
    for (long j = j0; j < j1; j += VW) {
      const long n = lmin(VW, j1 - j);
      const vf r = vloadn(gt + j, n), z = vloadn(gt + H + j, n), nn = vloadn(gt + 2 * H + j, n);
      const vf hp = vloadn(a.hPrev + c + j, n);
      vf dOut = vloadn(dh + b * H + j, n);
      if (dyRow) dOut += vloadn(dyRow + j, n);
      const vf dn = dOut * (1.0f - z);
      const vf dzPre = dOut * (hp - nn) * z * (1.0f - z);
      const vf dnPre = dn * (1.0f - nn * nn);
      vstoren(dgi + H + j, dzPre, n);
      vstoren(dgh + H + j, dzPre, n);
      vstoren(dgi + 2 * H + j, dnPre, n);
      vstoren(dhNext + b * H + j, dOut * z, n);
      vstoren(w.dbi + H + j, vloadn(w.dbi + H + j, n) + dzPre, n);
      vstoren(w.dbh + H + j, vloadn(w.dbh + H + j, n) + dzPre, n);
      vstoren(w.dbi + 2 * H + j, vloadn(w.dbi + 2 * H + j, n) + dnPre, n);
      if (a.resetAfter) {
        const vf drPre = dnPre * vloadn(a.hn + c + j, n) * r * (1.0f - r);
        const vf dghn = dnPre * r;
        vstoren(dgh + 2 * H + j, dghn, n);
        vstoren(dgi + j, drPre, n);
        vstoren(dgh + j, drPre, n);
        vstoren(w.dbh + 2 * H + j, vloadn(w.dbh + 2 * H + j, n) + dghn, n);
        vstoren(w.dbi + j, vloadn(w.dbi + j, n) + drPre, n);
        vstoren(w.dbh + j, vloadn(w.dbh + j, n) + drPre, n);
      } else {
        vstoren(dgh + 2 * H + j, dnPre, n);
        vstoren(w.dbh + 2 * H + j, vloadn(w.dbh + 2 * H + j, n) + dnPre, n);
      }
    }
  }
}

/** dhNext[rows, panel p] += dgh_t[rows, k0 : k0 + K] · U[k0 : k0 + K, panel p]. */
template <int M>
GRU_INLINE void bwd_dh(const Bwd& w, long t, long b0, long p, long k0, long K, float* dhNext) {
  const GruBackward& a = *w.a;
  const long H = a.H, G = w.G, c0 = p * NRB, nc = lmin(NRB, H - c0);
  vf acc[M][BNV];
  tile<M, BNV, ks_for(M, BMR)>(K, w.dgh + (t * a.B + b0) * G + k0, G, 1, w.P + p * G * NRB + k0 * NRB, NRB, acc);
#pragma GCC unroll 16
  for (int i = 0; i < M; i++) {
    float* d = dhNext + (b0 + i) * H + c0;
#pragma GCC unroll 8
    for (int v = 0; v < BNV; v++) {
      const long n = nc - v * VW;
      if (n <= 0) break;
      vstoren(d + v * VW, vloadn(d + v * VW, n) + acc[i][v], n);
    }
  }
}

/** Cho form: d(r ⊙ h) = dgh_n · U_n for panel p, then r's gradient and h's share. */
template <int M>
GRU_INLINE void bwd_before_r(const Bwd& w, long t, long b0, long p, float* dhNext) {
  const GruBackward& a = *w.a;
  const long H = a.H, G = w.G, c0 = p * NRB, nc = lmin(NRB, H - c0);
  vf acc[M][BNV];
  tile<M, BNV, ks_for(M, BMR)>(H, w.dgh + (t * a.B + b0) * G + 2 * H, G, 1, w.P + p * G * NRB + 2 * H * NRB, NRB, acc);
#pragma GCC unroll 16
  for (int i = 0; i < M; i++) {
    const long b = b0 + i, row = t * a.B + b;
    float* dgi = w.dgi + row * G;
    float* dgh = w.dgh + row * G;
    if (inactive(a.lengths, b, t)) continue;  // zeroed by bwd_gates
#pragma GCC unroll 8
    for (int v = 0; v < BNV; v++) {
      const long n = nc - v * VW, j = c0 + v * VW;
      if (n <= 0) break;
      const vf r = vloadn(a.gates + row * G + j, n);
      const vf drh = acc[i][v];
      const vf drPre = drh * vloadn(a.hPrev + row * H + j, n) * r * (1.0f - r);
      vstoren(dgi + j, drPre, n);
      vstoren(dgh + j, drPre, n);
      vstoren(w.dbi + j, vloadn(w.dbi + j, n) + drPre, n);
      vstoren(w.dbh + j, vloadn(w.dbh + j, n) + drPre, n);
      float* d = dhNext + b * H + j;
      vstoren(d, vloadn(d, n) + drh * r, n);
    }
  }
}

void backward_job(void* p, int tid, int nt) {
  Bwd& w = *static_cast<Bwd*>(p);
  const GruBackward& a = *w.a;
  const long T = a.T, B = a.B, H = a.H;
  const long p0 = w.panels * tid / nt, p1 = w.panels * (tid + 1) / nt;
  const long j0 = lmin(H, p0 * NRB), j1 = lmin(H, p1 * NRB);
  pack_backward_panels(a.wHh, H, p0, p1, w.P);
  for (long g = 0; g < 3; g++)
    for (long j = g * H + j0; j < g * H + j1; j++) w.dbi[j] = w.dbh[j] = 0.0f;
  float* dh = w.dh[0];
  float* dhNext = w.dh[1];
  for (long b = 0; b < B; b++)
    for (long j = j0; j < j1; j++) dh[b * H + j] = a.dhN ? a.dhN[b * H + j] : 0.0f;
  // Per step: gate gradients of own units (they need only own columns of dh),
  // a barrier, then own columns of dh·U from every unit's gate gradients. The
  // next step's gate gradients again need only own columns: one barrier per
  // step (the Cho form: two, as r's gradient needs U_n of every unit first).
  for (long q = T - 1; q >= 0; q--) {
    const long t = a.reverse ? T - 1 - q : q;
    bwd_gates(w, t, j0, j1, dh, dhNext);
    grunative::barrier_wait(&w.bar);
    if (a.resetAfter) {
      for (long pp = p0; pp < p1; pp++)
        for_row_tiles<BMR>(B, [&](auto R, long b0) { bwd_dh<decltype(R)::value>(w, t, b0, pp, 0, 3 * H, dhNext); });
    } else {
      for (long pp = p0; pp < p1; pp++)
        for_row_tiles<BMR>(B, [&](auto R, long b0) { bwd_before_r<decltype(R)::value>(w, t, b0, pp, dhNext); });
      grunative::barrier_wait(&w.bar);
      for (long pp = p0; pp < p1; pp++)
        for_row_tiles<BMR>(B, [&](auto R, long b0) { bwd_dh<decltype(R)::value>(w, t, b0, pp, 0, 2 * H, dhNext); });
    }
    float* s = dh;
    dh = dhNext;
    dhNext = s;
  }
  if (a.dh0)
    for (long b = 0; b < B; b++)
      for (long j = j0; j < j1; j++) a.dh0[b * H + j] += dh[b * H + j];
  // Precomputed input projection: its gradient is dgi (zero on masked steps).
  // This thread's columns of dgi are final (it wrote them all), so no barrier.
  if (a.xProj && a.dXProj) {
    const long G = w.G;
    for (long row = 0; row < T * B; row++) {
      const float* s = w.dgi + row * G;
      float* d = a.dXProj + row * G;
      for (long g = 0; g < 3 * H; g += H)
        for (long j = j0; j < j1; j += VW) {
          const long n = lmin(VW, j1 - j);
          vstoren(d + g + j, vloadn(d + g + j, n) + vloadn(s + g + j, n), n);
        }
    }
  }
}

// ---------------------------------------------------------------- one step of a few rows
//
// T = 1 with a few rows (text generation, beam search): the call is one
// matrix-vector product per row, and packing W_hh (and W_ih, in the input
// product) would read and write every weight once more than the products
// read it. Here each row of W_ih and W_hh is read once, where it is, and
// dotted with every row's x and h (vectors along k), then the gate math runs
// over the units as in fwd_after / fwd_before_*.

/** Rows up to which a one-step call takes the path below (measured, H = 256: 3.5× faster than packing at B = 1, 2.4× at 4, 1.3× at 8). */
constexpr long kDirectRows = 8;

/** One k-slice [k, k + n) of row_dots_tile: acc[r][b] += W row j0 + r · v row b (rows past nr read as 0). */
template <int NB, bool FULL>
GRU_INLINE void row_dots_slice(vf (&acc)[4][NB], const float* __restrict W, long j0, long nr, long K,
                               const float* __restrict v, long ldv, long k, long n) {
  vf x[NB];
#pragma GCC unroll 8
  for (int b = 0; b < NB; b++) x[b] = FULL ? vload(v + b * ldv + k) : vloadn(v + b * ldv + k, n);
#pragma GCC unroll 4
  for (int r = 0; r < 4; r++) {
    const vf w = FULL ? vload(W + (j0 + r) * K + k) : r < nr ? vloadn(W + (j0 + r) * K + k, n) : vzero();
#pragma GCC unroll 8
    for (int b = 0; b < NB; b++) acc[r][b] += w * x[b];
  }
}

/** row_dots for rows [j0, j0 + nr) of W (nr ≤ 4) and the NB vectors at v: 4·NB accumulators. */
template <int NB>
GRU_INLINE void row_dots_tile(const float* __restrict W, long j0, long nr, long K, const float* __restrict v, long ldv,
                              const float* __restrict bias, float* __restrict out, long ldo) {
  vf acc[4][NB] = {};
  long k = 0;
  if (nr == 4)
    for (; k + VW <= K; k += VW) row_dots_slice<NB, true>(acc, W, j0, nr, K, v, ldv, k, VW);
  for (; k < K; k += VW) row_dots_slice<NB, false>(acc, W, j0, nr, K, v, ldv, k, lmin(VW, K - k));
  for (int b = 0; b < NB; b++) {
    const vf part[4] = {acc[0][b], acc[1][b], acc[2][b], acc[3][b]};
    float sum[4];
    vhsum4(part, sum);
    for (int r = 0; r < nr; r++) out[b * ldo + j0 + r] = (bias ? bias[j0 + r] : 0.0f) + sum[r];
  }
}

/** out[b·ldo + j] = (bias ? bias[j] : 0) + Σ_k W[j·K + k] v[b·ldv + k] for j < N, b < B: every row of W read once. */
void row_dots(const float* __restrict W, long N, long K, const float* __restrict v, long ldv, long B,
              const float* __restrict bias, float* __restrict out, long ldo) {
  for (long j0 = 0; j0 < N; j0 += 4) {
    const long nr = lmin(4, N - j0);
    for_row_tiles<4>(B, [&](auto R, long b0) {
      row_dots_tile<decltype(R)::value>(W, j0, nr, K, v + b0 * ldv, ldv, bias, out + b0 * ldo, ldo);
    });
  }
}

/** gru_forward for T = 1 and B ≤ kDirectRows (one thread). */
void forward_one_step(const GruForward& a) {
  const long B = a.B, H = a.H, G = 3 * H;
  Fwd f;
  f.a = &a;
  f.G = G;
  float* st = grunative::scratch(grunative::kSlotState, size_t(2 * B * G + B * H));
  float* gh = st;           // (B, 3H) U h (+ b_hh); the Cho form's n part is U_n (r ⊙ h)
  float* rh = st + B * G;   // (B, H) r ⊙ h, Cho form
  // (B, 3H) at st + B·G + B·H: gi when there is no cache to hold it
  if (a.xProj) {
    f.gi = a.xProj;
    f.gates = a.gates;
  } else {
    f.gates = a.gates ? a.gates : st + B * G + B * H;
    row_dots(a.wIh, G, a.I, a.x, a.I, B, a.bIh, f.gates, G);
    f.gi = f.gates;
  }
  const float* h = a.h0;
  row_dots(a.wHh, a.resetAfter ? G : 2 * H, H, h, H, B, a.bHh, gh, G);
  if (!a.resetAfter) {
    for (long b = 0; b < B; b++)
      for (long j = 0; j < H; j += VW) {
        const long nu = lmin(VW, H - j);
        const vf r = vsigmoid(vloadn(f.gi + b * G + j, nu) + vloadn(gh + b * G + j, nu));
        vstoren(rh + b * H + j, r * vloadn(h + b * H + j, nu), nu);
      }
    row_dots(a.wHh + 2 * H * H, H, H, rh, H, B, a.bHh ? a.bHh + 2 * H : nullptr, gh + 2 * H, G);
  }
  for (long b = 0; b < B; b++) {
    for (long j = 0; j < H; j += VW) {
      const long nu = lmin(VW, H - j);
      float* y = a.y + b * a.ldy + a.yOff + j;
      const vf hp = vloadn(h + b * H + j, nu);
      if (carry_if_inactive(f, 0, b, b, j, nu, hp, a.hN, y)) continue;
      const float* gi = f.gi + b * G;
      const float* g = gh + b * G;
      const vf r = vsigmoid(vloadn(gi + j, nu) + vloadn(g + j, nu));  // (the Cho form computed it above too)
      const vf z = vsigmoid(vloadn(gi + H + j, nu) + vloadn(g + H + j, nu));
      const vf ghn = vloadn(g + 2 * H + j, nu);
      const vf n = vtanh(vloadn(gi + 2 * H + j, nu) + (a.resetAfter ? r * ghn : ghn));
      const vf hn = a.resetAfter ? ghn : vloadn(rh + b * H + j, nu);
      store_step(f, b, b, j, nu, r, z, n, hn, (1.0f - z) * n + z * hp, a.hN, y);
    }
  }
}

}  // namespace

void gru_forward(const GruForward& a, int threads) {
  const long T = a.T, B = a.B, I = a.I, H = a.H, G = 3 * H;
  if (B <= 0 || H <= 0) return;
  if (T <= 0) {
    for (long i = 0; i < B * H; i++) a.hN[i] = a.h0[i];
    return;
  }
  if (T == 1 && B <= kDirectRows) return forward_one_step(a);
  Fwd f;
  f.a = &a;
  f.G = G;
  f.blocks = (H + VW - 1) / VW;
  if (a.xProj) {
    // The caller's input projection (b_ih included) is read in place; r, z, n go to the cache, if any.
    f.gi = a.xProj;
    f.gates = a.gates;
  } else {
    f.gates = a.gates ? a.gates : grunative::scratch(grunative::kSlotGates, size_t(T * B * G));
    f.gi = f.gates;
    // gi = x W_ihᵀ + b_ih for all T·B rows at once.
    grunative::Gemm g{false, true, T * B, G, I, 1.0f, a.x, I, a.wIh, I, 0.0f, f.gates, G, a.bIh};
    ISA_NS::sgemm(g, threads);
  }
  f.P = grunative::scratch(grunative::kSlotPacked, size_t(f.blocks * H * PS));
  float* st = grunative::scratch(grunative::kSlotState, size_t(5 * B * H));
  f.h[0] = st;
  f.h[1] = st + B * H;
  f.rz = st + 2 * B * H;
  f.rh = st + 4 * B * H;
  const int nt = step_threads(threads, f.blocks, T, B, H);
  grunative::barrier_init(&f.bar, nt);
  grunative::parallel_run(nt, forward_job, &f);
}

void gru_backward(const GruBackward& a, int threads) {
  const long T = a.T, B = a.B, I = a.I, H = a.H, G = 3 * H;
  if (B <= 0 || H <= 0) return;
  if (T <= 0) {
    if (a.dh0 && a.dhN)
      for (long i = 0; i < B * H; i++) a.dh0[i] += a.dhN[i];
    return;
  }
  Bwd w;
  w.a = &a;
  w.G = G;
  w.panels = (H + NRB - 1) / NRB;
  w.dgi = grunative::scratch(grunative::kSlotDgi, size_t(T * B * G));
  w.dgh = grunative::scratch(grunative::kSlotDgh, size_t(T * B * G));
  w.P = grunative::scratch(grunative::kSlotPacked, size_t(w.panels * G * NRB));
  float* st = grunative::scratch(grunative::kSlotState, size_t(2 * B * H));
  w.dh[0] = st;
  w.dh[1] = st + B * H;
  float* bias = grunative::scratch(grunative::kSlotBias, size_t(2 * G));
  w.dbi = bias;
  w.dbh = bias + G;
  const int nt = step_threads(threads, w.panels, T, B, H);
  grunative::barrier_init(&w.bar, nt);
  grunative::parallel_run(nt, backward_job, &w);

  const long TB = T * B;
  if (a.dBIh && !a.xProj)
    for (long c = 0; c < G; c++) a.dBIh[c] += w.dbi[c];
  if (a.dBHh)
    for (long c = 0; c < G; c++) a.dBHh[c] += w.dbh[c];
  // Weight gradients over all steps at once: dW_ih += dgiᵀ x, dW_hh += dghᵀ h_prev.
  if (!a.xProj) ISA_NS::sgemm(grunative::Gemm{true, false, G, I, TB, 1.0f, w.dgi, G, a.x, I, 1.0f, a.dWIh, I, nullptr}, threads);
  if (a.resetAfter) {
    ISA_NS::sgemm(grunative::Gemm{true, false, G, H, TB, 1.0f, w.dgh, G, a.hPrev, H, 1.0f, a.dWHh, H, nullptr}, threads);
  } else {
    ISA_NS::sgemm(grunative::Gemm{true, false, 2 * H, H, TB, 1.0f, w.dgh, G, a.hPrev, H, 1.0f, a.dWHh, H, nullptr}, threads);
    ISA_NS::sgemm(grunative::Gemm{true, false, H, H, TB, 1.0f, w.dgh + 2 * H, G, a.hn, H, 1.0f, a.dWHh + 2 * H * H, H, nullptr}, threads);
  }
  if (a.dx && !a.xProj) ISA_NS::sgemm(grunative::Gemm{false, false, TB, I, G, 1.0f, w.dgi, G, a.wIh, I, 1.0f, a.dx, I, nullptr}, threads);
}

}  // namespace ISA_NS
