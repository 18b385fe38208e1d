// safetensors reading and writing: round trips, hand-built bytes, a file
// written by the reference library (scripts/make-safetensors-fixture.py),
// hostile headers, and atomic writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRU, Tensor, intsToInt32Array, intsToNumbers, loadStateDictFile, parseSafetensors, readSafetensors, saveStateDictFile, serializeSafetensors, writeSafetensors } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/pytorch-gru.safetensors', import.meta.url));
const FIXTURE_JSON = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/pytorch-gru.json', import.meta.url)), 'utf8')) as {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  input: { shape: number[]; values: number[] };
  output: { shape: number[]; values: number[] };
  hN: { shape: number[]; values: number[] };
};

/** A file from a header (object or raw JSON text) and data bytes; `n` overrides the length field. */
function build(header: unknown, data: ArrayLike<number> = [], n?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The header of serialized bytes as text, and its length field. */
function headerText(bytes: Uint8Array): { n: number; text: string } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, text: new TextDecoder().decode(bytes.subarray(8, 8 + n)) };
}

/** Tensor names in the order they appear in a header's text (JSON.parse would reorder integer-like keys). */
function headerOrder(bytes: Uint8Array): string[] {
  return [...headerText(bytes).text.matchAll(/"([^"]*)":\{"dtype"/g)].map((m) => m[1]);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gru-ts-safetensors-'));
}

// ------------------------------------------------------------ round trips

test('round trip: F32, F64, I32, I64 and U8 with metadata', () => {
  const f32 = Tensor.from([1.5, -2, 3.25, 0, -0, 1e-30], [2, 3]);
  const f64 = Tensor.from([Math.PI, -1e300, 5e-324], [3], 'float64');
  const scalar = Tensor.from([7], []);
  const empty = Tensor.zeros([0, 4]);
  const bytes = serializeSafetensors(
    { f32, f64, scalar, empty },
    { format: 'pt', note: 'héllo ✓' },
    { i32: { data: Int32Array.from([-2147483648, 0, 2147483647]), shape: [3] }, i64: { data: BigInt64Array.from([-(2n ** 63n), 2n ** 62n]), shape: [1, 2] }, u8: { data: Uint8Array.from([0, 255]), shape: [2] } },
  );
  const file = parseSafetensors(bytes);
  assert.deepEqual(file.metadata, { format: 'pt', note: 'héllo ✓' });
  assert.deepEqual([...file.tensors.keys()].sort(), ['empty', 'f32', 'f64', 'scalar']);
  assert.ok(file.tensors.get('f32')!.data instanceof Float32Array);
  assert.deepEqual(file.tensors.get('f32')!.shape, [2, 3]);
  assert.deepEqual(file.tensors.get('f32')!.toArray(), f32.toArray());
  assert.ok(Object.is(file.tensors.get('f32')!.data[4], -0));
  assert.ok(file.tensors.get('f64')!.data instanceof Float64Array);
  assert.deepEqual(file.tensors.get('f64')!.toArray(), [Math.PI, -1e300, 5e-324]);
  assert.deepEqual(file.tensors.get('scalar')!.shape, []);
  assert.deepEqual(file.tensors.get('scalar')!.toArray(), [7]);
  assert.deepEqual(file.tensors.get('empty')!.shape, [0, 4]);
  const i32 = file.ints.get('i32')!;
  assert.ok(i32.data instanceof Int32Array);
  assert.deepEqual(Array.from(i32.data), [-2147483648, 0, 2147483647]);
  const i64 = file.ints.get('i64')!;
  assert.ok(i64.data instanceof BigInt64Array);
  assert.deepEqual(i64.shape, [1, 2]);
  assert.deepEqual(Array.from(i64.data), [-(2n ** 63n), 2n ** 62n]);
  assert.deepEqual(file.ints.get('u8')!.data, Uint8Array.from([0, 255]));
  // Re-serializing what was parsed gives the same bytes.
  assert.deepEqual(serializeSafetensors(file.tensors, file.metadata, file.ints), bytes);
});

