/**
 * Backend selection. Today only `ref` exists; fast backends register here
 * and the fastest available becomes the default. `GRU_TS_BACKEND=ref`
 * (or {@link setBackend}) picks one explicitly.
 */
import type { Backend } from './backend.js';
import { refBackend } from './ref/index.js';

export * from './backend.js';
export { refBackend };

const registry = new Map<string, Backend>([[refBackend.name, refBackend]]);
let current: Backend | null = null;

/** Makes a backend available for selection by name. */
export function registerBackend(b: Backend): void {
  registry.set(b.name, b);
}

/** Names of the backends available in this process. */
export function backendNames(): string[] {
  return [...registry.keys()];
}

/** Selects the backend every op uses from now on. */
export function setBackend(name: string): void {
  const b = registry.get(name);
  if (!b) throw new Error(`unknown backend '${name}': expected one of ${backendNames().join(', ')}`);
  current = b;
}

/** The backend in use (from GRU_TS_BACKEND on first use, else the default). */
export function backend(): Backend {
  if (current === null) {
    const wanted = typeof process !== 'undefined' ? process.env?.GRU_TS_BACKEND : undefined;
    if (wanted) setBackend(wanted);
    else current = refBackend;
  }
  return current!;
}
