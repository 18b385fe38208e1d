/**
 * The seq2seq model of bench/seq2seq-train.ts (issue #18) written in
 * TensorFlow.js ops, trained with optimizer.minimize (tf.variableGrads
 * underneath) and tf.train.adam, on the tfjs `wasm` or `cpu` backend.
 *
 * The same computation as gru-ts's Seq2Seq with Bahdanau attention: a
 * bidirectional GRU encoder of `encoderLayers` layers over the source embeddings
 * (PyTorch gates r, z, n, reset applied after the recurrent matmul; source
 * lengths respected as in a packed sequence: the forward direction's final
 * state is the one at length − 1, the backward direction starts at length − 1;
 * outputs past the length are zero), dropout on the source embeddings and
 * between encoder layers; bridge tanh(Linear([h_fwd, h_bwd])) as the decoder's
 * first state; keys = Linear(outputs, no bias); per target step the query
 * Linear(previous state, no bias), scores vᵀ tanh(k + q) with the padded
 * source positions masked, softmax, context = Σ weights · outputs; the decoder
 * GRU cell reads [target embedding, context]; readout
 * out(dropout(tanh(combine([state, context])))) over all steps at once;
 * mean cross-entropy over the targets that are not −100. Teacher forcing.
 *
 * The variables are derived from the sizes (tfjsVariableSpecs): matrices
 * stored (in, out) as tfjs layers store them, the GRU's split by gate; their
 * total size is the trainable parameter count. A gru-ts model's initial
 * weights can be copied in (split and transposed), so the two losses can be
 * compared. Embedding lookups are one-hot products (see `embed`). The
 * recurrences keep a tensor per time step.
 *
 * Where the wasm time goes: tfjs's gradients of a product take transposed
 * operands (dy·Wᵀ, xᵀ·dy), which tfjs-backend-wasm 4.22 computes outside
 * XNNPACK (64×768 · (256×768)ᵀ: 18 ms, 64×256ᵀ · 64×768: 34 ms, against 3 ms
 * for the untransposed 64×256 · 256×768 on the 2-core test machine), so the
 * backward pass is most of a step. Slicing one time step out of a (S, B, ·)
 * tensor copies the whole tensor out of the wasm heap, hence the per-step
 * tensors.
 *
 * Under Node the wasm backend loads its binaries from its own package folder
 * (node_modules/@tensorflow/tfjs-backend-wasm/dist), nothing is fetched; tfjs
 * 4.22 reports no thread support under Node, so it loads the single-threaded
 * SIMD binary whatever setThreadsCount asked (`threadsUsed` says what it got).
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { PairBatch } from '../../src/index.js';

export interface TfjsSeq2SeqConfig {
  srcVocab: number;
  tgtVocab: number;
  embeddingSize: number;
  encoderSize: number;
  encoderLayers: number;
  decoderSize: number;
  attentionSize: number;
  dropout: number;
  lr: number;
}

/** The batch gru-ts's makePairBatch builds: source ids (B, S) with lengths; target ids (B, T), −100 padded. */
export type Seq2SeqBatch = PairBatch;

/**
 * gru-ts's parameters (names and shapes as its Seq2Seq has them; PyTorch
 * layout: Linear weight (out, in), GRU weight_ih (3H, in) with gates r, z, n).
 */
