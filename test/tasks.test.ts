// Tiny versions of each task: they finish in seconds and still show learning; resuming equals not stopping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyText,
  generate,
  loadClassifier,
  loadForecaster,
  loadLM,
  saveClassifier,
  saveForecaster,
  saveLM,
  trainClassifier,
  trainForecaster,
  trainLM,
  forecastNext,
  trainSeq2Seq,
  translate,
  saveSeq2Seq,
  loadSeq2Seq,
  editDistance,
  evaluateSeq2Seq,
  Rng,
  Seq2Seq,
} from '../src/index.js';
import { dailySeries, labelledTexts } from './helpers/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'gru-tasks-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const small = { lookback: 14, horizon: 3, testSize: 28, hiddenSize: 12, headSize: 12, batchSize: 16, lr: 1e-2 };

test('forecast: learns a weekly series with a trend, beats seasonal naive, saves and loads', () => {
  const t = dailySeries(240);
  // The GRU alone learns: its training loss falls.
  const gru = trainForecaster(t, { column: 'value', ...small, epochs: 8, patience: 8, highway: false });
  assert.ok(gru.history[gru.history.length - 1].trainLoss < 0.9 * gru.history[0].trainLoss, `train loss ${gru.history.map((h) => h.trainLoss.toFixed(3))}`);
  const r = trainForecaster(t, { column: 'value', ...small, epochs: 8, patience: 8 });
  // Seasonal naive misses a week of trend (0.35) and repeats last week's noise; the model should do clearly better.
  for (const m of [gru, r]) assert.ok(m.test.metrics.mae < 0.8 * m.test.baselines.seasonalNaive.mae, `MAE ${m.test.metrics.mae} vs naive ${m.test.baselines.seasonalNaive.mae}`);
  const path = join(dir, 'f.safetensors');
  saveForecaster(r.model, path);
  const back = loadForecaster(path);
  assert.deepEqual(forecastNext(back, t).values, forecastNext(r.model, t).values);
  assert.equal(forecastNext(back, t).dates!.length, 3);
});

test('forecast on a Holt-Winters base: saved with its parameters, reloaded to the same forecasts, refuses a history that starts elsewhere', () => {
  const t = dailySeries(240);
  const r = trainForecaster(t, { column: 'value', ...small, epochs: 2, base: 'holtWinters' });
  const hw = r.model.config.base;
  assert.equal(hw?.method, 'holtWinters');
  const path = join(dir, 'hw.safetensors');
  saveForecaster(r.model, path);
  const back = loadForecaster(path);
  assert.deepEqual(back.config.base, hw);
  assert.deepEqual(forecastNext(back, t).values, forecastNext(r.model, t).values);
  const later = { ...t, rows: t.rows.slice(30) };
  assert.throws(() => forecastNext(back, later), /Holt-Winters base filters the series from its first row \(\d{4}-\d{2}-\d{2}\); give the whole history from there/);
});

test('forecast: a resumed run gives the same losses as an uninterrupted one', () => {
  const t = dailySeries(200, 3);
  const whole = trainForecaster(t, { column: 'value', ...small, epochs: 4, patience: 10 });
  const ckpt = join(dir, 'resume.ckpt.safetensors');
  trainForecaster(t, { column: 'value', ...small, epochs: 2, patience: 10, checkpointPath: ckpt });
  const resumed = trainForecaster(t, { column: 'value', ...small, epochs: 4, patience: 10, checkpointPath: ckpt, resume: true });
  assert.deepEqual(
    resumed.history.map((h) => h.trainLoss),
    whole.history.map((h) => h.trainLoss),
  );
  assert.deepEqual(
    resumed.history.map((h) => h.valLoss),
    whole.history.map((h) => h.valLoss),
  );
});

