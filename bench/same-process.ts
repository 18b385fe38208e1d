/**
 * `npm run bench:same-process`: gru-ts and ONNX Runtime in one process, as an
 * application that uses both runs them: interleaved in rounds of blocks, both
 * engines' thread pools alive the whole time (ONNX Runtime's workers spin
 * after each run, and the other engine pays for it). With `--busy`, a
 * CPU-bound child process (a noisy neighbour) runs on the machine meanwhile.
 * Prints each engine's median time per call on workloads A and B and the
 * ratios to ONNX Runtime with the same thread count.
 *
 *   npm run bench:same-process -- [--workloads A,B] [--rounds 12] [--block 20] [--busy]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import ort from 'onnxruntime-node';
import { GRU, Tensor, backend, backendNames, exportGruToOnnx, noGrad, setBackend } from '../src/index.js';
import { inputs, workloads, type Workload } from './workloads.js';
import { flag, opt } from './args.js';

const rounds = Number(opt('--rounds') ?? 12);
const block = Number(opt('--block') ?? 20);
const busy = flag('--busy');
const chosen = (opt('--workloads') ?? 'A,B').split(',');

interface Runner {
  name: string;
  threads: number;
  run(): void | Promise<unknown>;
}

/** gru-ts on the default backend with `threads` threads (set before each block: the engines share one process). */
function gruTs(w: Workload, threads: number): Runner {
  const gru = new GRU({ inputSize: w.I, hiddenSize: w.H, batchFirst: true, seed: 1 }).eval();
  const x = new Tensor(inputs(w).x, [w.B, w.T, w.I]);
  return {
    name: `gru-ts ${backend().name} ×${threads}`,
    threads,
    run: () => {
      backend().setThreads?.(threads);
      noGrad(() => gru.forward(x));
    },
  };
}

async function onnxRuntime(w: Workload, threads: number): Promise<Runner> {
  const gru = new GRU({ inputSize: w.I, hiddenSize: w.H, batchFirst: true, seed: 1 });
  const session = await ort.InferenceSession.create(exportGruToOnnx(gru), { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const feeds = { input: new ort.Tensor('float32', inputs(w).x, [w.B, w.T, w.I]) };
  return { name: `onnxruntime ×${threads}`, threads, run: () => session.run(feeds) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function main(): Promise<void> {
  if (backendNames().includes('native')) setBackend('native');
  let neighbour: ChildProcess | null = null;
  if (busy) neighbour = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    console.log(`# gru-ts (${backend().name}) and ONNX Runtime in one process, interleaved: ${rounds} rounds of ${block} calls each${busy ? ', beside a CPU-bound process' : ''}`);
    for (const w of workloads.filter((x) => x.kind === 'inference' && chosen.includes(x.id))) {
      const runners = [gruTs(w, 1), gruTs(w, 2), await onnxRuntime(w, 1), await onnxRuntime(w, 2)];
      const times = runners.map((): number[] => []);
      for (const r of runners) for (let i = 0; i < 3; i++) await r.run(); // warm-up
      for (let round = 0; round < rounds; round++) {
        // Each round in another order, so that no engine always follows the same one.
        const order = runners.map((_, i) => (i + round) % runners.length);
        for (const i of order) {
          for (let k = 0; k < block; k++) {
            const t0 = performance.now();
            await runners[i].run();
            times[i].push(performance.now() - t0);
          }
        }
      }
      console.log(`\n## ${w.id}: ${w.what}\n`);
      console.log('| engine | median ms | p10 | p90 | / ONNX Runtime, same threads |');
      console.log('|---|---:|---:|---:|---:|');
      runners.forEach((r, i) => {
        const ortSame = runners.findIndex((x) => x.name.startsWith('onnxruntime') && x.threads === r.threads);
        const ratio = r.name.startsWith('gru-ts') ? (median(times[i]) / median(times[ortSame])).toFixed(2) : '';
        console.log(`| ${r.name} | ${median(times[i]).toFixed(3)} | ${quantile(times[i], 0.1).toFixed(3)} | ${quantile(times[i], 0.9).toFixed(3)} | ${ratio} |`);
      });
    }
  } finally {
    neighbour?.kill();
  }
}

await main();
