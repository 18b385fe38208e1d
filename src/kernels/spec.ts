/**
 * Every kernel's arguments, declared once.
 *
 * A kernel spec lists the kernel's fields: each has a name (a dotted path
 * reads a nested object: `cache.gates`), a type (dim, int, float, flag, enum;
 * f32 or i32 for arrays), and for arrays a role (in: read; out: every element
 * of its extent overwritten; inout: accumulated into, or partly written so
 * that the old contents must survive) and a size expression: the elements
 * the kernel reads or writes, from the array's start or its offset field.
 * Field order is the order of the wasm exports' parameters.
 *
 * Everything else derives from the specs:
 * - the kernel registry (registry.ts) checks every call's sizes and data
 *   (ids, class targets, strides) against the spec on every backend, and
 *   applies every fallback to ref in one place: a float64 array among the
 *   fields, a kernel the backend does not have or declines, a wasm call out
 *   of linear memory;
 * - the native backend passes the fields positionally in the addon's own
 *   order, which it learns by name at load (the addon lists each kernel's
 *   fields with their kinds, generated from the same X-macro as its structs);
 * - the wasm backend copies in the arrays a kernel reads, allocates those it
 *   writes, passes pointers and scalars in spec order, and copies out.
 * One ABI number ({@link KERNEL_ABI}) is compiled into the addon and the
 * wasm modules (the build scripts read it from this file); a stale binary is
 * refused at load with "rebuild with npm run build".
 *
 * Adding a kernel: its spec here, its ref kernel, its fast kernels (the
 * addon's struct X-macro and the wasm export, in spec order), its test.
 */
import type { AttentionBackwardArgs, AttentionForwardArgs, AttentionInputs, Backend, GruBackwardArgs, GruForwardArgs } from './backend.js';
import type { FloatArray } from '../tensor/tensor.js';

/** The kernels' ABI: bump when any field list, order or meaning changes (the build scripts read this line). */
export const KERNEL_ABI = 3;

export type FieldType = 'dim' | 'int' | 'float' | 'flag' | 'enum' | 'f32' | 'i32';
export type Role = 'in' | 'out' | 'inout';

/** The arguments of one call, by field name (a positional call's parameters under their names); each spec reads its own. */
export type Args = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  /** Arrays: how the kernel uses it. */
  readonly role?: Role;
  /** Arrays: may be null or absent. */
  readonly optional?: boolean;
  /** Arrays: elements touched, counted from the offset field's value (absent: not checked). */
  readonly size?: (a: Args) => number;
  /** Arrays: the int field holding the index of the first element. */
  readonly offset?: string;
  /**
   * Arrays made of rows: rows (i, j) of `width` elements at offset + i·strides[0] + j·strides[1],
   * i < counts[0], j < counts[1] (names of fields). Between the rows may be other data, left alone.
   */
  readonly rows?: { readonly counts: readonly [string, string]; readonly strides: readonly [string, string]; readonly width: string };
  /** Arrays: read only when this holds (else treated as null). */
  readonly when?: (a: Args) => boolean;
  /** inout arrays: the kernel overwrites every element of the extent for these arguments (gemm with beta = 0). */
  readonly overwritten?: (a: Args) => boolean;
  /** Scalars: the value when the argument is absent. */
  readonly default?: (a: Args) => number;
  /** Scalars not among the arguments: computed from them (n = x.length). */
  readonly derive?: (a: Args) => number;
  /** enum: the values, passed as their index. */
  readonly values?: readonly string[];
}

export interface KernelSpec {
  readonly name: KernelName;
  /** Positional kernels: the parameter names, in order (the call's arguments get these names). */
  readonly params?: readonly string[];
  readonly fields: readonly Field[];
  /** Takes a thread count (native) or runs on several threads (wasm). */
  readonly threaded?: boolean;
  /** What the sizes alone do not say; returns why the call is wrong, or null. */
  readonly check?: (a: Args) => string | null;
}

