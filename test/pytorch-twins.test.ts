// PyTorch twins (python/gru_ts_twins.py) against real torch. Both ways for every task model: a file gru-ts
// trained is loaded by its twin, whose predictions must be gru-ts's; a file the twin wrote is loaded by gru-ts's
// own loader, whose predictions must be the twin's. And the GRU's gradients against torch.autograd. The set-up
// runs scripts/ensure-torch.mjs (a venv with torch in .cache/torch-venv, made on the first run, about 45 s)
// and then Python once for every case (python/twin_job.py): tensors cross both ways as safetensors files.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Classifier,
  GRU,
  Rng,
  Tensor,
  Tokenizer,
  Var,
  add,
  backward,
  baseForecasts,
  constant,
  loadStateDictFile,
  makeBatch,
  makeFrameBatch,
  makeLMBatch,
  makePairBatch,
  makeTextBatch,
  mul,
  normalizeFrames,
  originsBetween,
  readSafetensors,
  saveClassifier,
  saveForecaster,
  saveLM,
  saveRecommender,
  saveSeq2Seq,
  saveStateDictFile,
  seriesFromTable,
  simulateClicks,
  sum,
  trainClassifier,
  trainForecaster,
  trainFrameClassifier,
  trainLM,
  trainRecommender,
  trainSeq2Seq,
  writeSafetensors,
  type ClassifyConfig,
  type Forecaster,
  type IntTensor,
  type SafetensorsFile,
  type TrainedClassifier,
  type TrainedLM,
  type TrainedRecommender,
  type TrainedSeq2Seq,
} from '../src/index.js';
import { noGrad } from '../src/autograd/var.js';
import { loadTaskModel } from '../src/tasks/registry.js';
import { TASKS } from '../src/tasks/index.js';
import { dailySeries, labelledTexts, upDownFrames } from './helpers/synthetic.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gru-twins-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);

interface Job {
  kind: 'predict' | 'make' | 'gru-grad' | 'gru-make' | 'train-lm';
  name: string;
  inputs?: string;
  out?: string;
  [key: string]: unknown;
}
/** What Python wrote for a job: its tensors and the strings beside them. */
interface Out {
  t: (name: string) => Tensor;
  int: (name: string) => number[];
  extra: Record<string, unknown>;
}
/** A case: its jobs for Python, and the checks of the last one's results against gru-ts, run by the case's test. */
interface Case {
  jobs: Job[];
  check: (out: Out) => void;
}

/** Writes a case's inputs; integer inputs (ids, lengths) as int32 tensors. */
function inputs(name: string, floats: Record<string, Tensor>, ints: Record<string, ArrayLike<number>> = {}, shapes: Record<string, number[]> = {}): string {
  const path = file(`${name}.in.safetensors`);
  const intTensors: Record<string, IntTensor> = {};
  for (const [k, v] of Object.entries(ints)) intTensors[k] = { data: Int32Array.from(v), shape: shapes[k] ?? [v.length] };
  writeSafetensors(path, floats, {}, intTensors);
  return path;
}

function readOut(path: string): Out {
  const f: SafetensorsFile = readSafetensors(path);
  return {
    t: (name) => f.tensors.get(name) ?? assert.fail(`Python wrote no '${name}' to ${path} (it has ${[...f.tensors.keys(), ...f.ints.keys()].join(', ')})`),
    int: (name) => Array.from((f.ints.get(name) ?? assert.fail(`Python wrote no '${name}' to ${path}`)).data as ArrayLike<number | bigint>, Number),
    extra: JSON.parse(f.metadata.extra ?? '{}') as Record<string, unknown>,
  };
}

const measured: string[] = [];
test.after(() => console.log(`max |PyTorch − gru-ts| / max(1, |gru-ts|):\n${measured.map((m) => `  ${m}`).join('\n')}`));

/** Max |a − b| / max(1, |b|) over all entries (NaN counts as infinitely far). */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

