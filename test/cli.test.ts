// The `gru` command on bad input (one clear line, exit ≠ 0), JSON output, and an interrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, serializeSafetensors, Tensor } from '../src/index.js';
import { dailySeries, labelledTexts } from './helpers/synthetic.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gru-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function gru(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function csv(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const toCsv = (t: { columns: string[]; rows: string[][] }) => [t.columns.join(','), ...t.rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','))].join('\n');
const series = csv('series.csv', toCsv(dailySeries(200)));
const texts = csv('texts.csv', toCsv(labelledTexts(120)));
const fast = ['--epochs', '2', '--hidden', '8', '--lookback', '14', '--horizon', '3', '--test-size', '28'];

function oneLineError(r: { code: number | null; err: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.match(r.err, pattern);
  assert.equal(r.err.trim().split('\n').length, 1, `one line, no stack: ${r.err}`);
}

test('forecast CSV problems: missing column, non-numeric cell, gap, too few rows, malformed file', () => {
  oneLineError(gru('train', 'forecast', '--data', series, '--column', 'sales', ...fast), /no column 'sales'; the columns are: date, value/);
  const bad = csv('bad.csv', 'date,value\n2020-01-01,1\n2020-01-02,abc\n');
  oneLineError(gru('train', 'forecast', '--data', bad, '--column', 'value'), /column 'value' must be numeric, got 'abc' at data row 2/);
  const gap = csv('gap.csv', 'date,value\n2020-01-01,1\n2020-01-02,\n');
  oneLineError(gru('train', 'forecast', '--data', gap, '--column', 'value'), /column 'value' has 1 empty cell \(data row 2\); fill them with --fill linear or --fill previous/);
  const short = csv('short.csv', toCsv(dailySeries(60)));
  oneLineError(gru('train', 'forecast', '--data', short, '--column', 'value', ...fast), /too few rows for the window: 60 rows/);
  const ragged = csv('ragged.csv', 'date,value\n2020-01-01,1,7\n');
  oneLineError(gru('train', 'forecast', '--data', ragged, '--column', 'value'), /malformed CSV/);
  oneLineError(gru('train', 'forecast', '--data', join(dir, 'nope.csv'), '--column', 'value'), /cannot read data .*nope\.csv.*ENOENT/);
});

test('unknown flags and bad option values exit non-zero', () => {
  const r = gru('train', 'forecast', '--data', series, '--column', 'value', '--bogus');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /unknown option '--bogus'/);
  const v = gru('train', 'forecast', '--data', series, '--column', 'value', '--epochs', '-3');
  assert.notEqual(v.code, 0);
  assert.match(v.err, /expected a positive integer, got '-3'/);
  const m = gru('train', 'classify', '--data', series, '--monitor', 'f1');
  assert.notEqual(m.code, 0);
  assert.match(m.err, /--monitor <metric>' argument 'f1' is invalid\. expected one of accuracy, macroF1/);
  const a = gru('train', 'classify', '--data', series, '--average', '1.5');
  assert.notEqual(a.code, 0);
  assert.match(a.err, /expected a decay between 0 and 1 \(exclusive\), got '1\.5'/);
});

test('train, eval --json, predict, info for forecast; model of another task and newer format are refused', () => {
  const model = join(dir, 'f.safetensors');
  const t = gru('train', 'forecast', '--data', series, '--column', 'value', ...fast, '--out', model);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /MAE +RMSE +sMAPE +MASE\n +GRU .*\n +seasonal naive .*\n +linear AR .*\n +Holt-Winters .*\n +GRU: [\d.]+% (better|worse) than the best baseline/);
  assert.ok(existsSync(join(dir, 'f.loss.svg')) && existsSync(join(dir, 'f.forecast.svg')));
  const e = gru('eval', model, '--data', series, '--json');
  assert.equal(e.code, 0, e.err);
  const j = JSON.parse(e.out);
  assert.equal(j.task, 'forecast');
  assert.equal(j.split, 'test');
  assert.ok(j.metrics.mae > 0 && j.metrics.rmse >= j.metrics.mae && j.metrics.mase > 0);
  assert.deepEqual(Object.keys(j.baselines), ['seasonalNaive', 'linearAR', 'holtWinters']);
  const best = Object.entries(j.baselines as Record<string, { mae: number }>).reduce((a, b) => (b[1].mae < a[1].mae ? b : a));
  assert.equal(j.best.baseline, best[0]);
  assert.ok(Math.abs(j.best.maeRatio - j.metrics.mae / best[1].mae) < 1e-12);
  assert.equal(j.windows, 28 - 3 + 1, 'the windows whose targets lie in the final 28 rows');
  const all = JSON.parse(gru('eval', model, '--split', 'all', '--json').out);
  assert.equal(all.split, 'all');
  assert.equal(all.windows, 200 - 14 - 3 + 1, 'every complete window');
  assert.deepEqual(Object.keys(all.baselines), ['seasonalNaive'], 'fitted baselines would be scored on their own fitting rows');
  const p = gru('predict', model, '--input', series, '--json');
  assert.equal(JSON.parse(p.out).values.length, 3);
  assert.match(gru('info', model).out, /task: forecast/);
  oneLineError(gru('predict', model, '--text', 'hello'), /a forecast model needs --input FILE/);

  const file = parseSafetensors(readFileSync(model));
  const newer = join(dir, 'newer.safetensors');
  writeFileSync(newer, serializeSafetensors(file.tensors, { ...file.metadata, formatVersion: '99' }));
  oneLineError(gru('eval', newer, '--data', series), /model format version 99 is newer than this gru-ts reads/);
  const raw = join(dir, 'raw.safetensors');
  writeFileSync(raw, serializeSafetensors({ w: Tensor.zeros([2]) }));
  oneLineError(gru('predict', raw, '--text', 'x'), /not a gru-ts model file/);
});

