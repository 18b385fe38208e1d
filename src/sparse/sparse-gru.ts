/**
 * Inference with pruned weights: a GRU (and a Linear) whose weight
 * matrices are stored in CSR and multiplied with {@link csrGemmT}, so the
 * work per step is proportional to the weights kept. Same semantics as the
 * dense modules in evaluation mode: gate order (r, z, n), both reset forms,
 * bidirectional, multi-layer, batchFirst, h0 and packed-sequence lengths.
 */
import { Var } from '../autograd/var.js';
import { GRU, checkLengths, type GRUForwardOptions } from '../nn/gru.js';
import type { RecurrentLayer } from '../nn/recurrent.js';
import type { Linear } from '../nn/linear.js';
import { Tensor, allocateLike, assertFinite, shapeString, type FloatArray } from '../tensor/tensor.js';
import { csrDensity, csrFromDense, type CsrMatrix } from '../tensor/csr.js';
import { csrGemmT, csrMatmul } from './csr-matmul.js';
import { GruError } from '../errors.js';

/** The weights of one direction of one layer: W_ih (3H × in) and W_hh (3H × H) in CSR, dense biases (3H) or null. */
export interface SparseGruDirection {
  wIh: CsrMatrix;
  wHh: CsrMatrix;
  bIh: FloatArray | null;
  bHh: FloatArray | null;
}

/** Configuration of a {@link SparseGRU}; names and meaning as in {@link GRUOptions}. */
export interface SparseGRUConfig {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  resetAfter: boolean;
}

/**
 * A GRU for inference whose W_ih and W_hh are CSR matrices, e.g. after
 * {@link magnitudePrune}. Its forward equals the dense {@link GRU}'s in
 * evaluation mode on the same weights (to float rounding); there is no
 * autograd and no dropout.
 *
 * @example
 * ```ts
 * magnitudePrune(model, { density: 0.2 });
 * const sparse = SparseGRU.fromDense(model.gru);
 * const { output, hN } = sparse.forward(x, { lengths });   // Tensors, same shapes as model.gru.forward
 * ```
 */
export class SparseGRU {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly resetAfter: boolean;
  /** Weights per layer, per direction (the second direction runs in reverse). */
  readonly layers: readonly (readonly SparseGruDirection[])[];

