/**
 * A session recommender (GRU4Rec) as one ONNX graph (`gru export MODEL
 * --onnx out.onnx`):
 *
 * - `clicks` int64 (B, T): each session's clicks as item indices (item i is
 *   the metadata's `items[i]`; unknown items left out, as `gru predict`
 *   does), 0-padded;
 * - `lengths` int64 (B): clicks per session, each in [1, T];
 * → `scores` float32 (B, V): every item's score after each session's last
 *   click (`gru predict` lists the top k).
 *
 * Item embedding → GRU layers with `sequence_lens` → the last layer's final
 * state → scores = h Wᵀ + b. A model without an embedding (one-hot items
 * into the GRU) gathers the items' columns of the first layer's input
 * weights instead, and that layer's GRU node reads them through an identity.
 */
import type { TrainedRecommender } from './task.js';
import { FLOAT, INT32, INT64, OnnxGraphBuilder, plainGru } from '../../io/onnx-builder.js';
import { gruToOnnxWeights } from '../../io/onnx.js';

export function recommenderToOnnx(tr: TrainedRecommender): Uint8Array {
  const model = tr.model;
  const c = model.config;
  const gru = plainGru(model.gru, c.cell, 'this recommender');
  const { items: V, hiddenSize: H, numLayers: L } = c;
  const g = new OnnxGraphBuilder();
  const clicks = g.input('clicks', INT64, ['B', 'T'], `item indices of each session's clicks (B, T), 0-padded; item i is items[i] in the metadata (${V} items)`);
  const lengths = g.input('lengths', INT64, ['B'], 'clicks per session (B), each in [1, T]');
  const ids = g.op('Transpose', [clicks], { perm: [1, 0] }); // (T, B)
  let x: string, firstW: { data: Float32Array; shape: number[] } | undefined;
  if (model.embed) {
    x = g.op('Gather', [g.float('item_embedding_weight', model.embed.weight.value.data, model.embed.weight.value.shape), ids], { axis: 0 });
  } else {
    // One-hot items: W·onehot(i) is column i of W [3H, V]; gather the rows of Wᵀ and pass them through an identity W.
    const W = gruToOnnxWeights(gru, 0).W; // [1, 3H, V]
    const G = 3 * H;
    const wt = new Float32Array(V * G);
    for (let r = 0; r < G; r++) for (let i = 0; i < V; i++) wt[i * G + r] = W.data[r * V + i];
    x = g.op('Gather', [g.float('input_projection_t', wt, [V, G]), ids], { axis: 0 }); // (T, B, 3H)
    const eye = new Float32Array(G * G);
    for (let r = 0; r < G; r++) eye[r * G + r] = 1;
    firstW = { data: eye, shape: [1, G, G] };
  }
  const { finals } = g.gru(gru, x, 'gru', { lengths: g.op('Cast', [lengths], { to: INT32 }), firstW });
  const last = g.op('Reshape', [finals[L - 1], g.int64([-1, H])]);
  g.output('scores', FLOAT, ['B', V], "every item's score after the session's last click (higher: more likely next)", g.linear2d(last, model.output, 'output'));
  return g.encode('gru-ts recommend', `gru-ts session recommender: clicks and lengths → scores of ${V} items`, {
    'gru-ts.task': 'recommend',
    'gru-ts.config': JSON.stringify(c),
    'gru-ts.items': JSON.stringify(tr.items),
  });
}