export function gruTsParameterShapes(c: TfjsSeq2SeqConfig): [string, number[]][] {
  const { embeddingSize: E, encoderSize: He, decoderSize: Hd, attentionSize: A } = c;
  const out: [string, number[]][] = [
    ['attn_v', [A]],
    ['src_embedding.weight', [c.srcVocab, E]],
    ['tgt_embedding.weight', [c.tgtVocab, E]],
  ];
  for (let l = 0; l < c.encoderLayers; l++) {
    for (const sfx of [`_l${l}`, `_l${l}_reverse`]) {
      out.push([`encoder.weight_ih${sfx}`, [3 * He, l === 0 ? E : 2 * He]], [`encoder.weight_hh${sfx}`, [3 * He, He]], [`encoder.bias_ih${sfx}`, [3 * He]], [`encoder.bias_hh${sfx}`, [3 * He]]);
    }
  }
  out.push(
    ['bridge.weight', [Hd, 2 * He]],
    ['bridge.bias', [Hd]],
    ['key.weight', [A, 2 * He]],
    ['query.weight', [A, Hd]],
    ['decoder.weight_ih_l0', [3 * Hd, E + 2 * He]],
    ['decoder.weight_hh_l0', [3 * Hd, Hd]],
    ['decoder.bias_ih_l0', [3 * Hd]],
    ['decoder.bias_hh_l0', [3 * Hd]],
    ['combine.weight', [Hd, Hd + 2 * He]],
    ['combine.bias', [Hd]],
    ['out.weight', [c.tgtVocab, Hd]],
    ['out.bias', [c.tgtVocab]],
  );
  return out;
}

/**
 * One tfjs variable: a gru-ts parameter, or one gate's rows of it (`gate`:
 * rows gate·H … (gate+1)·H), stored transposed (in, out) where `transpose`.
 */
interface VarSpec {
  name: string;
  from: string;
  gate?: number;
  transpose: boolean;
  shape: number[];
  /** Initial values without gru-ts weights: uniform ±1/√fan, or N(0, 1) when 0. */
  fan: number;
}

/**
 * The tfjs variables, derived from the sizes alone (not from gru-ts's
 * parameter list, so that the two counts check each other). Matrices are
 * stored (in, out), the layout tfjs layers use, so the forward products take
 * no transposed operand (on the wasm backend a transposed operand leaves
 * XNNPACK for a far slower loop); the GRU matrices and biases are split by
 * gate (no tf.split per step).
 */
export function tfjsVariableSpecs(c: TfjsSeq2SeqConfig): VarSpec[] {
  const { embeddingSize: E, encoderSize: He, decoderSize: Hd, attentionSize: A } = c;
  const out: VarSpec[] = [
    { name: 'attn_v', from: 'attn_v', transpose: false, shape: [A, 1], fan: A },
    { name: 'src_embedding', from: 'src_embedding.weight', transpose: false, shape: [c.srcVocab, E], fan: 0 },
    { name: 'tgt_embedding', from: 'tgt_embedding.weight', transpose: false, shape: [c.tgtVocab, E], fan: 0 },
  ];
  const gru = (prefix: string, sfx: string, inSize: number, H: number) => {
    for (let g = 0; g < 3; g++) {
      const gate = 'rzn'[g];
      out.push(
        { name: `${prefix}.w_i${gate}${sfx}`, from: `${prefix}.weight_ih${sfx}`, gate: g, transpose: true, shape: [inSize, H], fan: H },
        { name: `${prefix}.w_h${gate}${sfx}`, from: `${prefix}.weight_hh${sfx}`, gate: g, transpose: true, shape: [H, H], fan: H },
        { name: `${prefix}.b_i${gate}${sfx}`, from: `${prefix}.bias_ih${sfx}`, gate: g, transpose: false, shape: [H], fan: H },
        { name: `${prefix}.b_h${gate}${sfx}`, from: `${prefix}.bias_hh${sfx}`, gate: g, transpose: false, shape: [H], fan: H },
      );
    }
  };
  for (let l = 0; l < c.encoderLayers; l++) for (const sfx of [`_l${l}`, `_l${l}_reverse`]) gru('encoder', sfx, l === 0 ? E : 2 * He, He);
  const linear = (name: string, inF: number, outF: number, bias: boolean) => {
    out.push({ name: `${name}.kernel`, from: `${name}.weight`, transpose: true, shape: [inF, outF], fan: inF });
    if (bias) out.push({ name: `${name}.bias`, from: `${name}.bias`, transpose: false, shape: [outF], fan: inF });
  };
  linear('bridge', 2 * He, Hd, true);
  linear('key', 2 * He, A, false);
  linear('query', Hd, A, false);
  gru('decoder', '_l0', E + 2 * He, Hd);
  linear('combine', Hd + 2 * He, Hd, true);
  linear('out', Hd, c.tgtVocab, true);
  return out;
}

