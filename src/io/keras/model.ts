/**
 * A Keras model run by gru-ts: {@link readKerasModel} reads Keras' files
 * (as bytes), {@link KerasModel.predict} gives what Keras' `model.predict`
 * gives. Browser-safe: no file system (see load.ts for paths).
 *
 * Accepted bytes:
 * - a Keras 3 `.keras` file: a zip of `config.json`, `model.weights.h5`
 *   and `metadata.json` (which names the Keras version);
 * - a legacy `.h5` model (Keras 2's `model.save`, or Keras 3 writing that
 *   format): attributes `model_config`, `keras_version`, weights under
 *   `model_weights/`;
 * - a model configuration as JSON (`model.to_json()`, Keras 2 or 3) with
 *   `weights`: a `.weights.h5` (Keras 3, `save_weights`) or Keras 2 `.h5`
 *   weight file.
 *
 * @module
 */
import { unzipSync } from 'fflate';
import { Tensor, shapeString, withAllocationBudget } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { GRU } from '../../nn/gru.js';
import { Linear } from '../../nn/linear.js';
import { Embedding } from '../../nn/embedding.js';
import { noGrad } from '../../autograd/var.js';
import { GruError } from '../../errors.js';
import { Hdf5File, isHdf5 } from './hdf5.js';
import { parseKerasConfig, toKerasConfig } from './config.js';
import { kerasMajor, type KerasModelSpec } from './spec.js';
import { weightStore } from './weights.js';
import { buildLayer, fmt, layerName, maskOf, type KerasLayer, type LayerResult, type Shape } from './layers.js';

/** Largest zip members read: the configuration and metadata (JSON), the weights (HDF5). */
const ZIP_LIMITS: Record<string, number> = { 'config.json': 256 * 2 ** 20, 'metadata.json': 2 ** 20, 'model.weights.h5': 2 ** 31 - 1 };

/** Elements a model may allocate beyond the weights it was given (small layers have fixed costs). */
const BUDGET_SLACK = 1_000_000;

/** Options of {@link readKerasModel}. */
export interface ReadKerasOptions {
  /** The weights, when `bytes` is a JSON configuration: a `.weights.h5` (Keras 3) or Keras 2 `.h5` weight file. */
  weights?: Uint8Array;
  /** Names the model in messages (a path). Default 'Keras model'. */
  source?: string;
  /** Names the weights in messages. Default `source` + ' weights'. */
  weightsSource?: string;
}

/**
 * A Keras model as gru-ts modules: one per layer with weights (GRU, Linear,
 * Embedding; see layers.ts), run in the order of the Keras graph. Its state
 * dict names are `layers.<index>.<PyTorch name>`, the index being the
 * layer's position in {@link KerasModel.spec}.
 */
export class KerasModel extends Module {
  /** What was read from the Keras configuration. */
  readonly spec: KerasModelSpec;
  /** The layers in graph order, each with its module (or null) and shapes. */
  readonly layers: readonly KerasLayer[];

  /** Builds the layers (weights initialised at random: load a state dict, as the readers do). */
  constructor(spec: KerasModelSpec) {
    super();
    this.spec = spec;
    const major = kerasMajor(spec);
    const layers: KerasLayer[] = [];
    for (const l of spec.layers) {
      const inShape: Shape = l.inbound === null ? (l.kind === 'input' ? l.shape : []) : layers[l.inbound.layer].outputShapes[l.inbound.tensor];
      const layer = buildLayer(l, inShape, major);
      if (layer.module) this.child(`layers.${layers.length}`, layer.module);
      layers.push(layer);
    }
    this.layers = layers;
    this.eval();
  }

  /** Input shape with the batch axis left out (null: any length). */
  get inputShape(): Shape {
    return this.layers[0].outputShapes[0];
  }

  /** Each output's shape, batch axis left out. */
  get outputShapes(): Shape[] {
    return this.spec.outputs.map((t) => this.layers[t.layer].outputShapes[t.tensor]);
  }

