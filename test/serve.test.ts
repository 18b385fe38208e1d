// `gru serve`: the HTTP JSON API answers as the library does, batches concurrent requests into fewer model calls,
// rejects bad bodies (400) and a full queue (503) with clear messages, and closes gracefully (in-process and on SIGTERM).
// Where a test needs requests to pile up it holds the model call behind a gate it opens itself: no test depends on timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { Rng, classifyText, forecastNext, generate, recommendNext, saveClassifier, saveSeq2Seq, simulateClicks, trainClassifier, trainForecaster, trainLM, trainRecommender, trainSeq2Seq, translate } from '../src/index.js';
import { ModelWorker, inWorker } from '../src/serve/model-worker.js';
import { MicroBatcher } from '../src/serve/batcher.js';
import { createServer, type GruServer } from '../src/serve/server.js';
import { classifyServable, servableFor, type Classification } from '../src/serve/servables.js';
import { dailySeries, labelledTexts } from './helpers/synthetic.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gru-serve-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const classifier = trainClassifier(labelledTexts(120), { embeddingSize: 8, hiddenSize: 8, epochs: 2, batchSize: 16, lr: 1e-2, minCount: 1 });
const TEXTS = ['the food was superb', 'a grim day', 'it was quite a very awful film indeed the day', 'nice', 'zzz unknown words only', 'good good good', 'the film was dire'];

/** A response's JSON body (any: each test reads the fields it checks). */
const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();

/** Waits until `ready()` holds, checking every few milliseconds (a condition, not a timing). */
async function until(ready: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`never happened: ${what}`);
}

/** A server listening on a free port, and a POST /predict on it. */
async function listening(server: GruServer): Promise<{ url: string; predict: (body: unknown, raw?: boolean) => Promise<Response> }> {
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const predict = (body: unknown, raw = false) => fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  return { url, predict };
}

/** The classifier's servable with its model calls counted, each held until `open()` while `held` is set. */
function gated() {
  const calls: number[] = [];
  let opened: () => void = () => {};
  let gate = new Promise<void>((r) => (opened = r));
  const servable = classifyServable(classifier, async (texts) => {
    calls.push(texts.length);
    await gate;
    return classifierAnswers(texts);
  });
  return { servable, calls, open: () => opened(), close: () => (gate = new Promise<void>((r) => (opened = r))) };
}

const classifierAnswers = (texts: string[]): Classification[] => texts.map((t) => classifyText(classifier, t));

/** The answer equals the library's own classification of the text. */
function sameAsLibrary(got: Classification, text: string): void {
  const want = classifyText(classifier, text);
  assert.equal(got.label, want.label, text);
  assert.deepEqual(Object.keys(got.probabilities), Object.keys(want.probabilities));
  for (const l of Object.keys(want.probabilities)) assert.ok(Math.abs(got.probabilities[l] - want.probabilities[l]) < 1e-6, `${text}: ${l}`);
}

test("/health, /info and /predict: the answers are the library's own, alone and many at once", async () => {
  const server = createServer(classifyServable(classifier));
  const { url, predict } = await listening(server);
  try {
    assert.deepEqual(await json(fetch(`${url}/health`)), { status: 'ok' });
    const info = await json(fetch(`${url}/info`));
    assert.equal(info.task, 'classify');
    assert.deepEqual(info.model.labels, classifier.model.config.labels);
    assert.equal(info.model.config.hiddenSize, 8);
    assert.deepEqual(info.request.example, { text: 'the text to classify' });
    assert.equal(info.batching.maxBatch, 64);
    for (const text of TEXTS) {
      const r = await predict({ text });
      assert.equal(r.status, 200);
      sameAsLibrary(await json(r), text);
    }
    // 70 at once (over two batches of 64 at most), each answer its own text's.
    const many = Array.from({ length: 70 }, (_, i) => `${TEXTS[i % TEXTS.length]} ${['good', 'bad', 'day'][i % 3]}`);
    const answers = await Promise.all(many.map(async (text) => json(predict({ text }))));
    answers.forEach((a, i) => sameAsLibrary(a, many[i]));
    const stats = (await json(fetch(`${url}/info`))).batching;
    assert.equal(stats.requests, TEXTS.length + many.length);
    assert.ok(stats.largestBatch <= 64, `largest batch ${stats.largestBatch}`);
    assert.equal((await fetch(`${url}/nothing-here`)).status, 404);
  } finally {
    await server.app.close();
  }
});

