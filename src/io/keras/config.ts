/**
 * Keras model configurations (Keras 3 `config.json`, Keras 2 `model.to_json()`
 * and the `model_config` of legacy `.h5` files) → {@link KerasModelSpec},
 * and back to a minimal Keras 3 configuration that gru-ts model files store.
 *
 * The configuration is untrusted input: every field read is checked, a
 * malformed one is a GruError ('INVALID_FILE'), and a valid one that gru-ts
 * cannot run — a layer class, an option value, a graph shape — is a
 * GruError ('UNSUPPORTED') naming the layer, its class and its position
 * (its index in the configuration's layer list).
 *
 * Options: those that change what a layer computes are read and checked
 * (`stateful: true` is refused, `reset_after` selects the GRU form, …);
 * those that do not matter at inference (initializers, regularizers,
 * constraints, dropout rates, `unroll`, `implementation`, dtype policies,
 * seeds) are ignored; any other option is accepted only while it holds a
 * default-like value (null, false, 0, "", [] or {}), so an option from a
 * newer Keras that would change the result fails instead of being dropped.
 *
 * @module
 */
import { GruError } from '../../errors.js';
import { ACTIVATION_NAMES, isActivation, isElementwise } from './activations.js';
import type { KerasGruSpec, KerasLayerSpec, KerasModelSpec, TensorRef } from './spec.js';

/** Upper bounds of what a configuration may ask for (a hostile one must not make gru-ts allocate gigabytes). */
export const KERAS_LIMITS = { width: 65536, vocab: 50_000_000, layers: 10_000, dim: 100_000_000 } as const;

/** The layer classes gru-ts runs, for messages. */
export const SUPPORTED_LAYERS = ['InputLayer', 'Embedding', 'Masking', 'GRU', 'Bidirectional(GRU)', 'Dense', 'TimeDistributed(Dense)', 'Dropout', 'Flatten'];

type Json = Record<string, unknown>;

/** Where errors point: the source file and the layer being read. */
class Reader {
  constructor(readonly source: string) {}

  invalid(where: string, message: string): GruError {
    return new GruError('INVALID_FILE', `${this.source}: ${where ? where + ': ' : ''}${message}`);
  }

  unsupported(where: string, message: string): GruError {
    return new GruError('UNSUPPORTED', `${this.source}: ${where ? where + ': ' : ''}${message}`);
  }

  obj(v: unknown, where: string, what: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.invalid(where, `${what} must be a JSON object, got ${describe(v)}`);
    return v as Json;
  }

  list(v: unknown, where: string, what: string): unknown[] {
    if (!Array.isArray(v)) throw this.invalid(where, `${what} must be a JSON array, got ${describe(v)}`);
    return v;
  }

  str(v: unknown, where: string, what: string): string {
    if (typeof v !== 'string') throw this.invalid(where, `${what} must be a string, got ${describe(v)}`);
    return v;
  }
}

/** A short description of a JSON value for messages. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = typeof v; // nested too deep to print
  }
  return s.length > 60 ? s.slice(0, 60) + '…' : s;
}

/** Options read by any layer and ignored: they do not change inference. */
const IGNORED = new Set([
  'name',
  'trainable',
  'dtype',
  'batch_input_shape',
  'batch_shape',
  'input_shape',
  'input_dim',
  'input_length',
  'batch_size',
  'kernel_initializer',
  'recurrent_initializer',
  'bias_initializer',
  'embeddings_initializer',
  'kernel_regularizer',
  'recurrent_regularizer',
  'bias_regularizer',
  'activity_regularizer',
  'embeddings_regularizer',
  'kernel_constraint',
  'recurrent_constraint',
  'bias_constraint',
  'embeddings_constraint',
  'dropout',
  'recurrent_dropout',
  'rate',
  'noise_shape',
  'seed',
  'unroll',
  'implementation',
  'use_cudnn',
  'time_major',
  'build_config',
  'lora_alpha',
  'autocast',
  'data_format',
]);

/** A default-like value: an unknown option holding one cannot change the result. */
const isDefaultLike = (v: unknown): boolean => v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/** The checked options of one layer config. */
class Options {
  private readonly used = new Set<string>();
  constructor(
    private readonly r: Reader,
    readonly cfg: Json,
    readonly where: string,
  ) {}

