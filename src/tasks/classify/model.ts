/**
 * Sequence classifier: token embedding (texts) or normalised feature
 * vectors (frames: sensors, speech features) → (bidirectional) GRU over the
 * valid steps of each sequence → the final states of both directions, or
 * attention pooling over all steps → linear → softmax. Texts may add a
 * bag-of-words path (NBSVM, Wang & Manning 2012) whose logits are added to
 * the GRU's: it reads every distinct token of the whole text, the GRU the
 * first maxLen.
 */
import { Tensor } from '../../tensor/tensor.js';
import { constant, noGrad, type Var } from '../../autograd/var.js';
import type { FeatureNormalization } from '../../data/feature-normalization.js';
import type { AudioFrontEndConfig } from '../../data/audio-folder.js';
import { crossEntropy } from '../../autograd/ops/losses.js';
import { add, swapAxes01, reshape } from '../../autograd/ops/basic.js';
import { sliceRows } from '../../autograd/ops/slice.js';
import { dropout } from '../../autograd/ops/dropout.js';
import { Rng } from '../../tensor/random.js';
import { Embedding } from '../../nn/embedding.js';
import { recurrentLayer, type CellConfig, type RecurrentLayer } from '../../nn/recurrent.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { AttentionPool } from '../../nn/attention-pool.js';
import { EOS, type TokenizerJSON } from '../../data/tokenizer.js';
import { sparseProjection } from '../../autograd/ops/sparse-projection.js';
import { csr } from '../../tensor/csr.js';
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
  /** Texts: a bag-of-words path beside the GRU ({@link BagOfWords}; default off). */
  bagOfWords?: boolean;
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
  /** (B, T) ids, 0-padded: each text's first maxLen tokens */
  ids: Int32Array;
  lengths: Int32Array;
  /** (B) class ids, or empty at prediction time */
  labels: Int32Array;
  /** Each text's ids as given (the whole text when the caller encoded all of it): what a bag-of-words path reads. */
  tokens: readonly (readonly number[])[];
}

/**
 * Groups encoded texts into a padded batch of their first maxLen tokens.
 * Give whole encodings and the model's maxLen, so a bag-of-words path reads
 * the whole text (given cut texts, it reads what was given).
 */
export function makeTextBatch(seqs: readonly (readonly number[])[], labels: number[] | null, maxLen = Infinity): TextBatch {
  const B = seqs.length;
  const lengths = Int32Array.from(seqs, (s) => Math.max(1, Math.min(maxLen, s.length)));
  const T = Math.max(...lengths);
  const ids = new Int32Array(B * T);
  seqs.forEach((s, b) => ids.set(s.slice(0, T), b * T));
  return { B, T, ids, lengths, labels: labels ? Int32Array.from(labels) : new Int32Array(0), tokens: seqs };
}

/**
 * The bag-of-words path (NBSVM, Wang & Manning 2012): logits (B, C) =
 * x · Wᵀ with x_w = r_w / √(n + 1) for each distinct known token w of the
 * text (n of them), 0 for the rest. r_w is the token's naive-Bayes
 * log-count ratio from the training texts, times {@link BAG_SCALE}; it
 * scales how fast each token's weight moves, so tokens that tell the
 * classes apart learn first. The ratio is kept in the model file as
 * `bag.ratio` (no operation reads it, so it gets no gradient and is never updated); W (`bag.weight`, (C, V)) starts at 0 and
 * gets sparse gradients (the tokens a batch holds).
 */
export class BagOfWords extends Module {
  readonly weight: Var;
  readonly ratio: Var;

  constructor(classes: number, vocabSize: number) {
    super();
    this.weight = this.param('weight', new Tensor(new Float32Array(classes * vocabSize), [classes, vocabSize]));
    this.ratio = this.param('ratio', new Tensor(new Float32Array(vocabSize), [vocabSize]));
  }

