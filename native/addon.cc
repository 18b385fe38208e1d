// N-API bindings: whole operations on typed arrays and numbers. Every entry
// checks that each array is a Float32Array (Int32Array for lengths) large
// enough for the extents the sizes imply, then runs the kernel. Calls are
// serialized by one mutex (kernels share persistent scratch buffers), so the
// addon is safe to load from several worker threads.
#include <node_api.h>

#include <cstdint>
#include <cstdio>
#include <mutex>

#include "attention.h"
#include "elementwise.h"
#include "gemm.h"
#include "gru.h"
#include "isa.h"
#include "optim.h"
#include "threads.h"

namespace {

std::mutex g_call_mutex;

constexpr size_t kMaxArgs = 32;

struct Args {
  napi_env env;
  napi_value argv[kMaxArgs];
  size_t argc = kMaxArgs;
  bool failed = false;

  Args(napi_env e, napi_callback_info info, size_t want) : env(e) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) fail("bad call");
    else if (argc < want) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", want, argc);
      fail(msg);
    }
  }

  void fail(const char* msg) {
    if (!failed) napi_throw_type_error(env, nullptr, msg);
    failed = true;
  }
  void range(const char* what, long need, long have) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "gru_native: %s needs %ld elements, has %ld", what, need, have);
    if (!failed) napi_throw_range_error(env, nullptr, msg);
    failed = true;
  }

  double num(size_t i) {
    double v = 0;
    if (failed) return 0;
    if (napi_get_value_double(env, argv[i], &v) != napi_ok) fail("expected a number");
    return v;
  }
  long integer(size_t i) {
    const double v = num(i);
    if (!failed && (v != double(long(v)) || v < 0)) fail("expected a non-negative integer");
    return long(v);
  }
  bool flag(size_t i) {
    bool v = false;
    if (failed) return false;
    if (napi_get_value_bool(env, argv[i], &v) != napi_ok) fail("expected a boolean");
    return v;
  }
  bool isNull(size_t i) {
    napi_valuetype t;
    return napi_typeof(env, argv[i], &t) == napi_ok && (t == napi_null || t == napi_undefined);
  }
  /** A Float32Array with at least `need` elements (null allowed when optional; need <= 0 checks nothing). */
  float* f32(size_t i, const char* what, long need, bool optional = false) {
    if (failed) return nullptr;
    if (optional && isNull(i)) return nullptr;
    bool is = false;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_is_typedarray(env, argv[i], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_float32_array) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "gru_native: %s must be a Float32Array", what);
      fail(msg);
      return nullptr;
    }
    if (need > 0 && long(length) < need) range(what, need, long(length));
    return static_cast<float*>(data);
  }
  /** The element count of typed array i (0 if it is not one). */
  long length(size_t i) {
    size_t n = 0;
    if (failed || napi_get_typedarray_info(env, argv[i], nullptr, &n, nullptr, nullptr, nullptr) != napi_ok) return 0;
    return long(n);
  }
  int32_t* i32(size_t i, const char* what, long need) {
    if (failed || isNull(i)) return nullptr;
    bool is = false;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_is_typedarray(env, argv[i], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_int32_array) {
      fail("gru_native: lengths must be an Int32Array");
      return nullptr;
    }
    if (long(length) < need) range(what, need, long(length));
    return static_cast<int32_t*>(data);
  }
};

int threads_arg(Args& a, size_t i) {
  const double v = a.num(i);
  if (!(v >= 1)) return 1;
  return v > 255 ? 255 : int(v);
}

/** Elements spanned by a rows x cols matrix with leading dimension ld (0 when empty). */
long extent(long rows, long cols, long ld) { return rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols; }

// gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, threads)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info, 17);
  grunative::Gemm g{};
  g.transA = a.flag(0);
  g.transB = a.flag(1);
  g.M = a.integer(2);
  g.N = a.integer(3);
  g.K = a.integer(4);
  g.alpha = float(a.num(5));
  const long aOff = a.integer(7), lda = a.integer(8);
  const long bOff = a.integer(10), ldb = a.integer(11);
  g.beta = float(a.num(12));
  const long cOff = a.integer(14), ldc = a.integer(15);
  const int threads = threads_arg(a, 16);
  if (a.failed) return nullptr;
  const long aExt = g.transA ? extent(g.K, g.M, lda) : extent(g.M, g.K, lda);
  const long bExt = g.transB ? extent(g.N, g.K, ldb) : extent(g.K, g.N, ldb);
  const long cExt = extent(g.M, g.N, ldc);
  if ((g.transA ? g.M : g.K) > lda && aExt > 0) a.fail("gru_native: lda is smaller than a row of A");
  if ((g.transB ? g.K : g.N) > ldb && bExt > 0) a.fail("gru_native: ldb is smaller than a row of B");
  if (g.N > ldc && cExt > 0) a.fail("gru_native: ldc is smaller than a row of C");
  const float* A = a.f32(6, "A", aExt ? aOff + aExt : 0);
  const float* B = a.f32(9, "B", bExt ? bOff + bExt : 0);
  float* C = a.f32(13, "C", cExt ? cOff + cExt : 0);
  if (a.failed) return nullptr;
  g.A = A + aOff;
  g.lda = lda;
  g.B = B + bOff;
  g.ldb = ldb;
  g.C = C + cOff;
  g.ldc = ldc;
  g.bias = nullptr;
  std::lock_guard<std::mutex> lock(g_call_mutex);
  grunative::sgemm(g, threads);
  return nullptr;
}

// The arguments gruForward and gruBackward share, in the same positions:
// (T, B, I, H, x, h0, wIh, wHh, bIh, bHh, lengths, reverse, resetAfter),
// and xProj at position `xProjAt` (null, or the precomputed input projection
// (T, B, 3H): then x, wIh and bIh are not read and may be null).
template <typename S>
void read_gru_common(Args& a, S& s, size_t xProjAt) {
  s.T = a.integer(0);
  s.B = a.integer(1);
  s.I = a.integer(2);
  s.H = a.integer(3);
  const long T = s.T, B = s.B, I = s.I, H = s.H, G = 3 * H;
  const bool projected = !a.failed && !a.isNull(xProjAt);
  s.xProj = projected ? a.f32(xProjAt, "xProj", T * B * G) : nullptr;
  s.x = projected ? nullptr : a.f32(4, "x", T * B * I);
  s.h0 = a.f32(5, "h0", B * H);
  s.wIh = projected ? nullptr : a.f32(6, "wIh", G * I);
  s.wHh = a.f32(7, "wHh", G * H);
  s.bIh = projected ? nullptr : a.f32(8, "bIh", G, true);
  s.bHh = a.f32(9, "bHh", G, true);
  s.lengths = a.i32(10, "lengths", B);
  s.reverse = a.flag(11);
  s.resetAfter = a.flag(12);
}

// Elements a (T, B) grid of H-wide rows at columns [off, off + H) needs, row
// (t, b) starting at t·ldT + b·ld; the columns must fit inside each stride used.
long output_extent(Args& a, long T, long B, long H, long off, long ld, long ldT, const char* what) {
  if (a.failed || T * B == 0) return 0;
  if ((B > 1 && off + H > ld) || (T > 1 && off + H > ldT)) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "gru_native: %s columns [%ld, %ld) exceed a row stride (ld %ld, ldT %ld)", what, off, off + H, ld, ldT);
    a.fail(msg);
    return 0;
  }
  return (T - 1) * ldT + (B - 1) * ld + off + H;
}

// gruForward(T, B, I, H, x, h0, wIh, wHh, bIh, bHh, lengths, reverse, resetAfter,
//            y, yOff, ldy, hN, gates, hPrev, hn, xProj, threads, ldyT)
// Row (t, b) of y starts at t·ldyT + b·ldy (gruVersion 2; time-major: ldyT = B·ldy).
napi_value GruForward(napi_env env, napi_callback_info info) {
  Args a(env, info, 23);
  grunative::GruForward f{};
  read_gru_common(a, f, 20);
  const long T = f.T, B = f.B, H = f.H, G = 3 * H;
  f.yOff = a.integer(14);
  f.ldy = a.integer(15);
  f.ldyT = a.integer(22);
  f.y = a.f32(13, "y", output_extent(a, T, B, H, f.yOff, f.ldy, f.ldyT, "y"));
  f.hN = a.f32(16, "hN", B * H);
  const bool cached = !a.failed && !a.isNull(17);
  f.gates = cached ? a.f32(17, "cache.gates", T * B * G) : nullptr;
  f.hPrev = cached ? a.f32(18, "cache.hPrev", T * B * H) : nullptr;
  f.hn = cached ? a.f32(19, "cache.hn", T * B * H) : nullptr;
  const int threads = threads_arg(a, 21);
  if (a.failed) return nullptr;
  std::lock_guard<std::mutex> lock(g_call_mutex);
  grunative::gru_forward(f, threads);
  return nullptr;
}