  /** Marks options as read elsewhere. */
  skip(...keys: string[]): void {
    for (const k of keys) this.used.add(k);
  }

  private take(key: string): unknown {
    this.used.add(key);
    return this.cfg[key];
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.take(key);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw this.r.invalid(this.where, `option ${key} must be true or false, got ${describe(v)}`);
    return v;
  }

  int(key: string, min: number, max: number, dflt?: number): number {
    const v = this.take(key);
    if ((v === undefined || v === null) && dflt !== undefined) return dflt;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw this.r.invalid(this.where, `option ${key} must be an integer from ${min} to ${max}, got ${describe(v)}`);
    return v as number;
  }

  num(key: string, dflt: number): number {
    const v = this.take(key);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.r.invalid(this.where, `option ${key} must be a finite number, got ${describe(v)}`);
    return v;
  }

  /** An option that must hold `allowed` (or be absent): anything else is unsupported. */
  require(key: string, allowed: unknown, why: string): void {
    const v = this.take(key);
    if (v !== undefined && v !== null && v !== allowed) throw this.r.unsupported(this.where, `option ${key}=${describe(v)} is not supported (${why})`);
  }

  /**
   * An activation option: a name, or Keras 3's {class_name: 'function', config: name} form.
   * `elementwiseOnly` refuses softmax and log_softmax (a GRU applies its activations element by element).
   */
  activation(key: string, dflt: string, elementwiseOnly = false): string {
    const v = this.take(key);
    let name: string | null = null;
    if (v === undefined || v === null) name = dflt;
    else if (typeof v === 'string') name = v;
    else if (typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Json;
      if (o.class_name === 'function' && typeof o.config === 'string' && (o.module === undefined || String(o.module).startsWith('keras'))) name = o.config;
    }
    if (name === null) throw this.r.unsupported(this.where, `option ${key}=${describe(v)}: only Keras' built-in activations (by name) are supported`);
    if (name === 'swish') name = 'silu';
    if (name === 'hard_swish') name = 'hard_silu';
    if (!(elementwiseOnly ? isElementwise(name) : isActivation(name))) {
      const names = elementwiseOnly ? ACTIVATION_NAMES.filter(isElementwise) : ACTIVATION_NAMES;
      throw this.r.unsupported(this.where, `option ${key}='${name}' is not supported; expected one of ${names.join(', ')}`);
    }
    return name;
  }

  /** Every other option must be ignorable or default-like. */
  finish(): void {
    for (const [k, v] of Object.entries(this.cfg)) {
      if (this.used.has(k) || IGNORED.has(k) || isDefaultLike(v)) continue;
      throw this.r.unsupported(this.where, `option ${k}=${describe(v)} is not supported`);
    }
  }
}

/** What one call of a layer reads: tensors as [layerName, nodeIndex, tensorIndex], constant numbers, an explicit mask. */
interface NodeInputs {
  tensors: [string, number, number][];
  scalars: number[];
  mask: [string, number, number] | null;
}

/** One entry of a configuration's layer list. */
interface RawLayer {
  className: string;
  /** Keras 3's module of the class ('keras.layers', 'keras.src.ops.numpy', …), or null. */
  module: string | null;
  config: Json;
  name: string;
  /** Functional models: what its first (only) call reads; null for Sequential. */
  inbound: NodeInputs | null;
  callCount: number;
  where: string;
}

/** Options of parsing. */
export interface ParseConfigOptions {
  /** Names the file in messages. */
  source: string;
  /** The Keras version recorded beside the configuration (HDF5 attribute, metadata.json), if any. */
  kerasVersion?: string | null;
}

/**
 * Parses a Keras model configuration (the parsed JSON) into a {@link KerasModelSpec}.
 * @throws a {@link GruError}: 'INVALID_FILE' for a malformed configuration,
 *   'UNSUPPORTED' for a layer, option or graph gru-ts does not run (naming it and its position).
 */
