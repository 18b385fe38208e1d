/**
 * Sequence to sequence with attention: a bidirectional GRU encoder, a GRU
 * decoder that attends to the encoder's states at every step (Bahdanau
 * additive, the context feeding the decoder's input; or Luong general, the
 * context read after the step), teacher forcing in training, greedy and beam
 * search in prediction.
 */
import { Tensor } from '../../tensor/tensor.js';
import { Var, constant, noGrad } from '../../autograd/var.js';
import { reshape, swapAxes01 } from '../../autograd/ops/basic.js';
import { tanh } from '../../autograd/ops/activations.js';
import { crossEntropy } from '../../autograd/ops/losses.js';
import { gruLayer } from '../../autograd/ops/gru.js';
import { concatLast } from '../../autograd/ops/concat-last.js';
import { concat0, sliceRows } from '../../autograd/ops/slice.js';
import { dropout } from '../../autograd/ops/dropout.js';
import { encoderAttention } from '../../autograd/ops/encoder-attention.js';
import { attentionDecoder } from '../../autograd/ops/attention-decoder.js';
import { uniformInit } from '../../tensor/init.js';
import { Rng } from '../../tensor/random.js';
import { Embedding } from '../../nn/embedding.js';
import { GRU } from '../../nn/gru.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { BOS, EOS } from '../../data/tokenizer.js';
import { GruError } from '../../errors.js';

export interface Seq2SeqConfig {
  attention: 'bahdanau' | 'luong';
  embeddingSize: number;
  encoderSize: number;
  /** Stacked bidirectional encoder layers (default 1); dropout applies between them too. */
  encoderLayers?: number;
  decoderSize: number;
  attentionSize: number;
  maxTargetLen: number;
  /** Dropout on the source embeddings, between encoder layers and on the readout vector in training (default 0). */
  dropout?: number;
  /**
   * The decoder emits the target right to left (trained on reversed targets;
   * translations are turned back). In an ensemble with left-to-right models,
   * both directions search and every model scores the hypotheses ({@link translateWith}).
   */
  rightToLeft?: boolean;
}

/** Source ids (B, S) with lengths; target ids (B, T) including the final <eos>, −100 padded. */
export interface PairBatch {
  B: number;
  S: number;
  src: Int32Array;
  srcLengths: Int32Array;
  T: number;
  /** Decoder inputs: <bos> then the target shifted (B, T). */
  tgtIn: Int32Array;
  /** Targets (B, T), −100 where padded. */
  tgtOut: Int32Array;
}

export function makePairBatch(src: number[][], tgt: number[][]): PairBatch {
  const B = src.length;
  const S = Math.max(...src.map((s) => s.length));
  const T = Math.max(...tgt.map((t) => t.length + 1));
  const srcIds = new Int32Array(B * S),
    srcLengths = Int32Array.from(src, (s) => s.length);
  const tgtIn = new Int32Array(B * T),
    tgtOut = new Int32Array(B * T).fill(-100);
  src.forEach((s, b) => srcIds.set(s, b * S));
  tgt.forEach((t, b) => {
    tgtIn.set([BOS, ...t], b * T);
    tgtOut.set([...t, EOS], b * T);
  });
  return { B, S, src: srcIds, srcLengths, T, tgtIn, tgtOut };
}

interface Encoded {
  B: number;
  S: number;
  values: Var; // (B, S, 2E)
  keys: Var; // (B, S, A)  (Luong: (B, S, decoderSize))
  lengths: Int32Array;
  state: Var; // (1, B, decoderSize)
}

export class Seq2Seq extends Module {
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoder: GRU;
  readonly bridge: Linear;
  readonly keyProj: Linear;
  readonly queryProj: Linear | null;
  readonly v: Var | null;
  readonly decoder: GRU;
  readonly combine: Linear;
  readonly out: Linear;
  private rng: Rng;
  /** Bahdanau: the teacher-forced loss runs its decoder as one tape node (attentionDecoder); false runs the step-by-step loop it is tested against. */
  fusedDecoder = true;