/** The kernels: every method of {@link Backend} but its name, thread settings and aligned allocation. */
export type KernelName = Exclude<keyof Backend, 'name' | 'setThreads' | 'threads' | 'alignedArray'>;

// ---------------------------------------------------------------- helpers

const dim = (name: string, more: Partial<Field> = {}): Field => ({ name, type: 'dim', ...more });
const int = (name: string, more: Partial<Field> = {}): Field => ({ name, type: 'int', ...more });
const float = (name: string): Field => ({ name, type: 'float' });
const flag = (name: string): Field => ({ name, type: 'flag' });
const f32 = (name: string, role: Role, size: ((a: Args) => number) | undefined, more: Partial<Field> = {}): Field => ({ name, type: 'f32', role, size, ...more });
const i32 = (name: string, size: (a: Args) => number, more: Partial<Field> = {}): Field => ({ name, type: 'i32', role: 'in', size, ...more });
const opt = { optional: true } as const;

/** Elements spanned by a rows × cols matrix with leading dimension ld (0 when empty). */
export function matrixExtent(rows: number, cols: number, ld: number): number {
  return rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols;
}

/** Elements spanned by an (n0, n1) grid of `width`-wide rows with strides s0, s1 (0 when empty). */
export function rowsExtent(n0: number, n1: number, s0: number, s1: number, width: number): number {
  return n0 <= 0 || n1 <= 0 || width <= 0 ? 0 : (n0 - 1) * s0 + (n1 - 1) * s1 + width;
}

/** The GRU's y and dy: (T, B) rows of H at columns [off, off + H), row (t, b) at t·ldT + b·ld. */
function gruRowsCheck(what: string, T: number, B: number, H: number, off: number, ld: number, ldT: number): string | null {
  if (T * B === 0) return null;
  if ((B > 1 && off + H > ld) || (T > 1 && off + H > ldT)) {
    return `${what} columns [${off}, ${off + H}) exceed a row stride (ld ${ld}, ldT ${ldT})`;
  }
  return null;
}

/** Valid source steps of attention row b, clamped to [0, S]. */
function attentionLength(lengths: Int32Array | null | undefined, b: number, S: number): number {
  return lengths ? Math.max(0, Math.min(S, lengths[b])) : S;
}

/** One past the last element of any attention row j < length, rows at b·sb + j·sj, `cols` wide. */
function attentionExtent(a: AttentionInputs, sb: number, sj: number, cols: number): number {
  let end = 0;
  for (let b = 0; b < a.B; b++) {
    const L = attentionLength(a.lengths, b, a.S);
    if (L > 0 && cols > 0) end = Math.max(end, b * sb + (L - 1) * sj + cols);
  }
  return end;
}

/** The key and value row strides with their defaults (dense (B, S, ·)). */
export function attentionStrides(a: AttentionInputs): { kb: number; kj: number; vb: number; vj: number } {
  return { kb: a.keyStrideB ?? a.S * a.A, kj: a.keyStrideJ ?? a.A, vb: a.valueStrideB ?? a.S * a.D, vj: a.valueStrideJ ?? a.D };
}
const keyExtent = (a: AttentionInputs): number => {
  const s = attentionStrides(a);
  return attentionExtent(a, s.kb, s.kj, a.A);
};
const valueExtent = (a: AttentionInputs): number => {
  const s = attentionStrides(a);
  return attentionExtent(a, s.vb, s.vj, a.D);
};

function checkTargets(targets: Int32Array, N: number, C: number): string | null {
  for (let r = 0; r < N; r++) if (targets[r] >= C) return `target class ${targets[r]} of row ${r} is >= the number of classes ${C}`;
  return null;
}

// ---------------------------------------------------------------- the kernels

