/**
 * A character language model as one ONNX graph of one step, the state in
 * and out (`gru export MODEL --onnx out.onnx`), for generating text in a loop:
 *
 * - `token` int64 (B): the previous character's id (2 <bos> at the start;
 *   vocabulary in the metadata);
 * - `h` float32 (L, B, H): the GRU's state (zeros at the start);
 * → `logits` float32 (B, V) for the next character and `h_next` float32
 *   (L, B, H), the state to feed back.
 *
 * `gru predict` samples from softmax(logits / temperature) over the ids
 * other than 0 <pad> and 2 <bos> (the top k with --top-k) and stops at 3 <eos>.
 */
import type { TrainedLM } from './task.js';
import { FLOAT, INT64, OnnxGraphBuilder, plainGru } from '../../io/onnx-builder.js';

export function charLMToOnnx(lm: TrainedLM): Uint8Array {
  const model = lm.model;
  const c = model.config;
  const gru = plainGru(model.gru, c.cell, 'this language model');
  const { numLayers: L, hiddenSize: H } = c;
  const V = model.vocabSize;
  const g = new OnnxGraphBuilder();
  const token = g.input('token', INT64, ['B'], 'the previous character id per sequence (2 <bos> first); vocabulary in the metadata');
  const h = g.input('h', FLOAT, [L, 'B', H], `the GRU state (layers ${L}, B, hidden ${H}); zeros at the start`);
  const emb = g.op('Gather', [g.float('embedding_weight', model.embed.weight.value.data, model.embed.weight.value.shape), token], { axis: 0 }); // (B, E)
  const x = g.op('Unsqueeze', [emb, g.int64([0])]); // (1, B, E)
  const { output, finals } = g.gru(gru, x, 'gru', { h0: h });
  const last = g.op('Reshape', [output, g.int64([-1, H])]); // (B, H)
  g.output('logits', FLOAT, ['B', V], 'scores of the next character over the vocabulary', g.linear2d(last, model.head, 'head'));
  g.output('h_next', FLOAT, [L, 'B', H], 'the state after this step: feed it back as h', L === 1 ? finals[0] : g.op('Concat', finals, { axis: 0 }));
  return g.encode('gru-ts lm step', 'gru-ts character language model, one step: token and state → next-character logits and state', {
    'gru-ts.task': 'lm',
    'gru-ts.config': JSON.stringify(c),
    'gru-ts.tokenizer': JSON.stringify(lm.tokenizer.toJSON()),
  });
}
