/**
 * Encoder–decoder attention for one decoder step, masking padded source steps:
 *   additive (Bahdanau): e_j = vᵀ tanh(K_j + q)  with K = W_k·enc (precomputed), q = W_q·s
 *   dot (Luong general): e_j = qᵀ K_j            with K = W·enc (precomputed), q = s
 *   α = softmax over j < length,  context = Σ_j α_j V_j
 * The kernels are the backend's attentionForward / attentionBackward (ref: src/kernels/ref/attention.ts).
 * Legend: B batch, S source steps, A key size, D value size.
 */
import { Tensor, allocateLike, shapeString } from '../../tensor/tensor.js';
import { Var, record, wants } from '../var.js';
import { backend } from '../../kernels/index.js';
import { GruError } from '../../errors.js';

export type AttentionScore = 'additive' | 'dot';

/** q (B, A), keys (B, S, A), values (B, S, D), v (A) for additive → context (B, D), weights (B, S). */
export function encoderAttention(score: AttentionScore, q: Var, keys: Var, values: Var, v: Var | null, lengths: Int32Array | null): { context: Var; weights: Tensor } {
  const [B, S, A] = keys.shape;
  const D = values.shape[2];
  if (q.shape[0] !== B || q.shape[1] !== A || values.shape[0] !== B || values.shape[1] !== S || (score === 'additive' && (!v || v.shape[0] !== A))) {
    throw new GruError(
      'INVALID_ARGUMENT',
      `encoderAttention: expected q [B, A], keys [B, S, A], values [B, S, D]${score === 'additive' ? ', v [A]' : ''}; got ${shapeString(q.shape)}, ${shapeString(keys.shape)}, ${shapeString(values.shape)}`,
    );
  }
  const k = backend();
  const like = q.data;
  const alpha = allocateLike(like, B * S);
  const context = new Var(new Tensor(allocateLike(like, B * D), [B, D]));
  const additive = score === 'additive';
  // The additive backward recomputes tanh(K_j + q) (the kernels take u = null):
  // it reads a (B, S, A) array either way (keys, or a saved u), so saving u would
  // only add a store and a buffer per decoder step.
  const inputs = { B, S, A, D, q: q.data, keys: keys.data, values: values.data, v: additive ? v!.data : null, lengths };
  k.attentionForward({ ...inputs, alpha, context: context.data, u: null });
  record(`${score}Attention`, [q, keys, values, v], [context], () => {
    const dc = context.grad?.data;
    if (!dc) return;
    k.attentionBackward({
      ...inputs,
      dq: wants(q) ? q.gradBuffer().data : null,
      dKeys: wants(keys) ? keys.gradBuffer().data : null,
      dValues: wants(values) ? values.gradBuffer().data : null,
      dv: additive && wants(v) ? v.gradBuffer().data : null,
      dContext: dc,
      alpha,
      u: null,
    });
  });
  return { context, weights: new Tensor(alpha, [B, S]) };
}