  constructor(
    readonly config: Seq2SeqConfig,
    readonly srcVocab: number,
    readonly tgtVocab: number,
    seed = 0,
  ) {
    super();
    const p = config.dropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new GruError('INVALID_ARGUMENT', `Seq2Seq: dropout must be in [0, 1), got ${p}`);
    this.rng = new Rng(seed + 10);
    const { embeddingSize: E, encoderSize: He, decoderSize: Hd, attentionSize: A } = config;
    const bahdanau = config.attention === 'bahdanau';
    const L = config.encoderLayers ?? 1;
    if (!(Number.isInteger(L) && L >= 1)) throw new GruError('INVALID_ARGUMENT', `Seq2Seq: encoderLayers must be a positive integer, got ${L}`);
    this.srcEmbed = this.child('src_embedding', new Embedding({ numEmbeddings: srcVocab, embeddingDim: E, seed }));
    this.tgtEmbed = this.child('tgt_embedding', new Embedding({ numEmbeddings: tgtVocab, embeddingDim: E, seed: seed + 1 }));
    this.encoder = this.child('encoder', new GRU({ inputSize: E, hiddenSize: He, numLayers: L, dropout: p, bidirectional: true, batchFirst: true, seed: seed + 2 }));
    this.bridge = this.child('bridge', new Linear({ inFeatures: 2 * He, outFeatures: Hd, seed: seed + 3 }));
    this.keyProj = this.child('key', new Linear({ inFeatures: 2 * He, outFeatures: bahdanau ? A : Hd, bias: false, seed: seed + 4 }));
    this.queryProj = bahdanau ? this.child('query', new Linear({ inFeatures: Hd, outFeatures: A, bias: false, seed: seed + 5 })) : null;
    this.v = bahdanau ? this.param('attn_v', uniformInit([A], 1 / Math.sqrt(A), new Rng(seed + 6))) : null;
    this.decoder = this.child('decoder', new GRU({ inputSize: bahdanau ? E + 2 * He : E, hiddenSize: Hd, seed: seed + 7 }));
    this.combine = this.child('combine', new Linear({ inFeatures: Hd + 2 * He, outFeatures: Hd, seed: seed + 8 }));
    this.out = this.child('out', new Linear({ inFeatures: Hd, outFeatures: tgtVocab, seed: seed + 9 }));
  }

  override reseed(seed: number): void {
    super.reseed(seed);
    this.rng = new Rng(seed + 10);
  }

  private drop(x: Var): Var {
    const p = this.config.dropout ?? 0;
    return this.training && p > 0 ? dropout(x, p, this.rng) : x;
  }

  encode(b: { B: number; S: number; src: Int32Array; srcLengths: Int32Array }): Encoded {
    const x = this.drop(this.srcEmbed.forward(b.src, [b.B, b.S]));
    const { output, hN } = this.encoder.forward(x, { lengths: b.srcLengths });
    // Both directions' final states of the last layer → the decoder's first state.
    const He = this.config.encoderSize;
    const last = hN.shape[0] === 2 ? hN : sliceRows(hN, hN.shape[0] - 2, 2, [2, b.B, He]);
    const both = reshape(swapAxes01(last), [b.B, 2 * He]);
    const state = reshape(tanh(this.bridge.forward(both)), [1, b.B, this.config.decoderSize]);
    return { B: b.B, S: b.S, values: output, keys: this.keyProj.forward(output), lengths: b.srcLengths, state };
  }

  /**
   * The recurrent half of a decoder step: previous tokens (B) and state
   * (1, B, Hd) → new state, the attention context (B, 2He) and weights (B, S).
   */
  private recur(enc: Encoded, prev: Int32Array, state: Var): { state: Var; context: Var; weights: Tensor } {
    const B = prev.length;
    const { decoderSize: Hd, embeddingSize: E, encoderSize: He } = this.config;
    const emb = this.tgtEmbed.forward(prev, [B]);
    const d = this.decoder.layers[0];
    if (this.queryProj) {
      const q = this.queryProj.forward(reshape(state, [B, Hd]));
      const { context, weights } = encoderAttention('additive', q, enc.keys, enc.values, this.v, enc.lengths);
      const input = reshape(concatLast([emb, context]), [1, B, E + 2 * He]);
      return { state: gruLayer(input, state, d, { resetAfter: true, lengths: null }).hN, context, weights };
    }
    const next = gruLayer(reshape(emb, [1, B, E]), state, d, { resetAfter: true, lengths: null }).hN;
    const { context, weights } = encoderAttention('dot', reshape(next, [B, Hd]), enc.keys, enc.values, null, enc.lengths);
    return { state: next, context, weights };
  }

