// importOnnx: whole ONNX graphs in. The library's own exports (stacked, bidirectional) re-import and run as
// gru.forward; graphs that PyTorch exported (test/fixtures/onnx-graph, made by make_fixtures.py there) and graphs
// built here with onnx-proto run as PyTorch and ONNX Runtime run them; ONNX's GRU conformance cases pass through it;
// hostile graphs (unknown ops, undefined names, cycles, absurd sizes, mutated bytes) are clean GruErrors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { GRU, GruError, Rng, SUPPORTED_ONNX_OPS, Tensor, decodeOnnxTensor, exportGruToOnnx, importOnnx, noGrad, onnxTensorToTensor, type GruErrorCode, type OnnxTensor } from '../src/index.js';
import { maxRelError, randomTensor } from './helpers/random.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;
const TOL = 1e-5;
const FIXTURES = fileURLToPath(new URL('./fixtures/onnx-graph/', import.meta.url));
const CONFORMANCE = fileURLToPath(new URL('./fixtures/onnx-gru/', import.meta.url));
const INT64_MAX = '9223372036854775807';

function rejects(fn: () => unknown, code: GruErrorCode, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GruError, `expected a GruError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

// ---------------------------------------------------------------------------
// Building graphs
// ---------------------------------------------------------------------------

type AttrValue = number | string | number[] | { f: number } | { fs: number[] } | { strings: string[] } | { t: OnnxTypes.ITensorProto };

function attr(name: string, v: AttrValue): OnnxTypes.IAttributeProto {
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if ('f' in v) return { name, type: A.FLOAT, f: v.f };
  if ('fs' in v) return { name, type: A.FLOATS, floats: v.fs };
  if ('strings' in v) return { name, type: A.STRINGS, strings: v.strings.map((s) => new TextEncoder().encode(s)) };
  return { name, type: A.TENSOR, t: v.t };
}

function node(opType: string, input: string[], output: string[], attrs: Record<string, AttrValue> = {}, name = ''): OnnxTypes.INodeProto {
  return { opType, input, output, name, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) };
}

const floats = (name: string, t: Tensor): OnnxTypes.ITensorProto => ({ name, dataType: DT.FLOAT, dims: [...t.shape], floatData: Array.from(t.data) });
const int64s = (name: string, values: (number | string)[], dims = [values.length]): OnnxTypes.ITensorProto => ({ name, dataType: DT.INT64, dims, int64Data: values as number[] });

function valueInfo(name: string, elemType: number, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

function model(o: { nodes: OnnxTypes.INodeProto[]; inits?: OnnxTypes.ITensorProto[]; inputs?: OnnxTypes.IValueInfoProto[]; outputs: string[]; opset?: number }): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: o.opset ?? 17 }],
    graph: { name: 'g', node: o.nodes, initializer: o.inits ?? [], input: o.inputs ?? [], output: o.outputs.map((name) => ({ name })) },
  }).finish();
}

type Feed = { type: 'float32'; t: Tensor } | { type: 'int64' | 'int32'; dims: number[]; values: number[] };

function ortFeed(f: Feed): ort.Tensor {
  if (f.type === 'float32') return new ort.Tensor('float32', Float32Array.from(f.t.data), [...f.t.shape]);
  if (f.type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(f.values.map(BigInt)), f.dims);
  return new ort.Tensor('int32', Int32Array.from(f.values), f.dims);
}

function ourFeed(f: Feed): Tensor | OnnxTensor {
  if (f.type === 'float32') return f.t;
  // Integer inputs: as a decoded ONNX tensor, or as a Tensor of integers (both are accepted).
  return f.type === 'int64' ? Tensor.from(f.values, f.dims) : { name: '', dataType: DT.INT32, dataTypeName: 'INT32', dims: f.dims, data: Int32Array.from(f.values) };
}

/** Runs a model in ONNX Runtime and through importOnnx, and compares every output (shape, values ≤ TOL). */
async function compareWithOrt(bytes: Uint8Array, feeds: Record<string, Feed>): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  const want = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, ortFeed(f)])));
  const got = importOnnx(bytes).run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, ourFeed(f)])));
  let worst = 0;
  for (const name of session.outputNames) {
    assert.ok(got[name], `no output '${name}'`);
    assert.deepEqual(got[name].shape, want[name].dims, `${name}: shape`);
    const w = want[name].data;
    const err = maxRelError(got[name].data, w instanceof BigInt64Array ? Array.from(w, Number) : (w as Float32Array));
    assert.ok(err <= TOL, `${name}: max relative error ${err}`);
    worst = Math.max(worst, err);
  }
  return worst;
}

/** ONNX GRU weights for one node: W [D, 3H, I], R [D, 3H, H], B [D, 6H]. */
function gruWeights(rng: Rng, prefix: string, D: number, H: number, I: number): OnnxTypes.ITensorProto[] {
  return [floats(`${prefix}_W`, randomTensor(rng, [D, 3 * H, I], 0.6)), floats(`${prefix}_R`, randomTensor(rng, [D, 3 * H, H], 0.6)), floats(`${prefix}_B`, randomTensor(rng, [D, 6 * H], 0.3))];
}

// ---------------------------------------------------------------------------
// (1) The library's own exports
// ---------------------------------------------------------------------------

const ownCases = [
  { numLayers: 2, bidirectional: false, resetAfter: true, batchFirst: false, bias: true },
  { numLayers: 2, bidirectional: true, resetAfter: false, batchFirst: true, bias: true },
  { numLayers: 1, bidirectional: true, resetAfter: true, batchFirst: false, bias: true },
  { numLayers: 3, bidirectional: true, resetAfter: true, batchFirst: false, bias: false },
];

for (const c of ownCases) {
  test(`the library's own export re-imports and runs as gru.forward: ${JSON.stringify(c)}`, () => {
    const [T, B, I, H] = [6, 3, 4, 5];
    const D = c.bidirectional ? 2 : 1;
    const gru = new GRU({ inputSize: I, hiddenSize: H, seed: 11, ...c }).eval();
    const rng = new Rng(3);
    const x = randomTensor(rng, c.batchFirst ? [B, T, I] : [T, B, I]);
    const h0 = randomTensor(rng, [c.numLayers * D, B, H], 0.5);
    const lengths = [6, 2, 4];

    const full = importOnnx(exportGruToOnnx(gru, { initialState: true, lengths: true }));
    assert.deepEqual(
      full.inputs.map((i) => i.name),
      ['input', 'h0', 'lengths'],
    );
    assert.deepEqual(
      full.outputs.map((o) => o.name),
      ['output', 'hN'],
    );
    assert.equal(full.grus.length, c.numLayers);
    assert.ok(full.grus.every((g) => g.gru !== null && g.linearBeforeReset === (c.resetAfter ? 1 : 0)));
    const want = noGrad(() => gru.forward(x, { h0, lengths }));
    const got = full.run({ input: x, h0, lengths: Tensor.from(lengths, [B]) });
    assert.deepEqual(got.output.shape, want.output.shape);
    assert.deepEqual(got.hN.shape, want.hN.shape);
    assert.ok(maxRelError(got.output.data, want.output.value.data) <= TOL);
    assert.ok(maxRelError(got.hN.data, want.hN.value.data) <= TOL);

    // Without the optional inputs: zero initial state, full lengths.
    const bare = importOnnx(exportGruToOnnx(gru)).run({ input: x });
    const wantBare = noGrad(() => gru.forward(x));
    assert.ok(maxRelError(bare.output.data, wantBare.output.value.data) <= TOL);
    assert.ok(maxRelError(bare.hN.data, wantBare.hN.value.data) <= TOL);
  });
}

