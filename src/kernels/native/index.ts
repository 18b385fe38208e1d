/**
 * The native backend: a Node addon (C++, built at install time by node-gyp
 * from binding.gyp and native/) with a packed, register-blocked SGEMM, the
 * fused, multi-threaded GRU sequence kernels, the encoder–decoder attention
 * step and the elementwise kernels. Float32 only; the registry sends other
 * calls to ref (registry.ts).
 *
 * The addon exports one function per kernel, taking the kernel's fields
 * positionally in the addon's own order (then the thread count, for threaded
 * kernels), and info(): its kernel ABI and, per kernel, its fields by name
 * with their kinds (native/abi.h). The loader checks the ABI against
 * KERNEL_ABI and each kernel's fields against the spec (spec.ts), and
 * passes each call's fields in the addon's order.
 *
 * GRU_TS_SKIP_NATIVE=1 hides a built addon, as if there were no C++
 * compiler at install (the registry then picks wasm).
 *
 * Threads: hardware concurrency by default; `GRU_TS_THREADS=n` or
 * {@link Backend.setThreads} override it (whichever was changed last wins).
 */
import type { Backend } from '../backend.js';
import { createBackend, threadSetting, type FastKernels } from '../registry.js';
import { kernelSpecs, KERNEL_ABI, type Args, type Field, type KernelSpec } from '../spec.js';
import { GruError } from '../../errors.js';
import { allocateLike } from '../../tensor/tensor.js';

/** A field as the addon reads it: int covers dim, int and enum (long or int in C++). */
export interface AddonField {
  name: string;
  kind: 'int' | 'float' | 'flag' | 'f32' | 'i32';
  writable: boolean;
  nullable: boolean;
}

/** The addon's exports (native/addon.cc). */
export interface NativeAddon {
  info(): { isa: string; vectorWidth: number; hardwareThreads: number; abi?: number; kernels?: Record<string, AddonField[]> };
  /** The byte address of a typed array's first element, modulo 64 (absent in older builds). */
  addressMod64?(a: Float32Array): number;
  [kernel: string]: unknown;
}

/** build/Release/gru_native.node, from src/kernels/native/ and from dist/kernels/native/ alike. */
const ADDON = '../../../build/Release/gru_native.node';

type GetBuiltin = (id: string) => unknown;

/** The addon, or null where it was not built (or this is not Node). A present addon that fails to load throws. */
function loadAddon(): NativeAddon | null {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') return null;
  // As scripts/build-native.mjs at install: run as a user without a C++ compiler would (tests, comparisons).
  if (process.env.GRU_TS_SKIP_NATIVE === '1' || process.env.GRU_TS_SKIP_NATIVE === 'true') return null;
  const url = new URL(ADDON, import.meta.url);
  // Built-in modules through process.getBuiltinModule (Node ≥ 20.16), so that
  // bundling this file for a browser pulls in no Node module.
  const getBuiltin = (process as { getBuiltinModule?: GetBuiltin }).getBuiltinModule;
  if (typeof getBuiltin === 'function') {
    const { existsSync } = getBuiltin('node:fs') as typeof import('node:fs');
    const { createRequire } = getBuiltin('node:module') as typeof import('node:module');
    const { fileURLToPath } = getBuiltin('node:url') as typeof import('node:url');
    const path = fileURLToPath(url);
    if (!existsSync(path)) return null;
    return createRequire(import.meta.url)(path) as NativeAddon;
  }
  // Older Node 20: load through process.dlopen; a missing file reads as not built.
  const m = { exports: {} as NativeAddon };
  try {
    process.dlopen(m, decodeURIComponent(url.pathname));
  } catch {
    return null;
  }
  return m.exports;
}

const REBUILD = 'rebuild with npm run build (the addon alone: npm run build:native)';

/** The addon's kind for a spec field. */
function addonKind(f: Field): AddonField['kind'] {
  return f.type === 'dim' || f.type === 'enum' ? 'int' : f.type;
}

/**
 * The function that passes a call's fields (checked, in spec order) to the
 * addon's kernel in the addon's order, after checking that the addon's
 * fields are the spec's.
 */