  /** The readout half, for any number of rows: states (N, Hd) and contexts (N, 2He) → logits (N, V). */
  private readout(states: Var, contexts: Var): Var {
    return this.out.forward(this.drop(tanh(this.combine.forward(concatLast([states, contexts])))));
  }

  /** One decoder step: previous tokens (B) and state (1, B, Hd) → logits (B, V), new state, attention weights (B, S). */
  step(enc: Encoded, prev: Int32Array, state: Var): { logits: Var; state: Var; weights: Tensor } {
    const r = this.recur(enc, prev, state);
    return { logits: this.readout(reshape(r.state, [prev.length, this.config.decoderSize]), r.context), state: r.state, weights: r.weights };
  }

  /** Teacher-forced mean cross-entropy per target token. */
  loss(b: PairBatch): Var {
    const { logits, targets } = this.teacherForced(b);
    return crossEntropy(logits, targets);
  }

  /** Each row's teacher-forced log-probability of its target and <eos> (summed over its steps), without a tape. */
  targetLogProbs(b: PairBatch): Float64Array {
    const { logits, targets } = noGrad(() => this.teacherForced(b));
    const V = this.tgtVocab;
    const sums = new Float64Array(b.B);
    for (let r = 0; r < targets.length; r++) {
      if (targets[r] < 0) continue;
      const row = logits.data.subarray(r * V, (r + 1) * V);
      sums[r % b.B] += row[targets[r]] - logSumExp(row);
    }
    return sums;
  }

  /**
   * The logits of every step (T·B rows, step-major) with their targets. The
   * readout does not feed back, so it runs once over all steps' states.
   */
  private teacherForced(b: PairBatch): { logits: Var; targets: Int32Array } {
    const enc = this.encode(b);
    const targets = new Int32Array(b.B * b.T);
    for (let t = 0; t < b.T; t++) for (let i = 0; i < b.B; i++) targets[t * b.B + i] = b.tgtOut[i * b.T + t];
    if (this.queryProj && this.fusedDecoder) {
      // Bahdanau: all steps in one tape node (the same numbers as the loop below, tested).
      const ids = new Int32Array(b.B * b.T);
      for (let t = 0; t < b.T; t++) for (let i = 0; i < b.B; i++) ids[t * b.B + i] = b.tgtIn[i * b.T + t];
      const { states, contexts } = attentionDecoder(
        { embedded: this.tgtEmbed.forward(ids, [b.B * b.T]), s0: enc.state, keys: enc.keys, values: enc.values, lengths: enc.lengths, wQ: this.queryProj.weight, v: this.v!, gru: this.decoder.layers[0][0] },
        b.T,
      );
      return { logits: this.readout(states, contexts), targets };
    }
    let state = enc.state;
    const states: Var[] = [],
      contexts: Var[] = [];
    for (let t = 0; t < b.T; t++) {
      const prev = Int32Array.from({ length: b.B }, (_, i) => b.tgtIn[i * b.T + t]);
      const r = this.recur(enc, prev, state);
      state = r.state;
      states.push(reshape(r.state, [b.B, this.config.decoderSize]));
      contexts.push(r.context);
    }
    return { logits: this.readout(concat0(states), concat0(contexts)), targets };
  }

  /**
   * Beam search (greedy when beam = 1) for one source sequence. Hypotheses
   * are ranked by total log-probability, divided by length^lengthPenalty
   * once finished. Returns the best sequence and its attention (steps × S).
   */
  translate(src: number[], o: SearchOptions = {}): { ids: number[]; attention: number[][]; score: number } {
    return translateWith([this], src, o);
  }
}