/** A spec's initial values taken from a gru-ts parameter (data in PyTorch layout). */
function fromGruTs(spec: VarSpec, p: { data: Float32Array; shape: readonly number[] }): Float32Array {
  const cols = p.shape.length === 2 ? p.shape[1] : 1;
  const rows = spec.gate === undefined ? p.shape[0] : p.shape[0] / 3;
  const first = (spec.gate ?? 0) * rows;
  const src = p.data.subarray(first * cols, (first + rows) * cols);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (src.length !== size) throw new Error(`tfjs seq2seq: ${spec.name} needs ${size} values, ${spec.from} gives ${src.length}`);
  if (!spec.transpose) return Float32Array.from(src);
  const out = new Float32Array(size); // (cols, rows) from (rows, cols)
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = src[r * cols + k];
  return out;
}

export interface TfjsSeq2Seq {
  backend: 'wasm' | 'cpu';
  /** Threads the backend computes with (wasm: XNNPACK's pool as initialised; cpu: 1). */
  threadsUsed: number;
  /** Trainable parameters (sum of the variables' sizes). */
  parameterCount: number;
  /** One Adam step on the batch (training mode: dropout on); returns the loss before the step. */
  trainStep(b: Seq2SeqBatch): number;
  /** The loss without dropout and without a step. */
  evalLoss(b: Seq2SeqBatch): number;
  /** Makes this model's backend the current one and moves its variables (and Adam's) there, outside any timing. */
  activate(): Promise<void>;
  dispose(): void;
}

/**
 * Builds the model on `backend` (made current). `init` gives initial values by
 * gru-ts parameter name (a gru-ts model's namedParameters); without it,
 * PyTorch's default initialisation (uniform ±1/√fan, embeddings N(0, 1)).
 */