test('the imported GRU modules are the ones runs use', () => {
  const gru = new GRU({ inputSize: 2, hiddenSize: 3, numLayers: 2, seed: 1 }).eval();
  const m = importOnnx(exportGruToOnnx(gru));
  const x = randomTensor(new Rng(2), [4, 1, 2]);
  const before = m.run({ input: x }).output.toArray();
  const second = m.grus[1].gru!;
  const dict = second.stateDict();
  dict.bias_hh_l0.data.fill(5);
  second.loadStateDict(dict, { prefix: '' });
  assert.notDeepEqual(m.run({ input: x }).output.toArray(), before);
});

// ---------------------------------------------------------------------------
// (2) PyTorch's exports, checked against PyTorch and ONNX Runtime
// ---------------------------------------------------------------------------

interface FixtureTensor {
  dims: number[];
  data: number[];
  dtype: string;
}
const expected: { torch: string; cases: { file: string; inputs: Record<string, FixtureTensor>; outputs: Record<string, FixtureTensor> }[] } = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));

for (const c of expected.cases) {
  test(`torch.onnx.export's ${c.file} runs as PyTorch and ONNX Runtime run it`, async (t) => {
    const bytes = readFileSync(join(FIXTURES, c.file));
    const m = importOnnx(bytes);
    assert.deepEqual(
      m.inputs.map((i) => i.name),
      Object.keys(c.inputs),
    );
    assert.ok(m.grus.length >= 1 && m.grus.every((g) => g.gru && g.linearBeforeReset === 1), 'PyTorch GRUs are linear_before_reset = 1, weights as constants');
    const feeds: Record<string, Feed> = {};
    for (const [name, v] of Object.entries(c.inputs)) {
      feeds[name] = v.dtype === 'int64' ? { type: 'int64', dims: v.dims, values: v.data } : { type: 'float32', t: Tensor.from(v.data, v.dims) };
    }
    const got = m.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, ourFeed(f)])));
    const errors: string[] = [];
    for (const [name, want] of Object.entries(c.outputs)) {
      assert.deepEqual(got[name].shape, want.dims, `${name}: shape`);
      const err = maxRelError(got[name].data, want.data);
      assert.ok(err <= TOL, `${name}: max relative error against PyTorch ${err}`);
      errors.push(`${name} ${err.toExponential(1)}`);
    }
    const ortErr = await compareWithOrt(bytes, feeds);
    t.diagnostic(`${c.file} (${Object.keys(m.ops).join(', ')}): against PyTorch ${expected.torch} ${errors.join(', ')}; against ONNX Runtime ${ortErr.toExponential(1)}`);
  });
}

