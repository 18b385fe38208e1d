/**
 * GRU4Rec (Hidasi et al. 2016; Hidasi & Karatzoglou 2018), built from the
 * papers: a session's clicks, one item at a time, through an item embedding
 * (or, with embeddingSize 0, one-hot straight into the GRU's input
 * projection, the sparse path) and a GRU; the state after each click scores
 * every item, s = h Wᵀ + b, by one matrix product.
 *
 * Training reads session-parallel mini-batches: B slots each read a
 * session click by click; when a slot's session ends, the next session
 * starts in that slot and the slot's state is reset to zero there. A block
 * of steps is one batch; every slot starts and ends a block on a session
 * boundary, so no state crosses blocks and blocks may be shuffled. At each
 * step the B targets are the negatives of each other (mini-batch sampling),
 * plus nSample extra items drawn by popularity^sampleAlpha per block.
 *
 * Dimensions: V items, E embedding, H hidden, L layers, B slots, T steps.
 */
import { Tensor, type DType } from '../../tensor/tensor.js';
import { tokenSequence } from '../../tensor/sparse-sequence.js';
import { Rng } from '../../tensor/random.js';
import { constant, noGrad, Var } from '../../autograd/var.js';
import { mul, reshape } from '../../autograd/ops/basic.js';
import { concat0 } from '../../autograd/ops/slice.js';
import { linear } from '../../autograd/ops/linear.js';
import { Embedding } from '../../nn/embedding.js';
import { GRU } from '../../nn/gru.js';
import { recurrentLayer, type CellConfig, type RecurrentLayer } from '../../nn/recurrent.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { GruError } from '../../errors.js';
import type { Sessions } from './clicks.js';
import { sampledItemLoss, type ItemLossKind, type ScoredStep } from './loss.js';

export interface RecommenderConfig {
  /** V: items the model scores. */
  items: number;
  /** E: item embedding width; 0 feeds items one-hot into the GRU. */
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout between GRU layers. */
  dropout: number;
  loss: ItemLossKind;
  /** Extra negatives per block, drawn by popularity^sampleAlpha; 0: the mini-batch's targets only. When the candidates would reach V, every item is scored. */
  nSample: number;
  sampleAlpha: number;
  /** Weight of the logQ correction of cross-entropy (0: none). */
  logQ: number;
  /** BPR-max's score regularisation. */
  bpreg: number;
  /** The recurrent cell (absent: the GRU). An attention cell trains on blocks of one whole session per slot. */
  cell?: CellConfig;
}

/**
 * A session-parallel block: B slots over T steps, rows time-major (t·B + b).
 * `inputs` is −1 where a slot has no click (after its last session);
 * `targets` −1 where there is nothing to predict (a session's last click, padding);
 * `starts` 1 where a slot's session begins (its state resets there).
 */
export interface SessionBlock {
  B: number;
  T: number;
  inputs: Int32Array;
  targets: Int32Array;
  starts: Uint8Array;
  /** Seeds this block's extra negatives. */
  seed: number;
}

/**
 * Lays sessions (in `order`) into blocks of B slots and B·perSlot sessions:
 * each next session goes into the slot whose sessions end first (the
 * session-parallel order). The number of blocks, ⌈sessions / (B·perSlot)⌉,
 * does not depend on the order, so every epoch has as many.
 */
export function sessionBlocks(s: Sessions, order: ArrayLike<number>, B: number, perSlot: number, seed = 0): SessionBlock[] {
  const blocks: SessionBlock[] = [];
  const len = (k: number) => s.offsets[k + 1] - s.offsets[k];
  let slots: number[][] = [];
  let lengths: number[] = [];
  const open = () => {
    slots = Array.from({ length: B }, () => []);
    lengths = new Array<number>(B).fill(0);
  };
  const close = () => {
    const T = Math.max(...lengths);
    const inputs = new Int32Array(T * B).fill(-1),
      targets = new Int32Array(T * B).fill(-1),
      starts = new Uint8Array(T * B);
    slots.forEach((ks, b) => {
      let t = 0;
      for (const k of ks) {
        const a = s.offsets[k],
          e = s.offsets[k + 1];
        for (let j = a; j < e; j++, t++) {
          inputs[t * B + b] = s.items[j];
          if (j + 1 < e) targets[t * B + b] = s.items[j + 1];
          if (j === a) starts[t * B + b] = 1;
        }
      }
    });
    blocks.push({ B, T, inputs, targets, starts, seed: seed * 1_000_003 + blocks.length });
  };
  open();
  for (let i = 0; i < order.length; i++) {
    let b = 0;
    for (let c = 1; c < B; c++) if (lengths[c] < lengths[b]) b = c;
    slots[b].push(order[i]);
    lengths[b] += len(order[i]);
    if ((i + 1) % (B * perSlot) === 0) {
      close();
      open();
    }
  }
  if (lengths.some((n) => n > 0)) close();
  return blocks;
}