test('header is space-padded to 8 bytes and every tensor is aligned to its element size', () => {
  for (let extra = 0; extra < 9; extra++) {
    const name = 'x'.repeat(extra + 1);
    const bytes = serializeSafetensors({ [name]: Tensor.from([1, 2, 3], [3], 'float64'), b: Tensor.from([1], [1]) }, {}, { c: { data: new BigInt64Array(1), shape: [] } });
    const { n, text } = headerText(bytes);
    assert.equal(n % 8, 0, `header length ${n}`);
    assert.match(text, /^\{.*\} *$/);
    assert.equal(text.trimEnd().length + ((8 - (text.trimEnd().length % 8)) % 8), n, 'padding is minimal');
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    for (const v of Object.values(header)) {
      const size = { F64: 8, I64: 8, F32: 4 }[v.dtype]!;
      assert.equal((8 + n + v.data_offsets[0]) % size, 0);
    }
  }
  assert.equal(headerText(serializeSafetensors({})).text, '{}      ');
});

test('key order is deterministic and as the reference writer: dtype (descending), then name bytes', () => {
  const t = (dtype: 'float32' | 'float64') => Tensor.zeros([1], dtype);
  const ints = { i32: { data: new Int32Array(1), shape: [1] }, i64: { data: new BigInt64Array(1), shape: [1] }, u8: { data: new Uint8Array(1), shape: [1] } };
  const a = serializeSafetensors({ b: t('float32'), a: t('float32'), c: t('float64'), '10': t('float32'), '2': t('float32'), é: t('float32'), Z: t('float32') }, { m: '1' }, ints);
  const b = serializeSafetensors(
    new Map([
      ['Z', t('float32')],
      ['é', t('float32')],
      ['2', t('float32')],
      ['10', t('float32')],
      ['c', t('float64')],
      ['a', t('float32')],
      ['b', t('float32')],
    ]),
    { m: '1' },
    ints,
  );
  assert.deepEqual(a, b);
  // I64 > F64 > F32 > I32 > U8 (the reference's dtype enum, descending); names compared as UTF-8 bytes.
  assert.deepEqual(headerOrder(a), ['i64', 'c', '10', '2', 'Z', 'a', 'b', 'é', 'i32', 'u8']);
  assert.match(headerText(a).text, /^\{"__metadata__":\{"m":"1"\},/);
});

test('re-serializing the reference fixture reproduces it byte for byte', () => {
  const bytes = readFileSync(FIXTURE);
  const file = parseSafetensors(bytes);
  assert.deepEqual(serializeSafetensors(file.tensors, file.metadata, file.ints), new Uint8Array(bytes));
});

// ------------------------------------------------------------ known bytes

test('a hand-built file parses to the expected values', () => {
  // Data (little-endian):
  //   w  F32 [2]:  1.0 = 0x3F800000, -2.0 = 0xC0000000
  //   d  F64 []:   0.5 = 0x3FE0000000000000
  //   k  I64 [1]:  -1  = 0xFFFFFFFFFFFFFFFF
  //   s  I32 [2]:  258 = 0x00000102, -2 = 0xFFFFFFFE
  const header = {
    __metadata__: { who: 'hand' },
    k: { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
    d: { dtype: 'F64', shape: [], data_offsets: [8, 16] },
    w: { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
    s: { dtype: 'I32', shape: [2], data_offsets: [24, 32] },
  };
  const data = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x02, 0x01, 0x00, 0x00, 0xfe, 0xff, 0xff, 0xff];
  const file = parseSafetensors(build(header, data));
  assert.deepEqual(file.metadata, { who: 'hand' });
  assert.deepEqual(file.tensors.get('w')!.toArray(), [1, -2]);
  assert.deepEqual(file.tensors.get('d')!.toArray(), [0.5]);
  assert.deepEqual(file.tensors.get('d')!.shape, []);
  assert.deepEqual(file.ints.get('k')!.data, BigInt64Array.from([-1n]));
  assert.deepEqual(file.ints.get('s')!.data, Int32Array.from([258, -2]));
  // A node Buffer at a non-zero offset in a shared pool parses the same, and
  // the result is a copy: changing the source afterwards changes nothing.
  const pooled = Buffer.from(build(header, data));
  const fromBuffer = parseSafetensors(pooled);
  pooled.fill(0);
  assert.deepEqual(fromBuffer.tensors.get('w')!.toArray(), [1, -2]);
  assert.deepEqual(fromBuffer.ints.get('k')!.data, BigInt64Array.from([-1n]));
  // The same bytes, serialized by us, in the reference layout.
  const again = serializeSafetensors(file.tensors, file.metadata, file.ints);
  assert.deepEqual(Array.from(again.subarray(again.length - 32)), data);
});

test('a header padded with spaces, and a file with no metadata, are accepted', () => {
  const padded = build('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}       ', [9]);
  assert.deepEqual(parseSafetensors(padded).ints.get('a')!.data, Uint8Array.from([9]));
  assert.deepEqual(parseSafetensors(padded).metadata, {});
});

test('F16 decodes to the exact values', () => {
  // IEEE half: sign | 5-bit exponent (bias 15) | 10-bit fraction.
  const halves = [
    0x3c00, //  1.0:     exp 15, frac 0           → 1 · 2^0
    0xc100, // -2.5:     sign, exp 16, frac 0x100  → -(1 + 256/1024) · 2^1
    0x7bff, //  65504:   exp 30, frac 1023         → (1 + 1023/1024) · 2^15, the largest half
    0x0001, //  2^-24:   exp 0, frac 1             → 1 · 2^-24, the smallest subnormal
    0x03ff, //  1023 · 2^-24: the largest subnormal
    0x0400, //  2^-14:   exp 1, frac 0, the smallest normal
    0x7c00, // +Infinity: exp 31, frac 0
    0xfc00, // -Infinity
    0x8000, // -0
    0x7e00, //  NaN:     exp 31, frac ≠ 0
  ];
  const data = halves.flatMap((h) => [h & 0xff, h >> 8]);
  const file = parseSafetensors(build({ h: { dtype: 'F16', shape: [halves.length], data_offsets: [0, data.length] } }, data));
  const h = file.tensors.get('h')!;
  assert.ok(h.data instanceof Float32Array);
  assert.deepEqual(h.toArray(), [1, -2.5, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, -0, NaN]);
  assert.ok(Object.is(h.data[8], -0));
});

test('BF16 decodes to the exact values', () => {
  // bfloat16 is the upper 16 bits of a float32: sign | 8-bit exponent (bias 127) | 7-bit fraction.
  const halves = [
    0x3f80, //  1.0:      float32 0x3F800000
    0xc020, // -2.5:      float32 0xC0200000 = -(1 + 0x20/128) · 2^1
    0x4049, //  3.140625: (1 + 0x49/128) · 2^1 = 1.5703125 · 2
    0x4780, //  65536:    exp 0x8F = 143 → 2^16
    0x7f7f, //  the largest bf16: (2 − 2^-7) · 2^127
    0x0001, //  subnormal: float32 bits 0x00010000 = 2^16 · 2^-149 = 2^-133
    0x7f80, // +Infinity
    0xff80, // -Infinity
    0x7fc0, //  NaN
  ];
  const data = halves.flatMap((h) => [h & 0xff, h >> 8]);
  const file = parseSafetensors(build({ b: { dtype: 'BF16', shape: [3, 3], data_offsets: [0, data.length] } }, data));
  const b = file.tensors.get('b')!;
  assert.ok(b.data instanceof Float32Array);
  assert.deepEqual(b.shape, [3, 3]);
  assert.deepEqual(b.toArray(), [1, -2.5, 3.140625, 65536, (2 - 2 ** -7) * 2 ** 127, 2 ** -133, Infinity, -Infinity, NaN]);
});

test('intsToNumbers and intsToInt32Array convert exactly or throw naming the index', () => {
  const ok = { data: BigInt64Array.from([1n, -(2n ** 53n - 1n), 2n ** 53n - 1n]), shape: [3] };
  assert.deepEqual(intsToNumbers(ok), [1, -(2 ** 53 - 1), 2 ** 53 - 1]);
  assert.throws(() => intsToNumbers(BigInt64Array.from([0n, 2n ** 53n]), 'ids'), /ids: expected values within ±\(2\^53 - 1\), got 9007199254740992 at flat index 1/);
  assert.throws(() => intsToNumbers(BigUint64Array.from([2n ** 64n - 1n])), /got 18446744073709551615 at flat index 0/);
  assert.deepEqual(Array.from(intsToInt32Array(BigInt64Array.from([-(2n ** 31n), 2n ** 31n - 1n]))), [-(2 ** 31), 2 ** 31 - 1]);
  assert.deepEqual(Array.from(intsToInt32Array({ data: Uint8Array.from([255]), shape: [1] })), [255]);
  assert.throws(() => intsToInt32Array(BigInt64Array.from([2n ** 31n]), 'tok'), /tok: expected int32 values .* got 2147483648 at flat index 0/);
  assert.throws(() => intsToInt32Array(Uint32Array.from([1, 2 ** 31])), /got 2147483648 at flat index 1/);
});

// ------------------------------------------------------------ the reference fixture

test('reads the reference-written fixture: names, shapes, values, metadata, I64 scalar', () => {
  const file = readSafetensors(FIXTURE);
  assert.deepEqual(file.metadata, FIXTURE_JSON.metadata);
  assert.deepEqual(JSON.parse(file.metadata.gru_config), { bidirectional: true, hiddenSize: 4, inputSize: 3, numLayers: 1 });
  for (const [name, want] of Object.entries(FIXTURE_JSON.tensors)) {
    if (want.dtype === 'int64') {
      const t = file.ints.get(name)!;
      assert.ok(t.data instanceof BigInt64Array, name);
      assert.deepEqual(t.shape, want.shape);
      assert.deepEqual(intsToNumbers(t, name), want.values);
    } else {
      const t = file.tensors.get(name)!;
      assert.ok(t.data instanceof Float32Array, name);
      assert.deepEqual(t.shape, want.shape, name);
      assert.deepEqual(t.toArray(), want.values, name);
    }
  }
  assert.equal(file.tensors.size + file.ints.size, Object.keys(FIXTURE_JSON.tensors).length);
});

test('loadStateDictFile loads PyTorch GRU weights (prefix "gru." detected) and the output matches NumPy', () => {
  const gru = new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 7 });
  const metadata = loadStateDictFile(gru, FIXTURE);
  assert.equal(metadata.format, 'pt');
  for (const [name, v] of gru.namedParameters()) {
    const want = FIXTURE_JSON.tensors[`gru.${name}`];
    assert.deepEqual(v.value.shape, want.shape, name);
    assert.deepEqual(v.value.toArray(), want.values, name);
  }
  const x = Tensor.from(FIXTURE_JSON.input.values, FIXTURE_JSON.input.shape);
  const { output, hN } = gru.eval().forward(x);
  assert.deepEqual(output.shape, FIXTURE_JSON.output.shape);
  assert.deepEqual(hN.shape, FIXTURE_JSON.hN.shape);
  const maxDiff = (a: ArrayLike<number>, b: number[]) => Math.max(...b.map((v, i) => Math.abs(a[i] - v)));
  assert.ok(maxDiff(output.value.data, FIXTURE_JSON.output.values) <= 1e-5, `output differs by ${maxDiff(output.value.data, FIXTURE_JSON.output.values)}`);
  assert.ok(maxDiff(hN.value.data, FIXTURE_JSON.hN.values) <= 1e-5);

  // An explicit prefix works too, and save → load round-trips into a fresh module.
  const other = new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 99 });
  loadStateDictFile(other, FIXTURE, { prefix: 'gru.' });
  const dir = tempDir();
  try {
    const path = join(dir, 'gru.safetensors');
    saveStateDictFile(other, path, { note: 'saved' });
    const third = new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 5 });
    assert.deepEqual(loadStateDictFile(third, path), { note: 'saved' });
    assert.deepEqual(third.forward(x).output.value.toArray(), output.value.toArray());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadStateDictFile names a missing, an unexpected and a mis-shaped key', () => {
  const base = readSafetensors(FIXTURE);
  const dir = tempDir();
  const tryLoad = (edit: (m: Map<string, Tensor>) => void): void => {
    const tensors = new Map(base.tensors);
    edit(tensors);
    const path = join(dir, 'edited.safetensors');
    writeSafetensors(path, tensors, base.metadata, base.ints);
    loadStateDictFile(new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true }), path);
  };
  try {
    assert.throws(() => tryLoad((m) => m.delete('gru.bias_hh_l0')), /missing keys: gru\.bias_hh_l0\b/);
    assert.throws(() => tryLoad((m) => m.set('gru.weight_ih_l1', Tensor.zeros([12, 8]))), /unexpected keys: gru\.weight_ih_l1\b/);
    assert.throws(() => tryLoad((m) => m.set('gru.weight_hh_l0', Tensor.zeros([4, 12]))), /'gru\.weight_hh_l0' must have shape \[12, 4\], got \[4, 12\]/);
    // The message says which file, and mentions integer tensors that were not offered.
    assert.throws(() => tryLoad((m) => m.delete('gru.bias_hh_l0')), /edited\.safetensors: .*integer tensors in the file, not loadable as parameters: step/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------ hostile files

const F32_1 = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };

test('rejects files too short, header lengths too large, headers that are not UTF-8 JSON objects', () => {
  assert.throws(() => parseSafetensors(new Uint8Array(0)), /expected at least 8 bytes .* got a file of 0 bytes/);
  assert.throws(() => parseSafetensors(new Uint8Array(7)), /expected at least 8 bytes .* got a file of 7 bytes/);
  assert.throws(() => parseSafetensors(build('{}', [], 100n)), /header length 100 exceeds the 2 bytes after the length field/);
  assert.throws(() => parseSafetensors(build('{}', [], 100_000_001n)), /header length must be at most 100000000 bytes, got 100000001/);
  assert.throws(() => parseSafetensors(build('{}', [], 2n ** 64n - 1n)), /at most 100000000 bytes, got 18446744073709551615/);
  const badUtf8 = build('{}');
  badUtf8.set([0x7b, 0xff], 8); // '{' then a byte that never occurs in UTF-8
  assert.throws(() => parseSafetensors(badUtf8), /header must be valid UTF-8/);
  assert.throws(() => parseSafetensors(build('{"a": ')), /header must be JSON, got a parse error/);
  assert.throws(() => parseSafetensors(build('')), /header must be JSON/);
  assert.throws(() => parseSafetensors(build('[1, 2]')), /header must be a JSON object, got \[1,2\]/);
  assert.throws(() => parseSafetensors(build('null')), /header must be a JSON object, got null/);
  assert.throws(() => parseSafetensors(build('"x"')), /header must be a JSON object, got "x"/);
});

test('rejects bad tensor entries: not an object, dtype, shape', () => {
  const one =
    (entry: unknown, data: number[] = [0, 0, 0, 0]) =>
    () =>
      parseSafetensors(build({ t: entry }, data));
  assert.throws(one(5), /tensor 't': expected an object \{dtype, shape, data_offsets\}, got 5/);
  assert.throws(one({ ...F32_1, dtype: 'F8_E4M3' }), /tensor 't': unsupported dtype "F8_E4M3" \(expected one of F64, I64, .*\)/);
  assert.throws(one({ ...F32_1, dtype: 'f32' }), /unsupported dtype "f32"/);
  assert.throws(one({ shape: [1], data_offsets: [0, 4] }), /unsupported dtype undefined/);
  assert.throws(one({ ...F32_1, shape: 1 }), /tensor 't': shape must be an array of non-negative integers, got 1/);
  assert.throws(one({ ...F32_1, shape: [-1] }), /shape must be an array of non-negative integers, got \[-1\]/);
  assert.throws(one({ ...F32_1, shape: [1.5] }), /shape must be an array of non-negative integers, got \[1.5\]/);
  assert.throws(one({ ...F32_1, shape: ['1'] }), /shape must be an array of non-negative integers, got \["1"\]/);
  assert.throws(one({ ...F32_1, shape: [2 ** 53] }), /shape must be an array of non-negative integers/);
});

test('rejects absurd sizes quickly, before allocating', () => {
  const cases: [unknown, RegExp][] = [
    [{ dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] }, /shape \[1099511627776,1099511627776\] has too many elements/],
    [{ dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 4] }, /has too many elements/],
    [{ dtype: 'F64', shape: [2 ** 26, 2 ** 26], data_offsets: [0, 4] }, /is too large \(more than 2\^53 - 1 bytes\)/],
    [{ dtype: 'F32', shape: [1e5, 1e5], data_offsets: [0, 4] }, /span 4 bytes, expected 40000000000/],
    [{ dtype: 'F32', shape: [1e5, 1e5], data_offsets: [0, 4e10] }, /end 40000000000 lies beyond the data buffer of 4 bytes/],
  ];
  for (const [entry, re] of cases) {
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    assert.throws(() => parseSafetensors(build({ t: entry }, [0, 0, 0, 0])), re);
    assert.ok(performance.now() - t0 < 100, 'throws quickly');
    assert.ok(process.memoryUsage().arrayBuffers - before < 1e6, 'allocates nothing large');
  }
});

