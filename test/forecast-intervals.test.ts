// Prediction intervals: split-conformal offsets, their scores worked by hand, and coverage on a series of known noise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, conformalOffsets, intervalScores, quantile, trainForecaster, type Table } from '../src/index.js';

test('quantiles, conformal offsets and interval scores, worked by hand', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4, 5], 0.1), 1.4); // h = 4·0.1 = 0.4 → 1 + 0.4·(2 − 1)
  // Errors of 4 windows × 2 steps; level 0.5 → quantiles 0.25, 0.75 widened by (n+1)/n = 1.25 to 0.1875, 0.8125.
  const q = conformalOffsets([-2, 10, -1, 20, 1, 30, 2, 40], 4, 2, 0.5);
  assert.deepEqual(q.lower, [quantile([-2, -1, 1, 2], 0.1875), quantile([10, 20, 30, 40], 0.1875)]);
  assert.ok(Math.abs(q.lower[0] - (-2 + 0.5625)) < 1e-12 && Math.abs(q.upper[1] - (30 + 0.4375 * 10)) < 1e-12);
  // MSIS at level 0.8 (α = 0.2): widths 2, 2, 2; the third actual is 1 below its interval: penalty (2/0.2)·1 = 10.
  const s = intervalScores([0, 0, 0], [2, 2, 2], [1, 2, -1], 0.8, 4);
  assert.equal(s.coverage, 2 / 3);
  assert.ok(Math.abs(s.msis - (2 + 2 + 2 + 10) / 3 / 4) < 1e-12);
});

test('80% intervals cover about 80% of a series whose noise is known', () => {
  // y_t = 50 + 3·sin(2πt/7) + ε_t, ε ~ N(0, 1): the best forecast leaves ε, whose central 80% spans ±1.2816.
  const rng = new Rng(11);
  const rows = Array.from({ length: 1400 }, (_, t) => [new Date(Date.UTC(2020, 0, 1) + t * 86_400_000).toISOString().slice(0, 10), (50 + 3 * Math.sin((2 * Math.PI * t) / 7) + rng.normal()).toFixed(4)]);
  const table: Table = { columns: ['date', 'value'], rows, source: 'noise' };
  const r = trainForecaster(table, { column: 'value', lookback: 14, horizon: 1, testSize: 365, hiddenSize: 8, headSize: 8, epochs: 3 });
  const iv = r.test.intervals!;
  assert.equal(iv.level, 0.8);
  // 365 test windows: the coverage's standard error is √(0.8·0.2/365) ≈ 0.021; allow three of them either side.
  assert.ok(Math.abs(iv.coverage - 0.8) < 0.064, `coverage ${iv.coverage}`);
  const width = iv.upper[0] - iv.lower[0];
  assert.ok(Math.abs(width - 2 * 1.2816) < 0.35 * 2 * 1.2816, `width ${width} vs 2.563 for N(0, 1)`);
});
