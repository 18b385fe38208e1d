/**
 * The layer table: each supported Keras layer, the gru-ts module that holds
 * its weights, how Keras' weights map onto it, and how it runs.
 *
 * | Keras layer              | gru-ts module                      | weights (Keras → gru-ts, PyTorch names)                  |
 * |--------------------------|------------------------------------|----------------------------------------------------------|
 * | InputLayer               | —                                  | —                                                        |
 * | Embedding(mask_zero)     | Embedding                          | embeddings [N, D] → weight [N, D]                        |
 * | Masking(mask_value)      | —                                  | —                                                        |
 * | GRU                      | GRU (1 layer, batch-first)         | see gru.ts, kerasGruToPyTorch                           |
 * | Bidirectional(GRU)       | GRU (bidirectional)                | forward → `_l0`, backward → `_l0_reverse`                |
 * | Dense, TimeDistributed(Dense) | Linear                        | kernel [I, O] → weight [O, I] (transposed), bias [O]     |
 * | Dropout                  | — (identity at inference)          | —                                                        |
 * | Flatten                  | — (reshape to (B, ∏ dims))         | —                                                        |
 *
 * Masks follow Keras: Embedding(mask_zero) makes one (id ≠ 0), Masking makes
 * one (some feature ≠ mask_value) and zeroes the masked steps; GRU and
 * Bidirectional pass it on when they return sequences; Dense,
 * TimeDistributed and Dropout pass it on; Flatten drops it.
 *
 * @module
 */
import { Tensor, shapeString } from '../../tensor/tensor.js';
import { constant } from '../../autograd/var.js';
import { Linear } from '../../nn/linear.js';
import { Embedding } from '../../nn/embedding.js';
import type { Module } from '../../nn/module.js';
import { GruError } from '../../errors.js';
import { activateInPlace } from './activations.js';
import { flipTime, gruModule, isPyTorchForm, kerasGruToPyTorch, runGruModule, runGruSteps, sliceLast, type GruRun } from './gru.js';
import { KERAS_LIMITS } from './config.js';
import type { KerasLayerSpec } from './spec.js';
import type { KerasLayerWeights } from './weights.js';

/** A shape without the batch axis; null where any size goes. */
export type Shape = (number | null)[];

/** A mask: 1 where a step is present, per (batch, step), row-major (B, T). */
export type Mask = Uint8Array;

/** What a layer returns: its output tensors and a mask for each. */
export interface LayerResult {
  outputs: Tensor[];
  masks: (Mask | null)[];
}

/** One layer of a {@link KerasModel}, ready to run. */
export interface KerasLayer {
  readonly spec: KerasLayerSpec;
  /** The gru-ts module holding its weights; null for a layer without. */
  readonly module: Module | null;
  /** Its input's shape (batch axis left out). */
  readonly inputShape: Shape;
  /** Each output's shape (batch axis left out). */
  readonly outputShapes: Shape[];
  /** Keras' weights of the layer (from {@link KerasWeightStore.read}) as the module's state dict. */
  fromKeras(w: KerasLayerWeights, where: string): Record<string, Tensor>;
  /** Runs the layer on a batch: x (B, …inputShape), the incoming mask or null. */
  call(x: Tensor, mask: Mask | null): LayerResult;
}

/** "layer 3 'gru_1' (GRU)": how messages name a layer. */
export const layerName = (l: KerasLayerSpec): string => `layer ${l.position} '${l.name}' (${l.className})`;

const unsupported = (l: KerasLayerSpec, message: string) => new GruError('UNSUPPORTED', `${layerName(l)}: ${message}`);

/** The last dimension of an input shape, which must be known. */
function features(l: KerasLayerSpec, shape: Shape, what: string): number {
  const f = shape[shape.length - 1];
  if (shape.length === 0 || f === null) throw unsupported(l, `its input shape ${fmt(shape)} has no fixed ${what}; gru-ts needs it to size the weights`);
  return f;
}