/** Checks PyTorch's `got` against gru-ts's `want` (shape when given) and records the difference. */
function close(what: string, got: Tensor, want: ArrayLike<number>, shape?: readonly number[], tol = 1e-5): void {
  if (shape) assert.deepEqual(got.shape, shape, `${what}: shape`);
  const d = maxDiff(got.data, want);
  measured.push(`${what}: ${d.toExponential(2)}`);
  assert.ok(d <= tol, `${what}: PyTorch and gru-ts differ by ${d} (tolerance ${tol})`);
}

const PYTHON = process.env.GRU_TORCH_PYTHON || join(root, '.cache', 'torch-venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');

/** Every case of every test, built in the set-up so that Python (a 3 s torch import) runs once. */
const SUITES: [string, () => Case[]][] = [];
const built = new Map<string, Case[]>();
const suite = (title: string, build: () => Case[]) => SUITES.push([title, build]);

// ------------------------------------------------------------------------------------------------- GRU

/**
 * A 2-layer bidirectional GRU with an initial state, forward and backward in gru-ts; PyTorch's nn.GRU
 * with the same weights (the file saveStateDictFile writes) gives the outputs and, through
 * torch.autograd, the gradients of x, h0 and every weight for loss = Σ output ⊙ R + Σ hN ⊙ R'.
 */
function gruGradients(name: string, dtype: 'float32' | 'float64', lengths?: number[]): Case {
  const T = 5,
    B = 3,
    I = 3,
    H = 4,
    L = 2,
    D = 2;
  const gru = new GRU({ inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true, seed: 7, dtype });
  const rng = new Rng(11);
  const random = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.normal();
    return new Tensor(data, shape);
  };
  const x = new Var(random([T, B, I]), true);
  const h0 = new Var(random([L * D, B, H]), true);
  const rOut = random([T, B, D * H]),
    rHn = random([L * D, B, H]);
  const { output, hN } = gru.forward(x, { h0, ...(lengths ? { lengths } : {}) });
  backward(add(sum(mul(output, constant(rOut))), sum(mul(hN, constant(rHn)))));
  const model = file(`${name}.safetensors`);
  saveStateDictFile(gru, model);
  const job: Job = { kind: 'gru-grad', name, model, inputs: inputs(name, { x: x.value, h0: h0.value, r_out: rOut, r_hn: rHn }, lengths ? { lengths } : {}), out: file(`${name}.out.safetensors`) };
  // float64 on both sides leaves only the order of the sums: the check is of the equations, not of rounding.
  const tol = dtype === 'float64' ? 1e-12 : 1e-5;
  return {
    jobs: [job],
    check: (o) => {
      close(`${name} output`, o.t('output'), output.data, [T, B, D * H], tol);
      close(`${name} hN`, o.t('h_n'), hN.data, [L * D, B, H], tol);
      close(`${name} dL/dx`, o.t('grad.x'), x.grad!.data, [T, B, I], tol);
      close(`${name} dL/dh0`, o.t('grad.h0'), h0.grad!.data, [L * D, B, H], tol);
      let worst = 0;
      for (const [param, p] of gru.namedParameters()) {
        const got = o.t(`grad.${param}`);
        assert.deepEqual(got.shape, p.value.shape, param);
        worst = Math.max(worst, maxDiff(got.data, p.grad!.data));
      }
      measured.push(`${name} dL/dweights (16 tensors): ${worst.toExponential(2)}`);
      assert.ok(worst <= tol, `${name}: weight gradients differ by ${worst}`);
    },
  };
}

suite('the GRU: outputs and torch.autograd gradients of x, h0 and every weight (2 layers, both directions, h0, packed lengths)', () => [
  gruGradients('gru-f64', 'float64'),
  gruGradients('gru-f64-lengths', 'float64', [5, 2, 4]),
  gruGradients('gru-f32-lengths', 'float32', [3, 5, 1]),
]);