  /**
   * Keras' `model.predict(x)` for a one-output model: x is (batch, …input
   * shape), token ids as numbers for a model that starts with an Embedding.
   * @throws a {@link GruError} ('INVALID_ARGUMENT') when x does not fit the input, or the model has several outputs (use {@link predictAll}).
   */
  predict(x: Tensor): Tensor {
    if (this.spec.outputs.length !== 1) {
      throw new GruError('INVALID_ARGUMENT', `predict: the model has ${this.spec.outputs.length} outputs; use predictAll, which returns them in order`);
    }
    return this.predictAll(x)[0];
  }

  /** Every output of the model, in the order of Keras' `model.predict` list. */
  predictAll(x: Tensor): Tensor[] {
    const want = this.inputShape;
    const fits = x.shape.length === want.length + 1 && x.shape[0] >= 1 && want.every((d, i) => (d === null ? x.shape[i + 1] >= 1 : x.shape[i + 1] === d));
    if (!fits) throw new GruError('INVALID_ARGUMENT', `predict: x must have shape ${fmt(want).replace('None', 'batch')} (None: any size from 1), got ${shapeString(x.shape)}`);
    for (let i = 0; i < x.size; i++) {
      if (!Number.isFinite(x.data[i])) throw new GruError('INVALID_ARGUMENT', `predict: x must be finite, got ${x.data[i]} at flat index ${i}`);
    }
    const input = x.dtype === 'float32' ? x : x.clone('float32');
    return noGrad(() => {
      const results: LayerResult[] = [];
      for (const layer of this.layers) {
        const { inbound: from, maskFrom } = layer.spec;
        if (from === null) {
          results.push({ outputs: [input], masks: [null] });
          continue;
        }
        // An explicit mask argument (Keras 3 functional graphs) wins over the mask arriving with the input.
        const x = results[from.layer].outputs[from.tensor];
        const mask = maskFrom ? maskOf(results[maskFrom.layer].outputs[maskFrom.tensor], x, layerName(layer.spec)) : results[from.layer].masks[from.tensor];
        results.push(layer.call(x, mask));
      }
      return this.spec.outputs.map((t) => results[t.layer].outputs[t.tensor]);
    });
  }