export function parseKerasConfig(json: unknown, opts: ParseConfigOptions): KerasModelSpec {
  const r = new Reader(opts.source);
  const top = r.obj(json, '', 'the model configuration');
  const className = r.str(top.class_name, '', "the model configuration's class_name");
  const version = typeof top.keras_version === 'string' ? top.keras_version : (opts.kerasVersion ?? (top.module !== undefined ? '3' : null));
  const body = top.config;
  let spec: KerasModelSpec;
  if (className === 'Sequential') spec = parseSequential(r, body, version);
  else if (className === 'Functional' || className === 'Model') spec = parseFunctional(r, r.obj(body, '', 'the model config'), version);
  else throw r.unsupported('', `the model is a ${className}; gru-ts reads Sequential and Functional models (a subclassed model has no configuration to read)`);
  return spec;
}

function rawLayer(r: Reader, v: unknown, i: number, functional: boolean): RawLayer {
  const where0 = `layer ${i}`;
  const o = r.obj(v, where0, 'a layer');
  const className = r.str(o.class_name, where0, 'class_name');
  const config = r.obj(o.config, where0, 'config');
  const name = typeof config.name === 'string' ? config.name : typeof o.name === 'string' ? o.name : `${className.toLowerCase()}_${i}`;
  const where = `layer ${i} '${name}' (${className})`;
  let inbound: NodeInputs | null = null;
  let callCount = 1;
  if (functional) {
    const nodes = r.list(o.inbound_nodes ?? [], where, 'inbound_nodes');
    callCount = nodes.length;
    if (nodes.length > 1) throw r.unsupported(where, `the layer is called ${nodes.length} times (a shared layer); gru-ts runs each layer once`);
    inbound = nodes.length === 0 ? { tensors: [], scalars: [], mask: null } : nodeInputs(r, nodes[0], where);
  }
  return { className, module: typeof o.module === 'string' ? o.module : null, config, name, inbound, callCount, where };
}

/** What one call of a layer reads: Keras 3 {args, kwargs} or Keras 2 [[name, node, tensor, kwargs], …]. */
function nodeInputs(r: Reader, node: unknown, where: string): NodeInputs {
  const out: NodeInputs = { tensors: [], scalars: [], mask: null };
  const history = (h: unknown): [string, number, number] => {
    const a = r.list(h, where, 'keras_history');
    if (a.length < 3 || typeof a[0] !== 'string' || !Number.isInteger(a[1]) || !Number.isInteger(a[2])) throw r.invalid(where, `a tensor reference must be [layer, node, tensor], got ${describe(h)}`);
    return [a[0], a[1] as number, a[2] as number];
  };
  const tensorOf = (arg: unknown): [string, number, number] | null => {
    if (typeof arg === 'object' && arg !== null && !Array.isArray(arg) && (arg as Json).class_name === '__keras_tensor__') {
      return history(r.obj((arg as Json).config, where, 'a tensor').keras_history);
    }
    return null;
  };
  const kwargs = (k: Json): void => {
    for (const [key, v] of Object.entries(k)) {
      if (key === 'training' || v === null) continue;
      const mask = key === 'mask' ? tensorOf(v) : null;
      if (mask) {
        out.mask = mask;
        continue;
      }
      throw r.unsupported(where, `the layer is called with ${key}=${describe(v)}; gru-ts supports layers called on one tensor (no initial_state or constants)`);
    }
  };
  if (Array.isArray(node)) {
    for (const t of node) {
      const a = r.list(t, where, 'an inbound tensor');
      if (a[3] !== undefined && a[3] !== null) kwargs(r.obj(a[3], where, 'call arguments'));
      out.tensors.push(history(a));
    }
    return out;
  }
  const o = r.obj(node, where, 'an inbound node');
  for (const arg of r.list(o.args ?? [], where, 'args')) {
    const one = tensorOf(arg);
    if (one) out.tensors.push(one);
    else if (typeof arg === 'number' && Number.isFinite(arg)) out.scalars.push(arg);
    else if (Array.isArray(arg) && arg.length > 0 && arg.every((a) => tensorOf(a) !== null)) out.tensors.push(...arg.map((a) => tensorOf(a)!));
    else throw r.unsupported(where, `a call argument ${describe(arg)} is not supported (a layer reads one tensor)`);
  }
  kwargs(r.obj(o.kwargs ?? {}, where, 'kwargs'));
  return out;
}