// ---------------------------------------------------------------------------
// (2) Graphs built here, checked against ONNX Runtime
// ---------------------------------------------------------------------------

/** A graph of two GRUs (reverse with sequence_lens and initial_h; bidirectional) and every other supported operator, with feeds for it. */
function mixedGraph(): { bytes: Uint8Array; feeds: Record<string, Feed> } {
  const rng = new Rng(21);
  const [T, B, I, H1, H2] = [6, 3, 4, 5, 4];
  const inits = [
    ...gruWeights(rng, 'g1', 1, H1, I),
    ...gruWeights(rng, 'g2', 2, H2, H1),
    int64s('ax0', [0]),
    int64s('ax1', [1]),
    int64s('shape_b_rest', [0, -1]),
    int64s('shape_tbf', [0, 0, -1]),
    int64s('sl_start', [1]),
    int64s('sl_end', [INT64_MAX]),
    int64s('sl_step', [2]),
    int64s('rs_start', [-1]),
    int64s('rs_end', ['-9223372036854775808']),
    int64s('rs_axis', [2]),
    int64s('rs_step', [-3]),
    floats('Wm', randomTensor(rng, [13, 7])),
    floats('bm', randomTensor(rng, [7])),
    floats('Wg', randomTensor(rng, [6, 15], 0.5)),
    floats('Cg', randomTensor(rng, [6])),
    floats('E', randomTensor(rng, [10, 3])),
    floats('two', Tensor.from([2], [])),
    int64s('expand_to', [3, 2, 5]),
    int64s('idx0', [0], []),
  ];
  const nodes = [
    node('GRU', ['X', 'g1_W', 'g1_R', 'g1_B', 'lens', 'h0'], ['Y1', 'Yh1'], { hidden_size: H1, direction: 'reverse' }, 'gru_reverse'),
    node('Squeeze', ['Y1', 'ax1'], ['Y1s']), // [T, B, H1]
    node('GRU', ['Y1s', 'g2_W', 'g2_R', 'g2_B'], ['Y2'], { hidden_size: H2, direction: 'bidirectional', linear_before_reset: 1 }, 'gru_bi'),
    node('Transpose', ['Y2'], ['Y2t'], { perm: [2, 0, 1, 3] }), // [B, T, 2, H2]
    node('Reshape', ['Y2t', 'shape_tbf'], ['feat']), // [B, T, 8]
    node('Transpose', ['Y1s'], ['Y1b'], { perm: [1, 0, 2] }), // [B, T, H1]
    node('Concat', ['Y1b', 'feat'], ['cat'], { axis: -1 }), // [B, T, 13]
    node('Slice', ['cat', 'sl_start', 'sl_end', 'ax1', 'sl_step'], ['every2']), // [B, 3, 13]
    node('Slice', ['every2', 'rs_start', 'rs_end', 'rs_axis', 'rs_step'], ['rev3']), // [B, 3, 5]: features 12, 9, 6, 3, 0
    node('MatMul', ['every2', 'Wm'], ['mm']),
    node('Add', ['mm', 'bm'], ['lin']),
    node('LeakyRelu', ['lin'], ['lr'], { alpha: { f: 0.1 } }),
    node('Flatten', ['rev3'], ['revflat']), // [B, 15]
    node('Gemm', ['revflat', 'Wg', 'Cg'], ['gm'], { transB: 1, alpha: { f: 0.5 }, beta: { f: 2 } }), // [B, 6]
    node('Softmax', ['gm'], ['probs'], { axis: -1 }),
    node('Gather', ['E', 'ids'], ['emb']), // [B, 2, 3]
    node('Reshape', ['emb', 'shape_b_rest'], ['embflat']), // [B, 6]
    node('Tanh', ['embflat'], ['te']),
    node('Sigmoid', ['gm'], ['sg']),
    node('Mul', ['te', 'sg'], ['prod']),
    node('Abs', ['embflat'], ['ab']),
    node('Div', ['ab', 'two'], ['half']),
    node('Sub', ['prod', 'half'], ['mix0']),
    node('Shape', ['X'], ['xshape']),
    node('Gather', ['xshape', 'idx0'], ['tlen']),
    node('Cast', ['tlen'], ['tlenf'], { to: DT.FLOAT }),
    node('Div', ['mix0', 'tlenf'], ['mix']),
    node('Neg', ['mix'], ['neg']),
    node('Exp', ['neg'], ['ex']),
    node('Log', ['ex'], ['lg']),
    node('Abs', ['lg'], ['lga']),
    node('Sqrt', ['lga'], ['sq']),
    node('HardSigmoid', ['sq'], ['aux'], { alpha: { f: 0.3 }, beta: { f: 0.4 } }),
    node('Squeeze', ['Yh1', 'ax0'], ['hsq']), // [B, H1]
    node('Concat', ['hsq', 'aux'], ['hcat'], { axis: 1 }),
    node('LogSoftmax', ['hcat'], ['logp'], { axis: 1 }),
    node('Unsqueeze', ['hsq', 'ax1'], ['hun']), // [B, 1, H1]
    node('Expand', ['hun', 'expand_to'], ['hexp']), // [B, 2, H1]
    node('Shape', ['hexp'], ['hshape']),
    node('ConstantOfShape', ['hshape'], ['quarter'], { value: { t: { dataType: DT.FLOAT, dims: [1], floatData: [0.25] } } }),
    node('Sub', ['hexp', 'quarter'], ['hs']),
    node('Relu', ['hs'], ['hr']),
    node('Dropout', ['hr'], ['hd']),
    node('Identity', ['hd'], ['h_out']),
  ];
  const bytes = model({
    nodes,
    inits,
    outputs: ['probs', 'lr', 'logp', 'h_out', 'Y2'],
    inputs: [valueInfo('X', DT.FLOAT, ['T', 'B', I]), valueInfo('lens', DT.INT32, ['B']), valueInfo('h0', DT.FLOAT, [1, 'B', H1]), valueInfo('ids', DT.INT64, ['B', 2])],
  });
  return {
    bytes,
    feeds: {
      X: { type: 'float32', t: randomTensor(rng, [T, B, I]) },
      lens: { type: 'int32', dims: [B], values: [6, 3, 1] },
      h0: { type: 'float32', t: randomTensor(rng, [1, B, H1], 0.5) },
      ids: { type: 'int64', dims: [B, 2], values: [0, 9, 3, 3, -1, 5] },
    },
  };
}