test('rejects bad data_offsets, byte lengths that do not match, and buffers not covered exactly', () => {
  const one =
    (entry: unknown, data: number[] = [0, 0, 0, 0]) =>
    () =>
      parseSafetensors(build({ t: entry }, data));
  const offsetsRe = /tensor 't': data_offsets must be two non-negative integers \[begin, end\] with begin <= end, got /;
  assert.throws(one({ ...F32_1, data_offsets: undefined }), offsetsRe);
  assert.throws(one({ ...F32_1, data_offsets: [4] }), offsetsRe);
  assert.throws(one({ ...F32_1, data_offsets: [0, 4, 8] }), offsetsRe);
  assert.throws(one({ ...F32_1, data_offsets: [-4, 0] }), offsetsRe);
  assert.throws(one({ ...F32_1, data_offsets: [0, 4.5] }), offsetsRe);
  assert.throws(one({ ...F32_1, data_offsets: [4, 0] }), /with begin <= end, got \[4,0\]/);
  assert.throws(one({ ...F32_1, data_offsets: [0, 2 ** 60] }), offsetsRe);
  assert.throws(one({ ...F32_1, data_offsets: [0, 8] }), /data_offsets end 8 lies beyond the data buffer of 4 bytes/);
  assert.throws(one({ ...F32_1, shape: [2] }), /data_offsets \[0, 4\] span 4 bytes, expected 8 \(2 elements of F32 for shape \[2\]\)/);
  assert.throws(one({ ...F32_1, dtype: 'F64' }), /span 4 bytes, expected 8/);

  const two = (a: [number, number], b: [number, number], bytes: number) => () =>
    parseSafetensors(build({ a: { dtype: 'F32', shape: [(a[1] - a[0]) / 4], data_offsets: a }, b: { dtype: 'F32', shape: [(b[1] - b[0]) / 4], data_offsets: b } }, new Array(bytes).fill(0)));
  assert.throws(two([0, 8], [4, 12], 12), /tensor 'b' at \[4, 12\] overlaps tensor 'a' at \[0, 8\]/);
  assert.throws(two([0, 4], [0, 4], 4), /overlaps/);
  assert.throws(two([0, 4], [8, 12], 12), /data bytes \[4, 8\) belong to no tensor \(before 'b'\); expected tensors to cover the data buffer contiguously/);
  assert.throws(one({ ...F32_1, data_offsets: [4, 8] }, [0, 0, 0, 0, 0, 0, 0, 0]), /data bytes \[0, 4\) belong to no tensor/);
  assert.throws(one(F32_1, [0, 0, 0, 0, 0]), /tensors cover 4 bytes but the data buffer has 5; expected tensors to cover the data buffer contiguously/);
  assert.throws(() => parseSafetensors(build({}, [1])), /tensors cover 0 bytes but the data buffer has 1/);
  // Empty tensors at the same offset are fine (as in the reference), and so is an empty file.
  const empties = parseSafetensors(build({ a: { dtype: 'F32', shape: [0], data_offsets: [0, 0] }, b: { dtype: 'I64', shape: [3, 0], data_offsets: [0, 0] } }));
  assert.deepEqual(empties.tensors.get('a')!.shape, [0]);
  assert.deepEqual(empties.ints.get('b')!.shape, [3, 0]);
  assert.equal(parseSafetensors(build({})).tensors.size, 0);
});

