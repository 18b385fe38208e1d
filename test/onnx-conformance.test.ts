// ONNX's own GRU backend node tests (test/fixtures/onnx-gru, Apache-2.0, see its README) run through
// importOnnxGru / runOnnxGru, plus the importer's error paths and weight-mapping round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { GRU, Rng, Tensor, decodeOnnxTensor, gruFromOnnxWeights, gruToOnnxWeights, importOnnxGru, onnxTensorToTensor, runOnnxGru, tensorFromOnnx, type OnnxTensor } from '../src/index.js';
import { randomTensor } from './helpers/random.js';

const { onnx } = onnxProto;
const FIXTURES = fileURLToPath(new URL('./fixtures/onnx-gru', import.meta.url));
const CASES = ['test_gru_defaults', 'test_gru_with_initial_bias', 'test_gru_seq_length', 'test_gru_batchwise'];
const TOL = 1e-5;

/** The .pb tensors of a test data set whose file names start with `prefix`, in index order. */
function loadTensors(dir: string, prefix: 'input' | 'output'): OnnxTensor[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix + '_') && f.endsWith('.pb'))
    .sort((a, b) => parseInt(a.slice(prefix.length + 1)) - parseInt(b.slice(prefix.length + 1)))
    .map((f) => decodeOnnxTensor(readFileSync(join(dir, f))));
}

/** max |a − b| / (1 + |b|): absolute near 0, relative for large values. */
function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return m;
}

for (const name of CASES) {
  test(`ONNX conformance: ${name}`, (t) => {
    const dir = join(FIXTURES, name);
    const model = readFileSync(join(dir, 'model.onnx'));
    const inputs = loadTensors(join(dir, 'test_data_set_0'), 'input');
    const outputs = loadTensors(join(dir, 'test_data_set_0'), 'output');
    assert.ok(inputs.length >= 3 && outputs.length >= 1);

    // Without weights: attributes and names only; W/R/B are graph inputs here.
    const bare = importOnnxGru(model);
    assert.equal(bare.gru, null);
    assert.match(bare.gruUnavailable ?? '', /no values for W/);
    assert.equal(bare.linearBeforeReset, 0);

    // With the input_N.pb tensors as values: a GRU is built, and run() evaluates the node.
    const feeds = Object.fromEntries(inputs.map((t) => [t.name, t]));
    const imported = importOnnxGru(model, feeds);
    assert.ok(imported.gru, imported.gruUnavailable ?? '');
    assert.equal(imported.gru.batchFirst, imported.layout === 1);
    const got = imported.run(feeds);

    // And the same through runOnnxGru with the inputs by ONNX name.
    const byRole = Object.fromEntries(imported.inputNames.map((n, i) => [['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'][i], n ? feeds[n] : undefined]));
    const { layout, direction, linearBeforeReset, hiddenSize } = imported;
    const direct = runOnnxGru(byRole as any, { layout, direction, linearBeforeReset, hiddenSize });
    const directByName: Record<string, Tensor> = {};
    if (imported.outputNames[0]) directByName[imported.outputNames[0]] = direct.Y;
    if (imported.outputNames[1]) directByName[imported.outputNames[1]] = direct.Y_h;

    const errors: string[] = [];
    for (const want of outputs) {
      for (const [how, results] of [
        ['run', got],
        ['runOnnxGru', directByName],
      ] as const) {
        const g = results[want.name];
        assert.ok(g, `${how}: no output named '${want.name}' (got ${Object.keys(results).join(', ')})`);
        assert.deepEqual(g.shape, want.dims, `${how}: ${want.name} shape`);
        const err = maxError(g.data, onnxTensorToTensor(want).data);
        assert.ok(err <= TOL, `${how}: ${want.name} max error ${err} > ${TOL}`);
        if (how === 'run') errors.push(`${want.name} ${err.toExponential(2)}`);
      }
    }
    t.diagnostic(`${name}: max error ${errors.join(', ')}`);
  });
}

