/**
 * Loading the wasm backend. In Node, {@link loadWasmBackend} reads the built
 * modules synchronously from wasm/ at the package root (three levels above
 * both src/kernels/wasm/ and dist/kernels/wasm/; GRU_TS_WASM_DIR overrides
 * the folder): gru-mt.wasm (shared memory, worker threads) where
 * SharedArrayBuffer exists, else gru.wasm (one thread). Elsewhere,
 * {@link initWasmBackend} takes the single-threaded module's bytes or URL and
 * compiles asynchronously (browsers refuse large synchronous compiles on the
 * main thread).
 *
 * Threads: all cores (at most 8) by default; GRU_TS_THREADS=n or
 * setThreads(n) override it (whichever changed last wins, as in native).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.js';
import { createWasmBackend, instantiateWasmBackend, webAssembly, type KernelExports, type WasmBackend, type WasmModule } from './backend.js';
import { WorkerPool } from './threads.js';

export { createWasmBackend, initWasmBackend, instantiateWasmBackend, type WasmBackend } from './backend.js';

/** The folder of the built modules. */
export function wasmDir(): string {
  const env = typeof process !== 'undefined' ? process.env?.GRU_TS_WASM_DIR : undefined;
  return env || fileURLToPath(new URL('../../../wasm/', import.meta.url));
}

/** The shared-memory build with a worker pool; threads default to the cores (≤ 8). */
export function instantiateThreadedWasmBackend(module: WasmModule): WasmBackend {
  const wa = webAssembly()!;
  const memory = new wa.Memory({ initial: 16, maximum: 65536, shared: true });
  const instance = new wa.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm backend: abort');
      },
    },
  });
  const ex = instance.exports as unknown as KernelExports;
  const cores = Math.max(1, Math.min(8, availableParallelism()));
  return createWasmBackend(ex, memory, new WorkerPool(module, memory, ex, Math.max(cores, 8)), cores);
}

/** The wasm backend, or null where WebAssembly or the built module is missing. */
export function loadWasmBackend(): Backend | null {
  const wa = webAssembly();
  if (!wa) return null;
  const dir = wasmDir();
  const mt = join(dir, 'gru-mt.wasm');
  if (typeof SharedArrayBuffer !== 'undefined' && existsSync(mt)) {
    try {
      return instantiateThreadedWasmBackend(new wa.Module(readFileSync(mt)));
    } catch {
      // no shared memory here after all: one thread
    }
  }
  const st = join(dir, 'gru.wasm');
  if (!existsSync(st)) return null;
  return instantiateWasmBackend(new wa.Module(readFileSync(st)));
}