test('micro-batching: requests that arrive while the model is busy go to it as one call', async () => {
  const g = gated();
  const server = createServer(g.servable);
  const { url, predict } = await listening(server);
  try {
    const first = predict({ text: TEXTS[0] });
    await until(() => g.calls.length === 1, 'the first call starts');
    const rest = TEXTS.slice(1)
      .concat(TEXTS.slice(1))
      .map((text) => ({ text, answer: predict({ text }) }));
    await until(() => server.batcher.stats().waiting === rest.length, `${rest.length} requests wait`);
    g.open();
    sameAsLibrary(await json(first), TEXTS[0]);
    for (const r of rest) sameAsLibrary(await json(r.answer), r.text);
    assert.deepEqual(g.calls, [1, rest.length], 'one call for the first request, one for all the others');
    const info = await json(fetch(`${url}/info`));
    assert.equal(info.batching.requests, 1 + rest.length);
    assert.equal(info.batching.batches, 2);
    assert.equal(info.batching.largestBatch, rest.length);
  } finally {
    g.open();
    await server.app.close();
  }
});

test('batches hold at most maxBatch inputs; the rest wait for the next call', async () => {
  const g = gated();
  const server = createServer(g.servable, { maxBatch: 3 });
  const { predict } = await listening(server);
  try {
    const first = predict({ text: TEXTS[0] });
    await until(() => g.calls.length === 1, 'the first call starts');
    const rest = TEXTS.slice(0, 7).map((text) => predict({ text }));
    await until(() => server.batcher.stats().waiting === 7, '7 requests wait');
    g.open();
    await Promise.all([first, ...rest].map(async (r) => assert.equal((await r).status, 200)));
    assert.deepEqual(g.calls, [1, 3, 3, 1]);
  } finally {
    g.open();
    await server.app.close();
  }
});

test('bad bodies answer 400 naming what was expected and what came, and never reach the model', async () => {
  const g = gated();
  g.open();
  const server = createServer(g.servable);
  const { predict } = await listening(server);
  const cases: [unknown, RegExp, boolean?][] = [
    [{}, /^missing field 'text': expected a body like \{"text":"the text to classify"\}$/],
    [{ txt: 'hello' }, /^missing field 'text'/],
    [{ text: 5 }, /^field 'text': expected a string, got a number \(5\)$/],
    [{ text: ['a'] }, /^field 'text': expected a string, got an array$/],
    [{ text: 'fine', lang: 'en' }, /^unknown field 'lang': expected only 'text'$/],
    [{ text: '' }, /^field 'text': expected text, got an empty string$/],
    [{ text: '   ' }, /^field 'text': expected text, got only white space$/],
    [[{ text: 'a' }], /^expected a JSON object, a body like \{"text":"the text to classify"\}; got an array$/],
    ['{"text": "unclosed', /not valid JSON/, true],
  ];
  try {
    for (const [body, message, raw] of cases) {
      const r = await predict(body, raw);
      assert.equal(r.status, 400, JSON.stringify(body));
      const got = await json(r);
      assert.equal(got.error, 'Bad Request');
      assert.match(got.message, message);
    }
    assert.deepEqual(g.calls, [], 'the model was not called');
    assert.equal(server.batcher.stats().requests, 0);
  } finally {
    await server.app.close();
  }
});

