/**
 * The backends a test runs on. Parity tests run on every fast backend this
 * process has (every one but ref, the truth they are compared with); a file
 * that finds none fails when it loads instead of passing with zero tests.
 */
import { backend, backendNames, setBackend, unavailableBackends, type Backend } from '../../src/index.js';

/** The backend of that name, without changing the one in use. */
export function backendNamed(name: string): Backend {
  const before = backend().name;
  setBackend(name);
  const b = backend();
  setBackend(before);
  return b;
}

/** Every backend but ref (fastest first); throws when there is none. */
export function fastBackends(): Backend[] {
  const names = backendNames().filter((n) => n !== 'ref');
  if (names.length === 0) {
    throw new Error(`no fast backend loaded (${JSON.stringify(unavailableBackends())}): a parity test here would run nothing`);
  }
  return names.map(backendNamed);
}

/** Calls fn with every fast backend (and ref too, last, with `withRef`); throws when there is no fast backend. */
export function forEachBackend(fn: (b: Backend) => void, o: { withRef?: boolean } = {}): void {
  const list = fastBackends();
  if (o.withRef) list.push(backendNamed('ref'));
  for (const b of list) fn(b);
}

/** Runs fn with `name` as the backend in use (the ops and modules call backend()), then restores the one before. */
export function withBackend<T>(name: string, fn: () => T): T {
  const before = backend().name;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(before);
  }
}