suite('a GRU made in PyTorch (save_gru) loads with loadStateDictFile and runs as nn.GRU does', () => {
  const name = 'gru-from-torch';
  const T = 4,
    B = 2,
    I = 3,
    H = 5,
    L = 2,
    D = 2;
  const rng = new Rng(3);
  const x = Tensor.from(
    Array.from({ length: T * B * I }, () => rng.normal()),
    [T, B, I],
  );
  const h0 = Tensor.from(
    Array.from({ length: L * D * B * H }, () => rng.normal()),
    [L * D, B, H],
  );
  const model = file(`${name}.safetensors`);
  const job: Job = { kind: 'gru-make', name, sizes: { inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true }, seed: 5, model, inputs: inputs(name, { x, h0 }), out: file(`${name}.out.safetensors`) };
  return [
    {
      jobs: [job],
      check: (o) => {
        const gru = new GRU({ inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true });
        loadStateDictFile(gru, model);
        const { output, hN } = noGrad(() => gru.forward(x, { h0 }));
        close(`${name} output`, o.t('output'), output.data, [T, B, D * H]);
        close(`${name} hN`, o.t('h_n'), hN.data, [L * D, B, H]);
      },
    },
  ];
});

// ------------------------------------------------------------------------------------------------- classify

const TEXTS = ['the food was superb', 'A grim day!', 'it was quite a very AWFUL film, indeed the day', 'nice', 'zzz unknown_words only 42', 'Naïve café—au-lait, 3½ stars', ''];

function textBatch(c: TrainedClassifier) {
  return makeTextBatch(
    TEXTS.map((t) => c.tokenizer!.encode(t, c.model.config.maxLen)),
    null,
  );
}

/** A predict job for a classifier file and the checks: the twin's tokenizer, logits, probabilities and attention. */
function classifyCase(name: string, c: TrainedClassifier): Case {
  const model = file(`${name}.safetensors`);
  saveClassifier(c, model);
  const b = textBatch(c);
  const job: Job = { kind: 'predict', name, model, texts: TEXTS, inputs: inputs(name, {}, { ids: b.ids, lengths: b.lengths }, { ids: [b.B, b.T] }), out: file(`${name}.out.safetensors`) };
  return {
    jobs: [job],
    check: (o) => {
      assert.deepEqual(o.int('encoded_ids'), Array.from(b.ids), `${name}: the twin's tokenizer gives gru-ts's ids`);
      assert.deepEqual(o.int('encoded_lengths'), Array.from(b.lengths));
      const C = c.model.config.labels.length;
      close(`${name} logits`, o.t('logits'), noGrad(() => c.model.eval().forward(b)).data, [b.B, C]);
      close(`${name} probabilities`, o.t('probabilities'), c.model.probabilities(b).data, [b.B, C]);
      if (c.model.pool) {
        const weights = noGrad(() => {
          const { output } = c.model.gru.forward(c.model.embed!.forward(b.ids, [b.B, b.T]), { lengths: b.lengths });
          return c.model.pool!.forward(output, b.lengths).weights;
        });
        close(`${name} attention`, o.t('attention'), weights.data, [b.B, b.T]);
      }
    },
  };
}

suite('classify: a gru-ts classifier file gives the same logits in PyTorch (attention pooling; last states of 2 bidirectional layers; the tokenizer)', () => {
  const train = (o: object) => trainClassifier(labelledTexts(120), { embeddingSize: 8, hiddenSize: 8, epochs: 1, batchSize: 16, lr: 1e-2, minCount: 1, ...o });
  return [classifyCase('classify-attention', train({ pooling: 'attention', bidirectional: true })), classifyCase('classify-last-2-layers', train({ pooling: 'last', numLayers: 2, bidirectional: true }))];
});

