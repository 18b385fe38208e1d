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
import { EXPORT_OPSET, FLOAT, INT32, attr, gruStackNodes, int64Init, valueInfo } from './onnx-builder.js';

const { onnx } = onnxProto;

export interface OnnxExportOptions {
  /** Add an `h0` input for the initial state (default false: zeros). */
  initialState?: boolean;
  /** Add a `lengths` input (int32, one per sequence) (default false). */
  lengths?: boolean;
  /** Name of the producer written into the model (default "gru-ts"). */
  producer?: string;
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
  const L = gru.numLayers,
    D = gru.numDirections,
    H = gru.hiddenSize;
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
  const stack = gruStackNodes(gru, x, nodes, inits, { lengths: opts.lengths ? 'lengths' : undefined, h0: opts.initialState ? 'h0' : undefined, output: gru.batchFirst ? undefined : 'output' });
  x = stack.output;
  const finals = stack.finals;
  if (gru.batchFirst) nodes.push({ opType: 'Transpose', input: [x], output: ['output'], attribute: [attr('perm', [1, 0, 2])] });
  nodes.push(L === 1 ? { opType: 'Identity', input: finals, output: ['hN'] } : { opType: 'Concat', input: finals, output: ['hN'], attribute: [attr('axis', 0)] });

  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: opts.producer ?? 'gru-ts',
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: 'gru',
      node: nodes,
      initializer: inits,
      input: inputs,
      output: [valueInfo('output', FLOAT, gru.batchFirst ? ['B', 'T', D * H] : ['T', 'B', D * H]), valueInfo('hN', FLOAT, [L * D, 'B', H])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