function parseSequential(r: Reader, body: unknown, kerasVersion: string | null): KerasModelSpec {
  // Keras ≤ 2.2 wrote a Sequential's config as the bare layer list.
  const cfg = Array.isArray(body) ? { layers: body } : r.obj(body, '', 'the model config');
  const list = r.list(cfg.layers, '', 'config.layers');
  if (list.length > KERAS_LIMITS.layers) throw r.invalid('', `config.layers has ${list.length} layers, more than ${KERAS_LIMITS.layers}`);
  const raws = list.map((v, i) => rawLayer(r, v, i, false));
  const name = typeof cfg.name === 'string' ? cfg.name : 'sequential';
  const layers: KerasLayerSpec[] = [];
  if (raws.length === 0 || raws[0].className !== 'InputLayer') {
    // No InputLayer: the first layer carries the input shape (Keras 2: batch_input_shape).
    const first = raws[0];
    if (!first) throw r.invalid('', 'the Sequential model has no layers');
    const shape = first.config.batch_shape ?? first.config.batch_input_shape;
    if (shape === undefined) throw r.unsupported(first.where, 'the model has no input shape (no InputLayer and no batch_input_shape); build the model on an Input before saving it');
    layers.push({
      kind: 'input',
      name: `${first.name}_input`,
      className: 'InputLayer',
      position: -1,
      inbound: null,
      maskFrom: null,
      ...inputShape(r, { batch_shape: shape, dtype: first.className === 'Embedding' ? 'int32' : 'float32' }, first.where),
    });
  }
  raws.forEach((raw, i) => {
    if (raw.className === 'InputLayer') {
      if (i !== 0) throw r.unsupported(raw.where, 'an InputLayer after the first layer');
      layers.push(parseLayer(r, raw, i, null, null));
      return;
    }
    const prev = layers.length - 1;
    const spec = parseLayer(r, raw, i, { layer: prev, tensor: 0 }, null);
    if (outputCount(layers[prev]) > 1) throw r.unsupported(raw.where, `it follows ${layers[prev].className} '${layers[prev].name}', which returns its states too (return_state); a Sequential model can only end with such a layer`);
    layers.push(spec);
  });
  const last = layers.length - 1;
  const outputs = Array.from({ length: outputCount(layers[last]) }, (_, t) => ({ layer: last, tensor: t }));
  return finish(r, { name, kerasVersion, layers, outputs });
}

