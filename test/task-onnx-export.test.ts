// Whole task models out: each task's ONNX export runs in ONNX Runtime and in importOnnx and gives the library's own predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import {
  Classifier,
  GruError,
  Rng,
  Tensor,
  baseForecasts,
  classifierToOnnx,
  charLMToOnnx,
  forecasterToOnnx,
  importOnnx,
  makeBatch,
  makeFrameBatch,
  makeTextBatch,
  normalizeFrames,
  originsBetween,
  recommenderToOnnx,
  saveClassifier,
  seq2seqToOnnx,
  seriesFromTable,
  simulateClicks,
  trainClassifier,
  trainForecaster,
  trainFrameClassifier,
  trainLM,
  trainRecommender,
  trainSeq2Seq,
  type TrainedClassifier,
} from '../src/index.js';
import { noGrad } from '../src/autograd/var.js';
import { TASKS } from '../src/tasks/index.js';
import { dailySeries, labelledTexts, upDownFrames } from './helpers/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'gru-task-onnx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

type Feeds = Record<string, { type: 'float32' | 'float64' | 'int64'; data: ArrayLike<number>; dims: number[] }>;

/** Runs `bytes` in ONNX Runtime and in importOnnx on the same feeds. */
async function runBoth(bytes: Uint8Array, feeds: Feeds): Promise<{ ort: Record<string, Float32Array | Float64Array>; imported: Record<string, Tensor> }> {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds: Record<string, ort.Tensor> = {};
  const ourFeeds: Record<string, Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) {
    const data = f.type === 'int64' ? BigInt64Array.from(Array.from(f.data, (v) => BigInt(v))) : f.type === 'float64' ? Float64Array.from(f.data) : Float32Array.from(f.data);
    ortFeeds[name] = new ort.Tensor(f.type, data, f.dims);
    ourFeeds[name] = new Tensor(f.type === 'float32' ? Float32Array.from(f.data) : Float64Array.from(f.data), f.dims);
  }
  const out = await session.run(ortFeeds);
  const got: Record<string, Float32Array | Float64Array> = {};
  for (const [k, v] of Object.entries(out)) got[k] = v.data as Float32Array | Float64Array;
  return { ort: got, imported: importOnnx(bytes).run(ourFeeds) };
}