suite('classify frames: raw frames in, the normalisation inside the twin', () => {
  const name = 'classify-frames';
  const data = upDownFrames(40);
  const { features: F, sequences } = data;
  const c = trainFrameClassifier(data, { hiddenSize: 6, epochs: 1, batchSize: 8, lr: 1e-2, pooling: 'attention', bidirectional: true });
  const model = file(`${name}.safetensors`);
  saveClassifier(c, model);
  const seqs = [sequences[0], sequences[1], sequences[2].subarray(0, 2 * F)];
  const raw = makeFrameBatch(seqs, F, null);
  const want = c.model.probabilities(
    makeFrameBatch(
      seqs.map((s) => normalizeFrames(s, c.model.config.frames!)),
      F,
      null,
    ),
  ).data;
  const job: Job = { kind: 'predict', name, model, inputs: inputs(name, { frames: new Tensor(raw.frames, [raw.B, raw.T, F]) }, { lengths: raw.lengths }), out: file(`${name}.out.safetensors`) };
  return [{ jobs: [job], check: (o) => close(`${name} probabilities`, o.t('probabilities'), want, [raw.B, 2]) }];
});

suite("classify: a classifier made in PyTorch loads with gru-ts's loader and predicts the twin's probabilities", () => {
  const name = 'classify-from-torch';
  const tokenizer = Tokenizer.fit(TEXTS, { kind: 'word' });
  const config: ClassifyConfig = { labels: ['neg', 'pos', 'meh'], tokenizer: 'word', maxLen: 12, embeddingSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true, dropout: 0, pooling: 'attention' };
  const b = makeTextBatch(
    TEXTS.map((t) => tokenizer.encode(t, config.maxLen)),
    null,
  );
  const model = file(`${name}.safetensors`);
  const fits = [
    { texts: TEXTS, kind: 'word' as const },
    { texts: TEXTS, kind: 'char' as const },
  ];
  const job: Job = {
    kind: 'make',
    name,
    task: 'classify',
    parts: { config, tokenizer: tokenizer.toJSON() },
    seed: 1,
    model,
    fits,
    inputs: inputs(name, {}, { ids: b.ids, lengths: b.lengths }, { ids: [b.B, b.T] }),
    out: file(`${name}.out.safetensors`),
  };
  return [
    {
      jobs: [job],
      check: (o) => {
        assert.deepEqual(
          o.extra.fitted,
          fits.map((f) => Tokenizer.fit(f.texts, { kind: f.kind }).toJSON()),
          'Tokenizer.fit learns the same vocabularies in Python',
        );
        const { task, model: loaded } = loadTaskModel(TASKS, model);
        assert.equal(task.name, 'classify');
        close(`${name} probabilities`, o.t('probabilities'), (loaded as TrainedClassifier).model.probabilities(b).data, [b.B, 3]);
      },
    },
  ];
});

suite('a model whose cell is an attention GRU has no twin: the twin says why', () => {
  const name = 'classify-attention-cell';
  const tokenizer = Tokenizer.fit(TEXTS, { kind: 'word' });
  const model = new Classifier({ labels: ['a', 'b'], tokenizer: 'word', maxLen: 10, embeddingSize: 4, hiddenSize: 4, numLayers: 1, bidirectional: false, dropout: 0, cell: { kind: 'attention-gru', window: 3 } }, tokenizer.size);
  const path = file(`${name}.safetensors`);
  saveClassifier({ model, tokenizer }, path);
  const job: Job = { kind: 'predict', name, model: path, refused: true, inputs: inputs(name, {}), out: file(`${name}.out.safetensors`) };
  return [{ jobs: [job], check: (o) => assert.match(String(o.extra.refusal), /attention GRU cell \(attention-gru\), which has no PyTorch twin/) }];
});

// ------------------------------------------------------------------------------------------------- lm

const NAMES = ['anna', 'bob', 'otto', 'eve', 'ada', 'boris', 'tom', 'nina'];

/** LM logits of gru-ts's model on texts encoded by its tokenizer, with the batch. */
function lmLogits(lm: TrainedLM, texts: string[]) {
  const b = makeLMBatch(texts.map((t) => lm.tokenizer.encode(t)));
  return { b, logits: noGrad(() => lm.model.eval().forward(b)).data };
}