test('a graph of GRUs (reverse with sequence_lens and initial_h, bidirectional) and every other operator runs as ONNX Runtime runs it', async () => {
  const { bytes, feeds } = mixedGraph();
  const m = importOnnx(bytes);
  assert.deepEqual(
    m.grus.map((g) => [g.node, g.direction, g.linearBeforeReset]),
    [
      ['gru_reverse', 'reverse', 0],
      ['gru_bi', 'bidirectional', 1],
    ],
  );
  const used = new Set(Object.keys(m.ops));
  for (const op of [
    'GRU',
    'Gemm',
    'MatMul',
    'Add',
    'Sub',
    'Mul',
    'Div',
    'Gather',
    'Transpose',
    'Reshape',
    'Squeeze',
    'Unsqueeze',
    'Concat',
    'Slice',
    'Identity',
    'Cast',
    'Shape',
    'Relu',
    'Tanh',
    'Sigmoid',
    'Softmax',
    'LogSoftmax',
    'Flatten',
    'Expand',
    'ConstantOfShape',
    'Dropout',
    'LeakyRelu',
    'HardSigmoid',
    'Exp',
    'Log',
    'Neg',
    'Abs',
    'Sqrt',
  ]) {
    assert.ok(used.has(op), `the graph uses ${op}`);
  }
  await compareWithOrt(bytes, feeds);
});

