// Hostile inputs never crash the readers: deep nesting, duplicate names,
// absurd claimed sizes and huge tensor counts are clean GruErrors (or work),
// and seeded byte mutations of valid files throw nothing but GruError.
// Modules are imported directly (not through src/index.ts) so this file
// tests the readers alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { GruError, type GruErrorCode } from '../src/errors.js';
import { parseSafetensors, serializeSafetensors } from '../src/io/safetensors.js';
import { readSafetensors } from '../src/io/safetensors-file.js';
import { decodeOnnxTensor, importOnnxGru, tensorFromOnnx } from '../src/io/onnx.js';
import { exportGruToOnnx } from '../src/io/onnx-export.js';
import { parseCsv, parseJsonl } from '../src/data/csv.js';
import { infoCommand } from '../src/cli/info.js';
import { GRU } from '../src/nn/gru.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/tensor/random.js';

const { onnx } = onnxProto;

/** Asserts that fn throws a GruError with this code and a message matching `pattern`. */
function rejects(fn: () => unknown, code: GruErrorCode, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GruError, `expected a GruError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.name, 'GruError');
    assert.match(e.message, pattern);
    return true;
  });
}

/** A safetensors file from raw header text and data bytes. */
function build(header: string, data: ArrayLike<number> = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const nested = (depth: number, inner = '') => '['.repeat(depth) + inner + ']'.repeat(depth);
const F32_1 = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';

// ------------------------------------------------------------ GruError

test('GruError is an Error with a name and a code', () => {
  const e = new GruError('UNSUPPORTED', 'x', { cause: 1 });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'GruError');
  assert.equal(e.code, 'UNSUPPORTED');
  assert.equal(e.cause, 1);
  assert.match(String(e), /^GruError: x$/);
});

// ------------------------------------------------------------ safetensors

for (const depth of [10_000, 100_000]) {
  test(`safetensors: a header nested ${depth} deep is a clean rejection`, () => {
    const deep = /nests arrays\/objects more than 128 deep/;
    rejects(() => parseSafetensors(build(`{"t":${nested(depth)}}`)), 'INVALID_FILE', deep);
    rejects(() => parseSafetensors(build(`{"t":{"dtype":"F32","shape":${nested(depth, '1')},"data_offsets":[0,4]}}`, [0, 0, 0, 0])), 'INVALID_FILE', deep);
    rejects(() => parseSafetensors(build(`{"__metadata__":{"k":${nested(depth)}}}`)), 'INVALID_FILE', deep);
    rejects(() => parseSafetensors(build(nested(depth))), 'INVALID_FILE', deep);
    rejects(() => parseSafetensors(build('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))), 'INVALID_FILE', deep);
    // Brackets inside strings are text, not nesting.
    const inString = parseSafetensors(build(`{"__metadata__":{"k":"${nested(depth)}"},"t":${F32_1}}`, [0, 0, 0, 0]));
    assert.equal(inString.metadata.k.length, 2 * depth);
  });
}

test('safetensors: nesting under the limit still gets a message (no recursion trouble)', () => {
  rejects(() => parseSafetensors(build(`{"t":${nested(100)}}`)), 'INVALID_FILE', /tensor 't': expected an object \{dtype, shape, data_offsets\}, got \[\[\[/);
  rejects(() => parseSafetensors(build(`{"__metadata__":{"k":${nested(120)}}}`)), 'INVALID_FILE', /__metadata__\['k'\] must be a string, got \[\[\[/);
});

test('safetensors: duplicate tensor names are rejected, not last-wins', () => {
  const two = `{"a":${F32_1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`;
  rejects(() => parseSafetensors(build(two, [0, 0, 0, 0])), 'INVALID_FILE', /header key 'a' occurs more than once/);
  // The same name spelled with an escape is the same key.
  rejects(() => parseSafetensors(build(`{"a":${F32_1},"\\u0061":${F32_1}}`, [0, 0, 0, 0])), 'INVALID_FILE', /header key 'a' occurs more than once/);
  rejects(() => parseSafetensors(build(`{"__metadata__":{},"t":${F32_1},"__metadata__":{}}`, [0, 0, 0, 0])), 'INVALID_FILE', /header key '__metadata__' occurs more than once/);
  // Names that recur only as values or as nested keys are fine.
  const ok = parseSafetensors(build(`{"__metadata__":{"a":"a","t":"\\"t\\":"},"a":${F32_1}}`, [0, 0, 128, 63]));
  assert.deepEqual([...ok.tensors.keys()], ['a']);
  assert.equal(ok.tensors.get('a')!.data[0], 1);
});

test('safetensors: readSafetensors keeps the class and code and names the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gru-ts-hostile-'));
  try {
    const path = join(dir, 'dup.safetensors');
    writeFileSync(path, build(`{"a":${F32_1},"a":${F32_1}}`, [0, 0, 0, 0]));
    rejects(() => readSafetensors(path), 'INVALID_FILE', /dup\.safetensors: safetensors: header key 'a' occurs more than once/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** What `gru info` prints for a file of these bytes, line by line. */
function infoLines(file: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'gru-ts-hostile-'));
  const lines: string[] = [];
  const log = console.log;
  try {
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, file);
    console.log = (...args: unknown[]) => void lines.push(args.join(' '));
    infoCommand(path, {});
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

test('gru info reads a valid file of 200,000 tensors (no spread of them onto the stack)', () => {
  const count = 200_000;
  // Built by hand (serializeSafetensors would sort 200,000 names first): one F32 [1] per name.
  const entries = Array.from({ length: count }, (_, i) => `"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[${4 * i},${4 * i + 4}]}`);
  const lines = infoLines(build(`{"__metadata__":{"note":"many"},${entries.join(',')}}`, new Uint8Array(4 * count)));
  assert.match(lines[1], /^ {2}parameters: 200,000 in 200000 tensors$/);
  const rows = lines.slice(lines.indexOf('  tensors:') + 1);
  assert.equal(rows.length, count);
  // Names pad to the longest ("t199999", 7 characters), as before.
  assert.equal(rows[0], `    ${'t0'.padEnd(7)}  ${'float32'.padEnd(7)}  [1]`);
});

// ------------------------------------------------------------ ONNX

test('ONNX: dims claiming far more than the data present are refused before allocating', () => {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const four = new Uint8Array(4);
  const cases: [number[], RegExp][] = [
    [[1e6, 1e6], /ONNX tensor 'w': raw_data has 4 bytes, but dims \[1000000, 1000000\] of FLOAT need 4000000000000/],
    [[2 ** 31 - 1], /ONNX tensor 'w': raw_data has 4 bytes, but dims \[2147483647\] of FLOAT need 8589934588/],
    [[2 ** 40, 2 ** 40], /ONNX tensor 'w': dims \[1099511627776, 1099511627776\] of FLOAT claim more than 2\^53 - 1 bytes; the tensor holds 4 bytes/],
  ];
  for (const [dims, pattern] of cases) {
    const proto = { name: 'w', dims, dataType: FLOAT, rawData: four };
    rejects(() => tensorFromOnnx(proto), 'INVALID_FILE', pattern);
    rejects(() => decodeOnnxTensor(onnx.TensorProto.encode(proto).finish()), 'INVALID_FILE', pattern);
  }
  rejects(() => tensorFromOnnx({ name: 'w', dims: [1e6, 1e6], dataType: FLOAT, floatData: [1] }), 'INVALID_FILE', /ONNX tensor 'w': holds 1 elements \(float_data, no raw_data\), but dims \[1000000, 1000000\] need 1000000000000/);
  rejects(
    () => tensorFromOnnx({ name: 'w', dims: [2 ** 30, 2 ** 30, 2 ** 30], dataType: FLOAT, floatData: [1] }),
    'INVALID_FILE',
    /dims \[1073741824, 1073741824, 1073741824\] of FLOAT claim more than 2\^53 - 1 bytes; the tensor holds 1 elements in float_data/,
  );
  rejects(() => tensorFromOnnx({ name: 'w', dims: [-4], dataType: FLOAT, rawData: four }), 'INVALID_FILE', /dims must be non-negative, got dims\[0\] = -4/);
  rejects(() => tensorFromOnnx({ name: 'w', dims: [1.5], dataType: FLOAT, rawData: four }), 'INVALID_FILE', /expected an integer, got 1\.5/);
  rejects(() => tensorFromOnnx({ name: 'w', dims: [1], dataType: onnx.TensorProto.DataType.STRING }), 'UNSUPPORTED', /data type STRING \(8\) is not supported/);
});

test('ONNX: a model whose weight claims [1e6, 1e6] with 4 bytes is refused, naming the tensor', () => {
  const bytes = exportGruToOnnx(new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 }));
  const model = onnx.ModelProto.decode(bytes);
  const W = model.graph!.initializer!.find((t) => t.name === 'W_l0')!;
  W.dims = [1e6, 1e6];
  W.rawData = new Uint8Array(4);
  rejects(() => importOnnxGru(onnx.ModelProto.encode(model).finish()), 'INVALID_FILE', /ONNX tensor 'W_l0': raw_data has 4 bytes, but dims \[1000000, 1000000\]/);
});

