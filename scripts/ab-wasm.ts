/**
 * A/B timing of wasm builds in one process, interleaved (a noisy shared
 * machine adds time to both alike):
 *   node --import tsx scripts/ab-wasm.ts DIR_A DIR_B [A|C|gemm] [rounds] [threads]
 * each DIR holds gru.wasm (and gru-mt.wasm, used when threads > 1).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gruCacheSizes } from '../src/index.js';
import { instantiateThreadedWasmBackend, instantiateWasmBackend, type WasmBackend } from '../src/kernels/wasm/index.js';

const [dirA, dirB, what = 'A', roundsArg = '15', threadsArg = '1'] = process.argv.slice(2);
const nt = Number(threadsArg);
const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
const load = (d: string): WasmBackend => {
  if (nt <= 1) return instantiateWasmBackend(new WA.Module(readFileSync(join(d, 'gru.wasm'))));
  const be = instantiateThreadedWasmBackend(new WA.Module(readFileSync(join(d, 'gru-mt.wasm'))));
  be.setThreads!(nt);
  return be;
};
const bes = [load(dirA), load(dirB)];

function rand(n: number, scale = 1, seed = 1): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = scale * (s / 2 ** 31 - 1);
  }
  return a;
}

function job(be: WasmBackend): () => void {
  if (what === 'gemm') {
    const M = 512,
      N = 512,
      K = 512;
    const A = rand(M * K),
      B = rand(K * N, 1, 2),
      C = new Float32Array(M * N);
    return () => be.gemm(false, true, M, N, K, 1, A, 0, K, B, 0, K, 0, C, 0, N);
  }
  const [T, B, I, H] = what === 'A' ? [100, 32, 64, 256] : [50, 32, 32, 128];
  const G = 3 * H,
    k = 1 / Math.sqrt(H);
  const w = { wIh: rand(G * I, k, 3), wHh: rand(G * H, k, 4), bIh: rand(G, k, 5), bHh: rand(G, k, 6) };
  const x = rand(T * B * I, 1, 7),
    h0 = new Float32Array(B * H);
  const s = gruCacheSizes({ T, B, I, H });
  const cache = what === 'A' ? null : { gates: new Float32Array(s.gates), hPrev: new Float32Array(s.hPrev), hn: new Float32Array(s.hn) };
  const mode = { T, B, I, H, ...w, reverse: false, resetAfter: true, lengths: null };
  const fwd = { ...mode, y: new Float32Array(T * B * H), yOff: 0, ldy: H, hN: new Float32Array(B * H), x, h0, cache };
  if (!cache) return () => be.gruForward(fwd);
  const g = { dx: new Float32Array(T * B * I), dh0: new Float32Array(B * H), dWIh: new Float32Array(G * I), dWHh: new Float32Array(G * H), dBIh: new Float32Array(G), dBHh: new Float32Array(G) };
  const bwd = { ...mode, ...g, dy: null, dyOff: 0, ldy: H, dhN: rand(B * H, 1, 8), x, h0, cache };
  return () => {
    be.gruForward(fwd);
    be.gruBackward(bwd);
  };
}

const jobs = bes.map(job);
// Wall time and this process's CPU time (which other processes taking the core do not inflate).
const best = [Infinity, Infinity];
const cpu = [Infinity, Infinity];
for (let r = 0; r < Number(roundsArg); r++) {
  for (let i = 0; i < 2; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    jobs[i]();
    best[i] = Math.min(best[i], performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu[i] = Math.min(cpu[i], (c.user + c.system) / 1000);
  }
}
const sleeps = bes.map((b) => b.barrierSleeps());
console.log(`barrier sleeps ${sleeps.join(' vs ')}`);
console.log(`${what}: wall ${best[0].toFixed(2)} vs ${best[1].toFixed(2)} ms (B/A ${(best[1] / best[0]).toFixed(3)}); cpu ${cpu[0].toFixed(2)} vs ${cpu[1].toFixed(2)} ms (B/A ${(cpu[1] / cpu[0]).toFixed(3)})`);
