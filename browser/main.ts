/**
 * gru-ts in a browser: loads the WebAssembly kernels, checks them against the
 * plain-TypeScript reference backend (forward and gradients of a 2-layer
 * bidirectional GRU), trains a small sine forecaster on both, exports the
 * trained GRU to ONNX and safetensors bytes and reads them back, and times a
 * larger forward pass. Served cross-origin isolated (COOP/COEP headers: the
 * test's server and `npm run demo:browser` send them), the kernels run on Web
 * Workers (gru-mt.wasm, all cores); otherwise on the page's thread. Everything is seeded, so every run gives the same
 * numbers. The result is shown on the page and left in `window.__gruResult`
 * (test/browser.test.ts reads it). The page's microphone keyword spotting is
 * kws.ts (with `?only=kws`, the page runs that section alone).
 *
 * Everything comes from the browser entry, src/browser.ts ('gru-ts/browser'
 * for an installed package): the package root also exports the Node-only
 * parts (files, shipped data sets, PNG, the CLI).
 */
import wasmUrl from '../wasm/gru.wasm?url';
import relaxedWasmUrl from '../wasm/gru-relaxed.wasm?url';
import mtWasmUrl from '../wasm/gru-mt.wasm?url';
import mtRelaxedWasmUrl from '../wasm/gru-mt-relaxed.wasm?url';
import {
  Adam,
  GRU,
  Linear,
  Rng,
  Tensor,
  backend,
  backendNames,
  backward,
  clipGradNorm,
  constant,
  exportGruToOnnx,
  importOnnxGru,
  initThreadedWasmBackend,
  initWasmBackend,
  lineChart,
  mseLoss,
  noGrad,
  parseSafetensors,
  registerBackend,
  serializeSafetensors,
  setBackend,
  sliceRows,
  type Backend,
  type Var,
  type WasmBackend,
} from '../src/browser.js';
import type { GruBrowserResult } from './result.js';
import { setupKws } from './kws.js';

declare global {
  interface Window {
    __gruResult?: GruBrowserResult | { ok: false; error: string };
  }
}

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const fmt = (x: number, d = 3): string => (Math.abs(x) !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(d));
const nextFrame = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** The standard feature test: a function returning a v128 (wasm-feature-detect's simd probe). */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** Wraps the backend so that every call into it is counted (same name, same behaviour). */
function counted(b: Backend, counts: Record<string, number>): Backend {
  return new Proxy(b, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        counts[prop] = (counts[prop] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function uniform(rng: Rng, shape: number[], scale = 1): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = scale * rng.range(-1, 1);
  return t;
}

function compare(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let abs = 0,
    rel = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= abs)) abs = d; // NaN propagates
    const r = d / Math.max(1, Math.abs(b[i]));
    if (!(r <= rel)) rel = r;
  }
  return { abs, rel };
}

/** Forward and backward of one seeded GRU on the named backend: outputs and every gradient. */
function gruRun(name: string, shape: GruBrowserResult['parity']['shape']): { arrays: Record<string, Float32Array>; used: string } {
  setBackend(name);
  const { T, B, I, H, numLayers, bidirectional } = shape;
  const gru = new GRU({ inputSize: I, hiddenSize: H, numLayers, bidirectional, seed: 7 });
  const x = uniform(new Rng(11), [T, B, I]);
  const lengths = Array.from({ length: B }, (_, b) => T - 3 * b); // variable lengths, like a packed sequence
  const { output, hN } = gru.forward(x, { lengths });
  const target = uniform(new Rng(12), [...output.shape], 0.5);
  backward(mseLoss(output, constant(target)));
  const arrays: Record<string, Float32Array> = { output: Float32Array.from(output.data), hN: Float32Array.from(hN.data) };
  for (const [n, p] of gru.namedParameters()) arrays[`grad ${n}`] = Float32Array.from(p.grad!.data);
  return { arrays, used: backend().name };
}