test('a full queue answers 503 with Retry-After; the requests it holds are answered', async () => {
  const g = gated();
  const server = createServer(g.servable, { maxQueue: 2 });
  const { predict } = await listening(server);
  try {
    const running = predict({ text: TEXTS[0] });
    await until(() => g.calls.length === 1, 'the first call starts');
    const queued = [predict({ text: TEXTS[1] }), predict({ text: TEXTS[2] })];
    await until(() => server.batcher.stats().waiting === 2, 'the queue is full');
    const refused = await predict({ text: TEXTS[3] });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match((await json(refused)).message, /^the queue is full: 2 requests are waiting for the model; try again shortly$/);
    g.open();
    for (const [i, r] of [running, ...queued].entries()) sameAsLibrary(await json(r), TEXTS[i]);
    assert.deepEqual({ ...server.batcher.stats() }, { requests: 3, batches: 2, rejected: 1, largestBatch: 2, waiting: 0, running: 0 });
    // With room again, requests are taken.
    assert.equal((await predict({ text: TEXTS[3] })).status, 200);
  } finally {
    g.open();
    await server.app.close();
  }
});

test('close() finishes the request in flight before it resolves, and takes no new connection', async () => {
  const g = gated();
  const server = createServer(g.servable);
  const { url, predict } = await listening(server);
  const inFlight = predict({ text: TEXTS[2] });
  await until(() => g.calls.length === 1, 'the call starts');
  let closed = false;
  const closing = server.app.close().then(() => (closed = true));
  await until(() => !server.app.server.listening, 'the server stops listening');
  await assert.rejects(fetch(`${url}/health`), 'no new connection is taken');
  assert.equal(closed, false, 'close waits for the request in flight (its model call is still held)');
  g.open();
  const r = await inFlight;
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('connection'), 'close', 'an answer sent while closing ends its kept-alive connection, which would hold close() up');
  sameAsLibrary(await json(r), TEXTS[2]);
  await closing;
  assert.equal(closed, true);
});

test('MicroBatcher: a failing call fails each request of its batch, and the next batch runs', async () => {
  let n = 0;
  const b = new MicroBatcher<number, number>(
    (xs) => {
      if (n++ === 0) throw new Error('model failed');
      return xs.map((x) => 2 * x);
    },
    { maxBatch: 8, maxQueue: 8, maxWaitMs: 0 },
  );
  const failing = [b.offer(1)!, b.offer(2)!];
  await Promise.all(failing.map((p) => assert.rejects(p, /model failed/)));
  assert.equal(await b.offer(3), 6);
  assert.throws(() => new MicroBatcher((x) => x, { maxBatch: 0, maxQueue: 1, maxWaitMs: 0 }), /maxBatch: expected a whole number ≥ 1, got 0/);
  assert.throws(() => new MicroBatcher((x) => x, { maxBatch: 1, maxQueue: 1, maxWaitMs: -1 }), /maxWaitMs: expected a number of milliseconds ≥ 0, got -1/);
  // drain() starts a batch held back by maxWaitMs at once.
  const slow = new MicroBatcher<number, number>((xs) => xs, { maxBatch: 8, maxQueue: 8, maxWaitMs: 3_600_000 });
  const held = slow.offer(7)!;
  await slow.drain();
  assert.equal(await held, 7);
});

