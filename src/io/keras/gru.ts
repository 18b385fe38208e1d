/**
 * Keras' GRU as gru-ts runs it: the weight mapping onto {@link GRU}
 * (PyTorch layout), and the run — the GRU module itself where Keras' GRU is
 * PyTorch's (tanh/sigmoid, no mask), else a step loop over the same
 * weights that follows Keras' masking and activations.
 *
 * Keras and PyTorch compute the same GRU up to conventions:
 *
 * | Keras GRU                                             | gru-ts GRU (PyTorch names)                           |
 * |-------------------------------------------------------|------------------------------------------------------|
 * | gate order z, r, h                                    | gate order r, z, n                                   |
 * | kernel [I, 3U], columns [z, r, h]                     | weight_ih_l0 [3U, I] = kernelᵀ, rows [r; z; n]       |
 * | recurrent_kernel [U, 3U], columns [z, r, h]           | weight_hh_l0 [3U, U] = recurrent_kernelᵀ, rows [r; z; n] |
 * | bias [2, 3U] (reset_after=True): row 0 input, row 1 recurrent | bias_ih_l0 = row 0, bias_hh_l0 = row 1, each [r; z; n] |
 * | bias [3U] (reset_after=False): input bias only        | bias_ih_l0 = bias [r; z; n], bias_hh_l0 = 0          |
 * | use_bias=False                                        | bias: false                                          |
 * | reset_after True / False                              | resetAfter true / false                              |
 * | hh = act(x W_h + b_h + r ⊙ (h U_h + b_rh)) (reset_after) | n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn))         |
 * | hh = act(x W_h + b_h + (r ⊙ h) U_h) (reset_before)    | n = tanh(W_n x + b_in + U_n (r ⊙ h) + b_hn)          |
 * | h = z ⊙ h₋₁ + (1 − z) ⊙ hh                            | h' = (1 − z) ⊙ n + z ⊙ h                             |
 * | Bidirectional forward / backward layer                | direction 0 / 1 (`_reverse`) of one bidirectional GRU |
 *
 * Keras semantics the run keeps (keras/src/backend/torch/rnn.py, rnn()):
 * - go_backwards: steps run from last to first and the outputs stay in that
 *   (reversed) order; Bidirectional flips its backward layer's outputs back.
 * - mask (from Embedding(mask_zero) or Masking): at a masked step the state
 *   is kept and the output repeats the previous output (zeros before the
 *   first unmasked step), or is zero with zero_output_for_mask (which
 *   Bidirectional sets when it returns sequences). The last output is the
 *   output of the last step run.
 *
 * Dimensions: B batch, T steps, I input features, U units, G = 3U.
 *
 * @module
 */
import { Tensor, shapeString } from '../../tensor/tensor.js';
import { GRU } from '../../nn/gru.js';
import { constant } from '../../autograd/var.js';
import { backend } from '../../kernels/index.js';
import { linear } from '../../autograd/ops/linear.js';
import type { GruDirectionParams } from '../../autograd/ops/gru.js';
import { GruError } from '../../errors.js';
import { elementwise } from './activations.js';
import type { KerasGruSpec } from './spec.js';

/** Keras gate column block g (z = 0, r = 1, h = 2) that feeds PyTorch gate row block p (r = 0, z = 1, n = 2). */
const KERAS_BLOCK_OF = [1, 0, 2] as const;

/**
 * Maps one Keras GRU's weights — kernel [I, 3U], recurrent_kernel [U, 3U],
 * bias [2, 3U] / [3U] / absent — onto the state dict of one direction of a
 * {@link GRU} (`suffix` '' or '_reverse' after `_l0`), per the table above.
 * `where` names the layer in errors.
 *
 * @throws a {@link GruError} ('INVALID_FILE') when the weights' count or shapes do not match the layer's configuration.
 */
