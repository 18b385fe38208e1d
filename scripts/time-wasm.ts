/**
 * Quick timings of the wasm backend (not a test, not the benchmark):
 *   node --import tsx scripts/time-wasm.ts [--threads N] [--tfjs] [--only gemm,A,C,full]
 *
 * gemm   sgemm 512³ and 1024×1024×1024 through backend.gemm (copies included)
 * A      gruForward kernel, B=32 T=100 I=64 H=256 (inference, no cache)
 * C      gruForward (with cache) + gruBackward kernels, B=32 T=50 I=32 H=128
 * full   bench/engines' steps through the library: GRU.forward on A (batch-first),
 *        GRU → Linear → MSE → Adam on C, with backend wasm (and tfjs wasm with --tfjs)
 * FLOPs are counted as bench/workloads.ts does (forward 2·T·B·3H·(I+H); training 3×).
 */
import { backend, setBackend, gruCacheSizes, refBackend, type Backend } from '../src/index.js';
import { workloads, flops, type Workload } from '../bench/workloads.js';
import { gruTsEngine } from '../bench/engines/gru-ts.js';

const args = process.argv.slice(2);
const opt = (n: string): string | undefined => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = opt('--only')?.split(',');
const want = (k: string): boolean => !only || only.includes(k);
const threadsOpt = opt('--threads');

setBackend('wasm');
const be: Backend = backend();
if (be.setThreads && threadsOpt) be.setThreads(Number(threadsOpt));
const threads = be.threads ? be.threads() : 1;
console.log(`backend ${be.name}, threads ${be.threads ? be.threads() : 1}`);

function rand(n: number, scale = 1, seed = 1): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = scale * (s / 2 ** 31 - 1);
  }
  return a;
}

/**
 * Fastest ms of fn over ≥ 5 runs and ≥ 1 s, after a warm-up (the minimum, not
 * the median: on a shared 2-core machine other processes only ever add time).
 * Also keeps the process CPU time of that run (all threads): CPU ≈ threads ×
 * wall means every thread was busy; less means threads waited.
 */
let lastCpu = 0;
function time(fn: () => void, minRuns = 5, minMs = 1000): number {
  fn();
  let best = Infinity;
  let total = 0;
  for (let n = 0; n < minRuns || (total < minMs && n < 200); n++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (dt < best) {
      best = dt;
      lastCpu = (c.user + c.system) / 1000;
    }
    total += dt;
  }
  return best;
}

const report = (what: string, ms: number, flop: number, cpu: number | null = lastCpu): void =>
  console.log(`${what.padEnd(58)} ${ms.toFixed(2).padStart(8)} ms  ${(flop / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s${cpu === null ? '' : `  (cpu ${cpu.toFixed(1)} ms)`}`);

if (want('gemm')) {
  for (const [M, N, K] of [
    [512, 512, 512],
    [1024, 1024, 1024],
    [3200, 768, 64],
    [32, 768, 256],
  ]) {
    const A = rand(M * K),
      B = rand(K * N, 1, 2),
      C = new Float32Array(M * N);
    const ms = time(() => be.gemm(false, true, M, N, K, 1, A, 0, K, B, 0, K, 0, C, 0, N));
    report(`gemm NT ${M}×${N}×${K}`, ms, 2 * M * N * K);
  }
}

function gruSetup(w: Workload, withCache: boolean) {
  const { T, B, I, H } = w;
  const G = 3 * H;
  const k = 1 / Math.sqrt(H);
  const weights = { wIh: rand(G * I, k, 3), wHh: rand(G * H, k, 4), bIh: rand(G, k, 5), bHh: rand(G, k, 6) };
  const x = rand(T * B * I, 1, 7),
    h0 = new Float32Array(B * H);
  const s = gruCacheSizes({ T, B, I, H });
  const cache = withCache ? { gates: new Float32Array(s.gates), hPrev: new Float32Array(s.hPrev), hn: new Float32Array(s.hn) } : null;
  const y = new Float32Array(T * B * H),
    hN = new Float32Array(B * H);
  const mode = { T, B, I, H, ...weights, reverse: false, resetAfter: true, lengths: null };
  const fwd = { ...mode, y, yOff: 0, ldy: H, hN, x, h0, cache };
  return { mode, fwd, x, h0, cache, weights };
}

const wA = workloads.find((w) => w.id === 'A')!;
const wC = workloads.find((w) => w.id === 'C')!;

if (want('A')) {
  const { fwd } = gruSetup(wA, false);
  report(
    `A gruForward kernel (${wA.what})`,
    time(() => be.gruForward(fwd)),
    flops(wA),
  );
  const { fwd: f2 } = gruSetup(wA, true);
  report(
    'A gruForward kernel with cache',
    time(() => be.gruForward(f2)),
    flops(wA),
  );
}

if (want('C')) {
  const { T, B, I, H } = wC;
  const { mode, fwd, x, h0, cache } = gruSetup(wC, true);
  const dy = null,
    dhN = rand(B * H, 1, 8);
  const g = { dx: new Float32Array(T * B * I), dh0: new Float32Array(B * H), dWIh: new Float32Array(3 * H * I), dWHh: new Float32Array(3 * H * H), dBIh: new Float32Array(3 * H), dBHh: new Float32Array(3 * H) };
  const bwd = { ...mode, ...g, dy, dyOff: 0, ldy: H, dhN, x, h0, cache: cache! };
  report(
    'C gruForward kernel (with cache)',
    time(() => be.gruForward(fwd)),
    flops(wC) / 3,
  );
  be.gruForward(fwd);
  report(
    'C gruBackward kernel',
    time(() => be.gruBackward(bwd)),
    (2 * flops(wC)) / 3,
  );
  report(
    'C forward + backward kernels',
    time(() => {
      be.gruForward(fwd);
      be.gruBackward(bwd);
    }),
    flops(wC),
  );
  if (args.includes('--ref'))
    report(
      'C forward + backward kernels, ref',
      time(
        () => {
          refBackend.gruForward(fwd);
          refBackend.gruBackward(bwd);
        },
        1,
        0,
      ),
      flops(wC),
    );
}

if (want('full')) {
  for (const w of [wA, wC]) {
    const step = await gruTsEngine('wasm', threads > 1 ? threads : undefined).prepare(w);
    if (typeof step === 'string') continue;
    report(
      `${w.id} full step, gru-ts wasm`,
      time(() => void step()),
      flops(w),
    );
  }
  if (args.includes('--tfjs')) {
    const { tfjsEngine } = await import('../bench/engines/tfjs.js');
    for (const w of [wA, wC]) {
      const e = tfjsEngine('wasm');
      const step = await e.prepare(w);
      if (typeof step === 'string') continue;
      await step();
      const ts: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await step();
        ts.push(performance.now() - t0);
      }
      ts.sort((a, b) => a - b);
      report(`${w.id} full step, tfjs wasm`, ts[2], flops(w), null);
      e.release?.();
    }
  }
}
process.exit(0);
