// The WebAssembly backend in a real browser: builds the demo page (browser/)
// with Vite, serves it on 127.0.0.1, opens it in headless Chromium through
// playwright-core and checks what the page computed (window.__gruResult):
// wasm forward and gradients equal to ref, a training run that learns, the
// trained model through ONNX and safetensors bytes and back, and the wasm
// kernels really used. The page imports everything from src/browser.ts. `npm test` installs Debian's chromium first
// (scripts/ensure-chromium.mjs); without a browser this test fails, it never skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import type { GruBrowserResult } from '../browser/result.js';
import { serve } from './helpers/static-server.js';

const CHROMIUM = process.env.GRU_CHROMIUM || '/usr/bin/chromium';
const config = fileURLToPath(new URL('../browser/vite.config.ts', import.meta.url));
const wasmFile = fileURLToPath(new URL('../wasm/gru.wasm', import.meta.url));

test('browser: the wasm backend in headless Chromium matches ref and trains', { timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run \`node scripts/ensure-chromium.mjs\` (npm test does; it installs Debian's chromium ` + 'with apt-get) or set GRU_CHROMIUM to a Chromium or Chrome binary');
  assert.ok(existsSync(wasmFile), `${wasmFile} is not built: npm run build`);

  const out = await mkdtemp(join(tmpdir(), 'gru-ts-browser-'));
  let server: Server | undefined;
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    server?.close();
    await rm(out, { recursive: true, force: true });
  });

  const t0 = Date.now();
  await build({ configFile: config, logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
  const built = Date.now();
  const s = await serve(out);
  server = s.server;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  const wasmTypes: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    if (r.url().endsWith('.wasm')) wasmTypes.push(r.headers()['content-type'] ?? '');
  });
  await page.goto(s.url);
  await page.waitForFunction(() => (globalThis as { __gruResult?: unknown }).__gruResult !== undefined, undefined, { timeout: 120_000 });
  const res = (await page.evaluate(() => (globalThis as { __gruResult?: unknown }).__gruResult)) as GruBrowserResult | { ok: false; error: string };
  const done = Date.now();

  assert.ok(res.ok, `the page failed: ${'error' in res ? res.error : ''}\n${problems.join('\n')}`);
  assert.deepEqual(problems, [], 'no errors in the page');
  const r = res as GruBrowserResult;
  t.diagnostic(
    `${r.userAgent}; ${r.relaxedSimd ? 'relaxed-simd' : 'simd'} build; vite build ${built - t0} ms, page ${done - built} ms; wasm vs ref max diff ${r.parity.maxAbsDiff.toExponential(2)} ` +
      `(rel ${r.parity.maxRelDiff.toExponential(2)}); loss ${r.training.initialLoss.toFixed(4)} → ${r.training.finalLoss.toFixed(4)}; ` +
      `train step ${r.training.msPerStepWasm.toFixed(2)} ms wasm / ${r.training.msPerStepRef.toFixed(2)} ms ref; ` +
      `forward T=100 B=32 I=64 H=128 ${r.speed.msWasm.toFixed(1)} ms wasm ×${r.threads}${r.speed.oneThread ? ` (×1 ${r.speed.oneThread.ms.toFixed(1)} ms)` : ''} / ${r.speed.msRef.toFixed(1)} ms ref; ` +
      `ONNX ${r.exported.onnxBytes} B, safetensors ${r.exported.safetensorsBytes} B read back exactly: ` +
      `${r.exported.onnxMaxDiff === 0 && r.exported.safetensorsMaxDiff === 0}`,
  );

  // The modules (relaxed-simd and plain builds) were fetched from our server as application/wasm;
  // Chromium validates relaxed-simd, so that build runs (and must match ref like the plain one).
  assert.deepEqual(wasmTypes, ['application/wasm', 'application/wasm']);
  // Served cross-origin isolated, the page runs the shared-memory build on Web Workers, one thread a core
  // (everything below — parity, gradients, training — ran on them); its output equals one thread's.
  assert.equal(r.crossOriginIsolated, true, 'the page is cross-origin isolated');
  const cores = Math.min(8, availableParallelism());
  assert.equal(r.threads, cores, `threads: ${r.threads}, cores: ${cores}`);
  if (cores > 1) {
    assert.ok(r.speed.oneThread !== null, 'timed on one thread too');
    assert.ok(r.speed.oneThread.maxDiff <= 1e-6, `threads vs one thread: output differs by ${r.speed.oneThread.maxDiff}`);
  }
  assert.ok(r.simd, 'the browser validates WebAssembly SIMD');
  assert.equal(r.relaxedSimd, true, 'Chromium runs the relaxed-simd build');
  assert.ok(r.backends.includes('wasm') && r.backends.includes('ref'), `backends: ${r.backends.join(', ')}`);

  // The wasm backend really ran: selected during the runs, its GRU kernels called, its memory used.
  assert.equal(r.parity.backendUsed.wasm, 'wasm');
  assert.equal(r.parity.backendUsed.ref, 'ref');
  assert.equal(r.training.backendUsed, 'wasm');
  assert.ok((r.wasmCalls.gruForward ?? 0) > 0 && (r.wasmCalls.gruBackward ?? 0) > 0 && (r.wasmCalls.gemm ?? 0) > 0, `wasm kernel calls: ${JSON.stringify(r.wasmCalls)}`);
  assert.ok(r.wasmMemoryBytes > 0, 'the wasm arena was used');

  // Forward (output, hN) and every gradient equal to ref within 1e-5 relative.
  assert.ok(Object.keys(r.parity.perArray).length >= 2 + 16, 'output, hN and the 16 parameter gradients compared');
  for (const [name, rel] of Object.entries(r.parity.perArray)) assert.ok(rel <= 1e-5, `${name}: wasm vs ref relative error ${rel}`);

  // The trained GRU survives ONNX and safetensors bytes (protobufjs and the byte-level safetensors code run in the page).
  const e = r.exported;
  assert.ok(e.onnxBytes > 1000 && e.safetensorsBytes > 1000, `exported sizes ${e.onnxBytes}, ${e.safetensorsBytes}`);
  assert.ok(e.onnxMaxDiff <= 1e-6 && e.safetensorsMaxDiff <= 1e-6, `round-trip differences ${e.onnxMaxDiff}, ${e.safetensorsMaxDiff}`);
  assert.ok(r.lossChartBytes > 1000, 'the loss chart was drawn');

  // Training learns, on wasm, and follows the same curve as on ref.
  const { losses, refLosses, initialLoss, finalLoss, steps } = r.training;
  assert.equal(losses.length, steps);
  assert.ok(losses.every(Number.isFinite), 'finite losses');
  assert.ok(finalLoss < initialLoss / 10, `loss ${initialLoss} → ${finalLoss}: not 10× lower`);
  for (let i = 0; i < steps; i++) {
    assert.ok(Math.abs(losses[i] - refLosses[i]) <= 1e-3 * Math.max(1e-2, refLosses[i]), `step ${i}: wasm ${losses[i]} vs ref ${refLosses[i]}`);
  }
});
