/**
 * The compute contract: whole operations — a GRU over a whole sequence, not
 * a scalar op — on flat typed arrays. ref (plain TypeScript) is the truth;
 * native and wasm are the fast backends. Each kernel's fields (type, role,
 * size) are declared once in spec.ts, and every backend is made whole, with
 * its checks and fallbacks, by registry.ts.
 *
 * Conventions (after llm.c): outputs first, then inputs, then sizes;
 * backward kernels ACCUMULATE into their gradient buffers (+=), so callers
 * zero them once. Dimension legend: T time steps, B batch, I input size,
 * H hidden size, N rows, C classes/columns.
 */
import type { FloatArray } from '../tensor/tensor.js';

/** Pointwise functions with a backward. */
export type UnaryOp = 'tanh' | 'sigmoid' | 'relu' | 'identity';

/** Sizes of one GRU layer in one direction. */
export interface GruDims {
  T: number;
  B: number;
  I: number;
  H: number;
}

/**
 * What the forward pass saves for backward (all time-major).
 * gates (T, B, 3H): r, z, n after their activations.
 * hPrev (T, B, H): the state each step started from.
 * hn    (T, B, H): resetAfter: U_n h + b_hn (before r multiplies it);
 *                  resetBefore: r ⊙ h (the input of the U_n product).
 * Every kernel writes all of it (steps past a sequence's length: gates hold
 * the input projection, hPrev the carried state, hn zeros), so the arrays
 * may be reused buffers with any contents.
 */
export interface GruCache {
  gates: FloatArray;
  hPrev: FloatArray;
  hn: FloatArray;
}

/** The recurrent weights of one direction of one layer, PyTorch layout and gate order (r, z, n). */
export interface GruRecurrentWeights {
  wHh: FloatArray; // (3H, H)
  bHh: FloatArray | null; // (3H)
}

/** Weights of one direction of one layer, PyTorch layout and gate order (r, z, n). */
export interface GruWeights extends GruRecurrentWeights {
  wIh: FloatArray; // (3H, I)
  bIh: FloatArray | null; // (3H)
}

/** How the sequence is walked. */
export interface GruMode {
  /** Process t = T−1 … 0 (the reverse half of a bidirectional layer). */
  reverse: boolean;
  /** PyTorch form (r applied after U_n h) when true; Cho/ONNX-default form when false. */
  resetAfter: boolean;
  /** Valid steps per sequence (B); steps t ≥ lengths[b] leave h unchanged and output 0. */
  lengths: Int32Array | null;
}

/**
 * The input side of a GRU forward, one of two kinds:
 * - dense: x (T, B, I) and W_ih, b_ih; the kernel forms x·W_ihᵀ + b_ih for
 *   every step in one product;
 * - projected: xProj (T, B, 3H), time-major, gate order r, z, n, the
 *   caller's x·W_ihᵀ + b_ih (b_ih already added), for sparse inputs whose
 *   projection is a gather-and-sum of W_ih columns. There is no x, W_ih or
 *   b_ih then, and I is not used (0 by convention).
 * Everything else (reverse, lengths, both reset forms, the cache, y's
 * columns) works the same for both.
 */
export type GruInput = { x: FloatArray; wIh: FloatArray; bIh: FloatArray | null; xProj?: null } | { xProj: FloatArray; x?: null; wIh?: null; bIh?: null };

/** What both GRU kernels take besides the input side. */
export interface GruCall extends GruDims, GruRecurrentWeights, GruMode {
  /** Input (B, H). */
  h0: FloatArray;
}

export type GruForwardArgs = GruCall &
  GruInput & {
    /**
     * Output; this direction writes columns [yOff, yOff + H) of row (t, b),
     * which starts at t·ldyT + b·ldy. Time-major (T, B, ldy) by default
     * (ldyT = B·ldy); batch-first (B, T, C) is ldy = T·C, ldyT = C.
     */
    y: FloatArray;
    yOff: number;
    ldy: number;
    /** Elements between rows (t, b) and (t + 1, b) of y (default B·ldy). */
    ldyT?: number;
    /** Output (B, H): each sequence's state after its last valid step. */
    hN: FloatArray;
    /** Filled for backward when given; sized by {@link gruCacheSizes}. */
    cache: GruCache | null;
  };

/**
 * The input side of a GRU backward, matching its forward's:
 * - dense: accumulates dx (T, B, I, or null), dW_ih (3H, I) and db_ih (3H, or null);
 * - projected (the forward's xProj given): accumulates (+=) dXProj (T, B, 3H,
 *   or null), the gradient of the loss with respect to xProj, i.e. of the
 *   input-side gate pre-activations (r, z, n), from which the caller forms
 *   dx = dXProj·W_ih, dW_ih = dXProjᵀ·x and db_ih = Σ_rows dXProj. Steps
 *   masked by `lengths` get zero gradient. The kernel reads none of xProj:
 *   its presence selects the mode.
 */
