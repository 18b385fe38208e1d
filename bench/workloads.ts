/** The benchmark workloads (issue #3): the same GRU, PyTorch semantics, float32. */
export interface Workload {
  id: string;
  kind: 'inference' | 'train';
  B: number;
  T: number;
  I: number;
  H: number;
  what: string;
}

export const workloads: Workload[] = [
  { id: 'A', kind: 'inference', B: 32, T: 100, I: 64, H: 256, what: 'inference B=32 T=100 I=64 H=256' },
  { id: 'B', kind: 'inference', B: 1, T: 100, I: 64, H: 256, what: 'latency B=1 T=100 I=64 H=256' },
  { id: 'C', kind: 'train', B: 32, T: 50, I: 32, H: 128, what: 'training step B=32 T=50 I=32 H=128, Dense(1), MSE, Adam' },
  { id: 'D', kind: 'train', B: 64, T: 100, I: 128, H: 512, what: 'training step B=64 T=100 I=128 H=512, Dense(1), MSE, Adam' },
];

/** Multiply-adds ×2 of the GRU's matrix products; training counts forward + backward (3×). */
export function flops(w: Workload): number {
  const forward = 2 * w.T * w.B * 3 * w.H * (w.I + w.H);
  return w.kind === 'train' ? 3 * forward : forward;
}

/** Deterministic inputs in [−1, 1). */
export function inputs(w: Workload): { x: Float32Array; y: Float32Array } {
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 31 - 1;
  const x = Float32Array.from({ length: w.B * w.T * w.I }, next);
  const y = Float32Array.from({ length: w.B }, next);
  return { x, y };
}