test('ONNX: weights that do not fit together are a file error; a graph without a GRU is unsupported', () => {
  const model = onnx.ModelProto.decode(exportGruToOnnx(new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 })));
  const gruNode = model.graph!.node!.find((n) => n.opType === 'GRU')!;
  gruNode.attribute!.find((a) => a.name === 'hidden_size')!.i = 4;
  rejects(() => importOnnxGru(onnx.ModelProto.encode(model).finish()), 'INVALID_FILE', /hidden_size is 4 but R has shape \[1, 9, 3\]/);
  gruNode.opType = 'LSTM';
  rejects(() => importOnnxGru(onnx.ModelProto.encode(model).finish()), 'UNSUPPORTED', /expected a GRU node, but the graph has none/);
  rejects(() => importOnnxGru(new Uint8Array([0x0a, 0xff, 0xff])), 'INVALID_FILE', /could not decode 3 bytes as an ONNX model/);
});

test('ONNX: protobuf messages nested thousands deep are a clean rejection', () => {
  const varint = (n: number) => {
    const o: number[] = [];
    for (; n > 127; n >>>= 7) o.push((n & 127) | 128);
    o.push(n);
    return o;
  };
  // ModelProto.graph → GraphProto.node → NodeProto.attribute → AttributeProto.g → GraphProto …, 3,000 times
  // over, around an empty graph: only field headers, built from the inside out.
  const headers: number[][] = [];
  let length = 0;
  const wrap = (field: number) => {
    const h = [(field << 3) | 2, ...varint(length)];
    headers.push(h);
    length += h.length;
  };
  for (let i = 0; i < 3000; i++) [6, 5, 1].forEach(wrap);
  wrap(7);
  const bytes = Uint8Array.from(headers.reverse().flat());
  rejects(() => importOnnxGru(bytes), 'INVALID_FILE', /importOnnxGru: could not decode \d+ bytes as an ONNX model/);
});

