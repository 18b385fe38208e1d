/**
 * A sequence-to-sequence model as two ONNX graphs (`gru export MODEL --onnx
 * out.onnx` writes out.encoder.onnx and out.decoder.onnx):
 *
 * Encoder: `source` int64 (B, S) source ids (0-padded; source vocabulary in
 * the metadata) and `lengths` int64 (B) → `values` float32 (B, S, 2·He), the
 * bidirectional encoder's states (0 past each length), `keys` float32
 * (B, S, K), their projection for attention (K = attentionSize for
 * Bahdanau, decoderSize for Luong), and `state` float32 (1, B, Hd), the
 * decoder's first state.
 *
 * Decoder, one step: `token` int64 (B), the previous target id (2 <bos>
 * first; target vocabulary in the metadata), `state` (1, B, Hd), `values`,
 * `keys`, and `mask` float32 (B, S), 1 on source steps and 0 on padding
 * (`np.arange(S) < lengths[:, None]`) → `logits` float32 (B, V), `state_next`
 * (1, B, Hd) and `attention` float32 (B, S), the attention weights.
 * Greedy decoding feeds the arg-max back until 3 <eos>; `gru predict` runs
 * beam search (`--beam`) over the same steps.
 */
import type { TrainedSeq2Seq } from './task.js';
import { FLOAT, INT32, INT64, OnnxGraphBuilder } from '../../io/onnx-builder.js';

/** Added to the scores of masked source steps before the softmax: exp of it is 0 in float32. */
const MASKED = -1e9;

export function seq2seqToOnnx(m: TrainedSeq2Seq): { encoder: Uint8Array; decoder: Uint8Array } {
  const metadata = {
    'gru-ts.task': 'seq2seq',
    'gru-ts.config': JSON.stringify(m.model.config),
    'gru-ts.source_tokenizer': JSON.stringify(m.source.toJSON()),
    'gru-ts.target_tokenizer': JSON.stringify(m.target.toJSON()),
  };
  return { encoder: encoderGraph(m, metadata), decoder: decoderGraph(m, metadata) };
}

function keySize(m: TrainedSeq2Seq): number {
  const c = m.model.config;
  return c.attention === 'bahdanau' ? c.attentionSize : c.decoderSize;
}

function encoderGraph(m: TrainedSeq2Seq, metadata: Record<string, string>): Uint8Array {
  const model = m.model;
  const { encoderSize: He, decoderSize: Hd } = model.config;
  const Le = model.encoder.numLayers;
  const K = keySize(m);
  const g = new OnnxGraphBuilder();
  const src = g.input('source', INT64, ['B', 'S'], 'source ids (B, S), 0-padded; source vocabulary in the metadata');
  const lengths = g.input('lengths', INT64, ['B'], 'source length of each sequence (B), each in [1, S]');
  const emb = g.op('Gather', [g.float('src_embedding_weight', model.srcEmbed.weight.value.data, model.srcEmbed.weight.value.shape), src], { axis: 0 });
  const { output, finals } = g.gru(model.encoder, g.op('Transpose', [emb], { perm: [1, 0, 2] }), 'encoder', { lengths: g.op('Cast', [lengths], { to: INT32 }) });
  const values = g.output('values', FLOAT, ['B', 'S', 2 * He], 'encoder states (B, S, 2·encoderSize), both directions; 0 past each length', g.op('Transpose', [output], { perm: [1, 0, 2] }));
  g.output('keys', FLOAT, ['B', 'S', K], `the states projected for attention (B, S, ${K})`, g.linearNd(values, model.keyProj, 'key'));
  // The last layer's final states of both directions (2, B, He) → (B, 2He) → tanh(bridge) → (1, B, Hd).
  const both = g.op('Reshape', [g.op('Transpose', [finals[Le - 1]], { perm: [1, 0, 2] }), g.int64([0, 2 * He])]);
  const state = g.op('Unsqueeze', [g.op('Tanh', [g.linear2d(both, model.bridge, 'bridge')]), g.int64([0])]);
  g.output('state', FLOAT, [1, 'B', Hd], "the decoder's first state (1, B, decoderSize)", state);
  return g.encode('gru-ts seq2seq encoder', 'gru-ts seq2seq encoder: source ids and lengths → encoder states, attention keys, first decoder state', metadata);
}