export function kerasGruToPyTorch(weights: readonly Tensor[], g: KerasGruSpec, inputSize: number, suffix: '' | '_reverse', where: string): Record<string, Tensor> {
  const U = g.units,
    I = inputSize,
    G = 3 * U;
  const want = g.useBias ? 3 : 2;
  if (weights.length !== want) throw new GruError('INVALID_FILE', `${where}: expected ${want} weights (kernel, recurrent_kernel${g.useBias ? ', bias' : ''}), found ${weights.length}`);
  const [kernel, recurrent, bias] = weights;
  const expect = (t: Tensor, shape: number[], what: string) => {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new GruError('INVALID_FILE', `${where}: ${what} must have shape ${shapeString(shape)} (units ${U}, input size ${I}, reset_after ${g.resetAfter}), got ${shapeString(t.shape)}`);
    }
  };
  expect(kernel, [I, G], 'kernel');
  expect(recurrent, [U, G], 'recurrent_kernel');
  if (bias) expect(bias, g.resetAfter ? [2, G] : [G], 'bias');

  const wIh = new Float32Array(G * I); // (G, I) rows [r; z; n]
  const wHh = new Float32Array(G * U); // (G, U)
  const bIh = new Float32Array(G),
    bHh = new Float32Array(G);
  for (let p = 0; p < 3; p++) {
    const col = KERAS_BLOCK_OF[p] * U;
    for (let j = 0; j < U; j++) {
      for (let i = 0; i < I; i++) wIh[(p * U + j) * I + i] = kernel.data[i * G + col + j];
      for (let k = 0; k < U; k++) wHh[(p * U + j) * U + k] = recurrent.data[k * G + col + j];
      if (bias) {
        bIh[p * U + j] = bias.data[col + j];
        if (g.resetAfter) bHh[p * U + j] = bias.data[G + col + j];
      }
    }
  }
  const dict: Record<string, Tensor> = {
    [`weight_ih_l0${suffix}`]: new Tensor(wIh, [G, I]),
    [`weight_hh_l0${suffix}`]: new Tensor(wHh, [G, U]),
  };
  if (g.useBias) {
    dict[`bias_ih_l0${suffix}`] = new Tensor(bIh, [G]);
    dict[`bias_hh_l0${suffix}`] = new Tensor(bHh, [G]);
  }
  return dict;
}

/** The GRU module for a Keras GRU (both directions of a Bidirectional in one). */
export function gruModule(g: KerasGruSpec, inputSize: number, bidirectional: boolean): GRU {
  return new GRU({ inputSize, hiddenSize: g.units, bias: g.useBias, resetAfter: g.resetAfter, batchFirst: true, bidirectional });
}

/** Whether Keras' GRU computes PyTorch's (so the GRU module can run it). */
export const isPyTorchForm = (g: KerasGruSpec): boolean => g.activation === 'tanh' && g.recurrentActivation === 'sigmoid';

/** One direction's result: y (B, T, U) in processing order with returnSequences, else the last output (B, U); h the final state (B, U). */
export interface GruRun {
  y: Tensor;
  h: Tensor;
}

/** x (B, T, C) reversed along T. */
export function flipTime(x: Tensor): Tensor {
  const [B, T] = x.shape;
  const C = x.size / (B * T);
  const out = new Float32Array(x.size);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) out.set(x.data.subarray((b * T + t) * C, (b * T + t + 1) * C), (b * T + (T - 1 - t)) * C);
  }
  return new Tensor(out, x.shape);
}

/** Columns [from, from + n) of the last axis of x (…, C). */
export function sliceLast(x: Tensor, from: number, n: number): Tensor {
  const C = x.shape[x.shape.length - 1];
  const rows = x.size / C;
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(x.data.subarray(r * C + from, r * C + from + n), r * n);
  return new Tensor(out, [...x.shape.slice(0, -1), n]);
}

/**
 * Runs a Keras GRU (one direction) with the GRU module: x (B, T, I), no mask,
 * tanh/sigmoid. go_backwards feeds the steps reversed, so the outputs come
 * in processing order as Keras returns them.
 */
export function runGruModule(gru: GRU, x: Tensor, g: KerasGruSpec): GruRun {
  const [B] = x.shape;
  const { output, hN } = gru.forward(g.goBackwards ? flipTime(x) : x);
  const h = new Tensor(Float32Array.from(hN.data), [B, g.units]);
  return { y: g.returnSequences ? new Tensor(Float32Array.from(output.data), output.shape) : h, h };
}