/** A noisy two-tone sine; windows of `T` steps and the value after each. */
function sineBatch(T: number, B: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(3);
  const series = (t: number) => 0.7 * Math.sin((2 * Math.PI * t) / 24) + 0.25 * Math.sin((2 * Math.PI * t) / 7);
  const x = Tensor.zeros([T, B, 1]),
    y = Tensor.zeros([B, 1]);
  for (let b = 0; b < B; b++) {
    const start = Math.floor(rng.range(0, 500));
    for (let t = 0; t < T; t++) x.data[t * B + b] = series(start + t) + 0.02 * rng.range(-1, 1);
    y.data[b] = series(start + T);
  }
  return { x, y };
}

interface Trained {
  losses: number[];
  msPerStep: number;
  used: string;
  gru: GRU;
  x: Tensor;
}

/** Trains GRU(1→16) + Linear(16→1) with Adam; returns the loss before each step, the time per step and the GRU. */
function train(name: string, steps: number): Trained {
  setBackend(name);
  const T = 20,
    B = 64,
    H = 16;
  const { x, y } = sineBatch(T, B);
  const gru = new GRU({ inputSize: 1, hiddenSize: H, seed: 1 });
  const head = new Linear({ inFeatures: H, outFeatures: 1, seed: 2 });
  const opt = new Adam([...gru.parameters(), ...head.parameters()], { lr: 0.02 });
  const losses: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const { hN } = gru.forward(x);
    const loss: Var = mseLoss(head.forward(sliceRows(hN, 0, 1, [B, H])), constant(y));
    losses.push(loss.data[0]);
    opt.zeroGrad();
    backward(loss);
    clipGradNorm(opt.params, 5);
    opt.step();
  }
  return { losses, msPerStep: (performance.now() - t0) / steps, used: backend().name, gru, x };
}

/** The trained GRU exported as ONNX and as safetensors bytes, each read back into a GRU: largest output difference on `x`. */
function roundTrip(gru: GRU, x: Tensor): GruBrowserResult['exported'] {
  const output = (g: GRU): Float32Array => Float32Array.from(noGrad(() => g.forward(x)).output.data);
  const want = output(gru);
  const onnx = exportGruToOnnx(gru);
  const imported = importOnnxGru(onnx);
  if (!imported.gru) throw new Error(`importOnnxGru: ${imported.gruUnavailable}`);
  const safetensors = serializeSafetensors(gru.stateDict(), { producer: 'gru-ts browser demo' });
  const loaded = new GRU({ inputSize: gru.inputSize, hiddenSize: gru.hiddenSize, seed: 99 });
  loaded.loadStateDict(parseSafetensors(safetensors).tensors);
  return {
    onnxBytes: onnx.byteLength,
    safetensorsBytes: safetensors.byteLength,
    onnxMaxDiff: compare(output(imported.gru), want).abs,
    safetensorsMaxDiff: compare(output(loaded), want).abs,
  };
}

/** Best time of `reps` no-tape forward passes on the named backend (after one warm-up pass). */
function timeForward(name: string, shape: { T: number; B: number; I: number; H: number }, reps: number): number {
  setBackend(name);
  const gru = new GRU({ inputSize: shape.I, hiddenSize: shape.H, seed: 5 });
  const x = uniform(new Rng(6), [shape.T, shape.B, shape.I]);
  noGrad(() => gru.forward(x)); // warm-up
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    noGrad(() => gru.forward(x));
    ms.push(performance.now() - t0);
  }
  return Math.min(...ms);
}

/** The output of the seeded no-tape forward pass that timeForward times, on the current backend. */
function forwardOutput(shape: { T: number; B: number; I: number; H: number }): Float32Array {
  const gru = new GRU({ inputSize: shape.I, hiddenSize: shape.H, seed: 5 });
  const x = uniform(new Rng(6), [shape.T, shape.B, shape.I]);
  return Float32Array.from(noGrad(() => gru.forward(x)).output.data);
}

