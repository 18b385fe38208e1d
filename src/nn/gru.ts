/** A multi-layer, optionally bidirectional GRU, exactly as PyTorch nn.GRU. */
import { Tensor, assertFinite, shapeString, type DType } from '../tensor/tensor.js';
import { uniformInit } from '../tensor/init.js';
import { Rng } from '../tensor/random.js';
import { Var, constant } from '../autograd/var.js';
import { swapAxes01 } from '../autograd/ops/basic.js';
import { dropout } from '../autograd/ops/dropout.js';
import { concat0, sliceRows } from '../autograd/ops/slice.js';
import { gruLayer, type GruDirectionParams } from '../autograd/ops/gru.js';
import { SparseProjector } from '../autograd/ops/sparse-projection.js';
import { isSparseSequence, type SparseSequence } from '../tensor/sparse-sequence.js';
import { Module } from './module.js';
import { GruError } from '../errors.js';

/** Configuration of a {@link GRU}; names and defaults as PyTorch's nn.GRU. */
export interface GRUOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Use b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are (B, T, F) instead of (T, B, F) (default false). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Run a second, reversed direction in every layer (default false). */
  bidirectional?: boolean;
  /**
   * true (default): PyTorch's n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn)).
   * false: Cho et al. 2014 / ONNX linear_before_reset=0, n = tanh(W_n x + b_in + U_n (r ⊙ h) + b_hn).
   */
  resetAfter?: boolean;
  /** Seed for the initial weights and dropout masks (default 0). */
  seed?: number;
  /** Element type of the weights (default float32). */
  dtype?: DType;
  /**
   * Checkpointed BPTT for long sequences: keep the state every `checkpoint`
   * steps and recompute the rest in backward (memory ~ T/k + k instead of T;
   * same gradients). 'auto' chooses k ≈ √T. Default: keep everything.
   */
  checkpoint?: number | 'auto';
}

/** Inputs besides x for {@link GRU.forward}. */
export interface GRUForwardOptions {
  /** Initial state (numLayers · numDirections, B, H); zeros when omitted. */
  h0?: Tensor | Var;
  /**
   * Valid length of each sequence (B), as PyTorch's packed sequences: outputs
   * past a sequence's length are 0, hN holds its state at its own last step,
   * and the reverse direction starts there. Any order; each in [1, T].
   */
  lengths?: ArrayLike<number>;
}

/**
 * Gated recurrent unit over whole sequences, gate order (r, z, n):
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)
 *   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Parameters are named as PyTorch's (weight_ih_l0, weight_hh_l0_reverse,
 * bias_ih_l1, …) and initialised uniform in ±1/√hiddenSize.
 *
 * @example
 * ```ts
 * const gru = new GRU({ inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true });
 * const x = Tensor.zeros([5, 3, 8]);           // (T, B, I)
 * const { output, hN } = gru.forward(x);       // output (5, 3, 32), hN (4, 3, 16)
 * ```
 */
