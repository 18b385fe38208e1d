/**
 * Building ONNX graphs with onnx-proto: initializers, attributes, value
 * infos, the GRU nodes of a stacked / bidirectional {@link GRU} (one ONNX GRU
 * node per layer), and {@link OnnxGraphBuilder}, which the exporters of
 * whole task models (src/tasks/<task>/onnx.ts) share with
 * {@link exportGruToOnnx}. Internal: not part of the package's exports.
 *
 * Browser-safe: bytes out, no file system.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { GRU } from '../nn/gru.js';
import type { Linear } from '../nn/linear.js';
import { describeCell, type CellConfig } from '../nn/recurrent.js';
import type { Tensor } from '../tensor/tensor.js';
import { gruToOnnxWeights } from './onnx.js';
import { GruError } from '../errors.js';

const { onnx } = onnxProto;
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const DOUBLE = onnx.TensorProto.DataType.DOUBLE;
export const INT32 = onnx.TensorProto.DataType.INT32;
export const INT64 = onnx.TensorProto.DataType.INT64;

/** The ONNX opset the exporters write (GRU with `layout`, Unsqueeze/Squeeze/Slice axes as inputs). */
export const EXPORT_OPSET = 14;

/** A float32 initializer holding `data` with `dims`. */
export function floatInit(name: string, t: Pick<Tensor, 'data' | 'shape'>): OnnxTypes.ITensorProto {
  const f32 = Float32Array.from(t.data);
  return { name, dims: [...t.shape], dataType: FLOAT, rawData: new Uint8Array(f32.buffer) };
}

/** A float64 initializer. */
export function doubleInit(name: string, data: ArrayLike<number>, dims: readonly number[]): OnnxTypes.ITensorProto {
  const f64 = Float64Array.from(data);
  return { name, dims: [...dims], dataType: DOUBLE, rawData: new Uint8Array(f64.buffer) };
}

/** A 1-D int64 initializer. */
export function int64Init(name: string, values: number[]): OnnxTypes.ITensorProto {
  return { name, dims: [values.length], dataType: INT64, int64Data: values };
}

/** An attribute: a string, an int, a float (`{ f }`) or a list of ints. */
export function attr(name: string, v: number | string | number[] | { f: number }): OnnxTypes.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if (typeof v === 'object') return { name, type: A.FLOAT, f: v.f };
  return { name, type: A.INT, i: v };
}

