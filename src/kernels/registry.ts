/**
 * The kernel registry, after tfjs-core's: a backend is a name and a set of
 * fast kernels by kernel name; {@link createBackend} makes it a whole
 * {@link Backend}. Every call is checked against its spec (spec.ts) here,
 * once, on every backend (ref included), and falls back to the reference
 * kernel here, once, when
 *   - any of its float arrays is a Float64Array (gradient checks run in
 *     float64; the fast kernels are float32),
 *   - the backend has no such kernel, or its `accepts` declines the call,
 *   - the kernel throws {@link KernelOutOfMemory} (a wasm call that would
 *     need more linear memory than there is; thrown before any output is
 *     written).
 * The thread-count policy shared by the threaded backends is here too.
 */
import { GruError } from '../errors.js';
import type { Backend } from './backend.js';
import { refKernels } from './ref/index.js';
import { fieldReader, kernelSpecs, namedArgs, type Args, type Field, type KernelName, type KernelSpec } from './spec.js';

/** A backend's kernel: the call's fields by name (positional calls: under their parameter names); returns the kernel's result. */
export interface FastKernel {
  run(a: Args): unknown;
  /** Declines calls it does not handle (they run on ref). */
  accepts?(a: Args): boolean;
}

export type FastKernels = Partial<Record<KernelName, FastKernel>>;

/** A kernel needs more memory than its backend can give; the registry runs the call on ref. */
export class KernelOutOfMemory extends Error {}

/** A compiled spec: each field with its reader. */
interface Checked {
  spec: KernelSpec;
  fields: { f: Field; read: (a: Args) => unknown; offset: ((a: Args) => unknown) | null }[];
  floats: ((a: Args) => unknown)[];
}

const compiled = new Map<KernelName, Checked>();

function compile(name: KernelName): Checked {
  let c = compiled.get(name);
  if (!c) {
    const spec = kernelSpecs[name];
    const fields = spec.fields.map((f) => {
      const o = f.offset ? spec.fields.find((g) => g.name === f.offset)! : null;
      return { f, read: fieldReader(f), offset: o ? fieldReader(o) : null };
    });
    c = { spec, fields, floats: fields.filter((x) => x.f.type === 'f32').map((x) => x.read) };
    compiled.set(name, c);
  }
  return c;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${(v as unknown as ArrayLike<number>).length} elements`;
  return typeof v === 'number' ? String(v) : typeof v;
}

/** Throws a GruError naming the kernel, the field, what was expected and what came, unless the call fits its spec. */
function check(c: Checked, a: Args): void {
  const name = c.spec.name;
  const fail = (msg: string): never => {
    throw new GruError('INVALID_ARGUMENT', `${name}: ${msg}`);
  };
  for (const { f, read, offset } of c.fields) {
    const v = read(a);
    switch (f.type) {
      case 'f32':
      case 'i32': {
        const want = f.type === 'f32' ? 'a Float32Array or Float64Array' : 'an Int32Array';
        if (v === null) {
          if (!f.optional) fail(`${f.name}: expected ${want}, got ${describe(v)}`);
          break;
        }
        const ok = f.type === 'f32' ? v instanceof Float32Array || v instanceof Float64Array : v instanceof Int32Array;
        if (!ok) fail(`${f.name}: expected ${want}, got ${describe(v)}`);
        if (f.size) {
          const need = (offset ? (offset(a) as number) : 0) + f.size(a);
          const have = (v as ArrayLike<number>).length;
          if (have < need) fail(`${f.name} needs ${need} elements${offset ? ` (from offset ${offset(a) as number})` : ''}, has ${have}`);
        }
        break;
      }
      case 'dim':
      case 'int':
        if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) fail(`${f.name}: expected a non-negative integer, got ${describe(v)}`);
        break;
      case 'float':
        if (typeof v !== 'number') fail(`${f.name}: expected a number, got ${describe(v)}`);
        break;
      case 'flag':
        if (typeof v !== 'boolean') fail(`${f.name}: expected a boolean, got ${describe(v)}`);
        break;
      case 'enum':
        if (!f.values!.includes(v as string)) fail(`${f.name}: expected one of ${f.values!.join(', ')}, got ${String(v)}`);
        break;
    }
  }
  const why = c.spec.check?.(a);
  if (why) fail(why);
}

function anyFloat64(c: Checked, a: Args): boolean {
  for (const read of c.floats) if (read(a) instanceof Float64Array) return true;
  return false;
}

/** Checks a call (its fields by name) against its kernel's spec; throws a GruError if it does not fit. */
export function checkKernelCall(name: KernelName, a: Args): void {
  check(compile(name), a);
}

/**
 * A whole {@link Backend} from a name and fast kernels: each method checks
 * its call, then runs the fast kernel or, as the header lists, ref.
 * `extra` is merged in (thread settings, diagnostics).
 */
export function createBackend<E extends object>(name: string, kernels: FastKernels, extra?: E): Backend & E {
  const out: Record<string, unknown> = { name };
  for (const kname of Object.keys(kernelSpecs) as KernelName[]) {
    const c = compile(kname);
    const ref = refKernels[kname] as (...p: unknown[]) => unknown;
    const fast = kernels[kname];
    const positional = !!c.spec.params;
    out[kname] = (...p: unknown[]): unknown => {
      const a = positional ? namedArgs(c.spec, p) : p[0];
      check(c, a);
      if (!fast || anyFloat64(c, a) || (fast.accepts && !fast.accepts(a))) return ref(...p);
      try {
        return fast.run(a);
      } catch (e) {
        if (e instanceof KernelOutOfMemory) return ref(...p);
        throw e;
      }
    };
  }
  return Object.assign(out, extra) as unknown as Backend & E;
}

// ---------------------------------------------------------------- threads

/** GRU_TS_THREADS, or undefined outside Node. */
function envThreads(): string | undefined {
  return typeof process !== 'undefined' ? process.env?.GRU_TS_THREADS : undefined;
}

/** A thread count from GRU_TS_THREADS: a positive integer, or unset/empty for the default (0 here). */
function parseThreads(v: string | undefined): number {
  if (v === undefined || v.trim() === '') return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new GruError('INVALID_ARGUMENT', `GRU_TS_THREADS: expected a positive integer (threads per kernel call), got '${v}'`);
  return n;
}

/**
 * The thread count of a threaded backend: GRU_TS_THREADS or setThreads,
 * whichever changed last, else `byDefault`; at most `max`.
 */
export function threadSetting(byDefault: number, max: number): { threads(): number; setThreads(n: number): void } {
  let lastEnv: string | undefined = undefined;
  let fromEnv = 0;
  let chosen = 0;
  let envSeen = false;
  return {
    threads(): number {
      const env = envThreads();
      if (!envSeen || env !== lastEnv) {
        // (a bad value throws each time it is read, until it is changed)
        fromEnv = parseThreads(env);
        envSeen = true;
        lastEnv = env;
        chosen = fromEnv;
      }
      return Math.max(1, Math.min(chosen || byDefault, max));
    },
    setThreads(n: number): void {
      if (!Number.isInteger(n) || n < 1) throw new GruError('INVALID_ARGUMENT', `setThreads: expected a positive integer, got ${n}`);
      lastEnv = envThreads();
      envSeen = true;
      chosen = n;
    },
  };
}