/** "(None, 6, 3)" as Keras prints shapes. */
export const fmt = (s: Shape): string => `(None, ${s.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;

function expectWeights(w: KerasLayerWeights, shapes: number[][], where: string, names: string[]): Tensor[] {
  if (w.length !== 1 || w[0].length !== shapes.length) {
    throw new GruError('INVALID_FILE', `${where}: expected ${shapes.length} weights (${names.join(', ')}), found ${w.map((p) => p.length).join(' + ') || 0}`);
  }
  w[0].forEach((t, i) => {
    if (t.shape.length !== shapes[i].length || t.shape.some((d, k) => d !== shapes[i][k])) {
      throw new GruError('INVALID_FILE', `${where}: ${names[i]} must have shape ${shapeString(shapes[i])}, got ${shapeString(t.shape)}`);
    }
  });
  return w[0];
}

/** Builds the runnable layer for a spec, given its input's shape. `kerasMajor` picks hard_sigmoid's form. */
export function buildLayer(l: KerasLayerSpec, inShape: Shape, kerasMajor: number): KerasLayer {
  const base = { spec: l, inputShape: inShape };
  const noWeights = (w: KerasLayerWeights, where: string): Record<string, Tensor> => {
    if (w.length > 0 && w.some((p) => p.length > 0)) throw new GruError('INVALID_FILE', `${where}: expected no weights`);
    return {};
  };
  switch (l.kind) {
    case 'input':
      return { ...base, module: null, outputShapes: [l.shape], fromKeras: noWeights, call: (x) => ({ outputs: [x], masks: [null] }) };

    case 'embedding': {
      const module = new Embedding({ numEmbeddings: l.inputDim, embeddingDim: l.outputDim });
      return {
        ...base,
        module,
        outputShapes: [[...inShape, l.outputDim]],
        fromKeras: (w, where) => ({ weight: expectWeights(w, [[l.inputDim, l.outputDim]], where, ['embeddings'])[0] }),
        call: (x) => {
          const ids = new Int32Array(x.size);
          for (let i = 0; i < x.size; i++) {
            const v = x.data[i];
            if (!Number.isInteger(v) || v < 0 || v >= l.inputDim) {
              throw new GruError('INVALID_ARGUMENT', `${layerName(l)}: token ids must be integers from 0 to ${l.inputDim - 1}, got ${v} at flat index ${i}`);
            }
            ids[i] = v;
          }
          const out = module.forward(ids, x.shape).value;
          let mask: Mask | null = null;
          if (l.maskZero) {
            if (x.shape.length !== 2) throw unsupported(l, `mask_zero needs (batch, steps) ids, got ${shapeString(x.shape)}`);
            mask = Uint8Array.from(ids, (id) => (id !== 0 ? 1 : 0));
          }
          return { outputs: [out], masks: [mask] };
        },
      };
    }

    case 'masking':
      return {
        ...base,
        module: null,
        outputShapes: [inShape],
        fromKeras: noWeights,
        call: (x) => {
          if (x.shape.length !== 3) throw unsupported(l, `Masking needs (batch, steps, features) input, got ${shapeString(x.shape)}`);
          const [B, T, F] = x.shape;
          const mask = new Uint8Array(B * T);
          const out = new Float32Array(x.size);
          for (let i = 0; i < B * T; i++) {
            let keep = false;
            for (let f = 0; f < F; f++) if (x.data[i * F + f] !== l.maskValue) keep = true;
            mask[i] = keep ? 1 : 0;
            if (keep) out.set(x.data.subarray(i * F, (i + 1) * F), i * F);
          }
          return { outputs: [new Tensor(out, x.shape)], masks: [mask] };
        },
      };

    case 'gru': {
      if (inShape.length !== 2) throw unsupported(l, `a GRU reads (batch, steps, features), got input shape ${fmt(inShape)}`);
      const g = l.gru;
      const module = gruModule(g, features(l, inShape, 'feature size'), false);
      const seqShape: Shape = g.returnSequences ? [inShape[0], g.units] : [g.units];
      return {
        ...base,
        module,
        outputShapes: g.returnState ? [seqShape, [g.units]] : [seqShape],
        fromKeras: (w, where) => {
          if (w.length !== 1) throw new GruError('INVALID_FILE', `${where}: expected one set of GRU weights, found ${w.length}`);
          return kerasGruToPyTorch(w[0], g, module.inputSize, '', where);
        },
        call: (x, mask) => {
          const run = mask === null && isPyTorchForm(g) ? runGruModule(module, x, g) : runGruSteps(module.layers[0][0], x, mask, g, kerasMajor);
          const outMask = g.returnSequences ? mask : null;
          return g.returnState ? { outputs: [run.y, run.h], masks: [outMask, null] } : { outputs: [run.y], masks: [outMask] };
        },
      };
    }

    case 'bidirectional': {
      if (inShape.length !== 2) throw unsupported(l, `a Bidirectional GRU reads (batch, steps, features), got input shape ${fmt(inShape)}`);
      const { forward: f, backward: bw, mergeMode } = l;
      const module = gruModule(f, features(l, inShape, 'feature size'), true);
      const U = f.units;
      const width = mergeMode === 'concat' ? 2 * U : U;
      const seqShape: Shape = f.returnSequences ? [inShape[0], width] : [width];
      return {
        ...base,
        module,
        outputShapes: f.returnState ? [seqShape, [U], [U]] : [seqShape],
        fromKeras: (w, where) => {
          if (w.length !== 2) throw new GruError('INVALID_FILE', `${where}: expected forward and backward GRU weights, found ${w.length} sets`);
          return { ...kerasGruToPyTorch(w[0], f, module.inputSize, '', `${where}, forward layer`), ...kerasGruToPyTorch(w[1], bw, module.inputSize, '_reverse', `${where}, backward layer`) };
        },
        call: (x, mask) => {
          let fr: GruRun, br: GruRun;
          if (mask === null && isPyTorchForm(f) && isPyTorchForm(bw) && !f.goBackwards && bw.goBackwards) {
            // PyTorch's bidirectional GRU: the reverse direction's outputs already in time order.
            const [B] = x.shape;
            const { output, hN } = module.forward(x);
            const hf = new Tensor(Float32Array.from(hN.data.subarray(0, B * U)), [B, U]);
            const hb = new Tensor(Float32Array.from(hN.data.subarray(B * U)), [B, U]);
            fr = { y: f.returnSequences ? sliceLast(output.value, 0, U) : hf, h: hf };
            br = { y: f.returnSequences ? sliceLast(output.value, U, U) : hb, h: hb };
          } else {
            fr = runGruSteps(module.layers[0][0], x, mask, f, kerasMajor);
            br = runGruSteps(module.layers[0][1], x, mask, bw, kerasMajor);
            if (f.returnSequences) br = { y: flipTime(br.y), h: br.h };
          }
          const y = merge(mergeMode, fr.y, br.y);
          const outMask = f.returnSequences ? mask : null;
          return f.returnState ? { outputs: [y, fr.h, br.h], masks: [outMask, null, null] } : { outputs: [y], masks: [outMask] };
        },
      };
    }

    case 'dense': {
      if (l.timeDistributed !== null && inShape.length < 2) throw unsupported(l, `TimeDistributed needs a (batch, steps, …) input, got input shape ${fmt(inShape)}`);
      const I = features(l, inShape, 'feature size');
      const module = new Linear({ inFeatures: I, outFeatures: l.units, bias: l.useBias });
      return {
        ...base,
        module,
        outputShapes: [[...inShape.slice(0, -1), l.units]],
        fromKeras: (w, where) => {
          const shapes = l.useBias ? [[I, l.units], [l.units]] : [[I, l.units]];
          const [kernel, bias] = expectWeights(w, shapes, where, l.useBias ? ['kernel', 'bias'] : ['kernel']);
          const weight = new Float32Array(l.units * I); // (O, I) = kernelᵀ
          for (let i = 0; i < I; i++) for (let o = 0; o < l.units; o++) weight[o * I + i] = kernel.data[i * l.units + o];
          const dict: Record<string, Tensor> = { weight: new Tensor(weight, [l.units, I]) };
          if (bias) dict.bias = bias;
          return dict;
        },
        call: (x, mask) => {
          const y = module.forward(constant(x)).value;
          activateInPlace(y.data, l.units, l.activation, kerasMajor);
          return { outputs: [y], masks: [mask] };
        },
      };
    }

    case 'dropout':
      return { ...base, module: null, outputShapes: [inShape], fromKeras: noWeights, call: (x, mask) => ({ outputs: [x], masks: [mask] }) };

    case 'flatten': {
      let n = 1;
      for (const d of inShape) {
        if (d === null) throw unsupported(l, `Flatten of input shape ${fmt(inShape)} needs every dimension fixed`);
        n *= d;
      }
      if (n > KERAS_LIMITS.dim) throw unsupported(l, `Flatten of ${fmt(inShape)} makes ${n} features, more than ${KERAS_LIMITS.dim}`);
      return { ...base, module: null, outputShapes: [[n]], fromKeras: noWeights, call: (x) => ({ outputs: [x.reshape([x.shape[0], n])], masks: [null] }) };
    }

    case 'notEqual':
      return {
        ...base,
        module: null,
        outputShapes: [inShape],
        fromKeras: noWeights,
        call: (x) => ({
          outputs: [
            new Tensor(
              Float32Array.from(x.data, (v) => (v !== l.value ? 1 : 0)),
              x.shape,
            ),
          ],
          masks: [null],
        }),
      };

    case 'any': {
      if (inShape.length < 1) throw unsupported(l, `any over the last axis of input shape ${fmt(inShape)}`);
      return {
        ...base,
        module: null,
        outputShapes: [inShape.slice(0, -1)],
        fromKeras: noWeights,
        call: (x) => {
          const C = x.shape[x.shape.length - 1];
          const out = new Float32Array(x.size / C);
          for (let i = 0; i < out.length; i++) for (let c = 0; c < C; c++) if (x.data[i * C + c] !== 0) out[i] = 1;
          return { outputs: [new Tensor(out, x.shape.slice(0, -1))], masks: [null] };
        },
      };
    }
  }
}

/** A 0/1 tensor (B, T), as the NotEqual/Any nodes make, as a mask. */
export function maskOf(t: Tensor, x: Tensor, who: string): Mask {
  if (t.shape.length !== 2 || t.shape[0] !== x.shape[0] || t.shape[1] !== x.shape[1]) {
    throw new GruError('UNSUPPORTED', `${who}: its mask must have shape (batch, steps) of its input ${shapeString(x.shape)}, got ${shapeString(t.shape)}`);
  }
  return Uint8Array.from(t.data, (v) => (v !== 0 ? 1 : 0));
}

/** Bidirectional's merge of the forward and (time-ordered) backward outputs. */
function merge(mode: 'concat' | 'sum' | 'mul' | 'ave', a: Tensor, b: Tensor): Tensor {
  if (mode === 'concat') {
    const C = a.shape[a.shape.length - 1];
    const rows = a.size / C;
    const out = new Float32Array(2 * a.size);
    for (let r = 0; r < rows; r++) {
      out.set(a.data.subarray(r * C, (r + 1) * C), 2 * r * C);
      out.set(b.data.subarray(r * C, (r + 1) * C), (2 * r + 1) * C);
    }
    return new Tensor(out, [...a.shape.slice(0, -1), 2 * C]);
  }
  const out = new Float32Array(a.size);
  for (let i = 0; i < a.size; i++) {
    out[i] = mode === 'sum' ? a.data[i] + b.data[i] : mode === 'mul' ? a.data[i] * b.data[i] : (a.data[i] + b.data[i]) / 2;
  }
  return new Tensor(out, a.shape);
}
