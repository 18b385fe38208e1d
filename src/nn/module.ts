/**
 * Modules own named parameters (PyTorch names, so state dicts are
 * interchangeable) and child modules, and switch between training and
 * evaluation mode.
 */
import { Tensor, allocate, shapeString, type DType } from '../tensor/tensor.js';
import { Var } from '../autograd/var.js';
import { GruError } from '../errors.js';

/** Name → tensor, as PyTorch's `state_dict()`. */
export type StateDict = Record<string, Tensor>;

export interface LoadOptions {
  /** Key prefix of this module inside the dict (e.g. "gru."); detected when omitted. */
  prefix?: string;
  /**
   * The file the dict was read from. A dict that does not fit is then the
   * file's fault: the error is a GruError ('INVALID_FILE') naming the file;
   * without it, a GruError ('INVALID_ARGUMENT').
   */
  file?: string;
}

export abstract class Module {
  /** Training mode (dropout active) when true. */
  training = true;
  private readonly ownParams = new Map<string, Var>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter under its PyTorch name. */
  protected param(name: string, value: Tensor): Var {
    const v = new Var(value, true, name);
    this.ownParams.set(name, v);
    return v;
  }

  /** Registers a child module; its parameters appear as `name.param`. */
  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** All parameters with dotted names, in registration order. */
  namedParameters(prefix = ''): [string, Var][] {
    const out: [string, Var][] = [];
    for (const [n, v] of this.ownParams) out.push([prefix + n, v]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Var[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Sets training mode (dropout on) for this module and its children. */
  train(on = true): this {
    this.training = on;
    for (const m of this.children.values()) m.train(on);
    return this;
  }

  /** Sets evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /**
   * Restarts the random streams (dropout masks) of this module and its
   * children from `seed`, so a training run resumed at an epoch boundary
   * draws the same masks as an uninterrupted one.
   */
  reseed(seed: number): void {
    let i = 0;
    for (const m of this.children.values()) m.reseed(seed * 31 + ++i);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Copies of the parameters by name. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [n, v] of this.namedParameters()) out[n] = v.value.clone();
    return out;
  }

  /**
   * Loads parameters by name. Every parameter must be present with its
   * exact shape; keys under the prefix that this module does not have are
   * an error (keys outside the prefix belong to other modules and are
   * ignored). Values are converted to the module's element type.
   */
  loadStateDict(dict: StateDict | Map<string, Tensor>, opts: LoadOptions = {}): void {
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const named = this.namedParameters();
    // From a file: 'INVALID_FILE' naming it (the file and the configuration it records disagree); else the caller's dict is wrong.
    const fail = (message: string) =>
      opts.file === undefined ? new GruError('INVALID_ARGUMENT', `loadStateDict: ${message}`) : new GruError('INVALID_FILE', `${opts.file}: the tensors do not match the model its metadata describes: ${message}`);
    const prefix =
      opts.prefix ??
      detectPrefix(
        [...entries.keys()],
        named.map(([n]) => n),
        fail,
      );
    const expected = new Map(named.map(([n, v]) => [prefix + n, v]));
    const missing = [...expected.keys()].filter((k) => !entries.has(k));
    const extra = [...entries.keys()].filter((k) => k.startsWith(prefix) && !expected.has(k));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (extra.length) parts.push(`unexpected keys: ${extra.join(', ')}`);
      throw fail(`${parts.join('; ')} (expected exactly: ${[...expected.keys()].join(', ')})`);
    }
    for (const [k, v] of expected) {
      const t = entries.get(k)!;
      if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        throw fail(`'${k}' must have shape ${shapeString(v.shape)}, got ${shapeString(t.shape)}`);
      }
    }
    for (const [k, v] of expected) {
      const data = allocate(v.value.size, v.value.dtype);
      data.set(entries.get(k)!.data);
      v.value = new Tensor(data, v.shape);
    }
  }

  /** Element type of the parameters. */
  get dtype(): DType {
    return this.parameters()[0]?.value.dtype ?? 'float32';
  }
}

/**
 * The prefix under which a module's names appear in a dict: "" when the
 * first name is there as it is, else the unique text before it (e.g. "gru.").
 */
function detectPrefix(keys: string[], names: string[], fail: (message: string) => Error): string {
  if (names.length === 0 || keys.includes(names[0])) return '';
  const found = keys.filter((k) => k.endsWith('.' + names[0])).map((k) => k.slice(0, k.length - names[0].length));
  if (found.length === 1) return found[0];
  if (found.length > 1) throw fail(`several modules match (${found.join(', ')}); pass { prefix } to choose one`);
  return '';
}