// gruBackward(T, B, I, H, x, h0, wIh, wHh, bIh, bHh, lengths, reverse, resetAfter,
//             dx, dh0, dWIh, dWHh, dBIh, dBHh, dy, dyOff, ldy, dhN, gates, hPrev, hn,
//             xProj, dXProj, threads, ldyT)
// With xProj, dx, dWIh and dBIh are not touched (may be null); dXProj (or null) gets the projection's gradient.
napi_value GruBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 30);
  grunative::GruBackward w{};
  read_gru_common(a, w, 26);
  const long T = w.T, B = w.B, I = w.I, H = w.H, G = 3 * H;
  const bool projected = !a.failed && !a.isNull(26);
  w.dx = projected ? nullptr : a.f32(13, "dx", T * B * I, true);
  w.dh0 = a.f32(14, "dh0", B * H, true);
  w.dWIh = projected ? nullptr : a.f32(15, "dWIh", G * I);
  w.dWHh = a.f32(16, "dWHh", G * H);
  w.dBIh = projected ? nullptr : a.f32(17, "dBIh", G, true);
  w.dBHh = a.f32(18, "dBHh", G, true);
  w.dyOff = a.integer(20);
  w.ldy = a.integer(21);
  w.ldyT = a.integer(29);
  const bool hasDy = !a.failed && !a.isNull(19);
  w.dy = hasDy ? a.f32(19, "dy", output_extent(a, T, B, H, w.dyOff, w.ldy, w.ldyT, "dy")) : nullptr;
  w.dhN = a.f32(22, "dhN", B * H, true);
  w.gates = a.f32(23, "cache.gates", T * B * G);
  w.hPrev = a.f32(24, "cache.hPrev", T * B * H);
  w.hn = a.f32(25, "cache.hn", T * B * H);
  w.dXProj = projected ? a.f32(27, "dXProj", T * B * G, true) : nullptr;
  const int threads = threads_arg(a, 28);
  if (a.failed) return nullptr;
  std::lock_guard<std::mutex> lock(g_call_mutex);
  grunative::gru_backward(w, threads);
  return nullptr;
}

// Elements of a strided (B, L_b, cols) block whose row (b, j) starts at
// b * sb + j * sj: one past the last element of any row j < L_b (0 when no
// row is valid). Rows past each length are never touched, so only these must exist.
long strided_extent(const int32_t* lengths, long B, long S, long sb, long sj, long cols) {
  long end = 0;
  for (long b = 0; b < B; b++) {
    long L = lengths ? lengths[b] : S;
    L = L < 0 ? 0 : (L > S ? S : L);
    if (L > 0 && cols > 0) {
      const long e = b * sb + (L - 1) * sj + cols;
      if (e > end) end = e;
    }
  }
  return end;
}

// The inputs attentionForward and attentionBackward share, at positions
// [at, at + 14): q, keys, values, v (null: the dot score), lengths, B, S, A, D,
// the row strides keyStrideB, keyStrideJ, valueStrideB, valueStrideJ, and gain (or null).
// Returns the extents (in elements) the key and value layouts need.
template <typename S>
void read_attention_inputs(Args& a, S& s, size_t at, long& keyExtent, long& valueExtent) {
  s.B = a.integer(at + 5);
  s.S = a.integer(at + 6);
  s.A = a.integer(at + 7);
  s.D = a.integer(at + 8);
  s.kb = a.integer(at + 9);
  s.kj = a.integer(at + 10);
  s.vb = a.integer(at + 11);
  s.vj = a.integer(at + 12);
  const long B = s.B, Sn = s.S, A = s.A, D = s.D;
  s.lengths = a.i32(at + 4, "lengths", B);
  keyExtent = a.failed ? 0 : strided_extent(s.lengths, B, Sn, s.kb, s.kj, A);
  valueExtent = a.failed ? 0 : strided_extent(s.lengths, B, Sn, s.vb, s.vj, D);
  s.q = a.f32(at, "q", B * A);
  s.keys = a.f32(at + 1, "keys", keyExtent);
  s.values = a.f32(at + 2, "values", valueExtent);
  s.v = a.f32(at + 3, "v", A, true);
  s.gain = a.f32(at + 13, "gain", B * Sn, true);
}

