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
import { fieldReader, kernelSpecs, positionalRecord, type Args, type Field, type KernelName, type KernelSpec } from './spec.js';

/**
 * A backend's kernel: takes the call's fields by name (positional calls:
 * under their parameter names) and, checked, in spec order; returns the
 * kernel's result.
 */
export interface FastKernel {
  run(a: Args, values: readonly unknown[]): unknown;
  /** Declines calls it does not handle (they run on ref). */
  accepts?(a: Args): boolean;
}

export type FastKernels = Partial<Record<KernelName, FastKernel>>;

/** A kernel needs more memory than its backend can give; the registry runs the call on ref. */
export class KernelOutOfMemory extends Error {}

/** What a fast kernel's runner returns when the call is ref's. */
const ON_REF = Symbol('ref');

// Field kinds, as small integers for the checking loop.
const F32 = 0,
  I32 = 1,
  INT = 2,
  FLOAT = 3,
  FLAG = 4,
  ENUM = 5;
const KIND: Record<Field['type'], number> = { f32: F32, i32: I32, dim: INT, int: INT, float: FLOAT, flag: FLAG, enum: ENUM };

/** A spec made ready for checking calls: per field its kind, reader, size and offset field. */
export interface Compiled {
  spec: KernelSpec;
  fields: readonly Field[];
  kind: Uint8Array;
  optional: Uint8Array;
  read: ((a: Args) => unknown)[];
  size: (((a: Args) => number) | null)[];
  offset: Int32Array; // index of the offset field, or −1
}

const compiled = new Map<KernelName, Compiled>();

