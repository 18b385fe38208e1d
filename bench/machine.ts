/** Machine facts for the benchmark: the sgemm ceiling, and memory over many training steps. */
import { Adam, GRU, Linear, Tensor, backend, backendNames, backward, constant, mseLoss, setBackend, sliceRows } from '../src/index.js';
import { inputs, workloads } from './workloads.js';

/** GFLOP/s of the fastest backend's gemm at 1024³, on 1 thread and (if it threads) 2. */
export function measureCeiling(): { backend: string; gflops1: number; gflops2?: number } {
  const name = backendNames()[0];
  setBackend(name);
  const k = backend();
  const n = 1024;
  const a = new Float32Array(n * n).fill(0.5),
    b = new Float32Array(n * n).fill(0.25),
    c = new Float32Array(n * n);
  const run = () => {
    const reps = name === 'ref' ? 1 : 5;
    k.gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n);
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) k.gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n);
    return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
  };
  if (!k.setThreads) return { backend: name, gflops1: run() };
  const before = k.threads?.() ?? 1;
  k.setThreads(1);
  const gflops1 = run();
  k.setThreads(2);
  const gflops2 = run();
  k.setThreads(before);
  return { backend: name, gflops1, gflops2 };
}

/** Trains workload C for `steps` steps and prints memory at checkpoints: it must stay flat. */
export function measureFlatMemory(steps: number): void {
  const w = workloads.find((x) => x.id === 'C')!;
  const { x, y } = inputs(w);
  const gru = new GRU({ inputSize: w.I, hiddenSize: w.H, batchFirst: true, seed: 1 });
  const head = new Linear({ inFeatures: w.H, outFeatures: 1, seed: 2 });
  const opt = new Adam([...gru.parameters(), ...head.parameters()], { lr: 1e-3 });
  const xt = new Tensor(x, [w.B, w.T, w.I]);
  const target = constant(new Tensor(y, [w.B, 1]));
  const rows: string[] = [];
  for (let s = 1; s <= steps; s++) {
    const { hN } = gru.forward(xt);
    const loss = mseLoss(head.forward(sliceRows(hN, 0, 1, [w.B, w.H])), target);
    opt.zeroGrad();
    backward(loss);
    opt.step();
    if (s === 10 || s === 100 || s % 250 === 0) {
      // Twice: array buffers freed by a collection are swept concurrently, and counted until the next one starts.
      (globalThis as { gc?: () => void }).gc?.();
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      rows.push(`| ${s} | ${(m.rss / 2 ** 20).toFixed(1)} | ${(m.heapUsed / 2 ** 20).toFixed(1)} | ${(m.arrayBuffers / 2 ** 20).toFixed(1)} |`);
    }
  }
  console.log(`Memory over ${steps} training steps of workload C (backend ${backend().name}):\n`);
  console.log('| step | RSS MB | JS heap MB | array buffers MB |\n|---:|---:|---:|---:|');
  console.log(rows.join('\n'));
}