  /** A table of the layers as Keras' `model.summary()` prints it, with the gru-ts module of each. */
  summary(): string {
    const rows = this.layers.map((layer, i) => {
      const l = layer.spec;
      const params = layer.module ? layer.module.parameters().reduce((n, p) => n + p.value.size, 0) : 0;
      const module = describeModule(layer.module);
      return [String(i), `${l.name} (${l.className})`, layer.outputShapes.map(fmt).join(' + '), String(params), module];
    });
    const head = ['#', 'Layer (type)', 'Output shape', 'Params', 'gru-ts module'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (r: string[]) =>
      r
        .map((s, c) => (c === 3 ? s.padStart(widths[c]) : s.padEnd(widths[c])))
        .join('  ')
        .trimEnd();
    const total = this.parameters().reduce((n, p) => n + p.value.size, 0);
    const outputs = this.spec.outputs.map((t) => `${this.spec.layers[t.layer].name}[${t.tensor}]`).join(', ');
    return [`Model: "${this.spec.name}" (Keras ${this.spec.kerasVersion ?? 'version unknown'})`, line(head), ...rows.map(line), `Outputs: ${outputs}`, `Total params: ${total.toLocaleString('en-US')}`].join('\n');
  }

  /** The configuration as a minimal Keras 3 functional-model config (what gru-ts model files store; {@link kerasModelFromConfig} reads it). */
  config(): Record<string, unknown> {
    return toKerasConfig(this.spec, (t) => this.layers[t.layer].outputShapes[t.tensor]);
  }
}

/** "GRU(4 → 8, bidirectional, resetAfter)", "Linear(8 → 2)", "Embedding(1000 × 16)": a layer's module for summaries. */
function describeModule(m: Module | null): string {
  if (m instanceof GRU) return `GRU(${m.inputSize} → ${m.hiddenSize}${m.bidirectional ? ', bidirectional' : ''}${m.resetAfter ? ', resetAfter' : ', resetBefore'}${m.bias ? '' : ', no bias'})`;
  if (m instanceof Linear) return `Linear(${m.weight.shape[1]} → ${m.weight.shape[0]}${m.bias ? '' : ', no bias'})`;
  if (m instanceof Embedding) return `Embedding(${m.weight.shape[0]} × ${m.weight.shape[1]})`;
  return m === null ? '—' : m.constructor.name;
}

/**
 * Builds the model of `spec` allowing at most `limit` tensor elements, so a
 * forged configuration (units: 1e9) fails before it allocates more than its
 * file could hold.
 */
function budgeted(spec: KerasModelSpec, limit: number, source: string, held: string): KerasModel {
  return withAllocationBudget(
    limit,
    () => new KerasModel(spec),
    (asked, lim, allocated) => new GruError('INVALID_FILE', `${source}: the configuration implies more weights than the file holds (${allocated + asked} elements or more, past the ${lim} allowed for ${held})`),
  );
}

/**
 * Reads a Keras model from bytes (see the module's description for the
 * formats) and returns it ready to predict.
 *
 * @throws a {@link GruError}: 'INVALID_FILE' for truncated or malformed
 *   files; 'UNSUPPORTED' for a layer or option gru-ts does not run (the
 *   message names it and its position); 'INVALID_ARGUMENT' when a JSON
 *   configuration comes without weights.
 */
export function readKerasModel(bytes: Uint8Array, opts: ReadKerasOptions = {}): KerasModel {
  const source = opts.source ?? 'Keras model';
  let config: unknown;
  let kerasVersion: string | null = null;
  let h5: Hdf5File;
  if (isZip(bytes)) {
    const files = unzipMembers(bytes, source);
    if (opts.weights) throw new GruError('INVALID_ARGUMENT', `${source}: a .keras file holds its own weights; pass no weights option`);
    if (!files['config.json']) throw new GruError('INVALID_FILE', `${source}: not a Keras 3 .keras file: the zip has no config.json`);
    if (!files['model.weights.h5']) {
      throw new GruError(files['model.weights.json'] ? 'UNSUPPORTED' : 'INVALID_FILE', `${source}: the .keras zip has no model.weights.h5${files['model.weights.json'] ? ' (sharded weights are not supported)' : ''}`);
    }
    config = parseJson(files['config.json'], `${source}: config.json`);
    if (files['metadata.json']) {
      const meta = parseJson(files['metadata.json'], `${source}: metadata.json`);
      if (typeof meta === 'object' && meta !== null && typeof (meta as Record<string, unknown>).keras_version === 'string') kerasVersion = (meta as Record<string, string>).keras_version;
    }
    h5 = new Hdf5File(files['model.weights.h5'], `${source} (model.weights.h5)`);
  } else if (isHdf5(bytes)) {
    const file = new Hdf5File(bytes, source);
    const modelConfig = file.stringAttr('', 'model_config');
    if (modelConfig === undefined) {
      if (file.hasGroup('layers') || file.stringListAttr('', 'layer_names') !== undefined) {
        throw new GruError('INVALID_ARGUMENT', `${source}: a Keras weight file, without the model configuration; pass the model's JSON configuration, with this file as the weights option`);
      }
      throw new GruError('INVALID_FILE', `${source}: an HDF5 file that is neither a Keras model (no model_config attribute) nor a Keras weight file`);
    }
    if (opts.weights) throw new GruError('INVALID_ARGUMENT', `${source}: a legacy .h5 model holds its own weights; pass no weights option`);
    config = parseJson(new TextEncoder().encode(modelConfig), `${source}: attribute model_config`);
    kerasVersion = file.stringAttr('', 'keras_version') ?? null;
    h5 = file;
  } else if (looksLikeJson(bytes)) {
    config = parseJson(bytes, source);
    if (!opts.weights) throw new GruError('INVALID_ARGUMENT', `${source}: a JSON model configuration needs its weights: pass the .weights.h5 (or Keras 2 .h5) file as the weights option`);
    h5 = new Hdf5File(opts.weights, opts.weightsSource ?? `${source} weights`);
    kerasVersion = h5.stringAttr('', 'keras_version') ?? h5.stringAttr('model_weights', 'keras_version') ?? null;
  } else {
    throw new GruError('INVALID_FILE', `${source}: not a Keras model: expected a .keras zip, an HDF5 .h5 model or a JSON configuration (${bytes.length} bytes starting ${hex(bytes)})`);
  }
  const spec = parseKerasConfig(config, { source, kerasVersion });
  const store = weightStore(h5);
  // float32 weights take 4 bytes an element: the file's size bounds what its configuration may build.
  const model = budgeted(spec, Math.ceil((h5.size / 4) * 2) + BUDGET_SLACK, source, `a weight file of ${h5.size} bytes`);
  const weights = new Map<string, Tensor>();
  model.layers.forEach((layer, i) => {
    const dict = layer.fromKeras(store.read(spec, i), `${h5.source}: ${layerName(layer.spec)}`);
    for (const [k, t] of Object.entries(dict)) weights.set(`layers.${i}.${k}`, t);
  });
  model.loadStateDict(weights, { prefix: '', file: source });
  return model;
}

/**
 * A model from a configuration {@link KerasModel.config} wrote (or any Keras
 * configuration) and a state dict in gru-ts names (`layers.<i>.<name>`), as
 * a gru-ts model file stores them. `source` names the file in messages.
 */
export function kerasModelFromConfig(config: unknown, weights: Map<string, Tensor> | Record<string, Tensor>, source = 'Keras model'): KerasModel {
  const spec = parseKerasConfig(config, { source });
  const dict = weights instanceof Map ? weights : new Map(Object.entries(weights));
  let held = 0;
  for (const t of dict.values()) held += t.size;
  const model = budgeted(spec, Math.ceil(held * 1.25) + BUDGET_SLACK, source, `${held} stored`);
  model.loadStateDict(dict, { prefix: '', file: source });
  return model;
}

const isZip = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

function looksLikeJson(b: Uint8Array): boolean {
  for (const c of b) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf) continue; // whitespace, BOM
    return c === 0x7b; // '{'
  }
  return false;
}

const hex = (b: Uint8Array): string => Array.from(b.subarray(0, 8), (c) => c.toString(16).padStart(2, '0')).join(' ') || '(empty)';

/** The members of a .keras zip that gru-ts reads, each within its size limit. */
function unzipMembers(bytes: Uint8Array, source: string): Record<string, Uint8Array> {
  const tooBig: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        const limit = ZIP_LIMITS[f.name] ?? (f.name === 'model.weights.json' ? 0 : -1);
        if (limit < 0) return false;
        if (f.originalSize > limit) tooBig.push(`${f.name} (${f.originalSize} bytes)`);
        return f.originalSize <= limit;
      },
    });
  } catch (e) {
    throw new GruError('INVALID_FILE', `${source}: cannot read the .keras zip (${(e as Error).message}); the file is truncated or damaged`, { cause: e });
  }
  if (tooBig.length > 0) throw new GruError('INVALID_FILE', `${source}: zip members larger than gru-ts reads: ${tooBig.join(', ')}`);
  return files;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new GruError('INVALID_FILE', `${what}: not UTF-8 text`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GruError('INVALID_FILE', `${what}: not valid JSON (${(e as Error).message.slice(0, 120)})`, { cause: e });
  }
}