test('classify: empty text, and a label the model never saw', () => {
  const empty = csv('empty.csv', 'text,label\nhello,a\n"  ",b\n');
  oneLineError(gru('train', 'classify', '--data', empty), /empty text at data row 2/);
  const model = join(dir, 'c.safetensors');
  const t = gru('train', 'classify', '--data', texts, '--epochs', '2', '--hidden', '8', '--embedding', '8', '--out', model);
  assert.equal(t.code, 0, t.err);
  const other = csv('other.csv', 'text,label\ngood day,pos\nodd day,neutral\n');
  oneLineError(gru('eval', model, '--data', other), /label 'neutral' is not one the model knows \(neg, pos\)/);
  const p = gru('predict', model, '--text', 'a great film', '--json');
  // The label is the most probable class, and the probabilities are a distribution over the model's labels.
  const { label, probabilities } = JSON.parse(p.out) as { label: string; probabilities: Record<string, number> };
  assert.deepEqual(Object.keys(probabilities).sort(), ['neg', 'pos']);
  assert.ok(Math.abs(probabilities.neg + probabilities.pos - 1) < 1e-6, `probabilities ${JSON.stringify(probabilities)}`);
  assert.equal(label, probabilities.pos > probabilities.neg ? 'pos' : 'neg');
});

test('eval scores the held-out test split of the training data, every row of other data, and says which', () => {
  const model = join(dir, 'split.safetensors');
  const t = gru('train', 'classify', '--data', texts, '--epochs', '1', '--hidden', '8', '--embedding', '8', '--seed', '3', '--out', model, '--json');
  assert.equal(t.code, 0, t.err);
  const trained = JSON.parse(t.out.trim().split('\n').pop()!);
  const json = (...args: string[]) => {
    const r = gru('eval', model, ...args, '--json');
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out);
  };
  // Without --data: the training data the model file names; without --split: its test rows, the same ones training scored.
  const test = json();
  assert.equal(test.split, 'test');
  assert.equal(test.examples, 24, 'a stratified 20% of 120 rows');
  assert.deepEqual(test.metrics, trained.metrics);
  assert.deepEqual(json('--data', texts), test);
  const all = json('--data', texts, '--split', 'all');
  assert.equal(all.split, 'all');
  assert.equal(all.examples, 120);
  // Any other data is scored whole; it has no test split to ask for.
  const rows = labelledTexts(120);
  rows.rows[0][0] += ' changed';
  const edited = csv('edited.csv', toCsv(rows));
  const e = json('--data', edited);
  assert.equal(e.split, 'all');
  assert.equal(e.examples, 120);
  oneLineError(gru('eval', model, '--data', edited, '--split', 'test'), /edited\.csv is not the data the model was trained on \(.*texts\.csv, 120 rows; the rows differ\), so it has no test split; pass --split all/);
  oneLineError(gru('eval', model, '--split', 'some'), /--split <which>' argument 'some' is invalid\. expected one of test, all/);
  // A model file that records no split (an older release's) is not scored on unknown rows by default.
  const file = parseSafetensors(readFileSync(model));
  const { data: _, ...older } = file.metadata;
  const old = join(dir, 'older.safetensors');
  writeFileSync(old, serializeSafetensors(file.tensors, older));
  oneLineError(gru('eval', old, '--data', texts), /does not record how its training data was split, so its test rows are unknown; pass --split all/);
  assert.equal(gru('eval', old, '--data', texts, '--split', 'all').code, 0);
});