test('opset 11 semantics (Softmax over the flattened tail, axes as attributes) run as ONNX Runtime runs them', async () => {
  const rng = new Rng(5);
  const nodes = [
    node('Softmax', ['X'], ['sm'], { axis: 1 }), // opset < 13: over dims 1… together
    node('Unsqueeze', ['sm'], ['u'], { axes: [0, 3] }),
    node('Squeeze', ['u'], ['s'], { axes: [0] }), // [2, 3, 1, 4]
    node('Squeeze', ['s'], ['s2']), // every 1 removed: [2, 3, 4]
    node('LogSoftmax', ['s2'], ['ls']), // default axis 1, over [3, 4]
    node('Transpose', ['ls'], ['tr']), // default perm: reversed, [4, 3, 2]
    node('Reshape', ['tr', 'shape'], ['flat']), // [12, 2]
    node('Gemm', ['flat', 'Wt', 'C'], ['y'], { transA: 1 }), // flatᵀ [2, 12] · Wt [12, 3] + C [2, 1]
    node('GRU', ['X', 'W', 'R', '', '', ''], ['', 'Yh'], { hidden_size: 3, direction: 'bidirectional' }),
  ];
  const bytes = model({
    opset: 11,
    nodes,
    outputs: ['y', 'ls', 'Yh'],
    inits: [int64s('shape', [12, -1]), floats('Wt', randomTensor(rng, [12, 3])), floats('C', randomTensor(rng, [2, 1])), floats('W', randomTensor(rng, [2, 9, 4], 0.5)), floats('R', randomTensor(rng, [2, 9, 3], 0.5))],
    inputs: [valueInfo('X', DT.FLOAT, [2, 3, 4])],
  });
  await compareWithOrt(bytes, { X: { type: 'float32', t: randomTensor(rng, [2, 3, 4], 2) } });
});

test('MatMul broadcasts batch dimensions and 1-D operands as NumPy does, as ONNX Runtime does', async () => {
  const rng = new Rng(8);
  const bytes = model({
    nodes: [
      node('MatMul', ['A', 'B'], ['ab']), // [2, 1, 3, 4] · [5, 4, 2] → [2, 5, 3, 2]
      node('MatMul', ['v', 'B'], ['vb']), // [4] · [5, 4, 2] → [5, 2]
      node('MatMul', ['A', 'v'], ['av']), // [2, 1, 3, 4] · [4] → [2, 1, 3]
      node('Mul', ['ab', 'col'], ['abc']), // broadcast [2, 5, 3, 2] × [3, 1]
    ],
    outputs: ['ab', 'vb', 'av', 'abc'],
    inits: [floats('B', randomTensor(rng, [5, 4, 2])), floats('v', randomTensor(rng, [4])), floats('col', randomTensor(rng, [3, 1]))],
    inputs: [valueInfo('A', DT.FLOAT, [2, 1, 3, 4])],
  });
  await compareWithOrt(bytes, { A: { type: 'float32', t: randomTensor(rng, [2, 1, 3, 4]) } });
});

// ---------------------------------------------------------------------------
// (3) ONNX's GRU conformance cases through importOnnx
// ---------------------------------------------------------------------------

for (const name of readdirSync(CONFORMANCE).filter((f) => f.startsWith('test_gru_'))) {
  test(`ONNX conformance through importOnnx: ${name}`, () => {
    const dir = join(CONFORMANCE, name);
    const load = (prefix: string) =>
      readdirSync(join(dir, 'test_data_set_0'))
        .filter((f) => f.startsWith(prefix))
        .sort()
        .map((f) => decodeOnnxTensor(readFileSync(join(dir, 'test_data_set_0', f))));
    const m = importOnnx(readFileSync(join(dir, 'model.onnx')));
    assert.equal(m.grus.length, 1);
    assert.equal(m.grus[0].gru, null, 'W and R are graph inputs: no module until run');
    const got = m.run(Object.fromEntries(load('input_').map((t) => [t.name, t])));
    for (const want of load('output_')) {
      assert.deepEqual(got[want.name].shape, want.dims);
      const err = maxRelError(got[want.name].data, onnxTensorToTensor(want).data);
      assert.ok(err <= TOL, `${want.name}: ${err}`);
    }
  });
}

// ---------------------------------------------------------------------------
// (4) Hostile graphs and bad feeds
// ---------------------------------------------------------------------------

