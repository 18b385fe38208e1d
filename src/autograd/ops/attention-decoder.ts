/**
 * A teacher-forced attention decoder (Bahdanau) over all target steps as a
 * single tape node: what Seq2Seq's step-by-step loop computes, without a
 * tape node, a weight packing and a weight gradient per step.
 *
 * At step t, with s_{−1} = s0 and e_t the embedding of the t-th input token:
 *   q_t   = W_q s_{t−1}
 *   c_t, α_t = additive attention of q_t over the encoder's keys and values (./encoder-attention.ts)
 *   x_t   = W_e e_t + W_c c_t + b_ih              (W_ih = [W_e | W_c], the GRU's input [e_t, c_t])
 *   s_t   = GRU step (reset after) from s_{t−1} with the projected input x_t
 * Outputs: the states s_t and the contexts c_t, (T·B, H) and (T·B, D), time-major.
 *
 * Why it is faster: the embeddings' share of x_t is one (T·B)-row gemm before
 * the loop; backward computes per step only what the recurrence needs (the
 * gradient of the projection x_t, of c_t and of s_{t−1}) and keeps the
 * gradients of x_t and q_t, so W_e, W_c, b_ih, W_q and the embeddings get
 * theirs from one (T·B)-row gemm each after the loop. The GRU steps run on the
 * backend's kernels in projected mode (xProj / dXProj), as the sparse path does.
 * Legend: T steps, B batch, E embedding, D value (context) size, A key size, H state size, G = 3H.
 */
import { Tensor, allocateLike, shapeString } from '../../tensor/tensor.js';
import { backend, gruCacheSizes, type GruCache } from '../../kernels/index.js';
import { Var, needsGrad, record, wants } from '../var.js';
import { tapeBuffers } from '../pool.js';
import type { GruDirectionParams } from './gru.js';
import { GruError } from '../../errors.js';

export interface AttentionDecoderInputs {
  /** The input tokens' embeddings, time-major (T·B, E): row t·B + b is step t of sequence b. */
  embedded: Var;
  /** The first state (B, H) (any shape of B·H elements). */
  s0: Var;
  /** Keys (B, S, A) and values (B, S, D) of the encoder's states; lengths (B) or null (all S). */
  keys: Var;
  values: Var;
  lengths: Int32Array | null;
  /** The query projection W_q (A, H) and the score vector v (A). */
  wQ: Var;
  v: Var;
  /** The decoder GRU's parameters; W_ih is (3H, E + D), its columns the embedding's then the context's. */
  gru: GruDirectionParams;
}