test('the other tasks: one request a call through their own predict functions, with their own bodies', async () => {
  const rng = new Rng(1);
  const pairs = Array.from({ length: 120 }, () => {
    const w = Array.from({ length: 2 + rng.int(4) }, () => 'abcdef'[rng.int(6)]).join('');
    return { source: w, target: [...w].reverse().map((x) => x.toUpperCase()) };
  });
  const s2s = trainSeq2Seq(pairs, { embeddingSize: 8, encoderSize: 8, decoderSize: 10, attentionSize: 6, epochs: 1, batchSize: 16, lr: 1e-2 });
  const lm = trainLM(
    Array.from({ length: 80 }, (_, i) => ['anna', 'bob', 'otto', 'eve'][i % 4]),
    { hiddenSize: 10, embeddingSize: 6, epochs: 1, lr: 2e-2, batchSize: 16 },
  );
  const rec = trainRecommender(simulateClicks({ sessions: 400, items: 30, days: 10, seed: 2 }), { hiddenSize: 8, epochs: 1, batchSize: 8, nSample: 8, lr: 5e-3, baselines: [] });
  const table = dailySeries(120);
  const { model: forecaster } = trainForecaster(table, { column: 'value', lookback: 14, horizon: 3, testSize: 28, hiddenSize: 12, headSize: 12, batchSize: 16, lr: 1e-2, epochs: 1 });
  const history = table.rows.map((r) => Object.fromEntries(table.columns.map((c, k) => [c, c === 'value' ? Number(r[k]) : r[k]])));
  const cases: { task: string; model: unknown; body: Record<string, unknown>; want: unknown; bad: [Record<string, unknown>, RegExp] }[] = [
    { task: 'seq2seq', model: s2s, body: { text: 'abca', beam: 2 }, want: (({ output, attention }) => ({ output, attention }))(translate(s2s, 'abca', { beam: 2 })), bad: [{ text: 'xyz' }, /unknown source symbols 'x', 'y', 'z'/] },
    {
      task: 'lm',
      model: lm,
      body: { prefix: 'a', count: 2, seed: 3 },
      want: { samples: generate(lm, { prefix: 'a', count: 2, seed: 3, temperature: 0.8, topK: 0 }) },
      bad: [{ prefix: 'a', temperature: 0 }, /^field 'temperature' must be > 0; got a number \(0\)$/],
    },
    {
      task: 'recommend',
      model: rec,
      body: { clicks: [rec.items[0], 'never-seen', rec.items[1]], k: 3 },
      want: (({ items, ignored }) => ({ next: items, ignored }))(recommendNext(rec, [rec.items[0], 'never-seen', rec.items[1]], 3)),
      bad: [{ clicks: 'a,b' }, /^field 'clicks': expected an array, got a string/],
    },
    {
      task: 'forecast',
      model: forecaster,
      body: { rows: history },
      want: (({ dates, values, intervals }) => ({ dates: dates!.map((d) => new Date(d).toISOString().slice(0, 10)), values, ...(intervals ? { intervals } : {}) }))(forecastNext(forecaster, table)),
      bad: [{ rows: history.slice(0, 5) }, /need at least 14 rows \(the lookback\) to forecast, got 5/],
    },
  ];
  for (const c of cases) {
    const server = createServer(servableFor(c.task, c.model));
    try {
      const ok = await server.app.inject({ method: 'POST', url: '/predict', payload: c.body });
      assert.equal(ok.statusCode, 200, `${c.task}: ${ok.body}`);
      assert.deepEqual(ok.json(), JSON.parse(JSON.stringify(c.want)), c.task);
      const bad = await server.app.inject({ method: 'POST', url: '/predict', payload: c.bad[0] });
      assert.equal(bad.statusCode, 400, `${c.task}: ${bad.body}`);
      assert.match(bad.json().message, c.bad[1]);
      const info = (await server.app.inject({ url: '/info' })).json();
      assert.equal(info.task, c.task);
      assert.equal(info.batching.maxBatch, 1, `${c.task}: batches of one`);
    } finally {
      await server.app.close();
    }
  }
  assert.throws(() => servableFor('speech', {}), /gru serve does not serve 'speech' models yet: expected a classify, seq2seq, lm, recommend or forecast model/);
});