export interface SearchOptions {
  beam?: number;
  lengthPenalty?: number;
  maxLen?: number;
}

/**
 * Beam search over an ensemble: every step's log-probabilities are the mean
 * of the models' (each model with its own encoding and decoder states); the
 * attention returned is the first model's. The models must share the target
 * vocabulary (models trained on the same pairs do). One model: its own search.
 *
 * Models of both directions ({@link Seq2SeqConfig.rightToLeft}): each
 * direction searches with its models, and every hypothesis either found is
 * scored by all the models (teacher-forced, each in its own direction): the
 * best mean log-probability, divided by length^lengthPenalty, wins. The
 * attention is then that of the first model of the direction that found it.
 */
export function translateWith(models: readonly Seq2Seq[], src: number[], o: SearchOptions = {}): { ids: number[]; attention: number[][]; score: number } {
  const V = models[0].tgtVocab;
  const other = models.find((m) => m.tgtVocab !== V || m.srcVocab !== models[0].srcVocab);
  if (other) throw new GruError('INVALID_ARGUMENT', `an ensemble's models must share their vocabularies: got ${models[0].srcVocab}→${V} and ${other.srcVocab}→${other.tgtVocab} symbols`);
  const ltr = models.filter((m) => !m.config.rightToLeft);
  const rtl = models.filter((m) => m.config.rightToLeft);
  const wasTraining = models.map((m) => m.training);
  for (const m of models) m.eval();
  try {
    const { ids, attention, score } = noGrad(() => {
      if (rtl.length === 0 || ltr.length === 0) return search(models, src, o)[0];
      const [first, second] = models[0].config.rightToLeft ? [rtl, ltr] : [ltr, rtl];
      const candidates = new Map<string, Found>();
      for (const h of [...search(first, src, o), ...search(second, src, o)]) if (!candidates.has(h.ids.join())) candidates.set(h.ids.join(), h);
      return rescore([...candidates.values()], models, src, o.lengthPenalty ?? 1);
    });
    return { ids, attention, score };
  } finally {
    models.forEach((m, i) => m.train(wasTraining[i]));
  }
}

/** The best of `candidates` (left to right) by the models' mean teacher-forced log-probability (each model reading its own direction) over length^lengthPenalty. */
function rescore(candidates: Found[], models: readonly Seq2Seq[], src: number[], lengthPenalty: number): Found {
  const batch = (rightToLeft: boolean) =>
    makePairBatch(
      candidates.map(() => src),
      candidates.map((h) => (rightToLeft ? [...h.ids].reverse() : h.ids)),
    );
  const forward = batch(false),
    backward = batch(true);
  const sums = new Float64Array(candidates.length);
  for (const m of models) m.targetLogProbs(m.config.rightToLeft ? backward : forward).forEach((lp, i) => (sums[i] += lp));
  const scored = candidates.map((h, i) => ({ ...h, logp: sums[i] / models.length, score: sums[i] / models.length / Math.pow(h.ids.length + 1, lengthPenalty) }));
  return scored.reduce((a, h) => (h.score > a.score ? h : a));
}

/** A hypothesis the search finished: its tokens (left to right), mean log-probability, score and the first model's attention (a row per step). */
type Found = { ids: number[]; logp: number; score: number; attention: number[][] };