// attentionForward(alpha, context, u, q, keys, values, v, lengths, B, S, A, D, kb, kj, vb, vj, gain)
// Outputs first (llm.c style); u (or null, the keys' layout) is written for the additive score only.
napi_value AttentionForward(napi_env env, napi_callback_info info) {
  Args a(env, info, 17);
  grunative::AttentionForward f{};
  long keyExtent = 0, valueExtent = 0;
  read_attention_inputs(a, f, 3, keyExtent, valueExtent);
  const long B = f.B, S = f.S, D = f.D;
  f.alpha = a.f32(0, "alpha", B * S);
  f.context = a.f32(1, "context", B * D);
  f.u = f.v ? a.f32(2, "u", keyExtent, true) : nullptr;
  if (a.failed) return nullptr;
  std::lock_guard<std::mutex> lock(g_call_mutex);
  grunative::attention_forward(f);
  return nullptr;
}

// attentionBackward(dq, dKeys, dValues, dv, dContext, alpha, u, q, keys, values, v, lengths, B, S, A, D,
//                   kb, kj, vb, vj, gain, dGain)
// Accumulates into the gradients given (each may be null; dv is read for the additive score only,
// dGain with a gain only).
napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 22);
  grunative::AttentionBackward w{};
  long keyExtent = 0, valueExtent = 0;
  read_attention_inputs(a, w, 7, keyExtent, valueExtent);
  const long B = w.B, S = w.S, A = w.A, D = w.D;
  w.dq = a.f32(0, "dq", B * A, true);
  w.dKeys = a.f32(1, "dKeys", keyExtent, true);
  w.dValues = a.f32(2, "dValues", valueExtent, true);
  w.dv = w.v ? a.f32(3, "dv", A, true) : nullptr;
  w.dContext = a.f32(4, "dContext", B * D);
  w.alpha = a.f32(5, "alpha", B * S);
  w.u = w.v ? a.f32(6, "u", keyExtent, true) : nullptr;
  w.dGain = w.gain ? a.f32(21, "dGain", B * S, true) : nullptr;
  if (a.failed) return nullptr;
  std::lock_guard<std::mutex> lock(g_call_mutex);
  grunative::attention_backward(w);
  return nullptr;
}

// adamUpdate(w, g, m, v, lr, beta1, beta2, eps, c1, c2, l2, shrink): Adam over every entry of w, in place.
napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  Args a(env, info, 12);
  const float* g = a.f32(1, "g", 0);
  const long n = a.length(1);
  float* w = a.f32(0, "w", n);
  float* m = a.f32(2, "m", n);
  float* v = a.f32(3, "v", n);
  grunative::AdamStep s{float(a.num(4)), float(a.num(5)), float(a.num(6)), float(a.num(7)),
                        float(a.num(8)), float(a.num(9)), float(a.num(10)), float(a.num(11))};
  if (a.failed) return nullptr;
  std::lock_guard<std::mutex> lock(g_call_mutex);
  grunative::adam_update(w, g, m, v, n, s);
  return nullptr;
}

// unaryForward(op, out, x) and unaryBackward(op, dx, dy, y): op 0 tanh, 1 sigmoid, 2 relu, 3 identity.
grunative::Unary unary_op(Args& a, size_t i) {
  const long op = a.integer(i);
  if (!a.failed && op > 3) a.fail("gru_native: unary op must be 0 (tanh), 1 (sigmoid), 2 (relu) or 3 (identity)");
  return grunative::Unary(op);
}

napi_value UnaryForward(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  const grunative::Unary op = unary_op(a, 0);
  const float* x = a.f32(2, "x", 0);
  const long n = a.length(2);
  float* out = a.f32(1, "out", n);
  if (a.failed) return nullptr;
  grunative::unary_forward(op, out, x, n);
  return nullptr;
}

napi_value UnaryBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const grunative::Unary op = unary_op(a, 0);
  const float* dy = a.f32(2, "dy", 0);
  const long n = a.length(2);
  float* dx = a.f32(1, "dx", n);
  const float* y = a.f32(3, "y", n);
  if (a.failed) return nullptr;
  grunative::unary_backward(op, dx, dy, y, n);
  return nullptr;
}

// addBias(out, bias, N, C) and addBiasBackward(dBias, dOut, N, C).
napi_value AddBias(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const long N = a.integer(2), C = a.integer(3);
  float* out = a.f32(0, "out", N * C);
  const float* bias = a.f32(1, "bias", C);
  if (a.failed) return nullptr;
  grunative::add_bias(out, bias, N, C);
  return nullptr;
}

napi_value AddBiasBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const long N = a.integer(2), C = a.integer(3);
  float* dBias = a.f32(0, "dBias", C);
  const float* dOut = a.f32(1, "dOut", N * C);
  if (a.failed) return nullptr;
  grunative::add_bias_backward(dBias, dOut, N, C);
  return nullptr;
}