suite('lm: a gru-ts character model gives the same logits at every step in PyTorch (2 layers; the tokenizer and makeLMBatch)', () => {
  const name = 'lm';
  const lm = trainLM(
    Array.from({ length: 80 }, (_, i) => NAMES[i % NAMES.length]),
    { hiddenSize: 10, embeddingSize: 6, numLayers: 2, epochs: 1, lr: 2e-2, batchSize: 16 },
  );
  const model = file(`${name}.safetensors`);
  saveLM(lm, model);
  const texts = ['anna', 'otto', 'bo', 'zed eve'];
  const { b, logits } = lmLogits(lm, texts);
  const job: Job = { kind: 'predict', name, model, texts, inputs: inputs(name, {}), out: file(`${name}.out.safetensors`) };
  return [
    {
      jobs: [job],
      check: (o) => {
        assert.deepEqual(o.int('encoded_ids'), Array.from(b.ids));
        assert.deepEqual(o.int('encoded_lengths'), Array.from(b.lengths));
        assert.deepEqual(o.int('encoded_targets'), Array.from(b.targets));
        close(`${name} logits`, o.t('logits'), logits, [b.B, b.T, lm.model.vocabSize]);
      },
    },
  ];
});

suite('lm: python/train_lm.py trains a character model in PyTorch; gru-ts loads the file and gives its logits', () => {
  const name = 'lm-from-torch';
  const texts = file(`${name}.txt`);
  writeFileSync(texts, `${Array.from({ length: 40 }, (_, i) => NAMES[i % NAMES.length]).join('\n')}\n`);
  const model = file(`${name}.safetensors`);
  const probe = ['anna', 'tom', 'zoë'];
  return [
    {
      jobs: [
        { kind: 'train-lm', name: `${name} training`, args: [texts, '--out', model, '--epochs', '2', '--hidden', '12', '--embedding', '6', '--layers', '2', '--seed', '3'] },
        { kind: 'predict', name, model, texts: probe, inputs: inputs(name, {}), out: file(`${name}.out.safetensors`) },
      ],
      check: (o) => {
        const { task, model: loaded } = loadTaskModel(TASKS, model);
        assert.equal(task.name, 'lm');
        const { b, logits } = lmLogits(loaded as TrainedLM, probe);
        assert.deepEqual(o.int('encoded_ids'), Array.from(b.ids), 'gru-ts reads the vocabulary Python wrote');
        close(`${name} logits`, o.t('logits'), logits, [b.B, b.T, (loaded as TrainedLM).model.vocabSize]);
      },
    },
  ];
});

// ------------------------------------------------------------------------------------------------- forecast

/** A batch of a forecaster's windows (makeBatch: x, steps, baseline) as an inputs file; with `values`, the series' values too. */
function forecastInputs(name: string, model: Forecaster, table: ReturnType<typeof dailySeries>, values = false) {
  const c = model.config;
  const s = seriesFromTable(table, { column: 'value' });
  const b = makeBatch(s, c, model.norm, originsBetween(c, 150, 240).slice(0, 7), baseForecasts(s, c, c.base));
  const I = b.x.length / (b.B * c.lookback),
    S = b.steps.length / (b.B * c.horizon);
  const path = inputs(name, {
    x: new Tensor(b.x, [b.B, c.lookback, I]),
    steps: new Tensor(b.steps, [b.B, c.horizon, S]),
    baseline: new Tensor(b.baseline, [b.B, c.horizon]),
    ...(values ? { values: new Tensor(s.values, [s.values.length]) } : {}),
  });
  return { b, path };
}

function checkForecasts(name: string, o: Out, model: Forecaster, b: ReturnType<typeof makeBatch>): void {
  const K = model.config.horizon;
  close(`${name} correction`, o.t('correction'), noGrad(() => model.eval().forward(b)).data, [b.B, K]);
  const point = model.predict(b);
  close(`${name} forecast`, o.t('forecast'), point, [b.B, K]);
  const bounds = model.intervals(point);
  if (bounds) {
    close(`${name} lower`, o.t('lower'), bounds.lower, [b.B, K]);
    close(`${name} upper`, o.t('upper'), bounds.upper, [b.B, K]);
  }
}

