/**
 * A Keras model as gru-ts runs it: the supported layers with the options
 * that matter at inference, wired as a graph of single-input layers. Parsed
 * from a Keras config by config.ts, which has checked every field.
 *
 * @module
 */

/** Output `tensor` of layer `layer` (an index into {@link KerasModelSpec.layers}). */
export interface TensorRef {
  layer: number;
  tensor: number;
}

/** Options of one Keras GRU (one direction of a Bidirectional). */
export interface KerasGruSpec {
  name: string;
  units: number;
  activation: string;
  recurrentActivation: string;
  useBias: boolean;
  resetAfter: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
  /** Masked steps output zeros instead of repeating the previous output (Bidirectional sets it to returnSequences). */
  zeroOutputForMask: boolean;
}

interface Common {
  /** The Keras layer name. */
  name: string;
  /** The Keras class name. */
  className: string;
  /** Index in the config's layer list (InputLayers included), for messages. */
  position: number;
  /** The tensor it reads; null for the input. */
  inbound: TensorRef | null;
  /**
   * A mask passed explicitly (Keras 3 functional models record the masks
   * of Embedding(mask_zero) and Masking as NotEqual/Any op nodes and pass
   * them as the `mask` argument); null: the mask arriving with the input.
   */
  maskFrom: TensorRef | null;
}

export type KerasLayerSpec = Common &
  (
    | { kind: 'input' /** Shape without the batch axis; null where free. */; shape: (number | null)[]; dtype: string }
    | { kind: 'embedding'; inputDim: number; outputDim: number; maskZero: boolean }
    | { kind: 'masking'; maskValue: number }
    | { kind: 'gru'; gru: KerasGruSpec }
    | { kind: 'bidirectional'; mergeMode: 'concat' | 'sum' | 'mul' | 'ave'; forward: KerasGruSpec; backward: KerasGruSpec }
    | { kind: 'dense'; units: number; activation: string; useBias: boolean /** Inside TimeDistributed: the Dense layer's own name. */; timeDistributed: string | null }
    | { kind: 'dropout' }
    | { kind: 'flatten' }
    /** Keras 3's op node `x != value` (1 where true), from which masks are made. */
    | { kind: 'notEqual'; value: number }
    /** Keras 3's op node `any(x, axis=-1)`. */
    | { kind: 'any' }
  );

/** A parsed Keras model. */
export interface KerasModelSpec {
  name: string;
  /** The Keras version that wrote it ('3.x', '2.x'), or null when the file does not say; decides hard_sigmoid's form. */
  kerasVersion: string | null;
  layers: KerasLayerSpec[];
  outputs: TensorRef[];
}

/** Major version of the Keras that wrote a model: 3 unless it says 2 (or 1). */
export function kerasMajor(spec: Pick<KerasModelSpec, 'kerasVersion'>): number {
  const m = /^(\d+)\./.exec(spec.kerasVersion ?? '');
  return m ? Number(m[1]) : 3;
}
