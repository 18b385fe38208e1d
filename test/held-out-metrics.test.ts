// The held-out test metrics of a training run travel with the model file:
// every task's train… function records what it scored on its test split,
// save… writes it as the `metrics` metadata entry, load… reads it back,
// `gru info` shows it, pruning drops it (the scores were the dense
// weights'), and a tampered entry is refused by the schema like any other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GruError } from '../src/errors.js';
import { readSafetensors } from '../src/io/safetensors-file.js';
import { serializeSafetensors } from '../src/io/safetensors.js';
import { Rng } from '../src/tensor/random.js';
import { heldOutMetrics, readModelFile, type HeldOutMetrics } from '../src/tasks/model-file.js';
import { loadClassifier, saveClassifier, trainClassifier } from '../src/tasks/classify/task.js';
import { trainFrameClassifier } from '../src/tasks/classify/frames-task.js';
import { loadLM, saveLM, trainLM } from '../src/tasks/lm/task.js';
import { loadSeq2Seq, saveSeq2Seq, trainSeq2Seq } from '../src/tasks/seq2seq/task.js';
import { loadForecaster, saveForecaster, trainForecaster } from '../src/tasks/forecast/task.js';
import { loadRecommender, readClicks, saveRecommender, trainRecommender } from '../src/tasks/recommend/index.js';
import { pruneModelFile } from '../src/tasks/prune-file.js';
import { describeMetrics, infoCommand } from '../src/cli/info.js';
import { dailySeries, labelledTexts } from './helpers/synthetic.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gru-metrics-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The `metrics` entry of a model file, parsed. */
const entryOf = (path: string) => readModelFile(path).meta.metrics as HeldOutMetrics | undefined;