// ------------------------------------------------------------ CSV / JSONL

for (const depth of [10_000, 100_000]) {
  test(`JSONL: a value nested ${depth} deep is a clean rejection naming the line`, () => {
    const deep = /JSONL: line 2: values nest more than 128 deep; expected a JSON object of column values/;
    rejects(() => parseJsonl(`{"a":1}\n{"a":${nested(depth)}}\n`), 'INVALID_DATA', deep);
    rejects(() => parseJsonl(`{"a":1}\n${nested(depth)}\n`), 'INVALID_DATA', deep);
    rejects(() => parseJsonl(`{"a":1}\n${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}\n`), 'INVALID_DATA', deep);
    // Brackets inside a string are text.
    assert.equal(parseJsonl(`{"a":"${nested(depth)}"}`).rows[0][0].length, 2 * depth);
  });
}

test('CSV/JSONL: existing rejections are GruError INVALID_DATA with their messages', () => {
  rejects(() => parseCsv(''), 'INVALID_DATA', /^CSV: expected a header row and data rows, got an empty file$/);
  rejects(() => parseCsv('a,b\n1\n'), 'INVALID_DATA', /^CSV: malformed CSV: /);
  rejects(() => parseJsonl('{"a":'), 'INVALID_DATA', /^JSONL: line 1 is not valid JSON/);
  rejects(() => parseJsonl('[1,2]'), 'INVALID_DATA', /^JSONL: line 1: expected a JSON object, got \[1,2\]$/);
  rejects(() => parseJsonl('\n\n'), 'INVALID_DATA', /^JSONL: expected JSON objects, one per line, got none$/);
  // Shallow nesting is still read as before.
  assert.deepEqual(parseJsonl('{"a":[1,[2,3]]}').rows, [['1,2,3']]);
});