test('a training run killed mid-way leaves a checkpoint that loads, and --resume continues it from there to the uninterrupted losses', async () => {
  const model = join(dir, 'k.safetensors');
  const ckpt = join(dir, 'k.ckpt.safetensors');
  const child = spawn(process.execPath, [cli, 'train', 'forecast', '--data', series, '--column', 'value', ...fast.slice(2), '--epochs', '400', '--patience', '400', '--out', model], { cwd: dir, stdio: 'ignore' });
  const t0 = Date.now();
  while (!existsSync(ckpt) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  assert.ok(existsSync(ckpt), 'a checkpoint was written before the kill');
  const before = parseSafetensors(readFileSync(ckpt));
  const state = JSON.parse(before.metadata.checkpoint);
  const k = state.epoch;
  assert.ok(k >= 0 && k < 399, `checkpoint at epoch ${k}`);
  assert.deepEqual(
    state.history.map((h: { epoch: number }) => h.epoch),
    [...Array(k + 1).keys()],
    'the checkpoint holds every epoch up to its own',
  );
  assert.ok(!existsSync(model), 'the model file is written only when training ends');

  const epochs = String(k + 3);
  const r = gru('train', 'forecast', '--data', series, '--column', 'value', ...fast.slice(2), '--epochs', epochs, '--patience', '400', '--out', model, '--resume');
  assert.equal(r.code, 0, r.err);
  assert.ok(r.err.includes(`resuming from ${ckpt} after epoch ${k + 1}`), r.err);
  // Only the epochs after the checkpoint's were trained (a run ignoring --resume would print epoch 1 onwards).
  const trained = [...r.err.matchAll(/^epoch (\d+):/gm)].map((m) => Number(m[1]));
  assert.deepEqual(trained, [k + 2, k + 3]);
  const after = JSON.parse(parseSafetensors(readFileSync(ckpt)).metadata.checkpoint);
  assert.equal(after.history.length, k + 3);
  assert.deepEqual(after.history.slice(0, k + 1), state.history, 'the epochs before the kill are kept as they were');
  // The resumed run's losses are those of a run never interrupted.
  const whole = join(dir, 'whole.safetensors');
  const u = gru('train', 'forecast', '--data', series, '--column', 'value', ...fast.slice(2), '--epochs', epochs, '--patience', '400', '--out', whole);
  assert.equal(u.code, 0, u.err);
  const reference = JSON.parse(parseSafetensors(readFileSync(join(dir, 'whole.ckpt.safetensors'))).metadata.checkpoint).history;
  const losses = (h: { trainLoss: number; valLoss: number; lr: number }[]) => h.map((e) => [e.trainLoss, e.valLoss, e.lr]);
  assert.deepEqual(losses(after.history), losses(reference));
  assert.deepEqual(parseSafetensors(readFileSync(model)).tensors, parseSafetensors(readFileSync(whole)).tensors, 'the same final model');
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('k.') && (f.includes('.tmp-') || f.endsWith('.lock'))),
    [],
    'no temporary or lock file left',
  );
});

test('seq2seq from a TSV: train with --layers, --dropout and --average, --json metrics (closest and first target), predict, eval', () => {
  const words = Array.from({ length: 150 }, (_, i) => 'abcdef'.slice(i % 3, 3 + (i % 4)) + 'fed'[i % 3]);
  const tsv = join(dir, 'pairs.tsv');
  writeFileSync(tsv, words.map((w) => `${w}\t${[...w].reverse().join(' ').toUpperCase()}`).join('\n'));
  const model = join(dir, 'g2p.safetensors');
  const t = gru('train', 'seq2seq', '--data', tsv, '--epochs', '2', '--hidden', '8', '--embedding', '8', '--layers', '2', '--dropout', '0.1', '--average', '0.99', '--out', model, '--json');
  assert.equal(t.code, 0, t.err);
  const r = JSON.parse(t.out.trim().split('\n').pop()!);
  assert.equal(r.task, 'seq2seq');
  for (const k of ['wer', 'per']) {
    assert.ok(r.metrics[k] >= 0 && Number.isFinite(r.metrics[k]), `metrics.${k} ${r.metrics[k]}`);
    assert.ok(r.firstTarget[k] >= r.metrics[k], `first-target ${k} is never below the closest-target ${k}`);
  }
  const p = gru('predict', model, '--text', 'abcd');
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /^[A-Z ]*$/m);
  // Many at once: one source a line, one result a line, the same as one at a time.
  writeFileSync(join(dir, 'sources.txt'), 'abcd\n\nbcde\ncdef\n');
  const many = gru('predict', model, '--input', join(dir, 'sources.txt'), '--json');
  assert.equal(many.code, 0, many.err);
  const rows = many.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { input: string; output: string[] });
  assert.deepEqual(
    rows.map((x) => x.input),
    ['abcd', 'bcde', 'cdef'],
  );
  assert.equal(rows[0].output.join(' '), p.out.trim());
  const info = gru('info', model);
  assert.match(info.out, /"?encoderLayers"?: ?2/);
  const e = gru('eval', model, '--data', tsv, '--json');
  assert.equal(e.code, 0, e.err);
  const ev = JSON.parse(e.out);
  assert.equal(ev.split, 'test');
  assert.equal(ev.pairs, r.pairs, 'the same held-out pairs as training scored');
  assert.deepEqual(ev.metrics, r.metrics);
});