export type GruBackwardInput =
  | { x: FloatArray; wIh: FloatArray; bIh: FloatArray | null; dx: FloatArray | null; dWIh: FloatArray; dBIh: FloatArray | null; xProj?: null; dXProj?: null }
  | { xProj: FloatArray; dXProj: FloatArray | null; x?: null; wIh?: null; bIh?: null; dx?: null; dWIh?: null; dBIh?: null };

export type GruBackwardArgs = GruCall &
  GruBackwardInput & {
    /** Accumulated gradients (each may be null when not wanted). */
    dh0: FloatArray | null; // (B, H)
    dWHh: FloatArray; // (3H, H)
    dBHh: FloatArray | null; // (3H)
    /** Gradient of the output at columns [dyOff, dyOff + H), in y's layout (row (t, b) at t·ldyT + b·ldy), or null for none. */
    dy: FloatArray | null;
    dyOff: number;
    ldy: number;
    /** Elements between rows (t, b) and (t + 1, b) of dy (default B·ldy). */
    ldyT?: number;
    /** Gradient of hN (B, H), or null for none. */
    dhN: FloatArray | null;
    cache: GruCache;
  };

/** Element counts of a {@link GruCache} for the given sizes. */
export function gruCacheSizes(d: GruDims): { gates: number; hPrev: number; hn: number } {
  return { gates: d.T * d.B * 3 * d.H, hPrev: d.T * d.B * d.H, hn: d.T * d.B * d.H };
}

/**
 * Sizes of one encoder–decoder attention step: B batch, S source steps,
 * A key (= query) size, D value size.
 */
export interface AttentionDims {
  B: number;
  S: number;
  A: number;
  D: number;
}

/**
 * What both attention kernels read. The score is additive (Bahdanau)
 * e_j = vᵀ tanh(K_j + q) when `v` is given, dot (Luong) e_j = qᵀ K_j when
 * it is null; α = softmax of e over j < length, context = Σ_j α_j V_j
 * (with a `gain`: weights β_j = α_j g_j, not renormalised, and context = Σ_j β_j V_j).
 *
 * Layout: keys and values are (B, S, A) and (B, S, D) by default. The
 * optional strides place row (b, j) elsewhere: key row (b, j) is the A
 * elements from b·keyStrideB + j·keyStrideJ, value row (b, j) the D elements
 * from b·valueStrideB + j·valueStrideJ (dKeys and u share the keys' layout,
 * dValues the values'). For memory that is a slice of a time-major history,
 * e.g. rows j of (T, B, A) from step t₀ on: keys = K.subarray(t₀·B·A),
 * keyStrideB = A, keyStrideJ = B·A. Rows j ≥ length are neither read nor
 * written, so the arrays need only cover rows j < length.
 */
export interface AttentionInputs extends AttentionDims {
  q: FloatArray; // (B, A)
  keys: FloatArray; // (B, S, A), or as the key strides say
  values: FloatArray; // (B, S, D), or as the value strides say
  /** (A) for the additive score; null selects the dot score. */
  v: FloatArray | null;
  /** Valid source steps per row (B), clamped to [0, S]; null: all S. A row of length 0 gets α = 0 and context = 0. */
  lengths: Int32Array | null;
  /** Elements (non-negative integers) between key rows b and b + 1 (default S·A) and between rows j and j + 1 (default A). */
  keyStrideB?: number;
  keyStrideJ?: number;
  /** Elements between value rows b and b + 1 (default S·D) and between rows j and j + 1 (default D). */
  valueStrideB?: number;
  valueStrideJ?: number;
  /**
   * Optional per-slot weights (B, S), applied after the softmax and not
   * renormalised: β_j = α_j g_j (Luong's local-p Gaussian). Entries for
   * j < length must be nonzero (backward recovers α_j = β_j / g_j).
   * Absent or null: g = 1.
   */
  gain?: FloatArray | null;
}

export interface AttentionForwardArgs extends AttentionInputs {
  /** Output (B, S), overwritten: the attention weights (β with a gain), 0 past each row's length. */
  alpha: FloatArray;
  /** Output (B, D), overwritten. */
  context: FloatArray;
  /**
   * Additive only, optional output (B, S, A), in the keys' layout: u = tanh(K_j + q)
   * for j < length (rows past the length are not written), for a backward that
   * should not recompute it. Null: not saved.
   */
  u: FloatArray | null;
}