function marshal(spec: KernelSpec, fields: AddonField[], kernel: (...a: unknown[]) => unknown, threads: () => number): (a: Args, values: readonly unknown[]) => unknown {
  const mismatch = (why: string): never => {
    throw new GruError('UNSUPPORTED', `native addon: ${spec.name} ${why}: it was built from other sources; ${REBUILD}`);
  };
  const names = new Set(fields.map((f) => f.name));
  for (const f of spec.fields) if (!names.has(f.name)) mismatch(`has no field '${f.name}'`);
  // For each of the addon's fields, the spec's index (enums: the index of their values, negated − 1).
  const from = Int32Array.from(fields, (af) => {
    const at = spec.fields.findIndex((g) => g.name === af.name);
    if (at < 0) mismatch(`has a field '${af.name}' the spec does not`);
    const f = spec.fields[at];
    const array = f.type === 'f32' || f.type === 'i32';
    if (af.kind !== addonKind(f) || (array && (af.writable !== (f.role !== 'in') || af.nullable !== !!f.optional))) {
      mismatch(`field '${f.name}' is ${af.kind}${array ? ` (${af.writable ? 'written' : 'read'}, ${af.nullable ? 'nullable' : 'required'})` : ''}`);
    }
    return f.type === 'enum' ? -1 - at : at;
  });
  // One direct call with the values in the addon's order, generated (a call through an array of
  // arguments costs as much as a small kernel); a loop where code cannot be generated.
  const args = Array.from(from, (at) => (at >= 0 ? `v[${at}]` : `F[${-1 - at}].values.indexOf(v[${-1 - at}])`));
  if (spec.threaded) args.push('threads()');
  try {
    return new Function('kernel', 'F', 'threads', `return (_a, v) => kernel(${args.join(', ')});`)(kernel, spec.fields, threads);
  } catch {
    return (_a, values) => {
      const v = Array.from(from, (at) => (at >= 0 ? values[at] : spec.fields[-1 - at].values!.indexOf(values[-1 - at] as string)));
      if (spec.threaded) v.push(threads());
      return kernel(...v);
    };
  }
}

/** The native backend: a {@link Backend} that also names its kernel set. */
export interface NativeBackend extends Backend {
  /** The kernel set chosen for this CPU: 'avx512', 'avx2' or 'generic'. */
  readonly isa: string;
}

/** The native backend, or null when the addon is not built; a stale addon (another kernel ABI) throws. */
export function loadNativeBackend(): NativeBackend | null {
  const addon = loadAddon();
  return addon ? createNativeBackend(addon) : null;
}

/** The backend over a loaded addon; throws when its kernel ABI or a kernel's fields are not the spec's. @internal */
export function createNativeBackend(addon: NativeAddon): NativeBackend {
  const info = addon.info();
  if (info.abi !== KERNEL_ABI) {
    throw new GruError('UNSUPPORTED', `native addon build/Release/gru_native.node has kernel ABI ${info.abi ?? '(none)'}, this gru-ts needs ${KERNEL_ABI}: ${REBUILD}`);
  }
  const t = threadSetting(Math.max(1, info.hardwareThreads), 255);
  const kernels: FastKernels = {};
  for (const spec of Object.values(kernelSpecs)) {
    const fields = info.kernels?.[spec.name];
    const kernel = addon[spec.name];
    // A kernel the addon does not have runs on ref.
    if (fields && typeof kernel === 'function') kernels[spec.name] = { run: marshal(spec, fields, kernel as (...a: unknown[]) => unknown, t.forCall) };
  }
  const mod64 = typeof addon.addressMod64 === 'function' ? addon.addressMod64.bind(addon) : null;
  return createBackend('native', kernels, {
    isa: info.isa,
    threads: t.threads,
    setThreads: t.setThreads,
    ...(mod64 ? { alignedArray: (n: number) => alignedArray(n, mod64) } : {}),
  });
}

/**
 * Buffers from 16 KiB: a view that starts on a cache line. The GRU's saved
 * gates are read and written in vectors along every row; on a buffer that
 * starts mid-line, half of those accesses span two lines (the forward kernel
 * measured 10–15% slower on workload A). Smaller arrays are not worth it (and
 * typed arrays of a few elements live on V8's heap, where they may move).
 */
function alignedArray(n: number, mod64: (a: Float32Array) => number): Float32Array {
  if (n < 4096) return allocateLike(F32, n) as Float32Array;
  const raw = allocateLike(F32, n + 15) as Float32Array;
  const skip = ((64 - mod64(raw)) & 63) >> 2;
  return raw.subarray(skip, skip + n);
}
const F32 = new Float32Array(0);
