/** Loss functions, each returning a scalar Var of shape [1]. */
import { Tensor, allocateLike, shapeString } from '../../tensor/tensor.js';
import { backend } from '../../kernels/index.js';
import { Var, record, wants } from '../var.js';
import { GruError } from '../../errors.js';

/** Mean squared error, mean over all elements (PyTorch's reduction='mean'). */
export function mseLoss(pred: Var, target: Var): Var {
  if (pred.value.size !== target.value.size) {
    throw new GruError('INVALID_ARGUMENT', `mseLoss: prediction ${shapeString(pred.shape)} and target ${shapeString(target.shape)} must have the same size`);
  }
  const n = pred.value.size;
  const out = new Var(new Tensor(allocateLike(pred.data, 1), [1]));
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const d = pred.data[i] - target.data[i];
    acc += d * d;
  }
  out.data[0] = acc / n;
  record('mseLoss', [pred, target], [out], () => {
    if (!out.grad) return;
    // L = (1/n) Σ (p − t)²  →  dp = 2(p − t)/n,  dt = −dp
    const s = (2 * out.grad.data[0]) / n;
    if (wants(pred)) {
      const g = pred.gradBuffer().data;
      for (let i = 0; i < n; i++) g[i] += s * (pred.data[i] - target.data[i]);
    }
    if (wants(target)) {
      const g = target.gradBuffer().data;
      for (let i = 0; i < n; i++) g[i] -= s * (pred.data[i] - target.data[i]);
    }
  });
  return out;
}

/**
 * Softmax cross-entropy over the last axis, mean over rows whose target is
 * not `ignoreIndex` (PyTorch's nn.CrossEntropyLoss with class indices).
 * logits (…, C), targets one class id per row.
 */
export function crossEntropy(logits: Var, targets: Int32Array | readonly number[], ignoreIndex = -100): Var {
  const C = logits.shape[logits.shape.length - 1];
  const N = logits.value.size / C;
  if (targets.length !== N) throw new GruError('INVALID_ARGUMENT', `crossEntropy: expected ${N} targets (one per row of ${shapeString(logits.shape)}), got ${targets.length}`);
  const t = new Int32Array(N);
  let counted = 0;
  for (let i = 0; i < N; i++) {
    const v = targets[i];
    if (v === ignoreIndex) {
      t[i] = -1;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= C) throw new GruError('INVALID_ARGUMENT', `crossEntropy: target ${i} must be a class id in [0, ${C}), got ${v}`);
    t[i] = v;
    counted++;
  }
  const k = backend();
  const probs = allocateLike(logits.data, N * C);
  const total = k.softmaxCrossEntropyForward(probs, logits.data, t, N, C);
  const out = new Var(new Tensor(allocateLike(logits.data, 1), [1]));
  out.data[0] = counted > 0 ? total / counted : 0;
  record('crossEntropy', [logits], [out], () => {
    if (!out.grad || counted === 0) return;
    k.softmaxCrossEntropyBackward(logits.gradBuffer().data, probs, t, N, C, out.grad.data[0] / counted);
  });
  return out;
}