export function compile(name: KernelName): Compiled {
  let c = compiled.get(name);
  if (!c) {
    const spec = kernelSpecs[name];
    const fields = spec.fields;
    c = {
      spec,
      fields,
      kind: Uint8Array.from(fields, (f) => KIND[f.type]),
      optional: Uint8Array.from(fields, (f) => (f.optional ? 1 : 0)),
      read: fields.map((f) => fieldReader(f, spec.params)),
      size: fields.map((f) => f.size ?? null),
      offset: Int32Array.from(fields, (f) => (f.offset ? fields.findIndex((g) => g.name === f.offset) : -1)),
    };
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

/**
 * Checks a call against its kernel's spec: writes the fields' values in spec
 * order into out[0 … n−1] and whether any float array is a Float64Array into
 * out[n], and returns the call as a record of its fields by name (the
 * arguments object itself, or for a positional kernel a record of its
 * parameters). Throws a GruError naming the kernel, the field, what was
 * expected and what came.
 */
type Checker = (arg: unknown, out: unknown[]) => Args;

/** The checker that walks the spec's fields: the meaning of a check, and where code cannot be generated. */
export function interpretedChecker(c: Compiled): Checker {
  const n = c.kind.length;
  const record = c.spec.params ? positionalRecord(c.spec) : null;
  return (arg, out) => {
    const a = record ? record(arg as unknown[]) : arg;
    for (let i = 0; i < n; i++) out[i] = c.read[i](a);
    let f64 = false;
    for (let i = 0; i < n; i++) {
      const x = out[i];
      const k = c.kind[i];
      if (k === F32 || k === I32) {
        if (x === null) {
          if (!c.optional[i]) fail(c, i, x);
          continue;
        }
        if (k === F32) {
          if (x instanceof Float64Array) f64 = true;
          else if (!(x instanceof Float32Array)) fail(c, i, x);
        } else if (!(x instanceof Int32Array)) fail(c, i, x);
        const size = c.size[i];
        if (size !== null) {
          const o = c.offset[i];
          const off = o >= 0 ? (out[o] as number) : -1;
          const need = Math.max(0, off) + size(a);
          if ((x as ArrayLike<number>).length < need) short(c, i, need, (x as ArrayLike<number>).length, off);
        }
      } else if (k === INT) {
        if (!(typeof x === 'number' && x >= 0 && x % 1 === 0)) fail(c, i, x);
      } else if (k === FLOAT) {
        if (typeof x !== 'number') fail(c, i, x);
      } else if (k === FLAG) {
        if (typeof x !== 'boolean') fail(c, i, x);
      } else if (!c.fields[i].values!.includes(x as string)) fail(c, i, x);
    }
    const why = c.spec.check?.(a);
    if (why) bad(c, why);
    out[n] = f64;
    return a;
  };
}

/**
 * The same checker as generated code: one property read per field, each size
 * expression called from a site of its own. V8 then compiles it as it would a
 * hand-written check; the interpreted loop's shared call sites cost more than
 * a small kernel's work (~0.5–1 µs a call). Null where a content security
 * policy forbids generating code.
 */
export function generatedChecker(c: Compiled): Checker | null {
  const { spec, fields } = c;
  const n = fields.length;
  const q = (s: string) => JSON.stringify(s);
  const body: string[] = [];
  if (spec.params) {
    const derived = fields.flatMap((f) => (f.derive ? [`${q(f.name)}: 0`] : []));
    body.push(`const a = { ${[...spec.params.map((p, i) => `${q(p)}: arg[${i}]`), ...derived].join(', ')} };`);
    fields.forEach((f, i) => f.derive && body.push(`a[${q(f.name)}] = F[${i}].derive(a);`));
  } else body.push('const a = arg;');
  fields.forEach((f, i) => {
    const path = f.name.split('.');
    let e = path.length === 1 ? `a[${q(f.name)}]` : `a[${q(path[0])}]?.[${q(path[1])}]`;
    if (f.type === 'f32' || f.type === 'i32') e = f.when ? `(F[${i}].when(a) ? ${e} ?? null : null)` : `(${e} ?? null)`;
    else if (f.default) e = `(${e} ?? F[${i}].default(a))`;
    body.push(`const v${i} = ${e};`);
  });
  body.push('let f64 = false;');
  fields.forEach((f, i) => {
    const v = `v${i}`;
    if (f.type === 'f32' || f.type === 'i32') {
      const type = f.type === 'f32' ? `if (${v} instanceof Float64Array) f64 = true; else if (!(${v} instanceof Float32Array)) fail(c, ${i}, ${v});` : `if (!(${v} instanceof Int32Array)) fail(c, ${i}, ${v});`;
      const o = c.offset[i];
      const size = f.size ? ` const need = ${o >= 0 ? `v${o} + ` : ''}F[${i}].size(a); if (${v}.length < need) short(c, ${i}, need, ${v}.length, ${o >= 0 ? `v${o}` : -1});` : '';
      body.push(`if (${v} === null) { ${f.optional ? '' : `fail(c, ${i}, ${v});`} } else { ${type}${size} }`);
    } else if (f.type === 'dim' || f.type === 'int') body.push(`if (!(typeof ${v} === 'number' && ${v} >= 0 && ${v} % 1 === 0)) fail(c, ${i}, ${v});`);
    else if (f.type === 'float') body.push(`if (typeof ${v} !== 'number') fail(c, ${i}, ${v});`);
    else if (f.type === 'flag') body.push(`if (typeof ${v} !== 'boolean') fail(c, ${i}, ${v});`);
    else body.push(`if (!F[${i}].values.includes(${v})) fail(c, ${i}, ${v});`);
  });
  if (spec.check) body.push('const why = c.spec.check(a); if (why) bad(c, why);');
  fields.forEach((_, i) => body.push(`out[${i}] = v${i};`));
  body.push(`out[${n}] = f64;`, 'return a;');
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const make = new Function('c', 'F', 'fail', 'short', 'bad', `return (arg, out) => {\n  ${body.join('\n  ')}\n};`);
    return make(c, fields, fail, short, bad) as Checker;
  } catch {
    return null;
  }
}

function fail(c: Compiled, i: number, v: unknown): never {
  const f = c.fields[i];
  const want = {
    f32: 'a Float32Array or Float64Array',
    i32: 'an Int32Array',
    dim: 'a non-negative integer',
    int: 'a non-negative integer',
    float: 'a number',
    flag: 'a boolean',
    enum: `one of ${f.values?.join(', ')}`,
  }[f.type];
  throw new GruError('INVALID_ARGUMENT', `${c.spec.name}: ${f.name}: expected ${want}, got ${f.type === 'enum' ? String(v) : describe(v)}`);
}

function short(c: Compiled, i: number, need: number, have: number, offset: number): never {
  throw new GruError('INVALID_ARGUMENT', `${c.spec.name}: ${c.fields[i].name} needs ${need} elements${offset >= 0 ? ` (from offset ${offset})` : ''}, has ${have}`);
}

function bad(c: Compiled, why: string): never {
  throw new GruError('INVALID_ARGUMENT', `${c.spec.name}: ${why}`);
}

/** The checker of a kernel: generated where allowed, else interpreted. */
function checker(c: Compiled): Checker {
  return generatedChecker(c) ?? interpretedChecker(c);
}

/** Checks a call (its fields by name; positional kernels: its arguments) against its kernel's spec; throws a GruError if it does not fit. */
export function checkKernelCall(name: KernelName, arg: unknown): void {
  const c = compile(name);
  checker(c)(arg, new Array(c.fields.length + 1));
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
    const check = checker(c);
    // The checked values, reused call after call (a kernel call never makes another).
    const values = new Array<unknown>(c.fields.length + 1);
    const f64 = c.fields.length;
    /** The fast kernel, or (null) ref. */
    const fastRun = (a: Args): unknown => {
      if (!fast || values[f64] || (fast.accepts && !fast.accepts(a))) return ON_REF;
      try {
        return fast.run(a, values);
      } catch (e) {
        if (e instanceof KernelOutOfMemory) return ON_REF;
        throw e;
      }
    };
    out[kname] = c.spec.params
      ? (...p: unknown[]): unknown => {
          const r = fastRun(check(p, values));
          return r === ON_REF ? ref(...p) : r;
        }
      : (a: Args): unknown => {
          const r = fastRun(check(a, values));
          return r === ON_REF ? ref(a) : r;
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
 * whichever changed last, else `byDefault`; at most `max`. `threads()` reads
 * the variable each time; `forCall()`, which every kernel call asks, at most
 * once a millisecond (reading process.env costs ~0.5 µs, as much as a small
 * product) and at once after `threads()` or `setThreads()`.
 */
export function threadSetting(byDefault: number, max: number): { threads(): number; setThreads(n: number): void; forCall(): number } {
  let lastEnv: string | undefined = undefined;
  let chosen = 0;
  let readAt = -Infinity;
  const read = (): number => {
    const env = envThreads();
    if (env !== lastEnv) {
      // (a bad value throws each time it is read, until it is changed)
      const n = parseThreads(env);
      lastEnv = env;
      chosen = n;
    }
    readAt = performance.now();
    return Math.max(1, Math.min(chosen || byDefault, max));
  };
  let count = 1;
  return {
    threads(): number {
      readAt = -Infinity;
      return (count = read());
    },
    forCall(): number {
      return performance.now() - readAt < 1 ? count : (count = read());
    },
    setThreads(n: number): void {
      if (!Number.isInteger(n) || n < 1) throw new GruError('INVALID_ARGUMENT', `setThreads: expected a positive integer, got ${n}`);
      lastEnv = envThreads();
      chosen = n;
      readAt = performance.now();
      count = Math.max(1, Math.min(n, max));
    },
  };
}