function parseFunctional(r: Reader, cfg: Json, kerasVersion: string | null): KerasModelSpec {
  const list = r.list(cfg.layers, '', 'config.layers');
  if (list.length > KERAS_LIMITS.layers) throw r.invalid('', `config.layers has ${list.length} layers, more than ${KERAS_LIMITS.layers}`);
  const raws = list.map((v, i) => rawLayer(r, v, i, true));
  const index = new Map<string, number>();
  const layers: KerasLayerSpec[] = [];
  const ref = (t: [string, number, number], where: string): TensorRef => {
    const at = index.get(t[0]);
    if (at === undefined) {
      if (raws.some((x) => x.name === t[0])) throw r.invalid(where, `it reads layer '${t[0]}', which comes later in config.layers`);
      throw r.invalid(where, `it reads layer '${t[0]}', which is not in config.layers`);
    }
    if (t[1] !== 0) throw r.unsupported(where, `it reads call ${t[1]} of layer '${t[0]}' (a shared layer); gru-ts runs each layer once`);
    if (t[2] < 0 || t[2] >= outputCount(layers[at])) throw r.invalid(where, `it reads output ${t[2]} of layer '${t[0]}', which has ${outputCount(layers[at])}`);
    return { layer: at, tensor: t[2] };
  };
  raws.forEach((raw, i) => {
    if (index.has(raw.name)) throw r.invalid(raw.where, `the layer name '${raw.name}' is used twice`);
    const node = raw.inbound!;
    let inbound: TensorRef | null = null;
    if (raw.className === 'InputLayer') {
      if (node.tensors.length > 0) throw r.invalid(raw.where, 'an InputLayer cannot have inputs');
    } else {
      if (raw.callCount === 0) throw r.unsupported(raw.where, 'the layer is never called in the model');
      if (node.tensors.length !== 1) throw r.unsupported(raw.where, `the layer reads ${node.tensors.length} tensors; gru-ts supports layers that read one`);
      inbound = ref(node.tensors[0], raw.where);
    }
    const maskFrom = node.mask ? ref(node.mask, raw.where) : null;
    layers.push(parseLayer(r, raw, i, inbound, maskFrom));
    index.set(raw.name, layers.length - 1);
  });
  const refs = (v: unknown, what: string): [string, number, number][] => {
    const a = r.list(v, '', what);
    return (a.length > 0 && typeof a[0] === 'string' ? [a] : a).map((t) => {
      const x = r.list(t, '', what);
      if (x.length < 3 || typeof x[0] !== 'string' || !Number.isInteger(x[1]) || !Number.isInteger(x[2])) throw r.invalid('', `${what} must hold [layer, node, tensor] triples, got ${describe(t)}`);
      return [x[0], x[1] as number, x[2] as number];
    });
  };
  const inputs = refs(cfg.input_layers, 'config.input_layers');
  if (inputs.length !== 1) throw r.unsupported('', `the model has ${inputs.length} inputs; gru-ts supports models with one`);
  const inputAt = ref(inputs[0], 'config.input_layers');
  if (layers[inputAt.layer].kind !== 'input') throw r.invalid('', `config.input_layers names '${inputs[0][0]}', which is not an InputLayer`);
  const inputLayers = layers.filter((l) => l.kind === 'input');
  if (inputLayers.length !== 1) throw r.unsupported('', `the model has ${inputLayers.length} InputLayers; gru-ts supports models with one`);
  const outputs = refs(cfg.output_layers, 'config.output_layers').map((t) => ref(t, 'config.output_layers'));
  if (outputs.length === 0) throw r.invalid('', 'config.output_layers is empty');
  return finish(r, { name: typeof cfg.name === 'string' ? cfg.name : 'functional', kerasVersion, layers, outputs });
}

/** Checks what the whole graph needs: one input, outputs present. */
function finish(r: Reader, spec: KerasModelSpec): KerasModelSpec {
  if (spec.layers[0]?.kind !== 'input') throw r.invalid('', 'the model has no input');
  return spec;
}

/** Number of output tensors of a layer: 1, or 1 + states with return_state. */
export function outputCount(l: KerasLayerSpec): number {
  if (l.kind === 'gru') return l.gru.returnState ? 2 : 1;
  if (l.kind === 'bidirectional') return l.forward.returnState ? 3 : 1;
  return 1;
}

function inputShape(r: Reader, cfg: Json, where: string): { shape: (number | null)[]; dtype: string } {
  const raw = cfg.batch_shape ?? cfg.batch_input_shape;
  let shape: (number | null)[];
  if (raw !== undefined && raw !== null) {
    const a = r.list(raw, where, 'batch_shape');
    if (a.length < 2) throw r.unsupported(where, `input shape ${describe(a)}: gru-ts expects (batch, steps) token ids or (batch, steps, features)`);
    shape = a.slice(1).map((d) => {
      if (d === null) return null;
      if (!Number.isInteger(d) || (d as number) < 1 || (d as number) > KERAS_LIMITS.dim) throw r.invalid(where, `batch_shape must hold positive integers or null, got ${describe(a)}`);
      return d as number;
    });
  } else {
    throw r.invalid(where, 'the InputLayer has no batch_shape');
  }
  const dtypeRaw = cfg.dtype;
  const dtype = typeof dtypeRaw === 'string' ? dtypeRaw : typeof dtypeRaw === 'object' && dtypeRaw !== null && typeof (dtypeRaw as Json).config === 'object' ? String(((dtypeRaw as Json).config as Json).name ?? 'float32') : 'float32';
  return { shape, dtype };
}

