// One direction of one GRU layer over a whole sequence, forward and backward,
// with exactly the structure (and cache layout) of src/kernels/ref/gru.ts.
#pragma once
#include <cstdint>

namespace grunative {

struct GruForward {
  long T, B, I, H;
  const float* x;      // (T, B, I)
  const float* h0;     // (B, H)
  const float* wIh;    // (3H, I)
  const float* wHh;    // (3H, H)
  const float* bIh;    // (3H) or null
  const float* bHh;    // (3H) or null
  const int32_t* lengths;  // (B) or null
  bool reverse, resetAfter;
  float* y; long yOff, ldy, ldyT;  // row (t, b) at t·ldyT + b·ldy, columns [yOff, yOff + H)
  float* hN;           // (B, H)
  float* gates;        // cache (T, B, 3H) or null (then all three are null)
  float* hPrev;        // cache (T, B, H)
  float* hn;           // cache (T, B, H)
  // Precomputed input projection x W_ihᵀ + b_ih (T, B, 3H), or null. When
  // given, x, wIh and bIh are not read (I may be 0).
  const float* xProj;
};

struct GruBackward {
  long T, B, I, H;
  const float* x; const float* h0;
  const float* wIh; const float* wHh;
  const float* bIh; const float* bHh;
  const int32_t* lengths;
  bool reverse, resetAfter;
  float* dx;           // (T, B, I) or null
  float* dh0;          // (B, H) or null
  float* dWIh;         // (3H, I)
  float* dWHh;         // (3H, H)
  float* dBIh;         // (3H) or null
  float* dBHh;         // (3H) or null
  const float* dy; long dyOff, ldy, ldyT;  // y's layout, or null
  const float* dhN;    // (B, H) or null
  const float* gates; const float* hPrev; const float* hn;  // the forward cache
  // Non-null: the forward used a precomputed input projection. Then x, wIh,
  // dx, dWIh and dBIh are not touched, and the input projection's gradient
  // (the input-side gate gradients) is accumulated into dXProj (T, B, 3H) when
  // that is non-null.
  const float* xProj;
  float* dXProj;
};

void gru_forward(const GruForward& a, int threads);
void gru_backward(const GruBackward& a, int threads);

}  // namespace grunative

#define GRU_DECLARE_GRU(ns)                                        \
  namespace ns {                                                   \
  void gru_forward(const grunative::GruForward& a, int threads);   \
  void gru_backward(const grunative::GruBackward& a, int threads); \
  }
GRU_DECLARE_GRU(isa_generic)
GRU_DECLARE_GRU(isa_avx2)
GRU_DECLARE_GRU(isa_avx512)