test('garbage bytes as a model give a clear error', () => {
  const garbage = new Uint8Array(64).map((_, i) => (i * 73 + 41) & 0xff);
  assert.throws(() => importOnnxGru(garbage), /importOnnxGru: (could not decode 64 bytes as an ONNX model|64 bytes decoded to no ONNX graph)/);
  assert.throws(() => importOnnxGru(new Uint8Array(0)), /importOnnxGru: 0 bytes decoded to no ONNX graph with nodes/);
  assert.throws(() => importOnnxGru(new TextEncoder().encode('this is not an onnx model at all')), /importOnnxGru: .*ONNX/);
  // A real model cut short.
  const model = readFileSync(join(FIXTURES, 'test_gru_defaults', 'model.onnx'));
  assert.throws(() => importOnnxGru(model.subarray(0, model.length - 20)), /importOnnxGru: could not decode \d+ bytes as an ONNX model/);
});

test('a model without a GRU node names what it has', () => {
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [
        { opType: 'LSTM', input: ['X', 'W', 'R'], output: ['Y'] },
        { opType: 'Relu', input: ['Y'], output: ['Z'] },
      ],
    },
  }).finish();
  assert.throws(() => importOnnxGru(bytes), /expected a GRU node, but the graph has none \(its nodes: LSTM, Relu\)/);
});

test('a model with two GRU nodes is refused', () => {
  const gruNode = (name: string) => ({ name, opType: 'GRU', input: ['X', 'W', 'R'], output: ['Y'] });
  const bytes = onnx.ModelProto.encode({ irVersion: 8, graph: { node: [gruNode('a'), gruNode('b')] } }).finish();
  assert.throws(() => importOnnxGru(bytes), /expected one GRU node, found 2 \(a, b\)/);
});

/** A one-node GRU model with the given attributes and W, R, B initializers. */
function gruModel(attribute: object[], weights?: { W: Tensor; R: Tensor; B: Tensor | null }): Uint8Array {
  const init = (name: string, t: Tensor) => ({ name, dataType: 1, dims: [...t.shape], floatData: Array.from(t.data) });
  const initializer = weights ? [init('W', weights.W), init('R', weights.R), ...(weights.B ? [init('B', weights.B)] : [])] : [];
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: { node: [{ opType: 'GRU', input: ['X', 'W', 'R', weights?.B ? 'B' : ''], output: ['Y', 'Y_h'], attribute }], initializer },
  }).finish();
}

test('unsupported GRU attributes are refused', () => {
  const A = onnx.AttributeProto.AttributeType;
  const str = (s: string) => new TextEncoder().encode(s);
  assert.throws(() => importOnnxGru(gruModel([{ name: 'clip', type: A.FLOAT, f: 3 }])), /clip \(3\) is not supported/);
  assert.throws(() => importOnnxGru(gruModel([{ name: 'activations', type: A.STRINGS, strings: [str('Relu'), str('Tanh')] }])), /only the default activations are supported \(Sigmoid, Tanh\), got Relu, Tanh/);
  assert.doesNotThrow(() => importOnnxGru(gruModel([{ name: 'activations', type: A.STRINGS, strings: [str('Sigmoid'), str('Tanh')] }])));
  assert.throws(() => importOnnxGru(gruModel([{ name: 'direction', type: A.STRING, s: str('sideways') }])), /direction must be 'forward', 'reverse' or 'bidirectional', got "sideways"/);
  assert.throws(() => importOnnxGru(gruModel([{ name: 'output_sequence', type: A.INT, i: 1 }])), /unknown attribute 'output_sequence'/);
});