type GruArgs = GruForwardArgs | GruBackwardArgs;
const TBI = (a: GruArgs) => a.T * a.B * a.I;
const TBG = (a: GruArgs) => a.T * a.B * 3 * a.H;
const TBH = (a: GruArgs) => a.T * a.B * a.H;
const BH = (a: GruArgs) => a.B * a.H;
const GI = (a: GruArgs) => 3 * a.H * a.I;
const GH = (a: GruArgs) => 3 * a.H * a.H;
const G = (a: GruArgs) => 3 * a.H;
const B = (a: { B: number }) => a.B;
const yRows = { counts: ['T', 'B'], strides: ['ldyT', 'ldy'], width: 'H' } as const;
const ldyT = (a: GruArgs) => a.B * a.ldy;

/** The input side of a GRU call: x and W_ih, or the caller's projection, never both. */
function gruInputCheck(a: GruArgs, backward: boolean): string | null {
  const b = a as GruBackwardArgs;
  if (a.xProj) {
    if (a.x == null && a.wIh == null && a.bIh == null && (!backward || (b.dx == null && b.dWIh == null && b.dBIh == null))) return null;
    const extra = (['x', 'wIh', 'bIh', ...(backward ? ['dx', 'dWIh', 'dBIh'] : [])] as const).filter((k) => (a as unknown as Record<string, unknown>)[k] != null);
    return `with xProj (the input projection) there is no ${extra.join(', ')}: pass either x, wIh, bIh or xProj`;
  }
  if (a.x != null && a.wIh != null && (!backward || b.dWIh != null)) return null;
  const missing = (['x', 'wIh', ...(backward ? ['dWIh'] : [])] as const).filter((k) => (a as unknown as Record<string, unknown>)[k] == null);
  return `expected x and wIh${backward ? ' and dWIh' : ''} (or xProj), got no ${missing.join(', ')}`;
}

const gruInputs: Field[] = [
  f32('x', 'in', TBI, opt),
  f32('h0', 'in', BH),
  f32('wIh', 'in', GI, opt),
  f32('wHh', 'in', GH),
  f32('bIh', 'in', G, opt),
  f32('bHh', 'in', G, opt),
  i32('lengths', B, opt),
  flag('reverse'),
  flag('resetAfter'),
  dim('T'),
  dim('B'),
  dim('I'),
  dim('H'),
];

const gruForward: KernelSpec = {
  name: 'gruForward',
  threaded: true,
  fields: [
    f32('y', 'out', (a: GruForwardArgs) => rowsExtent(a.T, a.B, a.ldyT ?? ldyT(a), a.ldy, a.H), { offset: 'yOff', rows: yRows }),
    int('yOff'),
    int('ldy'),
    int('ldyT', { default: ldyT }),
    f32('hN', 'out', BH),
    f32('cache.gates', 'out', TBG, opt),
    f32('cache.hPrev', 'out', TBH, opt),
    f32('cache.hn', 'out', TBH, opt),
    f32('xProj', 'in', TBG, opt),
    ...gruInputs,
  ],
  check: (a: GruForwardArgs) => gruInputCheck(a, false) ?? gruRowsCheck('y', a.T, a.B, a.H, a.yOff, a.ldy, a.ldyT ?? ldyT(a)),
};

