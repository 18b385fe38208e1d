/**
 * Backend selection. Fast backends are loaded here, fastest first; each
 * loader returns null where it cannot run (no addon built, no WebAssembly),
 * and the first that loads becomes the default. `GRU_TS_BACKEND=ref|wasm|native`
 * (or {@link setBackend}) picks one explicitly.
 */
import type { Backend } from './backend.js';
import { createBackend } from './registry.js';
import { loadNativeBackend } from './native/index.js';
import { loadWasmBackend } from './wasm/index.js';
import { GruError } from '../errors.js';

export * from './backend.js';
export { createBackend, KernelOutOfMemory, type FastKernel, type FastKernels } from './registry.js';
export { kernelSpecs, KERNEL_ABI, type KernelSpec, type KernelName, type Field as KernelField } from './spec.js';

/** The reference backend: every call checked against its spec, then the plain TypeScript kernels. */
export const refBackend: Backend = createBackend('ref', {});

/** Loaders of the fast backends, fastest first. */
const fastLoaders: { name: string; load: () => Backend | null }[] = [
  // (fast backends are listed here)
  { name: 'native', load: loadNativeBackend },
  { name: 'wasm', load: loadWasmBackend },
];

const registry = new Map<string, Backend>([[refBackend.name, refBackend]]);
const unavailable = new Map<string, string>();
let loaded = false;
let current: Backend | null = null;

function loadAll(): void {
  if (loaded) return;
  loaded = true;
  for (const { name, load } of fastLoaders) {
    try {
      const b = load();
      if (b) registry.set(b.name, b);
      else unavailable.set(name, 'not available on this platform');
    } catch (e) {
      unavailable.set(name, e instanceof Error ? e.message : String(e));
    }
  }
}

/** Makes a backend available for selection by name. */
export function registerBackend(b: Backend): void {
  loadAll();
  registry.set(b.name, b);
}

/** Names of the backends available in this process, fastest first, `ref` last. */
export function backendNames(): string[] {
  loadAll();
  return [...registry.keys()].sort((a, b) => (a === 'ref' ? 1 : 0) - (b === 'ref' ? 1 : 0));
}

/** Why each fast backend that did not load is unavailable. */
export function unavailableBackends(): Record<string, string> {
  loadAll();
  return Object.fromEntries(unavailable);
}

/** Selects the backend every op uses from now on. */
export function setBackend(name: string): void {
  loadAll();
  const b = registry.get(name);
  if (!b) {
    const why = unavailable.get(name);
    throw new GruError('INVALID_ARGUMENT', `backend '${name}' is not available${why ? ` (${why})` : ''}: expected one of ${backendNames().join(', ')}`);
  }
  current = b;
}

/** The backend in use: GRU_TS_BACKEND if set, else the fastest available. */
export function backend(): Backend {
  if (current === null) {
    const wanted = typeof process !== 'undefined' ? process.env?.GRU_TS_BACKEND : undefined;
    setBackend(wanted || backendNames()[0]);
  }
  return current!;
}