test('classify: separates two word sets perfectly, saves and loads', () => {
  const r = trainClassifier(labelledTexts(240), { embeddingSize: 8, hiddenSize: 8, epochs: 6, batchSize: 16, lr: 1e-2, minCount: 1 });
  assert.ok(r.history[r.history.length - 1].trainLoss < 0.3 * r.history[0].trainLoss, `train loss ${r.history.map((h) => h.trainLoss.toFixed(3))}`);
  assert.ok(r.test.metrics.accuracy >= 0.95, `accuracy ${r.test.metrics.accuracy}`);
  const path = join(dir, 'c.safetensors');
  saveClassifier(r, path);
  const back = loadClassifier(path);
  assert.equal(classifyText(back, 'the food was superb').label, 'pos');
  assert.equal(classifyText(back, 'a grim day').label, 'neg');
  assert.throws(() => classifyText(back, '   '), /empty string/);
});

test('classify with attention pooling learns too', () => {
  const r = trainClassifier(labelledTexts(240, 5), { embeddingSize: 8, hiddenSize: 8, epochs: 6, batchSize: 16, lr: 1e-2, minCount: 1, pooling: 'attention' });
  assert.ok(r.test.metrics.accuracy >= 0.95, `accuracy ${r.test.metrics.accuracy}`);
  assert.ok(r.model.pool !== null);
});

test('lm: fits a tiny set of names far below the uniform bits per character, samples from it', () => {
  const names = Array.from({ length: 200 }, (_, i) => ['anna', 'bob', 'otto', 'eve'][i % 4]);
  const r = trainLM(names, { hiddenSize: 24, embeddingSize: 8, epochs: 6, lr: 2e-2, batchSize: 16 });
  const uniform = Math.log2(r.tokenizer.size);
  assert.ok(r.test.bitsPerChar < 0.4 * uniform, `bits/char ${r.test.bitsPerChar} vs uniform ${uniform}`);
  const path = join(dir, 'l.safetensors');
  saveLM(r, path);
  const back = loadLM(path);
  const samples = generate(back, { count: 20, temperature: 0.5, seed: 3 });
  assert.ok(samples.filter((s) => ['anna', 'bob', 'otto', 'eve'].includes(s)).length >= 15, samples.join(','));
  assert.deepEqual(generate(back, { count: 3, seed: 9 }), generate(back, { count: 3, seed: 9 }));
  assert.throws(() => generate(back, { prefix: 'z' }), /character 'z' never occurred/);
});

test('seq2seq with attention learns to reverse words (both attention forms), beam search, save and load', () => {
  const rng = new Rng(1);
  const pairs = Array.from({ length: 600 }, () => {
    const w = Array.from({ length: 2 + rng.int(4) }, () => 'abcdef'[rng.int(6)]).join('');
    return { source: w, target: [...w].reverse().map((c) => c.toUpperCase()) };
  });
  for (const attention of ['bahdanau', 'luong'] as const) {
    // Luong's dot scores train less smoothly at a high rate.
    const lr = attention === 'bahdanau' ? 1e-2 : 5e-3;
    const r = trainSeq2Seq(pairs, { attention, embeddingSize: 16, encoderSize: 24, decoderSize: 24, attentionSize: 16, epochs: 15, batchSize: 16, lr, patience: 20 });
    assert.ok(r.test.metrics.wer <= 0.1, `${attention}: WER ${r.test.metrics.wer}`);
    const t = translate(r, 'fedcb', { beam: 3 });
    assert.deepEqual(t.output, ['B', 'C', 'D', 'E', 'F']);
    assert.equal(t.attention.length, 6, 'one row per output step, <eos> included');
    for (const row of t.attention) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.throws(() => translate(r, 'xyz'), /unknown source symbols 'x', 'y', 'z'/);
    if (attention === 'bahdanau') {
      const path = join(dir, 's.safetensors');
      saveSeq2Seq(r, path);
      assert.deepEqual(translate(loadSeq2Seq(path), 'abcf').output, translate(r, 'abcf').output);
      // Scoring against alternatives: right if the output equals any; PER against the closest.
      const out = translate(r, 'fedcb').output; // B C D E F
      const ev = evaluateSeq2Seq(
        r,
        [
          { source: 'fedcb', target: ['X', 'C', 'D', 'E', 'F'], alternatives: [['B', 'C', 'D', 'E', 'F', 'G', 'H'], out] },
          { source: 'fedcb', target: ['B', 'C', 'D', 'E'], alternatives: [['Q']] },
        ],
        1,
        'all',
      );
      assert.equal(ev.metrics.wer, 0.5); // the first matches an alternative, the second nothing
      assert.equal(ev.metrics.per, (0 + 1) / (5 + 4));
      assert.equal(ev.firstTarget.wer, 1);
      assert.equal(ev.firstTarget.per, (1 + 1) / (5 + 4));
    }
  }
  assert.equal(editDistance(['a', 'b', 'c'], ['a', 'c']), 1);
  assert.equal(editDistance([], ['a', 'b']), 2);
});

