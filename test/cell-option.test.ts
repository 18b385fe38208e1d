// --cell in every task that has a recurrent layer: forecast, classify, lm and recommend train with the attention
// GRU (library and seed-003 forms, windowed and local-p), save the cell in the model file and load it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AttentionGRUStack,
  classifyText,
  forecastNext,
  generate,
  loadClassifier,
  loadForecaster,
  loadLM,
  loadRecommender,
  readModelFile,
  recommendNext,
  saveClassifier,
  saveForecaster,
  saveLM,
  saveRecommender,
  sessionBlocks,
  SessionRecommender,
  simulateClicks,
  trainClassifier,
  trainForecaster,
  trainLM,
  trainRecommender,
  type Sessions,
} from '../src/index.js';
import { dailySeries, labelledTexts } from './helpers/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'gru-cell-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const cellOf = (path: string) => (readModelFile(path).meta.config as { cell?: unknown }).cell;

test('forecast with --cell attention-gru (window 7): the recurrent part learns; the file keeps the cell; reloaded forecasts are equal', () => {
  const t = dailySeries(240);
  const r = trainForecaster(t, { column: 'value', lookback: 14, horizon: 3, testSize: 28, hiddenSize: 12, headSize: 12, batchSize: 16, lr: 1e-2, epochs: 6, patience: 6, highway: false, cell: { kind: 'attention-gru', window: 7 } });
  assert.ok(r.model.gru instanceof AttentionGRUStack);
  assert.ok(r.history[r.history.length - 1].trainLoss < 0.9 * r.history[0].trainLoss, `train loss ${r.history.map((h) => h.trainLoss.toFixed(3))}`);
  const path = join(dir, 'f.safetensors');
  saveForecaster(r.model, path);
  assert.deepEqual(cellOf(path), { kind: 'attention-gru', window: 7 });
  assert.deepEqual(forecastNext(loadForecaster(path), t).values, forecastNext(r.model, t).values);
});

test('classify with --cell seed-003 (bidirectional, packed lengths) separates two word sets; saves and loads', () => {
  const r = trainClassifier(labelledTexts(240), { embeddingSize: 8, hiddenSize: 8, epochs: 6, batchSize: 16, lr: 1e-2, minCount: 1, cell: { kind: 'seed-003' } });
  assert.ok(r.test.metrics.accuracy >= 0.95, `accuracy ${r.test.metrics.accuracy}`);
  const path = join(dir, 'c.safetensors');
  saveClassifier(r, path);
  assert.deepEqual(cellOf(path), { kind: 'seed-003' });
  const back = loadClassifier(path);
  for (const text of ['the food was superb', 'a grim day']) assert.deepEqual(classifyText(back, text), classifyText(r, text));
});

test('lm with --cell attention-gru (local-p D 2) fits names; samples by rerunning the prefix; saves and loads', () => {
  const names = Array.from({ length: 200 }, (_, i) => ['anna', 'bob', 'otto', 'eve'][i % 4]);
  const r = trainLM(names, { hiddenSize: 24, embeddingSize: 8, epochs: 6, lr: 2e-2, batchSize: 16, cell: { kind: 'attention-gru', local: 2 } });
  const uniform = Math.log2(r.tokenizer.size);
  assert.ok(r.test.bitsPerChar < 0.5 * uniform, `bits/char ${r.test.bitsPerChar} vs uniform ${uniform}`);
  const samples = generate(r, { count: 20, temperature: 0.5, seed: 3 });
  assert.ok(samples.filter((s) => ['anna', 'bob', 'otto', 'eve'].includes(s)).length >= 12, samples.join(','));
  const path = join(dir, 'l.safetensors');
  saveLM(r, path);
  assert.deepEqual(cellOf(path), { kind: 'attention-gru', local: 2 });
  assert.deepEqual(generate(loadLM(path), { count: 5, seed: 9 }), generate(r, { count: 5, seed: 9 }));
});

