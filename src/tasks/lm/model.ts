/**
 * Character-level language model: embedding → GRU → linear over the
 * vocabulary at every step; trained to predict each next character
 * (sequences start with <bos> and end with <eos>).
 */
import { Tensor } from '../../tensor/tensor.js';
import { noGrad, type Var } from '../../autograd/var.js';
import { reshape } from '../../autograd/ops/basic.js';
import { sliceRows } from '../../autograd/ops/slice.js';
import { GRU } from '../../nn/gru.js';
import { crossEntropy } from '../../autograd/ops/losses.js';
import { Embedding } from '../../nn/embedding.js';
import { recurrentLayer, type CellConfig, type RecurrentLayer } from '../../nn/recurrent.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { Rng } from '../../tensor/random.js';
import { BOS, EOS } from '../../data/tokenizer.js';
import { GruError } from '../../errors.js';

export interface LMConfig {
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  dropout: number;
  maxLen: number;
  /** The recurrent cell (absent: the GRU). */
  cell?: CellConfig;
}

/** Inputs and next-character targets, padded; targets −100 where there is none. */
export interface LMBatch {
  B: number;
  T: number;
  ids: Int32Array;
  lengths: Int32Array;
  targets: Int32Array;
}

/** [<bos>, …ids] → [...ids, <eos>] as a padded batch. */
export function makeLMBatch(seqs: number[][]): LMBatch {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.length + 1));
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T).fill(-100);
  const lengths = new Int32Array(B);
  seqs.forEach((s, b) => {
    const input = [BOS, ...s];
    const target = [...s, EOS];
    ids.set(input, b * T);
    targets.set(target, b * T);
    lengths[b] = input.length;
  });
  return { B, T, ids, lengths, targets };
}

export class CharLM extends Module {
  readonly embed: Embedding;
  readonly gru: RecurrentLayer;
  readonly head: Linear;

  constructor(
    readonly config: LMConfig,
    readonly vocabSize: number,
    seed = 0,
  ) {
    super();
    this.embed = this.child('embedding', new Embedding({ numEmbeddings: vocabSize, embeddingDim: config.embeddingSize, seed }));
    this.gru = this.child('gru', recurrentLayer(config.cell, { inputSize: config.embeddingSize, hiddenSize: config.hiddenSize, numLayers: config.numLayers, dropout: config.dropout, batchFirst: true, seed: seed + 1 }));
    this.head = this.child('head', new Linear({ inFeatures: config.hiddenSize, outFeatures: vocabSize, seed: seed + 2 }));
  }

  /** Logits (B, T, V). */
  forward(b: LMBatch): Var {
    const { output } = this.gru.forward(this.embed.forward(b.ids, [b.B, b.T]), { lengths: b.lengths });
    return this.head.forward(output);
  }

  /** Mean cross-entropy in nats per predicted character. */
  loss(b: LMBatch): Var {
    return crossEntropy(this.forward(b), b.targets);
  }

  /**
   * Samples characters after `prefix` until <eos> or maxLen: softmax of
   * logits / temperature, restricted to the topK most likely when topK > 0.
   */
  sample(prefix: number[], o: { temperature?: number; topK?: number; maxLen?: number; rng: Rng }): number[] {
    return noGrad(() => this.sampleSteps(prefix, o));
  }

  private sampleSteps(prefix: number[], o: { temperature?: number; topK?: number; maxLen?: number; rng: Rng }): number[] {
    const temperature = o.temperature ?? 1;
    if (!(temperature > 0)) throw new GruError('INVALID_ARGUMENT', `temperature must be > 0, got ${temperature}`);
    const wasTraining = this.training;
    this.eval();
    const { numLayers: L, hiddenSize: H } = this.config;
    let h: Tensor = Tensor.zeros([L, 1, H]);
    const out: number[] = [];
    let next = BOS;
    const feed = [...prefix];
    const limit = o.maxLen ?? this.config.maxLen;
    // The GRU carries its state from step to step; an attention cell attends to every earlier state, so it
    // reruns the text so far (the memory is the states themselves): O(n²) in the text's length, bounded by maxLen.
    const attends = !(this.gru instanceof GRU);
    const text = [BOS];
    while (out.length < limit) {
      let output: Var;
      if (attends) {
        const all = this.gru.forward(this.embed.forward(text, [1, text.length])).output;
        output = sliceRows(reshape(all, [text.length, this.config.hiddenSize]), text.length - 1, 1, [1, 1, this.config.hiddenSize]);
      } else {
        const r = this.gru.forward(this.embed.forward([next], [1, 1]), { h0: h });
        output = r.output;
        h = r.hN.value;
      }
      if (feed.length > 0) {
        next = feed.shift()!;
        out.push(next);
        text.push(next);
        continue;
      }
      const logits = this.head.forward(output).data;
      next = pick(logits, temperature, o.topK ?? 0, o.rng);
      if (next === EOS) break;
      out.push(next);
      text.push(next);
    }
    this.train(wasTraining);
    return out;
  }
}

function pick(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng): number {
  let idx = Array.from({ length: logits.length }, (_, i) => i).filter((i) => i !== 0 && i !== BOS);
  if (topK > 0) idx = idx.sort((a, b) => logits[b] - logits[a]).slice(0, topK);
  const max = Math.max(...idx.map((i) => logits[i]));
  const w = idx.map((i) => Math.exp((logits[i] - max) / temperature));
  let r = rng.uniform() * w.reduce((a, b) => a + b, 0);
  for (let j = 0; j < idx.length; j++) if ((r -= w[j]) <= 0) return idx[j];
  return idx[idx.length - 1];
}