/** What `gru info PATH` prints. */
function info(path: string): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => lines.push(s);
  try {
    infoCommand(path, {});
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

test('classify (texts and frames): accuracy and macro-F1 of the test split, in the trained object, the file and gru info', () => {
  const r = trainClassifier(labelledTexts(60), { embeddingSize: 4, hiddenSize: 4, epochs: 1, batchSize: 16, minCount: 1, maxLen: 32 });
  assert.deepEqual(r.metrics, { examples: r.test.examples, values: { accuracy: r.test.metrics.accuracy, macroF1: r.test.metrics.macroF1 } });
  const path = join(dir, 'classify.safetensors');
  saveClassifier(r, path);
  assert.deepEqual(entryOf(path), r.metrics);
  assert.deepEqual(loadClassifier(path).metrics, r.metrics);
  const shown = info(path);
  assert.ok(shown.includes(`  held-out test: accuracy ${Number(r.test.metrics.accuracy.toPrecision(4))}, macroF1 ${Number(r.test.metrics.macroF1.toPrecision(4))} (${r.test.examples} examples)\n`), shown);

  const rng = new Rng(4);
  const sequences = Array.from({ length: 40 }, (_, i) => Float32Array.from({ length: 2 * (3 + (i % 3)) }, () => (i % 2) + rng.uniform()));
  const f = trainFrameClassifier({ source: 'frames', features: 2, sequences, labels: sequences.map((_, i) => (i % 2 ? 'up' : 'down')) }, { hiddenSize: 4, epochs: 1, batchSize: 8 });
  assert.deepEqual(f.metrics, { examples: f.test.examples, values: f.test.metrics });
});

test("lm, seq2seq, forecast, recommend: each task's test metrics are written at the end of training and read back", () => {
  const names = Array.from({ length: 40 }, (_, i) => ['anna', 'bob', 'otto', 'eve'][i % 4]);
  const l = trainLM(names, { hiddenSize: 6, embeddingSize: 4, epochs: 1, batchSize: 16, maxLen: 16 });
  assert.deepEqual(l.metrics, { examples: l.test.sequences, values: { bitsPerChar: l.test.bitsPerChar } });
  const lmPath = join(dir, 'lm.safetensors');
  saveLM(l, lmPath);
  assert.deepEqual(entryOf(lmPath), l.metrics);
  assert.deepEqual(loadLM(lmPath).metrics, l.metrics);

  const rng = new Rng(1);
  const pairs = Array.from({ length: 60 }, () => {
    const w = Array.from({ length: 2 + rng.int(3) }, () => 'abcd'[rng.int(4)]).join('');
    return { source: w, target: [...w].reverse().map((ch) => ch.toUpperCase()) };
  });
  const s = trainSeq2Seq(pairs, { embeddingSize: 4, encoderSize: 6, decoderSize: 6, attentionSize: 4, epochs: 1, batchSize: 16, beam: 2 });
  assert.deepEqual(s.metrics, {
    examples: s.test.pairs,
    values: { wer: s.test.metrics.wer, per: s.test.metrics.per, firstTargetWer: s.test.firstTarget.wer, firstTargetPer: s.test.firstTarget.per },
    settings: { beam: 2 },
  });
  const s2sPath = join(dir, 'seq2seq.safetensors');
  saveSeq2Seq(s, s2sPath);
  assert.deepEqual(loadSeq2Seq(s2sPath).metrics, s.metrics);
  assert.match(info(s2sPath), /\n {2}held-out test: wer [\d.]+, per [\d.]+, firstTargetWer [\d.]+, firstTargetPer [\d.]+ \(\d+ examples; beam 2\)\n/);

  const f = trainForecaster(dailySeries(120), { column: 'value', lookback: 7, horizon: 2, testSize: 14, hiddenSize: 4, headSize: 4, batchSize: 16, epochs: 1 });
  const m = f.test.metrics;
  assert.deepEqual(f.model.metrics, {
    examples: f.test.windows,
    values: { mae: m.mae, rmse: m.rmse, smape: m.smape, mase: m.mase, coverage: f.test.intervals!.coverage, msis: f.test.intervals!.msis },
    settings: { intervalLevel: 0.8 },
  });
  const fPath = join(dir, 'forecast.safetensors');
  saveForecaster(f.model, fPath);
  assert.deepEqual(loadForecaster(fPath).metrics, f.model.metrics);
  assert.match(info(fPath), /held-out test: mae [\d.]+, rmse [\d.]+, smape [\d.]+, mase [\d.]+, coverage [\d.]+, msis [\d.]+ \(13 examples; intervalLevel 0\.8\)/);

  const log = readClicks(fileURLToPath(new URL('./fixtures/recommend/clicks.tsv', import.meta.url)));
  const rec = trainRecommender(log, { embeddingSize: 4, hiddenSize: 5, epochs: 1, batchSize: 2, baselines: [], k: 3 });
  assert.deepEqual(rec.metrics, { examples: rec.test.predictions, values: { 'recall@3': rec.test.model.recall, 'mrr@3': rec.test.model.mrr } });
  const recPath = join(dir, 'rec.safetensors');
  saveRecommender(rec, recPath);
  assert.deepEqual(loadRecommender(recPath).metrics, rec.metrics);
});

test('a global forecaster records the mean over its series and how many there were', () => {
  const a = dailySeries(100, 1),
    b = dailySeries(100, 2);
  const table = { source: 'two', columns: ['series', ...a.columns], rows: [...a.rows.map((r) => ['a', ...r]), ...b.rows.map((r) => ['b', ...r])] };
  const f = trainForecaster(table, { column: 'value', seriesColumn: 'series', lookback: 7, horizon: 2, testSize: 14, hiddenSize: 4, headSize: 4, batchSize: 16, epochs: 1 });
  assert.equal(f.model.metrics!.settings!.series, 2);
  assert.equal(f.model.metrics!.values.mase, f.test.metrics.mase);
  assert.equal(f.model.metrics!.examples, f.test.windows);
});

test('checkpoints carry no metrics (written before the test split is scored); a pruned file drops them', () => {
  const r = trainLM(
    Array.from({ length: 40 }, (_, i) => ['anna', 'bob'][i % 2]),
    { hiddenSize: 6, embeddingSize: 4, epochs: 2, batchSize: 16, maxLen: 16, checkpointPath: join(dir, 'ck.safetensors') },
  );
  assert.equal(readSafetensors(join(dir, 'ck.safetensors')).metadata.metrics, undefined);
  const path = join(dir, 'dense.safetensors');
  saveLM(r, path);
  assert.ok(entryOf(path));
  pruneModelFile(path, join(dir, 'pruned.safetensors'), { density: 0.5 });
  assert.equal(entryOf(join(dir, 'pruned.safetensors')), undefined);
  assert.ok(readModelFile(join(dir, 'pruned.safetensors')).meta.provenance, 'the provenance stays');
  assert.doesNotMatch(info(join(dir, 'pruned.safetensors')), /held-out test/);
});

test('heldOutMetrics leaves out values JSON cannot hold; describeMetrics shows four significant digits', () => {
  assert.deepEqual(heldOutMetrics(5, { mae: 2, mase: Infinity, smape: NaN }), { examples: 5, values: { mae: 2 } });
  assert.deepEqual(heldOutMetrics(5, { a: 1 }, { beam: 3, odd: NaN }), { examples: 5, values: { a: 1 }, settings: { beam: 3 } });
  assert.equal(describeMetrics({ examples: 1234, values: { accuracy: 0.985123, mae: 196.234 }, settings: { beam: 5 } }), 'accuracy 0.9851, mae 196.2 (1,234 examples; beam 5)');
});

test('a tampered metrics entry is refused by the loader, naming the path inside it; gru info shows a file whose entry does not parse without it', () => {
  const r = trainClassifier(labelledTexts(60), { embeddingSize: 4, hiddenSize: 4, epochs: 1, batchSize: 16, minCount: 1, maxLen: 32 });
  const good = join(dir, 'good.safetensors');
  saveClassifier(r, good);
  const f = readSafetensors(good);
  const write = (metrics: string) => {
    const path = join(dir, 'tampered.safetensors');
    writeFileSync(path, serializeSafetensors(f.tensors, { ...f.metadata, metrics }));
    return path;
  };
  const refused = (metrics: unknown, pattern: RegExp) =>
    assert.throws(
      () => loadClassifier(write(JSON.stringify(metrics))),
      (e: unknown) => e instanceof GruError && e.code === 'INVALID_FILE' && pattern.test(e.message),
    );
  refused({ examples: 3, values: { accuracy: 'high' } }, /metadata metrics\.values\.accuracy: expected a finite number, got the string "high"/);
  refused({ examples: -1, values: {} }, /metadata metrics\.examples: expected an integer from 0 to/);
  refused({ examples: 3, values: {}, extra: 1 }, /metadata metrics: unexpected key 'extra'/);
  refused({ examples: 3, values: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i])) }, /metadata metrics\.values: expected at most 64 entries/);
  const unparsable = write('{"examples": 3');
  assert.doesNotMatch(info(unparsable), /held-out test/);
  assert.match(info(unparsable), /task: classify/);
});
