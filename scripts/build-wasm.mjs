#!/usr/bin/env node
// Builds the wasm backend's modules from assembly/ with AssemblyScript:
//   wasm/gru.wasm                one thread, SIMD
//   wasm/gru-mt.wasm             shared memory (worker threads), SIMD
//   wasm/gru-relaxed.wasm        one thread, SIMD + relaxed-simd (fused multiply-add)
//   wasm/gru-mt-relaxed.wasm     shared memory, SIMD + relaxed-simd
// The loaders pick a relaxed build where the engine validates it (browsers,
// Node 22+), else the plain one.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
// The kernel ABI, compiled in (assembly/index.ts: kernelAbi()) and checked by the loader.
const abi = /export const KERNEL_ABI = (\d+);/.exec(readFileSync(join(root, 'src', 'kernels', 'spec.ts'), 'utf8'))?.[1];
if (!abi) {
  console.error('build-wasm: KERNEL_ABI not found in src/kernels/spec.ts');
  process.exit(1);
}
const common = ['assembly/index.ts', '-O3', '--enable', 'simd', '--enable', 'threads', '--runtime', 'stub', '--noAssert', '--use', `KERNEL_ABI=${abi}`];
const shared = ['--importMemory', '--sharedMemory', '--maximumMemory', '65536'];
const relaxed = ['--enable', 'relaxed-simd'];
const variants = [
  ['gru.wasm', []],
  ['gru-mt.wasm', shared],
  ['gru-relaxed.wasm', relaxed],
  ['gru-mt-relaxed.wasm', [...shared, ...relaxed]],
];
for (const [file, flags] of variants) {
  const r = spawnSync(process.execPath, [asc, ...common, ...flags, '-o', join('wasm', file)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-wasm: asc failed for wasm/${file}`);
    process.exit(r.status ?? 1);
  }
}