const trainForecast = (table: ReturnType<typeof dailySeries>, o: object) => trainForecaster(table, { column: 'value', lookback: 14, horizon: 3, testSize: 28, hiddenSize: 12, headSize: 12, batchSize: 16, lr: 1e-2, epochs: 2, ...o }).model;

suite('forecast: a gru-ts forecaster file gives the same corrections, forecasts and intervals in PyTorch (dated, 2 layers, highway)', () => {
  const name = 'forecast';
  const table = dailySeries(240);
  const model = trainForecast(table, { numLayers: 2 });
  const path = file(`${name}.safetensors`);
  saveForecaster(model, path);
  const { b, path: input } = forecastInputs(name, model, table);
  return [{ jobs: [{ kind: 'predict', name, model: path, inputs: input, out: file(`${name}.out.safetensors`) }], check: (o) => checkForecasts(name, o, model, b) }];
});

suite('forecast: the twin builds the window features and the seasonal-naive base itself for a series without dates', () => {
  const name = 'forecast-undated';
  const daily = dailySeries(240);
  const table = { columns: ['value'], rows: daily.rows.map((r) => [r[1]]), source: 'undated' };
  const model = trainForecast(table, { season: 7, base: 'seasonalNaive' });
  assert.equal(model.config.frequency, 'none');
  const path = file(`${name}.safetensors`);
  saveForecaster(model, path);
  const { b, path: input } = forecastInputs(name, model, table, true);
  return [
    {
      jobs: [{ kind: 'predict', name, model: path, inputs: input, origins: b.origins, out: file(`${name}.out.safetensors`) }],
      check: (o) => {
        const c = model.config;
        close(`${name} window features`, o.t('built_x'), b.x, [b.B, c.lookback, 1], 1e-6);
        close(`${name} step features`, o.t('built_steps'), b.steps, [b.B, c.horizon, c.horizon], 0);
        close(`${name} seasonal-naive base`, o.t('built_baseline'), b.baseline, [b.B, c.horizon], 0);
        close(`${name} forecast from the values`, o.t('built_forecast'), model.predict(b), [b.B, c.horizon]);
      },
    },
  ];
});

suite("forecast: a forecaster made in PyTorch loads with gru-ts's loader and forecasts as the twin does", () => {
  const name = 'forecast-from-torch';
  const table = dailySeries(240);
  const trained = trainForecast(table, { epochs: 1, numLayers: 2 });
  const path = file(`${name}.safetensors`);
  const { b, path: input } = forecastInputs(name, trained, table);
  // The configuration and normalisation of a trained model; the weights are PyTorch's own initialisation.
  const job: Job = { kind: 'make', name, task: 'forecast', parts: { config: trained.config, normalization: trained.norm }, seed: 2, model: path, inputs: input, out: file(`${name}.out.safetensors`) };
  return [
    {
      jobs: [job],
      check: (o) => {
        const { task, model } = loadTaskModel(TASKS, path);
        assert.equal(task.name, 'forecast');
        checkForecasts(name, o, model as Forecaster, b);
      },
    },
  ];
});

// ------------------------------------------------------------------------------------------------- seq2seq

const SOURCES = ['abcdef', 'fa', 'bee'];
const reversedUpper = (w: string) => [...w].reverse().map((x) => x.toUpperCase());

/** SOURCES and their targets as a batch of ids. */
const pairBatch = (m: TrainedSeq2Seq) =>
  makePairBatch(
    SOURCES.map((x) => m.source.encode(x)),
    SOURCES.map((x) => m.target.encode(reversedUpper(x).join(' '))),
  );