export class SessionRecommender extends Module {
  readonly embed: Embedding | null;
  readonly gru: RecurrentLayer;
  /** Output weights (V, H) and bias (V): s = h Wᵀ + b. */
  readonly output: Linear;

  /** `dtype` float64 is for gradient checks. */
  constructor(
    readonly config: RecommenderConfig,
    seed = 0,
    dtype: DType = 'float32',
  ) {
    super();
    const { items: V, embeddingSize: E, hiddenSize: H } = config;
    if (E === 0 && config.cell && config.cell.kind !== 'gru') throw new GruError('INVALID_ARGUMENT', `embeddingSize 0 (one-hot items, the sparse path) runs the GRU cell only; give an embedding size for --cell ${config.cell.kind}`);
    this.embed = E > 0 ? this.child('item_embedding', new Embedding({ numEmbeddings: V, embeddingDim: E, sparse: true, seed, dtype })) : null;
    this.gru = this.child('gru', recurrentLayer(config.cell, { inputSize: E > 0 ? E : V, hiddenSize: H, numLayers: config.numLayers, dropout: config.dropout, seed: seed + 1, dtype }));
    this.output = this.child('output', new Linear({ inFeatures: H, outFeatures: V, seed: seed + 2, dtype }));
    this.output.bias!.data.fill(0);
  }

  /** One step's input for B slots: (1, B, E) embeddings, or one-hot ids for the sparse path. */
  private stepInput(ids: Int32Array) {
    const B = ids.length;
    return this.embed ? this.embed.forward(ids, [1, B]) : tokenSequence(ids, 1, B, this.config.items);
  }

  /**
   * The GRU's last-layer state after every click of a block, (T·B, H), rows
   * t·B + b; each slot's state is zero where its session starts.
   */
  forwardBlock(block: SessionBlock): Var {
    const { B, T } = block;
    const { numLayers: L, hiddenSize: H } = this.config;
    if (!(this.gru instanceof GRU)) return this.forwardWholeSessions(block);
    const outputs: Var[] = [];
    let h: Var | null = null;
    for (let t = 0; t < T; t++) {
      const ids = block.inputs.subarray(t * B, (t + 1) * B).map((i) => Math.max(i, 0));
      if (h !== null) {
        const starts = block.starts.subarray(t * B, (t + 1) * B);
        if (starts.some((x) => x === 1)) {
          const keep = Tensor.zeros([L, B, H], this.output.weight.value.dtype);
          for (let l = 0; l < L; l++) for (let b = 0; b < B; b++) if (!starts[b]) keep.data.fill(1, (l * B + b) * H, (l * B + b + 1) * H);
          h = mul(h, constant(keep));
        }
      }
      const { output, hN } = this.gru.forward(this.stepInput(ids), h ? { h0: h } : {});
      outputs.push(output);
      h = hN;
    }
    return reshape(concat0(outputs), [T * B, H]);
  }

  /**
   * An attention cell's states: it attends to the session's earlier states,
   * which click-by-click steps would not keep, so it reads a block of one
   * session per slot (perSlot 1) whole, with packed lengths.
   */
  private forwardWholeSessions(block: SessionBlock): Var {
    const { B, T } = block;
    const lengths = new Int32Array(B).fill(1);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        if (block.inputs[t * B + b] >= 0) lengths[b] = t + 1;
        if (t > 0 && block.starts[t * B + b]) throw new GruError('INVALID_ARGUMENT', `an attention cell reads one whole session per slot; slot ${b} starts a second session at step ${t} (make blocks with perSlot 1)`);
      }
    }
    const ids = block.inputs.map((i) => Math.max(i, 0));
    const x = this.embed ? this.embed.forward(ids, [T, B]) : tokenSequence(ids, T, B, this.config.items);
    return reshape(this.gru.forward(x, { lengths }).output, [T * B, this.config.hiddenSize]);
  }

  /** Training loss of a block: its scored steps against sampled candidates. */
  blockLoss(block: SessionBlock, sampler: CandidateSampler): Var {
    const y = this.forwardBlock(block);
    const steps = sampler.steps(block, this.config);
    return sampledItemLoss(y, this.output.weight, this.output.bias!, steps, {
      kind: this.config.loss,
      bpreg: this.config.bpreg,
      logQ: this.config.logQ,
      sparse: !sampler.scoresAll(this.config),
    });
  }

  /**
   * States after each click of each session, run independently (the
   * GRU's packed lengths): rows of session k at offsets[k] … offsets[k+1]−1,
   * in the order of `sessions`. (N, H), no tape.
   */
  sessionStates(sessions: readonly ArrayLike<number>[], batch = 64): Float32Array | Float64Array {
    return noGrad(() => {
      const wasTraining = this.training;
      this.eval();
      const H = this.config.hiddenSize;
      const N = sessions.reduce((n, s) => n + s.length, 0);
      const out = this.output.weight.value.dtype === 'float64' ? new Float64Array(N * H) : new Float32Array(N * H);
      let row = 0;
      for (let i = 0; i < sessions.length; i += batch) {
        const part = sessions.slice(i, i + batch);
        const B = part.length,
          T = Math.max(...part.map((s) => s.length));
        const ids = new Int32Array(T * B); // time-major
        part.forEach((s, b) => {
          for (let t = 0; t < s.length; t++) ids[t * B + b] = s[t];
        });
        const x = this.embed ? this.embed.forward(ids, [T, B]) : tokenSequence(ids, T, B, this.config.items);
        const { output } = this.gru.forward(x, { lengths: part.map((s) => s.length) }); // (T, B, H)
        part.forEach((s, b) => {
          for (let t = 0; t < s.length; t++) out.set(output.data.subarray((t * B + b) * H, (t * B + b + 1) * H), (row + t) * H);
          row += s.length;
        });
      }
      this.train(wasTraining);
      return out;
    });
  }

  /** Scores of every item, (n, V), for n states (n, H). */
  scores(states: Float32Array | Float64Array, n: number): Float32Array | Float64Array {
    return noGrad(() => linear(constant(new Tensor(states, [n, this.config.hiddenSize])), this.output.weight, this.output.bias).data);
  }
}