test('rejects __metadata__ that is not a string → string map', () => {
  assert.throws(() => parseSafetensors(build({ __metadata__: ['a'] })), /__metadata__ must be an object of strings, got \["a"\]/);
  assert.throws(() => parseSafetensors(build({ __metadata__: 'a' })), /__metadata__ must be an object of strings, got "a"/);
  assert.throws(() => parseSafetensors(build({ __metadata__: { a: 1 } })), /__metadata__\['a'\] must be a string, got 1/);
  assert.throws(() => parseSafetensors(build({ __metadata__: { a: { b: 'c' } } })), /__metadata__\['a'\] must be a string, got \{"b":"c"\}/);
  // A key named __proto__ is kept as data, not turned into a prototype.
  const meta = parseSafetensors(build('{"__metadata__":{"__proto__":"x"}}')).metadata;
  assert.deepEqual(Object.keys(meta), ['__proto__']);
  assert.equal(Object.getPrototypeOf(meta), Object.prototype);
});

test('a truncated real file always throws, never returns garbage', () => {
  const bytes = new Uint8Array(readFileSync(FIXTURE));
  for (let len = 0; len < bytes.length; len++) {
    assert.throws(() => parseSafetensors(bytes.subarray(0, len)), Error, `truncated to ${len} bytes`);
  }
  // Extra bytes at the end are refused too.
  const longer = new Uint8Array(bytes.length + 3);
  longer.set(bytes);
  assert.throws(() => parseSafetensors(longer), /tensors cover 908 bytes but the data buffer has 911/);
});

