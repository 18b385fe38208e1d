// N-API bindings. Every kernel is one entry of kKernels below: a name (the
// spec's), its arguments struct (declared by an X-macro in the kernel's
// header, see abi.h) and the function that runs it. One generic reader fills
// the struct from the call's arguments in the struct's field order, checking
// each one's kind (a non-negative integer, a number, a boolean, a
// Float32Array, an Int32Array, null where nullable); threaded kernels take
// the thread count after their fields. The registry (src/kernels/registry.ts)
// has checked every size and datum against the spec before the call.
// Each calling thread has its own scratch buffers, so single-threaded calls
// from several JavaScript threads run at the same time (data-parallel
// training replicas); calls that use the thread pool, which is one for the
// process, are serialized by a mutex.
#include <node_api.h>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <type_traits>
#include <utility>

#include "abi.h"
#include "attention.h"
#include "elementwise.h"
#include "gemm.h"
#include "gru.h"
#include "isa.h"
#include "optim.h"
#include "threads.h"

namespace {

using grunative::FieldInfo;
using grunative::Kind;

std::mutex g_pool_mutex;

constexpr size_t kMaxArgs = 40;

/** One call's arguments; the first failure throws a TypeError naming the kernel and the field. */
struct Args {
  napi_env env;
  const char* kernel;
  napi_value argv[kMaxArgs];
  size_t argc = kMaxArgs;
  bool failed = false;

  Args(napi_env e, napi_callback_info info, const char* k, size_t want) : env(e), kernel(k) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) fail("", "a readable call");
    else if (argc < want) {
      char n[32];
      std::snprintf(n, sizeof n, "%zu arguments", want);
      fail("", n);
    }
  }

  void fail(const char* field, const char* expected) {
    if (failed) return;
    failed = true;
    char msg[192];
    std::snprintf(msg, sizeof msg, "gru_native: %s%s%s: expected %s", kernel, *field ? " " : "", field, expected);
    napi_throw_type_error(env, nullptr, msg);
  }

  bool is_null(size_t i) {
    napi_valuetype t;
    return napi_typeof(env, argv[i], &t) == napi_ok && (t == napi_null || t == napi_undefined);
  }

  double number(size_t i, const char* field) {
    double v = 0;
    if (!failed && napi_get_value_double(env, argv[i], &v) != napi_ok) fail(field, "a number");
    return v;
  }

  long integer(size_t i, const char* field) {
    const double v = number(i, field);
    if (!failed && (!(v >= 0) || v != double(long(v)))) fail(field, "a non-negative integer");
    return failed ? 0 : long(v);
  }

  bool flag(size_t i, const char* field) {
    bool v = false;
    if (!failed && napi_get_value_bool(env, argv[i], &v) != napi_ok) fail(field, "a boolean");
    return v;
  }

  /** The data of typed array i of the given type, or null (when nullable and null). */
  void* array(size_t i, const char* field, napi_typedarray_type want, bool nullable) {
    if (failed) return nullptr;
    if (nullable && is_null(i)) return nullptr;
    bool is = false;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_is_typedarray(env, argv[i], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr) != napi_ok || type != want) {
      fail(field, want == napi_float32_array ? (nullable ? "a Float32Array or null" : "a Float32Array")
                                             : (nullable ? "an Int32Array or null" : "an Int32Array"));
      return nullptr;
    }
    return data;
  }

  /** Fills s's fields from arguments 0 … n−1, in the table's order. */
  template <class S, size_t N>
  void read(S& s, const FieldInfo (&fields)[N]) {
    char* base = reinterpret_cast<char*>(&s);
    for (size_t i = 0; i < N && !failed; i++) {
      const FieldInfo& f = fields[i];
      void* at = base + f.offset;
      switch (f.kind) {
        case Kind::Int: *static_cast<long*>(at) = integer(i, f.name); break;
        case Kind::Float: *static_cast<float*>(at) = float(number(i, f.name)); break;
        case Kind::Flag: *static_cast<bool*>(at) = flag(i, f.name); break;
        case Kind::F32: *static_cast<float**>(at) = static_cast<float*>(array(i, f.name, napi_float32_array, f.nullable)); break;
        case Kind::I32: *static_cast<int32_t**>(at) = static_cast<int32_t*>(array(i, f.name, napi_int32_array, f.nullable)); break;
      }
    }
  }
};

