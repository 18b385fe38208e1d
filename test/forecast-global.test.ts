// Forecasting beyond one series: a global model over many series (long format, per-series scaling, per-series
// and mean metrics), known future covariates (read at each forecast step; `gru predict --future`), and the
// combination base (the mean of seasonal naive and Holt–Winters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import {
  Rng,
  baseForecasts,
  evaluateForecasterOn,
  fitHoltWinters,
  forecastEach,
  forecastNext,
  forecasterToOnnx,
  loadForecaster,
  makeBatch,
  originsBetween,
  saveForecaster,
  seasonalNaiveRolling,
  holtWintersRolling,
  seriesByIdFromTable,
  trainForecaster,
  type Table,
} from '../src/index.js';
import { MULTI_SERIES } from '../scripts/forecast-series.js';

const dir = mkdtempSync(join(tmpdir(), 'gru-global-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const small = { hiddenSize: 8, headSize: 8, epochs: 2, batchSize: 64 };

// The real long-format file: unemployed persons per US industry, 14 series of 122 months (vega-datasets, BLS).
const industries = MULTI_SERIES.table();
const global = trainForecaster(industries, { column: MULTI_SERIES.column, seriesColumn: MULTI_SERIES.idColumn, season: 12, horizon: 12, ...small });

test('a global model over 14 real series: one member per series with its own scale, per-series and mean metrics', () => {
  const { model, test: ev } = global;
  const ids = [...new Set(industries.rows.map((r) => r[industries.columns.indexOf('series')]))];
  assert.equal(ids.length, 14);
  assert.deepEqual(
    model.members!.map((m) => m.id),
    ids,
  );
  // Each series is scaled by its own seasonal changes: Mining's are an order of magnitude below Wholesale's.
  const scale = (id: string) => model.members!.find((m) => m.id === id)!.normalization.scale;
  assert.ok(scale('Wholesale and Retail Trade') > 10 * scale('Mining and Extraction'), `${scale('Wholesale and Retail Trade')} vs ${scale('Mining and Extraction')}`);
  assert.equal(ev.perSeries!.length, 14);
  const mean = (f: (e: typeof ev) => number) => ev.perSeries!.reduce((s, p) => s + f(p.evaluation), 0) / 14;
  assert.ok(Math.abs(ev.metrics.mase - mean((e) => e.metrics.mase)) < 1e-12);
  assert.ok(Math.abs(ev.baselines.seasonalNaive.mase - mean((e) => e.baselines.seasonalNaive.mase)) < 1e-12);
  assert.equal(
    ev.windows,
    ev.perSeries!.reduce((n, p) => n + p.evaluation.windows, 0),
  );
  const geo = Math.exp(mean((e) => Math.log(e.metrics.mae / e.baselines[ev.best.baseline]!.mae)));
  assert.ok(Math.abs(ev.best.maeRatio - geo) < 1e-12);
  // Forecasts are in each series' own units: near that series' recent level.
  for (const p of ev.perSeries!) {
    const last = p.series.values[p.evaluation.origins[0]];
    assert.ok(Math.abs(p.evaluation.predictions[0] - last) < 0.5 * last + 50, `${p.id}: ${p.evaluation.predictions[0]} vs ${last}`);
  }
});

test('a global model round-trips through its file, evaluates and forecasts every series, and refuses a series it does not know', () => {
  const path = join(dir, 'global.safetensors');
  saveForecaster(global.model, path);
  const back = loadForecaster(path);
  assert.deepEqual(back.members, global.model.members);
  const again = evaluateForecasterOn(back, industries);
  assert.equal(again.metrics.mase, global.test.metrics.mase);
  assert.deepEqual(
    again.perSeries!.map((p) => p.evaluation.metrics),
    global.test.perSeries!.map((p) => p.evaluation.metrics),
  );
  const next = forecastEach(back, industries);
  assert.equal(next.length, 14);
  assert.equal(next[0].values.length, 12);
  assert.equal(new Date(next[0].dates![0]).toISOString().slice(0, 10), '2010-03-01');
  assert.throws(() => forecastNext(back, industries), /a global model of many series \('series'\): use forecastEach/);
  const stranger: Table = { ...industries, rows: industries.rows.map((r) => (r[0] === 'Finance' ? ['Fishing', ...r.slice(1)] : r)) };
  assert.throws(() => forecastEach(back, stranger), /series 'Fishing' is not one the model was trained on \(it knows Agriculture/);
});

test("a global model in ONNX Runtime takes each window's series scale and gives the forecasts of the library", async () => {
  const model = global.model;
  const session = await ort.InferenceSession.create(forecasterToOnnx(model));
  assert.ok(session.inputNames.includes('scale'));
  const c = model.config;
  const parts = seriesByIdFromTable(industries, { column: c.column, dateColumn: 'date', seriesColumn: 'series' }).slice(0, 3);
  for (const { id, series } of parts) {
    const m = model.members!.find((x) => x.id === id)!;
    const b = makeBatch(series, c, m.normalization, originsBetween(c, 60, 122).slice(0, 5), baseForecasts(series, c, m.base));
    const out = await session.run({
      x: new ort.Tensor('float32', b.x, [b.B, c.lookback, b.x.length / (b.B * c.lookback)]),
      steps: new ort.Tensor('float32', b.steps, [b.B, c.horizon, b.steps.length / (b.B * c.horizon)]),
      baseline: new ort.Tensor('float64', b.baseline, [b.B, c.horizon]),
      scale: new ort.Tensor('float64', b.scale, [b.B]),
    });
    const expected = model.predict(b);
    const got = out.forecast.data as Float64Array;
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i] - expected[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])), `${id} [${i}]: ${got[i]} vs ${expected[i]}`);
    const bounds = model.intervals(expected, b.scale)!;
    const lower = out.lower.data as Float64Array;
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(lower[i] - bounds.lower[i]) <= 1e-5 * Math.max(1, Math.abs(bounds.lower[i])));
  }
});

