// Data-parallel training (src/train/data-parallel.ts) on the seq2seq model:
// replicas give the batch's gradient that one thread gives (the native
// kernels run at the same time on several threads, each with its own scratch
// buffers); a batch's shares weigh as its loss does; a run repeats exactly
// with the same replica count; a replica's failure reaches the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, GruError, Rng, backend, backward, noGrad, trainSeq2Seq } from '../src/index.js';
import { Seq2Seq, makePairBatch, type PairBatch, type Seq2SeqConfig } from '../src/tasks/seq2seq/model.js';
import { seq2seqReplicas, splitPairBatch } from '../src/tasks/seq2seq/replica.js';
import { DataParallel } from '../src/train/data-parallel.js';
import { replicaCount } from '../src/cli/options.js';
import { Classifier, makeFrameBatch, makeTextBatch, type ClassifyConfig } from '../src/tasks/classify/model.js';
import { classifierReplicas } from '../src/tasks/classify/replica.js';
import { CharLM, makeLMBatch, type LMConfig } from '../src/tasks/lm/model.js';
import { lmReplicas } from '../src/tasks/lm/replica.js';
import type { Module } from '../src/nn/module.js';
import type { Var } from '../src/autograd/var.js';

const CONFIG: Seq2SeqConfig = { attention: 'bahdanau', embeddingSize: 16, encoderSize: 48, encoderLayers: 2, decoderSize: 48, attentionSize: 32, maxTargetLen: 20, dropout: 0 };

function batches(n: number, B: number, seed: number): PairBatch[] {
  const rng = new Rng(seed);
  const seq = (len: number, V: number) => Array.from({ length: len }, () => 4 + rng.int(V - 4));
  return Array.from({ length: n }, () => {
    // Sorted by source length, as the task's batches are.
    const lengths = Array.from({ length: B }, () => 2 + rng.int(9)).sort((a, b) => a - b);
    return makePairBatch(
      lengths.map((l) => seq(l, 12)),
      lengths.map((l) => seq(1 + ((l * 7) % 8), 10)),
    );
  });
}

for (const replicas of [2, 3]) {
  test(`${replicas} replicas: the loss and every gradient of one thread, step after step (backend ${backend().name})`, () => {
    const one = new Seq2Seq(CONFIG, 12, 10, 3);
    const many = new Seq2Seq(CONFIG, 12, 10, 3);
    one.train();
    many.train();
    sameAsOneThread(one, many, seq2seqReplicas(many, 12, 10, replicas), batches(6, 13, 7));
  });
}

/** One thread's loss and gradients against the replicas', on the same batches and updates. */
function sameAsOneThread<B>(one: Module & { loss(b: B): Var }, many: Module, dp: DataParallel<B>, steps: B[]): void {
  const optOne = new Adam(one.parameters(), { lr: 3e-3 }),
    optMany = new Adam(many.parameters(), { lr: 3e-3 });
  try {
    for (const b of steps) {
      optOne.zeroGrad();
      const loss = one.loss(b);
      backward(loss);
      const lossMany = dp.lossAndGradient(b);
      assert.ok(Math.abs(lossMany - loss.data[0]) <= 1e-5 * loss.data[0], `loss ${lossMany} vs ${loss.data[0]}`);
      let scale = 0;
      for (const p of one.parameters()) for (const g of p.denseGrad()?.data ?? []) scale = Math.max(scale, Math.abs(g));
      many.namedParameters().forEach(([name, p], i) => {
        const want = one.parameters()[i].denseGrad()?.data ?? new Float32Array(p.value.size),
          got = p.denseGrad()?.data ?? new Float32Array(p.value.size);
        for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) <= 1e-5 * scale, `${name}[${j}]: ${got[j]} vs ${want[j]}`);
      });
      optOne.step();
      optMany.step();
    }
    many.parameters().forEach((p, i) => {
      const want = one.parameters()[i].value.data;
      for (let j = 0; j < want.length; j++) assert.ok(Math.abs(p.value.data[j] - want[j]) <= 1e-5, `weight ${p.name}[${j}]`);
    });
  } finally {
    dp.close();
  }
}