/** Keras GRU options (of a GRU layer, or one direction of a Bidirectional). */
function parseGru(r: Reader, cfg: Json, where: string): KerasGruSpec {
  const o = new Options(r, cfg, where);
  const gru: KerasGruSpec = {
    name: typeof cfg.name === 'string' ? cfg.name : 'gru',
    units: o.int('units', 1, KERAS_LIMITS.width),
    activation: o.activation('activation', 'tanh', true),
    recurrentActivation: o.activation('recurrent_activation', 'sigmoid', true),
    useBias: o.bool('use_bias', true),
    resetAfter: o.bool('reset_after', true),
    goBackwards: o.bool('go_backwards', false),
    returnSequences: o.bool('return_sequences', false),
    returnState: o.bool('return_state', false),
    zeroOutputForMask: o.bool('zero_output_for_mask', false),
  };
  o.require('stateful', false, 'a stateful GRU carries its state across predict calls; save the model with stateful=False');
  o.require('time_major', false, 'time-major inputs');
  o.finish();
  return gru;
}

/** The layer table's parsing half: one Keras layer config → its spec. */
function parseLayer(r: Reader, raw: RawLayer, position: number, inbound: TensorRef | null, maskFrom: TensorRef | null): KerasLayerSpec {
  const { className, config: cfg, name, where } = raw;
  const common = { name, className, position, inbound, maskFrom };
  const o = new Options(r, cfg, where);
  if (raw.module !== null && raw.module.startsWith('keras.src.ops')) return parseOp(r, raw, common, o);
  const scalars = raw.inbound?.scalars ?? [];
  if (scalars.length > 0) throw r.unsupported(where, `the layer is called with constant arguments ${describe(scalars)}`);
  let spec: KerasLayerSpec;
  switch (className) {
    case 'InputLayer': {
      o.require('sparse', false, 'sparse inputs');
      o.require('ragged', false, 'ragged inputs');
      o.require('optional', false, 'optional inputs');
      spec = { kind: 'input', ...common, ...inputShape(r, cfg, where) };
      break;
    }
    case 'Embedding':
      spec = {
        kind: 'embedding',
        ...common,
        inputDim: o.int('input_dim', 1, KERAS_LIMITS.vocab),
        outputDim: o.int('output_dim', 1, KERAS_LIMITS.width),
        maskZero: o.bool('mask_zero', false),
      };
      o.require('lora_rank', 0, 'LoRA');
      o.require('quantization_config', null, 'quantized weights');
      o.require('sparse', false, 'sparse embeddings');
      break;
    case 'Masking':
      spec = { kind: 'masking', ...common, maskValue: o.num('mask_value', 0) };
      break;
    case 'GRU':
      return { kind: 'gru', ...common, gru: parseGru(r, cfg, where) };
    case 'Bidirectional': {
      const mode = cfg.merge_mode;
      if (mode !== 'concat' && mode !== 'sum' && mode !== 'mul' && mode !== 'ave') {
        if (mode === null) throw r.unsupported(where, 'merge_mode=None (two separate outputs) is not supported; use concat, sum, mul or ave');
        throw r.unsupported(where, `merge_mode=${describe(mode)} is not supported; expected concat, sum, mul or ave`);
      }
      const inner = r.obj(cfg.layer, where, 'the wrapped layer');
      const innerClass = r.str(inner.class_name, where, "the wrapped layer's class_name");
      if (innerClass !== 'GRU') throw r.unsupported(where, `it wraps a ${innerClass}; gru-ts supports Bidirectional(GRU)`);
      const forward = parseGru(r, r.obj(inner.config, where, "the wrapped layer's config"), `${where}, forward layer`);
      let backward: KerasGruSpec;
      if (cfg.backward_layer !== undefined && cfg.backward_layer !== null) {
        const b = r.obj(cfg.backward_layer, where, 'backward_layer');
        const bClass = r.str(b.class_name, where, "backward_layer's class_name");
        if (bClass !== 'GRU') throw r.unsupported(where, `its backward layer is a ${bClass}; gru-ts supports Bidirectional(GRU)`);
        backward = parseGru(r, r.obj(b.config, where, "backward_layer's config"), `${where}, backward layer`);
      } else {
        backward = { ...forward, name: `backward_${forward.name}`, goBackwards: !forward.goBackwards };
      }
      if (backward.goBackwards === forward.goBackwards) throw r.invalid(where, 'the forward and backward layers must run in different directions (go_backwards)');
      for (const k of ['units', 'useBias', 'resetAfter'] as const) {
        if (forward[k] !== backward[k]) throw r.unsupported(where, `the forward and backward GRUs differ in ${k} (${forward[k]} and ${backward[k]}); gru-ts holds both directions in one GRU module`);
      }
      // Keras: Bidirectional returns what its forward layer returns, and forces zero_output_for_mask = return_sequences on both.
      backward.returnSequences = forward.returnSequences;
      backward.returnState = forward.returnState;
      forward.zeroOutputForMask = backward.zeroOutputForMask = forward.returnSequences;
      o.skip('merge_mode', 'layer', 'backward_layer');
      spec = { kind: 'bidirectional', ...common, mergeMode: mode, forward, backward };
      break;
    }
    case 'Dense':
      spec = denseSpec(o, common, null);
      break;
    case 'TimeDistributed': {
      const inner = r.obj(cfg.layer, where, 'the wrapped layer');
      const innerClass = r.str(inner.class_name, where, "the wrapped layer's class_name");
      if (innerClass !== 'Dense') throw r.unsupported(where, `it wraps a ${innerClass}; gru-ts supports TimeDistributed(Dense)`);
      const innerCfg = r.obj(inner.config, where, "the wrapped layer's config");
      const innerWhere = `${where}, wrapped Dense`;
      const io = new Options(r, innerCfg, innerWhere);
      spec = denseSpec(io, common, typeof innerCfg.name === 'string' ? innerCfg.name : 'dense');
      io.finish();
      o.skip('layer');
      break;
    }
    case 'Dropout':
      spec = { kind: 'dropout', ...common };
      break;
    case 'Flatten':
      if (cfg.data_format === 'channels_first') throw r.unsupported(where, "data_format='channels_first' is not supported");
      spec = { kind: 'flatten', ...common };
      break;
    case 'Sequential':
    case 'Functional':
    case 'Model':
      throw r.unsupported(where, 'a model nested inside the model is not supported; flatten it into one Sequential or functional model');
    default:
      throw r.unsupported(where, `${className} layers are not supported; gru-ts supports ${SUPPORTED_LAYERS.join(', ')}`);
  }
  o.finish();
  return spec;
}