test('long-format problems: an empty series id and series of different frequencies are named', () => {
  const t: Table = {
    columns: ['id', 'date', 'v'],
    rows: [
      ['a', '2020-01-01', '1'],
      ['', '2020-01-02', '2'],
    ],
    source: 'long.csv',
  };
  assert.throws(() => seriesByIdFromTable(t, { column: 'v', seriesColumn: 'id' }), /long\.csv: the series column 'id' is empty at data row 2/);
  const mixed: Table = {
    columns: ['id', 'date', 'v'],
    rows: [...['2020-01-01', '2020-01-02', '2020-01-03'].map((d) => ['a', d, '1']), ...['2020-01-01', '2020-02-01', '2020-03-01'].map((d) => ['b', d, '1'])],
    source: 'mixed.csv',
  };
  assert.throws(() => seriesByIdFromTable(mixed, { column: 'v', seriesColumn: 'id' }), /must share one frequency to train one model, got daily, monthly/);
  assert.throws(() => seriesByIdFromTable(mixed, { column: 'v', seriesColumn: 'kind' }), /no column 'kind'; the columns are: id, date, v/);
  // A problem inside one series names the file's row, not the row's place in its series.
  const gap: Table = { ...mixed, rows: mixed.rows.map((r, k) => (k === 4 ? [r[0], r[1], ''] : r)), source: 'gap.csv' };
  assert.throws(() => seriesByIdFromTable(gap, { column: 'v', seriesColumn: 'id' }), /gap\.csv \(id b\): column 'v' has 1 empty cell \(data row 5\)/);
});

/** Daily sales lifted by 30 on promotion days (known in advance, 20% of days), a weekly cycle and noise of sd 3. */
function promotions(days: number): Table {
  const rng = new Rng(3);
  const rows: string[][] = [];
  for (let i = 0; i < days; i++) {
    const promo = rng.uniform() < 0.2 ? 1 : 0;
    const y = 100 + 30 * promo + 10 * Math.sin((2 * Math.PI * i) / 7) + 3 * rng.normal();
    rows.push([new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10), y.toFixed(3), String(promo)]);
  }
  return { columns: ['date', 'sales', 'promo'], rows, source: 'promotions' };
}

test('a daily series shorter than three years is tested on its final 20%, not on a year it does not have', () => {
  const r = trainForecaster(promotions(400), { column: 'sales', lookback: 14, horizon: 7, ...small });
  assert.equal(r.model.config.testSize, 80);
  assert.equal(trainForecaster(promotions(1100), { column: 'sales', lookback: 14, horizon: 7, ...small, epochs: 1 }).model.config.testSize, 365);
});