  /**
   * Sets r from the training texts: r_w = max over classes c of
   * |log(p_cw / ‖p_c‖₁) − log(q_cw / ‖q_c‖₁)|, with p_cw = 1 + the number of
   * texts of class c holding w and q_cw the same for the other classes (for
   * two classes, |r| of the paper; the sign is the weight's to learn).
   */
  fit(docs: readonly (readonly number[])[], labels: readonly number[]): void {
    const [C, V] = this.weight.shape;
    const df = new Float64Array(C * V); // (C, V) texts of class c holding w
    docs.forEach((d, i) => {
      for (const w of distinctKnown(d, V)) df[labels[i] * V + w]++;
    });
    const all = new Float64Array(V);
    for (let c = 0; c < C; c++) for (let w = 0; w < V; w++) all[w] += df[c * V + w];
    const r = this.ratio.value.data;
    r.fill(0);
    for (let c = 0; c < C; c++) {
      let pSum = 0,
        qSum = 0;
      for (let w = FIRST_TOKEN; w < V; w++) {
        pSum += 1 + df[c * V + w];
        qSum += 1 + all[w] - df[c * V + w];
      }
      for (let w = FIRST_TOKEN; w < V; w++) {
        const ratio = Math.abs(Math.log((1 + df[c * V + w]) / pSum) - Math.log((1 + all[w] - df[c * V + w]) / qSum));
        r[w] = Math.max(r[w], BAG_SCALE * ratio);
      }
    }
  }

  /** Logits (B, C) of texts given as token ids. */
  forward(tokens: readonly (readonly number[])[]): Var {
    const V = this.weight.shape[1];
    const r = this.ratio.value.data;
    const rowPtr = [0],
      cols: number[] = [],
      values: number[] = [];
    for (const d of tokens) {
      const used = distinctKnown(d, V);
      const norm = 1 / Math.sqrt(used.length + 1);
      for (const w of used) {
        cols.push(w);
        values.push(r[w] * norm);
      }
      rowPtr.push(cols.length);
    }
    return sparseProjection(csr(tokens.length, V, rowPtr, cols, values), this.weight, null, [tokens.length]);
  }
}

/** The multiplier of the log-count ratios: with Adam's step of about lr per update, it sets how fast the bag's logits move against the GRU's. */
export const BAG_SCALE = 10;

/** Ids below this are reserved (padding, unknown, begin, end): no token of the bag. */
const FIRST_TOKEN = EOS + 1;

/** The distinct ids of a text that are vocabulary tokens (not reserved, below V), sorted. */
function distinctKnown(ids: readonly number[], V: number): number[] {
  return [...new Set(ids)].filter((w) => w >= FIRST_TOKEN && w < V).sort((a, b) => a - b);
}

export class Classifier extends Module {
  /** The token embedding (texts), or null (frames). */
  readonly embed: Embedding | null;
  readonly gru: RecurrentLayer;
  readonly head: Linear;
  readonly pool: AttentionPool | null;
  /** The bag-of-words path of a text classifier with config.bagOfWords, or null. */
  readonly bag: BagOfWords | null;
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
    if (config.bagOfWords && config.frames) throw new GruError('INVALID_ARGUMENT', 'Classifier: bagOfWords reads the tokens of texts; a frames classifier has none');
    this.bag = config.bagOfWords ? this.child('bag', new BagOfWords(config.labels.length, vocabSize)) : null;
  }

  /** Class logits (B, C). */
  forward(b: ClassifyBatch): Var {
    const { hiddenSize: H, numLayers: L } = this.config;
    const D = this.config.bidirectional ? 2 : 1;
    const e = 'ids' in b ? this.embed!.forward(b.ids, [b.B, b.T]) : constant(new Tensor(b.frames, [b.B, b.T, this.config.embeddingSize]));
    const p = this.config.embeddingDropout ?? 0;
    const x = this.training && p > 0 ? dropout(e, p, this.rng) : e;
    const { output, hN } = this.gru.forward(x, { lengths: b.lengths });
    let logits: Var;
    if (this.pool) logits = this.head.forward(this.pool.forward(output, b.lengths).pooled);
    else {
      // Last layer's final states (D, B, H) → (B, D·H).
      const last = sliceRows(hN, (L - 1) * D, D, [D, b.B, H]);
      logits = this.head.forward(reshape(swapAxes01(last), [b.B, D * H]));
    }
    return this.bag && 'tokens' in b ? add(logits, this.bag.forward(b.tokens)) : logits;
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
