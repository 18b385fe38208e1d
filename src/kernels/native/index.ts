/**
 * The native backend: a Node addon (C++, built at install time by node-gyp
 * from binding.gyp and native/) with a packed, register-blocked SGEMM and the
 * fused, multi-threaded GRU sequence kernels, and the encoder–decoder attention
 * step (single-threaded, vectorised tanh). Float32 only: whenever any array
 * of a call is a Float64Array (gradient checks run in float64) the call goes
 * to the reference backend, and so do the cheap pointwise kernels.
 *
 * Threads: hardware concurrency by default; `GRU_TS_THREADS=n` or
 * {@link Backend.setThreads} override it (whichever was changed last wins).
 */
import type { AttentionBackwardArgs, AttentionForwardArgs, AttentionInputs, Backend, GruBackwardArgs, GruForwardArgs, UnaryOp } from '../backend.js';
import type { FloatArray } from '../../tensor/tensor.js';
import { refBackend } from '../ref/index.js';
import { attentionStrides } from '../ref/attention.js';

/** The addon's exports (native/addon.cc). */
interface NativeAddon {
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number,
    beta: number, C: Float32Array, cOff: number, ldc: number, threads: number,
  ): void;
  /** With xProj (the input projection, b_ih included), x, wIh and bIh are not read and may be null. */
  gruForward(
    T: number, B: number, I: number, H: number, x: Float32Array | null, h0: Float32Array,
    wIh: Float32Array | null, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
    lengths: Int32Array | null, reverse: boolean, resetAfter: boolean,
    y: Float32Array, yOff: number, ldy: number, hN: Float32Array,
    gates: Float32Array | null, hPrev: Float32Array | null, hn: Float32Array | null,
    xProj: Float32Array | null, threads: number, ldyT: number,
  ): void;
  /** With xProj, x, wIh, bIh, dx, dWIh and dBIh are not touched (may be null); dXProj gets the projection's gradient. */
  gruBackward(
    T: number, B: number, I: number, H: number, x: Float32Array | null, h0: Float32Array,
    wIh: Float32Array | null, wHh: Float32Array, bIh: Float32Array | null, bHh: Float32Array | null,
    lengths: Int32Array | null, reverse: boolean, resetAfter: boolean,
    dx: Float32Array | null, dh0: Float32Array | null, dWIh: Float32Array | null, dWHh: Float32Array,
    dBIh: Float32Array | null, dBHh: Float32Array | null,
    dy: Float32Array | null, dyOff: number, ldy: number, dhN: Float32Array | null,
    gates: Float32Array, hPrev: Float32Array, hn: Float32Array,
    xProj: Float32Array | null, dXProj: Float32Array | null, threads: number, ldyT: number,
  ): void;
  /**
   * Outputs first (llm.c style); u is written for the additive score (v given) only.
   * kb, kj, vb, vj: the key and value row strides; gain (B, S) or null. (An addon of
   * attentionVersion 1 takes neither and ignores them: dense, no gain.)
   */
  attentionForward(
    alpha: Float32Array, context: Float32Array, u: Float32Array | null,
    q: Float32Array, keys: Float32Array, values: Float32Array, v: Float32Array | null, lengths: Int32Array | null,
    B: number, S: number, A: number, D: number,
    kb: number, kj: number, vb: number, vj: number, gain: Float32Array | null,
  ): void;
  /** Accumulates into the gradients given; u null: recomputed. */
  attentionBackward(
    dq: Float32Array | null, dKeys: Float32Array | null, dValues: Float32Array | null, dv: Float32Array | null,
    dContext: Float32Array, alpha: Float32Array, u: Float32Array | null,
    q: Float32Array, keys: Float32Array, values: Float32Array, v: Float32Array | null, lengths: Int32Array | null,
    B: number, S: number, A: number, D: number,
    kb: number, kj: number, vb: number, vj: number, gain: Float32Array | null, dGain: Float32Array | null,
  ): void;
  /** op: 0 tanh, 1 sigmoid, 2 relu, 3 identity. The elementwise kernels are absent in addons built before them. */
  unaryForward?(op: number, out: Float32Array, x: Float32Array): void;
  unaryBackward?(op: number, dx: Float32Array, dy: Float32Array, y: Float32Array): void;
  addBias?(out: Float32Array, bias: Float32Array, N: number, C: number): void;
  addBiasBackward?(dBias: Float32Array, dOut: Float32Array, N: number, C: number): void;
  softmaxCrossEntropyForward?(probs: Float32Array, logits: Float32Array, targets: Int32Array, N: number, C: number): number;
  softmaxCrossEntropyBackward?(dLogits: Float32Array, probs: Float32Array, targets: Int32Array, N: number, C: number, scale: number): void;
  embeddingForward?(out: Float32Array, table: Float32Array, ids: Int32Array, D: number): void;
  embeddingBackward?(dTable: Float32Array, dOut: Float32Array, ids: Int32Array, D: number): void;
  /** Adam over every entry of w, in place (absent in addons built before it). */
  adamUpdate?(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, c1: number, c2: number, l2: number, shrink: number): void;
  /**
   * attentionVersion: 2 with strides and gain; absent in older addons (dense only).
   * gruVersion: 2 when the GRU calls take y's time stride; absent in older addons (time-major only).
   */
  info(): { isa: string; vectorWidth: number; hardwareThreads: number; attentionVersion?: number; gruVersion?: number };
}

