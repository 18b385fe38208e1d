/**
 * Loading the wasm backend. In Node, {@link loadWasmBackend} reads the built
 * modules synchronously from wasm/ at the package root (three levels above
 * both src/kernels/wasm/ and dist/kernels/wasm/; GRU_TS_WASM_DIR overrides
 * the folder): gru-mt.wasm (shared memory, worker threads) where
 * SharedArrayBuffer exists, else gru.wasm (one thread), each as its
 * relaxed-simd build (gru-mt-relaxed.wasm, gru-relaxed.wasm: fused
 * multiply-adds) where this engine validates it (Node 22+). Elsewhere,
 * {@link initWasmBackend} takes the single-threaded module's bytes or URL and
 * compiles asynchronously (browsers refuse large synchronous compiles on the
 * main thread).
 *
 * Node's modules (fs, os, path, url) are loaded when first needed through
 * process.getBuiltinModule, never imported at the top, so that the kernels
 * registry loads in a browser as it is. Outside Node {@link loadWasmBackend}
 * returns null; on Node older than 20.16 (no getBuiltinModule) it throws, and
 * the registry lists the reason (unavailableBackends()).
 *
 * Threads: all cores (at most 8) by default; GRU_TS_THREADS=n or
 * setThreads(n) override it (whichever changed last wins, as in native).
 */
import type { Backend } from '../backend.js';
import { createWasmBackend, instantiateWasmBackend, webAssembly, type WasmBackend, type WasmModule } from './backend.js';
import { WorkerPool, instantiateShared, isNode, nodeBuiltin } from './threads.js';

type Fs = typeof import('node:fs');
type Os = typeof import('node:os');
type Path = typeof import('node:path');
type Url = typeof import('node:url');

/** wasm/ at the package root, from src/kernels/wasm/ and dist/kernels/wasm/ alike (not a literal: bundlers would try to resolve it). */
const WASM_DIR = '../../../wasm/';

export { createWasmBackend, initWasmBackend, instantiateWasmBackend, type WasmBackend } from './backend.js';
export { initThreadedWasmBackend } from './threads.js';

/** The folder of the built modules. */
export function wasmDir(): string {
  const env = typeof process !== 'undefined' ? process.env?.GRU_TS_WASM_DIR : undefined;
  return env || nodeBuiltin<Url>('node:url').fileURLToPath(new URL(WASM_DIR, import.meta.url));
}

/** The shared-memory build with a worker pool; threads default to the cores (≤ 8). */
export function instantiateThreadedWasmBackend(module: WasmModule): WasmBackend {
  const { memory, exports: ex } = instantiateShared(module);
  const cores = Math.max(1, Math.min(8, nodeBuiltin<Os>('node:os').availableParallelism()));
  return createWasmBackend(ex, memory, new WorkerPool(module, memory, ex, Math.max(cores, 8)), cores);
}

/** The wasm backend from wasm/ on disk, or null where WebAssembly, Node or the built module is missing. */
export function loadWasmBackend(): Backend | null {
  const wa = webAssembly();
  if (!wa || !isNode()) return null;
  const { existsSync, readFileSync } = nodeBuiltin<Fs>('node:fs');
  const { join } = nodeBuiltin<Path>('node:path');
  const dir = wasmDir();
  /** wasm/<name>-relaxed.wasm where it exists and validates here, else wasm/<name>.wasm (null if neither is built). */
  const read = (name: string): Uint8Array | null => {
    const relaxed = join(dir, `${name}-relaxed.wasm`);
    if (existsSync(relaxed)) {
      const bytes = readFileSync(relaxed);
      if (wa.validate(bytes)) return bytes;
    }
    const plain = join(dir, `${name}.wasm`);
    return existsSync(plain) ? readFileSync(plain) : null;
  };
  const mt = typeof SharedArrayBuffer !== 'undefined' ? read('gru-mt') : null;
  if (mt) {
    try {
      return instantiateThreadedWasmBackend(new wa.Module(mt));
    } catch {
      // no shared memory here after all: one thread
    }
  }
  const st = read('gru');
  return st ? instantiateWasmBackend(new wa.Module(st)) : null;
}