// ---------------------------------------------------------------- the kernels' glue

// Calls whose kernels take other arguments than their struct.
void gemm_call(const grunative::GemmCall& a, int threads) {
  grunative::Gemm g{};
  g.transA = a.transA;
  g.transB = a.transB;
  g.M = a.M;
  g.N = a.N;
  g.K = a.K;
  g.alpha = a.alpha;
  g.A = a.A + a.aOff;
  g.lda = a.lda;
  g.B = a.B + a.bOff;
  g.ldb = a.ldb;
  g.beta = a.beta;
  g.C = a.C + a.cOff;
  g.ldc = a.ldc;
  g.bias = nullptr;
  grunative::sgemm(g, threads);
}

void adam_call(const grunative::AdamCall& a) {
  grunative::adam_update(a.w, a.g, a.m, a.v, a.n, grunative::AdamStep{a.lr, a.beta1, a.beta2, a.eps, a.c1, a.c2, a.l2, a.shrink});
}
void unary_forward_call(const grunative::UnaryForwardCall& a) { grunative::unary_forward(grunative::Unary(a.op), a.out, a.x, a.n); }
void unary_backward_call(const grunative::UnaryBackwardCall& a) { grunative::unary_backward(grunative::Unary(a.op), a.dx, a.dy, a.y, a.n); }
void add_bias_call(const grunative::AddBiasCall& a) { grunative::add_bias(a.out, a.bias, a.N, a.C); }
void add_bias_backward_call(const grunative::AddBiasBackwardCall& a) { grunative::add_bias_backward(a.dBias, a.dOut, a.N, a.C); }
double softmax_ce_forward_call(const grunative::SoftmaxCeForwardCall& a) {
  return grunative::softmax_ce_forward(a.probs, a.logits, a.targets, a.N, a.C);
}
void softmax_ce_backward_call(const grunative::SoftmaxCeBackwardCall& a) {
  grunative::softmax_ce_backward(a.dLogits, a.probs, a.targets, a.N, a.C, a.scale);
}
void embedding_forward_call(const grunative::EmbeddingForwardCall& a) { grunative::embedding_forward(a.out, a.table, a.ids, a.N, a.D); }
void embedding_backward_call(const grunative::EmbeddingBackwardCall& a) { grunative::embedding_backward(a.dTable, a.dOut, a.ids, a.N, a.D); }

/** Runs a kernel with or without a thread count, returning what it returns (void: nothing). */
template <class S, auto Run>
auto invoke(const S& s, int threads) {
  if constexpr (std::is_invocable_v<decltype(Run), const S&, int>) return Run(s, threads);
  else {
    (void)threads;
    return Run(s);
  }
}

/** The JS function of one kernel: read the struct, take the lock, run. */
template <class S, class Fields, auto Run>
napi_value Entry(napi_env env, napi_callback_info info) {
  constexpr size_t n = std::size(Fields::list);
  constexpr bool threaded = std::is_invocable_v<decltype(Run), const S&, int>;
  static_assert(n + threaded <= kMaxArgs, "raise kMaxArgs");
  void* name = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &name);
  Args a(env, info, static_cast<const char*>(name), n + threaded);
  S s{};
  a.read(s, Fields::list);
  int threads = 1;
  if (threaded) {
    const double t = a.number(n, "threads");
    threads = !(t >= 1) ? 1 : t > 255 ? 255 : int(t);
  }
  if (a.failed) return nullptr;
  std::unique_lock<std::mutex> lock(g_pool_mutex, std::defer_lock);
  if (threads > 1) lock.lock();
  using R = decltype(invoke<S, Run>(s, threads));
  if constexpr (std::is_void_v<R>) {
    invoke<S, Run>(s, threads);
    return nullptr;
  } else {
    napi_value out;
    napi_create_double(env, double(invoke<S, Run>(s, threads)), &out);
    return out;
  }
}

struct KernelEntry {
  const char* name;
  napi_callback entry;
  const FieldInfo* fields;
  size_t count;
};

