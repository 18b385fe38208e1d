// Quick timings of the native backend's kernels (not a test, no assertions):
// sgemm at 512³ (the machine's ceiling), GRU forward on workloads A and B,
// forward + backward on C, each on 1 and 2 threads; --ort also times ONNX
// Runtime on A and B (same GRU, PyTorch semantics) for comparison.
//
//   node --import tsx scripts/time-native.mjs [--ort] [--reps N]
import { loadNativeBackend } from '../src/kernels/native/index.ts';
import { gruCacheSizes } from '../src/kernels/backend.ts';

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1]) || 20;
const nb = loadNativeBackend();
if (!nb) {
  console.error('native addon not built (run: npx node-gyp rebuild)');
  process.exit(1);
}
console.log(`native backend: isa ${nb.isa}, default threads ${nb.threads()}`);

function rand(n, scale = 1, seed = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = scale * (s / 2 ** 31 - 1);
  }
  return a;
}

/** min and median milliseconds of `reps` runs after 3 warm-ups. */
async function time(fn, n = reps) {
  for (let i = 0; i < 3; i++) await fn();
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { min: t[0], med: t[Math.floor(t.length / 2)] };
}

const fmt = (label, flop, r) =>
  console.log(`${label.padEnd(44)} min ${r.min.toFixed(3).padStart(8)} ms  median ${r.med.toFixed(3).padStart(8)} ms  ${(flop / r.min / 1e6).toFixed(1).padStart(6)} GFLOP/s (best)  ${(flop / r.med / 1e6).toFixed(1).padStart(6)} (median)`);

function gruSetup(B, T, I, H, training) {
  const G = 3 * H;
  const w = { wIh: rand(G * I, 0.1, 2), wHh: rand(G * H, 0.1, 3), bIh: rand(G, 0.1, 4), bHh: rand(G, 0.1, 5) };
  const x = rand(T * B * I, 1, 6), h0 = new Float32Array(B * H);
  const y = new Float32Array(T * B * H), hN = new Float32Array(B * H);
  const s = gruCacheSizes({ T, B, I, H });
  const cache = training ? { gates: new Float32Array(s.gates), hPrev: new Float32Array(s.hPrev), hn: new Float32Array(s.hn) } : null;
  const mode = { T, B, I, H, ...w, reverse: false, resetAfter: true, lengths: null };
  const fwd = () => nb.gruForward({ ...mode, y, yOff: 0, ldy: H, hN, x, h0, cache });
  const g = { dx: new Float32Array(T * B * I), dh0: new Float32Array(B * H), dWIh: new Float32Array(G * I), dWHh: new Float32Array(G * H), dBIh: new Float32Array(G), dBHh: new Float32Array(G) };
  const dy = rand(T * B * H, 0.01, 7);
  const bwd = () => nb.gruBackward({ ...mode, ...g, dy, dyOff: 0, ldy: H, dhN: null, x, h0, cache });
  return { fwd, bwd, flop: 2 * T * B * G * (I + H) };
}

const workloads = [
  { id: 'A', B: 32, T: 100, I: 64, H: 256, train: false },
  { id: 'B', B: 1, T: 100, I: 64, H: 256, train: false },
  { id: 'C', B: 32, T: 50, I: 32, H: 128, train: true },
];

for (const threads of [1, 2]) {
  nb.setThreads(threads);
  for (const n of [512, 1024]) {
    const a = rand(n * n, 1, 8), b = rand(n * n, 1, 9), c = new Float32Array(n * n);
    const r = await time(() => nb.gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n), n === 512 ? 3 * reps : reps);
    fmt(`sgemm ${n}³ ×${threads}`, 2 * n ** 3, r);
  }
  for (const w of workloads) {
    const s = gruSetup(w.B, w.T, w.I, w.H, w.train);
    if (!w.train) fmt(`${w.id}: forward B=${w.B} T=${w.T} I=${w.I} H=${w.H} ×${threads}`, s.flop, await time(s.fwd));
    else {
      fmt(`${w.id}: forward (cached) ×${threads}`, s.flop, await time(s.fwd));
      s.fwd();
      fmt(`${w.id}: backward ×${threads}`, 2 * s.flop, await time(s.bwd));
      fmt(`${w.id}: forward + backward ×${threads}`, 3 * s.flop, await time(() => { s.fwd(); s.bwd(); }));
    }
  }
}

if (args.includes('--ort')) {
  const ortModule = await import('onnxruntime-node');
  const ort = ortModule.default ?? ortModule;
  const { GRU, exportGruToOnnx } = await import('../src/index.ts');
  for (const w of workloads.filter((x) => !x.train)) {
    for (const threads of [1, 2]) {
      const gru = new GRU({ inputSize: w.I, hiddenSize: w.H, batchFirst: true, seed: 1 });
      const session = await ort.InferenceSession.create(exportGruToOnnx(gru), {
        intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
      });
      const feeds = { input: new ort.Tensor('float32', rand(w.B * w.T * w.I), [w.B, w.T, w.I]) };
      fmt(`${w.id}: onnxruntime ×${threads}`, 2 * w.T * w.B * 3 * w.H * (w.I + w.H), await time(() => session.run(feeds)));
    }
  }
}
