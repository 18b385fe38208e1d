// Keras models read by loadKerasModel give what Keras itself gave: test/fixtures/keras/make.py (Keras 3,
// torch backend) wrote each model and its `model.predict(x)` into cases.json. Then the GRU weight
// mapping worked by hand, the step loop against the GRU module, the gru-ts model file `gru import`
// writes, and the errors: unsupported layers and options (named with their position), bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { GRU, GruError, KerasModel, Tensor, kerasGruToPyTorch, kerasModelFromConfig, loadKerasModel, readKerasModel, type KerasGruSpec } from '../src/index.js';
import { runGruModule, runGruSteps } from '../src/io/keras/gru.js';
import { elementwise } from '../src/io/keras/activations.js';
import { importKerasFile, kerasTask, loadImportedKeras } from '../src/tasks/keras/command.js';
import { Rng } from '../src/tensor/random.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(root, 'test/fixtures/keras');
const fixture = (f: string) => join(FIXTURES, f);
const TOL = 1e-5;
const dir = mkdtempSync(join(tmpdir(), 'gru-keras-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

type Nested = number | Nested[];
interface Case {
  name: string;
  note: string;
  file: string;
  weights?: string;
  input: Nested;
  inputDtype: string;
  outputs: Nested[];
}
const { cases, keras: kerasVersion } = JSON.parse(readFileSync(fixture('cases.json'), 'utf8')) as { cases: Case[]; keras: string };

const flat = (a: Nested): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a]);
const shapeOf = (a: Nested): number[] => (Array.isArray(a) ? [a.length, ...shapeOf(a[0])] : []);
const tensorOf = (a: Nested) => Tensor.from(flat(a), shapeOf(a));
const load = (c: Case): KerasModel => loadKerasModel(fixture(c.file), c.weights ? { weights: fixture(c.weights) } : {});

function maxAbsError(got: Tensor, want: Nested): number {
  assert.deepEqual(got.shape, shapeOf(want));
  const w = flat(want);
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(got.data[i] - w[i]));
  return m;
}