export class GRU extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly resetAfter: boolean;
  readonly checkpoint: number | 'auto' | undefined;
  /** Parameters per layer, per direction. */
  readonly layers: GruDirectionParams[][] = [];
  private rng: Rng;

  constructor(o: GRUOptions) {
    super();
    checkPositiveInt(o.inputSize, 'inputSize');
    checkPositiveInt(o.hiddenSize, 'hiddenSize');
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = o.numLayers ?? 1;
    checkPositiveInt(this.numLayers, 'numLayers');
    this.bias = o.bias ?? true;
    this.batchFirst = o.batchFirst ?? false;
    this.dropout = o.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new GruError('INVALID_ARGUMENT', `GRU: dropout must be in [0, 1), got ${o.dropout}`);
    this.bidirectional = o.bidirectional ?? false;
    this.resetAfter = o.resetAfter ?? true;
    if (o.checkpoint !== undefined && o.checkpoint !== 'auto' && !(Number.isInteger(o.checkpoint) && o.checkpoint > 0)) {
      throw new GruError('INVALID_ARGUMENT', `GRU: checkpoint must be a positive integer or 'auto', got ${o.checkpoint}`);
    }
    this.checkpoint = o.checkpoint;
    this.rng = new Rng(o.seed ?? 0);

    const H = this.hiddenSize;
    const bound = 1 / Math.sqrt(H);
    const D = this.numDirections;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : H * D;
      const dirs: GruDirectionParams[] = [];
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const init = (shape: number[]) => uniformInit(shape, bound, this.rng, o.dtype);
        dirs.push({
          wIh: this.param(`weight_ih${sfx}`, init([3 * H, inSize])),
          wHh: this.param(`weight_hh${sfx}`, init([3 * H, H])),
          bIh: this.bias ? this.param(`bias_ih${sfx}`, init([3 * H])) : null,
          bHh: this.bias ? this.param(`bias_hh${sfx}`, init([3 * H])) : null,
        });
      }
      this.layers.push(dirs);
    }
  }

  override reseed(seed: number): void {
    super.reseed(seed);
    this.rng = new Rng(seed);
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The configuration, e.g. to save next to the weights. */
  config(): Required<Omit<GRUOptions, 'seed' | 'dtype' | 'checkpoint'>> {
    const { inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, resetAfter } = this;
    return { inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, resetAfter };
  }

  /**
   * Runs the GRU over x: (T, B, inputSize), or (B, T, inputSize) when batchFirst,
   * or a {@link SparseSequence} (token ids or CSR steps; see {@link tokenSequence}),
   * which the first layer projects by gathering weight columns — no dense
   * one-hot — and whose weight_ih_l0 gradient is sparse.
   * Returns output (T, B, D·H) (batch-first likewise) holding the last layer's
   * states, directions concatenated, and hN (numLayers·D, B, H).
   * Records on the autograd tape when parameters or inputs need gradients.
   */
  forward(x: Tensor | Var | SparseSequence, opts: GRUForwardOptions = {}): { output: Var; hN: Var } {
    let input: Var;
    let sparse: SparseProjector[] | undefined;
    if (isSparseSequence(x)) {
      // Sparse steps go straight into the first layer's input projection.
      if (x.rows.cols !== this.inputSize) throw new GruError('INVALID_ARGUMENT', `GRU.forward: sparse input must have ${this.inputSize} features, got ${x.rows.cols}`);
      sparse = this.layers[0].map((p) => new SparseProjector(x.rows, p.wIh, p.bIh));
      input = constant(Tensor.zeros([x.T, x.B, 0], this.layers[0][0].wHh.value.dtype));
    } else {
      const xv = x instanceof Var ? x : constant(x);
      if (xv.shape.length !== 3 || xv.shape[2] !== this.inputSize) {
        const want = this.batchFirst ? `[B, T, ${this.inputSize}]` : `[T, B, ${this.inputSize}]`;
        throw new GruError('INVALID_ARGUMENT', `GRU.forward: input must have shape ${want}, got ${shapeString(xv.shape)}`);
      }
      assertFinite(xv.value, 'GRU.forward input');
      input = this.batchFirst ? swapAxes01(xv) : xv;
    }
    const [T, B] = input.shape;
    if (T === 0 || B === 0) throw new GruError('INVALID_ARGUMENT', `GRU.forward: input needs at least one step and one sequence, got ${shapeString(input.shape)}`);
    const D = this.numDirections;
    const H = this.hiddenSize;
    const lengths = opts.lengths === undefined ? null : checkLengths(opts.lengths, B, T);

    let h0: Var | null = null;
    if (opts.h0 !== undefined) {
      h0 = opts.h0 instanceof Var ? opts.h0 : constant(opts.h0);
      const want = [this.numLayers * D, B, H];
      if (h0.shape.length !== 3 || h0.shape.some((d, i) => d !== want[i])) {
        throw new GruError('INVALID_ARGUMENT', `GRU.forward: h0 must have shape ${shapeString(want)} (numLayers·numDirections, batch, hidden), got ${shapeString(h0.shape)}`);
      }
      assertFinite(h0.value, 'GRU.forward h0');
    }

    const checkpoint = this.checkpoint === 'auto' ? Math.max(1, Math.round(Math.sqrt(T))) : this.checkpoint;
    const finals: Var[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const layerH0 = h0 ? sliceLayer(h0, l, D) : null;
      const last = l === this.numLayers - 1;
      // The last layer writes batch-first output itself; the layers below stay time-major.
      const { y, hN } = gruLayer(input, layerH0, this.layers[l], { resetAfter: this.resetAfter, lengths, checkpoint, sparse: l === 0 ? sparse : undefined, batchFirst: last && this.batchFirst });
      finals.push(hN);
      input = this.training && this.dropout > 0 && !last ? dropout(y, this.dropout, this.rng) : y;
    }
    return { output: input, hN: concat0(finals) };
  }
}

function checkPositiveInt(v: number, name: string): void {
  if (!Number.isInteger(v) || v <= 0) throw new GruError('INVALID_ARGUMENT', `GRU: ${name} must be a positive integer, got ${v}`);
}

/** Valid lengths (one per sequence, each in [1, T]) as Int32Array; errors name `who`. @internal */
export function checkLengths(lengths: ArrayLike<number>, B: number, T: number, who = 'GRU.forward'): Int32Array {
  if (lengths.length !== B) throw new GruError('INVALID_ARGUMENT', `${who}: lengths must have one entry per sequence (${B}), got ${lengths.length}`);
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    if (!Number.isInteger(n) || n < 1 || n > T) throw new GruError('INVALID_ARGUMENT', `${who}: lengths[${b}] must be an integer in [1, ${T}], got ${n}`);
    out[b] = n;
  }
  return out;
}

/** Rows [l·D, (l+1)·D) of a (L·D, B, H) state, on the tape. */
function sliceLayer(h0: Var, l: number, D: number): Var {
  const [, B, H] = h0.shape;
  if (h0.shape[0] === D) return h0;
  return sliceRows(h0, l * D, D, [D, B, H]);
}