/** The addon's unary op codes. */
const UNARY: Record<UnaryOp, number> = { tanh: 0, sigmoid: 1, relu: 2, identity: 3 };

/** build/Release/gru_native.node, from src/kernels/native/ and from dist/kernels/native/ alike. */
const ADDON = '../../../build/Release/gru_native.node';

type GetBuiltin = (id: string) => unknown;

/** The addon, or null where it was not built (or this is not Node). A present addon that fails to load throws. */
function loadAddon(): NativeAddon | null {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') return null;
  const url = new URL(ADDON, import.meta.url);
  // Built-in modules through process.getBuiltinModule (Node ≥ 20.16), so that
  // bundling this file for a browser pulls in no Node module.
  const getBuiltin = (process as { getBuiltinModule?: GetBuiltin }).getBuiltinModule;
  if (typeof getBuiltin === 'function') {
    const { existsSync } = getBuiltin('node:fs') as typeof import('node:fs');
    const { createRequire } = getBuiltin('node:module') as typeof import('node:module');
    const { fileURLToPath } = getBuiltin('node:url') as typeof import('node:url');
    const path = fileURLToPath(url);
    if (!existsSync(path)) return null;
    return createRequire(import.meta.url)(path) as NativeAddon;
  }
  // Older Node 20: load through process.dlopen; a missing file reads as not built.
  const m = { exports: {} as NativeAddon };
  try {
    process.dlopen(m, decodeURIComponent(url.pathname));
  } catch {
    return null;
  }
  return m.exports;
}

function parseThreads(s: string | undefined): number {
  if (s === undefined || s.trim() === '') return 0;
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 255) : 0;
}

const isF32 = (a: FloatArray | null): boolean => a === null || a instanceof Float32Array;

/** The native backend: a {@link Backend} that also names its kernel set. */
export interface NativeBackend extends Backend {
  /** The kernel set chosen for this CPU: 'avx512', 'avx2' or 'generic'. */
  readonly isa: string;
}