/** T teacher-forced steps of the attention decoder → states (T·B, H) and contexts (T·B, D). */
export function attentionDecoder(o: AttentionDecoderInputs, T: number): { states: Var; contexts: Var } {
  const { embedded, s0, keys, values, lengths, wQ, v, gru: p } = o;
  const [B, S, A] = keys.shape;
  const D = values.shape[2];
  const H = p.wHh.shape[1];
  const G = 3 * H;
  const I = p.wIh.shape[1];
  const E = I - D;
  if (embedded.shape[0] !== T * B || embedded.shape[1] !== E || s0.value.size !== B * H || values.shape[0] !== B || values.shape[1] !== S || wQ.shape[0] !== A || wQ.shape[1] !== H || v.shape[0] !== A || p.wIh.shape[0] !== G) {
    throw new GruError(
      'INVALID_ARGUMENT',
      `attentionDecoder: expected embedded [T·B, E], s0 of B·H, keys [B, S, A], values [B, S, D], wQ [A, H], v [A], wIh [3H, E + D] with T = ${T}; got ${shapeString(embedded.shape)}, ${shapeString(s0.shape)}, ${shapeString(keys.shape)}, ${shapeString(values.shape)}, ${shapeString(wQ.shape)}, ${shapeString(v.shape)}, ${shapeString(p.wIh.shape)}`,
    );
  }
  const k = backend();
  const like = embedded.data;
  const N = T * B;
  const states = new Var(new Tensor(allocateLike(like, N * H), [N, H]));
  const contexts = new Var(new Tensor(allocateLike(like, N * D), [N, D]));
  const inputs = [embedded, s0, keys, values, wQ, v, p.wIh, p.wHh, p.bIh, p.bHh];
  const training = needsGrad(inputs);
  // Saved for backward (from the tape's pool; every element is written below): the projections x_t,
  // the queries, the weights α and the GRU steps' caches. Inference keeps one step's worth.
  const take = (n: number) => (training ? tapeBuffers.take(like, n) : allocateLike(like, n));
  const xProj = take(N * G);
  const queries = take(training ? N * A : B * A);
  const alpha = take(training ? N * S : B * S);
  const sizes = gruCacheSizes({ T: N, B: 1, I: 0, H });
  const cache: GruCache | null = training ? { gates: take(sizes.gates), hPrev: take(sizes.hPrev), hn: take(sizes.hn) } : null;
  const stepCache = (t: number): GruCache | null => cache && { gates: cache.gates.subarray(t * B * G, (t + 1) * B * G), hPrev: cache.hPrev.subarray(t * B * H, (t + 1) * B * H), hn: cache.hn.subarray(t * B * H, (t + 1) * B * H) };
  const hN = allocateLike(like, B * H);
  const step = { B, I, H, wHh: p.wHh.data, bHh: p.bHh?.data ?? null, reverse: false, resetAfter: true, lengths: null };
  const attention = { B, S, A, D, keys: keys.data, values: values.data, v: v.data, lengths };
  // The previous state of step t: s0, or row block t − 1 of the states.
  const previous = (t: number) => (t === 0 ? s0.data.subarray(0, B * H) : states.data.subarray((t - 1) * B * H, t * B * H));

  // The embeddings' share of every step's projection at once: x = e W_eᵀ + b_ih.
  k.gemm(false, true, N, G, E, 1, embedded.data, 0, E, p.wIh.data, 0, I, 0, xProj, 0, G);
  if (p.bIh) k.addBias(xProj, p.bIh.data, N, G);
  for (let t = 0; t < T; t++) {
    const sPrev = previous(t);
    const q = training ? queries.subarray(t * B * A, (t + 1) * B * A) : queries;
    k.gemm(false, true, B, A, H, 1, sPrev, 0, H, wQ.data, 0, H, 0, q, 0, A);
    const context = contexts.data.subarray(t * B * D, (t + 1) * B * D);
    k.attentionForward({ ...attention, q, alpha: training ? alpha.subarray(t * B * S, (t + 1) * B * S) : alpha, context, u: null });
    k.gemm(false, true, B, G, D, 1, context, 0, D, p.wIh.data, E, I, 1, xProj, t * B * G, G);
    k.gruForward({ ...step, T: 1, xProj: xProj.subarray(t * B * G, (t + 1) * B * G), y: states.data.subarray(t * B * H, (t + 1) * B * H), yOff: 0, ldy: H, hN, h0: sPrev, cache: stepCache(t) });
  }
  if (!training) return { states, contexts };

  let released = false;
  record('attentionDecoder', inputs, [states, contexts], () => {
    // The saved buffers went back to the pool after the first backward.
    if (released) throw new GruError('INVALID_ARGUMENT', 'attentionDecoder: a second backward through one forward; run the forward again (backward reaches states and contexts together when both feed one loss)');
    released = true;
    const dStates = states.grad?.data ?? null;
    const dContexts = contexts.grad?.data ?? null;
    // Gradients kept per step for the gemms after the loop: of the projections x_t and of the queries q_t.
    // (Scratch from the pool, zeroed where it is accumulated into.)
    const dX = tapeBuffers.take(like, N * G).fill(0);
    const dQ = tapeBuffers.take(like, N * A).fill(0);
    const dContext = tapeBuffers.take(like, B * D);
    // The gradient reaching s_t from the steps after it (its GRU step's dh0 and its query's share).
    let dNext = tapeBuffers.take(like, B * H).fill(0),
      dPrev = tapeBuffers.take(like, B * H);
    const dKeys = wants(keys) ? keys.gradBuffer().data : null;
    const dValues = wants(values) ? values.gradBuffer().data : null;
    const dv = wants(v) ? v.gradBuffer().data : null;
    const dWHh = p.wHh.gradBuffer().data;
    const dBHh = p.bHh ? p.bHh.gradBuffer().data : null;
    for (let t = T - 1; t >= 0; t--) {
      const sPrev = previous(t);
      dPrev.fill(0);
      k.gruBackward({
        ...step,
        T: 1,
        xProj: xProj.subarray(t * B * G, (t + 1) * B * G),
        dXProj: dX.subarray(t * B * G, (t + 1) * B * G),
        dh0: dPrev,
        dWHh,
        dBHh,
        dy: dStates ? dStates.subarray(t * B * H, (t + 1) * B * H) : null,
        dyOff: 0,
        ldy: H,
        dhN: dNext,
        h0: sPrev,
        cache: stepCache(t)!,
      });
      // dc_t = (the readout's share) + dx_t W_c
      if (dContexts) dContext.set(dContexts.subarray(t * B * D, (t + 1) * B * D));
      else dContext.fill(0);
      k.gemm(false, false, B, D, G, 1, dX, t * B * G, G, p.wIh.data, E, I, 1, dContext, 0, D);
      const dq = dQ.subarray(t * B * A, (t + 1) * B * A);
      k.attentionBackward({ ...attention, q: queries.subarray(t * B * A, (t + 1) * B * A), dq, dKeys, dValues, dv, dContext, alpha: alpha.subarray(t * B * S, (t + 1) * B * S), u: null });
      // ds_{t−1} += dq_t W_q
      k.gemm(false, false, B, H, A, 1, dQ, t * B * A, A, wQ.data, 0, H, 1, dPrev, 0, H);
      [dNext, dPrev] = [dPrev, dNext];
    }
    if (wants(s0)) {
      const g = s0.gradBuffer().data;
      for (let j = 0; j < B * H; j++) g[j] += dNext[j];
    }
    // The weight gradients over all steps at once.
    if (wants(p.wIh)) {
      const dW = p.wIh.gradBuffer().data;
      k.gemm(true, false, G, E, N, 1, dX, 0, G, embedded.data, 0, E, 1, dW, 0, I);
      k.gemm(true, false, G, D, N, 1, dX, 0, G, contexts.data, 0, D, 1, dW, E, I);
    }
    if (wants(p.bIh)) k.addBiasBackward(p.bIh.gradBuffer().data, dX, N, G);
    if (wants(embedded)) k.gemm(false, false, N, E, G, 1, dX, 0, G, p.wIh.data, 0, I, 1, embedded.gradBuffer().data, 0, E);
    if (wants(wQ)) {
      const dW = wQ.gradBuffer().data;
      k.gemm(true, false, A, H, B, 1, dQ, 0, A, s0.data, 0, H, 1, dW, 0, H);
      if (T > 1) k.gemm(true, false, A, H, N - B, 1, dQ, B * A, A, states.data, 0, H, 1, dW, 0, H);
    }
    for (const b of [xProj, queries, alpha, cache!.gates, cache!.hPrev, cache!.hn, dX, dQ, dContext, dNext, dPrev]) tapeBuffers.give(b);
  });
  return { states, contexts };
}
