/**
 * A/B timing of two checkouts of gru-ts in one process, interleaved call by
 * call (a noisy machine's drift hits both alike): GRU.forward (inference) on
 * each backend for the bench's workloads A and B and a one-step call, and a
 * small gemm, each timed as the median of alternating runs.
 *
 *   node --expose-gc --import tsx bench/ab-trees.ts <other checkout> [--reps 41] [--only <part of a case's name>]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const otherRoot = resolve(args[0] ?? '');
const reps = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 41;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';
type Lib = typeof import('../src/index.js');
const here = (await import('../src/index.js')) as Lib;
const other = (await import(pathToFileURL(resolve(otherRoot, 'src/index.ts')).href)) as Lib;
const libs: [string, Lib][] = [
  ['other', other],
  ['this', here],
];
console.log(`this: ${fileURLToPath(new URL('..', import.meta.url))}, other: ${otherRoot}`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1];
}

/** One step function per library; times them alternately, `reps` each (after a warm-up), and prints the medians. */
function ab(what: string, make: (lib: Lib) => () => void): void {
  if (!what.includes(only)) return;
  const steps = libs.map(([, lib]) => make(lib));
  for (const s of steps) {
    s();
    s();
  }
  const t: number[][] = steps.map(() => []);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < steps.length; i++) {
      const t0 = performance.now();
      steps[i]();
      t[i].push(performance.now() - t0);
    }
  }
  const m = t.map(median);
  const unit = m[0] < 0.1 ? 'µs' : 'ms';
  const f = (v: number) => (unit === 'µs' ? (v * 1000).toFixed(1) : v.toFixed(2));
  console.log(`${what.padEnd(46)} other ${f(m[0]).padStart(8)} ${unit}   this ${f(m[1]).padStart(8)} ${unit}   this/other ${(m[1] / m[0]).toFixed(3)}`);
}

for (const backendName of ['native', 'wasm']) {
  for (const threads of [1, 2]) {
    for (const [id, B, T] of [
      ['A', 32, 100],
      ['B', 1, 100],
      ['one step', 1, 1],
    ] as const) {
      ab(`${id} B=${B} T=${T} GRU.forward ${backendName} ×${threads}`, (lib) => {
        lib.setBackend(backendName);
        lib.backend().setThreads?.(threads);
        const b = lib.backend();
        const gru = new lib.GRU({ inputSize: 64, hiddenSize: 256, batchFirst: true, seed: 1 });
        gru.eval();
        const x = new lib.Tensor(
          Float32Array.from({ length: B * T * 64 }, (_, i) => Math.sin(i)),
          [B, T, 64],
        );
        return () => {
          lib.setBackend(b.name);
          b.setThreads?.(threads);
          lib.noGrad(() => gru.forward(x));
        };
      });
    }
  }
  ab(`AttentionGRU w=32 train step T=200 B=1 H=32 ${backendName}`, (lib) => {
    lib.setBackend(backendName);
    const b = lib.backend();
    b.setThreads?.(1);
    const model = new lib.AttentionGRU({ inputSize: 16, hiddenSize: 32, attentionSize: 32, window: 32 });
    const x = new lib.Tensor(
      Float32Array.from({ length: 200 * 16 }, (_, i) => Math.sin(i)),
      [200, 1, 16],
    );
    return () => {
      lib.setBackend(b.name);
      const { output } = model.forward(new lib.Var(x));
      lib.backward(lib.sum(output));
    };
  });
  ab(`gemm 8×64×64 ${backendName}`, (lib) => {
    lib.setBackend(backendName);
    const b = lib.backend();
    const A = new Float32Array(8 * 64).fill(0.5),
      Bm = new Float32Array(64 * 64).fill(0.25),
      C = new Float32Array(8 * 64);
    return () => {
      for (let i = 0; i < 100; i++) b.gemm(false, true, 8, 64, 64, 1, A, 0, 64, Bm, 0, 64, 0, C, 0, 64);
    };
  });
}