/** gru-ts's teacher-forced logits (B, T, V) for a batch, and its beam search's results (beam 1 and 3) for each source. */
function seq2seqOutputs(m: TrainedSeq2Seq, b: ReturnType<typeof makePairBatch>) {
  const V = m.model.tgtVocab;
  const logits = new Float32Array(b.B * b.T * V);
  noGrad(() => {
    const enc = m.model.eval().encode(b);
    let state = enc.state;
    for (let t = 0; t < b.T; t++) {
      const r = m.model.step(
        enc,
        Int32Array.from({ length: b.B }, (_, i) => b.tgtIn[i * b.T + t]),
        state,
      );
      state = r.state;
      for (let i = 0; i < b.B; i++) logits.set(r.logits.data.subarray(i * V, (i + 1) * V), (i * b.T + t) * V);
    }
  });
  const srcs = Array.from({ length: b.B }, (_, i) => Array.from(b.src.subarray(i * b.S, i * b.S + b.srcLengths[i])));
  const [beam1, beam3] = [1, 3].map((beam) => srcs.map((s) => m.model.translate(s, { beam }).ids));
  return { logits, beam1, beam3 };
}

function seq2seqCase(name: string, m: TrainedSeq2Seq, make?: { seed: number }): Case {
  const model = file(`${name}.safetensors`);
  if (!make) saveSeq2Seq(m, model);
  const b = pairBatch(m);
  const input = inputs(name, {}, { src: b.src, lengths: b.srcLengths, tgt_in: b.tgtIn }, { src: [b.B, b.S], tgt_in: [b.B, b.T] });
  const parts = { config: m.model.config, sourceTokenizer: m.source.toJSON(), targetTokenizer: m.target.toJSON() };
  const job: Job = make
    ? { kind: 'make', name, task: 'seq2seq', parts, seed: make.seed, model, texts: SOURCES, inputs: input, out: file(`${name}.out.safetensors`) }
    : { kind: 'predict', name, model, texts: SOURCES, inputs: input, out: file(`${name}.out.safetensors`) };
  return {
    jobs: [job],
    check: (o) => {
      // Made in PyTorch: gru-ts's loader reads the twin's file, and its outputs are compared.
      const loaded = make ? (loadTaskModel(TASKS, model).model as TrainedSeq2Seq) : m;
      const want = seq2seqOutputs(loaded, b);
      close(`${name} teacher-forced logits`, o.t('logits'), want.logits, [b.B, b.T, loaded.model.tgtVocab]);
      const width = loaded.model.config.maxTargetLen;
      for (const beam of ['beam1', 'beam3'] as const) {
        const rows = o.int(beam);
        const got = want[beam].map((_, i) => rows.slice(i * width, (i + 1) * width).filter((x) => x >= 0));
        assert.deepEqual(got, want[beam], `${name}: the search's results (${beam})`);
      }
      assert.deepEqual(
        o.extra.translations,
        want.beam1.map((ids) => ids.map((i) => loaded.target.vocab[i])),
        `${name}: translate`,
      );
      measured.push(`${name} beam 1 and 3 decodings: equal (${want.beam1.map((g) => g.length).join(', ')}; ${want.beam3.map((g) => g.length).join(', ')} tokens)`);
    },
  };
}

suite("seq2seq: teacher-forced logits and the beam search (beam 1 and 3) in PyTorch equal gru-ts's, both ways (Bahdanau; Luong with a 2-layer encoder)", () => {
  const rng = new Rng(1);
  const pairs = Array.from({ length: 120 }, () => {
    const w = Array.from({ length: 2 + rng.int(4) }, () => 'abcdef'[rng.int(6)]).join('');
    return { source: w, target: reversedUpper(w) };
  });
  const train = (o: object) => trainSeq2Seq(pairs, { embeddingSize: 8, encoderSize: 8, decoderSize: 10, attentionSize: 6, epochs: 1, batchSize: 16, lr: 1e-2, ...o });
  const bahdanau = train({ attention: 'bahdanau' });
  const luong = train({ attention: 'luong', encoderLayers: 2 });
  return [seq2seqCase('seq2seq-bahdanau', bahdanau), seq2seqCase('seq2seq-luong-2-layers', luong), seq2seqCase('seq2seq-bahdanau-from-torch', bahdanau, { seed: 4 }), seq2seqCase('seq2seq-luong-from-torch', luong, { seed: 5 })];
});

