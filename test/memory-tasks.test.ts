// The generators of the long-range memory study (scripts/memory-tasks.ts): layouts, targets, baselines, the digits fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core.js';
import { ADDING_BASELINE, COPY, addingBatch, copyBaseline, copyBatch, digitsBatch, digitsSplit, loadDigits, permutation } from '../scripts/memory-tasks.js';

test('adding problem: two marks, one in each half, and the target is the sum of the marked values', () => {
  const [T, B] = [101, 64];
  const { x, y, marks } = addingBatch(T, B, new Rng(3));
  for (let b = 0; b < B; b++) {
    const marked: number[] = [];
    let sum = 0;
    for (let t = 0; t < T; t++) {
      const [v, m] = [x[(t * B + b) * 2], x[(t * B + b) * 2 + 1]];
      assert.ok(v >= 0 && v < 1);
      assert.ok(m === 0 || m === 1);
      if (m === 1) {
        marked.push(t);
        sum += v;
      }
    }
    assert.deepEqual(marked, [marks[2 * b], marks[2 * b + 1]]);
    assert.ok(marked[0] < 50 && marked[1] >= 50, `marks ${marked}`);
    assert.ok(Math.abs(y[b] - sum) < 1e-6);
  }
  // Same seed, same batch.
  assert.deepEqual(addingBatch(T, B, new Rng(3)).x, x);
});

test('adding problem: answering 1 scores about 2/12', () => {
  const { y } = addingBatch(10, 20000, new Rng(4));
  let mse = 0;
  for (const v of y) mse += (v - 1) ** 2;
  mse /= y.length;
  assert.equal(ADDING_BASELINE, 1 / 6);
  assert.ok(Math.abs(mse - ADDING_BASELINE) < 0.006, `MSE ${mse}`);
});

test('copy memory: 10 symbols, T − 1 blanks, the delimiter, 10 blanks; the target repeats the symbols at the end', () => {
  const [T, B] = [30, 5];
  const { x, target, steps } = copyBatch(T, B, new Rng(5));
  assert.equal(steps, T + 20);
  assert.equal(x.length, steps * B * COPY.inputs);
  for (let b = 0; b < B; b++) {
    const ids: number[] = [];
    for (let t = 0; t < steps; t++) {
      const row = x.subarray((t * B + b) * COPY.inputs, (t * B + b + 1) * COPY.inputs);
      assert.equal(
        row.reduce((s, v) => s + v, 0),
        1,
      );
      ids.push(row.indexOf(1));
    }
    const symbols = ids.slice(0, 10);
    assert.ok(symbols.every((s) => s >= 1 && s <= 8));
    assert.deepEqual(ids.slice(10, T + 9), new Array(T - 1).fill(0));
    assert.equal(ids[T + 9], 9);
    assert.deepEqual(ids.slice(T + 10), new Array(10).fill(0));
    const tgt = Array.from({ length: steps }, (_, t) => target[t * B + b]);
    assert.deepEqual(tgt.slice(0, T + 10), new Array(T + 10).fill(0));
    assert.deepEqual(tgt.slice(T + 10), symbols);
  }
});

test('copy memory baseline: 10 log 8 / (T + 20), the cross-entropy of blanks then uniform guesses', () => {
  for (const T of [100, 500]) {
    // The memoryless predictor: probability 1 on blank for T + 10 steps, 1/8 on each symbol for 10.
    const ce = (10 * -Math.log(1 / 8)) / (T + 20);
    assert.ok(Math.abs(copyBaseline(T) - ce) < 1e-15);
  }
  assert.ok(Math.abs(copyBaseline(100) - 0.17329) < 1e-5);
});

test('digits fixture: 1,797 images of 64 pixels 0..16, the class counts of load_digits, a stratified split', () => {
  const d = loadDigits();
  assert.equal(d.n, 1797);
  assert.equal(d.pixels.length, 1797 * 64);
  assert.equal(Math.max(...d.pixels), 16);
  const counts = new Array(10).fill(0);
  for (const l of d.labels) counts[l]++;
  assert.deepEqual(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
  // load_digits' first image is a 0 whose first row is 0 0 5 13 9 1 0 0.
  assert.equal(d.labels[0], 0);
  assert.deepEqual(Array.from(d.pixels.subarray(0, 8)), [0, 0, 5, 13, 9, 1, 0, 0]);
  const { train, test: held } = digitsSplit(d);
  assert.equal(train.length + held.length, 1797);
  assert.equal(new Set([...train, ...held]).size, 1797);
  assert.equal(held.length, 359); // 20% of each class, rounded
  assert.deepEqual(digitsSplit(d).test, held);
  const perm = permutation(64, new Rng(7));
  assert.deepEqual(
    Array.from(perm).sort((a, b) => a - b),
    Array.from({ length: 64 }, (_, i) => i),
  );
  const seq = digitsBatch(d, [0, 5], null);
  const per = digitsBatch(d, [0, 5], perm);
  assert.deepEqual(Array.from(seq.y), [0, 5]);
  for (let t = 0; t < 64; t++) {
    assert.equal(seq.x[t * 2 + 1], d.pixels[5 * 64 + t] / 16);
    assert.equal(per.x[t * 2 + 1], d.pixels[5 * 64 + perm[t]] / 16);
  }
});