const gruBackward: KernelSpec = {
  name: 'gruBackward',
  threaded: true,
  fields: [
    f32('dx', 'inout', TBI, opt),
    f32('dh0', 'inout', BH, opt),
    f32('dWIh', 'inout', GI, opt),
    f32('dWHh', 'inout', GH),
    f32('dBIh', 'inout', G, opt),
    f32('dBHh', 'inout', G, opt),
    f32('dXProj', 'inout', TBG, { optional: true, when: (a: GruBackwardArgs) => !!a.xProj }),
    f32('dy', 'in', (a: GruBackwardArgs) => rowsExtent(a.T, a.B, a.ldyT ?? ldyT(a), a.ldy, a.H), { optional: true, offset: 'dyOff', rows: yRows }),
    int('dyOff'),
    int('ldy'),
    int('ldyT', { default: ldyT }),
    f32('dhN', 'in', BH, opt),
    f32('cache.gates', 'in', TBG),
    f32('cache.hPrev', 'in', TBH),
    f32('cache.hn', 'in', TBH),
    // Its presence selects the projected mode; backward reads none of it.
    f32('xProj', 'in', () => 0, opt),
    ...gruInputs,
  ],
  check: (a: GruBackwardArgs) => gruInputCheck(a, true) ?? (a.dy ? gruRowsCheck('dy', a.T, a.B, a.H, a.dyOff, a.ldy, a.ldyT ?? ldyT(a)) : null),
};

const attentionInputs: Field[] = [
  f32('q', 'in', (a: AttentionInputs) => a.B * a.A),
  f32('keys', 'in', keyExtent),
  f32('values', 'in', valueExtent),
  f32('v', 'in', (a: AttentionInputs) => a.A, opt),
  i32('lengths', B, opt),
  f32('gain', 'in', (a: AttentionInputs) => a.B * a.S, opt),
  dim('B'),
  dim('S'),
  dim('A'),
  dim('D'),
  int('keyStrideB', { default: (a: AttentionInputs) => a.S * a.A }),
  int('keyStrideJ', { default: (a: AttentionInputs) => a.A }),
  int('valueStrideB', { default: (a: AttentionInputs) => a.S * a.D }),
  int('valueStrideJ', { default: (a: AttentionInputs) => a.D }),
];
const additive = (a: AttentionInputs) => !!a.v;

const attentionForward: KernelSpec = {
  name: 'attentionForward',
  fields: [
    f32('alpha', 'out', (a: AttentionForwardArgs) => a.B * a.S),
    f32('context', 'out', (a: AttentionForwardArgs) => a.B * a.D),
    // Rows past each length are left as they were.
    f32('u', 'inout', keyExtent, { optional: true, when: additive }),
    ...attentionInputs,
  ],
};

const attentionBackward: KernelSpec = {
  name: 'attentionBackward',
  fields: [
    f32('dq', 'inout', (a: AttentionBackwardArgs) => a.B * a.A, opt),
    f32('dKeys', 'inout', keyExtent, opt),
    f32('dValues', 'inout', valueExtent, opt),
    f32('dv', 'inout', (a: AttentionBackwardArgs) => a.A, { optional: true, when: additive }),
    f32('dGain', 'inout', (a: AttentionBackwardArgs) => a.B * a.S, { optional: true, when: (a: AttentionBackwardArgs) => !!a.gain }),
    f32('dContext', 'in', (a: AttentionBackwardArgs) => a.B * a.D),
    f32('alpha', 'in', (a: AttentionBackwardArgs) => a.B * a.S),
    f32('u', 'in', keyExtent, { optional: true, when: additive }),
    // The additive backward reads u in place of the keys when it is given.
    ...attentionInputs.map((f) => (f.name === 'keys' ? { ...f, size: (a: AttentionBackwardArgs) => (a.v && a.u ? 0 : keyExtent(a)) } : f)),
  ],
};

