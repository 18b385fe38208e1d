// The classifier's bag-of-words path (NBSVM) and the cosine learning-rate schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BagOfWords, BAG_SCALE, Classifier, classifierToOnnx, classifyText, loadClassifier, makeTextBatch, Rng, saveClassifier, trainClassifier, type Table } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gru-bag-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('bag of words: log-count ratios of a hand-worked corpus, and the logits they weight', () => {
  // Ids 0–3 are reserved; tokens 4 and 5. Class 0: one text holding 4 and 5; class 1: one text holding 5.
  // Class 1 against the rest: p = 1 + texts holding w = (4: 1, 5: 2), ‖p‖₁ = 3; q = (4: 2, 5: 2), ‖q‖₁ = 4.
  // r_4 = |log(1/3) − log(2/4)| = log 1.5; r_5 = |log(2/3) − log(2/4)| = log(4/3). Class 0 gives the same magnitudes.
  const bag = new BagOfWords(2, 6);
  bag.fit(
    [
      [4, 4, 5],
      [5, 1],
    ],
    [0, 1],
  );
  const r = Array.from(bag.ratio.value.data);
  assert.deepEqual(r.slice(0, 4), [0, 0, 0, 0], 'reserved ids weigh nothing');
  assert.ok(Math.abs(r[4] - BAG_SCALE * Math.log(1.5)) < 1e-5, `r_4 ${r[4]}`);
  assert.ok(Math.abs(r[5] - BAG_SCALE * Math.log(4 / 3)) < 1e-5, `r_5 ${r[5]}`);
  // W (2, 6): class 1 weighs token 4 by 2 and token 5 by −1. The text [4, 4, 1, 5] holds the distinct known tokens {4, 5}:
  // logit_1 = (2·r_4 − r_5) / √(2 + 1), logit_0 = 0; the unknown id 1 and the repeat of 4 add nothing.
  bag.weight.value.data.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, -1]);
  const logits = bag.forward([[4, 4, 1, 5], []]).data;
  assert.equal(logits[0], 0);
  assert.ok(Math.abs(logits[1] - (2 * r[4] - r[5]) / Math.sqrt(3)) < 1e-5, `logit ${logits[1]}`);
  assert.deepEqual([logits[2], logits[3]], [0, 0], 'an empty text has no bag');
});

/** Texts whose class word comes after `filler` tokens that both classes share: a GRU reading the first `filler` tokens cannot see it. */
function lateWordTexts(n: number, filler: number): Table {
  const rng = new Rng(3);
  const words = ['the', 'a', 'it', 'was', 'very', 'day'];
  const rows = Array.from({ length: n }, (_, i) => {
    const head = Array.from({ length: filler }, () => words[rng.int(words.length)]).join(' ');
    return i % 2 === 0 ? [`${head} good`, 'pos'] : [`${head} bad`, 'neg'];
  });
  return { columns: ['text', 'label'], rows, source: 'late-word' };
}

test('bag of words reads the whole text past maxLen, saves and loads; ONNX export refuses it', () => {
  const table = lateWordTexts(200, 6);
  const o = { maxLen: 4, embeddingSize: 6, hiddenSize: 6, epochs: 4, batchSize: 16, lr: 1e-2, minCount: 1 };
  const bag = trainClassifier(table, { ...o, bagOfWords: true });
  const plain = trainClassifier(table, o);
  assert.ok(bag.test.metrics.accuracy >= 0.95, `with the bag: accuracy ${bag.test.metrics.accuracy}`);
  assert.ok(plain.test.metrics.accuracy <= 0.7, `without it the class word is past maxLen: accuracy ${plain.test.metrics.accuracy}`);
  const path = join(dir, 'bag.safetensors');
  saveClassifier(bag, path);
  const back = loadClassifier(path);
  assert.equal(back.model.config.bagOfWords, true);
  assert.deepEqual(Array.from(back.model.bag!.ratio.value.data), Array.from(bag.model.bag!.ratio.value.data));
  const text = 'the a it was very day it good';
  assert.equal(classifyText(back, text).label, 'pos');
  assert.deepEqual(classifyText(back, text), classifyText(bag, text));
  assert.throws(() => classifierToOnnx(back), /bag-of-words path/);
});

test('a frames classifier with bagOfWords is an error; a text batch keeps the whole texts for the bag', () => {
  const frames = { labels: ['a', 'b'], frames: { features: 2, mean: [0, 0], std: [1, 1] }, maxLen: 8, embeddingSize: 2, hiddenSize: 3, numLayers: 1, bidirectional: false, dropout: 0, bagOfWords: true };
  assert.throws(() => new Classifier(frames, 0), /bagOfWords reads the tokens of texts/);
  const b = makeTextBatch(
    [
      [4, 5, 6, 7, 8],
      [9, 10],
    ],
    null,
    3,
  );
  assert.equal(b.T, 3);
  assert.deepEqual(Array.from(b.ids), [4, 5, 6, 9, 10, 0]);
  assert.deepEqual(b.tokens[0], [4, 5, 6, 7, 8]);
});

test('cosine schedule: the learning rate of each epoch falls along a cosine to 5% of the base', () => {
  const r = trainClassifier(lateWordTexts(60, 2), { embeddingSize: 4, hiddenSize: 4, epochs: 3, patience: 10, batchSize: 16, lr: 1e-2, minCount: 1, lrSchedule: 'cosine' });
  // lr_e = 5e-4 + ½ (1e-2 − 5e-4) (1 + cos(π e / 3)): 1e-2, 7.625e-3, 2.875e-3.
  const lrs = r.history.map((h) => h.lr);
  [1e-2, 7.625e-3, 2.875e-3].forEach((want, e) => assert.ok(Math.abs(lrs[e] - want) < 1e-9, `epoch ${e + 1}: lr ${lrs[e]}, expected ${want}`));
});