/**
 * Draws each block's candidates: per step, the distinct targets of its B
 * slots plus `nSample` extra items (drawn once per block, with
 * replacement, by popularity^sampleAlpha; seeded by the block). For
 * cross-entropy with logQ, each candidate's c_j = log P(j is a candidate)
 * = log(1 − (1 − p_j)^n (1 − q_j)^S), p the popularity distribution (how
 * the n targets of a step arrive), q the sampling one.
 */
export class CandidateSampler {
  private readonly cdf: Float64Array;
  /** log(1 − p_j), log(1 − q_j). */
  private readonly log1mP: Float64Array;
  private readonly log1mQ: Float64Array;

  constructor(
    popularity: Float64Array,
    readonly alpha: number,
  ) {
    const V = popularity.length;
    let sp = 0,
      sq = 0;
    for (const c of popularity) {
      sp += c;
      sq += c ** alpha;
    }
    this.cdf = new Float64Array(V);
    this.log1mP = new Float64Array(V);
    this.log1mQ = new Float64Array(V);
    let acc = 0;
    for (let j = 0; j < V; j++) {
      const q = popularity[j] ** alpha / sq;
      acc += q;
      this.cdf[j] = acc;
      this.log1mP[j] = Math.log1p(-Math.min(popularity[j] / sp, 1 - 1e-12));
      this.log1mQ[j] = Math.log1p(-Math.min(q, 1 - 1e-12));
    }
  }

  /** True when the candidates are all items (nSample plus a batch reach V): full softmax, no correction. */
  scoresAll(c: RecommenderConfig): boolean {
    return c.nSample >= c.items;
  }

  /** `count` items drawn by popularity^alpha. */
  draw(count: number, rng: Rng): Int32Array {
    const out = new Int32Array(count);
    const V = this.cdf.length,
      total = this.cdf[V - 1];
    for (let i = 0; i < count; i++) {
      const u = rng.uniform() * total;
      let lo = 0,
        hi = V - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.cdf[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    return out;
  }

  /** The scored steps of a block (rows t·B + b with a target; for BPR-max, steps with at least one negative). */
  steps(block: SessionBlock, c: RecommenderConfig): ScoredStep[] {
    const { B, T } = block;
    const all = this.scoresAll(c);
    const extras = all ? Int32Array.from({ length: c.items }, (_, j) => j) : distinct(this.draw(c.nSample, new Rng(block.seed)));
    const S = all ? 0 : c.nSample;
    const correct = !all && c.loss === 'cross-entropy' && c.logQ !== 0;
    const out: ScoredStep[] = [];
    for (let t = 0; t < T; t++) {
      const rows: number[] = [];
      const targetItems: number[] = [];
      for (let b = 0; b < B; b++) {
        const y = block.targets[t * B + b];
        if (y >= 0) {
          rows.push(t * B + b);
          targetItems.push(y);
        }
      }
      if (rows.length === 0) continue;
      const col = new Map<number, number>();
      const cands: number[] = [];
      for (const j of extras) {
        col.set(j, cands.length);
        cands.push(j);
      }
      for (const j of targetItems) {
        if (!col.has(j)) {
          col.set(j, cands.length);
          cands.push(j);
        }
      }
      // BPR-max needs a negative: a lone target with no extras teaches nothing.
      if (c.loss === 'bpr-max' && cands.length < 2) continue;
      const n = rows.length;
      out.push({
        rows: Int32Array.from(rows),
        targets: Int32Array.from(targetItems, (j) => col.get(j)!),
        candidates: Int32Array.from(cands),
        correction: correct ? Float64Array.from(cands, (j) => Math.log(-Math.expm1(n * this.log1mP[j] + S * this.log1mQ[j]))) : null,
      });
    }
    return out;
  }
}

function distinct(a: Int32Array): Int32Array {
  return Int32Array.from(new Set(a));
}