const gemm: KernelSpec = {
  name: 'gemm',
  threaded: true,
  params: ['transA', 'transB', 'M', 'N', 'K', 'alpha', 'A', 'aOff', 'lda', 'B', 'bOff', 'ldb', 'beta', 'C', 'cOff', 'ldc'],
  fields: [
    flag('transA'),
    flag('transB'),
    dim('M'),
    dim('N'),
    dim('K'),
    float('alpha'),
    f32('A', 'in', (a) => (a.transA ? matrixExtent(a.K, a.M, a.lda) : matrixExtent(a.M, a.K, a.lda)), { offset: 'aOff' }),
    int('aOff'),
    int('lda'),
    f32('B', 'in', (a) => (a.transB ? matrixExtent(a.N, a.K, a.ldb) : matrixExtent(a.K, a.N, a.ldb)), { offset: 'bOff' }),
    int('bOff'),
    int('ldb'),
    float('beta'),
    // beta = 0 ignores C's old contents (even NaN); between rows (ldc > N) they survive.
    f32('C', 'inout', (a) => matrixExtent(a.M, a.N, a.ldc), { offset: 'cOff', overwritten: (a) => a.beta === 0 && (a.ldc === a.N || a.M <= 1) }),
    int('cOff'),
    int('ldc'),
  ],
  check: (a) => {
    const empty = a.M <= 0 || a.N <= 0 || a.K <= 0;
    if (!empty && (a.transA ? a.M : a.K) > a.lda) return `lda ${a.lda} is smaller than a row of A (${a.transA ? a.M : a.K})`;
    if (!empty && (a.transB ? a.K : a.N) > a.ldb) return `ldb ${a.ldb} is smaller than a row of B (${a.transB ? a.K : a.N})`;
    if (a.M > 0 && a.N > 0 && a.N > a.ldc) return `ldc ${a.ldc} is smaller than a row of C (${a.N})`;
    return null;
  },
};

const n = (of: string) => dim('n', { derive: (a) => (a[of] as FloatArray).length });
const unaryOps = ['tanh', 'sigmoid', 'relu', 'identity'] as const;

const unaryForward: KernelSpec = {
  name: 'unaryForward',
  params: ['op', 'out', 'x'],
  fields: [{ name: 'op', type: 'enum', values: unaryOps }, f32('out', 'out', (a) => a.n), f32('x', 'in', (a) => a.n), n('x')],
};

const unaryBackward: KernelSpec = {
  name: 'unaryBackward',
  params: ['op', 'dx', 'dy', 'y'],
  fields: [{ name: 'op', type: 'enum', values: unaryOps }, f32('dx', 'inout', (a) => a.n), f32('dy', 'in', (a) => a.n), f32('y', 'in', (a) => a.n), n('dy')],
};

const addBias: KernelSpec = {
  name: 'addBias',
  params: ['out', 'bias', 'N', 'C'],
  fields: [f32('out', 'inout', (a) => a.N * a.C), f32('bias', 'in', (a) => a.C), dim('N'), dim('C')],
};

const addBiasBackward: KernelSpec = {
  name: 'addBiasBackward',
  params: ['dBias', 'dOut', 'N', 'C'],
  fields: [f32('dBias', 'inout', (a) => a.C), f32('dOut', 'in', (a) => a.N * a.C), dim('N'), dim('C')],
};

const softmaxCrossEntropyForward: KernelSpec = {
  name: 'softmaxCrossEntropyForward',
  params: ['probs', 'logits', 'targets', 'N', 'C'],
  fields: [f32('probs', 'out', (a) => a.N * a.C), f32('logits', 'in', (a) => a.N * a.C), i32('targets', (a) => a.N), dim('N'), dim('C')],
  check: (a) => checkTargets(a.targets, a.N, a.C),
};

const softmaxCrossEntropyBackward: KernelSpec = {
  name: 'softmaxCrossEntropyBackward',
  params: ['dLogits', 'probs', 'targets', 'N', 'C', 'scale'],
  fields: [f32('dLogits', 'inout', (a) => a.N * a.C), f32('probs', 'in', (a) => a.N * a.C), i32('targets', (a) => a.N), dim('N'), dim('C'), float('scale')],
  check: (a) => checkTargets(a.targets, a.N, a.C),
};

/** Every id a row of a table of `length` elements, D per row. */
function checkIds(ids: Int32Array, length: number, D: number): string | null {
  const rows = D > 0 ? Math.floor(length / D) : 0;
  for (let r = 0; r < ids.length; r++) if (!(ids[r] >= 0 && ids[r] < rows)) return `ids[${r}] = ${ids[r]} is outside the embedding table (${rows} rows of ${D})`;
  return null;
}