/** Beam search over `models` (one direction): every finished hypothesis, best first, read left to right. */
function search(models: readonly Seq2Seq[], src: number[], o: SearchOptions): Found[] {
  const k = o.beam ?? 1;
  const alpha = o.lengthPenalty ?? 1;
  const maxLen = o.maxLen ?? Math.min(...models.map((m) => m.config.maxTargetLen));
  const V = models[0].tgtVocab;
  const encoded = models.map((m) => m.encode({ B: 1, S: src.length, src: Int32Array.from(src), srcLengths: Int32Array.from([src.length]) }));
  const encK = (e: Encoded, n: number): Encoded => ({
    B: n,
    S: e.S,
    lengths: new Int32Array(n).fill(src.length),
    values: constant(tile(e.values.value, n)),
    keys: constant(tile(e.keys.value, n)),
    state: e.state,
  });
  /** A hypothesis: its tokens, log-probability, and each model's decoder state. */
  type Hyp = { ids: number[]; logp: number; states: Tensor[]; attention: number[][] };
  let beams: Hyp[] = [{ ids: [], logp: 0, states: encoded.map((e) => e.state.value), attention: [] }];
  const done: (Hyp & { score: number })[] = [];
  for (let t = 0; t < maxLen && beams.length > 0; t++) {
    const n = beams.length;
    const prev = Int32Array.from(beams, (h) => (h.ids.length ? h.ids[h.ids.length - 1] : BOS));
    const steps = models.map((m, j) => {
      const H = m.config.decoderSize;
      const state = constant(new Tensor(Float32Array.from(beams.flatMap((h) => Array.from(h.states[j].data))), [1, n, H]));
      return m.step(encK(encoded[j], n), prev, state);
    });
    // Each row's log-probabilities, averaged over the models.
    const logp = new Float64Array(n * V);
    for (const r of steps) {
      for (let i = 0; i < n; i++) {
        const row = r.logits.data.subarray(i * V, (i + 1) * V);
        const lse = logSumExp(row);
        for (let c = 0; c < V; c++) logp[i * V + c] += (row[c] - lse) / models.length;
      }
    }
    const cands: { from: number; tok: number; logp: number }[] = [];
    for (let i = 0; i < n; i++) for (let c = EOS; c < V; c++) cands.push({ from: i, tok: c, logp: beams[i].logp + logp[i * V + c] });
    cands.sort((a, b) => b.logp - a.logp);
    const S = encoded[0].S;
    const next: Hyp[] = [];
    for (const c of cands) {
      if (next.length >= k) break;
      const h = beams[c.from];
      const att = [...h.attention, Array.from(steps[0].weights.data.subarray(c.from * S, (c.from + 1) * S))];
      if (c.tok === EOS) {
        done.push({ ids: h.ids, logp: c.logp, states: h.states, attention: att, score: c.logp / Math.pow(h.ids.length + 1, alpha) });
      } else {
        const states = steps.map((r, j) => {
          const H = models[j].config.decoderSize;
          return new Tensor(r.state.data.slice(c.from * H, (c.from + 1) * H), [H]);
        });
        next.push({ ids: [...h.ids, c.tok], logp: c.logp, states, attention: att });
      }
    }
    beams = next;
    if (done.length >= k && beams.every((h) => h.logp < Math.max(...done.map((d) => d.logp)))) break;
  }
  for (const h of beams) done.push({ ...h, score: h.logp / Math.pow(h.ids.length + 1, alpha) });
  done.sort((a, b) => b.score - a.score);
  const found = done.map((h) => ({ ids: h.ids, logp: h.logp, score: h.score, attention: h.attention }));
  return models[0].config.rightToLeft ? found.map(turned) : found;
}

/** A hypothesis emitted right to left, turned to read left to right, with the attention rows of its tokens (the last row, if any more, is <eos>'s). */
function turned(h: Found): Found {
  const rows = h.attention.slice(0, h.ids.length).reverse();
  return { ...h, ids: [...h.ids].reverse(), attention: [...rows, ...h.attention.slice(h.ids.length)] };
}

/** log Σ exp(row), computed stably. */
function logSumExp(row: Float32Array | Float64Array): number {
  let max = -Infinity;
  for (let c = 0; c < row.length; c++) max = Math.max(max, row[c]);
  let sum = 0;
  for (let c = 0; c < row.length; c++) sum += Math.exp(row[c] - max);
  return max + Math.log(sum);
}

/** n copies of a (1, …) tensor along the first axis. */
function tile(t: Tensor, n: number): Tensor {
  const out = new Float32Array(t.size * n);
  for (let i = 0; i < n; i++) out.set(t.data, i * t.size);
  return new Tensor(out, [n, ...t.shape.slice(1)]);
}