test("recommend with --cell attention-gru reads whole sessions: each slot's states equal its session run alone; it learns the simulated log", () => {
  const sessions: Sessions = { keys: ['a', 'b', 'c'], offsets: Int32Array.from([0, 3, 5, 9]), items: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), times: new Float64Array(9) };
  const config = { items: 10, embeddingSize: 4, hiddenSize: 5, numLayers: 2, dropout: 0, loss: 'cross-entropy' as const, nSample: 0, sampleAlpha: 0.75, logQ: 1, bpreg: 1, cell: { kind: 'attention-gru' as const } };
  const model = new SessionRecommender(config, 1);
  const [block] = sessionBlocks(sessions, [0, 1, 2], 3, 1);
  const states = model.forwardBlock(block).data;
  const alone = model.sessionStates([
    [1, 2, 3],
    [4, 5],
    [6, 7, 8, 9],
  ]);
  const rows = [
    [0, 0],
    [1, 0],
    [2, 0],
    [0, 1],
    [1, 1],
    [0, 2],
    [1, 2],
    [2, 2],
    [3, 2],
  ]; // (step, slot) of each click, sessions in order
  rows.forEach(([t, b], n) => {
    for (let h = 0; h < 5; h++) assert.ok(Math.abs(states[(t * 3 + b) * 5 + h] - alone[n * 5 + h]) < 1e-6, `click ${n}`);
  });
  assert.throws(() => new SessionRecommender({ ...config, embeddingSize: 0 }), /embeddingSize 0 \(one-hot items, the sparse path\) runs the GRU cell only/);

  const log = simulateClicks({ sessions: 2500, items: 120, days: 20, seed: 3 });
  const r = trainRecommender(log, { nSample: 24, embeddingSize: 16, hiddenSize: 32, epochs: 4, batchSize: 16, lr: 5e-3, baselines: ['popularity'], cell: { kind: 'attention-gru' } });
  const pop = r.test.baselines.popularity!;
  assert.ok(r.test.model.recall > pop.recall + 0.2, `Recall@20 ${r.test.model.recall} vs popularity ${pop.recall}`);
  const path = join(dir, 'r.safetensors');
  saveRecommender(r, path);
  assert.deepEqual(cellOf(path), { kind: 'attention-gru' });
  const items = r.items.slice(0, 3);
  assert.deepEqual(recommendNext(loadRecommender(path), items), recommendNext(r, items));
});

test('gru train --cell: recorded and shown by gru info; a window for the GRU cell and an unknown cell are refused', () => {
  const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
  const data = join(dir, 'names.txt');
  writeFileSync(data, Array.from({ length: 60 }, (_, i) => ['anna', 'bob', 'otto'][i % 3]).join('\n'));
  const out = join(dir, 'cli-lm.safetensors');
  const r = run('train', 'lm', '--data', data, '--cell', 'seed-003', '--window', '4', '--epochs', '1', '--hidden', '8', '--samples', '1', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(cellOf(out), { kind: 'seed-003', window: 4 });
  const info = run('info', out).stdout;
  assert.match(info, /seed-003/);
  // Provenance: the release, the time and the command line that made the file.
  assert.match(info, new RegExp(`made by: gru-ts \\d+\\.\\d+\\.\\d+, \\d{4}-\\d\\d-\\d\\dT[^,]+, gru train lm --data ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --cell seed-003 --window 4`));
  const made = readModelFile(out).meta.provenance as { gruTs: string; command: string[]; options: Record<string, unknown> };
  assert.deepEqual(made.command.slice(0, 4), ['gru', 'train', 'lm', '--data']);
  // …and every training option as it took effect: the seed the trainer used though none was given, defaults too.
  assert.equal(made.options.seed, 0);
  assert.equal(made.options.hidden, 8);
  assert.equal(made.options.cell, 'seed-003');
  assert.match(info, /training options: .*cell=seed-003.* seed=0/);
  const bad = run('train', 'lm', '--data', data, '--cell', 'gru', '--window', '4', '--out', join(dir, 'x.safetensors'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /window and local apply to the attention cells/);
  const unknown = run('train', 'lm', '--data', data, '--cell', 'lstm', '--out', join(dir, 'y.safetensors'));
  assert.match(unknown.stderr, /expected one of gru, attention-gru, seed-003, got 'lstm'/);
});
