/**
 * Sequence classifier: token embedding (texts) or normalised feature
 * vectors (frames: sensors, speech features) → (bidirectional) GRU over the
 * valid steps of each sequence → the final states of both directions, or
 * attention pooling over all steps → linear → softmax.
 */
import { Tensor } from '../../tensor/tensor.js';
import { constant, noGrad, type Var } from '../../autograd/var.js';
import type { FeatureNormalization } from '../../data/feature-normalization.js';
import type { AudioFrontEndConfig } from '../../data/audio-folder.js';
import { crossEntropy } from '../../autograd/ops/losses.js';
import { swapAxes01, reshape } from '../../autograd/ops/basic.js';
import { sliceRows } from '../../autograd/ops/slice.js';
import { dropout } from '../../autograd/ops/dropout.js';
import { Rng } from '../../tensor/random.js';
import { Embedding } from '../../nn/embedding.js';
import { recurrentLayer, type CellConfig, type RecurrentLayer } from '../../nn/recurrent.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { AttentionPool } from '../../nn/attention-pool.js';
import type { TokenizerJSON } from '../../data/tokenizer.js';
import { GruError } from '../../errors.js';

export interface ClassifyConfig {
  labels: string[];
  /** Texts: the tokenizer's kind (absent for frames). */
  tokenizer?: TokenizerJSON['kind'];
  /** Frames: features per frame and the per-feature normalisation fitted on the training frames (absent for texts). */
  frames?: FramesInput;
  /** Audio: the features computed from 16 kHz samples (frames then holds their normalisation). */
  audio?: AudioFrontEndConfig;
  /** Steps read per sequence (tokens or frames). */
  maxLen: number;
  /** Width of the GRU's input: the token embedding's, or for frames the number of features. */
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  dropout: number;
  /** How the GRU's states become one vector: the final states of both directions, or attention pooling over all steps. */
  pooling?: 'last' | 'attention';
  /** Dropout on the token embeddings in training (default 0): a regulariser for small corpora. */
  embeddingDropout?: number;
  /** The recurrent cell (absent: the GRU). */
  cell?: CellConfig;
}

/** What a frames classifier reads: F features per frame, normalised as (x − mean) / std. */
export interface FramesInput extends FeatureNormalization {
  features: number;
}

/** A batch of normalised frame sequences, zero-padded to the longest in it. */
export interface FrameBatch {
  B: number;
  T: number;
  /** (B, T, F) */
  frames: Float32Array;
  lengths: Int32Array;
  /** (B) class ids, or empty at prediction time */
  labels: Int32Array;
}

/** Groups frame sequences (each frames × F, already normalised) into a padded batch, each cut to maxLen frames. */
export function makeFrameBatch(seqs: readonly Float32Array[], F: number, labels: number[] | null, maxLen = Infinity): FrameBatch {
  const B = seqs.length;
  const lengths = Int32Array.from(seqs, (s) => Math.max(1, Math.min(maxLen, s.length / F)));
  const T = Math.max(...lengths);
  const frames = new Float32Array(B * T * F);
  seqs.forEach((s, b) => frames.set(s.subarray(0, lengths[b] * F), b * T * F));
  return { B, T, frames, lengths, labels: labels ? Int32Array.from(labels) : new Int32Array(0) };
}

/** A batch of either input. */
export type ClassifyBatch = TextBatch | FrameBatch;

/** A batch of token ids, padded to the longest text in it. */
export interface TextBatch {
  B: number;
  T: number;
  /** (B, T) ids, 0-padded */
  ids: Int32Array;
  lengths: Int32Array;
  /** (B) class ids, or empty at prediction time */
  labels: Int32Array;
}

/** Groups encoded texts into padded batches. */
export function makeTextBatch(seqs: number[][], labels: number[] | null): TextBatch {
  const B = seqs.length;
  const lengths = Int32Array.from(seqs, (s) => Math.max(1, s.length));
  const T = Math.max(...lengths);
  const ids = new Int32Array(B * T);
  seqs.forEach((s, b) => ids.set(s.slice(0, T), b * T));
  return { B, T, ids, lengths, labels: labels ? Int32Array.from(labels) : new Int32Array(0) };
}

export class Classifier extends Module {
  /** The token embedding (texts), or null (frames). */
  readonly embed: Embedding | null;
  readonly gru: RecurrentLayer;
  readonly head: Linear;
  readonly pool: AttentionPool | null;
  private rng: Rng;

  constructor(
    readonly config: ClassifyConfig,
    vocabSize: number,
    seed = 0,
  ) {
    super();
    const p = config.embeddingDropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new GruError('INVALID_ARGUMENT', `Classifier: embeddingDropout must be in [0, 1), got ${p}`);
    this.rng = new Rng(seed + 5);
    const D = config.bidirectional ? 2 : 1;
    this.pool = config.pooling === 'attention' ? this.child('pool', new AttentionPool({ inputSize: D * config.hiddenSize, seed: seed + 3 })) : null;
    if (config.frames && config.frames.features !== config.embeddingSize)
      throw new GruError('INVALID_ARGUMENT', `Classifier: a frames classifier's embeddingSize is its feature count (${config.frames.features}), got ${config.embeddingSize}`);
    this.embed = config.frames ? null : this.child('embedding', new Embedding({ numEmbeddings: vocabSize, embeddingDim: config.embeddingSize, seed }));
    this.gru = this.child(
      'gru',
      recurrentLayer(config.cell, { inputSize: config.embeddingSize, hiddenSize: config.hiddenSize, numLayers: config.numLayers, bidirectional: config.bidirectional, dropout: config.dropout, batchFirst: true, seed: seed + 1 }),
    );
    this.head = this.child('head', new Linear({ inFeatures: D * config.hiddenSize, outFeatures: config.labels.length, seed: seed + 2 }));
  }

  /** Class logits (B, C). */
  forward(b: ClassifyBatch): Var {
    const { hiddenSize: H, numLayers: L } = this.config;
    const D = this.config.bidirectional ? 2 : 1;
    const e = 'ids' in b ? this.embed!.forward(b.ids, [b.B, b.T]) : constant(new Tensor(b.frames, [b.B, b.T, this.config.embeddingSize]));
    const p = this.config.embeddingDropout ?? 0;
    const x = this.training && p > 0 ? dropout(e, p, this.rng) : e;
    const { output, hN } = this.gru.forward(x, { lengths: b.lengths });
    if (this.pool) return this.head.forward(this.pool.forward(output, b.lengths).pooled);
    // Last layer's final states (D, B, H) → (B, D·H).
    const last = sliceRows(hN, (L - 1) * D, D, [D, b.B, H]);
    return this.head.forward(reshape(swapAxes01(last), [b.B, D * H]));
  }

  override reseed(seed: number): void {
    super.reseed(seed);
    this.rng = new Rng(seed + 5);
  }

  loss(b: ClassifyBatch): Var {
    return crossEntropy(this.forward(b), b.labels);
  }

  /** Class probabilities (B, C). */
  probabilities(b: ClassifyBatch): Tensor {
    const wasTraining = this.training;
    this.eval();
    const logits = noGrad(() => this.forward(b)).value;
    this.train(wasTraining);
    const C = this.config.labels.length;
    const p = new Float32Array(logits.size);
    for (let i = 0; i < b.B; i++) {
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, logits.data[i * C + c]);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += p[i * C + c] = Math.exp(logits.data[i * C + c] - max);
      for (let c = 0; c < C; c++) p[i * C + c] /= sum;
    }
    return new Tensor(p, [b.B, C]);
  }
}
