/**
 * `npm run bench:long`: memory-lean training of long sequences (issue #6).
 * For T = 1k, 10k, 100k steps (hidden 128, batch 8, token inputs from a
 * vocabulary of 50k, a linear readout per step with MSE): time per training
 * step (forward + backward + Adam) and peak memory of
 *   - full BPTT, sparse input (token ids gathered into the input projection),
 *   - checkpointed BPTT (k ≈ √T), sparse input,
 *   - truncated BPTT (chunks of 1k steps, state carried, gradient cut), sparse input,
 *   - full BPTT with a dense one-hot input (T·B·50k numbers: only where it fits).
 * Each configuration runs alone in a child process so its peak RSS is its own.
 * Options: --T 1000,10000 (the lengths), --modes full,checkpoint (a subset).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Adam, GRU, Linear, Rng, Tensor, backend, backward, constant, detach, mseLoss, reshape, tokenSequence, type SparseSequence, type Var } from '../src/index.js';

const [V, H, B, CHUNK] = [50_000, 128, 8, 1000];
const modes = ['full', 'checkpoint', 'truncated', 'dense'] as const;
type Mode = (typeof modes)[number];
const labels: Record<Mode, string> = {
  full: 'full BPTT, sparse',
  checkpoint: 'checkpointed (k≈√T), sparse',
  truncated: `truncated (${CHUNK}-step chunks), sparse`,
  dense: 'full BPTT, dense one-hot',
};
/** Beyond this many input numbers the dense one-hot is not attempted (4 GB of float32). */
const DENSE_LIMIT = 1e9;

/** One training step over the whole sequence; returns its milliseconds. */
function trainStep(mode: Mode, T: number, gru: GRU, head: Linear, opt: Adam, ids: Int32Array, target: Float32Array): number {
  const t0 = performance.now();
  const chunk = mode === 'truncated' ? CHUNK : T;
  let h: Var | undefined;
  for (let a = 0; a < T; a += chunk) {
    const n = Math.min(chunk, T - a);
    const rows = ids.subarray(a * B, (a + n) * B);
    let x: Tensor | SparseSequence;
    if (mode === 'dense') {
      const oneHot = Tensor.zeros([n, B, V]);
      rows.forEach((id, r) => (oneHot.data[r * V + id] = 1));
      x = oneHot;
    } else {
      x = tokenSequence(rows, n, B, V);
    }
    opt.zeroGrad();
    const { output, hN } = gru.forward(x, { h0: h && detach(h) });
    const pred = head.forward(reshape(output, [n * B, H]));
    backward(mseLoss(pred, constant(new Tensor(target.subarray(a * B, (a + n) * B), [n * B, 1]))));
    opt.step();
    h = hN;
  }
  return performance.now() - t0;
}

function child(mode: Mode, T: number, steps: number): void {
  const rng = new Rng(1);
  const ids = Int32Array.from({ length: T * B }, () => rng.int(V));
  const target = Float32Array.from({ length: T * B }, () => rng.range(-1, 1));
  const gru = new GRU({ inputSize: V, hiddenSize: H, checkpoint: mode === 'checkpoint' ? 'auto' : undefined, seed: 1 });
  const head = new Linear({ inFeatures: H, outFeatures: 1, seed: 2 });
  const opt = new Adam([...gru.parameters(), ...head.parameters()], { lr: 1e-3 });
  const before = process.memoryUsage().rss / 2 ** 20;
  const times: number[] = [];
  for (let s = 0; s < steps; s++) times.push(trainStep(mode, T, gru, head, opt, ids, target));
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ ms, peakMB: process.resourceUsage().maxRSS / 1024, modelMB: before, backend: backend().name }));
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as Mode, Number(process.argv[4]), Number(process.argv[5]));
} else {
  const lengths = (arg('--T') ?? '1000,10000,100000').split(',').map(Number);
  const chosen = (arg('--modes')?.split(',') ?? modes) as Mode[];
  console.log(`Long sequences: one training step (forward + backward + Adam), B = ${B}, H = ${H}, token inputs over a vocabulary of ${V.toLocaleString('en')}, linear readout + MSE per step.`);
  console.log('Peak RSS of the whole process (the model and Adam state take about the "model" column before the first step).\n');
  console.log('| T | configuration | ms / step | peak MB | model MB |');
  console.log('|---:|---|---:|---:|---:|');
  for (const T of lengths) {
    for (const mode of chosen) {
      let row: string;
      if (mode === 'dense' && T * B * V > DENSE_LIMIT) {
        row = `| ${T} | ${labels[mode]} | — | needs ${((T * B * V * 4) / 2 ** 30).toFixed(0)} GB for the one-hot input alone | — |`;
      } else {
        const steps = T <= 1000 ? 5 : T <= 10_000 ? 3 : 1;
        const out = execFileSync(process.execPath, ['--import', 'tsx', '--expose-gc', fileURLToPath(import.meta.url), '--child', mode, String(T), String(steps)], {
          encoding: 'utf8',
          timeout: 1_200_000,
          maxBuffer: 1 << 20,
        });
        const r = JSON.parse(out.trim().split('\n').pop()!);
        row = `| ${T} | ${labels[mode]} | ${r.ms.toFixed(0)} | ${r.peakMB.toFixed(0)} | ${r.modelMB.toFixed(0)} |`;
      }
      console.log(row);
    }
  }
}