function decoderGraph(m: TrainedSeq2Seq, metadata: Record<string, string>): Uint8Array {
  const model = m.model;
  const { encoderSize: He, decoderSize: Hd } = model.config;
  const K = keySize(m);
  const V = m.model.tgtVocab;
  const g = new OnnxGraphBuilder();
  const token = g.input('token', INT64, ['B'], 'the previous target id per sequence (2 <bos> first); target vocabulary in the metadata');
  const state = g.input('state', FLOAT, [1, 'B', Hd], "the decoder state (1, B, decoderSize): the encoder's `state` first, then `state_next`");
  const values = g.input('values', FLOAT, ['B', 'S', 2 * He], "the encoder's `values`");
  const keys = g.input('keys', FLOAT, ['B', 'S', K], "the encoder's `keys`");
  const mask = g.input('mask', FLOAT, ['B', 'S'], '1 on source steps, 0 on padding (B, S)');
  const emb = g.op('Gather', [g.float('tgt_embedding_weight', model.tgtEmbed.weight.value.data, model.tgtEmbed.weight.value.shape), token], { axis: 0 }); // (B, E)
  const bias = g.op('Mul', [g.op('Sub', [mask, g.float('one', [1], [])]), g.float('masked', [-MASKED], [])]); // 0 or MASKED
  /** Attention with query scores e (B, S): weights (B, S) and context (B, 2He). */
  const attend = (scores: string) => {
    const alpha = g.op('Softmax', [g.op('Add', [scores, bias])], { axis: 1 });
    const context = g.op('Reshape', [g.op('MatMul', [g.op('Unsqueeze', [alpha, g.int64([1])]), values]), g.int64([0, 2 * He])]);
    return { alpha, context };
  };
  let next: string, att: { alpha: string; context: string };
  const decoder = model.decoder;
  if (model.queryProj && model.v) {
    // Bahdanau: e_j = vᵀ tanh(K_j + W_q s), the context feeding the GRU's input.
    const q = g.linearNd(g.op('Reshape', [state, g.int64([-1, Hd])]), model.queryProj, 'query'); // (B, A)
    const u = g.op('Tanh', [g.op('Add', [keys, g.op('Unsqueeze', [q, g.int64([1])])])]);
    att = attend(g.op('Reshape', [g.op('MatMul', [u, g.float('attn_v', model.v.value.data, [K, 1])]), g.int64([0, -1])]));
    const input = g.op('Unsqueeze', [g.op('Concat', [emb, att.context], { axis: 1 }), g.int64([0])]);
    next = g.gru(decoder, input, 'decoder', { h0: state }).finals[0];
  } else {
    // Luong (general): the GRU steps first, then e_j = sᵀ K_j.
    next = g.gru(decoder, g.op('Unsqueeze', [emb, g.int64([0])]), 'decoder', { h0: state }).finals[0];
    const s = g.op('Reshape', [next, g.int64([-1, Hd, 1])]); // (B, Hd, 1)
    att = attend(g.op('Reshape', [g.op('MatMul', [keys, s]), g.int64([0, -1])]));
  }
  // Readout: out(tanh(combine([s', context]))).
  const s2 = g.op('Reshape', [next, g.int64([-1, Hd])]);
  const hidden = g.op('Tanh', [g.linear2d(g.op('Concat', [s2, att.context], { axis: 1 }), model.combine, 'combine')]);
  g.output('logits', FLOAT, ['B', V], 'scores of the next target token', g.linear2d(hidden, model.out, 'out'));
  g.output('state_next', FLOAT, [1, 'B', Hd], 'the decoder state after this step', next);
  g.output('attention', FLOAT, ['B', 'S'], 'attention weights over the source steps', att.alpha);
  return g.encode('gru-ts seq2seq decoder step', 'gru-ts seq2seq decoder, one step: previous token, state, encoder outputs and mask → logits, next state, attention weights', metadata);
}