/** The two loss curves (log scale), drawn by the library's SVG line chart. */
function lossChart(wasm: number[], ref: number[]): string {
  const steps = wasm.map((_, i) => i);
  return lineChart({
    series: [
      { name: 'ref', x: steps, y: ref, color: '#f39c12', lineWidth: 5 },
      { name: 'wasm', x: steps, y: wasm, color: '#1f6feb', lineWidth: 1.5 },
    ],
    logY: true,
    width: 600,
    height: 260,
    xLabel: 'step',
    yLabel: 'loss (MSE)',
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const status = $('status');

  // 1. The kernels: relaxed-simd (fused multiply-adds) where this browser validates it, else plain
  // SIMD; the shared-memory build on Web Workers where the page is cross-origin isolated, else the
  // single-threaded one; register it as 'wasm'.
  const isolated = globalThis.crossOriginIsolated === true;
  const urls = isolated ? [mtRelaxedWasmUrl, mtWasmUrl] : [relaxedWasmUrl, wasmUrl];
  const [relaxedBytes, bytes] = await Promise.all(urls.map(async (u) => (await fetch(u)).arrayBuffer()));
  const wasm: WasmBackend = isolated ? await initThreadedWasmBackend([relaxedBytes, bytes]) : await initWasmBackend([relaxedBytes, bytes]);
  const threads = wasm.threads?.() ?? 1;
  const build = `gru${isolated ? '-mt' : ''}${wasm.relaxedSimd ? '-relaxed' : ''}.wasm`;
  const wasmCalls: Record<string, number> = {};
  registerBackend(counted(wasm, wasmCalls));
  const simd = WebAssembly.validate(SIMD_PROBE);
  const backends = backendNames();
  $('env').innerHTML = `<h2>Environment</h2><table>
    <tr><td>browser</td><td>${navigator.userAgent}</td></tr>
    <tr><td>WebAssembly SIMD</td><td>${simd ? '<span class="ok">yes</span>' : '<span class="bad">no</span>'} (${build}, ${((wasm.relaxedSimd ? relaxedBytes : bytes).byteLength / 1024).toFixed(1)} KiB, compiled)</td></tr>
    <tr><td>threads</td><td>${threads} (${isolated ? 'cross-origin isolated: Web Workers on shared memory' : "not cross-origin isolated: the page's thread only"})</td></tr>
    <tr><td>backends</td><td>${backends.join(', ')}</td></tr></table>`;
  status.textContent = 'Comparing wasm with ref…';
  await nextFrame();

  // 2. Parity: the same seeded GRU, forward and backward, on both backends.
  const shape = { T: 20, B: 4, I: 8, H: 16, numLayers: 2, bidirectional: true };
  const w = gruRun('wasm', shape);
  const r = gruRun('ref', shape);
  const perArray: Record<string, number> = {};
  let maxAbsDiff = 0,
    maxRelDiff = 0;
  for (const k of Object.keys(r.arrays)) {
    const d = compare(w.arrays[k], r.arrays[k]);
    perArray[k] = d.rel;
    maxAbsDiff = Math.max(maxAbsDiff, d.abs);
    maxRelDiff = Math.max(maxRelDiff, d.rel);
  }
  const good = maxRelDiff <= 1e-5;
  $('parity').innerHTML = `<h2>wasm against ref</h2>
    <p>2-layer bidirectional GRU, T=${shape.T}, B=${shape.B}, input ${shape.I}, hidden ${shape.H}, lengths ${shape.T}…${shape.T - 3 * (shape.B - 1)};
    output, final state and all ${Object.keys(perArray).length - 2} parameter gradients:
    largest difference <b>${maxAbsDiff.toExponential(2)}</b> (relative ${maxRelDiff.toExponential(2)})
    <span class="${good ? 'ok' : 'bad'}">${good ? '✓ within 1e-5' : '✗ above 1e-5'}</span></p>`;
  status.textContent = 'Training a sine forecaster…';
  await nextFrame();

  // 3. Training: the same seeded run on both backends.
  const steps = 60;
  const tw = train('wasm', steps);
  const tr = train('ref', steps);
  const initialLoss = tw.losses[0],
    finalLoss = tw.losses[steps - 1];
  const chart = lossChart(tw.losses, tr.losses);
  $('train').innerHTML = `<h2>Training</h2>
    <p>GRU(1→16) + Linear, next value of a two-tone sine from the previous 20, batch 64, Adam (lr 0.02), ${steps} steps.
    Loss <b>${fmt(initialLoss, 4)}</b> → <b>${fmt(finalLoss, 4)}</b> (÷${(initialLoss / finalLoss).toFixed(0)});
    ${fmt(tw.msPerStep, 2)} ms per step on wasm, ${fmt(tr.msPerStep, 2)} ms on ref.</p>
    ${chart}`;
  status.textContent = 'Exporting the trained GRU…';
  await nextFrame();

  // 4. Export: the trained GRU as ONNX and safetensors bytes, read back (no files: all in memory).
  setBackend('wasm');
  const exported = roundTrip(tw.gru, tw.x);
  const same = exported.onnxMaxDiff <= 1e-6 && exported.safetensorsMaxDiff <= 1e-6;
  $('export').innerHTML = `<h2>Export</h2>
    <p>The trained GRU as ONNX (${(exported.onnxBytes / 1024).toFixed(1)} KiB) and safetensors (${(exported.safetensorsBytes / 1024).toFixed(1)} KiB),
    each read back into a new GRU: output differences ${exported.onnxMaxDiff.toExponential(1)} and ${exported.safetensorsMaxDiff.toExponential(1)}
    <span class="${same ? 'ok' : 'bad'}">${same ? '✓ the same model' : '✗ not the same'}</span></p>`;
  status.textContent = 'Timing a larger forward pass…';
  await nextFrame();

  // 5. Speed: a larger forward pass, no tape; with threads, also on one thread (the same output).
  const big = { T: 100, B: 32, I: 64, H: 128 };
  const msWasm = timeForward('wasm', big, 5);
  let oneThread: { ms: number; maxDiff: number } | null = null;
  if (threads > 1) {
    const many = forwardOutput(big);
    wasm.setThreads!(1);
    oneThread = { ms: timeForward('wasm', big, 5), maxDiff: compare(forwardOutput(big), many).abs };
    wasm.setThreads!(threads);
  }
  const msRef = timeForward('ref', big, 2);
  setBackend('wasm');
  $('speed').innerHTML = `<h2>Speed</h2><table>
    <tr><th>GRU forward, T=${big.T}, B=${big.B}, input ${big.I}, hidden ${big.H}</th><th>ms</th></tr>
    <tr><td>wasm (${wasm.relaxedSimd ? 'relaxed ' : ''}SIMD, ${threads} thread${threads > 1 ? 's' : ''})</td><td class="num">${fmt(msWasm, 1)}</td></tr>
    ${oneThread ? `<tr><td>wasm, one thread (output difference ${oneThread.maxDiff.toExponential(1)})</td><td class="num">${fmt(oneThread.ms, 1)}</td></tr>` : ''}
    <tr><td>ref (plain TypeScript)</td><td class="num">${fmt(msRef, 1)}</td></tr>
    <tr><td>speed-up</td><td class="num">${(msRef / msWasm).toFixed(1)}×</td></tr></table>`;

  const result: GruBrowserResult = {
    ok: true,
    userAgent: navigator.userAgent,
    simd,
    relaxedSimd: wasm.relaxedSimd,
    wasmBytes: (wasm.relaxedSimd ? relaxedBytes : bytes).byteLength,
    backends,
    parity: { shape, maxAbsDiff, maxRelDiff, perArray, backendUsed: { wasm: w.used, ref: r.used } },
    training: {
      steps,
      losses: tw.losses,
      refLosses: tr.losses,
      initialLoss,
      finalLoss,
      msPerStepWasm: tw.msPerStep,
      msPerStepRef: tr.msPerStep,
      backendUsed: tw.used,
    },
    exported,
    lossChartBytes: chart.length,
    speed: { shape: big, msWasm, msRef, speedup: msRef / msWasm, oneThread },
    threads,
    crossOriginIsolated: isolated,
    wasmCalls,
    wasmMemoryBytes: wasm.memoryBytes(),
    totalMs: performance.now() - t0,
  };
  $('json').textContent = JSON.stringify(result, null, 2);
  status.textContent = `Done in ${(result.totalMs / 1000).toFixed(1)} s.`;
  window.__gruResult = result;
}

setupKws();

// ?only=kws: the microphone section alone (test/browser-mic.test.ts), without the kernels' checks and timings.
if (new URLSearchParams(location.search).get('only') === 'kws') {
  $('status').textContent = 'Microphone keyword spotting only (?only=kws).';
} else {
  main().catch((e: unknown) => {
    const error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    $('status').innerHTML = `<span class="bad">Failed:</span> ${error.replace(/&/g, '&amp;').replace(/</g, '&lt;')}`;
    window.__gruResult = { ok: false, error };
  });
}
