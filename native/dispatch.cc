// Picks the kernel set for this CPU once: AVX-512F, else AVX2+FMA, else the
// portable one. GRU_TS_NATIVE_ISA=generic|avx2|avx512 forces one (falling
// back when the CPU lacks it), for tests and comparisons.
#include <cstdlib>
#include <cstring>

#include "attention.h"
#include "elementwise.h"
#include "gemm.h"
#include "gru.h"
#include "isa.h"
#include "optim.h"

namespace grunative {
namespace {

Isa detect() {
  const char* want = std::getenv("GRU_TS_NATIVE_ISA");
#if defined(GRU_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#if defined(GRU_AVX512_EMULATED)
  const bool avx512 = avx2;  // test build: the AVX-512 layout compiled for AVX2
#else
  const bool avx512 = __builtin_cpu_supports("avx512f") && avx2;
#endif
  if (want && std::strcmp(want, "generic") == 0) return Isa::Generic;
  if (want && std::strcmp(want, "avx2") == 0 && avx2) return Isa::Avx2;
  if (want && std::strcmp(want, "avx512") == 0 && avx512) return Isa::Avx512;
#if defined(GRU_AVX512_EMULATED)
  if (avx2) return Isa::Avx2;
#else
  if (avx512) return Isa::Avx512;
  if (avx2) return Isa::Avx2;
#endif
#else
  (void)want;
#endif
  return Isa::Generic;
}

}  // namespace

Isa isa() {
  static const Isa chosen = detect();
  return chosen;
}

const char* isa_name() {
  switch (isa()) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "generic";
  }
}

int isa_vector_width() {
  switch (isa()) {
    case Isa::Avx512: return 16;
    case Isa::Avx2: return 8;
    default: return 4;
  }
}

// Every kernel entry point: the same switch over the kernel sets.
#if defined(GRU_HAVE_X86_KERNELS)
#define GRU_DISPATCH(call)                                  \
  switch (isa()) {                                          \
    case Isa::Avx512: return isa_avx512::call;              \
    case Isa::Avx2: return isa_avx2::call;                  \
    default: return isa_generic::call;                      \
  }
#else
#define GRU_DISPATCH(call) return isa_generic::call;
#endif

void sgemm(const Gemm& g, int threads) { GRU_DISPATCH(sgemm(g, threads)) }

void gru_forward(const GruForward& a, int threads) { GRU_DISPATCH(gru_forward(a, threads)) }

void gru_backward(const GruBackward& a, int threads) { GRU_DISPATCH(gru_backward(a, threads)) }

void attention_forward(const AttentionForward& a) { GRU_DISPATCH(attention_forward(a)) }

void attention_backward(const AttentionBackward& a) { GRU_DISPATCH(attention_backward(a)) }

void adam_update(float* w, const float* g, float* m, float* v, long n, const AdamStep& s) { GRU_DISPATCH(adam_update(w, g, m, v, n, s)) }

void unary_forward(Unary op, float* out, const float* x, long n) { GRU_DISPATCH(unary_forward(op, out, x, n)) }
void unary_backward(Unary op, float* dx, const float* dy, const float* y, long n) { GRU_DISPATCH(unary_backward(op, dx, dy, y, n)) }
void add_bias(float* out, const float* bias, long N, long C) { GRU_DISPATCH(add_bias(out, bias, N, C)) }
void add_bias_backward(float* dBias, const float* dOut, long N, long C) { GRU_DISPATCH(add_bias_backward(dBias, dOut, N, C)) }
double softmax_ce_forward(float* probs, const float* logits, const int32_t* targets, long N, long C) {
  GRU_DISPATCH(softmax_ce_forward(probs, logits, targets, N, C))
}
void softmax_ce_backward(float* dLogits, const float* probs, const int32_t* targets, long N, long C, float scale) {
  GRU_DISPATCH(softmax_ce_backward(dLogits, probs, targets, N, C, scale))
}
void embedding_forward(float* out, const float* table, const int32_t* ids, long N, long D) { GRU_DISPATCH(embedding_forward(out, table, ids, N, D)) }
void embedding_backward(float* dTable, const float* dOut, const int32_t* ids, long N, long D) { GRU_DISPATCH(embedding_backward(dTable, dOut, ids, N, D)) }

#undef GRU_DISPATCH

}  // namespace grunative