const embeddingForward: KernelSpec = {
  name: 'embeddingForward',
  params: ['out', 'table', 'ids', 'D'],
  fields: [f32('out', 'out', (a) => a.N * a.D), f32('table', 'in', undefined), i32('ids', (a) => a.N), dim('D'), dim('N', { derive: (a) => a.ids.length })],
  check: (a) => checkIds(a.ids, a.table.length, a.D),
};

const embeddingBackward: KernelSpec = {
  name: 'embeddingBackward',
  params: ['dTable', 'dOut', 'ids', 'D'],
  fields: [f32('dTable', 'inout', undefined), f32('dOut', 'in', (a) => a.N * a.D), i32('ids', (a) => a.N), dim('D'), dim('N', { derive: (a) => a.ids.length })],
  check: (a) => checkIds(a.ids, a.dTable.length, a.D),
};

const adamUpdate: KernelSpec = {
  name: 'adamUpdate',
  params: ['w', 'g', 'm', 'v', 's'],
  fields: [
    f32('w', 'inout', (a) => a.n),
    f32('g', 'in', (a) => a.n),
    f32('m', 'inout', (a) => a.n),
    f32('v', 'inout', (a) => a.n),
    n('g'),
    ...(['lr', 'beta1', 'beta2', 'eps', 'c1', 'c2', 'l2', 'shrink'] as const).map((k) => float(`s.${k}`)),
  ],
};

/** Every kernel's spec, by name. */
export const kernelSpecs: Readonly<Record<KernelName, KernelSpec>> = {
  gemm,
  addBias,
  addBiasBackward,
  unaryForward,
  unaryBackward,
  softmaxCrossEntropyForward,
  softmaxCrossEntropyBackward,
  embeddingForward,
  embeddingBackward,
  gruForward,
  gruBackward,
  attentionForward,
  attentionBackward,
  adamUpdate,
};

// ---------------------------------------------------------------- reading a call's fields

/**
 * Reads one field of a call: the argument (nested for dotted names), its
 * default, or its derived value; null for absent arrays. `params`: the
 * positional kernel's parameter names (its calls are {@link positionalRecord}s).
 */
export function fieldReader(f: Field, params?: readonly string[]): (a: Args) => unknown {
  const path = f.name.split('.');
  const at = params ? params.indexOf(path[0]) : -1;
  const raw = at >= 0 ? (path.length === 1 ? (a: Args) => a.p[at] : (a: Args) => a.p[at]?.[path[1]]) : path.length === 1 ? (a: Args) => a[f.name] : (a: Args) => a[path[0]]?.[path[1]];
  if (f.derive) return f.derive;
  if (f.type === 'f32' || f.type === 'i32') {
    const when = f.when;
    return when ? (a) => (when(a) ? (raw(a) ?? null) : null) : (a) => raw(a) ?? null;
  }
  if (f.default) {
    const d = f.default;
    return (a) => raw(a) ?? d(a);
  }
  return raw;
}

/**
 * A positional kernel's calls as records: an object per call whose getters
 * read the call's arguments under their parameter names, and compute the
 * derived sizes (n = x.length). (One class per kernel, so that the size
 * expressions see one shape.)
 */
export function positionalRecord(spec: KernelSpec): (p: readonly unknown[]) => Args {
  class Call {
    constructor(readonly p: readonly unknown[]) {}
  }
  spec.params!.forEach((name, i) =>
    Object.defineProperty(Call.prototype, name, {
      get(this: Call) {
        return this.p[i];
      },
    }),
  );
  for (const f of spec.fields) {
    const derive = f.derive;
    if (derive)
      Object.defineProperty(Call.prototype, f.name, {
        get(this: Call) {
          return derive(this);
        },
      });
  }
  return (p) => new Call(p);
}