  /** Checks that every matrix and bias fits the configuration. */
  constructor(config: SparseGRUConfig, layers: readonly (readonly SparseGruDirection[])[]) {
    const { inputSize: I, hiddenSize: H, numLayers: L, bidirectional } = config;
    for (const [k, v] of [
      ['inputSize', I],
      ['hiddenSize', H],
      ['numLayers', L],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new GruError('INVALID_ARGUMENT', `SparseGRU: ${k} must be a positive integer, got ${v}`);
    }
    const D = bidirectional ? 2 : 1;
    if (layers.length !== L) throw new GruError('INVALID_ARGUMENT', `SparseGRU: expected ${L} layers of weights, got ${layers.length}`);
    layers.forEach((dirs, l) => {
      if (dirs.length !== D) throw new GruError('INVALID_ARGUMENT', `SparseGRU: layer ${l} must have ${D} direction(s), got ${dirs.length}`);
      const inSize = l === 0 ? I : D * H;
      dirs.forEach((p, d) => {
        const where = `layer ${l}${d === 1 ? ' reverse' : ''}`;
        if (p.wIh.rows !== 3 * H || p.wIh.cols !== inSize) throw new GruError('INVALID_ARGUMENT', `SparseGRU: ${where} W_ih must be ${3 * H}×${inSize}, got ${p.wIh.rows}×${p.wIh.cols}`);
        if (p.wHh.rows !== 3 * H || p.wHh.cols !== H) throw new GruError('INVALID_ARGUMENT', `SparseGRU: ${where} W_hh must be ${3 * H}×${H}, got ${p.wHh.rows}×${p.wHh.cols}`);
        for (const [n, b] of [
          ['b_ih', p.bIh],
          ['b_hh', p.bHh],
        ] as const) {
          if (b !== null && b.length !== 3 * H) throw new GruError('INVALID_ARGUMENT', `SparseGRU: ${where} ${n} must have ${3 * H} entries, got ${b.length}`);
        }
      });
    });
    this.inputSize = I;
    this.hiddenSize = H;
    this.numLayers = L;
    this.bidirectional = bidirectional;
    this.batchFirst = config.batchFirst;
    this.resetAfter = config.resetAfter;
    this.layers = layers;
  }

  /**
   * The CSR form of a dense GRU's current weights: entries with |w| >
   * `threshold` (default 0, i.e. the non-zeros left by pruning) are stored;
   * biases are copied. Later changes to the dense module do not affect it.
   */
  static fromDense(gru: RecurrentLayer, o: { threshold?: number } = {}): SparseGRU {
    if (!(gru instanceof GRU)) throw new GruError('UNSUPPORTED', 'SparseGRU.fromDense: the sparse path runs the GRU cell; an attention GRU (--cell attention-gru or seed-003) has no sparse form');
    const threshold = o.threshold ?? 0;
    const layers = gru.layers.map((dirs) =>
      dirs.map((p) => ({
        wIh: csrFromDense(p.wIh.data, p.wIh.shape[0], p.wIh.shape[1], threshold),
        wHh: csrFromDense(p.wHh.data, p.wHh.shape[0], p.wHh.shape[1], threshold),
        bIh: p.bIh ? p.bIh.data.slice() : null,
        bHh: p.bHh ? p.bHh.data.slice() : null,
      })),
    );
    const { inputSize, hiddenSize, numLayers, bidirectional, batchFirst, resetAfter } = gru;
    return new SparseGRU({ inputSize, hiddenSize, numLayers, bidirectional, batchFirst, resetAfter }, layers);
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  private ws: Workspace | null = null;

  /** Work buffers for T steps of B sequences in `like`'s element type, reused across calls (one step at a time allocates nothing here). */
  private workspace(like: FloatArray, T: number, B: number): Workspace {
    const G = 3 * this.hiddenSize,
      H = this.hiddenSize;
    const w = this.ws;
    if (w && w.gates.constructor === like.constructor && w.gates.length >= T * B * G && w.h.length >= B * H) {
      return { gates: w.gates.subarray(0, T * B * G), gh: w.gh.subarray(0, B * G), rh: w.rh.subarray(0, B * H), h: w.h.subarray(0, B * H) };
    }
    this.ws = { gates: allocateLike(like, T * B * G), gh: allocateLike(like, B * G), rh: allocateLike(like, B * H), h: allocateLike(like, B * H) };
    return this.ws;
  }

  /** Each matrix's PyTorch name, entries (rows · cols), stored entries and density. */
  matrices(): { name: string; size: number; nnz: number; density: number }[] {
    const out: { name: string; size: number; nnz: number; density: number }[] = [];
    this.layers.forEach((dirs, l) =>
      dirs.forEach((p, d) => {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        out.push({ name: `weight_ih${sfx}`, size: p.wIh.rows * p.wIh.cols, nnz: p.wIh.colIdx.length, density: csrDensity(p.wIh) });
        out.push({ name: `weight_hh${sfx}`, size: p.wHh.rows * p.wHh.cols, nnz: p.wHh.colIdx.length, density: csrDensity(p.wHh) });
      }),
    );
    return out;
  }

  /**
   * Runs the GRU over x: (T, B, inputSize), or (B, T, inputSize) when
   * batchFirst. Returns output (T, B, D·H) (batch-first likewise) and hN
   * (numLayers·D, B, H), in x's element type; `h0` and `lengths` as in
   * {@link GRU.forward}.
   */
  forward(x: Tensor | Var, opts: GRUForwardOptions = {}): { output: Tensor; hN: Tensor } {
    const xt = x instanceof Var ? x.value : x;
    if (xt.shape.length !== 3 || xt.shape[2] !== this.inputSize) {
      const want = this.batchFirst ? `[B, T, ${this.inputSize}]` : `[T, B, ${this.inputSize}]`;
      throw new GruError('INVALID_ARGUMENT', `SparseGRU.forward: input must have shape ${want}, got ${shapeString(xt.shape)}`);
    }
    assertFinite(xt, 'SparseGRU.forward input');
    const [T, B] = this.batchFirst ? [xt.shape[1], xt.shape[0]] : [xt.shape[0], xt.shape[1]];
    if (T === 0 || B === 0) throw new GruError('INVALID_ARGUMENT', `SparseGRU.forward: input needs at least one step and one sequence, got ${shapeString(xt.shape)}`);
    const D = this.numDirections;
    const H = this.hiddenSize;
    const like = xt.data;
    const lengths = opts.lengths === undefined ? null : checkLengths(opts.lengths, B, T, 'SparseGRU.forward');
    let h0: FloatArray | null = null;
    if (opts.h0 !== undefined) {
      const h = opts.h0 instanceof Var ? opts.h0.value : opts.h0;
      const want = [this.numLayers * D, B, H];
      if (h.shape.length !== 3 || h.shape.some((s, i) => s !== want[i])) {
        throw new GruError('INVALID_ARGUMENT', `SparseGRU.forward: h0 must have shape ${shapeString(want)} (numLayers·numDirections, batch, hidden), got ${shapeString(h.shape)}`);
      }
      assertFinite(h, 'SparseGRU.forward h0');
      h0 = h.data;
    }

    const ws = this.workspace(like, T, B);
    const hN = allocateLike(like, this.numLayers * D * B * H);
    let input = this.batchFirst ? swap01(xt.data, B, T, this.inputSize) : xt.data;
    let inSize = this.inputSize;
    for (let l = 0; l < this.numLayers; l++) {
      const y = allocateLike(like, T * B * D * H);
      for (let d = 0; d < D; d++) {
        const s = (l * D + d) * B * H;
        runDirection(this.layers[l][d], ws, {
          T,
          B,
          I: inSize,
          H,
          x: input,
          y,
          yOff: d * H,
          ldy: D * H,
          h0: h0 ? h0.subarray(s, s + B * H) : null,
          hN: hN.subarray(s, s + B * H),
          reverse: d === 1,
          resetAfter: this.resetAfter,
          lengths,
        });
      }
      input = y;
      inSize = D * H;
    }
    const output = this.batchFirst ? new Tensor(swap01(input, T, B, D * H), [B, T, D * H]) : new Tensor(input, [T, B, D * H]);
    return { output, hN: new Tensor(hN, [this.numLayers * D, B, H]) };
  }
}

/** Work buffers of one forward call, shared by every layer and direction; kept between calls while they fit. */
interface Workspace {
  gates: FloatArray; // (T, B, 3H): W x + b_i for every step, then r, z, n
  gh: FloatArray; // (B, 3H): U h + b_h for one step
  rh: FloatArray; // (B, H): r ⊙ h (reset-before form)
  h: FloatArray; // (B, H): the running state
}

interface DirectionArgs {
  T: number;
  B: number;
  I: number;
  H: number;
  x: FloatArray;
  y: FloatArray;
  yOff: number;
  ldy: number;
  h0: FloatArray | null;
  hN: FloatArray;
  reverse: boolean;
  resetAfter: boolean;
  lengths: Int32Array | null;
}

/** σ(v); exp(−v) overflowing to Infinity gives exactly 0, so no branch is needed. */
function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** Fills the bias into each of n rows of out (no bias: the product that follows overwrites instead of adding). */
function fillRows(out: FloatArray, bias: FloatArray | null, n: number, G: number): void {
  if (bias === null) return;
  for (let r = 0; r < n; r++) out.set(bias, r * G);
}

/** One direction of one layer: the dense reference kernel with each product done in CSR. */
function runDirection(p: SparseGruDirection, ws: Workspace, a: DirectionArgs): void {
  const { T, B, I, H, x, y, yOff, ldy, lengths, reverse, resetAfter } = a;
  const G = 3 * H;
  const { gates, gh, rh, h } = ws;
  // gi = x W_ihᵀ + b_ih for all T·B rows at once.
  fillRows(gates, p.bIh, T * B, G);
  csrGemmT(T * B, p.wIh, 0, G, x, 0, I, gates, 0, G, p.bIh !== null);
  if (a.h0) h.set(a.h0);
  else h.fill(0);
  const hasBh = p.bHh !== null;

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    fillRows(gh, p.bHh, B, G);
    if (resetAfter) {
      csrGemmT(B, p.wHh, 0, G, h, 0, H, gh, 0, G, hasBh);
    } else {
      // The r and z rows first; the n rows multiply r ⊙ h.
      csrGemmT(B, p.wHh, 0, 2 * H, h, 0, H, gh, 0, G, hasBh);
      for (let b = 0; b < B; b++) {
        const g = (t * B + b) * G;
        for (let j = 0; j < H; j++) rh[b * H + j] = sigmoid(gates[g + j] + gh[b * G + j]) * h[b * H + j];
      }
      csrGemmT(B, p.wHh, 2 * H, G, rh, 0, H, gh, 2 * H, G, hasBh);
    }
    for (let b = 0; b < B; b++) {
      const yRow = (t * B + b) * ldy + yOff;
      if (lengths !== null && t >= lengths[b]) {
        // Past this sequence's end: output 0, state carried unchanged.
        for (let j = 0; j < H; j++) y[yRow + j] = 0;
        continue;
      }
      const g = (t * B + b) * G;
      const q = b * G;
      const c = b * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gates[g + j] + gh[q + j]);
        const z = sigmoid(gates[g + H + j] + gh[q + H + j]);
        const n = resetAfter ? Math.tanh(gates[g + 2 * H + j] + r * gh[q + 2 * H + j]) : Math.tanh(gates[g + 2 * H + j] + gh[q + 2 * H + j]);
        const hNew = (1 - z) * n + z * h[c + j];
        h[c + j] = hNew;
        y[yRow + j] = hNew;
      }
    }
  }
  a.hN.set(h);
}