/** A graph input or output: element type and dims (numbers fixed, strings symbolic), with an optional description. */
export function valueInfo(name: string, elemType: number, dims: (number | string)[], docString?: string): OnnxTypes.IValueInfoProto {
  return {
    name,
    ...(docString ? { docString } : {}),
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** Where {@link gruStackNodes} reads and writes. */
export interface GruStackOptions {
  /** Prefix of every name the stack adds (default ''). */
  prefix?: string;
  /** Name of an int32 (B) value of sequence lengths, for every layer's `sequence_lens`. */
  lengths?: string;
  /** Name of an (L·D, B, H) initial state; sliced per layer. */
  h0?: string;
  /** Name of the last layer's (T, B, D·H) output (default `${prefix}Y_tbf_l${L−1}`). */
  output?: string;
  /** Replaces layer 0's ONNX W [D, 3H, I] (e.g. an identity over a projected input). */
  firstW?: Pick<Tensor, 'data' | 'shape'>;
}

/**
 * Appends the nodes of `gru` reading `x` (T, B, I), time-major (ONNX layout
 * 0): one GRU node per layer, each layer's Y (T, D, B, H) turned into the
 * next layer's input (T, B, D·H) by Transpose and Reshape. Weights are
 * mapped by {@link gruToOnnxWeights}. Returns the last layer's output name
 * and each layer's Y_h (D, B, H).
 */
export function gruStackNodes(gru: GRU, x: string, nodes: OnnxTypes.INodeProto[], inits: OnnxTypes.ITensorProto[], o: GruStackOptions = {}): { output: string; finals: string[] } {
  const p = o.prefix ?? '';
  const L = gru.numLayers,
    D = gru.numDirections,
    H = gru.hiddenSize;
  const shape = `${p}shape_T_B_rest`;
  if (!inits.some((t) => t.name === shape)) inits.push(int64Init(shape, [0, 0, -1]));
  const finals: string[] = [];
  for (let l = 0; l < L; l++) {
    const w = gruToOnnxWeights(gru, l);
    inits.push(floatInit(`${p}W_l${l}`, l === 0 && o.firstW ? o.firstW : w.W), floatInit(`${p}R_l${l}`, w.R));
    if (w.B) inits.push(floatInit(`${p}B_l${l}`, w.B));
    let h0 = '';
    if (o.h0) {
      inits.push(int64Init(`${p}h0_start_l${l}`, [l * D]), int64Init(`${p}h0_end_l${l}`, [(l + 1) * D]), int64Init(`${p}axis0_l${l}`, [0]));
      h0 = `${p}h0_l${l}`;
      nodes.push({ opType: 'Slice', input: [o.h0, `${p}h0_start_l${l}`, `${p}h0_end_l${l}`, `${p}axis0_l${l}`], output: [h0] });
    }
    nodes.push({
      opType: 'GRU',
      name: `${p}gru_l${l}`,
      input: [x, `${p}W_l${l}`, `${p}R_l${l}`, w.B ? `${p}B_l${l}` : '', o.lengths ?? '', h0],
      output: [`${p}Y_l${l}`, `${p}Y_h_l${l}`],
      attribute: [attr('hidden_size', H), attr('direction', w.direction), attr('linear_before_reset', w.linearBeforeReset)],
    });
    finals.push(`${p}Y_h_l${l}`);
    // Y (T, D, B, H) → (T, B, D, H) → (T, B, D·H), the next layer's input.
    nodes.push({ opType: 'Transpose', input: [`${p}Y_l${l}`], output: [`${p}Y_tbdh_l${l}`], attribute: [attr('perm', [0, 2, 1, 3])] });
    x = l === L - 1 && o.output ? o.output : `${p}Y_tbf_l${l}`;
    nodes.push({ opType: 'Reshape', input: [`${p}Y_tbdh_l${l}`, shape], output: [x] });
  }
  return { output: x, finals };
}

/**
 * The plain GRU of a task model, or a GruError ('UNSUPPORTED') for an
 * attention cell: its candidate state reads a weighted sum of the layer's
 * earlier states, which ONNX's GRU operator has no place for.
 */
export function plainGru(layer: unknown, cell: CellConfig | undefined, who: string): GRU {
  if (layer instanceof GRU) return layer;
  throw new GruError(
    'UNSUPPORTED',
    `${who} has an attention GRU cell (${describeCell(cell)}), which has no ONNX form: its candidate state reads a weighted sum of the layer's earlier states, which ONNX's GRU operator cannot express; only models with the GRU cell (--cell gru, the default) export to ONNX`,
  );
}

type AttrValue = number | string | number[] | { f: number };

/**
 * A graph being built: fresh names, initializers, nodes, documented inputs
 * and outputs; {@link OnnxGraphBuilder.encode} gives the model's bytes.
 */
export class OnnxGraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly inits: OnnxTypes.ITensorProto[] = [];
  readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly ints = new Map<string, string>();

  /** A name not used yet, from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: number, dims: (number | string)[], doc: string): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elemType, dims, doc));
    return name;
  }

  /** Declares `name` a graph output; `from`, when given, is renamed to it by an Identity node. */
  output(name: string, elemType: number, dims: (number | string)[], doc: string, from?: string): string {
    if (from !== undefined && from !== name) this.op('Identity', [from], {}, name);
    this.outputs.push(valueInfo(name, elemType, dims, doc));
    return name;
  }

  /** A float32 initializer. */
  float(base: string, data: ArrayLike<number>, dims: readonly number[]): string {
    const name = this.fresh(base);
    this.inits.push(floatInit(name, { data: Float32Array.from(data), shape: dims }));
    return name;
  }

  /** A float64 initializer. */
  double(base: string, data: ArrayLike<number>, dims: readonly number[]): string {
    const name = this.fresh(base);
    this.inits.push(doubleInit(name, data, dims));
    return name;
  }

  /** A 1-D int64 initializer (one per distinct list of values). */
  int64(values: number[]): string {
    const key = values.join(',');
    let name = this.ints.get(key);
    if (!name) {
      name = this.fresh(`i64_${values.map((v) => String(v).replace('-', 'm')).join('_')}`);
      this.inits.push(int64Init(name, values));
      this.ints.set(key, name);
    }
    return name;
  }

  /** Appends a node with one output (a fresh name from its op type, or `out`); returns the output's name. */
  op(opType: string, input: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const output = out ?? this.fresh(opType.toLowerCase());
    if (out) this.names.add(out);
    this.nodes.push({ opType, name: this.fresh(`n_${output}`), input, output: [output], attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });
    return output;
  }

  /** x (N, in) → (N, out) through a {@link Linear}: one Gemm (weight as given, transB). */
  linear2d(x: string, lin: Linear, base: string): string {
    const w = this.float(`${base}_weight`, lin.weight.value.data, lin.weight.value.shape);
    const inputs = [x, w];
    if (lin.bias) inputs.push(this.float(`${base}_bias`, lin.bias.value.data, lin.bias.value.shape));
    return this.op('Gemm', inputs, { transB: 1 });
  }

  /** x (…, in) of any rank → (…, out): MatMul by the transposed weight, plus the bias. */
  linearNd(x: string, lin: Linear, base: string): string {
    const [O, I] = lin.weight.value.shape;
    const w = lin.weight.value.data;
    const wt = new Float32Array(I * O);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) wt[i * O + o] = w[o * I + i];
    const y = this.op('MatMul', [x, this.float(`${base}_weight_t`, wt, [I, O])]);
    return lin.bias ? this.op('Add', [y, this.float(`${base}_bias`, lin.bias.value.data, lin.bias.value.shape)]) : y;
  }

  /** The nodes of `gru` over x (T, B, I), time-major; see {@link gruStackNodes}. */
  gru(gru: GRU, x: string, base: string, o: Omit<GruStackOptions, 'prefix' | 'output'> = {}): { output: string; finals: string[] } {
    const prefix = `${this.fresh(base)}_`;
    const r = gruStackNodes(gru, x, this.nodes, this.inits, { ...o, prefix });
    for (const n of this.nodes) for (const name of n.output ?? []) this.names.add(name);
    for (const t of this.inits) this.names.add(t.name ?? '');
    return r;
  }

  /**
   * The model's bytes: graph `name` with `doc` (what it computes), its
   * inputs and outputs documented, and `metadata` as metadata_props (JSON
   * strings the model's user needs: labels, vocabularies, configuration).
   */
  encode(name: string, doc: string, metadata: Record<string, string>): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'gru-ts',
      opsetImport: [{ domain: '', version: EXPORT_OPSET }],
      docString: doc,
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: { name, docString: doc, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