// ------------------------------------------------------------------------------------------------- recommend

function recommendCase(name: string, tr: TrainedRecommender, make?: { seed: number }): Case {
  const V = tr.model.config.items;
  const sessions = [[0, 3, 5, 7], [2], [9, 9, 1]].map((s) => s.map((i) => i % V));
  const B = sessions.length,
    T = Math.max(...sessions.map((s) => s.length));
  const clicks = new Int32Array(B * T);
  sessions.forEach((s, i) => clicks.set(s, i * T));
  const model = file(`${name}.safetensors`);
  if (!make) saveRecommender(tr, model);
  const input = inputs(name, {}, { clicks, lengths: sessions.map((s) => s.length) }, { clicks: [B, T] });
  const job: Job = make
    ? { kind: 'make', name, task: 'recommend', parts: { config: tr.model.config, items: tr.items }, seed: make.seed, model, inputs: input, out: file(`${name}.out.safetensors`) }
    : { kind: 'predict', name, model, inputs: input, out: file(`${name}.out.safetensors`) };
  return {
    jobs: [job],
    check: (o) => {
      const m = make ? (loadTaskModel(TASKS, model).model as TrainedRecommender).model : tr.model;
      const H = m.config.hiddenSize;
      const states = m.sessionStates(sessions.map((s) => Int32Array.from(s)));
      const last = new Float32Array(B * H);
      let row = 0;
      sessions.forEach((s, i) => {
        last.set(states.subarray((row + s.length - 1) * H, (row + s.length) * H), i * H);
        row += s.length;
      });
      close(`${name} scores`, o.t('scores'), m.scores(last, B), [B, V]);
    },
  };
}

suite("recommend: every item's score after a session's last click, in PyTorch and gru-ts, both ways (an item embedding; one-hot items into 2 layers)", () => {
  const log = simulateClicks({ sessions: 300, items: 30, days: 10, seed: 2 });
  const train = (o: object) => trainRecommender(log, { hiddenSize: 8, epochs: 1, batchSize: 8, nSample: 8, lr: 5e-3, baselines: [], ...o });
  const embedded = train({ embeddingSize: 6 });
  const oneHot = train({ embeddingSize: 0, numLayers: 2 });
  return [
    recommendCase('recommend-embedding', embedded),
    recommendCase('recommend-one-hot-2-layers', oneHot),
    recommendCase('recommend-embedding-from-torch', embedded, { seed: 6 }),
    recommendCase('recommend-one-hot-from-torch', oneHot, { seed: 7 }),
  ];
});

// Registered after every suite: the root's `before` hook runs as soon as the file's top level has run.
before(() => {
  const ensure = spawnSync(process.execPath, [join(root, 'scripts/ensure-torch.mjs')], { encoding: 'utf8' });
  assert.equal(ensure.status, 0, `scripts/ensure-torch.mjs: ${ensure.stderr}${ensure.stdout}`);
  console.log(ensure.stdout.trim());
  for (const [title, build] of SUITES) built.set(title, build());
  const jobs = file('jobs.json');
  writeFileSync(jobs, JSON.stringify({ jobs: [...built.values()].flat().flatMap((c) => c.jobs) }));
  // No __pycache__ left in python/.
  const r = spawnSync(PYTHON, [join(root, 'python/twin_job.py'), jobs], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(r.status, 0, `python/twin_job.py failed: ${r.stderr}${r.stdout}`);
  console.log(r.stdout.trim());
});

for (const [title] of SUITES) {
  test(title, () => {
    const cases = built.get(title);
    assert.ok(cases, 'the set-up built the cases');
    for (const c of cases) c.check(readOut(c.jobs[c.jobs.length - 1].out!));
  });
}