/**
 * Runs one direction of a Keras GRU step by step, as Keras' rnn loop does:
 * any element-wise activations, a mask (B·T, 1 = step present) or none.
 * The input projection x W_ihᵀ + b_ih of all steps is one matrix product
 * up front; each step is one product h W_hhᵀ for the whole batch (two with
 * reset_after=False: (r ⊙ h) W_hnᵀ comes after the gates), then the gate
 * math row by row, skipping masked rows.
 */
export function runGruSteps(p: GruDirectionParams, x: Tensor, mask: Uint8Array | null, g: KerasGruSpec, kerasMajor: number): GruRun {
  const [B, T] = x.shape;
  const U = g.units,
    G = 3 * U;
  const k = backend();
  const act = elementwise(g.activation, kerasMajor);
  const recAct = elementwise(g.recurrentActivation, kerasMajor);
  const xp = linear(constant(x), p.wIh, p.bIh).data; // (B, T, G): x W_ihᵀ + b_ih, gates [r, z, n]
  const wHh = p.wHh.data; // (G, U)
  const bHh = p.bHh?.data ?? null; // (G)
  const h = new Float32Array(B * U); // (B, U) state
  const prev = new Float32Array(B * U); // (B, U) previous output
  const y = new Float32Array(g.returnSequences ? B * T * U : B * U);
  const hh = new Float32Array(B * G); // (B, G) h W_hhᵀ + b_hh; with reset_after=False only the r, z columns
  const rh = new Float32Array(B * U); // (B, U) r ⊙ h (reset_after=False)
  const hn = new Float32Array(B * U); // (B, U) (r ⊙ h) W_hnᵀ + b_hn (reset_after=False)
  const z = new Float32Array(U);
  const cols = g.resetAfter ? G : 2 * U;
  for (let s = 0; s < T; s++) {
    const t = g.goBackwards ? T - 1 - s : s;
    const on = (b: number) => mask === null || mask[b * T + t] !== 0;
    k.gemm(false, true, B, cols, U, 1, h, 0, U, wHh, 0, U, 0, hh, 0, G);
    if (bHh) for (let b = 0; b < B; b++) for (let c = 0; c < cols; c++) hh[b * G + c] += bHh[c];
    if (!g.resetAfter) {
      // n needs r first: r ⊙ h for every row, then one product with W_hn (rows 2U… of W_hh).
      for (let b = 0; b < B; b++) {
        const xr = (b * T + t) * G;
        for (let j = 0; j < U; j++) rh[b * U + j] = recAct(xp[xr + j] + hh[b * G + j]) * h[b * U + j];
      }
      k.gemm(false, true, B, U, U, 1, rh, 0, U, wHh, 2 * U * U, U, 0, hn, 0, U);
      if (bHh) for (let b = 0; b < B; b++) for (let j = 0; j < U; j++) hn[b * U + j] += bHh[2 * U + j];
    }
    for (let b = 0; b < B; b++) {
      const hb = b * U;
      if (on(b)) {
        const xr = (b * T + t) * G,
          hr = b * G;
        for (let j = 0; j < U; j++) z[j] = recAct(xp[xr + U + j] + hh[hr + U + j]);
        for (let j = 0; j < U; j++) {
          // reset_after: n = act(x_n + r ⊙ (h W_hnᵀ + b_hn)); else act(x_n + (r ⊙ h) W_hnᵀ + b_hn)
          const n = g.resetAfter ? act(xp[xr + 2 * U + j] + recAct(xp[xr + j] + hh[hr + j]) * hh[hr + 2 * U + j]) : act(xp[xr + 2 * U + j] + hn[hb + j]);
          h[hb + j] = z[j] * h[hb + j] + (1 - z[j]) * n;
        }
        prev.set(h.subarray(hb, hb + U), hb);
      } else if (g.zeroOutputForMask) {
        prev.fill(0, hb, hb + U);
      } // else the output repeats prev, the state stays
      if (g.returnSequences) y.set(prev.subarray(hb, hb + U), (b * T + s) * U);
    }
  }
  if (!g.returnSequences) y.set(prev);
  return { y: new Tensor(y, g.returnSequences ? [B, T, U] : [B, U]), h: new Tensor(h, [B, U]) };
}
