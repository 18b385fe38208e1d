/**
 * Layers of {@link AttentionGRU} with the interface of {@link GRU}: stacked,
 * optionally bidirectional, packed lengths, dropout between layers; so a
 * task model swaps one for the other (see {@link recurrentLayer}).
 */
import { Tensor, assertFinite, shapeString, type DType } from '../tensor/tensor.js';
import type { RecurrentLayerOptions } from './recurrent.js';
import { Rng } from '../tensor/random.js';
import { Var, constant } from '../autograd/var.js';
import { mul, reshape, swapAxes01 } from '../autograd/ops/basic.js';
import { concatLast } from '../autograd/ops/concat-last.js';
import { concat0, sliceRows } from '../autograd/ops/slice.js';
import { dropout } from '../autograd/ops/dropout.js';
import { embedding } from '../autograd/ops/embedding.js';
import type { AttentionGruForm, PredictiveWindow } from '../autograd/ops/attention-gru.js';
import { AttentionGRU } from './attention-gru.js';
import { checkLengths, type GRUForwardOptions } from './gru.js';
import { Module } from './module.js';
import { isSparseSequence, type SparseSequence } from '../tensor/sparse-sequence.js';
import { GruError } from '../errors.js';

/** The GRU's layer options (bidirectional: a second direction that reads each sequence backwards from its last valid step), the attention cell's form and window. */
export interface AttentionGRUStackOptions extends RecurrentLayerOptions, AttentionGruForm {
  attentionSize?: number;
  window?: number;
  local?: PredictiveWindow;
  bias?: boolean;
}

/**
 * Each layer and direction is an AttentionGRU (children `l0`, `l0_reverse`,
 * `l1`, …), whose memory is its own direction's earlier states. With
 * `lengths`, as the GRU's packed sequences: outputs past a sequence's
 * length are 0, hN is the state at its own last step, and the reverse
 * direction starts there (the attention is causal, so the padding after a
 * sequence never reaches its valid steps).
 *
 * @example
 * ```ts
 * const rnn = new AttentionGRUStack({ inputSize: 8, hiddenSize: 16, numLayers: 2, window: 32, batchFirst: true });
 * const { output, hN } = rnn.forward(x, { lengths });   // as GRU.forward
 * ```
 */