// ------------------------------------------------------------ fuzz

// Bytes likely to matter: structure characters, varint continuation, extremes.
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x2c, 0x3a, 0x5b, 0x5d, 0x7b, 0x7d, 0x30, 0x39, 0x2d];

/** 1–4 random edits: flip a bit, overwrite, insert or delete bytes. */
function mutate(src: Uint8Array, next: () => number): Uint8Array {
  let b = Array.from(src);
  const edits = 1 + Math.floor(next() * 4);
  const byte = () => (next() < 0.5 ? INTERESTING[Math.floor(next() * INTERESTING.length)] : Math.floor(next() * 256));
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(next() * (b.length + 1));
    const op = Math.floor(next() * 4);
    if (op === 0 && at < b.length) b[at] ^= 1 << Math.floor(next() * 8);
    else if (op === 1 && at < b.length) b[at] = byte();
    else if (op === 2) b.splice(at, 0, ...Array.from({ length: 1 + Math.floor(next() * 4) }, byte));
    else b = b.slice(0, at).concat(b.slice(at + 1 + Math.floor(next() * 8)));
  }
  return Uint8Array.from(b);
}

/** Runs `cases` mutations of `valid` through `read`; anything thrown must be a GruError. */
function fuzz(valid: Uint8Array, read: (b: Uint8Array) => unknown, cases: number, seed: number): { accepted: number; rejected: number } {
  const rng = new Rng(seed); // seeded: every run mutates the same way
  const next = () => rng.uniform();
  let accepted = 0,
    rejected = 0;
  for (let i = 0; i < cases; i++) {
    const bytes = mutate(valid, next);
    try {
      read(bytes);
      accepted++;
    } catch (e) {
      if (!(e instanceof GruError)) {
        assert.fail(`case ${i} (seed ${seed}) threw ${(e as Error)?.name}: ${(e as Error)?.message}; bytes ${Buffer.from(bytes).toString('base64')}`);
      }
      rejected++;
    }
  }
  return { accepted, rejected };
}

const FUZZ_CASES = 2_000;

test(`fuzz: ${FUZZ_CASES} mutated safetensors files throw only GruError`, () => {
  const valid = serializeSafetensors(
    { 'gru.weight_ih_l0': new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]), bias: new Tensor(Float64Array.from([0.5]), [1]) },
    { format: 'gru-ts', config: '{"hiddenSize":1}' },
    { steps: { data: Int32Array.from([7, 8]), shape: [2] } },
  );
  const { accepted, rejected } = fuzz(valid, parseSafetensors, FUZZ_CASES, 20240601);
  assert.equal(accepted + rejected, FUZZ_CASES);
  assert.ok(rejected > FUZZ_CASES / 4, `only ${rejected} of ${FUZZ_CASES} mutations were rejected; the mutator misses the header`);
});

test(`fuzz: ${FUZZ_CASES} mutated ONNX exports throw only GruError`, () => {
  const valid = exportGruToOnnx(new GRU({ inputSize: 3, hiddenSize: 2, seed: 5 }), { initialState: true, lengths: true });
  const { accepted, rejected } = fuzz(valid, (b) => importOnnxGru(b), FUZZ_CASES, 7);
  assert.equal(accepted + rejected, FUZZ_CASES);
  assert.ok(rejected > FUZZ_CASES / 10, `only ${rejected} of ${FUZZ_CASES} mutations were rejected`);
});

test('gru info shows control characters in metadata and tensor names as escapes, never as terminal sequences', () => {
  const out = infoLines(serializeSafetensors({ 'w\u001b[2J': Tensor.zeros([1]) }, { note: 'red \u001b[31mtext\u0007 and a\nnew line' })).join('\n');
  assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(out), 'no control character but the line breaks between lines');
  assert.match(out, /note: red \\u001b\[31mtext\\u0007 and a\\u000anew line/);
  assert.match(out, /w\\u001b\[2J/);
});