export async function tfjsSeq2Seq(backend: 'wasm' | 'cpu', c: TfjsSeq2SeqConfig, o: { threads?: number; init?: Map<string, { data: Float32Array; shape: readonly number[] }> } = {}): Promise<TfjsSeq2Seq> {
  if (backend === 'wasm' && o.threads !== undefined && tf.findBackend('wasm') === null) setThreadsCount(o.threads);
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} did not initialise`);
  await tf.ready();
  const threadsUsed = backend === 'wasm' ? getThreadsCount() : 1;
  const { encoderSize: He, attentionSize: A, encoderLayers: L, tgtVocab: V } = c;

  if (o.init) {
    const expected = new Map(gruTsParameterShapes(c));
    for (const [name, p] of o.init) {
      if (expected.get(name)?.join('x') !== p.shape.join('x')) throw new Error(`tfjs seq2seq: gru-ts parameter ${name} is ${p.shape.join('x')}, expected ${expected.get(name)?.join('x') ?? 'none'}`);
    }
  }
  const vars = new Map<string, tf.Variable>();
  for (const spec of tfjsVariableSpecs(c)) {
    const given = o.init?.get(spec.from);
    if (o.init && !given) throw new Error(`tfjs seq2seq: no gru-ts parameter ${spec.from}`);
    const value = tf.tidy(() => {
      if (given) return tf.tensor(fromGruTs(spec, given), spec.shape, 'float32');
      return spec.fan === 0 ? tf.randomNormal(spec.shape) : tf.randomUniform(spec.shape, -1 / Math.sqrt(spec.fan), 1 / Math.sqrt(spec.fan));
    });
    vars.set(spec.name, tf.variable(value, true, `s2s/${spec.name}/${backend}`));
    value.dispose();
  }
  const W = (name: string): tf.Tensor2D => {
    const v = vars.get(name);
    if (!v) throw new Error(`tfjs seq2seq: no variable ${name}`);
    return v as tf.Tensor2D;
  };
  const varList = [...vars.values()];
  const parameterCount = varList.reduce((n, v) => n + v.size, 0);
  const optimizer = tf.train.adam(c.lr, 0.9, 0.999, 1e-8);

  const drop = <T extends tf.Tensor>(x: T, training: boolean): T => (training && c.dropout > 0 ? (tf.dropout(x, c.dropout) as T) : x);
  const dense = (x: tf.Tensor2D, name: string, bias = true): tf.Tensor2D => {
    const y: tf.Tensor2D = tf.matMul(x, W(`${name}.kernel`));
    return bias ? (tf.add(y, W(`${name}.bias`)) as tf.Tensor2D) : y;
  };
  /** One GRU step (PyTorch form, reset after the recurrent product): input x (B, in), state h (B, H) → new state. */
  const gruStep = (prefix: string, sfx: string, x: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D => {
    const gate = (g: string) => [tf.add(tf.matMul(x, W(`${prefix}.w_i${g}${sfx}`)), W(`${prefix}.b_i${g}${sfx}`)), tf.add(tf.matMul(h, W(`${prefix}.w_h${g}${sfx}`)), W(`${prefix}.b_h${g}${sfx}`))];
    const [ir, hr] = gate('r');
    const [iz, hz] = gate('z');
    const [inn, hn] = gate('n');
    const r = tf.sigmoid(tf.add(ir, hr));
    const z = tf.sigmoid(tf.add(iz, hz));
    const n = tf.tanh(tf.add(inn, tf.mul(r, hn)));
    return tf.add(n, tf.mul(z, tf.sub(h, n))); // (1 − z) n + z h
  };
  /** A float one-hot matrix (ids.length, depth), built here as a constant; rows of ids < 0 are zero. */
  const oneHot = (ids: Int32Array, depth: number): tf.Tensor2D => {
    const m = new Float32Array(ids.length * depth);
    for (let i = 0; i < ids.length; i++) if (ids[i] >= 0) m[i * depth + ids[i]] = 1;
    return tf.tensor2d(m, [ids.length, depth]);
  };
  /**
   * Embedding rows as oneHot(ids) · table: the wasm backend has no
   * UnsortedSegmentSum, the gradient of tf.gather; with vocabularies of a few
   * dozen symbols the product is cheap, and its gradient is a matmul.
   */
  const embed = (name: string, ids: Int32Array): tf.Tensor2D => tf.matMul(oneHot(ids, W(name).shape[0]), W(name));
  /** Column t of a (B, n) id matrix. */
  const column = (ids: Int32Array, B: number, n: number, t: number) => Int32Array.from({ length: B }, (_, i) => ids[i * n + t]);

  /**
   * The mean cross-entropy of a batch. The recurrences keep one (B, ·) tensor
   * per time step (slicing a step out of a (B, S, ·) tensor copies the whole
   * tensor out of the wasm heap: hundreds of milliseconds per step).
   */
  function lossOf(b: Seq2SeqBatch, training: boolean): tf.Scalar {
    const { B, S, T } = b;
    const valid: tf.Tensor2D[] = []; // (B, 1) per step: 1 where t < length
    const maskBS = new Float32Array(B * S); // (B, S): 0, or −1e9 past the length
    for (let t = 0; t < S; t++) {
      const m = new Float32Array(B);
      for (let i = 0; i < B; i++) {
        m[i] = t < b.srcLengths[i] ? 1 : 0;
        if (!m[i]) maskBS[i * S + t] = -1e9;
      }
      valid.push(tf.tensor2d(m, [B, 1]));
    }
    // Encoder: per step inputs x[t] (B, in); dropout on the embeddings and between layers.
    let xs: tf.Tensor2D[] = Array.from({ length: S }, (_, t) => drop(embed('src_embedding', column(b.src, B, S, t)), training));
    let finals: tf.Tensor2D[] = [];
    for (let l = 0; l < L; l++) {
      if (l > 0) xs = xs.map((x) => drop(x, training));
      const dirs: tf.Tensor2D[][] = [];
      finals = [];
      for (const reverse of [false, true]) {
        const sfx = `_l${l}${reverse ? '_reverse' : ''}`;
        let h: tf.Tensor2D = tf.zeros([B, He]);
        const outs: tf.Tensor2D[] = new Array(S);
        for (let k = 0; k < S; k++) {
          const t = reverse ? S - 1 - k : k;
          const next = gruStep('encoder', sfx, xs[t], h);
          // Past the length the state stays: forward, the last valid state; backward, zero until the length is reached.
          h = tf.add(h, tf.mul(valid[t], tf.sub(next, h)));
          outs[t] = tf.mul(valid[t], h);
        }
        dirs.push(outs);
        finals.push(h);
      }
      xs = Array.from({ length: S }, (_, t) => tf.concat([dirs[0][t], dirs[1][t]], 1));
    }
    // Attention memory, source-major: values (S, B, 2He), keys (S, B, A).
    const values = tf.stack(xs) as tf.Tensor3D;
    const keys = tf.reshape(dense(tf.reshape(values, [S * B, 2 * He]), 'key', false), [S, B, A]);
    const maskAdd = tf.tensor2d(maskBS, [B, S]);
    let h = tf.tanh(dense(tf.concat(finals, 1), 'bridge')); // (B, Hd)
    const states: tf.Tensor2D[] = [],
      contexts: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const q = dense(h, 'query', false); // (B, A)
      const e = tf.tanh(tf.add(keys, q)); // (S, B, A)
      const scores = tf.add(tf.transpose(tf.reshape(tf.matMul(tf.reshape(e, [S * B, A]), W('attn_v')), [S, B])), maskAdd); // (B, S)
      const weights = tf.transpose(tf.softmax(scores)); // softmax over the source; (S, B)
      const context = tf.sum(tf.mul(tf.reshape(weights, [S, B, 1]), values), 0) as tf.Tensor2D; // (B, 2He)
      const emb = embed('tgt_embedding', column(b.tgtIn, B, T, t));
      h = gruStep('decoder', '_l0', tf.concat([emb, context], 1), h);
      states.push(h);
      contexts.push(context);
    }
    // Readout over all steps at once: rows t·B + i.
    const rows = tf.concat([tf.concat(states, 0), tf.concat(contexts, 0)], 1);
    const logits = dense(drop(tf.tanh(dense(rows, 'combine')), training), 'out');
    const target = new Int32Array(B * T);
    let counted = 0;
    for (let t = 0; t < T; t++)
      for (let i = 0; i < B; i++) {
        const y = b.tgtOut[i * T + t];
        target[t * B + i] = y === -100 ? -1 : y;
        if (y !== -100) counted++;
      }
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), oneHot(target, V))); // padded rows are zero
    return tf.div(tf.neg(picked), Math.max(1, counted));
  }

  return {
    backend,
    threadsUsed,
    parameterCount,
    trainStep(b) {
      const cost = optimizer.minimize(() => lossOf(b, true), true, varList);
      if (!cost) throw new Error('tfjs seq2seq: minimize returned no cost');
      const value = cost.dataSync()[0];
      cost.dispose();
      return value;
    },
    evalLoss(b) {
      return tf.tidy(() => lossOf(b, false).dataSync()[0]);
    },
    async activate() {
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
      // A tensor stays on the backend that made it until an op of another backend reads it (then it is copied): touch each once here.
      const weights = await optimizer.getWeights(); // Adam's moments, and a new scalar 'iter'
      tf.tidy(() => {
        for (const t of [...varList, ...weights.map((w) => w.tensor)]) tf.add(t, 0).dataSync();
      });
      for (const w of weights) if (w.name === 'iter') w.tensor.dispose();
    },
    dispose() {
      optimizer.dispose();
      for (const v of varList) v.dispose();
    },
  };
}