type CommonFields = { name: string; className: string; position: number; inbound: TensorRef | null; maskFrom: TensorRef | null };

/**
 * Keras 3 op nodes (`keras.src.ops.*`) of a functional graph. Keras records
 * the masks of Embedding(mask_zero) and Masking as NotEqual(x, value) and
 * Any(…, axis=-1); those two are supported, other ops are not.
 */
function parseOp(r: Reader, raw: RawLayer, common: CommonFields, o: Options): KerasLayerSpec {
  const scalars = raw.inbound?.scalars ?? [];
  if (raw.className === 'NotEqual') {
    if (scalars.length !== 1) throw r.unsupported(raw.where, `NotEqual of a tensor and ${scalars.length} numbers; gru-ts supports x != number (the masks Keras records)`);
    o.finish();
    return { kind: 'notEqual', ...common, value: scalars[0] };
  }
  if (raw.className === 'Any') {
    const axis = o.int('axis', -1000, 1000, -1);
    const keepdims = o.bool('keepdims', false);
    if (axis !== -1 || keepdims || scalars.length > 0) throw r.unsupported(raw.where, 'gru-ts supports any(x, axis=-1) (the masks Keras records)');
    o.finish();
    return { kind: 'any', ...common };
  }
  throw r.unsupported(raw.where, `the operation ${raw.className} is not supported; gru-ts supports the layers ${SUPPORTED_LAYERS.join(', ')} (and the NotEqual/Any operations of masks)`);
}