test("the classifier on 2 replicas: texts (bag of words, attention pooling) and frames give one thread's loss and gradients", () => {
  const rng = new Rng(8);
  const text: ClassifyConfig = { labels: ['a', 'b', 'c'], tokenizer: 'word', maxLen: 12, embeddingSize: 8, hiddenSize: 16, numLayers: 1, bidirectional: true, dropout: 0, pooling: 'attention', bagOfWords: true };
  const docs = Array.from({ length: 40 }, () => Array.from({ length: 1 + rng.int(15) }, () => 4 + rng.int(26)));
  const labels = docs.map((d) => d[0] % 3);
  const make = () => {
    const m = new Classifier(text, 30, 2);
    m.bag!.fit(docs, labels);
    return m;
  };
  const textBatches = [0, 1, 2].map((k) => {
    const rows = [...docs.keys()].slice(k * 13, k * 13 + 13).sort((a, b) => docs[a].length - docs[b].length);
    return makeTextBatch(
      rows.map((i) => docs[i]),
      rows.map((i) => labels[i]),
      text.maxLen,
    );
  });
  const one = make(),
    many = make();
  sameAsOneThread(one, many, classifierReplicas(many, 2), textBatches);

  const F = 5;
  const frames: ClassifyConfig = { labels: ['x', 'y'], frames: { features: F, mean: new Array(F).fill(0), std: new Array(F).fill(1) }, maxLen: 20, embeddingSize: F, hiddenSize: 12, numLayers: 2, bidirectional: false, dropout: 0 };
  const seqs = Array.from({ length: 24 }, () => Float32Array.from({ length: (3 + rng.int(12)) * F }, () => rng.normal()));
  const frameBatches = [0, 1].map((k) =>
    makeFrameBatch(
      seqs.slice(k * 12, k * 12 + 12).sort((a, b) => a.length - b.length),
      F,
      Array.from({ length: 12 }, (_, i) => i % 2),
    ),
  );
  const f1 = new Classifier(frames, 0, 4),
    f2 = new Classifier(frames, 0, 4);
  sameAsOneThread(f1, f2, classifierReplicas(f2, 2), frameBatches);
});

test("the character language model on 2 replicas gives one thread's loss and gradients", () => {
  const rng = new Rng(11);
  const config: LMConfig = { embeddingSize: 8, hiddenSize: 16, numLayers: 2, dropout: 0, maxLen: 20 };
  const lmBatches = [0, 1, 2].map(() => makeLMBatch(Array.from({ length: 9 }, () => Array.from({ length: 1 + rng.int(14) }, () => 4 + rng.int(20)))));
  const one = new CharLM(config, 24, 6),
    many = new CharLM(config, 24, 6);
  sameAsOneThread(one, many, lmReplicas(many, 2), lmBatches);
});

test("splitPairBatch: every row once, trimmed shares, and the token-weighted mean of the shares' losses is the batch loss", () => {
  const model = new Seq2Seq(CONFIG, 12, 10, 1);
  model.eval();
  const [b] = batches(1, 11, 4);
  for (const parts of [1, 2, 3, 11, 20]) {
    const shares = splitPairBatch(b, parts);
    assert.equal(shares.length, Math.min(parts, 11));
    assert.equal(
      shares.reduce((n, s) => n + s.batch.B, 0),
      11,
    );
    const sources = shares.flatMap((s) => Array.from({ length: s.batch.B }, (_, i) => Array.from(s.batch.src.subarray(i * s.batch.S, i * s.batch.S + s.batch.srcLengths[i])).join()));
    const all = Array.from({ length: 11 }, (_, i) => Array.from(b.src.subarray(i * b.S, i * b.S + b.srcLengths[i])).join());
    assert.deepEqual([...sources].sort(), [...all].sort());
    for (const s of shares) assert.equal(s.batch.S, Math.max(...s.batch.srcLengths));
    const total = shares.reduce((n, s) => n + s.weight, 0);
    assert.equal(total, b.tgtOut.filter((t) => t !== -100).length);
    const whole = noGrad(() => model.loss(b).data[0]);
    const weighted = noGrad(() => shares.reduce((sum, s) => sum + (model.loss(s.batch).data[0] * s.weight) / total, 0));
    assert.ok(Math.abs(whole - weighted) < 1e-5, `${parts} parts: ${weighted} vs ${whole}`);
  }
});