/** The native backend, or null when the addon is not built. */
export function loadNativeBackend(): NativeBackend | null {
  const addon = loadAddon();
  if (!addon) return null;
  const info = addon.info();
  // An addon built before the attention kernels existed: those calls stay on ref;
  // one built before their strides and gain (attentionVersion < 2): strided or gained calls do.
  const hasAttention = typeof addon.attentionForward === 'function';
  const stridedAttention = hasAttention && (info.attentionVersion ?? 1) >= 2;
  /** The kernels can take this call: an old addon only dense layouts without a gain. */
  const attentionFits = (a: AttentionInputs, s: { kb: number; kj: number; vb: number; vj: number }): boolean =>
    hasAttention && (stridedAttention || (!a.gain && s.kb === a.S * a.A && s.kj === a.A && s.vb === a.S * a.D && s.vj === a.D));
  // An addon built before y's time stride: only time-major y (ldyT = B·ldy) runs there.
  const yFits = (a: { B: number; ldy: number; ldyT?: number }): boolean => (info.gruVersion ?? 1) >= 2 || (a.ldyT ?? a.B * a.ldy) === a.B * a.ldy;
  const hardware = Math.max(1, info.hardwareThreads);

  // Thread count: 0 means the default (hardware concurrency).
  let lastEnv = process.env.GRU_TS_THREADS;
  let chosen = parseThreads(lastEnv);
  const threads = (): number => {
    const env = process.env.GRU_TS_THREADS;
    if (env !== lastEnv) {
      lastEnv = env;
      chosen = parseThreads(env);
    }
    return chosen || hardware;
  };

  const backend: NativeBackend = {
    ...refBackend,
    name: 'native',
    isa: info.isa,

    setThreads(n: number): void {
      if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: expected a positive integer, got ${n}`);
      lastEnv = process.env.GRU_TS_THREADS;
      chosen = Math.min(n, 255);
    },
    threads,

    gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc): void {
      if (!(A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array)) {
        refBackend.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
        return;
      }
      addon.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, threads());
    },

    gruForward(a: GruForwardArgs): void {
      const c = a.cache;
      // A precomputed input projection replaces x, wIh and bIh (they are neither checked nor passed).
      const xProj = a.xProj ?? null;
      const p = xProj !== null;
      if (!((p ? isF32(xProj) : isF32(a.x) && isF32(a.wIh) && isF32(a.bIh)) && isF32(a.h0) && isF32(a.wHh) && isF32(a.bHh) &&
        isF32(a.y) && isF32(a.hN) && (c === null || (isF32(c.gates) && isF32(c.hPrev) && isF32(c.hn))) && yFits(a))) {
        refBackend.gruForward(a);
        return;
      }
      addon.gruForward(
        a.T, a.B, a.I, a.H, p ? null : a.x as Float32Array, a.h0 as Float32Array, p ? null : a.wIh as Float32Array, a.wHh as Float32Array,
        p ? null : a.bIh as Float32Array | null, a.bHh as Float32Array | null, a.lengths, a.reverse, a.resetAfter,
        a.y as Float32Array, a.yOff, a.ldy, a.hN as Float32Array,
        (c?.gates ?? null) as Float32Array | null, (c?.hPrev ?? null) as Float32Array | null, (c?.hn ?? null) as Float32Array | null,
        xProj as Float32Array | null, threads(), a.ldyT ?? a.B * a.ldy,
      );
    },

    gruBackward(a: GruBackwardArgs): void {
      const c = a.cache;
      // xProj mode: x, wIh, bIh, dx, dWIh, dBIh are neither checked nor passed; dXProj takes the input side's gradient.
      const xProj = a.xProj ?? null;
      const p = xProj !== null;
      const dXProj = p ? a.dXProj ?? null : null;
      if (!((p ? isF32(xProj) && isF32(dXProj) : isF32(a.x) && isF32(a.wIh) && isF32(a.bIh) && isF32(a.dx) && isF32(a.dWIh) && isF32(a.dBIh)) &&
        isF32(a.h0) && isF32(a.wHh) && isF32(a.bHh) && isF32(a.dh0) && isF32(a.dWHh) && isF32(a.dBHh) &&
        isF32(a.dy) && isF32(a.dhN) && isF32(c.gates) && isF32(c.hPrev) && isF32(c.hn) && yFits(a))) {
        refBackend.gruBackward(a);
        return;
      }
      addon.gruBackward(
        a.T, a.B, a.I, a.H, p ? null : a.x as Float32Array, a.h0 as Float32Array, p ? null : a.wIh as Float32Array, a.wHh as Float32Array,
        p ? null : a.bIh as Float32Array | null, a.bHh as Float32Array | null, a.lengths, a.reverse, a.resetAfter,
        p ? null : a.dx as Float32Array | null, a.dh0 as Float32Array | null, p ? null : a.dWIh as Float32Array, a.dWHh as Float32Array,
        p ? null : a.dBIh as Float32Array | null, a.dBHh as Float32Array | null,
        a.dy as Float32Array | null, a.dyOff, a.ldy, a.dhN as Float32Array | null,
        c.gates as Float32Array, c.hPrev as Float32Array, c.hn as Float32Array,
        xProj as Float32Array | null, dXProj as Float32Array | null, threads(), a.ldyT ?? a.B * a.ldy,
      );
    },

    attentionForward(a: AttentionForwardArgs): void {
      const u = a.v ? a.u : null; // u is additive-only
      const gain = a.gain ?? null;
      const s = attentionStrides(a);
      if (!(attentionFits(a, s) && isF32(a.q) && isF32(a.keys) && isF32(a.values) && isF32(a.v) && isF32(a.alpha) && isF32(a.context) && isF32(u) && isF32(gain))) {
        refBackend.attentionForward(a);
        return;
      }
      addon.attentionForward(
        a.alpha as Float32Array, a.context as Float32Array, u as Float32Array | null,
        a.q as Float32Array, a.keys as Float32Array, a.values as Float32Array, a.v as Float32Array | null, a.lengths,
        a.B, a.S, a.A, a.D, s.kb, s.kj, s.vb, s.vj, gain as Float32Array | null,
      );
    },

    attentionBackward(a: AttentionBackwardArgs): void {
      const u = a.v ? a.u : null, dv = a.v ? a.dv : null; // additive-only
      const gain = a.gain ?? null, dGain = gain ? a.dGain ?? null : null;
      const s = attentionStrides(a);
      if (!(attentionFits(a, s) && isF32(a.q) && isF32(a.keys) && isF32(a.values) && isF32(a.v) && isF32(a.alpha) && isF32(u) && isF32(a.dContext) &&
        isF32(a.dq) && isF32(a.dKeys) && isF32(a.dValues) && isF32(dv) && isF32(gain) && isF32(dGain))) {
        refBackend.attentionBackward(a);
        return;
      }
      addon.attentionBackward(
        a.dq as Float32Array | null, a.dKeys as Float32Array | null, a.dValues as Float32Array | null, dv as Float32Array | null,
        a.dContext as Float32Array, a.alpha as Float32Array, u as Float32Array | null,
        a.q as Float32Array, a.keys as Float32Array, a.values as Float32Array, a.v as Float32Array | null, a.lengths,
        a.B, a.S, a.A, a.D, s.kb, s.kj, s.vb, s.vj, gain as Float32Array | null, dGain as Float32Array | null,
      );
    },

    adamUpdate(w, g, m, v, st): void {
      if (!(addon.adamUpdate && isF32(w) && isF32(g) && isF32(m) && isF32(v))) {
        refBackend.adamUpdate(w, g, m, v, st);
        return;
      }
      addon.adamUpdate(w as Float32Array, g as Float32Array, m as Float32Array, v as Float32Array, st.lr, st.beta1, st.beta2, st.eps, st.c1, st.c2, st.l2, st.shrink);
    },

    // The elementwise kernels: float32 arrays on the addon, anything else (float64) on ref.
    unaryForward(op, out, x): void {
      if (addon.unaryForward && isF32(out) && isF32(x)) addon.unaryForward(UNARY[op], out as Float32Array, x as Float32Array);
      else refBackend.unaryForward(op, out, x);
    },
    unaryBackward(op, dx, dy, y): void {
      if (addon.unaryBackward && isF32(dx) && isF32(dy) && isF32(y)) addon.unaryBackward(UNARY[op], dx as Float32Array, dy as Float32Array, y as Float32Array);
      else refBackend.unaryBackward(op, dx, dy, y);
    },
    addBias(out, bias, N, C): void {
      if (addon.addBias && isF32(out) && isF32(bias)) addon.addBias(out as Float32Array, bias as Float32Array, N, C);
      else refBackend.addBias(out, bias, N, C);
    },
    addBiasBackward(dBias, dOut, N, C): void {
      if (addon.addBiasBackward && isF32(dBias) && isF32(dOut)) addon.addBiasBackward(dBias as Float32Array, dOut as Float32Array, N, C);
      else refBackend.addBiasBackward(dBias, dOut, N, C);
    },
    softmaxCrossEntropyForward(probs, logits, targets, N, C): number {
      if (addon.softmaxCrossEntropyForward && isF32(probs) && isF32(logits)) return addon.softmaxCrossEntropyForward(probs as Float32Array, logits as Float32Array, targets, N, C);
      return refBackend.softmaxCrossEntropyForward(probs, logits, targets, N, C);
    },
    softmaxCrossEntropyBackward(dLogits, probs, targets, N, C, scale): void {
      if (addon.softmaxCrossEntropyBackward && isF32(dLogits) && isF32(probs)) addon.softmaxCrossEntropyBackward(dLogits as Float32Array, probs as Float32Array, targets, N, C, scale);
      else refBackend.softmaxCrossEntropyBackward(dLogits, probs, targets, N, C, scale);
    },
    embeddingForward(out, table, ids, D): void {
      if (addon.embeddingForward && isF32(out) && isF32(table)) addon.embeddingForward(out as Float32Array, table as Float32Array, ids, D);
      else refBackend.embeddingForward(out, table, ids, D);
    },
    embeddingBackward(dTable, dOut, ids, D): void {
      if (addon.embeddingBackward && isF32(dTable) && isF32(dOut)) addon.embeddingBackward(dTable as Float32Array, dOut as Float32Array, ids, D);
      else refBackend.embeddingBackward(dTable, dOut, ids, D);
    },
  };
  return backend;
}