/** (A, B, F) → (B, A, F): a copy, or `src` itself when A or B is 1 (the same layout). */
function swap01(src: FloatArray, A: number, B: number, F: number): FloatArray {
  if (A === 1 || B === 1) return src;
  const out = allocateLike(src, A * B * F);
  for (let i = 0; i < A; i++) {
    for (let j = 0; j < B; j++) out.set(src.subarray((i * B + j) * F, (i * B + j + 1) * F), (j * A + i) * F);
  }
  return out;
}

/**
 * A Linear layer for inference with its weight in CSR: y = x Wᵀ + b via
 * {@link csrMatmul}, equal to the dense layer's forward on the same weights.
 */
export class SparseLinear {
  /** @param weight (outFeatures × inFeatures) in CSR; @param bias (outFeatures) or null. */
  constructor(
    readonly weight: CsrMatrix,
    readonly bias: FloatArray | null,
  ) {
    if (bias !== null && bias.length !== weight.rows) throw new GruError('INVALID_ARGUMENT', `SparseLinear: bias must have ${weight.rows} entries, got ${bias.length}`);
  }

  /** The CSR form of a Linear's current weight (entries with |w| > threshold, default 0); the bias is copied. */
  static fromDense(linear: Linear, o: { threshold?: number } = {}): SparseLinear {
    const w = linear.weight;
    return new SparseLinear(csrFromDense(w.data, w.shape[0], w.shape[1], o.threshold ?? 0), linear.bias ? linear.bias.data.slice() : null);
  }

  /** x (…, inFeatures) → (…, outFeatures). */
  forward(x: Tensor | Var): Tensor {
    return csrMatmul(x instanceof Var ? x.value : x, this.weight, this.bias);
  }
}