test('a TensorProto whose raw_data does not match its dims is refused', () => {
  const proto = { name: 'W', dataType: 1, dims: [2, 3], rawData: new Uint8Array(20) };
  assert.throws(() => tensorFromOnnx(proto), /ONNX tensor 'W': raw_data has 20 bytes, but dims \[2, 3\] of FLOAT need 24/);
  const bytes = onnx.TensorProto.encode(proto).finish();
  assert.throws(() => decodeOnnxTensor(bytes), /raw_data has 20 bytes, but dims \[2, 3\] of FLOAT need 24/);
  assert.throws(() => tensorFromOnnx({ name: 'v', dataType: 1, dims: [4], floatData: [1, 2, 3] }), /holds 3 elements \(float_data, no raw_data\), but dims \[4\] need 4/);
  assert.throws(() => tensorFromOnnx({ name: 'h', dataType: 10, dims: [1], rawData: new Uint8Array(2) }), /data type FLOAT16 \(10\) is not supported/);
  assert.throws(() => decodeOnnxTensor(new Uint8Array([0xff, 0xff, 0xff])), /decodeOnnxTensor: could not decode 3 bytes as an onnx.TensorProto/);
});

test('tensorFromOnnx reads raw_data and the typed fields, int64 included', () => {
  const raw = new Uint8Array(new Float64Array([1.5, -2.25]).buffer);
  // An odd byte offset: raw_data usually lies inside a larger buffer.
  const shifted = new Uint8Array(raw.length + 1);
  shifted.set(raw, 1);
  const d = tensorFromOnnx({ name: 'd', dataType: 11, dims: [2], rawData: shifted.subarray(1) });
  assert.ok(d.data instanceof Float64Array);
  assert.deepEqual(Array.from(d.data), [1.5, -2.25]);

  // int64 round trip through protobuf (dims and int64_data come back as Long objects).
  const big = 2n ** 40n + 3n;
  const bytes = onnx.TensorProto.encode({ name: 'i', dataType: 7, dims: [3, 1], int64Data: [5, -7, Number(big)] }).finish();
  const i = decodeOnnxTensor(bytes);
  assert.deepEqual(i.dims, [3, 1]);
  assert.ok(i.data instanceof BigInt64Array);
  assert.deepEqual(Array.from(i.data), [5n, -7n, big]);

  const i32 = tensorFromOnnx({ dataType: 6, dims: [2], int32Data: [3, -4] });
  assert.ok(i32.data instanceof Int32Array);
  assert.deepEqual(Array.from(i32.data), [3, -4]);
  const scalar = tensorFromOnnx({ dataType: 1, dims: [], floatData: [7] });
  assert.deepEqual(scalar.dims, []);
  assert.deepEqual(Array.from(scalar.data as Float32Array), [7]);
});

test('gruToOnnxWeights inverts gruFromOnnxWeights, and initializer weights give the same GRU', () => {
  for (const [bidirectional, bias, resetAfter] of [
    [false, true, false],
    [true, false, true],
    [true, true, false],
  ] as const) {
    const gru = new GRU({ inputSize: 4, hiddenSize: 3, bidirectional, bias, resetAfter, seed: 7 });
    const ex = gruToOnnxWeights(gru);
    assert.deepEqual(ex.W.shape, [bidirectional ? 2 : 1, 9, 4]);
    assert.equal(ex.B === null, !bias);
    const back = gruFromOnnxWeights(ex);
    assert.equal(back.resetAfter, resetAfter);
    const a = gru.stateDict(),
      b = back.stateDict();
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) assert.deepEqual(Array.from(b[k].data), Array.from(a[k].data), k);

    // The same weights as initializers of a model.
    const A = onnx.AttributeProto.AttributeType;
    const attrs = [
      { name: 'hidden_size', type: A.INT, i: 3 },
      { name: 'linear_before_reset', type: A.INT, i: ex.linearBeforeReset },
      { name: 'direction', type: A.STRING, s: new TextEncoder().encode(ex.direction) },
    ];
    const imported = importOnnxGru(gruModel(attrs, ex));
    assert.ok(imported.gru);
    for (const k of Object.keys(a)) assert.deepEqual(Array.from(imported.gru.stateDict()[k].data), Array.from(a[k].data), k);
  }
  // The z/r swap itself: ONNX block 0 (z) is PyTorch block 1.
  const gru = new GRU({ inputSize: 1, hiddenSize: 1, bias: false, seed: 1 });
  const W = gruToOnnxWeights(gru).W.data;
  const w = gru.layers[0][0].wIh.data;
  assert.deepEqual([W[0], W[1], W[2]], [w[1], w[0], w[2]]);
});

