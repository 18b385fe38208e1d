// Model-file metadata is untrusted input: every load checks it against a
// schema and builds the module inside an allocation budget set by the file's
// own tensors, so a tampered file is a GruError ('INVALID_FILE') naming the
// file and the metadata key (or tensor) at fault, before anything large is
// allocated. Tiny models of each task are trained, saved and tampered with:
// byte flips in the config JSON, a relabelled task, a vocabulary that is a
// string, absurd sizes, missing and mis-shaped tensors, and a seeded fuzz of
// 1,000 mutations of the metadata values per task.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GruError } from '../src/errors.js';
import { readSafetensors } from '../src/io/safetensors-file.js';
import { serializeSafetensors } from '../src/io/safetensors.js';
import { Tensor, withAllocationBudget } from '../src/tensor/tensor.js';
import { Rng } from '../src/tensor/random.js';
import { Tokenizer } from '../src/data/tokenizer.js';
import { GRU } from '../src/nn/gru.js';
import { classifyText, loadClassifier, saveClassifier, trainClassifier } from '../src/tasks/classify/task.js';
import { generate, loadLM, saveLM, trainLM } from '../src/tasks/lm/task.js';
import { loadSeq2Seq, saveSeq2Seq, trainSeq2Seq } from '../src/tasks/seq2seq/task.js';
import { loadForecaster, saveForecaster, trainForecaster } from '../src/tasks/forecast/task.js';
import { loadTaskModel } from '../src/tasks/registry.js';
import { TASKS } from '../src/tasks/index.js';
import { dailySeries, labelledTexts } from './helpers/synthetic.js';

let dir = '';
const files: Record<'classify' | 'lm' | 'seq2seq' | 'forecast', string> = { classify: '', lm: '', seq2seq: '', forecast: '' };

const LOADERS: Record<keyof typeof files, (path: string) => unknown> = {
  classify: loadClassifier,
  lm: loadLM,
  seq2seq: loadSeq2Seq,
  forecast: loadForecaster,
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gru-model-validation-'));
  const c = trainClassifier(labelledTexts(60), { embeddingSize: 4, hiddenSize: 4, epochs: 1, batchSize: 16, minCount: 1, maxLen: 32 });
  saveClassifier(c, (files.classify = join(dir, 'classify.safetensors')));
  const names = Array.from({ length: 40 }, (_, i) => ['anna', 'bob', 'otto', 'eve'][i % 4]);
  const l = trainLM(names, { hiddenSize: 6, embeddingSize: 4, epochs: 1, batchSize: 16, maxLen: 16 });
  saveLM(l, (files.lm = join(dir, 'lm.safetensors')));
  const rng = new Rng(1);
  const pairs = Array.from({ length: 60 }, () => {
    const w = Array.from({ length: 2 + rng.int(3) }, () => 'abcd'[rng.int(4)]).join('');
    return { source: w, target: [...w].reverse().map((ch) => ch.toUpperCase()) };
  });
  const s = trainSeq2Seq(pairs, { embeddingSize: 4, encoderSize: 6, decoderSize: 6, attentionSize: 4, epochs: 1, batchSize: 16 });
  saveSeq2Seq(s, (files.seq2seq = join(dir, 'seq2seq.safetensors')));
  const f = trainForecaster(dailySeries(120), { column: 'value', lookback: 7, horizon: 2, testSize: 14, hiddenSize: 4, headSize: 4, batchSize: 16, epochs: 1 });
  saveForecaster(f.model, (files.forecast = join(dir, 'forecast.safetensors')));
});

after(() => rmSync(dir, { recursive: true, force: true }));

// ------------------------------------------------------------------ helpers

