/**
 * `npm run bench:attention`: time per training step and peak memory of a
 * plain GRU, an AttentionGRU with a local window (w = 32), one with a Luong
 * local-p window (half-width 16, so 33 states) and one with global
 * attention, for T = 1k, 4k, 10k (B = 1, I = 16, H = 32, A = 32).
 * Each configuration runs alone in a child process so its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AttentionGRU, GRU, Rng, Tensor, Var, backend, backward, constant, mul, sum } from '../src/index.js';

const [I, H, A, W] = [16, 32, 32, 32];
const kinds = ['gru', 'local', 'local-p', 'global'] as const;
type Kind = (typeof kinds)[number];

function step(kind: Kind, T: number): number {
  const rng = new Rng(1);
  const x = Tensor.zeros([T, 1, I]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.range(-1, 1);
  const w = constant(
    Tensor.from(
      Array.from({ length: T * H }, () => rng.range(-1, 1)),
      [T, 1, H],
    ),
  );
  const model =
    kind === 'gru'
      ? new GRU({ inputSize: I, hiddenSize: H })
      : kind === 'local-p'
        ? new AttentionGRU({ inputSize: I, hiddenSize: H, attentionSize: A, local: { kind: 'predictive', halfWidth: W / 2 } })
        : new AttentionGRU({ inputSize: I, hiddenSize: H, attentionSize: A, window: kind === 'local' ? W : 0 });
  const t0 = performance.now();
  const { output } = model.forward(new Var(x));
  backward(sum(mul(output, w)));
  return performance.now() - t0;
}

if (process.argv[2] === '--child') {
  // The first step also compiles (JIT) the code; time the second.
  const kind = process.argv[3] as Kind,
    T = Number(process.argv[4]);
  step(kind, Math.min(T, 200));
  const ms = step(kind, T);
  console.log(JSON.stringify({ ms, peakMB: process.resourceUsage().maxRSS / 1024, backend: backend().name }));
} else {
  const base = JSON.parse(execFileSync(process.execPath, ['-e', 'console.log(JSON.stringify({ peakMB: process.resourceUsage().maxRSS / 1024 }))'], { encoding: 'utf8' })).peakMB;
  console.log(`Attention memory and time (one training step: forward + backward), B = 1, I = ${I}, H = ${H}, A = ${A}, local window ${W}; peak RSS above an idle Node (${base.toFixed(0)} MB)\n`);
  console.log('| T | plain GRU ms | MB | local w=32 ms | MB | local-p D=16 ms | MB | global ms | MB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const T of [1000, 4000, 10000]) {
    const cells = kinds.map((k) => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', k, String(T)], { encoding: 'utf8', timeout: 600_000 });
      const r = JSON.parse(out.trim().split('\n').pop()!);
      return `${r.ms.toFixed(0)} | ${(r.peakMB - base).toFixed(0)}`;
    });
    console.log(`| ${T} | ${cells.join(' | ')} |`);
  }
}
