/**
 * A classifier as one ONNX graph (`gru export MODEL --onnx out.onnx`).
 *
 * Texts: `ids` int64 (B, T) token ids from the model's tokenizer (0-padded,
 * T ≤ maxLen as `gru predict` cuts them) and `lengths` int64 (B) →
 * Gather (embedding) → GRU layers with `sequence_lens` → the last layer's
 * final states of both directions, or attention pooling over the valid steps
 * → Gemm → Softmax.
 *
 * Frames (sequences of numeric features, or audio's log-mel / MFCC frames):
 * `frames` float32 (B, T, F), the features as read (not normalised), and
 * `lengths` int64 (B); the per-feature normalisation fitted in training,
 * (x − mean) / std, is inside the graph (Sub, Div). Audio's front end
 * (16 kHz samples → frames) is not: compute the features first.
 *
 * Outputs: `probabilities` float32 (B, C) and `logits` float32 (B, C), C
 * the labels in the order of the metadata's `labels`; with attention pooling
 * also `attention` float32 (B, T), the pooling weights (0 past each length).
 *
 * Metadata: `labels`, `config`, and `tokenizer` (kind, lowercase, vocab) for texts.
 */
import type { TrainedClassifier } from './task.js';
import { FLOAT, INT32, INT64, OnnxGraphBuilder, plainGru } from '../../io/onnx-builder.js';
import { GruError } from '../../errors.js';

/** Added to the scores of padded steps before the softmax: exp of it is 0 in float32. */
const MASKED = -1e9;

export function classifierToOnnx(c: TrainedClassifier): Uint8Array {
  const model = c.model;
  const cfg = model.config;
  if (cfg.bagOfWords) throw new GruError('UNSUPPORTED', 'ONNX export: this classifier has a bag-of-words path (trained with --bag-of-words), which the exported graph does not hold; train one without it to export');
  const gru = plainGru(model.gru, cfg.cell, 'this classifier');
  const { hiddenSize: H, numLayers: L, maxLen } = cfg;
  const D = cfg.bidirectional ? 2 : 1;
  const C = cfg.labels.length;
  const g = new OnnxGraphBuilder();
  let x: string; // (B, T, E)
  let seq: string; // the input whose dims are (B, T, …)
  if (model.embed) {
    seq = g.input('ids', INT64, ['B', 'T'], `token ids (B, T) from the model's ${cfg.tokenizer ?? 'word'} tokenizer (vocabulary in the metadata; 0 <pad>, 1 <unk>), 0-padded, T ≤ ${maxLen}`);
    x = g.op('Gather', [g.float('embedding_weight', model.embed.weight.value.data, model.embed.weight.value.shape), seq], { axis: 0 });
  } else {
    const n = cfg.frames!;
    seq = g.input(
      'frames',
      FLOAT,
      ['B', 'T', n.features],
      `frames (B, T, ${n.features}): the features of each step as read${cfg.audio ? ` (audio: ${cfg.audio.kind === 'mfcc' ? 'MFCC' : 'log-mel'} features of 16 kHz samples, as audioFeatures computes them)` : ''}, not normalised (the graph normalises them); zero-padded, T ≤ ${maxLen}`,
    );
    x = g.op('Div', [g.op('Sub', [seq, g.float('feature_mean', n.mean, [n.features])]), g.float('feature_std', n.std, [n.features])]);
  }
  const lengths = g.input('lengths', INT64, ['B'], 'valid steps of each sequence (B), each in [1, T]');
  const xt = g.op('Transpose', [x], { perm: [1, 0, 2] });
  const { output, finals } = g.gru(gru, xt, 'gru', { lengths: g.op('Cast', [lengths], { to: INT32 }) });
  let pooled: string; // (B, D·H)
  if (model.pool) {
    // score_t = vᵀ tanh(W h_t + b) over the valid steps; pooled = Σ α_t h_t.
    const p = model.pool;
    const [A, DH] = p.weight.value.shape;
    const h = g.op('Transpose', [output], { perm: [1, 0, 2] }); // (B, T, D·H)
    const wt = new Float32Array(DH * A);
    for (let a = 0; a < A; a++) for (let i = 0; i < DH; i++) wt[i * A + a] = p.weight.value.data[a * DH + i];
    const u = g.op('Tanh', [g.op('Add', [g.op('MatMul', [h, g.float('pool_weight_t', wt, [DH, A])]), g.float('pool_bias', p.bias.value.data, [A])])]);
    const scores = g.op('Reshape', [g.op('MatMul', [u, g.float('pool_v', p.v.value.data, [A, 1])]), g.int64([0, -1])]); // (B, T)
    const alpha = g.op('Softmax', [g.op('Add', [scores, validBias(g, seq, lengths, maxLen)])], { axis: 1 });
    g.output('attention', FLOAT, ['B', 'T'], 'attention pooling weights over the steps (0 past each length)', alpha);
    pooled = g.op('Reshape', [g.op('MatMul', [g.op('Unsqueeze', [alpha, g.int64([1])]), h]), g.int64([0, D * H])]);
  } else {
    // The last layer's final states (D, B, H) → (B, D·H).
    pooled = g.op('Reshape', [g.op('Transpose', [finals[L - 1]], { perm: [1, 0, 2] }), g.int64([0, D * H])]);
  }
  const logits = g.output('logits', FLOAT, ['B', C], `class scores before the softmax; classes ${cfg.labels.join(', ')}`, g.linear2d(pooled, model.head, 'head'));
  g.output('probabilities', FLOAT, ['B', C], `class probabilities; classes ${cfg.labels.join(', ')}`, g.op('Softmax', [logits], { axis: 1 }));
  const input = model.embed ? 'token ids' : 'frames';
  return g.encode('gru-ts classify', `gru-ts classifier: ${input} and lengths → probabilities of ${C} classes`, {
    'gru-ts.task': 'classify',
    'gru-ts.labels': JSON.stringify(cfg.labels),
    'gru-ts.config': JSON.stringify(cfg),
    ...(c.tokenizer ? { 'gru-ts.tokenizer': JSON.stringify(c.tokenizer.toJSON()) } : {}),
  });
}

/**
 * (B, T) float: 0 where t < length, {@link MASKED} elsewhere. Built from
 * positions 0 … maxLen − 1 cut to T, as 1 − relu(1 − relu(length − t)) (1 on
 * valid steps, 0 past them, for whole numbers) minus 1, scaled.
 */
function validBias(g: OnnxGraphBuilder, seq: string, lengths: string, maxLen: number): string {
  const T = g.op('Slice', [g.op('Shape', [seq]), g.int64([1]), g.int64([2])]);
  const positions = g.op('Slice', [
    g.float(
      'positions',
      Array.from({ length: maxLen }, (_, i) => i),
      [maxLen],
    ),
    g.int64([0]),
    T,
  ]);
  const len = g.op('Unsqueeze', [g.op('Cast', [lengths], { to: FLOAT }), g.int64([1])]); // (B, 1)
  const one = g.float('one', [1], []);
  const valid = g.op('Sub', [one, g.op('Relu', [g.op('Sub', [one, g.op('Relu', [g.op('Sub', [len, positions])])])])]); // (B, T) 1 / 0
  return g.op('Mul', [g.op('Sub', [valid, one]), g.float('masked', [-MASKED], [])]);
}