test('serializeSafetensors refuses bad input', () => {
  const ok = Tensor.zeros([2]);
  const notFloat = { data: new Int32Array(2), shape: [2] } as unknown as Tensor;
  assert.throws(() => serializeSafetensors({ a: notFloat }), /tensor 'a' must hold a Float32Array or Float64Array, got Int32Array/);
  assert.throws(() => serializeSafetensors({ '': ok }), /invalid tensor name ""/);
  assert.throws(() => serializeSafetensors({ __metadata__: ok }), /invalid tensor name "__metadata__"/);
  assert.throws(() => serializeSafetensors({ ['a\uD800']: ok }), /invalid tensor name/);
  assert.throws(() => serializeSafetensors({ a: ok }, {}, { a: { data: new Int32Array(2), shape: [2] } }), /tensor name 'a' is used twice/);
  assert.throws(() => serializeSafetensors({}, {}, { i: { data: new Float32Array(2) as unknown as Int32Array, shape: [2] } }), /integer tensor 'i' must hold an integer typed array, got Float32Array/);
  assert.throws(() => serializeSafetensors({}, {}, { i: { data: new Int32Array(2), shape: [3] } }), /tensor 'i': shape \[3\] needs 3 elements, data has 2/);
  assert.throws(() => serializeSafetensors({ a: ok }, { n: 1 } as unknown as Record<string, string>), /metadata\['n'\] must be a string, got number/);
});