const measured: string[] = [];
test.after(() => console.log(`# max |ONNX Runtime − gru-ts| (importOnnx − gru-ts):\n${measured.map((m) => `#   ${m}`).join('\n')}`));

/** Max |a − b| / max(1, |b|) over all entries. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

/** Checks ONNX Runtime's and importOnnx's `name` against `want` (≤ 1e-5, relative above 1), and records the differences. */
function check(what: string, r: { ort: Record<string, ArrayLike<number>>; imported: Record<string, Tensor> }, name: string, want: ArrayLike<number>): void {
  assert.ok(r.ort[name], `${what}: no output '${name}' from ONNX Runtime`);
  const a = maxDiff(r.ort[name], want),
    b = maxDiff(r.imported[name].data, want);
  measured.push(`${what} ${name}: ${a.toExponential(2)} (${b.toExponential(2)})`);
  assert.ok(a <= 1e-5, `${what} ${name}: ONNX Runtime differs by ${a}`);
  assert.ok(b <= 1e-5, `${what} ${name}: importOnnx differs by ${b}`);
}

test('forecast: window and step features plus the base forecast → corrections, forecasts and interval bounds, as predict gives them', async () => {
  const t = dailySeries(240);
  for (const o of [{ numLayers: 2 }, { highway: false }]) {
    const { model } = trainForecaster(t, { column: 'value', lookback: 14, horizon: 3, testSize: 28, hiddenSize: 12, headSize: 12, batchSize: 16, lr: 1e-2, epochs: 2, ...o });
    const c = model.config;
    const s = seriesFromTable(t, { column: 'value' });
    const b = makeBatch(s, c, model.norm, originsBetween(c, 150, 240).slice(0, 7), baseForecasts(s, c, c.base));
    const I = b.x.length / (b.B * c.lookback),
      S = b.steps.length / (b.B * c.horizon);
    const r = await runBoth(forecasterToOnnx(model), {
      x: { type: 'float32', data: b.x, dims: [b.B, c.lookback, I] },
      steps: { type: 'float32', data: b.steps, dims: [b.B, c.horizon, S] },
      baseline: { type: 'float64', data: b.baseline, dims: [b.B, c.horizon] },
    });
    const what = `forecast ${JSON.stringify(o)}`;
    const point = model.predict(b);
    check(what, r, 'correction', noGrad(() => model.eval().forward(b)).data);
    check(what, r, 'forecast', point);
    const bounds = model.intervals(point)!;
    check(what, r, 'lower', bounds.lower);
    check(what, r, 'upper', bounds.upper);
  }
});

/** Texts of different lengths as ids and lengths, and the classifier's probabilities for them. */
function textCase(c: TrainedClassifier, texts: string[]) {
  const b = makeTextBatch(
    texts.map((x) => c.tokenizer!.encode(x, c.model.config.maxLen)),
    null,
  );
  return { b, feeds: { ids: { type: 'int64', data: b.ids, dims: [b.B, b.T] }, lengths: { type: 'int64', data: b.lengths, dims: [b.B] } } as Feeds, want: c.model.probabilities(b).data };
}

test('classify texts: token ids and lengths → class probabilities (last states and attention pooling, stacked and bidirectional)', async () => {
  const texts = ['the food was superb', 'a grim day', 'it was quite a very awful film indeed the day', 'nice', 'zzz unknown words only'];
  for (const o of [{ pooling: 'last' as const, numLayers: 2 }, { pooling: 'attention' as const }, { pooling: 'attention' as const, bidirectional: false }]) {
    const c = trainClassifier(labelledTexts(120), { embeddingSize: 8, hiddenSize: 8, epochs: 2, batchSize: 16, lr: 1e-2, minCount: 1, ...o });
    const { b, feeds, want } = textCase(c, texts);
    const r = await runBoth(classifierToOnnx(c), feeds);
    const what = `classify texts ${JSON.stringify(o)}`;
    check(what, r, 'probabilities', want);
    if (o.pooling === 'attention') {
      const alpha = r.ort.attention;
      for (let i = 0; i < b.B; i++) {
        let sum = 0;
        for (let t = 0; t < b.T; t++) {
          sum += alpha[i * b.T + t];
          if (t >= b.lengths[i]) assert.equal(alpha[i * b.T + t], 0, 'no weight past a length');
        }
        assert.ok(Math.abs(sum - 1) < 1e-5);
      }
    }
  }
});

test('classify frames: raw frames and lengths → probabilities, the normalisation inside the graph', async () => {
  const data = upDownFrames(60);
  const { features: F, sequences } = data;
  for (const o of [{}, { pooling: 'attention' as const, bidirectional: true }]) {
    const c = trainFrameClassifier(data, { hiddenSize: 6, epochs: 2, batchSize: 8, lr: 1e-2, ...o });
    const seqs = [sequences[0], sequences[1], sequences[2].subarray(0, 2 * F)];
    const raw = makeFrameBatch(seqs, F, null);
    const want = c.model.probabilities(
      makeFrameBatch(
        seqs.map((s) => normalizeFrames(s, c.model.config.frames!)),
        F,
        null,
      ),
    ).data;
    const r = await runBoth(classifierToOnnx(c), {
      frames: { type: 'float32', data: raw.frames, dims: [raw.B, raw.T, F] },
      lengths: { type: 'int64', data: raw.lengths, dims: [raw.B] },
    });
    check(`classify frames ${JSON.stringify(o)}`, r, 'probabilities', want);
  }
});

test('lm: one step with the state in and out, run for several steps, equals the GRU carried step by step', async () => {
  const names = Array.from({ length: 80 }, (_, i) => ['anna', 'bob', 'otto', 'eve'][i % 4]);
  const lm = trainLM(names, { hiddenSize: 10, embeddingSize: 6, numLayers: 2, epochs: 1, lr: 2e-2, batchSize: 16 });
  const { model } = lm;
  const { numLayers: L, hiddenSize: H } = model.config;
  const session = await ort.InferenceSession.create(charLMToOnnx(lm));
  const imported = importOnnx(charLMToOnnx(lm));
  const tokens = [
    [2, 2],
    [lm.tokenizer.id('a')!, lm.tokenizer.id('o')!],
    [lm.tokenizer.id('n')!, lm.tokenizer.id('t')!],
  ];
  const B = 2;
  let h = Tensor.zeros([L, B, H]);
  let hOrt = new Float32Array(L * B * H),
    hOurs = new Float32Array(L * B * H);
  let worst = 0,
    worstImported = 0;
  for (const step of tokens) {
    const want = noGrad(() => {
      const r = model.gru.forward(model.embed.forward(step, [B, 1]), { h0: h });
      return { logits: model.head.forward(r.output).data, h: r.hN.value };
    });
    h = want.h;
    const got = await session.run({ token: new ort.Tensor('int64', BigInt64Array.from(step.map(BigInt)), [B]), h: new ort.Tensor('float32', hOrt, [L, B, H]) });
    const ours = imported.run({ token: new Tensor(Float64Array.from(step), [B]), h: new Tensor(hOurs, [L, B, H]) });
    worst = Math.max(worst, maxDiff(got.logits.data as Float32Array, want.logits), maxDiff(got.h_next.data as Float32Array, h.data));
    worstImported = Math.max(worstImported, maxDiff(ours.logits.data, want.logits), maxDiff(ours.h_next.data, h.data));
    hOrt = Float32Array.from(got.h_next.data as Float32Array);
    hOurs = Float32Array.from(ours.h_next.data);
  }
  measured.push(`lm (2 layers, 3 steps) logits and h_next: ${worst.toExponential(2)} (${worstImported.toExponential(2)})`);
  assert.ok(worst <= 1e-5 && worstImported <= 1e-5, `${worst}, ${worstImported}`);
});

test("seq2seq: the encoder and two decoder steps (Bahdanau and Luong, a stacked encoder) give encode and step's results", async () => {
  const rng = new Rng(1);
  const pairs = Array.from({ length: 120 }, () => {
    const w = Array.from({ length: 2 + rng.int(4) }, () => 'abcdef'[rng.int(6)]).join('');
    return { source: w, target: [...w].reverse().map((x) => x.toUpperCase()) };
  });
  for (const o of [{ attention: 'bahdanau' as const }, { attention: 'luong' as const, encoderLayers: 2 }]) {
    const m = trainSeq2Seq(pairs, { embeddingSize: 8, encoderSize: 8, decoderSize: 10, attentionSize: 6, epochs: 1, batchSize: 16, lr: 1e-2, ...o });
    const what = `seq2seq ${JSON.stringify(o)}`;
    const { encoder, decoder } = seq2seqToOnnx(m);
    const srcs = ['abcdef', 'fa', 'bee'].map((x) => m.source.encode(x));
    const B = srcs.length,
      S = Math.max(...srcs.map((x) => x.length));
    const src = new Int32Array(B * S);
    srcs.forEach((x, i) => src.set(x, i * S));
    const lengths = Int32Array.from(srcs, (x) => x.length);
    const enc = noGrad(() => m.model.eval().encode({ B, S, src, srcLengths: lengths }));
    const e = await runBoth(encoder, { source: { type: 'int64', data: src, dims: [B, S] }, lengths: { type: 'int64', data: lengths, dims: [B] } });
    check(`${what} encoder`, e, 'values', enc.values.data);
    check(`${what} encoder`, e, 'keys', enc.keys.data);
    check(`${what} encoder`, e, 'state', enc.state.data);
    const mask = Float32Array.from({ length: B * S }, (_, i) => (i % S < lengths[Math.floor(i / S)] ? 1 : 0));
    let state = enc.state;
    let prev = new Int32Array(B).fill(2);
    let stateFeed: ArrayLike<number> = e.ort.state;
    for (let t = 0; t < 2; t++) {
      const want = noGrad(() => m.model.step(enc, prev, state));
      const d = await runBoth(decoder, {
        token: { type: 'int64', data: prev, dims: [B] },
        state: { type: 'float32', data: stateFeed, dims: [1, B, m.model.config.decoderSize] },
        values: { type: 'float32', data: e.ort.values, dims: [B, S, 2 * m.model.config.encoderSize] },
        keys: { type: 'float32', data: e.ort.keys, dims: enc.keys.shape as number[] },
        mask: { type: 'float32', data: mask, dims: [B, S] },
      });
      check(`${what} decoder step ${t + 1}`, d, 'logits', want.logits.data);
      check(`${what} decoder step ${t + 1}`, d, 'state_next', want.state.data);
      check(`${what} decoder step ${t + 1}`, d, 'attention', want.weights.data);
      state = want.state;
      stateFeed = d.ort.state_next;
      const V = m.model.tgtVocab;
      prev = Int32Array.from({ length: B }, (_, i) => {
        const row = Array.from(want.logits.data.subarray(i * V, (i + 1) * V));
        return row.indexOf(Math.max(...row));
      });
    }
  }
});

test("recommend: clicks and lengths → every item's score after the last click (an item embedding; one-hot items into two layers)", async () => {
  const log = simulateClicks({ sessions: 400, items: 30, days: 10, seed: 2 });
  for (const o of [{ embeddingSize: 6 }, { embeddingSize: 0, numLayers: 2 }]) {
    const tr = trainRecommender(log, { hiddenSize: 8, epochs: 1, batchSize: 8, nSample: 8, lr: 5e-3, baselines: [], ...o });
    const V = tr.model.config.items,
      H = tr.model.config.hiddenSize;
    const sessions = [[0, 3, 5, 7], [2], [9, 9, 1]].map((s) => s.map((i) => i % V));
    const B = sessions.length,
      T = Math.max(...sessions.map((s) => s.length));
    const clicks = new Int32Array(B * T);
    sessions.forEach((s, i) => clicks.set(s, i * T));
    const states = tr.model.sessionStates(sessions.map((s) => Int32Array.from(s)));
    const lastStates = new Float32Array(B * H);
    let row = 0;
    sessions.forEach((s, i) => {
      lastStates.set(states.subarray((row + s.length - 1) * H, (row + s.length) * H), i * H);
      row += s.length;
    });
    const r = await runBoth(recommenderToOnnx(tr), { clicks: { type: 'int64', data: clicks, dims: [B, T] }, lengths: { type: 'int64', data: sessions.map((s) => s.length), dims: [B] } });
    check(`recommend ${JSON.stringify(o)}`, r, 'scores', tr.model.scores(lastStates, B));
  }
});

test('a model with an attention GRU cell has no ONNX form: GruError UNSUPPORTED saying why', () => {
  const model = new Classifier({ labels: ['a', 'b'], tokenizer: 'word', maxLen: 10, embeddingSize: 4, hiddenSize: 4, numLayers: 1, bidirectional: false, dropout: 0, cell: { kind: 'attention-gru', window: 3 } }, 10);
  const classify = TASKS.find((t) => t.name === 'classify')!;
  assert.throws(
    () => classify.exportOnnx!({ model }),
    (e: unknown) => e instanceof GruError && e.code === 'UNSUPPORTED' && /attention GRU cell \(attention-gru \(window 3\)\), which has no ONNX form: its candidate state reads a weighted sum of the layer's earlier states/.test(e.message),
  );
  // Every task that trains a model exports it.
  assert.deepEqual(
    TASKS.filter((t) => t.exportOnnx).map((t) => t.name),
    ['forecast', 'classify', 'lm', 'seq2seq', 'recommend'],
  );
});

test('gru export MODEL --onnx FILE writes the file atomically and describes it; ONNX Runtime runs it like gru predict', async () => {
  const c = trainClassifier(labelledTexts(120), { embeddingSize: 8, hiddenSize: 8, epochs: 1, batchSize: 16, lr: 1e-2, minCount: 1 });
  const model = join(dir, 'texts.safetensors');
  saveClassifier(c, model);
  const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  const out = join(dir, 'texts.onnx');
  writeFileSync(out, 'an older file, replaced');
  const r = spawnSync(process.execPath, [cli, 'export', model, '--onnx', out, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { task: string; files: { path: string; inputs: { name: string; type: string; shape: unknown[] }[]; outputs: { name: string }[] }[] };
  assert.equal(report.task, 'classify');
  assert.deepEqual(
    report.files.map((f) => f.path),
    [out],
  );
  assert.deepEqual(
    report.files[0].inputs.map((i) => [i.name, i.type, i.shape]),
    [
      ['ids', 'int64', ['B', 'T']],
      ['lengths', 'int64', ['B']],
    ],
  );
  assert.deepEqual(
    report.files[0].outputs.map((o) => o.name),
    ['logits', 'probabilities'],
  );
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('.tmp')),
    [],
    'no temporary file left',
  );
  const { feeds, want } = textCase(c, ['the food was superb', 'a grim day']);
  const session = await ort.InferenceSession.create(out);
  const got = await session.run({
    ids: new ort.Tensor('int64', BigInt64Array.from(Array.from(feeds.ids.data, BigInt)), feeds.ids.dims),
    lengths: new ort.Tensor('int64', BigInt64Array.from(Array.from(feeds.lengths.data, BigInt)), feeds.lengths.dims),
  });
  assert.ok(maxDiff(got.probabilities.data as Float32Array, want) <= 1e-5);
  // A model file that is not one: one line, exit 1, nothing written.
  const bad = spawnSync(process.execPath, [cli, 'export', join(dir, 'missing.safetensors'), '--onnx', join(dir, 'x.onnx')], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.ok(!existsSync(join(dir, 'x.onnx')));
});
