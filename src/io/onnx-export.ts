/**
 * Export a {@link GRU} as an ONNX model that ONNX Runtime (and any ONNX
 * backend) runs with the same inputs and outputs as `gru.forward`:
 * inputs `input` (T, B, I) — (B, T, I) when batchFirst — optional `h0`
 * (L·D, B, H) and `lengths` (B, int32); outputs `output` and `hN` shaped as
 * gru.forward's. One ONNX GRU node per layer (opset 14, layout 0), joined by
 * Transpose/Reshape; weights mapped by {@link gruToOnnxWeights}.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { GRU } from '../nn/gru.js';
import type { Tensor } from '../tensor/tensor.js';
import { gruToOnnxWeights } from './onnx.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT64 = onnx.TensorProto.DataType.INT64;

export interface OnnxExportOptions {
  /** Add an `h0` input for the initial state (default false: zeros). */
  initialState?: boolean;
  /** Add a `lengths` input (int32, one per sequence) (default false). */
  lengths?: boolean;
  /** Name of the producer written into the model (default "gru-ts"). */
  producer?: string;
}

function floatInit(name: string, t: Tensor): OnnxTypes.ITensorProto {
  const f32 = Float32Array.from(t.data);
  return { name, dims: [...t.shape], dataType: FLOAT, rawData: new Uint8Array(f32.buffer) };
}

function int64Init(name: string, values: number[]): OnnxTypes.ITensorProto {
  return { name, dims: [values.length], dataType: INT64, int64Data: values };
}

function attr(name: string, v: number | string | number[]): OnnxTypes.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  return { name, type: A.INT, i: v };
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/**
 * The model as ONNX protobuf bytes.
 *
 * @example
 * ```ts
 * import ort from 'onnxruntime-node';
 * const session = await ort.InferenceSession.create(exportGruToOnnx(gru));
 * const { output, hN } = await session.run({ input: new ort.Tensor('float32', x.data, x.shape) });
 * ```
 */
export function exportGruToOnnx(gru: GRU, opts: OnnxExportOptions = {}): Uint8Array {
  const L = gru.numLayers, D = gru.numDirections, H = gru.hiddenSize;
  const nodes: OnnxTypes.INodeProto[] = [];
  const inits: OnnxTypes.ITensorProto[] = [int64Init('shape_T_B_rest', [0, 0, -1])];
  const inputs = [valueInfo('input', FLOAT, gru.batchFirst ? ['B', 'T', gru.inputSize] : ['T', 'B', gru.inputSize])];
  if (opts.initialState) inputs.push(valueInfo('h0', FLOAT, [L * D, 'B', H]));
  if (opts.lengths) inputs.push(valueInfo('lengths', INT32, ['B']));

  let x = 'input';
  if (gru.batchFirst) {
    nodes.push({ opType: 'Transpose', input: [x], output: ['input_tbi'], attribute: [attr('perm', [1, 0, 2])] });
    x = 'input_tbi';
  }
  const finals: string[] = [];
  for (let l = 0; l < L; l++) {
    const w = gruToOnnxWeights(gru, l);
    inits.push(floatInit(`W_l${l}`, w.W), floatInit(`R_l${l}`, w.R));
    if (w.B) inits.push(floatInit(`B_l${l}`, w.B));
    let h0 = '';
    if (opts.initialState) {
      inits.push(int64Init(`h0_start_l${l}`, [l * D]), int64Init(`h0_end_l${l}`, [(l + 1) * D]), int64Init(`axis0_l${l}`, [0]));
      h0 = `h0_l${l}`;
      nodes.push({ opType: 'Slice', input: ['h0', `h0_start_l${l}`, `h0_end_l${l}`, `axis0_l${l}`], output: [h0] });
    }
    nodes.push({
      opType: 'GRU',
      name: `gru_l${l}`,
      input: [x, `W_l${l}`, `R_l${l}`, w.B ? `B_l${l}` : '', opts.lengths ? 'lengths' : '', h0],
      output: [`Y_l${l}`, `Y_h_l${l}`],
      attribute: [attr('hidden_size', H), attr('direction', w.direction), attr('linear_before_reset', w.linearBeforeReset)],
    });
    finals.push(`Y_h_l${l}`);
    // Y (T, D, B, H) → (T, B, D, H) → (T, B, D·H), the next layer's input.
    nodes.push({ opType: 'Transpose', input: [`Y_l${l}`], output: [`Y_tbdh_l${l}`], attribute: [attr('perm', [0, 2, 1, 3])] });
    x = l === L - 1 && !gru.batchFirst ? 'output' : `Y_tbf_l${l}`;
    nodes.push({ opType: 'Reshape', input: [`Y_tbdh_l${l}`, 'shape_T_B_rest'], output: [x] });
  }
  if (gru.batchFirst) nodes.push({ opType: 'Transpose', input: [x], output: ['output'], attribute: [attr('perm', [1, 0, 2])] });
  nodes.push(L === 1 ? { opType: 'Identity', input: finals, output: ['hN'] } : { opType: 'Concat', input: finals, output: ['hN'], attribute: [attr('axis', 0)] });

  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: opts.producer ?? 'gru-ts',
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'gru',
      node: nodes,
      initializer: inits,
      input: inputs,
      output: [
        valueInfo('output', FLOAT, gru.batchFirst ? ['B', 'T', D * H] : ['T', 'B', D * H]),
        valueInfo('hN', FLOAT, [L * D, 'B', H]),
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