interface Parts {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

function parts(path: string): Parts {
  const f = readSafetensors(path);
  return { tensors: new Map(f.tensors), metadata: { ...f.metadata } };
}

let written = 0;
/** Writes a tampered copy (plain write: no fsync, the fuzz writes thousands). */
function write(p: Parts): string {
  const path = join(dir, `tampered-${written++ % 4}.safetensors`);
  writeFileSync(path, serializeSafetensors(p.tensors, p.metadata));
  return path;
}

/** A copy of `task`'s file with one metadata entry's JSON changed by `edit` (which may return a new value). */
function withEntry(task: keyof typeof files, key: string, edit: (v: any) => unknown): string {
  const p = parts(files[task]);
  const v = JSON.parse(p.metadata[key]);
  const out = edit(v);
  p.metadata[key] = JSON.stringify(out === undefined ? v : out);
  return write(p);
}

const MB = 1024 * 1024;

/**
 * Asserts that loading `path` with `task`'s loader throws a GruError
 * ('INVALID_FILE') whose message names the file and matches `pattern`, and
 * that the attempt left no large allocation behind.
 */
function rejects(task: keyof typeof files, path: string, pattern: RegExp): string {
  const before = process.memoryUsage().arrayBuffers;
  let message = '';
  assert.throws(
    () => LOADERS[task](path),
    (e: unknown) => {
      assert.ok(e instanceof GruError, `expected a GruError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      assert.equal(e.code, 'INVALID_FILE', e.message);
      assert.ok(e.message.startsWith(`${path}: `), `names the file: ${e.message}`);
      assert.match(e.message, pattern);
      assert.equal(e.message.split('\n').length, 1, `one line: ${e.message}`);
      message = e.message;
      return true;
    },
  );
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 100 * MB, `the load allocated ${Math.round(grown / MB)} MB`);
  return message;
}

// ------------------------------------------------------------------ good files

test("untampered files of every task load (and a file without a data record, and a pruned file's sparsity entry)", () => {
  const c = loadClassifier(files.classify);
  assert.ok(['pos', 'neg'].includes(classifyText(c, 'good day').label));
  assert.equal(generate(loadLM(files.lm), { count: 1, steps: 5 }).length, 1);
  assert.ok(loadSeq2Seq(files.seq2seq).model.config.maxTargetLen > 0);
  assert.ok(loadForecaster(files.forecast).config.lookback === 7);
  for (const task of Object.keys(files) as (keyof typeof files)[]) {
    const p = parts(files[task]);
    delete p.metadata.data;
    p.metadata.sparsity = JSON.stringify({ method: 'magnitude', density: 0.5, scope: 'global', overallDensity: 0.5, matrices: {} });
    LOADERS[task](write(p));
    assert.equal(loadTaskModel(TASKS, files[task]).task.name, task);
  }
});

test('forecast files: unknown config keys and a malformed Holt-Winters base are refused, naming the key', () => {
  assert.throws(
    () => loadForecaster(withEntry('forecast', 'config', (c) => ({ ...c, someNewOption: [1, 2, 3] }))),
    (e: unknown) => e instanceof GruError && e.code === 'INVALID_FILE' && /someNewOption/.test(e.message),
  );
  const hw = { method: 'holtWinters', params: { season: 7, alpha: 0.5, beta: 0.1, gamma: 0.1, level0: 1, trend0: 0, seasonal0: [0, 0, 0] }, firstDate: 0 };
  assert.throws(() => loadForecaster(withEntry('forecast', 'config', (c) => ({ ...c, base: hw }))), /metadata config\.base\.params\.seasonal0: .*one initial seasonal term per step of the season/);
  assert.throws(() => loadForecaster(withEntry('forecast', 'config', (c) => ({ ...c, base: { ...hw, params: { ...hw.params, seasonal0: [0, 0, 0, 0, 0, 0, 0], alpha: 2 } } }))), /metadata config\.base\.params\.alpha/);
  loadForecaster(withEntry('forecast', 'config', (c) => ({ ...c, base: { ...hw, params: { ...hw.params, seasonal0: [0, 0, 0, 0, 0, 0, 0] } } })));
});

// ------------------------------------------------------------------ the issue's cases

test('config JSON with a flipped byte: still JSON but the wrong type or value, or no longer JSON', () => {
  const flip = (task: keyof typeof files, from: string, to: string) => {
    const p = parts(files[task]);
    assert.ok(p.metadata.config.includes(from), `${from} in ${p.metadata.config}`);
    p.metadata.config = p.metadata.config.replace(from, to);
    return write(p);
  };
  rejects('classify', flip('classify', '"hiddenSize":4', '"hiddenSize":"4"'), /metadata config\.hiddenSize: expected an integer from 1 to 16384, got the string "4"$/);
  rejects('classify', flip('classify', '"bidirectional":true', '"bidirectional":1   '), /metadata config\.bidirectional: expected true or false, got 1$/);
  rejects('classify', flip('classify', '"pooling":"last"', '"pooling":"lass"'), /metadata config\.pooling: expected one of 'last', 'attention', got the string "lass"/);
  rejects('classify', flip('classify', '"hiddenSize"', '"hiddenSizf"'), /metadata config\.hiddenSize: expected an integer from 1 to 16384, got nothing \(the key is missing\) \(and 1 more problem\)/);
  rejects('classify', flip('classify', '"labels":[', '"labels":{'), /metadata config: expected JSON, got text that is not JSON/);
  rejects('lm', flip('lm', '"maxLen":16', '"maxLen":-6'), /metadata config\.maxLen: expected an integer from 1 to 100000, got -6/);
  rejects('seq2seq', flip('seq2seq', '"attention":"bahdanau"', '"attention":"bahdanal"'), /metadata config\.attention: expected one of 'bahdanau', 'luong'/);
  rejects('forecast', flip('forecast', '"frequency":"daily"', '"frequency":"dailz"'), /metadata config\.frequency: expected one of 'yearly', 'quarterly', .* or minutes such as '15min', got the string "dailz"/);
  // The old failure: Cannot read properties of undefined.
  rejects(
    'classify',
    withEntry('classify', 'config', () => null),
    /metadata config: expected an object, got null$/,
  );
  rejects(
    'classify',
    withEntry('classify', 'config', (c) => ({ ...c, labels: undefined })),
    /metadata config\.labels: expected an array of labels, got nothing/,
  );
});

test("a relabelled task: refused by the task's loader, and by the loader of the task it now claims", () => {
  const p = parts(files.classify);
  p.metadata.task = 'lm';
  const path = write(p);
  rejects('classify', path, /metadata task: expected a classify model, got a lm model/);
  rejects('lm', path, /metadata config: unexpected keys 'labels', 'tokenizer', 'bidirectional', 'pooling'/);
  p.metadata.task = 'seq2seq';
  rejects('seq2seq', write(p), /metadata config: unexpected keys|metadata config\.attention/);
  p.metadata.task = 'forecast';
  rejects('forecast', write(p), /metadata config\.lookback: expected an integer from 1 to 100000, got nothing/);
  // Through the registry (gru predict / eval): the task the file claims loads it, and refuses it.
  p.metadata.task = 'lm';
  assert.throws(
    () => loadTaskModel(TASKS, write(p)),
    (e: unknown) => e instanceof GruError && e.code === 'INVALID_FILE',
  );
  p.metadata.task = '';
  rejects('classify', write(p), /metadata task: expected a task name \(such as 'classify'\), got ""/);
  delete p.metadata.task;
  rejects('classify', write(p), /metadata task: expected a task name \(such as 'classify'\), got nothing/);
});

test('format and version: missing, odd or newer', () => {
  const p = parts(files.lm);
  p.metadata.formatVersion = 'x';
  rejects('lm', write(p), /metadata formatVersion: expected a format version from 1 to 1, got "x"/);
  p.metadata.formatVersion = '2';
  rejects('lm', write(p), /model format version 2 is newer than this gru-ts reads/);
  p.metadata.formatVersion = '1';
  p.metadata.format = 'other\nline';
  rejects('lm', write(p), /not a gru-ts model file \(metadata format is "other\\nline"\)/);
});

test('a vocabulary that is a string, or not a vocabulary', () => {
  rejects(
    'classify',
    withEntry('classify', 'tokenizer', (t) => ({ ...t, vocab: t.vocab.join('') })),
    /metadata tokenizer\.vocab: expected an array of tokens, got the string "<pad><unk><bos><eos>/,
  );
  rejects(
    'lm',
    withEntry('lm', 'tokenizer', (t) => ({ ...t, vocab: [...t.vocab, 7] })),
    /metadata tokenizer\.vocab\[\d+\]: expected a string, got 7/,
  );
  rejects(
    'lm',
    withEntry('lm', 'tokenizer', (t) => ({ ...t, vocab: t.vocab.slice(1) })),
    /metadata tokenizer\.vocab\[0\]: expected the reserved token "<pad>"/,
  );
  rejects(
    'lm',
    withEntry('lm', 'tokenizer', (t) => ({ ...t, vocab: [...t.vocab, t.vocab[5]] })),
    /metadata tokenizer\.vocab\[\d+\]: expected tokens without repeats/,
  );
  rejects(
    'seq2seq',
    withEntry('seq2seq', 'targetTokenizer', () => 'abc'),
    /metadata targetTokenizer: expected an object, got the string "abc"/,
  );
  rejects(
    'seq2seq',
    withEntry('seq2seq', 'sourceTokenizer', (t) => ({ ...t, kind: 'byte' })),
    /metadata sourceTokenizer\.kind: expected one of 'word', 'char', got the string "byte"/,
  );
  rejects(
    'classify',
    withEntry('classify', 'config', (c) => ({ ...c, tokenizer: c.tokenizer === 'word' ? 'char' : 'word' })),
    /metadata config\.tokenizer: expected '(word|char)', the kind of metadata tokenizer/,
  );
  const p = parts(files.seq2seq);
  delete p.metadata.sourceTokenizer;
  rejects('seq2seq', write(p), /metadata sourceTokenizer: expected an object, got nothing \(a seq2seq model file has a 'sourceTokenizer' entry\)/);
  // A vocabulary larger than the file's embedding: the budget or the shapes catch it.
  rejects(
    'lm',
    withEntry('lm', 'tokenizer', (t) => ({ ...t, vocab: [...t.vocab, 'q1', 'q2'] })),
    /embedding\.weight' must have shape/,
  );
});

test('sizes far past the file: refused by the schema or by the allocation budget, before allocating', () => {
  rejects(
    'classify',
    withEntry('classify', 'config', (c) => ({ ...c, numLayers: 1e6 })),
    /metadata config\.numLayers: expected an integer from 1 to 64, got 1000000$/,
  );
  rejects(
    'lm',
    withEntry('lm', 'config', (c) => ({ ...c, numLayers: 1e6 })),
    /metadata config\.numLayers: expected an integer from 1 to 64, got 1000000$/,
  );
  rejects(
    'classify',
    withEntry('classify', 'config', (c) => ({ ...c, hiddenSize: 50000 })),
    /metadata config\.hiddenSize: expected an integer from 1 to 16384, got 50000$/,
  );
  rejects(
    'seq2seq',
    withEntry('seq2seq', 'config', (c) => ({ ...c, maxTargetLen: 1e6 })),
    /metadata config\.maxTargetLen: expected an integer from 1 to 100000, got 1000000$/,
  );
  rejects(
    'lm',
    withEntry('lm', 'config', (c) => ({ ...c, maxLen: 1e6 })),
    /metadata config\.maxLen: expected an integer from 1 to 100000, got 1000000$/,
  );
  rejects(
    'forecast',
    withEntry('forecast', 'config', (c) => ({ ...c, lookback: 1e9 })),
    /metadata config\.lookback: expected an integer from 1 to 100000, got 1000000000$/,
  );
  rejects(
    'classify',
    withEntry('classify', 'config', (c) => ({ ...c, labels: c.labels.map(() => 'same') })),
    /metadata config\.labels\[1\]: expected labels without repeats/,
  );
  // Within the schema's bounds, but far more weights than a small file holds: the budget.
  for (const task of ['classify', 'lm', 'forecast'] as const) {
    const m = rejects(
      task,
      withEntry(task, 'config', (c) => ({ ...c, hiddenSize: 12000 })),
      /metadata config \(.*hiddenSize 12000.*\) implies more weights than the file holds/,
    );
    assert.match(m, /past the \d+ allowed for a file of \d+/);
  }
  rejects(
    'seq2seq',
    withEntry('seq2seq', 'config', (c) => ({ ...c, decoderSize: 16384, attentionSize: 16384 })),
    /decoderSize 16384.* implies more weights than the file holds/,
  );
  rejects(
    'classify',
    withEntry('classify', 'config', (c) => ({ ...c, numLayers: 64, embeddingSize: 16384, hiddenSize: 16384 })),
    /implies more weights than the file holds/,
  );
  // Small but wrong: the budget passes, the shapes do not.
  rejects(
    'classify',
    withEntry('classify', 'config', (c) => ({ ...c, hiddenSize: 5 })),
    /the tensors do not match the model its metadata describes: '[\w.]+' must have shape/,
  );
  rejects(
    'lm',
    withEntry('lm', 'config', (c) => ({ ...c, numLayers: 2 })),
    /missing keys: gru\.weight_ih_l1/,
  );
  rejects(
    'forecast',
    withEntry('forecast', 'normalization', (n) => ({ ...n, covariateMean: [1] })),
    /metadata normalization\.covariateMean: expected 0 numbers, one per covariate/,
  );
});

test('missing, mis-shaped and unexpected tensors name the tensor', () => {
  for (const task of Object.keys(files) as (keyof typeof files)[]) {
    const p = parts(files[task]);
    const [name, t] = [...p.tensors].find(([k]) => k.endsWith('bias_hh_l0'))!;
    p.tensors.delete(name);
    rejects(task, write(p), new RegExp(`missing keys: ${name.replace(/\./g, '\\.')}\\b`));
    p.tensors.set(name, Tensor.zeros([t.shape[0] + 1]));
    rejects(task, write(p), new RegExp(`'${name.replace(/\./g, '\\.')}' must have shape \\[${t.shape[0]}\\], got \\[${t.shape[0] + 1}\\]`));
    p.tensors.set(name, t);
    p.tensors.set('extra.weight', Tensor.zeros([2]));
    rejects(task, write(p), /unexpected keys: extra\.weight/);
  }
});

test('deeply nested or huge metadata values are described briefly, never stringified whole', () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const p = parts(files.classify);
  p.metadata.config = p.metadata.config.replace('"hiddenSize":4', `"hiddenSize":${deep}`);
  rejects('classify', write(p), /metadata config\.hiddenSize: expected an integer from 1 to 16384, got an array of 1 item$/);
  p.metadata.config = p.metadata.config.replace(deep, JSON.stringify('x'.repeat(100_000)));
  rejects('classify', write(p), /got the string "x{40}"… \(100000 characters\)$/);
  const q = parts(files.classify);
  q.metadata.config = q.metadata.config.replace('"hiddenSize":4', '"hiddenSize":4,"odd\\nkey":1');
  rejects('classify', write(q), /metadata config: unexpected key "odd\\nkey"/);
});

test('withAllocationBudget throws before allocating past the budget, nests, and ends with its scope', () => {
  assert.throws(
    () => withAllocationBudget(1000, () => Tensor.zeros([1001])),
    (e: unknown) => e instanceof GruError && e.code === 'INVALID_ARGUMENT' && /1001 more elements asked for, 0 of 1000 already allocated/.test(e.message),
  );
  // A GRU whose weight_hh would need 3·50000² elements (past the typed-array limit): a budget error, not a RangeError.
  assert.throws(
    () => withAllocationBudget(1e6, () => new GRU({ inputSize: 1, hiddenSize: 50000 })),
    (e: unknown) => e instanceof GruError,
  );
  assert.throws(() => withAllocationBudget(100, () => withAllocationBudget(1e6, () => Tensor.zeros([200]))), /200 more elements asked for, 0 of 100/);
  assert.equal(
    withAllocationBudget(100, () => Tensor.zeros([60]).size + withAllocationBudget(50, () => Tensor.zeros([40]).size)),
    100,
  );
  assert.throws(
    () =>
      withAllocationBudget(
        10,
        () => Tensor.zeros([11]),
        (asked, limit) => new Error(`custom ${asked}/${limit}`),
      ),
    /custom 11\/10/,
  );
  assert.equal(Tensor.zeros([2000]).size, 2000, 'no budget outside the scope');
});

test('Tokenizer.fromJSON refuses what is not a tokenizer with a GruError', () => {
  const bad = (j: unknown, pattern: RegExp) =>
    assert.throws(
      () => Tokenizer.fromJSON(j as never),
      (e: unknown) => e instanceof GruError && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message),
    );
  bad(null, /expected an object, got null/);
  bad({ kind: 'word', lowercase: true, vocab: 'abc' }, /vocab: expected an array of strings, got "abc"/);
  bad({ kind: 'word', lowercase: true, vocab: ['<pad>', '<unk>', '<bos>', '<eos>', 3] }, /vocab\[4\]: expected a string, got 3/);
  bad({ kind: 'bpe', lowercase: true, vocab: [] }, /kind: expected 'word' or 'char'/);
  bad({ kind: 'char', lowercase: true, vocab: ['a'] }, /expected the reserved tokens <pad>, <unk>, <bos>, <eos> first/);
  assert.equal(Tokenizer.fromJSON({ kind: 'char', lowercase: false, vocab: ['<pad>', '<unk>', '<bos>', '<eos>', 'a'] }).size, 5);
});

// ------------------------------------------------------------------ fuzz

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

const ODD: Json[] = [
  0,
  -1,
  1,
  1.5,
  2,
  3,
  7,
  64,
  65,
  1e6,
  12000,
  16384,
  16385,
  50000,
  100000,
  2 ** 31,
  2 ** 53,
  1e308,
  -1e308,
  '',
  'x',
  '4',
  'attention',
  'luong',
  'char',
  'word',
  'time',
  true,
  false,
  null,
  [],
  {},
  [1, 2],
  ['a', 'b'],
  { a: 1 },
];

/** Every path in a JSON tree (containers included), at most `limit`. */
function pathsOf(v: Json, prefix: Path = [], out: Path[] = [], limit = 5000): Path[] {
  if (out.length >= limit) return out;
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...prefix, i], out, limit));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...prefix, k], out, limit);
  return out;
}

function getAt(root: Json, path: Path): Json {
  let v: any = root;
  for (const p of path) v = v[p];
  return v;
}

/** One random change to a value in the metadata tree: a new number, another type, a deleted or added key, a swapped value. */
function mutate(root: { [k: string]: Json }, rng: Rng): void {
  const paths = pathsOf(root).slice(1);
  const path = paths[rng.int(paths.length)];
  const parent = getAt(root, path.slice(0, -1)) as any;
  const key = path[path.length - 1];
  const v = parent[key] as Json;
  switch (rng.int(7)) {
    case 0:
      parent[key] = ODD[rng.int(ODD.length)];
      break;
    case 1: // a nearby or scaled number
      parent[key] = typeof v === 'number' ? [v + 1, v - 1, v * 2, v * 1000, -v, v + 0.5, 0][rng.int(7)] : ODD[rng.int(ODD.length)];
      break;
    case 2: // delete the key / the array item
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 3: // an unknown key beside it, or one more array item
      if (Array.isArray(parent)) parent.push(structuredClone(v));
      else parent[`extra${rng.int(3)}`] = ODD[rng.int(ODD.length)];
      break;
    case 4: // another type holding the same value
      parent[key] = [[v], String(v), { v }, JSON.stringify(v)][rng.int(4)] as Json;
      break;
    case 5: // a value from elsewhere in the metadata
      parent[key] = structuredClone(getAt(root, paths[rng.int(paths.length)]));
      break;
    default: // strings: a changed character; else a type's zero value
      parent[key] = typeof v === 'string' && v.length > 0 ? v.slice(0, -1) + String.fromCharCode(v.charCodeAt(v.length - 1) ^ 1) : [0, '', false, null, [], {}][rng.int(6)];
  }
}

for (const task of ['classify', 'lm', 'seq2seq', 'forecast'] as const) {
  test(`fuzz (${task}): 1,000 seeded mutations of the metadata values; every failure is a GruError ('INVALID_FILE')`, (t) => {
    const base = parts(files[task]);
    const entries = Object.keys(base.metadata).filter((k) => !['format', 'formatVersion', 'task'].includes(k));
    const rng = new Rng(task.length * 7919);
    let loaded = 0,
      rejected = 0;
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 1000; i++) {
      const tree: { [k: string]: Json } = Object.fromEntries(entries.map((k) => [k, JSON.parse(base.metadata[k])]));
      for (let n = 1 + rng.int(3); n > 0; n--) mutate(tree, rng);
      const metadata: Record<string, string> = { format: base.metadata.format, formatVersion: base.metadata.formatVersion, task: base.metadata.task };
      for (const [k, v] of Object.entries(tree)) if (v !== undefined) metadata[k] = JSON.stringify(v);
      if (rng.int(50) === 0) metadata.task = ['classify', 'lm', 'seq2seq', 'forecast', 'x'][rng.int(5)];
      const path = write({ tensors: base.tensors, metadata });
      try {
        const m = LOADERS[task](path);
        loaded++;
        // What loads must also run (a prediction bounded by the schema's sizes).
        if (task === 'classify') classifyText(m as ReturnType<typeof loadClassifier>, 'good film');
        if (task === 'lm') generate(m as ReturnType<typeof loadLM>, { count: 1, steps: 4 });
        if (task === 'seq2seq') (m as ReturnType<typeof loadSeq2Seq>).model.translate([4, 5], { maxLen: 4 });
      } catch (e) {
        if (!(e instanceof GruError) || e.code !== 'INVALID_FILE') {
          assert.fail(`mutation ${i}: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}\nmetadata: ${JSON.stringify(metadata).slice(0, 2000)}`);
        }
        assert.ok(e.message.startsWith(`${path}: `), e.message);
        rejected++;
      }
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 100 * MB, `the fuzz allocated ${Math.round(grown / MB)} MB`);
    t.diagnostic(`${task}: ${loaded} loaded, ${rejected} rejected`);
    assert.equal(loaded + rejected, 1000);
    assert.ok(rejected > 300 && loaded > 20, `${loaded} loaded, ${rejected} rejected`);
  });
}

test("fuzz: every single-byte flip of each task's config JSON loads or is a GruError ('INVALID_FILE')", (t) => {
  for (const task of Object.keys(files) as (keyof typeof files)[]) {
    const base = parts(files[task]);
    const config = base.metadata.config;
    let loaded = 0,
      rejected = 0;
    for (let i = 0; i < config.length; i++) {
      for (const x of [1, 2, 0x20]) {
        const metadata = { ...base.metadata, config: config.slice(0, i) + String.fromCharCode(config.charCodeAt(i) ^ x) + config.slice(i + 1) };
        try {
          LOADERS[task](write({ tensors: base.tensors, metadata }));
          loaded++;
        } catch (e) {
          if (!(e instanceof GruError) || e.code !== 'INVALID_FILE') assert.fail(`${task} byte ${i} ^ ${x}: ${e instanceof Error ? e.stack : String(e)}\nconfig: ${metadata.config}`);
          rejected++;
        }
      }
    }
    t.diagnostic(`${task}: ${config.length * 3} flips, ${loaded} loaded, ${rejected} rejected`);
    assert.ok(rejected > 0);
  }
});
