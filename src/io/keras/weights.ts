/**
 * Where Keras files keep each layer's weights.
 *
 * Keras 3 (`model.weights.h5` inside a `.keras` zip, and `.weights.h5`
 * from `save_weights`) addresses a layer by its class, not its name: the
 * model's layers, in order, are `layers/<class in snake_case>` with `_1`,
 * `_2`, … for the second, third, … of a class; a layer's variables are
 * datasets `vars/0`, `vars/1`, … in creation order, under the attribute
 * that owns them:
 *
 * | layer                    | groups                                                  | variables                          |
 * |--------------------------|---------------------------------------------------------|------------------------------------|
 * | Embedding                | layers/embedding/vars                                   | embeddings                         |
 * | Dense                    | layers/dense/vars                                       | kernel, bias                       |
 * | TimeDistributed(Dense)   | layers/time_distributed/layer/vars                      | kernel, bias                       |
 * | GRU                      | layers/gru/cell/vars                                    | kernel, recurrent_kernel, bias     |
 * | Bidirectional(GRU)       | layers/bidirectional/{forward_layer,backward_layer}/cell/vars | as GRU, per direction        |
 *
 * Keras 2 (legacy `.h5` from `model.save`, `.h5` from `save_weights`)
 * addresses a layer by its name: group `<name>` (under `model_weights` in a
 * full model file) lists its datasets in attribute `weight_names`, in the
 * layer's weight order (a Bidirectional: the forward layer's, then the
 * backward layer's).
 *
 * @module
 */
import type { Tensor } from '../../tensor/tensor.js';
import { GruError } from '../../errors.js';
import type { Hdf5File } from './hdf5.js';
import type { KerasLayerSpec, KerasModelSpec } from './spec.js';

/** A layer's weights as Keras stores them: one list per part (a Bidirectional has two: forward, backward). */
export type KerasLayerWeights = Tensor[][];

/** Reads the weights of the spec's layers from a Keras weight file. */
export interface KerasWeightStore {
  /** 'keras3' or 'keras2': which layout the file has. */
  readonly layout: 'keras3' | 'keras2';
  /** The weights of layer `index` of the spec, by parts; [] for a layer without weights. */
  read(spec: KerasModelSpec, index: number): KerasLayerWeights;
}

/** Keras' naming.to_snake_case: "TimeDistributed" → "time_distributed", "GRU" → "gru". */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Whether a layer has weights in Keras' files. */
const hasWeights = (l: KerasLayerSpec): boolean => l.kind === 'embedding' || l.kind === 'dense' || l.kind === 'gru' || l.kind === 'bidirectional';

/** Picks the layout of an HDF5 weight file: Keras 3's `layers/` tree or Keras 2's `layer_names`. */
export function weightStore(file: Hdf5File): KerasWeightStore {
  if (file.hasGroup('layers') && !file.hasGroup('model_weights')) return new Keras3Store(file);
  const root = file.hasGroup('model_weights') ? 'model_weights' : '';
  if (file.stringListAttr(root, 'layer_names') !== undefined) return new Keras2Store(file, root);
  throw new GruError('INVALID_FILE', `${file.source}: no Keras weights found (expected a 'layers' group as Keras 3 writes, or a 'layer_names' attribute as Keras 2 writes)`);
}

class Keras3Store implements KerasWeightStore {
  readonly layout = 'keras3';
  private paths: Map<number, string> | null = null;
  constructor(private readonly file: Hdf5File) {}

  /** `layers/<snake class>[_k]` of every layer, numbered by class in model order as Keras' saving_lib does. */
  private pathOf(spec: KerasModelSpec, index: number): string {
    if (!this.paths) {
      this.paths = new Map();
      const used = new Map<string, number>();
      spec.layers.forEach((l, i) => {
        if (l.position < 0) return; // an input Keras did not list
        const base = toSnakeCase(l.className);
        const n = used.get(base);
        used.set(base, n === undefined ? 0 : n + 1);
        this.paths!.set(i, `layers/${n === undefined ? base : `${base}_${n + 1}`}`);
      });
    }
    return this.paths.get(index)!;
  }

  read(spec: KerasModelSpec, index: number): KerasLayerWeights {
    const l = spec.layers[index];
    if (!hasWeights(l)) return [];
    const p = this.pathOf(spec, index);
    const groups =
      l.kind === 'gru' ? [`${p}/cell/vars`] : l.kind === 'bidirectional' ? [`${p}/forward_layer/cell/vars`, `${p}/backward_layer/cell/vars`] : l.kind === 'dense' && l.timeDistributed !== null ? [`${p}/layer/vars`] : [`${p}/vars`];
    return groups.map((g) => {
      if (!this.file.hasGroup(g)) {
        throw new GruError('INVALID_FILE', `${this.file.source}: the weights of layer ${l.position} '${l.name}' (${l.className}) are missing: expected group '${g}'`);
      }
      const names = this.file
        .keys(g)
        .filter((k) => /^\d+$/.test(k))
        .sort((a, b) => Number(a) - Number(b));
      return names.map((k) => this.file.tensor(`${g}/${k}`));
    });
  }
}

class Keras2Store implements KerasWeightStore {
  readonly layout = 'keras2';
  constructor(
    private readonly file: Hdf5File,
    private readonly root: string,
  ) {}

  read(spec: KerasModelSpec, index: number): KerasLayerWeights {
    const l = spec.layers[index];
    if (!hasWeights(l)) return [];
    const g = this.root ? `${this.root}/${l.name}` : l.name;
    const names = this.file.hasGroup(g) ? this.file.stringListAttr(g, 'weight_names') : undefined;
    if (names === undefined) {
      throw new GruError('INVALID_FILE', `${this.file.source}: the weights of layer ${l.position} '${l.name}' (${l.className}) are missing: expected group '${g}' with attribute weight_names`);
    }
    const all = names.map((n) => this.file.tensor(`${g}/${n}`));
    if (l.kind !== 'bidirectional') return [all];
    if (all.length % 2 !== 0) throw new GruError('INVALID_FILE', `${this.file.source}: layer ${l.position} '${l.name}' (Bidirectional) has ${all.length} weights, expected as many for each direction`);
    return [all.slice(0, all.length / 2), all.slice(all.length / 2)];
  }
}
