// The classifier's practitioner baselines: multinomial naive Bayes on hand-worked counts, and the same test rows in
// training and in eval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Rng,
  classifyBaselines,
  classifyText,
  classifyTexts,
  evaluateClassifierOn,
  fitNaiveBayes,
  fitSoftmaxRegression,
  frameBaselines,
  naiveBayesPredict,
  pooledStatistics,
  softmaxRegressionPredict,
  trainClassifier,
  UNK,
} from '../src/index.js';
import { labelledTexts } from './helpers/synthetic.js';

test('naive Bayes: Laplace-smoothed log probabilities as worked by hand; unknown tokens ignored; the argmax class', () => {
  // V = 6 (ids 0–3 reserved). Class 0: one document "4 4 5"; class 1: one document "5" (and an unknown token).
  const nb = fitNaiveBayes(
    [
      [4, 4, 5],
      [5, UNK],
    ],
    [0, 1],
    2,
    6,
  );
  assert.deepEqual(Array.from(nb.logPrior), [Math.log(0.5), Math.log(0.5)]);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(nb.logLikelihood[0 * 6 + 4], Math.log(3 / 9)); // (2 + 1) / (3 + 6)
  close(nb.logLikelihood[0 * 6 + 5], Math.log(2 / 9));
  close(nb.logLikelihood[0 * 6 + 0], Math.log(1 / 9));
  close(nb.logLikelihood[1 * 6 + 4], Math.log(1 / 7)); // (0 + 1) / (1 + 6): UNK is not counted
  close(nb.logLikelihood[1 * 6 + 5], Math.log(2 / 7));
  assert.equal(naiveBayesPredict(nb, [4]), 0); // log(3/9) > log(1/7)
  assert.equal(naiveBayesPredict(nb, [5, 5]), 1); // 2 log(2/7) > 2 log(2/9)
  const b = classifyBaselines([[4, 4], [5], [4], [5, 5], [4, 5, 4]], [0, 1, 0, 1, 0], [0, 1], [2, 3, 4], 2, 6);
  assert.deepEqual(b.naiveBayes, { accuracy: 1, macroF1: 1 });
  assert.equal(b.majority!.accuracy, 2 / 3); // ties go to class 0: right on rows 2 and 4
});

test('training reports the baselines on its test rows; gru eval recomputes the same numbers on the test split and none on other data', () => {
  const table = labelledTexts(240);
  const r = trainClassifier(table, { embeddingSize: 8, hiddenSize: 8, epochs: 2, batchSize: 16, lr: 1e-2, minCount: 1 });
  const nb = r.test.baselines!.naiveBayes!;
  assert.ok(nb.accuracy > 0.9, `naive Bayes separates two word sets: ${nb.accuracy}`);
  assert.ok(Math.abs(r.test.baselines!.majority!.accuracy - 0.5) < 0.1);
  const again = evaluateClassifierOn(r, table);
  assert.equal(again.split, 'test');
  assert.deepEqual(again.baselines, r.test.baselines);
  assert.deepEqual(again.metrics, r.test.metrics);
  assert.equal(evaluateClassifierOn(r, table, { split: 'all' }).baselines, undefined);
  // Many texts at once (gru predict --input) equal one at a time, in order.
  const texts = table.rows.slice(0, 70).map((row) => row[0]);
  const many = classifyTexts(r, texts);
  assert.equal(many.length, 70);
  for (const i of [0, 1, 63, 64, 69]) {
    const one = classifyText(r, texts[i]);
    assert.equal(many[i].label, one.label);
    for (const l of r.model.config.labels) assert.ok(Math.abs(many[i].probabilities[l] - one.probabilities[l]) < 1e-6);
  }
});

test('frames baselines: pooled mean and std per feature as worked by hand; softmax regression learns three ordered clusters', () => {
  const p = pooledStatistics(Float32Array.from([1, 10, 3, 10]), 2); // frames [1, 10], [3, 10]
  assert.deepEqual(Array.from(p), [2, 10, 1, 0]);
  const rng = new Rng(1);
  const X = Array.from({ length: 60 }, (_, i) => Float64Array.from([(i % 3) - 1 + 0.2 * rng.normal(), rng.normal()]));
  const y = X.map((_, i) => i % 3);
  const r = fitSoftmaxRegression(X, y, 3, { steps: 500 });
  const right = X.filter((x, i) => softmaxRegressionPredict(r, x) === y[i]).length;
  assert.ok(right >= 57, `${right} of 60 (clusters 2.5 standard deviations apart overlap a little)`);
  const b = frameBaselines(
    X.map((x) => Float32Array.from(x)),
    2,
    y,
    [...Array(45).keys()],
    [...Array(15).keys()].map((i) => 45 + i),
    3,
  );
  assert.ok(b.pooledLogistic!.accuracy > 0.9, `${b.pooledLogistic!.accuracy}`);
});
