/** A GRU whose candidate state reads an attention-weighted sum of its own earlier states. */
import { Tensor, assertFinite, shapeString, type DType } from '../tensor/tensor.js';
import { uniformInit } from '../tensor/init.js';
import { Rng } from '../tensor/random.js';
import { Var, constant } from '../autograd/var.js';
import { swapAxes01 } from '../autograd/ops/basic.js';
import { attentionGru, type AttentionGruForm, type PredictiveWindow } from '../autograd/ops/attention-gru.js';
import { Module } from './module.js';
import { GruError } from '../errors.js';

export interface AttentionGRUOptions {
  inputSize: number;
  hiddenSize: number;
  /** Size of the attention's hidden layer (default hiddenSize). */
  attentionSize?: number;
  /**
   * Attend to the last `window` states only (local attention: O(window) time
   * and memory per step). 0 or omitted: all earlier states. A window wider
   * than the sequence is clamped to it. Not together with `local`.
   */
  window?: number;
  /**
   * Luong's local-p attention (Effective Approaches to Attention-based NMT,
   * Luong et al. 2015, §3.2): each step attends to the 2D + 1 states around a
   * position it predicts, D = `halfWidth` (a positive integer), weighted by a
   * Gaussian centred there; O(D) time and memory per step. Adds the
   * parameters attn_pw (W_p) and attn_pv (v_p). The equations are in the
   * class's documentation. Not together with `window`.
   */
  local?: PredictiveWindow;
  bias?: boolean;
  /** The candidate reads r ⊙ c (true, default) or the context alone (false, as seed 003). */
  resetContext?: boolean;
  /** The memory holds h0 (true, default) or only the states after it (false, as seed 003: zero context at t = 1). */
  attendInitial?: boolean;
  /** z weighs the previous state ('previous', default, as PyTorch) or the candidate ('candidate', as seed 003 and Cho et al. 2014). */
  updateGate?: 'previous' | 'candidate';
  batchFirst?: boolean;
  seed?: number;
  dtype?: DType;
}

/**
 * Attention inside the recurrence (additive, Bahdanau style). With states
 * S_0 = h0 and S_t the state after step t (t = 1 … T), step t reads the
 * memory M_t ⊆ S_0 … S_{t−1}:
 *
 *   e_j = vᵀ tanh(W_a S_j + U_a S_{t−1})  (j ∈ M_t),   α = softmax_{j∈M_t}(e)
 *   c_t = Σ_{j∈M_t} β_j S_j,   β_j = α_j (global and `window`),  β_j = α_j G_j (`local`)
 *   r_t = σ(W_r x_t + b_ir + U_r S_{t−1} + b_hr),  z_t = σ(W_z x_t + b_iz + U_z S_{t−1} + b_hz)
 *   n_t = tanh(W_n x_t + b_in + U_n (r_t ⊙ c_t) + b_hn)      (U_n c_t with resetContext: false)
 *   S_t = (1 − z_t) ⊙ n_t + z_t ⊙ S_{t−1}                   (updateGate 'candidate': (1 − z_t) ⊙ S_{t−1} + z_t ⊙ n_t)
 *
 * Seed 003 writes the cell without biases, without the reset gate on the
 * context, over the memory h_1 … h_{t−1} (an empty sum, zero context, at
 * t = 1) and with z weighing the candidate; `{ bias: false, resetContext:
 * false, attendInitial: false, updateGate: 'candidate' }` (the preset
 * {@link SEED_003_FORM} plus `bias: false`) computes exactly its equations.
 *
 * Memory M_t (with attendInitial: false, S_0 is left out of each):
 *  - global (default): all of S_0 … S_{t−1} (so c_1 = h0);
 *  - `window: w`: the last w states, S_{max(0, t−w)} … S_{t−1};
 *  - `local: { kind: 'predictive', halfWidth: D }` (Luong local-p), with
 *    W_p (A × H) and v_p (A):
 *      p_t = t · σ(v_pᵀ tanh(W_p S_{t−1}))                    ∈ [0, t]
 *      M_t = { j integer : round(p_t) − D ≤ j ≤ round(p_t) + D } ∩ [0, t − 1]
 *      G_j = exp(−(j − p_t)² / (2σ²)),  σ = D / 2
 *    round is Math.round (halves round up); M_t is never empty and holds at
 *    most 2D + 1 states. As in Luong et al., the Gaussian multiplies the
 *    softmax weights without renormalising, so Σ β_j ≤ 1 (at t = 1, c_1 =
 *    G_0 h0). The window's placement round(p_t) is piecewise constant in
 *    p_t and passes no gradient: W_p and v_p learn through G_j alone,
 *    ∂β_j/∂p_t = β_j (j − p_t) / σ².
 *
 * W_a S_j is computed once per state, not once per pair. With window 1 the
 * context is the previous state and this is exactly a GRU in the Cho / ONNX
 * form (`resetAfter: false`). Parameters: weight_ih, weight_hh, bias_ih,
 * bias_hh (PyTorch GRU layout, gates r, z, n), attn_w (W_a), attn_u (U_a),
 * attn_v (v), and with `local` attn_pw (W_p) and attn_pv (v_p).
 */
/** Seed 003's form of the cell (with `bias: false`, exactly its equations; see {@link AttentionGRU}). */
export const SEED_003_FORM: Required<AttentionGruForm> = Object.freeze({ resetContext: false, attendInitial: false, updateGate: 'candidate' });