function denseSpec(o: Options, common: CommonFields, inner: string | null): KerasLayerSpec {
  const spec: KerasLayerSpec = {
    kind: 'dense',
    ...common,
    units: o.int('units', 1, KERAS_LIMITS.width * 16),
    activation: o.activation('activation', 'linear'),
    useBias: o.bool('use_bias', true),
    timeDistributed: inner,
  };
  o.require('lora_rank', 0, 'LoRA');
  o.require('quantization_config', null, 'quantized weights');
  return spec;
}

// ---------------------------------------------------------------------------
// Back to a Keras configuration
// ---------------------------------------------------------------------------

function gruConfig(g: KerasGruSpec): Json {
  return {
    name: g.name,
    units: g.units,
    activation: g.activation,
    recurrent_activation: g.recurrentActivation,
    use_bias: g.useBias,
    reset_after: g.resetAfter,
    go_backwards: g.goBackwards,
    return_sequences: g.returnSequences,
    return_state: g.returnState,
    zero_output_for_mask: g.zeroOutputForMask,
  };
}

/**
 * The spec as a minimal Keras 3 functional-model configuration (only the
 * options gru-ts reads), which {@link parseKerasConfig} reads back to the
 * same spec and Keras itself can load (`keras.models.model_from_json`).
 * `shapeOf` gives each tensor's shape without the batch axis (Keras' node
 * records need it). gru-ts model files store it.
 */
export function toKerasConfig(spec: KerasModelSpec, shapeOf: (t: TensorRef) => (number | null)[]): Json {
  const tensor = (t: TensorRef) => {
    const from = spec.layers[t.layer];
    const dtype = from.kind === 'input' ? from.dtype : from.kind === 'notEqual' || from.kind === 'any' ? 'bool' : 'float32';
    return { class_name: '__keras_tensor__', config: { shape: [null, ...shapeOf(t)], dtype, keras_history: [from.name, 0, t.tensor] } };
  };
  const layers = spec.layers.map((l): Json => {
    let config: Json;
    let args: unknown[] = l.inbound ? [tensor(l.inbound)] : [];
    let module = 'keras.layers';
    switch (l.kind) {
      case 'input':
        config = { name: l.name, batch_shape: [null, ...l.shape], dtype: l.dtype };
        break;
      case 'embedding':
        config = { name: l.name, input_dim: l.inputDim, output_dim: l.outputDim, mask_zero: l.maskZero };
        break;
      case 'masking':
        config = { name: l.name, mask_value: l.maskValue };
        break;
      case 'gru':
        config = gruConfig(l.gru);
        break;
      case 'bidirectional':
        config = { name: l.name, merge_mode: l.mergeMode, layer: { module: 'keras.layers', class_name: 'GRU', config: gruConfig(l.forward) }, backward_layer: { module: 'keras.layers', class_name: 'GRU', config: gruConfig(l.backward) } };
        break;
      case 'dense': {
        const dense = { units: l.units, activation: l.activation, use_bias: l.useBias };
        config = l.timeDistributed === null ? { name: l.name, ...dense } : { name: l.name, layer: { module: 'keras.layers', class_name: 'Dense', config: { name: l.timeDistributed, ...dense } } };
        break;
      }
      case 'dropout':
        config = { name: l.name, rate: 0 };
        break;
      case 'flatten':
        config = { name: l.name };
        break;
      case 'notEqual':
        config = { name: l.name };
        module = 'keras.src.ops.numpy';
        args = [...args, l.value];
        break;
      case 'any':
        config = { name: l.name, axis: -1, keepdims: false };
        module = 'keras.src.ops.numpy';
        break;
    }
    const kwargs = l.maskFrom ? { mask: tensor(l.maskFrom) } : {};
    return {
      module,
      class_name: l.className,
      config,
      ...(module === 'keras.layers' ? {} : { registered_name: l.className }),
      name: l.name,
      inbound_nodes: l.inbound ? [{ args, kwargs }] : [],
    };
  });
  const out = spec.outputs.map((t) => [spec.layers[t.layer].name, 0, t.tensor]);
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    ...(spec.kerasVersion === null ? {} : { keras_version: spec.kerasVersion }),
    config: { name: spec.name, layers, input_layers: [[spec.layers[0].name, 0, 0]], output_layers: out },
  };
}