test('known future covariates: promotions read at each forecast step cut the error that past promotions leave', () => {
  const t = promotions(900);
  const o = { column: 'sales', testSize: 120, lookback: 28, horizon: 7, hiddenSize: 16, headSize: 16, epochs: 10 };
  const past = trainForecaster(t, { ...o, covariates: ['promo'] });
  const known = trainForecaster(t, { ...o, known: ['promo'] });
  assert.deepEqual(known.model.config.known, ['promo']);
  assert.deepEqual(known.model.config.covariates, ['promo']);
  // A promotion moves sales by 30 (MAE about 0.2 · 30 = 6 without knowing it); with it known the error nears the noise's (2.4).
  assert.ok(known.test.metrics.mae < 0.5 * past.test.metrics.mae, `known ${known.test.metrics.mae} vs past only ${past.test.metrics.mae}`);
  assert.ok(known.test.metrics.mae < 4, `${known.test.metrics.mae}`);

  // Predicting needs the promotions of the 7 forecast days, dated right after the history.
  const history: Table = { ...t, rows: t.rows.slice(0, 800) };
  const future: Table = { columns: ['date', 'promo'], rows: t.rows.slice(800, 807).map((r) => [r[0], r[2]]), source: 'future.csv' };
  assert.throws(() => forecastNext(known.model, history), /reads the known covariates promo at each forecast step: give their next 7 values \(gru predict --future FILE\)/);
  assert.throws(() => forecastNext(known.model, history, { ...future, rows: future.rows.slice(0, 5) }), /future\.csv: 5 future rows, expected at least the horizon's 7/);
  assert.throws(() => forecastNext(known.model, history, { ...future, rows: future.rows.slice(1) }), /future\.csv: 6 future rows/);
  const shifted = { ...future, rows: t.rows.slice(801, 808).map((r) => [r[0], r[2]]) };
  assert.throws(() => forecastNext(known.model, history, shifted), /future row 1 is dated 2022-03-12, expected 2022-03-11/);
  const f = forecastNext(known.model, history, future);
  // The forecast follows the promotions: promotion days forecast about 30 more.
  const promoDays = future.rows.map((r) => r[1] === '1');
  const actual = t.rows.slice(800, 807).map((r) => Number(r[1]));
  f.values.forEach((v, k) => assert.ok(Math.abs(v - actual[k]) < 15, `day ${k + 1} (promotion: ${promoDays[k]}): ${v} vs ${actual[k]}`));
});

test('the combination base is the mean of seasonal naive and Holt–Winters from every origin', () => {
  const t = promotions(200);
  const values = Float64Array.from(t.rows, (r) => Number(r[1]));
  const hw = fitHoltWinters(values, 150, 7);
  const params = { season: hw.season, alpha: hw.alpha, beta: hw.beta, gamma: hw.gamma, level0: hw.level0, trend0: hw.trend0, seasonal0: Array.from(hw.seasonal0) };
  const w = { lookback: 14, horizon: 3, season: 7, frequency: 'daily' as const };
  const series = { values, dates: null, covariates: [], frequency: 'daily' as const };
  const mean = baseForecasts(series, w, { method: 'combination', params, firstDate: null });
  const sn = seasonalNaiveRolling(values, 3, 7),
    hws = holtWintersRolling(params, values, 3);
  for (let i = 6 * 3; i < mean.length; i++) assert.ok(Math.abs(mean[i] - (sn[i] + hws[i]) / 2) < 1e-9);
});

test('gru train forecast --series-column and --known, gru predict --future, on the command line', () => {
  const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  const gru = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
  const toCsv = (t: Table) => [t.columns.join(','), ...t.rows.map((r) => r.join(','))].join('\n');
  const long = join(dir, 'industries.csv');
  writeFileSync(long, toCsv(industries));
  const out = join(dir, 'cli-global.safetensors');
  const r = gru('train', 'forecast', '--data', long, '--column', 'unemployed', '--series-column', 'series', '--season', '12', '--horizon', '12', '--hidden', '8', '--epochs', '1', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.series.length, 14);
  assert.equal(report.series[0].id, 'Agriculture');
  assert.ok(report.baselines.holtWinters.mase > 0 && report.metrics.mase > 0);
  const p = gru('predict', out, '--input', long, '--json');
  assert.equal(p.status, 0, p.stderr);
  const lines = p.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 14);
  assert.equal(lines[13].series, 'Wholesale and Retail Trade');
  assert.equal(lines[0].values.length, 12);

  const t = promotions(400);
  const history = join(dir, 'sales.csv'),
    future = join(dir, 'future.csv'),
    promo = join(dir, 'promo.safetensors');
  writeFileSync(history, toCsv(t));
  writeFileSync(
    future,
    toCsv({
      columns: ['date', 'promo'],
      rows: [
        ['2021-02-04', '1'],
        ['2021-02-05', '0'],
        ['2021-02-06', '0'],
      ],
      source: '',
    }),
  );
  const k = gru('train', 'forecast', '--data', history, '--column', 'sales', '--known', 'promo', '--lookback', '14', '--horizon', '3', '--test-size', '40', '--hidden', '8', '--epochs', '1', '--out', promo);
  assert.equal(k.status, 0, k.stderr);
  const none = gru('predict', promo, '--input', history);
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /give their next 3 values \(gru predict --future FILE\)/);
  const f = gru('predict', promo, '--input', history, '--future', future, '--json');
  assert.equal(f.status, 0, f.stderr);
  assert.deepEqual(JSON.parse(f.stdout).dates, ['2021-02-04', '2021-02-05', '2021-02-06']);
});

test('fitHoltWinters keeps recent fits by content: the same rows give the same fit (a copy), other rows a new one', () => {
  const values = Float64Array.from({ length: 120 }, (_, i) => 10 + Math.sin((2 * Math.PI * i) / 12) + 0.02 * i + 0.1 * Math.cos(i * 1.7));
  const a = fitHoltWinters(values, 100, 12);
  a.seasonal0[0] = 1e9; // a caller's change must not reach the kept fit
  const b = fitHoltWinters(Array.from(values), 100, 12);
  assert.notEqual(b.seasonal0[0], 1e9);
  assert.deepEqual({ ...b, seasonal0: Array.from(b.seasonal0) }, { ...fitHoltWinters(values.slice(), 100, 12), seasonal0: Array.from(b.seasonal0) });
  const changed = values.slice();
  changed[50] += 5;
  assert.notEqual(fitHoltWinters(changed, 100, 12).sse, b.sse);
  assert.notEqual(fitHoltWinters(values, 99, 12).sse, b.sse);
});
