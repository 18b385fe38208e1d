/** Reference pointwise, bias, loss and embedding kernels, each forward beside its backward. */
import type { FloatArray } from '../../tensor/tensor.js';
import type { UnaryOp } from '../backend.js';

export function sigmoid(v: number): number {
  // Split by sign so exp never overflows.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function addBias(out: FloatArray, bias: FloatArray, N: number, C: number): void {
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[n * C + c] += bias[c];
}

export function addBiasBackward(dBias: FloatArray, dOut: FloatArray, N: number, C: number): void {
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) dBias[c] += dOut[n * C + c];
}

export function unaryForward(op: UnaryOp, out: FloatArray, x: FloatArray): void {
  const n = x.length;
  switch (op) {
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0;
      break;
    case 'identity':
      out.set(x);
      break;
  }
}

export function unaryBackward(op: UnaryOp, dx: FloatArray, dy: FloatArray, y: FloatArray): void {
  const n = dy.length;
  switch (op) {
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] += dy[i] * (1 - y[i] * y[i]);
      break; // y = tanh(x)
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1 - y[i]);
      break; // y = σ(x)
    case 'relu':
      for (let i = 0; i < n; i++) if (y[i] > 0) dx[i] += dy[i];
      break; // y = max(x, 0)
    case 'identity':
      for (let i = 0; i < n; i++) dx[i] += dy[i];
      break;
  }
}

export function softmaxCrossEntropyForward(probs: FloatArray, logits: FloatArray, targets: Int32Array, N: number, C: number): number {
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) if (logits[o + c] > max) max = logits[o + c];
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[o + c] - max);
    for (let c = 0; c < C; c++) probs[o + c] = Math.exp(logits[o + c] - max) / sum;
    const t = targets[n];
    if (t >= 0) loss += Math.log(sum) + max - logits[o + t]; // −log softmax(t), computed stably
  }
  return loss;
}

export function softmaxCrossEntropyBackward(dLogits: FloatArray, probs: FloatArray, targets: Int32Array, N: number, C: number, scale: number): void {
  for (let n = 0; n < N; n++) {
    const t = targets[n];
    if (t < 0) continue;
    const o = n * C;
    for (let c = 0; c < C; c++) dLogits[o + c] += scale * (probs[o + c] - (c === t ? 1 : 0));
  }
}

export function embeddingForward(out: FloatArray, table: FloatArray, ids: Int32Array, D: number): void {
  for (let n = 0; n < ids.length; n++) out.set(table.subarray(ids[n] * D, ids[n] * D + D), n * D);
}

export function embeddingBackward(dTable: FloatArray, dOut: FloatArray, ids: Int32Array, D: number): void {
  for (let n = 0; n < ids.length; n++) {
    const row = ids[n] * D;
    for (let d = 0; d < D; d++) dTable[row + d] += dOut[n * D + d];
  }
}