test('seq2seq with a stacked encoder (2 bidirectional layers, dropout between them) learns, saves and loads', () => {
  const rng = new Rng(2);
  const pairs = Array.from({ length: 600 }, () => {
    const w = Array.from({ length: 2 + rng.int(4) }, () => 'abcdef'[rng.int(6)]).join('');
    return { source: w, target: [...w].reverse().map((c) => c.toUpperCase()) };
  });
  const r = trainSeq2Seq(pairs, { embeddingSize: 16, encoderSize: 24, encoderLayers: 2, decoderSize: 24, attentionSize: 16, dropout: 0.1, epochs: 15, batchSize: 16, lr: 1e-2, patience: 20 });
  assert.equal(r.model.encoder.numLayers, 2);
  assert.ok(r.test.metrics.wer <= 0.1, `WER ${r.test.metrics.wer}`);
  const path = join(dir, 's2.safetensors');
  saveSeq2Seq(r, path);
  const back = loadSeq2Seq(path);
  assert.equal(back.model.encoder.numLayers, 2);
  assert.deepEqual(translate(back, 'abcfe', { beam: 3 }).output, translate(r, 'abcfe', { beam: 3 }).output);
  assert.throws(() => new Seq2Seq({ ...r.model.config, encoderLayers: 0 }, 8, 8), /encoderLayers must be a positive integer, got 0/);
});

test('classifier embedding dropout acts in training only, and bad rates are errors', async () => {
  const { Classifier, makeTextBatch } = await import('../src/index.js');
  const config = { labels: ['a', 'b'], tokenizer: 'word' as const, maxLen: 8, embeddingSize: 6, hiddenSize: 5, numLayers: 1, bidirectional: true, dropout: 0, pooling: 'attention' as const, embeddingDropout: 0.5 };
  const model = new Classifier(config, 12, 1);
  const batch = makeTextBatch(
    [
      [1, 2, 3, 4],
      [5, 6, 7],
    ],
    [0, 1],
  );
  model.train();
  const a = model.forward(batch).data.slice(),
    b = model.forward(batch).data.slice();
  assert.notDeepEqual(Array.from(a), Array.from(b), 'two training passes should drop different embeddings');
  model.eval();
  assert.deepEqual(Array.from(model.forward(batch).data), Array.from(model.forward(batch).data));
  assert.throws(() => new Classifier({ ...config, embeddingDropout: 1 }, 12), /embeddingDropout must be in \[0, 1\), got 1/);
});

test('cmudict: one pair per word, stress removed, other pronunciations kept as alternatives', async () => {
  const { cmudictPairs } = await import('../src/index.js');
  const pairs = cmudictPairs();
  assert.ok(pairs.length > 120000, `${pairs.length} words`);
  const words = new Set(pairs.map((p) => p.source));
  assert.equal(words.size, pairs.length, 'no word twice');
  const a = pairs.find((p) => p.source === 'a')!;
  assert.deepEqual(a.target, ['AH']);
  assert.deepEqual(a.alternatives, [['EY']]);
  assert.ok(
    pairs.every((p) => p.target.every((ph) => /^[A-Z]+$/.test(ph))),
    'no stress digits',
  );
  const withAlternatives = pairs.filter((p) => p.alternatives).length;
  assert.ok(withAlternatives > 5000 && withAlternatives < 12000, `${withAlternatives} words with alternatives`);
});
