// One direction of one GRU layer over a whole sequence, forward and backward,
// with exactly the structure (and cache layout) of src/kernels/ref/gru.ts.
#pragma once
#include <cstdint>

#include "abi.h"

namespace grunative {

// X(type, member, spec field name, nullable): the fields of src/kernels/spec.ts.
#define GRU_FORWARD_FIELDS(X)                                                                       \
  X(float*, y, "y", false)             /* row (t, b) at t·ldyT + b·ldy, columns [yOff, yOff + H) */ \
  X(long, yOff, "yOff", false)                                                                      \
  X(long, ldy, "ldy", false)                                                                        \
  X(long, ldyT, "ldyT", false)                                                                      \
  X(float*, hN, "hN", false)           /* (B, H) */                                                 \
  X(float*, gates, "cache.gates", true) /* cache (T, B, 3H) or null (then all three are null) */    \
  X(float*, hPrev, "cache.hPrev", true) /* cache (T, B, H) */                                       \
  X(float*, hn, "cache.hn", true)       /* cache (T, B, H) */                                       \
  /* The input side: x, wIh, bIh, or (all three null) the precomputed projection x W_ihᵀ + b_ih. */ \
  X(const float*, xProj, "xProj", true) /* (T, B, 3H) or null */                                    \
  X(const float*, x, "x", true)         /* (T, B, I) */                                             \
  X(const float*, h0, "h0", false)      /* (B, H) */                                                \
  X(const float*, wIh, "wIh", true)     /* (3H, I) */                                               \
  X(const float*, wHh, "wHh", false)    /* (3H, H) */                                               \
  X(const float*, bIh, "bIh", true)     /* (3H) or null */                                          \
  X(const float*, bHh, "bHh", true)     /* (3H) or null */                                          \
  X(const int32_t*, lengths, "lengths", true) /* (B) or null */                                     \
  X(bool, reverse, "reverse", false)                                                                \
  X(bool, resetAfter, "resetAfter", false)                                                          \
  X(long, T, "T", false) X(long, B, "B", false) X(long, I, "I", false) X(long, H, "H", false)
GRU_ARGS(GruForward, GRU_FORWARD_FIELDS)

// Backward accumulates into every gradient given. With xProj (its presence
// selects the mode; its data is not read) x, wIh, dx, dWIh and dBIh are null,
// and the input projection's gradient (the input-side gate gradients) is
// accumulated into dXProj when that is non-null.
#define GRU_BACKWARD_FIELDS(X)                                                                      \
  X(float*, dx, "dx", true)             /* (T, B, I) or null */                                     \
  X(float*, dh0, "dh0", true)           /* (B, H) or null */                                        \
  X(float*, dWIh, "dWIh", true)         /* (3H, I), null with xProj */                              \
  X(float*, dWHh, "dWHh", false)        /* (3H, H) */                                               \
  X(float*, dBIh, "dBIh", true)         /* (3H) or null */                                          \
  X(float*, dBHh, "dBHh", true)         /* (3H) or null */                                          \
  X(float*, dXProj, "dXProj", true)     /* (T, B, 3H) or null */                                    \
  X(const float*, dy, "dy", true)       /* y's layout, or null */                                   \
  X(long, dyOff, "dyOff", false)                                                                    \
  X(long, ldy, "ldy", false)                                                                        \
  X(long, ldyT, "ldyT", false)                                                                      \
  X(const float*, dhN, "dhN", true)     /* (B, H) or null */                                        \
  X(const float*, gates, "cache.gates", false) /* the forward's cache */                            \
  X(const float*, hPrev, "cache.hPrev", false)                                                      \
  X(const float*, hn, "cache.hn", false)                                                            \
  X(const float*, xProj, "xProj", true)                                                             \
  X(const float*, x, "x", true)                                                                     \
  X(const float*, h0, "h0", false)                                                                  \
  X(const float*, wIh, "wIh", true)                                                                 \
  X(const float*, wHh, "wHh", false)                                                                \
  X(const float*, bIh, "bIh", true)                                                                 \
  X(const float*, bHh, "bHh", true)                                                                 \
  X(const int32_t*, lengths, "lengths", true)                                                       \
  X(bool, reverse, "reverse", false)                                                                \
  X(bool, resetAfter, "resetAfter", false)                                                          \
  X(long, T, "T", false) X(long, B, "B", false) X(long, I, "I", false) X(long, H, "H", false)
GRU_ARGS(GruBackward, GRU_BACKWARD_FIELDS)

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
