/**
 * Row-wise softmax cross-entropy forward (src/kernels/ref/elementwise.ts):
 * probs = softmax(logits) per row, e^(x − max) by exp4, the row sum in
 * float64; returns Σ −log softmax(target) over rows whose target is ≥ 0.
 * Targets must be < C (the loader checks them).
 */
import { exp1, exp4 } from './math';

export function softmaxCrossEntropyForward(probs: usize, logits: usize, targets: usize, N: i32, C: i32): f64 {
  let loss: f64 = 0;
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < N; r++) {
    const x = logits + <usize>r * rowBytes;
    const p = probs + <usize>r * rowBytes;
    let top: f32 = -Infinity;
    for (let c = 0; c < C; c++) top = max(top, load<f32>(x + (<usize>c << 2)));
    const m = f32x4.splat(top);
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const e = exp4(f32x4.sub(v128.load(x + (<usize>c << 2)), m));
      v128.store(p + (<usize>c << 2), e);
      acc = f32x4.add(acc, e);
    }
    let sum: f64 = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    for (; c < C; c++) {
      const e = exp1(load<f32>(x + (<usize>c << 2)) - top);
      store<f32>(p + (<usize>c << 2), e);
      sum += <f64>e;
    }
    const inv = f32x4.splat(<f32>(1.0 / sum));
    c = 0;
    for (; c + 4 <= C; c += 4) v128.store(p + (<usize>c << 2), f32x4.mul(v128.load(p + (<usize>c << 2)), inv));
    for (; c < C; c++) store<f32>(p + (<usize>c << 2), load<f32>(p + (<usize>c << 2)) * f32x4.extract_lane(inv, 0));
    const t = load<i32>(targets + (<usize>r << 2));
    if (t >= 0) loss += Math.log(sum) + <f64>top - <f64>load<f32>(x + (<usize>t << 2));
  }
  return loss;
}