#define GRU_KERNEL(name, Struct, run) \
  KernelEntry{name, Entry<grunative::Struct, grunative::Struct##Fields, run>, grunative::Struct##Fields::list, std::size(grunative::Struct##Fields::list)}

const KernelEntry kKernels[] = {
    GRU_KERNEL("gemm", GemmCall, gemm_call),
    GRU_KERNEL("gruForward", GruForward, grunative::gru_forward),
    GRU_KERNEL("gruBackward", GruBackward, grunative::gru_backward),
    GRU_KERNEL("attentionForward", AttentionForward, grunative::attention_forward),
    GRU_KERNEL("attentionBackward", AttentionBackward, grunative::attention_backward),
    GRU_KERNEL("adamUpdate", AdamCall, adam_call),
    GRU_KERNEL("unaryForward", UnaryForwardCall, unary_forward_call),
    GRU_KERNEL("unaryBackward", UnaryBackwardCall, unary_backward_call),
    GRU_KERNEL("addBias", AddBiasCall, add_bias_call),
    GRU_KERNEL("addBiasBackward", AddBiasBackwardCall, add_bias_backward_call),
    GRU_KERNEL("softmaxCrossEntropyForward", SoftmaxCeForwardCall, softmax_ce_forward_call),
    GRU_KERNEL("softmaxCrossEntropyBackward", SoftmaxCeBackwardCall, softmax_ce_backward_call),
    GRU_KERNEL("embeddingForward", EmbeddingForwardCall, embedding_forward_call),
    GRU_KERNEL("embeddingBackward", EmbeddingBackwardCall, embedding_backward_call),
};

#undef GRU_KERNEL

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Flag: return "flag";
    case Kind::F32: return "f32";
    case Kind::I32: return "i32";
  }
  return "?";
}

// info() -> { isa, vectorWidth, hardwareThreads, abi, kernels: { name: [{ name, kind, writable, nullable }] } }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v, kernels;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, grunative::isa_name(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "isa", v);
  napi_create_int32(env, grunative::isa_vector_width(), &v);
  napi_set_named_property(env, obj, "vectorWidth", v);
  napi_create_int32(env, grunative::hardware_threads(), &v);
  napi_set_named_property(env, obj, "hardwareThreads", v);
  napi_create_int32(env, GRU_KERNEL_ABI, &v);
  napi_set_named_property(env, obj, "abi", v);
  napi_create_object(env, &kernels);
  for (const KernelEntry& k : kKernels) {
    napi_value list;
    napi_create_array_with_length(env, k.count, &list);
    for (size_t i = 0; i < k.count; i++) {
      const FieldInfo& f = k.fields[i];
      napi_value field;
      napi_create_object(env, &field);
      napi_create_string_utf8(env, f.name, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, field, "name", v);
      napi_create_string_utf8(env, kind_name(f.kind), NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, field, "kind", v);
      napi_get_boolean(env, f.writable, &v);
      napi_set_named_property(env, field, "writable", v);
      napi_get_boolean(env, f.nullable, &v);
      napi_set_named_property(env, field, "nullable", v);
      napi_set_element(env, list, uint32_t(i), field);
    }
    napi_set_named_property(env, kernels, k.name, list);
  }
  napi_set_named_property(env, obj, "kernels", kernels);
  return obj;
}

// addressMod64(typedArray) -> the byte address of its first element modulo 64, so
// that the backend can place large buffers on cache lines (alignedArray).
napi_value AddressMod64(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  bool is = false;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr) != napi_ok || argc < 1 ||
      napi_is_typedarray(env, arg, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, arg, nullptr, nullptr, &data, nullptr, nullptr) != napi_ok) {
    napi_throw_type_error(env, nullptr, "gru_native: addressMod64: expected a typed array");
    return nullptr;
  }
  napi_value out;
  napi_create_int32(env, int32_t(reinterpret_cast<uintptr_t>(data) % 64), &out);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  for (const KernelEntry& k : kKernels) {
    napi_value fn;
    // The kernel's name is the function's data, for the reader's messages.
    napi_create_function(env, k.name, NAPI_AUTO_LENGTH, k.entry, const_cast<char*>(k.name), &fn);
    napi_set_named_property(env, exports, k.name, fn);
  }
  napi_value info;
  napi_create_function(env, "info", NAPI_AUTO_LENGTH, Info, nullptr, &info);
  napi_set_named_property(env, exports, "info", info);
  napi_value mod64;
  napi_create_function(env, "addressMod64", NAPI_AUTO_LENGTH, AddressMod64, nullptr, &mod64);
  napi_set_named_property(env, exports, "addressMod64", mod64);
  return exports;
}