export class AttentionGRUStack extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly batchFirst: boolean;
  /** cells[l · D + d]: layer l, direction d. */
  readonly cells: AttentionGRU[];
  private rng: Rng;

  constructor(o: AttentionGRUStackOptions) {
    super();
    const L = o.numLayers ?? 1;
    if (!Number.isInteger(L) || L <= 0) throw new GruError('INVALID_ARGUMENT', `AttentionGRUStack: numLayers must be a positive integer, got ${o.numLayers}`);
    const p = o.dropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new GruError('INVALID_ARGUMENT', `AttentionGRUStack: dropout must be in [0, 1), got ${o.dropout}`);
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = L;
    this.bidirectional = o.bidirectional ?? false;
    this.dropout = p;
    this.batchFirst = o.batchFirst ?? false;
    this.rng = new Rng((o.seed ?? 0) + 7);
    const D = this.bidirectional ? 2 : 1;
    this.cells = [];
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        const cell = new AttentionGRU({
          ...o,
          inputSize: l === 0 ? o.inputSize : D * o.hiddenSize,
          batchFirst: false,
          seed: (o.seed ?? 0) + 101 * (l * D + d),
        });
        this.cells.push(this.child(`l${l}${d === 1 ? '_reverse' : ''}`, cell));
      }
    }
  }

  override reseed(seed: number): void {
    super.reseed(seed);
    this.rng = new Rng(seed + 7);
  }

  /** x (T, B, inputSize) — (B, T, ·) when batchFirst; h0 (numLayers · D, B, H). Returns output (T, B, D·H) (batch-first likewise) and hN (numLayers · D, B, H). */
  forward(x: Tensor | Var | SparseSequence, opts: GRUForwardOptions = {}): { output: Var; hN: Var } {
    if (isSparseSequence(x)) throw new GruError('UNSUPPORTED', 'AttentionGRUStack.forward: sparse (one-hot) input runs on the GRU only; embed it first');
    const xv = x instanceof Var ? x : constant(x);
    if (xv.shape.length !== 3 || xv.shape[2] !== this.inputSize) {
      throw new GruError('INVALID_ARGUMENT', `AttentionGRUStack.forward: input must have shape ${this.batchFirst ? '[B, T, ' : '[T, B, '}${this.inputSize}], got ${shapeString(xv.shape)}`);
    }
    assertFinite(xv.value, 'AttentionGRUStack.forward input');
    let input = this.batchFirst ? swapAxes01(xv) : xv;
    const [T, B] = input.shape;
    const D = this.bidirectional ? 2 : 1,
      H = this.hiddenSize;
    if (T === 0 || B === 0) throw new GruError('INVALID_ARGUMENT', `AttentionGRUStack.forward: input needs at least one step and one sequence, got ${shapeString(xv.shape)}`);
    const lengths = opts.lengths === undefined ? null : checkLengths(opts.lengths, B, T, 'AttentionGRUStack.forward');
    let h0: Var | null = null;
    if (opts.h0 !== undefined) {
      h0 = opts.h0 instanceof Var ? opts.h0 : constant(opts.h0);
      const want = [this.numLayers * D, B, H];
      if (shapeString(h0.shape) !== shapeString(want)) throw new GruError('INVALID_ARGUMENT', `AttentionGRUStack.forward: h0 must have shape ${shapeString(want)} (numLayers·numDirections, batch, hidden), got ${shapeString(h0.shape)}`);
    }
    const reversal = D === 2 ? reverseWithinLengths(T, B, lengths) : null;
    const last = lengths ? Int32Array.from(lengths, (n, b) => (n - 1) * B + b) : null; // row of each sequence's last valid step
    const finals: Var[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Var[] = [];
      for (let d = 0; d < D; d++) {
        const i = l * D + d;
        const seq = d === 1 ? gatherSteps(input, reversal!) : input;
        const { output, hN } = this.cells[i].forward(seq, h0 ? { h0: sliceRows(h0, i, 1, [B, H]) } : {});
        finals.push(last ? gatherSteps(output, last, [B, H]) : hN);
        outs.push(d === 1 ? gatherSteps(output, reversal!) : output);
      }
      input = D === 2 ? concatLast(outs) : outs[0];
      if (this.training && this.dropout > 0 && l < this.numLayers - 1) input = dropout(input, this.dropout, this.rng);
    }
    if (lengths && lengths.some((n) => n < T)) input = mul(input, constant(validMask(T, B, D * H, lengths, input.value.dtype)));
    const hN = concat0(finals.map((h) => reshape(h, [1, B, H])));
    return { output: this.batchFirst ? swapAxes01(input) : input, hN };
  }
}

/** Rows (of a (T·B, ·) view) that reverse each sequence within its length: step t of b reads step len_b − 1 − t; padding stays. */
function reverseWithinLengths(T: number, B: number, lengths: Int32Array | null): Int32Array {
  const rows = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    const n = lengths ? lengths[b] : T;
    for (let t = 0; t < T; t++) rows[t * B + b] = (t < n ? n - 1 - t : t) * B + b;
  }
  return rows;
}

/** Rows of x (T, B, F) seen as (T·B, F), gathered (with gradient) into `shape` (default x's). */
function gatherSteps(x: Var, rows: Int32Array, shape: readonly number[] = x.shape): Var {
  const F = x.shape[2];
  return embedding(reshape(x, [x.shape[0] * x.shape[1], F]), rows, shape.slice(0, -1));
}

/** (T, B, F) ones at valid steps, zeros past each length. */
function validMask(T: number, B: number, F: number, lengths: Int32Array, dtype: DType): Tensor {
  const m = Tensor.zeros([T, B, F], dtype);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t < lengths[b]) m.data.fill(1, (t * B + b) * F, (t * B + b + 1) * F);
  return m;
}