export interface AttentionBackwardArgs extends AttentionInputs {
  /** Accumulated gradients (+=); each may be null when not wanted (dv: additive only). */
  dq: FloatArray | null; // (B, A)
  dKeys: FloatArray | null; // (B, S, A), the keys' layout
  dValues: FloatArray | null; // (B, S, D), the values' layout
  dv: FloatArray | null; // (A)
  /** Gradient of the context (B, D). */
  dContext: FloatArray;
  /** The forward's α (B, S) (β with a gain). */
  alpha: FloatArray;
  /**
   * With a gain only, optional (B, S), accumulated (+=): ∂loss/∂g_j = α_j dβ_j
   * for j < length (0 added past it). Absent or null: not wanted.
   */
  dGain?: FloatArray | null;
  /** Additive: the forward's saved u (B, S, A, the keys' layout), or null to recompute tanh(K_j + q) from keys and q. */
  u: FloatArray | null;
}

/**
 * One Adam step's constants (see optim/adam.ts): c1 = 1 − β1ᵗ and c2 = 1 − β2ᵗ
 * (bias corrections), l2 the weight decay added to the gradient (Adam), shrink
 * the decoupled decay factor 1 − lr·wd (AdamW; 1 for Adam).
 */
export interface AdamStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  c1: number;
  c2: number;
  l2: number;
  shrink: number;
}

/** A compute backend. */
export interface Backend {
  readonly name: string;

  /** Worker threads a multi-threaded backend uses (absent: single-threaded). */
  setThreads?(n: number): void;
  /** The current thread count (absent: 1). */
  threads?(): number;
  /**
   * A zeroed Float32Array of n elements whose first element starts a
   * 64-byte cache line (a view into a slightly larger buffer), where the
   * backend's kernels run faster on such buffers (absent: no difference).
   * The tape's saved buffers come from here (autograd/pool.ts).
   */
  alignedArray?(n: number): Float32Array;

  /**
   * General matrix product, BLAS-style:
   * C = alpha · op(A) · op(B) + beta · C, with op(A) (M, K), op(B) (K, N), C (M, N),
   * each matrix given as (array, offset, leading dimension), row-major.
   * beta = 0 overwrites C (its old contents, even NaN, are ignored).
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: FloatArray, aOff: number, lda: number, B: FloatArray, bOff: number, ldb: number, beta: number, C: FloatArray, cOff: number, ldc: number): void;

  /** out[n, c] += bias[c] for an (N, C) matrix. */
  addBias(out: FloatArray, bias: FloatArray, N: number, C: number): void;
  /** dBias[c] += Σ_n dOut[n, c]: the backward of {@link Backend.addBias}. */
  addBiasBackward(dBias: FloatArray, dOut: FloatArray, N: number, C: number): void;

  /** out = f(x), elementwise. */
  unaryForward(op: UnaryOp, out: FloatArray, x: FloatArray): void;
  /** dx += f'(x) · dy, given y = f(x). */
  unaryBackward(op: UnaryOp, dx: FloatArray, dy: FloatArray, y: FloatArray): void;

  /**
   * Row-wise log-softmax cross-entropy. logits (N, C), targets (N) class ids
   * (negative = ignored). Writes probs (N, C) and returns the summed loss.
   */
  softmaxCrossEntropyForward(probs: FloatArray, logits: FloatArray, targets: Int32Array, N: number, C: number): number;
  /** dLogits += scale · (probs − onehot(targets)) for rows not ignored. */
  softmaxCrossEntropyBackward(dLogits: FloatArray, probs: FloatArray, targets: Int32Array, N: number, C: number, scale: number): void;

  /** out (N, D) = table[ids[n]] — ids were validated by the caller. */
  embeddingForward(out: FloatArray, table: FloatArray, ids: Int32Array, D: number): void;
  /** dTable[ids[n]] += dOut[n]. */
  embeddingBackward(dTable: FloatArray, dOut: FloatArray, ids: Int32Array, D: number): void;

  /** One direction of one GRU layer over a whole sequence. */
  gruForward(a: GruForwardArgs): void;
  /** Its backward: accumulates into every gradient buffer given. */
  gruBackward(a: GruBackwardArgs): void;

  /** Encoder–decoder attention for one decoder step: scores, masked softmax, context. */
  attentionForward(a: AttentionForwardArgs): void;
  /** Its backward: accumulates into dq, dKeys, dValues and dv (those given). */
  attentionBackward(a: AttentionBackwardArgs): void;

  /**
   * Adam over every entry, in place: g' = g + l2·w; m = β1 m + (1−β1) g';
   * v = β2 v + (1−β2) g'²; w = shrink·w − lr·(m/c1) / (√(v/c2) + eps).
   */
  adamUpdate(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, s: AdamStep): void;
}