test('the model in a worker thread: the answers of the event loop, its GruErrors answer 400, a worker that died is started again, a file it cannot load rejects', async () => {
  const path = join(dir, 'worker.safetensors');
  saveClassifier(classifier, path);
  const worker = new ModelWorker(path);
  await worker.start();
  const server = createServer(inWorker(classifyServable(classifier), worker));
  const predict = async (text: string) => {
    const r = await server.app.inject({ method: 'POST', url: '/predict', payload: { text } });
    assert.equal(r.statusCode, 200, r.body);
    return r.json() as Classification;
  };
  try {
    for (const text of TEXTS) sameAsLibrary(await predict(text), text);
    const many = Array.from({ length: 40 }, (_, i) => `${TEXTS[i % TEXTS.length]} ${['good', 'bad'][i % 2]}`);
    (await Promise.all(many.map(predict))).forEach((a, i) => sameAsLibrary(a, many[i]));
    assert.match((await server.app.inject({ url: '/info' })).json().engine, /^gru-ts \(\w+ backend\) in a worker thread$/);
    // A worker that dies fails nothing after it: the next call starts a new one.
    await (worker as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    sameAsLibrary(await predict(TEXTS[0]), TEXTS[0]);
  } finally {
    await server.app.close();
    await worker.close();
  }
  await assert.rejects(worker.run(['x']), /the model worker is closed/);

  // A GruError inside the worker's model call is a GruError here: 400 with its message.
  const pairs = ['ab', 'ba', 'abc', 'cab', 'bca'].map((w) => ({ source: w, target: [...w].map((x) => x.toUpperCase()) }));
  const s2s = trainSeq2Seq([...pairs, ...pairs, ...pairs, ...pairs], { embeddingSize: 4, encoderSize: 4, decoderSize: 4, attentionSize: 4, epochs: 1, batchSize: 4 });
  const s2sPath = join(dir, 'worker-s2s.safetensors');
  saveSeq2Seq(s2s, s2sPath);
  const s2sWorker = new ModelWorker(s2sPath);
  const s2sServer = createServer(inWorker(servableFor('seq2seq', s2s), s2sWorker));
  try {
    const bad = await s2sServer.app.inject({ method: 'POST', url: '/predict', payload: { text: 'xyz' } });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.match(bad.json().message, /unknown source symbols 'x', 'y', 'z'/);
    const ok = await s2sServer.app.inject({ method: 'POST', url: '/predict', payload: { text: 'abc' } });
    assert.deepEqual(ok.json().output, translate(s2s, 'abc').output);
  } finally {
    await s2sServer.app.close();
    await s2sWorker.close();
  }

  const broken = join(dir, 'broken.safetensors');
  writeFileSync(broken, 'not a model file');
  await assert.rejects(new ModelWorker(broken).start(), (e: Error) => e.name === 'GruError' && e.message.includes(broken));
});

for (const [flags, computing] of [
  [[], ' \\(computing in a worker thread\\)'],
  [['--no-worker'], ''],
] as const) {
  test(`gru serve MODEL${flags.map((f) => ` ${f}`).join('')}: SIGTERM answers the request in flight, then the process exits 0`, { timeout: 120_000 }, async () => {
    const model = join(dir, 'texts.safetensors');
    saveClassifier(classifier, model);
    // A request waits up to an hour for others to batch with: it is still waiting when SIGTERM comes, which must start it.
    const child = spawn(process.execPath, [cli, 'serve', model, ...flags, '--port', '0', '--max-wait-ms', '3600000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => /http:\/\/127\.0\.0\.1:\d+/.test(out) || child.exitCode !== null, 'the server listens');
      assert.match(out, new RegExp(`^gru serve: classify model .*texts\\.safetensors${computing} on http://127\\.0\\.0\\.1:\\d+ \\(POST /predict, GET /info, GET /health; batches of up to 64, 1024 waiting at most\\)\\n$`), err);
      const url = out.match(/http:\/\/127\.0\.0\.1:\d+/)![0];
      const answer = fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: TEXTS[1] }) });
      await until(async () => (await json(fetch(`${url}/info`))).batching.waiting === 1, 'the request waits in the queue');
      child.kill('SIGTERM');
      const r = await answer;
      assert.equal(r.status, 200);
      sameAsLibrary(await json(r), TEXTS[1]);
      assert.equal(await exited, 0, err);
      assert.match(err, /^gru serve: SIGTERM: taking no new requests, finishing [1-9]\d* in flight\ngru serve: closed\n$/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
}