// ------------------------------------------------------------ atomic writes

test('writeSafetensors replaces an existing file, keeps its mode and leaves no temp files', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'w.safetensors');
    writeSafetensors(path, { a: Tensor.from([1, 2], [2]) });
    if (process.platform !== 'win32') chmodSync(path, 0o600);
    writeSafetensors(path, { b: Tensor.from([3], [1], 'float64') }, { v: '2' });
    const file = readSafetensors(path);
    assert.deepEqual([...file.tensors.keys()], ['b']);
    assert.deepEqual(file.metadata, { v: '2' });
    assert.deepEqual(readdirSync(dir), ['w.safetensors']);
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed write leaves the old file byte-identical and no temp files', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'keep.safetensors');
    writeSafetensors(path, { a: Tensor.from([1, 2], [2]) }, { v: '1' });
    const before = readFileSync(path);
    const notFloat = { data: new Int32Array(2), shape: [2] } as unknown as Tensor;
    assert.throws(() => writeSafetensors(path, { a: notFloat }), /must hold a Float32Array or Float64Array/);
    assert.throws(() => writeSafetensors(path, { __metadata__: Tensor.zeros([1]) }), /invalid tensor name/);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir), ['keep.safetensors']);

    // A failure after the temp file is written (rename onto a non-empty directory) removes it.
    const target = join(dir, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'x'), 'x');
    assert.throws(() => writeSafetensors(target, { a: Tensor.zeros([1]) }));
    assert.deepEqual(readdirSync(dir).sort(), ['keep.safetensors', 'occupied']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readSafetensors names the file in its errors', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, new Uint8Array(3));
    assert.throws(() => readSafetensors(path), /bad\.safetensors: safetensors: expected at least 8 bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