/** Targets (N), each < C (negative: ignored). */
const int32_t* class_targets(Args& a, size_t i, long N, long C) {
  const int32_t* t = a.i32(i, "targets", N);
  if (!a.failed && !t) a.fail("gru_native: targets must be an Int32Array");
  for (long r = 0; !a.failed && r < N; r++)
    if (t[r] >= C) a.fail("gru_native: a target class is >= the number of classes");
  return t;
}

// softmaxCrossEntropyForward(probs, logits, targets, N, C) -> the summed loss.
napi_value SoftmaxCrossEntropyForward(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  const long N = a.integer(3), C = a.integer(4);
  float* probs = a.f32(0, "probs", N * C);
  const float* logits = a.f32(1, "logits", N * C);
  const int32_t* targets = class_targets(a, 2, N, C);
  if (a.failed) return nullptr;
  napi_value out;
  napi_create_double(env, grunative::softmax_ce_forward(probs, logits, targets, N, C), &out);
  return out;
}

// softmaxCrossEntropyBackward(dLogits, probs, targets, N, C, scale).
napi_value SoftmaxCrossEntropyBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 6);
  const long N = a.integer(3), C = a.integer(4);
  float* dLogits = a.f32(0, "dLogits", N * C);
  const float* probs = a.f32(1, "probs", N * C);
  const int32_t* targets = class_targets(a, 2, N, C);
  const float scale = float(a.num(5));
  if (a.failed) return nullptr;
  grunative::softmax_ce_backward(dLogits, probs, targets, N, C, scale);
  return nullptr;
}

/** The ids (N = its length), each a row of a table of `rows` rows. */
const int32_t* row_ids(Args& a, size_t i, long rows, long* N) {
  *N = a.length(i);
  const int32_t* ids = a.i32(i, "ids", *N);
  if (!a.failed && !ids) a.fail("gru_native: ids must be an Int32Array");
  for (long r = 0; !a.failed && r < *N; r++)
    if (ids[r] < 0 || ids[r] >= rows) a.fail("gru_native: an id is outside the embedding table");
  return ids;
}

// embeddingForward(out, table, ids, D) and embeddingBackward(dTable, dOut, ids, D).
napi_value EmbeddingForward(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const long D = a.integer(3);
  const float* table = a.f32(1, "table", 0);
  long N = 0;
  const int32_t* ids = row_ids(a, 2, D > 0 ? a.length(1) / D : 0, &N);
  float* out = a.f32(0, "out", N * D);
  if (a.failed) return nullptr;
  grunative::embedding_forward(out, table, ids, N, D);
  return nullptr;
}

napi_value EmbeddingBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  const long D = a.integer(3);
  float* dTable = a.f32(0, "dTable", 0);
  long N = 0;
  const int32_t* ids = row_ids(a, 2, D > 0 ? a.length(0) / D : 0, &N);
  const float* dOut = a.f32(1, "dOut", N * D);
  if (a.failed) return nullptr;
  grunative::embedding_backward(dTable, dOut, ids, N, D);
  return nullptr;
}

// info() -> { isa, vectorWidth, hardwareThreads, attentionVersion, gruVersion }
// attentionVersion 2: the attention calls take row strides and a gain (1: dense only, no gain).
// gruVersion 2: the GRU calls take y's time stride ldyT last (absent: time-major only).
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, isa, vw, hw, av, gv;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, grunative::isa_name(), NAPI_AUTO_LENGTH, &isa);
  napi_create_int32(env, grunative::isa_vector_width(), &vw);
  napi_create_int32(env, grunative::hardware_threads(), &hw);
  napi_create_int32(env, 2, &av);
  napi_create_int32(env, 2, &gv);
  napi_set_named_property(env, obj, "gruVersion", gv);
  napi_set_named_property(env, obj, "isa", isa);
  napi_set_named_property(env, obj, "vectorWidth", vw);
  napi_set_named_property(env, obj, "hardwareThreads", hw);
  napi_set_named_property(env, obj, "attentionVersion", av);
  return obj;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruForward", nullptr, GruForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruBackward", nullptr, GruBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionForward", nullptr, AttentionForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionBackward", nullptr, AttentionBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdate", nullptr, AdamUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unaryForward", nullptr, UnaryForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unaryBackward", nullptr, UnaryBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addBias", nullptr, AddBias, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addBiasBackward", nullptr, AddBiasBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxCrossEntropyForward", nullptr, SoftmaxCrossEntropyForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxCrossEntropyBackward", nullptr, SoftmaxCrossEntropyBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"embeddingForward", nullptr, EmbeddingForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"embeddingBackward", nullptr, EmbeddingBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