test("runOnnxGru: direction 'reverse' equals the reverse half of a bidirectional run, with sequence_lens, both layouts", () => {
  const rng = new Rng(3);
  const [T, B, I, H] = [5, 3, 4, 6];
  const bi = new GRU({ inputSize: I, hiddenSize: H, bidirectional: true, resetAfter: false, seed: 11 });
  const ex = gruToOnnxWeights(bi);
  const half = (t: Tensor, d: number) => {
    const n = t.size / 2;
    return new Tensor(t.data.slice(d * n, (d + 1) * n), [1, ...t.shape.slice(1)]);
  };
  const X = randomTensor(rng, [T, B, I]);
  const h0 = randomTensor(rng, [2, B, H], 0.5);
  const sequence_lens = new Tensor(new Float32Array([5, 2, 4]), [B]);
  const both = runOnnxGru({ X, W: ex.W, R: ex.R, B: ex.B, sequence_lens, initial_h: h0 }, { direction: 'bidirectional' });
  const rev = runOnnxGru({ X, W: half(ex.W, 1), R: half(ex.R, 1), B: half(ex.B!, 1), sequence_lens, initial_h: half(h0, 1) }, { direction: 'reverse' });
  assert.deepEqual(rev.Y.shape, [T, 1, B, H]);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const want = both.Y.data[((t * 2 + 1) * B + b) * H + h];
        const got = rev.Y.data[(t * B + b) * H + h];
        assert.ok(Math.abs(got - want) <= 1e-6, `Y[${t}, 0, ${b}, ${h}] = ${got}, want ${want}`);
      }
    }
  }
  assert.ok(maxError(rev.Y_h.data, half(both.Y_h, 1).data) <= 1e-6);
  assert.ok(rev.Y.data[((3 * 1 + 0) * B + 1) * H] === 0, 'Y past a sequence length is 0');

  // Layout 1 gives the same numbers, transposed.
  const Xb = new Tensor(new Float32Array(X.size), [B, T, I]);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) Xb.data.set(X.data.subarray((t * B + b) * I, (t * B + b + 1) * I), (b * T + t) * I);
  const hb = new Tensor(new Float32Array(h0.size), [B, 2, H]);
  for (let d = 0; d < 2; d++) for (let b = 0; b < B; b++) hb.data.set(h0.data.subarray((d * B + b) * H, (d * B + b + 1) * H), (b * 2 + d) * H);
  const bothB = runOnnxGru({ X: Xb, W: ex.W, R: ex.R, B: ex.B, sequence_lens, initial_h: hb }, { direction: 'bidirectional', layout: 1 });
  assert.deepEqual(bothB.Y.shape, [B, T, 2, H]);
  assert.deepEqual(bothB.Y_h.shape, [B, 2, H]);
  for (let t = 0; t < T; t++)
    for (let d = 0; d < 2; d++)
      for (let b = 0; b < B; b++)
        for (let h = 0; h < H; h++) {
          assert.equal(bothB.Y.data[((b * T + t) * 2 + d) * H + h], both.Y.data[((t * 2 + d) * B + b) * H + h]);
        }
  for (let d = 0; d < 2; d++)
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        assert.equal(bothB.Y_h.data[(b * 2 + d) * H + h], both.Y_h.data[(d * B + b) * H + h]);
      }

  assert.throws(() => gruFromOnnxWeights({ W: half(ex.W, 1), R: half(ex.R, 1), direction: 'reverse' }), /direction 'reverse' cannot be expressed as a GRU module/);
  assert.throws(() => runOnnxGru({ X, W: ex.W, R: ex.R }, { direction: 'forward' }), /R \(direction 'forward'\): expected shape \[1, 18, 6\], got \[2, 18, 6\]/);
  assert.throws(() => runOnnxGru({ X, W: half(ex.W, 0), R: half(ex.R, 0), sequence_lens: [5, 0, 1] }), /sequence_lens\[1\] must be an integer in \[1, 5\], got 0/);
});