export class AttentionGRU extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly attentionSize: number;
  /** Trailing window (0: global, or when `local` is set). */
  readonly window: number;
  /** The predictive (local-p) window, or null. */
  readonly local: PredictiveWindow | null;
  readonly batchFirst: boolean;
  /** The cell's departures from seed 003 (all defaults: the library's form). */
  readonly form: Required<AttentionGruForm>;
  readonly params: { wIh: Var; wHh: Var; bIh: Var | null; bHh: Var | null; wA: Var; uA: Var; v: Var; wP: Var | null; vP: Var | null };

  constructor(o: AttentionGRUOptions) {
    super();
    for (const [name, v] of [
      ['inputSize', o.inputSize],
      ['hiddenSize', o.hiddenSize],
      ['attentionSize', o.attentionSize ?? 1],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new GruError('INVALID_ARGUMENT', `AttentionGRU: ${name} must be a positive integer, got ${v}`);
    }
    const w = o.window ?? 0;
    if (!Number.isInteger(w) || w < 0) throw new GruError('INVALID_ARGUMENT', `AttentionGRU: window must be a positive integer (or 0 for all states), got ${o.window}`);
    let local: PredictiveWindow | null = null;
    if (o.local !== undefined) {
      const l = o.local as { kind?: unknown; halfWidth?: unknown } | null;
      if (l === null || typeof l !== 'object' || l.kind !== 'predictive') {
        throw new GruError('INVALID_ARGUMENT', `AttentionGRU: local must be { kind: 'predictive', halfWidth: D }, got ${JSON.stringify(o.local)}`);
      }
      if (!Number.isInteger(l.halfWidth) || (l.halfWidth as number) <= 0) {
        throw new GruError('INVALID_ARGUMENT', `AttentionGRU: local.halfWidth must be a positive integer, got ${String(l.halfWidth)}`);
      }
      if (w !== 0) throw new GruError('INVALID_ARGUMENT', `AttentionGRU: window and local are two kinds of local attention; give one, got window ${w} and local.halfWidth ${l.halfWidth}`);
      local = { kind: 'predictive', halfWidth: l.halfWidth as number };
    }
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.attentionSize = o.attentionSize ?? o.hiddenSize;
    this.window = w;
    this.local = local;
    this.batchFirst = o.batchFirst ?? false;
    if (o.updateGate !== undefined && o.updateGate !== 'previous' && o.updateGate !== 'candidate') {
      throw new GruError('INVALID_ARGUMENT', `AttentionGRU: updateGate must be 'previous' or 'candidate', got ${JSON.stringify(o.updateGate)}`);
    }
    this.form = { resetContext: o.resetContext ?? true, attendInitial: o.attendInitial ?? true, updateGate: o.updateGate ?? 'previous' };
    const H = this.hiddenSize,
      A = this.attentionSize;
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
      wP: local ? this.param('attn_pw', init([A, H], H)) : null,
      vP: local ? this.param('attn_pv', init([A], A)) : null,
    };
  }

  /**
   * x (T, B, inputSize) — (B, T, ·) when batchFirst — and optional h0 (B, H).
   * Returns output (T, B, H) (batch-first likewise), hN (B, H), the
   * attention weights β (T, B, W) and `start` (T, B): for step t (0-based
   * here) and sequence b, slot k holds the weight of state
   * S_{start[t, b] + k}, oldest first; slots past the window are 0. Global:
   * W = T and start 0; `window` w: W = min(w, T), start max(0, t + 1 − w);
   * `local`: W = min(2D + 1, T), start max(0, round(p) − D), and `position`
   * (T, B) holds the predicted p (null otherwise). These are always in
   * (T, B, ·) order, also when batchFirst.
   */
  forward(x: Tensor | Var, opts: { h0?: Tensor | Var } = {}): { output: Var; hN: Var; attention: Tensor; start: Tensor; position: Tensor | null } {
    const xv = x instanceof Var ? x : constant(x);
    if (xv.shape.length !== 3 || xv.shape[2] !== this.inputSize) {
      throw new GruError('INVALID_ARGUMENT', `AttentionGRU.forward: input must have shape ${this.batchFirst ? '[B, T, ' : '[T, B, '}${this.inputSize}], got ${shapeString(xv.shape)}`);
    }
    assertFinite(xv.value, 'AttentionGRU.forward input');
    const input = this.batchFirst ? swapAxes01(xv) : xv;
    const [T, B] = input.shape;
    if (T === 0 || B === 0) throw new GruError('INVALID_ARGUMENT', `AttentionGRU.forward: input needs at least one step and one sequence, got ${shapeString(xv.shape)}`);
    let h0: Var | null = null;
    if (opts.h0 !== undefined) {
      h0 = opts.h0 instanceof Var ? opts.h0 : constant(opts.h0);
      if (h0.shape.length !== 2 || h0.shape[0] !== B || h0.shape[1] !== this.hiddenSize) {
        throw new GruError('INVALID_ARGUMENT', `AttentionGRU.forward: h0 must have shape [${B}, ${this.hiddenSize}], got ${shapeString(h0.shape)}`);
      }
    }
    const { y, hN, attention, start, position } = attentionGru(input, h0, this.params, this.local ?? this.window, this.form);
    return { output: this.batchFirst ? swapAxes01(y) : y, hN, attention, start, position };
  }
}
