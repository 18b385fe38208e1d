/** A GRU whose candidate state reads an attention-weighted sum of its own earlier states. */
import { Tensor, assertFinite, shapeString, type DType } from '../tensor/tensor.js';
import { uniformInit } from '../tensor/init.js';
import { Rng } from '../tensor/random.js';
import { Var, constant } from '../autograd/var.js';
import { swapAxes01 } from '../autograd/ops/basic.js';
import { attentionGru } from '../autograd/ops/attention-gru.js';
import { Module } from './module.js';

export interface AttentionGRUOptions {
  inputSize: number;
  hiddenSize: number;
  /** Size of the attention's hidden layer (default hiddenSize). */
  attentionSize?: number;
  /**
   * Attend to the last `window` states only (local attention: O(window) time
   * and memory per step). 0 or omitted: all earlier states. A window wider
   * than the sequence is clamped to it.
   */
  window?: number;
  bias?: boolean;
  batchFirst?: boolean;
  seed?: number;
  dtype?: DType;
}

/**
 * Attention inside the recurrence (additive, Bahdanau style). With states
 * S_0 = h0 and S_t the state after step t, step t reads the memory
 * M = S_{t−w} … S_{t−1} (all earlier states without a window):
 *
 *   e_j = vᵀ tanh(W_a S_j + U_a S_{t−1}),  α = softmax(e),  c_t = Σ_j α_j S_j   (c_1 = h0)
 *   r_t = σ(W_r x_t + b_ir + U_r S_{t−1} + b_hr),  z_t = σ(W_z x_t + b_iz + U_z S_{t−1} + b_hz)
 *   n_t = tanh(W_n x_t + b_in + U_n (r_t ⊙ c_t) + b_hn)
 *   S_t = (1 − z_t) ⊙ n_t + z_t ⊙ S_{t−1}
 *
 * W_a S_j is computed once per state, not once per pair. With window 1 the
 * context is the previous state and this is exactly a GRU in the Cho / ONNX
 * form (`resetAfter: false`). Parameters: weight_ih, weight_hh, bias_ih,
 * bias_hh (PyTorch GRU layout, gates r, z, n), attn_w (W_a), attn_u (U_a), attn_v (v).
 */
export class AttentionGRU extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly attentionSize: number;
  readonly window: number;
  readonly batchFirst: boolean;
  readonly params: { wIh: Var; wHh: Var; bIh: Var | null; bHh: Var | null; wA: Var; uA: Var; v: Var };

  constructor(o: AttentionGRUOptions) {
    super();
    for (const [name, v] of [['inputSize', o.inputSize], ['hiddenSize', o.hiddenSize], ['attentionSize', o.attentionSize ?? 1]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`AttentionGRU: ${name} must be a positive integer, got ${v}`);
    }
    const w = o.window ?? 0;
    if (!Number.isInteger(w) || w < 0) throw new Error(`AttentionGRU: window must be a positive integer (or 0 for all states), got ${o.window}`);
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.attentionSize = o.attentionSize ?? o.hiddenSize;
    this.window = w;
    this.batchFirst = o.batchFirst ?? false;
    const H = this.hiddenSize, A = this.attentionSize;
    const rng = new Rng(o.seed ?? 0);
    const init = (shape: number[], fan: number) => uniformInit(shape, 1 / Math.sqrt(fan), rng, o.dtype);
    const bias = o.bias ?? true;
    this.params = {
      wIh: this.param('weight_ih', init([3 * H, o.inputSize], H)),
      wHh: this.param('weight_hh', init([3 * H, H], H)),
      bIh: bias ? this.param('bias_ih', init([3 * H], H)) : null,
      bHh: bias ? this.param('bias_hh', init([3 * H], H)) : null,
      wA: this.param('attn_w', init([A, H], H)),
      uA: this.param('attn_u', init([A, H], H)),
      v: this.param('attn_v', init([A], A)),
    };
  }

  /**
   * x (T, B, inputSize) — (B, T, ·) when batchFirst — and optional h0 (B, H).
   * Returns output (T, B, H) (batch-first likewise), hN (B, H) and the
   * attention weights (T, B, W): for step t, slot k is state S_{t+1−W+k}
   * (slots before S_0 are 0).
   */
  forward(x: Tensor | Var, opts: { h0?: Tensor | Var } = {}): { output: Var; hN: Var; attention: Tensor } {
    const xv = x instanceof Var ? x : constant(x);
    if (xv.shape.length !== 3 || xv.shape[2] !== this.inputSize) {
      throw new Error(`AttentionGRU.forward: input must have shape ${this.batchFirst ? '[B, T, ' : '[T, B, '}${this.inputSize}], got ${shapeString(xv.shape)}`);
    }
    assertFinite(xv.value, 'AttentionGRU.forward input');
    const input = this.batchFirst ? swapAxes01(xv) : xv;
    const [T, B] = input.shape;
    if (T === 0 || B === 0) throw new Error(`AttentionGRU.forward: input needs at least one step and one sequence, got ${shapeString(xv.shape)}`);
    let h0: Var | null = null;
    if (opts.h0 !== undefined) {
      h0 = opts.h0 instanceof Var ? opts.h0 : constant(opts.h0);
      if (h0.shape.length !== 2 || h0.shape[0] !== B || h0.shape[1] !== this.hiddenSize) {
        throw new Error(`AttentionGRU.forward: h0 must have shape [${B}, ${this.hiddenSize}], got ${shapeString(h0.shape)}`);
      }
    }
    const { y, hN, attention } = attentionGru(input, h0, this.params, this.window);
    return { output: this.batchFirst ? swapAxes01(y) : y, hN, attention };
  }
}