/** Throws unless f throws a GruError with `code` whose message matches every pattern. */
function rejects(f: () => unknown, code: GruError['code'], ...patterns: RegExp[]): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof GruError, `expected a GruError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('the fixtures cover what the issue asks for', () => {
  const names = new Set(cases.map((c) => c.name));
  for (const n of [
    'gru_reset_after',
    'gru_reset_before',
    'gru_backwards_sequences',
    'gru_return_state',
    'gru_stacked',
    'gru_activations',
    'bidirectional_concat',
    'bidirectional_sum',
    'bidirectional_mul',
    'bidirectional_ave',
    'embedding_mask',
    'masking',
    'dense_activations',
    'time_distributed',
    'dropout_flatten',
    'legacy_h5',
    'json_weights',
    'keras2_functional',
    'keras2_sequential',
  ]) {
    assert.ok(names.has(n), n);
  }
});

for (const c of cases) {
  test(`Keras ${kerasVersion} fixture ${c.name}: predict matches Keras to ${TOL} (${c.note || c.file})`, (t) => {
    const model = load(c);
    const outputs = model.predictAll(tensorOf(c.input));
    assert.equal(outputs.length, c.outputs.length);
    const errors = outputs.map((o, k) => maxAbsError(o, c.outputs[k]));
    t.diagnostic(`max abs error ${Math.max(...errors).toExponential(2)}`);
    for (const e of errors) assert.ok(e <= TOL, `max abs error ${e}`);
    if (c.outputs.length === 1) assert.deepEqual(model.predict(tensorOf(c.input)).data, outputs[0].data);
    else rejects(() => model.predict(tensorOf(c.input)), 'INVALID_ARGUMENT', /predictAll/);
  });
}

test('the masked fixtures hold the masking Keras does: a masked step repeats the previous output, zeros before any', () => {
  const c = cases.find((x) => x.name === 'embedding_mask')!;
  const ids = c.input as number[][];
  const y = c.outputs[0] as number[][][];
  ids.forEach((row, b) =>
    row.forEach((id, t) => {
      if (id !== 0) return;
      assert.deepEqual(y[b][t], t === 0 ? y[b][t].map(() => 0) : y[b][t - 1], `sequence ${b}, step ${t}`);
    }),
  );
});

test("Keras 2 files use Keras 2's hard_sigmoid, clip(0.2x + 0.5): with Keras 3's the same weights give other outputs", () => {
  const c = cases.find((x) => x.name === 'keras2_functional')!;
  const model = load(c);
  assert.equal(model.spec.kerasVersion, '2.15.0');
  assert.equal(elementwise('hard_sigmoid', 2)(1), 0.7);
  assert.equal(elementwise('hard_sigmoid', 3)(1), 4 / 6);
  const asKeras3 = new KerasModel({ ...model.spec, kerasVersion: '3.0.0' });
  asKeras3.loadStateDict(model.stateDict(), { prefix: '' });
  assert.ok(maxAbsError(asKeras3.predict(tensorOf(c.input)), c.outputs[0]) > 20 * TOL);
});

test('kerasGruToPyTorch: gate blocks z, r, h → r, z, n, kernels transposed, bias rows split (worked by hand, U = 1, I = 2)', () => {
  const g: KerasGruSpec = { name: 'gru', units: 1, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, resetAfter: true, goBackwards: false, returnSequences: false, returnState: false, zeroOutputForMask: false };
  // kernel [I=2, 3U]: row i = input i, columns (z, r, h); recurrent_kernel [1, 3]; bias [2, 3]: input row, recurrent row.
  const kernel = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
  const recurrent = Tensor.from([7, 8, 9], [1, 3]);
  const bias = Tensor.from([10, 20, 30, 40, 50, 60], [2, 3]);
  const d = kerasGruToPyTorch([kernel, recurrent, bias], g, 2, '_reverse', 'test');
  // weight_ih [3U, I] rows (r, z, n): r = kernel[:, 1] = (2, 5); z = kernel[:, 0] = (1, 4); n = kernel[:, 2] = (3, 6).
  assert.deepEqual(d.weight_ih_l0_reverse.toArray(), [2, 5, 1, 4, 3, 6]);
  assert.deepEqual(d.weight_hh_l0_reverse.toArray(), [8, 7, 9]);
  assert.deepEqual(d.bias_ih_l0_reverse.toArray(), [20, 10, 30]);
  assert.deepEqual(d.bias_hh_l0_reverse.toArray(), [50, 40, 60]);
  // reset_after=False: one bias [3U], all of it on the input side.
  const before = kerasGruToPyTorch([kernel, recurrent, Tensor.from([10, 20, 30], [3])], { ...g, resetAfter: false }, 2, '', 'test');
  assert.deepEqual(before.bias_ih_l0.toArray(), [20, 10, 30]);
  assert.deepEqual(before.bias_hh_l0.toArray(), [0, 0, 0]);
  rejects(() => kerasGruToPyTorch([kernel, recurrent, Tensor.from([1, 2, 3], [3])], g, 2, '', "layer 1 'gru' (GRU)"), 'INVALID_FILE', /layer 1 'gru' \(GRU\): bias must have shape \[2, 3\]/);
});

test('the step loop (masks, any activation) agrees with the GRU module on what both run', () => {
  const rng = new Rng(7);
  const x = Tensor.from(
    Array.from({ length: 3 * 5 * 4 }, () => rng.normal()),
    [3, 5, 4],
  );
  for (const resetAfter of [true, false]) {
    for (const goBackwards of [false, true]) {
      for (const returnSequences of [false, true]) {
        const g: KerasGruSpec = { name: 'gru', units: 6, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, resetAfter, goBackwards, returnSequences, returnState: true, zeroOutputForMask: false };
        const gru = new GRU({ inputSize: 4, hiddenSize: 6, resetAfter, batchFirst: true, seed: 3 });
        const a = runGruModule(gru, x, g),
          b = runGruSteps(gru.layers[0][0], x, null, g, 3);
        assert.deepEqual(a.y.shape, b.y.shape);
        for (const [p, q] of [
          [a.y, b.y],
          [a.h, b.h],
        ])
          p.data.forEach((v, i) => assert.ok(Math.abs(v - q.data[i]) < 1e-6, `resetAfter ${resetAfter}, goBackwards ${goBackwards}: ${v} vs ${q.data[i]}`));
      }
    }
  }
});

test('gru import writes a gru-ts model file that loadKerasModel and the keras task read back to the same predictions', () => {
  for (const c of cases) {
    const out = join(dir, `${c.name}.safetensors`);
    const model = importKerasFile(fixture(c.file), out, { weights: c.weights && fixture(c.weights) });
    const x = tensorOf(c.input);
    const want = model.predictAll(x);
    for (const back of [loadKerasModel(out), loadImportedKeras(out), kerasModelFromConfig(model.config(), model.stateDict())]) {
      assert.deepEqual(
        back.spec.layers.map((l) => l.kind),
        model.spec.layers.map((l) => l.kind),
        c.name,
      );
      back.predictAll(x).forEach((y, k) => assert.deepEqual(y.data, want[k].data, c.name));
    }
  }
});

test('the keras task: gru predict --input x.json prints the outputs', () => {
  const c = cases.find((x) => x.name === 'gru_return_state')!;
  const out = join(dir, 'predict.safetensors');
  importKerasFile(fixture(c.file), out);
  const input = join(dir, 'x.json');
  writeFileSync(input, JSON.stringify(c.input));
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => lines.push(s);
  try {
    kerasTask.predict(kerasTask.load(out), { input, json: true });
  } finally {
    console.log = log;
  }
  const printed = JSON.parse(lines.join('\n')) as { outputs: Nested[]; shapes: number[][] };
  assert.equal(printed.outputs.length, 2);
  printed.outputs.forEach((o, k) => assert.ok(maxAbsError(tensorOf(o), c.outputs[k]) <= TOL));
  rejects(() => kerasTask.predict(kerasTask.load(out), {}), 'INVALID_ARGUMENT', /--input/);
});

test('gru import and gru info on the command line; an unsupported layer is one line and exit 1', () => {
  const gru = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root });
  const out = join(dir, 'cli.safetensors');
  const imported = gru('import', fixture('embedding_mask_bidirectional.keras'), '--out', out, '--json');
  assert.equal(imported.status, 0, imported.stderr);
  assert.equal(JSON.parse(imported.stdout).task, 'keras');
  const info = gru('info', out, '--json');
  assert.equal(info.status, 0, info.stderr);
  const meta = JSON.parse(info.stdout).metadata;
  assert.equal(meta.task, 'keras');
  assert.equal(JSON.parse(meta.config).class_name, 'Functional');
  const bad = gru('import', fixture('unsupported_lstm.keras'), '--out', join(dir, 'lstm.safetensors'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /layer 2 'lstm' \(LSTM\): LSTM layers are not supported/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

test('unsupported layers and options: a GruError (UNSUPPORTED) naming the layer, its class and position', () => {
  rejects(() => loadKerasModel(fixture('unsupported_lstm.keras')), 'UNSUPPORTED', /layer 2 'lstm' \(LSTM\)/, /LSTM layers are not supported/);
  rejects(() => loadKerasModel(fixture('unsupported_conv1d.keras')), 'UNSUPPORTED', /layer 1 'conv1d' \(Conv1D\)/);
  rejects(() => loadKerasModel(fixture('unsupported_stateful.keras')), 'UNSUPPORTED', /layer 1 '\w+' \(GRU\)/, /stateful=true/);
});

/** A fixture .keras with its config.json edited. */
function editedKeras(file: string, edit: (config: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }) => void): Uint8Array {
  const files = unzipSync(readFileSync(fixture(file)));
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  edit(config);
  return zipSync({ ...files, 'config.json': new TextEncoder().encode(JSON.stringify(config)) });
}

test('unsupported options and graphs found in an edited configuration', () => {
  const gruLayer = (c: Parameters<Parameters<typeof editedKeras>[1]>[0]) => c.config.layers.find((l) => l.class_name === 'GRU')!;
  rejects(
    () =>
      readKerasModel(
        editedKeras('gru_reset_after.keras', (c) => {
          gruLayer(c).config.activation = 'softmax';
        }),
      ),
    'UNSUPPORTED',
    /layer 1 '\w+' \(GRU\)/,
    /activation='softmax'/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('gru_reset_after.keras', (c) => {
          gruLayer(c).config.time_major = true;
        }),
      ),
    'UNSUPPORTED',
    /time_major/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('gru_reset_after.keras', (c) => {
          gruLayer(c).config.future_option = 3;
        }),
      ),
    'UNSUPPORTED',
    /option future_option=3/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('bidirectional_concat.keras', (c) => {
          c.config.layers[1].config.merge_mode = null;
        }),
      ),
    'UNSUPPORTED',
    /layer 1 '\w+' \(Bidirectional\)/,
    /merge_mode=None/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('bidirectional_concat.keras', (c) => {
          (c.config.layers[1].config.layer as { class_name: string }).class_name = 'LSTM';
        }),
      ),
    'UNSUPPORTED',
    /\(Bidirectional\): it wraps a LSTM/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('time_distributed.keras', (c) => {
          (c.config.layers[2].config.layer as { class_name: string }).class_name = 'Conv1D';
        }),
      ),
    'UNSUPPORTED',
    /layer 2 '\w+' \(TimeDistributed\): it wraps a Conv1D/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('gru_reset_after.keras', (c) => {
          c.config.layers[1].class_name = 'SimpleRNN';
        }),
      ),
    'UNSUPPORTED',
    /layer 1 '\w+' \(SimpleRNN\)/,
  );
  // Options that do not change inference are accepted: unroll, dropout rates, implementation.
  const relaxed = readKerasModel(editedKeras('gru_reset_after.keras', (c) => Object.assign(gruLayer(c).config, { unroll: true, dropout: 0.5, recurrent_dropout: 0.5, implementation: 1 })));
  const c = cases.find((x) => x.name === 'gru_reset_after')!;
  assert.ok(maxAbsError(relaxed.predict(tensorOf(c.input)), c.outputs[0]) <= TOL);
});

test('truncated, damaged and foreign files: a GruError (INVALID_FILE)', () => {
  const keras = readFileSync(fixture('gru_stacked.keras'));
  for (const n of [0, 3, 30, 500, keras.length >> 1, keras.length - 20]) rejects(() => readKerasModel(keras.subarray(0, n)), 'INVALID_FILE');
  const h5 = readFileSync(fixture('legacy_h5.h5'));
  for (const n of [8, 100, 3000, h5.length >> 1, h5.length - 1]) rejects(() => readKerasModel(h5.subarray(0, n)), 'INVALID_FILE');
  const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
  rejects(() => readKerasModel(garbage), 'INVALID_FILE', /not a Keras model/);
  const files = unzipSync(keras);
  rejects(() => readKerasModel(zipSync({ 'model.weights.h5': files['model.weights.h5'] })), 'INVALID_FILE', /no config\.json/);
  rejects(() => readKerasModel(zipSync({ ...files, 'config.json': new TextEncoder().encode('{"class_name": ') })), 'INVALID_FILE', /config\.json: not valid JSON/);
  rejects(() => readKerasModel(zipSync({ ...files, 'model.weights.h5': garbage })), 'INVALID_FILE', /model\.weights\.h5/);
  // HDF5 with its bytes damaged past the superblock.
  const damaged = Uint8Array.from(h5);
  for (let i = 800; i < damaged.length; i += 61) damaged[i] ^= 0xa5;
  rejects(() => readKerasModel(damaged), 'INVALID_FILE');
  // The configuration and the weights disagree.
  rejects(
    () =>
      readKerasModel(
        editedKeras('gru_reset_after.keras', (c) => {
          c.config.layers[1].config.units = 6;
        }),
      ),
    'INVALID_FILE',
    /layer 1 '\w+' \(GRU\): kernel must have shape \[3, 18\]/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('gru_reset_after.keras', (c) => {
          c.config.layers[1].config.units = 1e9;
        }),
      ),
    'INVALID_FILE',
    /units must be an integer/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('gru_reset_after.keras', (c) => {
          c.config.layers[1].config.units = 60000;
        }),
      ),
    'INVALID_FILE',
    /more weights than the file holds/,
  );
  rejects(
    () =>
      readKerasModel(
        editedKeras('gru_reset_after.keras', (c) => {
          (c as { config: unknown }).config = 'nothing';
        }),
      ),
    'INVALID_FILE',
  );
  // A JSON configuration needs its weights; a weights file needs its configuration.
  rejects(() => loadKerasModel(fixture('json_weights.json')), 'INVALID_ARGUMENT', /needs its weights/);
  rejects(() => loadKerasModel(fixture('json_weights.weights.h5')), 'INVALID_ARGUMENT', /weight file, without the model configuration/);
});

test('predict checks its input: shape, token ids', () => {
  const model = load(cases.find((x) => x.name === 'embedding_mask')!);
  rejects(() => model.predict(Tensor.zeros([2, 5])), 'INVALID_ARGUMENT', /x must have shape \(batch, 6\)/);
  rejects(() => model.predict(Tensor.from([1, 2, 3, 4, 5, 10], [1, 6])), 'INVALID_ARGUMENT', /token ids must be integers from 0 to 9, got 10/);
  rejects(() => model.predict(Tensor.from([1, 2, 3, 4, 5, 1.5], [1, 6])), 'INVALID_ARGUMENT', /got 1\.5/);
  assert.match(model.summary(), /Embedding\(10 × 4\)/);
});