test('trainSeq2Seq with 2 replicas and dropout: learns, and the same count repeats exactly', () => {
  const rng = new Rng(2);
  const letters = 'abcdefgh';
  // A learnable mapping: each letter to its upper case, reversed.
  const pairs = Array.from({ length: 300 }, () => {
    const w = Array.from({ length: 2 + rng.int(5) }, () => letters[rng.int(letters.length)]).join('');
    return { source: w, target: [...w].reverse().map((c) => c.toUpperCase()) };
  });
  const run = () => trainSeq2Seq(pairs, { epochs: 3, batchSize: 32, embeddingSize: 16, encoderSize: 32, decoderSize: 32, attentionSize: 16, dropout: 0.1, lr: 5e-3, replicas: 2, testLimit: 5, divergence: false });
  const a = run(),
    b = run();
  assert.ok(a.history[2].valLoss! < a.history[0].valLoss!, `validation loss ${a.history.map((h) => h.valLoss).join(' → ')}`);
  assert.deepEqual(
    a.history.map((h) => h.trainLoss),
    b.history.map((h) => h.trainLoss),
  );
  a.model.parameters().forEach((p, i) => assert.deepEqual(p.value.data, b.model.parameters()[i].value.data));
});

test('a replica that cannot be built, or whose parameters differ, is an error naming why', () => {
  const model = new Seq2Seq(CONFIG, 12, 10, 1);
  const [b] = batches(1, 8, 5);
  const url = new URL('./fixtures/replicas.ts', import.meta.url).href;
  const make = (fail: boolean) =>
    new DataParallel<PairBatch>({
      replicas: 2,
      local: { model, loss: (x) => model.loss(x) },
      recipe: { url, args: { fail, config: CONFIG } },
      split: splitPairBatch,
    });
  const failing = make(true);
  assert.throws(
    () => failing.lossAndGradient(b),
    (e: unknown) => e instanceof GruError && e.code === 'INVALID_DATA' && /fixture replica: cannot build/.test(e.message),
  );
  failing.close();
  const other = make(false);
  assert.throws(
    () => other.lossAndGradient(b),
    (e: unknown) =>
      e instanceof GruError &&
      /does not match the model: src_embedding\.weight is \[9, 16\], expected \[12, 16\]; tgt_embedding\.weight is \[9, 16\], expected \[10, 16\]; out\.weight is \[9, 48\], expected \[10, 48\]; 1 more$/.test(e.message),
  );
  other.close();
  assert.throws(() => other.lossAndGradient(b), /used after close/);
});

test("a step that fails on this thread still reads the workers' replies: the next step is right", () => {
  const model = new Seq2Seq(CONFIG, 12, 10, 1);
  const reference = new Seq2Seq(CONFIG, 12, 10, 1);
  let fail = true;
  const dp = new DataParallel<PairBatch>({
    replicas: 2,
    local: {
      model,
      loss: (b) => {
        if (fail) throw new GruError('INVALID_DATA', 'this share is bad');
        return model.loss(b);
      },
    },
    recipe: { url: new URL('../src/tasks/seq2seq/replica.ts', import.meta.url).href, args: { config: CONFIG, sourceVocab: 12, targetVocab: 10 } },
    split: splitPairBatch,
  });
  try {
    const [first, second] = batches(2, 9, 6);
    assert.throws(() => dp.lossAndGradient(first), /this share is bad/);
    fail = false;
    const want = noGrad(() => reference.loss(second).data[0]);
    assert.ok(Math.abs(dp.lossAndGradient(second) - want) < 1e-5 * want);
  } finally {
    dp.close();
  }
});

test('--replicas: a count from 1 to 64 or auto; anything else is refused', () => {
  assert.equal(replicaCount('3'), 3);
  assert.ok(replicaCount('auto') >= 1 && replicaCount('auto') <= 8);
  for (const bad of ['0', '65', '1.5', 'all', '']) assert.throws(() => replicaCount(bad), /expected auto or a whole number from 1 to 64/);
  assert.throws(
    () =>
      new DataParallel({
        replicas: 1,
        local: {
          model: new Seq2Seq(CONFIG, 12, 10),
          loss: () => {
            throw new Error('unused');
          },
        },
        recipe: { url: '', args: null },
        split: () => [],
      }),
    /expected 2 or more replicas, got 1/,
  );
});