test('an unsupported operator is named with its node name and index', () => {
  const bytes = model({ nodes: [node('Relu', ['X'], ['a']), node('LSTM', ['a', 'W', 'R'], ['Y'], {}, 'my_lstm')], outputs: ['Y'], inputs: [valueInfo('X', DT.FLOAT, [1, 1, 1])] });
  rejects(() => importOnnx(bytes), 'UNSUPPORTED', /node #1 'my_lstm' \(LSTM\): op type 'LSTM' is not supported; supported: .*GRU/);
  const custom = model({ nodes: [{ ...node('Relu', ['X'], ['Y']), domain: 'com.microsoft' }], outputs: ['Y'] });
  rejects(() => importOnnx(custom), 'UNSUPPORTED', /node #0 \(Relu\): operator domain 'com\.microsoft' is not supported/);
  const attrs = model({ nodes: [node('Softmax', ['X'], ['Y'], { axis: 1, temperature: 2 })], outputs: ['Y'], inputs: [valueInfo('X', DT.FLOAT, [1, 2])] });
  rejects(() => importOnnx(attrs), 'UNSUPPORTED', /node #0 \(Softmax\): attribute 'temperature' is not supported/);
  const clip = model({ nodes: [node('GRU', ['X', 'W', 'R'], ['Y'], { clip: { f: 3 } })], outputs: ['Y'], inputs: [valueInfo('X', DT.FLOAT, [1, 1, 1]), valueInfo('W', DT.FLOAT, [1, 3, 1]), valueInfo('R', DT.FLOAT, [1, 3, 1])] });
  rejects(() => importOnnx(clip), 'UNSUPPORTED', /clip is not supported/);
  assert.ok(SUPPORTED_ONNX_OPS.includes('GRU') && SUPPORTED_ONNX_OPS.includes('Gemm'));
});

test('names that nothing defines, names defined twice and cycles are refused at import', () => {
  const X = [valueInfo('X', DT.FLOAT, [2])];
  rejects(() => importOnnx(model({ nodes: [node('Add', ['X', 'bias'], ['Y'], {}, 'add')], outputs: ['Y'], inputs: X })), 'INVALID_FILE', /node #0 'add' \(Add\): reads 'bias', which no node, initializer or graph input defines/);
  rejects(() => importOnnx(model({ nodes: [node('Relu', ['X'], ['Y'])], outputs: ['Z'], inputs: X })), 'INVALID_FILE', /graph output 'Z' is not defined/);
  rejects(() => importOnnx(model({ nodes: [node('Relu', ['X'], ['Y']), node('Tanh', ['X'], ['Y'])], outputs: ['Y'], inputs: X })), 'INVALID_FILE', /'Y' is defined twice \(by node #0 and by node #1\)/);
  rejects(() => importOnnx(model({ nodes: [node('Relu', ['X'], ['X'])], outputs: ['X'], inputs: X })), 'INVALID_FILE', /'X' is defined twice/);
  const cycle = model({
    nodes: [node('Add', ['X', 'c'], ['a'], {}, 'first'), node('Relu', ['a'], ['b'], {}, 'second'), node('Tanh', ['b'], ['c'], {}, 'third'), node('Neg', ['X'], ['Y'])],
    outputs: ['Y'],
    inputs: X,
  });
  rejects(() => importOnnx(cycle), 'INVALID_FILE', /the graph has a cycle through node #0 'first' \(Add\), node #1 'second' \(Relu\), node #2 'third' \(Tanh\)/);
  rejects(() => importOnnx(model({ nodes: [node('Relu', ['Y'], ['Y'], {}, 'self')], outputs: ['Y'] })), 'INVALID_FILE', /cycle through node #0 'self'/);
});

test('nodes out of order run in dependency order', () => {
  const bytes = model({ nodes: [node('Neg', ['a'], ['Y']), node('Relu', ['X'], ['a'])], outputs: ['Y'], inputs: [valueInfo('X', DT.FLOAT, [3])] });
  assert.deepEqual(
    importOnnx(bytes)
      .run({ X: Tensor.from([-1, 2, -3], [3]) })
      .Y.toArray(),
    [-0, -2, -0],
  );
});

test('constant parts that do not fit and absurd sizes fail at import, before anything is allocated', () => {
  const rng = new Rng(1);
  const big = model({ nodes: [node('ConstantOfShape', ['s'], ['Y'])], inits: [int64s('s', [1e6, 1e6])], outputs: ['Y'] });
  rejects(() => importOnnx(big), 'INVALID_FILE', /node #0 \(ConstantOfShape\): its result of shape \[1000000, 1000000\] would have 1000000000000 elements, more than the limit of 134217728/);
  const mismatch = model({
    nodes: [node('Gemm', ['X', 'W'], ['h']), node('Add', ['W', 'b'], ['Y'], {}, 'bad_add')],
    outputs: ['h', 'Y'],
    inits: [floats('W', randomTensor(rng, [4, 3])), floats('b', randomTensor(rng, [5]))],
    inputs: [valueInfo('X', DT.FLOAT, ['B', 4])],
  });
  rejects(() => importOnnx(mismatch), 'INVALID_FILE', /node #1 'bad_add' \(Add\): shapes \[4, 3\] and \[5\] do not broadcast/);
  const badW = model({
    nodes: [node('GRU', ['X', 'W', 'R'], ['Y'], { hidden_size: 3 }, 'g')],
    outputs: ['Y'],
    inits: [floats('W', randomTensor(rng, [1, 9, 2])), floats('R', randomTensor(rng, [1, 9, 4]))],
    inputs: [valueInfo('X', DT.FLOAT, ['T', 'B', 2])],
  });
  rejects(() => importOnnx(badW), 'INVALID_FILE', /node #0 'g' \(GRU\): .*R must have shape \[numDirections, 3·hiddenSize, hiddenSize\], got \[1, 9, 4\]/);
  const forged = model({ nodes: [node('Identity', ['W'], ['Y'])], outputs: ['Y'], inits: [{ name: 'W', dataType: DT.FLOAT, dims: [1e6, 1e6], rawData: new Uint8Array(4) }] });
  rejects(() => importOnnx(forged), 'INVALID_FILE', /ONNX tensor 'W': raw_data has 4 bytes, but dims \[1000000, 1000000\]/);
  const perm = model({ nodes: [node('Transpose', ['X'], ['Y'], { perm: [0, 0] })], outputs: ['Y'], inputs: [valueInfo('X', DT.FLOAT, [1, 1])] });
  rejects(() => importOnnx(perm), 'INVALID_FILE', /perm \[0, 0\] is not a permutation/);
  rejects(() => importOnnx(new Uint8Array([0x0a, 0xff, 0xff])), 'INVALID_FILE', /importOnnx: could not decode 3 bytes as an ONNX model/);
  rejects(() => importOnnx(new Uint8Array(0)), 'INVALID_FILE', /decoded to no ONNX graph/);
  // A size from the input at run time: refused before allocating, with the node named.
  const expand = model({ nodes: [node('Expand', ['X', 's'], ['Y'], {}, 'blow_up')], outputs: ['Y'], inputs: [valueInfo('X', DT.FLOAT, [1]), valueInfo('s', DT.INT64, [2])] });
  rejects(
    () => importOnnx(expand, { maxElements: 1000 }).run({ X: Tensor.from([1], [1]), s: Tensor.from([100, 100], [2]) }),
    'INVALID_ARGUMENT',
    /node #0 'blow_up' \(Expand\): its result of shape \[100, 100\] would have 10000 elements, more than the limit of 1000/,
  );
});

test('feeds are checked against the declared inputs', () => {
  const gru = new GRU({ inputSize: 3, hiddenSize: 2, seed: 1 });
  const m = importOnnx(exportGruToOnnx(gru, { initialState: true, lengths: true }));
  const x = Tensor.zeros([4, 2, 3]),
    h0 = Tensor.zeros([1, 2, 2]),
    lengths = Tensor.from([4, 1], [2]);
  rejects(() => m.run({ input: x, h0 }), 'INVALID_ARGUMENT', /run: no value for input 'lengths' \(INT32 of shape \[B\]\)/);
  rejects(() => m.run({ input: x, h0, lengths, extra: x }), 'INVALID_ARGUMENT', /'extra' is not an input of the model; its inputs: input, h0, lengths/);
  rejects(() => m.run({ input: Tensor.zeros([4, 3]), h0, lengths }), 'INVALID_ARGUMENT', /input 'input': expected rank 3 \(FLOAT of shape \[T, B, 3\]\), got shape \[4, 3\]/);
  rejects(() => m.run({ input: Tensor.zeros([4, 2, 5]), h0, lengths }), 'INVALID_ARGUMENT', /expected dimension 2 to be 3/);
  rejects(() => m.run({ input: x, h0: Tensor.zeros([1, 3, 2]), lengths }), 'INVALID_ARGUMENT', /input 'h0': dimension 1 \('B'\) is 3, but input 'input' gave 'B' = 2/);
  rejects(() => m.run({ input: x, h0, lengths: Tensor.from([4, 1.5], [2]) }), 'INVALID_ARGUMENT', /input 'lengths': expected INT32 values, got 1.5 at index 1/);
  rejects(() => m.run({ input: x, h0, lengths: Tensor.from([4, 9], [2]) }), 'INVALID_ARGUMENT', /node #\d+ 'gru_l0' \(GRU\): .*sequence_lens\[1\] must be an integer in \[1, 4\], got 9/);
  const gather = model({ nodes: [node('Gather', ['E', 'ids'], ['Y'], {}, 'lookup')], outputs: ['Y'], inits: [floats('E', Tensor.zeros([10, 2]))], inputs: [valueInfo('ids', DT.INT64, ['N'])] });
  rejects(() => importOnnx(gather).run({ ids: Tensor.from([1, 10], [2]) }), 'INVALID_ARGUMENT', /node #0 'lookup' \(Gather\): indices\[1\] = 10 is out of range for axis 0 of size 10/);
  const reshape = model({ nodes: [node('Reshape', ['X', 's'], ['Y'])], outputs: ['Y'], inits: [int64s('s', [5, -1])], inputs: [valueInfo('X', DT.FLOAT, ['N'])] });
  rejects(() => importOnnx(reshape).run({ X: Tensor.zeros([12]) }), 'INVALID_ARGUMENT', /cannot reshape \[12\] \(12 elements\) to \[5, -1\]/);
  assert.deepEqual(importOnnx(reshape).run({ X: Tensor.zeros([10]) }).Y.shape, [5, 2]);
});

test('integer outputs come back as float64 tensors of integers; DOUBLE graphs compute in float64', () => {
  const bytes = model({
    nodes: [node('Shape', ['X'], ['s']), node('MatMul', ['X', 'W'], ['Y'])],
    outputs: ['s', 'Y'],
    inits: [{ name: 'W', dataType: DT.DOUBLE, dims: [2, 1], doubleData: [1e-9, 1] }],
    inputs: [valueInfo('X', DT.DOUBLE, ['N', 2])],
  });
  const out = importOnnx(bytes).run({ X: Tensor.from([1, 1, 2, 3], [2, 2], 'float64') });
  assert.equal(out.s.dtype, 'float64');
  assert.deepEqual(out.s.toArray(), [2, 2]);
  assert.equal(out.Y.dtype, 'float64');
  assert.deepEqual(out.Y.toArray(), [1 + 1e-9, 3 + 2e-9]);
});

/** Imports and runs `cases` seeded byte mutations of `valid`: each must run or throw a GruError. */
function fuzz(valid: Uint8Array, feeds: Record<string, Tensor | OnnxTensor>, cases: number, seed: number): { ran: number; rejected: number } {
  const rng = new Rng(seed);
  let rejected = 0,
    ran = 0;
  for (let i = 0; i < cases; i++) {
    const bytes = Uint8Array.from(valid); // a copy (valid may be a Buffer, whose slice() is a view)
    const edits = 1 + rng.int(4);
    for (let k = 0; k < edits; k++) bytes[rng.int(bytes.length)] = rng.int(256);
    try {
      importOnnx(bytes, { maxElements: 1e6 }).run(feeds);
      ran++;
    } catch (e) {
      if (!(e instanceof GruError)) assert.fail(`case ${i} threw ${(e as Error)?.name}: ${(e as Error)?.message}; bytes ${Buffer.from(bytes).toString('base64')}`);
      rejected++;
    }
  }
  return { ran, rejected };
}

test("results are the caller's: writing to one does not change the model", () => {
  const bytes = model({ nodes: [node('Identity', ['W'], ['Y']), node('Dropout', ['W'], ['D', 'mask'])], outputs: ['Y', 'D', 'mask'], inits: [floats('W', Tensor.from([1, 2], [2]))] });
  const m = importOnnx(bytes);
  const first = m.run({});
  assert.deepEqual(first.mask.toArray(), [1, 1]);
  first.Y.data.fill(0);
  first.D.data.fill(0);
  assert.deepEqual(m.run({}).Y.toArray(), [1, 2]);
});

test('fuzz: 400 mutated exports of a stacked GRU import and run, or throw a GruError', () => {
  const valid = exportGruToOnnx(new GRU({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, seed: 5 }), { initialState: true, lengths: true });
  const rng = new Rng(77);
  const { ran, rejected } = fuzz(valid, { input: randomTensor(rng, [3, 2, 3]), h0: randomTensor(rng, [4, 2, 2]), lengths: Tensor.from([3, 2], [2]) }, 400, 77);
  assert.ok(rejected > 40 && ran > 40, `${ran} ran, ${rejected} rejected`);
});

test('fuzz: 400 mutations of a graph of every operator import and run, or throw a GruError', () => {
  const { bytes, feeds } = mixedGraph();
  const { ran, rejected } = fuzz(bytes, Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, ourFeed(f)])), 400, 78);
  assert.ok(rejected > 40 && ran > 40, `${ran} ran, ${rejected} rejected`);
});
