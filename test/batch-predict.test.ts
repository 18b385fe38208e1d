// `gru predict MODEL --input FILE|-` for the tasks beyond classify and
// seq2seq (cli.test.ts, classify-frames.test.ts): a language model continues
// many prefixes, one result a line, each equal to the same prefix alone; a
// recommender reads many sessions; a classifier trained on other column
// names is scored and run on the same kind of file with no flags (the model
// file keeps the names); `gru info` shows the training run's held-out scores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labelledTexts } from './helpers/synthetic.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gru-batch-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function gru(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir, input });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ok(args: string[], input?: string): string {
  const r = gru(args, input);
  assert.equal(r.code, 0, `gru ${args.join(' ')}: ${r.err}`);
  return r.out;
}

function oneLineError(args: string[], pattern: RegExp, input?: string): void {
  const r = gru(args, input);
  assert.notEqual(r.code, 0);
  assert.match(r.err, pattern);
  assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const jsonLines = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('lm: --input prefixes (text, JSONL, CSV, stdin) give one line each, equal to --text alone; gru info shows bits per character', () => {
  const names = file('names.txt', Array.from({ length: 80 }, (_, i) => ['anna', 'bob', 'otto', 'eve', 'ada lee'][i % 5]).join('\n'));
  const model = join(dir, 'names.safetensors');
  const trained = jsonLines(ok(['train', 'lm', '--data', names, '--epochs', '1', '--hidden', '8', '--embedding', '4', '--samples', '1', '--out', model, '--json'])).pop();
  const bpc = trained.metrics.bitsPerChar as number;
  assert.match(ok(['info', model]), new RegExp(`\\n {2}held-out test: bitsPerChar ${Number(bpc.toPrecision(4))} \\(${trained.sequences} examples\\)\\n`));

  const sampling = ['--count', '2', '--seed', '5', '--temperature', '0.9', '--top-k', '3', '--steps', '6'];
  const alone = (prefix: string) => JSON.parse(ok(['predict', model, '--text', prefix, '--json', ...sampling])).samples as string[];
  const want = ['an', 'bo', 'ada '].map((p) => ({ task: 'lm', input: p, samples: alone(p) }));
  for (const s of want.flatMap((w) => w.samples)) assert.ok(s.length <= 6, `at most --steps characters, the prefix's included: ${s}`);

  // One prefix a line; blank lines skipped, a trailing space kept.
  const txt = file('prompts.txt', 'an\n\nbo\r\nada \n');
  assert.deepEqual(jsonLines(ok(['predict', model, '--input', txt, '--json', ...sampling])), want);
  const jsonl = file('prompts.jsonl', want.map((w) => JSON.stringify({ id: w.input.length, text: w.input })).join('\n'));
  assert.deepEqual(jsonLines(ok(['predict', model, '--input', jsonl, '--json', ...sampling])), want);
  const csv = file('prompts.csv', 'id,text\n1,an\n2,bo\n');
  assert.deepEqual(jsonLines(ok(['predict', model, '--input', csv, '--json', ...sampling])), want.slice(0, 2));
  assert.deepEqual(jsonLines(ok(['predict', model, '--input', '-', '--json', ...sampling], 'an\nbo\nada \n')), want);
  assert.deepEqual(jsonLines(ok(['predict', model, '--input', '-', '--json', ...sampling], '{"text":"an"}\n{"text":"bo"}\n')), want.slice(0, 2));
  // Without --json: the samples, --count of them per prefix, in order.
  assert.deepEqual(
    ok(['predict', model, '--input', txt, ...sampling])
      .trimEnd()
      .split('\n'),
    want.flatMap((w) => w.samples),
  );

  oneLineError(['predict', model, '--input', file('bad.txt', 'an\na#\n')], /bad\.txt: line 2: character '#' never occurred in the training text/);
  oneLineError(['predict', model, '--input', file('bad.jsonl', '{"text":"an"}\n{"prompt":"bo"}\n')], /bad\.jsonl: line 2: expected a string 'text' field \(the prefix\), got no such field/);
  oneLineError(['predict', model, '--input', txt, '--text', 'an'], /give --text \(one prefix\) or --input \(many\), not both/);
});

test('recommend: --input reads sessions as --sessions does, one JSON result a line', () => {
  const clicks = fileURLToPath(new URL('./fixtures/recommend/clicks.tsv', import.meta.url));
  const model = join(dir, 'rec.safetensors');
  ok(['train', 'recommend', '--data', clicks, '--epochs', '1', '--hidden', '5', '--embedding', '4', '--batch-size', '2', '--baselines', 'none', '--out', model]);
  const sessions = file('sessions.txt', 'a,b\n\nd\nc,nope\n');
  const viaInput = jsonLines(ok(['predict', model, '--input', sessions, '--json', '--k', '2']));
  assert.deepEqual(
    viaInput.map((r) => r.after),
    [['a', 'b'], ['d'], ['c', 'nope']],
  );
  assert.deepEqual(viaInput[2].ignored, ['nope']);
  assert.ok(viaInput.every((r) => r.next.length === 2));
  assert.deepEqual(viaInput, jsonLines(ok(['predict', model, '--sessions', sessions, '--json', '--k', '2'])));
  assert.deepEqual(viaInput, jsonLines(ok(['predict', model, '--input', '-', '--json', '--k', '2'], 'a,b\nd\nc,nope\n')));
  assert.match(ok(['info', model]), /held-out test: recall@20 [\d.]+, mrr@20 [\d.]+ \(\d+ examples\)/);
  oneLineError(['predict', model, '--input', sessions, '--sessions', sessions], /--input and --sessions are the same option: give one/);
});

test('classify trained on other column names: eval and predict on the same kind of file need no flags', () => {
  const t = labelledTexts(120);
  const rows = t.rows.map(([text, label], i) => `${i},"${text}",${label}`);
  const data = file('reviews.csv', ['id,body,sentiment', ...rows].join('\n'));
  const model = join(dir, 'reviews.safetensors');
  ok(['train', 'classify', '--data', data, '--text-column', 'body', '--label-column', 'sentiment', '--epochs', '1', '--hidden', '8', '--embedding', '8', '--out', model]);
  const recorded = JSON.parse(ok(['eval', model, '--json']));
  assert.equal(recorded.split, 'test');
  assert.deepEqual(JSON.parse(ok(['eval', model, '--data', data, '--json'])), recorded);
  const other = file('more.csv', ['id,body,sentiment', ...rows.slice(0, 10)].join('\n'));
  assert.equal(JSON.parse(ok(['eval', model, '--data', other, '--json'])).examples, 10);
  const predicted = jsonLines(ok(['predict', model, '--input', other, '--json']));
  assert.equal(predicted.length, 10);
  // Rows are classified in padded batches, so the probabilities equal one text alone's to float32 rounding.
  const same = (a: { label: string; probabilities: Record<string, number> }, b: typeof a) => {
    assert.equal(a.label, b.label);
    for (const k of Object.keys(b.probabilities)) assert.ok(Math.abs(a.probabilities[k] - b.probabilities[k]) < 1e-5, `${k}: ${a.probabilities[k]} vs ${b.probabilities[k]}`);
  };
  same(predicted[0], JSON.parse(ok(['predict', model, '--text', t.rows[0][0], '--json'])));
  const jsonl = file(
    'more.jsonl',
    t.rows
      .slice(0, 3)
      .map(([body]) => JSON.stringify({ body }))
      .join('\n'),
  );
  const fromJsonl = jsonLines(ok(['predict', model, '--input', jsonl, '--json']));
  assert.equal(fromJsonl.length, 3);
  fromJsonl.forEach((r, i) => same(r, predicted[i]));
  oneLineError(['predict', model, '--input', file('wrong.csv', 'text\nhello\n')], /wrong\.csv: no column 'body'; the columns are: text/);
});
