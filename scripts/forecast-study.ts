/**
 * The default `gru train forecast` on real series against the classical
 * baselines on the same test windows (what a user comparing with
 * statsmodels would see). Not part of `npm test`.
 *
 *   node --import tsx scripts/forecast-study.ts [name …] [--set key=value …] [--seeds n]
 *
 * `--set` passes a ForecastOptions field (numbers parsed) to every run, for
 * experiments; `--seeds n` repeats each series with seeds 0…n−1. Prints a
 * Markdown table and, on stderr, one JSON line per run.
 */
import { birthsTable, trainForecaster, type ForecastOptions, type Table } from '../src/index.js';
import { MULTI_SERIES, REAL_SERIES } from './forecast-series.js';

const args = process.argv.slice(2);
const overrides: Record<string, unknown> = {};
const names: string[] = [];
let seeds = 1;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--set') {
    const [k, v] = args[++i].split('=');
    overrides[k] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v;
  } else if (args[i] === '--seeds') seeds = Number(args[++i]);
  else names.push(args[i]);
}

interface Case {
  name: string;
  frequency: string;
  table: () => Table;
  column: string;
  season?: number;
  horizon: number;
  seriesColumn?: string;
}
const cases: Case[] = [
  { name: 'births', frequency: 'daily', table: birthsTable, column: 'births', horizon: 7 },
  ...REAL_SERIES.map((s) => ({ name: s.name, frequency: s.frequency, table: () => s.table(), column: s.column, season: s.season, horizon: s.horizon })),
  // One global model over the 14 series (the row: the mean over series; GRU / best: the geometric mean of the per-series ratios).
  { name: MULTI_SERIES.name, frequency: MULTI_SERIES.frequency, table: () => MULTI_SERIES.table(), column: MULTI_SERIES.column, season: MULTI_SERIES.season, horizon: MULTI_SERIES.horizon, seriesColumn: MULTI_SERIES.idColumn },
].filter((c) => names.length === 0 || names.includes(c.name));

const f = (v: number, d = 3) => v.toFixed(d);
console.log(`| series | frequency | rows | test windows | GRU MAE | GRU MASE | seasonal naive | linear AR | Holt-Winters | GRU / best | 80% interval coverage, MSIS | training |`);
console.log(`|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
const ratios: number[] = [];
for (const c of cases) {
  for (let seed = 0; seed < seeds; seed++) {
    const table = c.table();
    const t0 = performance.now();
    const r = trainForecaster(table, { column: c.column, season: c.season, horizon: c.horizon, seriesColumn: c.seriesColumn, seed, ...overrides } as ForecastOptions);
    const seconds = (performance.now() - t0) / 1000;
    const ev = r.test,
      b = ev.baselines;
    ratios.push(ev.best.maeRatio);
    console.log(
      `| ${c.name}${seeds > 1 ? ` (seed ${seed})` : ''} | ${c.frequency} | ${table.rows.length} | ${ev.windows} | ${ev.metrics.mae.toPrecision(4)} | ${f(ev.metrics.mase)} | ${f(b.seasonalNaive.mase)} | ${b.linearAR ? f(b.linearAR.mase) : '—'} | ${b.holtWinters ? f(b.holtWinters.mase) : '—'} | ${f(ev.best.maeRatio)} (${ev.best.baseline}) | ${ev.intervals ? `${(100 * ev.intervals.coverage).toFixed(1)}%, ${ev.intervals.msis.toFixed(2)}` : '—'} | ${seconds.toFixed(0)} s |`,
    );
    console.error(
      JSON.stringify({
        series: c.name,
        seed,
        overrides,
        epochs: r.history.length,
        seconds,
        metrics: ev.metrics,
        baselines: b,
        best: ev.best,
        intervals: ev.intervals && { level: ev.intervals.level, coverage: ev.intervals.coverage, msis: ev.intervals.msis },
      }),
    );
  }
}
const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
console.log(`\nGRU MAE / best baseline MAE: geometric mean ${f(geo)}, worst ${f(Math.max(...ratios))}, at or below the best on ${ratios.filter((r) => r <= 1).length} of ${ratios.length}.`);
