/** The forecast task's commands: `gru train forecast`, and forecast models in `gru eval` / `gru predict`. */
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadTable } from '../../data/datasets.js';
import { evaluateForecasterOn, forecastEach, loadForecaster, saveForecaster, trainForecaster, type ForecastEvaluation, type ForecastMetrics, type ForecastOptions } from './task.js';
import { BASELINE_LABELS, BASELINE_NAMES, type BaselineName } from './baselines.js';
import { evalSource, type TaskDefinition } from '../registry.js';
import type { Forecaster } from './model.js';
import { printTrainingFooter, writeLossCurve } from '../pictures.js';
import { writeForecastChart } from './picture.js';
import { addCellOptions, addCommonTrainOptions, cellFromFlags, trainingOptions, list, oneOf, positiveInt, probability, stem, type CellFlags, type CommonTrainFlags } from '../../cli/options.js';
import type { FillMethod } from './series.js';
import { GruError } from '../../errors.js';
import { forecasterToOnnx } from './onnx.js';

interface ForecastFlags extends CommonTrainFlags, CellFlags {
  column: string;
  date?: string;
  covariates?: string[];
  known?: string[];
  lookback?: number;
  horizon?: number;
  season?: number;
  testSize?: number;
  hidden?: number;
  layers?: number;
  dropout?: number;
  fill?: FillMethod;
  base?: ForecastOptions['base'];
  seriesColumn?: string;
}

function addTrainCommand(train: Command): void {
  const c = train.command('forecast').description('forecast a numeric series from a CSV file (or --data births)');
  addCellOptions(addCommonTrainOptions(c, { out: 'forecast.safetensors' }))
    .requiredOption('--column <name>', 'the value column')
    .option('--date <name>', 'the date column (default: a column named "date")')
    .option('--covariates <a,b>', 'extra numeric input columns', list)
    .option('--known <a,b>', 'covariates whose future values are known (promotions, holidays, prices): read at each forecast step too; gru predict then needs --future FILE', list)
    .option('--series-column <name>', "a long-format file of many series: the column naming each row's series; one global model learns from all of them")
    .option('--lookback <n>', 'input steps per window', positiveInt)
    .option('--horizon <n>', 'steps to forecast', positiveInt)
    .option('--season <n>', 'season length (default from the date frequency)', positiveInt)
    .option('--test-size <n>', 'rows held out at the end for testing', positiveInt)
    .option('--hidden <n>', 'GRU hidden size', positiveInt)
    .option('--layers <n>', 'GRU layers', positiveInt)
    .option('--dropout <p>', 'dropout between GRU layers', probability)
    .option('--fill <method>', 'fill empty cells and missing dates: linear or previous (default: they are errors)', oneOf<FillMethod>(['linear', 'previous']))
    .option(
      '--base <method>',
      'the classical forecast the model corrects: auto (chosen on validation), seasonal-naive, holt-winters or combination (their mean)',
      (v: string) => {
        const methods = { auto: 'auto', 'seasonal-naive': 'seasonalNaive', 'holt-winters': 'holtWinters', combination: 'combination' } as const;
        if (!(v in methods)) throw new InvalidArgumentError(`expected auto, seasonal-naive, holt-winters or combination, got '${v}'`);
        return methods[v as keyof typeof methods];
      },
      'auto',
    )
    .action((f: ForecastFlags) => runForecastTraining(f));
}

export function runForecastTraining(f: ForecastFlags, extra: Partial<ForecastOptions> = {}): void {
  if (!f.data) throw new GruError('INVALID_ARGUMENT', '--data is required: a dataset name (births) or a CSV file');
  const t0 = performance.now();
  const table = loadTable(f.data);
  const r = trainForecaster(table, {
    column: f.column,
    dateColumn: f.date,
    covariates: f.covariates,
    known: f.known,
    lookback: f.lookback,
    horizon: f.horizon,
    season: f.season,
    testSize: f.testSize,
    hiddenSize: f.hidden,
    numLayers: f.layers,
    dropout: f.dropout,
    fill: f.fill,
    base: f.base,
    seriesColumn: f.seriesColumn,
    cell: cellFromFlags(f),
    ...trainingOptions(f),
    ...extra,
  });
  saveForecaster(r.model, f.out);
  const seconds = (performance.now() - t0) / 1000;
  const c = r.model.config;
  // A global model draws its first few series, one picture each.
  const charts = r.test.perSeries
    ? r.test.perSeries.slice(0, 4).flatMap((p) => writeForecastChart(`${stem(f.out)}.forecast.${p.id.replace(/[^\w.-]+/g, '_')}.svg`, p.evaluation, p.series, c.horizon, `${c.column} (${p.id})`, !!f.png))
    : writeForecastChart(`${stem(f.out)}.forecast.svg`, r.test, r.series, c.horizon, c.column, !!f.png);
  const pictures = [...writeLossCurve(`${stem(f.out)}.loss.svg`, r.history, !!f.png, c.seriesColumn ? 'validation MAE in series scales' : 'validation MAE'), ...charts];
  reportForecast(r.test, { json: f.json, model: f.out, pictures, seconds, source: table.source });
}

/** "12.3% better than the best baseline (Holt-Winters)" */
export function comparedWithBest(ev: ForecastEvaluation): string {
  const pct = 100 * (1 - ev.best.maeRatio);
  return `${Math.abs(pct).toFixed(1)}% ${pct >= 0 ? 'better' : 'worse'} than the best baseline (${BASELINE_LABELS[ev.best.baseline]})`;
}

function reportForecast(ev: ForecastEvaluation, o: { json?: boolean; model?: string; pictures?: string[]; seconds?: number; source: string }): void {
  const scores = (e: ForecastEvaluation) => ({ windows: e.windows, metrics: e.metrics, baselines: e.baselines, best: e.best, intervals: e.intervals && { level: e.intervals.level, coverage: e.intervals.coverage, msis: e.intervals.msis } });
  if (o.json) {
    const perSeries = ev.perSeries && { series: ev.perSeries.map((p) => ({ id: p.id, ...scores(p.evaluation) })) };
    console.log(JSON.stringify({ task: 'forecast', data: o.source, split: ev.split, ...scores(ev), skipped: ev.skipped, ...perSeries, model: o.model, pictures: o.pictures, seconds: o.seconds }));
    return;
  }
  if (ev.perSeries) {
    console.log(`${o.source}: ${ev.perSeries.length} series, one model; MASE per series (below 1 beats in-sample seasonal naive):`);
    console.log(`  ${'series'.padEnd(28)}${'GRU'.padStart(9)}${BASELINE_NAMES.map((n) => BASELINE_LABELS[n].slice(0, 14).padStart(16)).join('')}`);
    for (const p of ev.perSeries) {
      const e = p.evaluation;
      console.log(`  ${p.id.slice(0, 27).padEnd(28)}${e.metrics.mase.toFixed(3).padStart(9)}${BASELINE_NAMES.map((n) => (e.baselines[n] ? e.baselines[n]!.mase.toFixed(3) : '—').padStart(16)).join('')}`);
    }
  }
  console.log(`${o.source}, ${ev.split === 'test' ? 'held-out final rows' : 'every window'} (${ev.windows} forecasts${ev.perSeries ? `; the mean over ${ev.perSeries.length} series, MAE and RMSE in each series' units` : ''}):`);
  const row = (name: string, m: ForecastMetrics) => console.log(`  ${name.padEnd(16)}${m.mae.toFixed(2).padStart(12)}${m.rmse.toFixed(2).padStart(12)}${`${m.smape.toFixed(2)}%`.padStart(9)}${m.mase.toFixed(3).padStart(9)}`);
  console.log(`  ${''.padEnd(16)}${'MAE'.padStart(12)}${'RMSE'.padStart(12)}${'sMAPE'.padStart(9)}${'MASE'.padStart(9)}`);
  row('GRU', ev.metrics);
  for (const name of BASELINE_NAMES) if (ev.baselines[name]) row(BASELINE_LABELS[name], ev.baselines[name]!);
  console.log(`  GRU: ${comparedWithBest(ev)}`);
  if (ev.intervals) console.log(`  ${Math.round(100 * ev.intervals.level)}% prediction intervals: coverage ${(100 * ev.intervals.coverage).toFixed(1)}%, MSIS ${ev.intervals.msis.toFixed(3)}`);
  for (const [name, why] of Object.entries(ev.skipped)) console.log(`  (${BASELINE_LABELS[name as BaselineName]} not fitted: ${why})`);
  printTrainingFooter(o);
}

export const forecastTask: TaskDefinition<Forecaster> = {
  name: 'forecast',
  summary: 'forecast a numeric series',
  addTrainCommand,
  load: loadForecaster,
  exportOnnx: forecasterToOnnx,
  module: (m) => m,
  evaluate(model, flags) {
    const table = loadTable(evalSource(flags, model.data));
    reportForecast(evaluateForecasterOn(model, table, flags.split), { json: flags.json, source: table.source });
  },
  predict(model, flags) {
    if (typeof flags.input !== 'string') throw new GruError('INVALID_ARGUMENT', 'a forecast model needs --input FILE: the history to forecast from');
    const table = loadTable(flags.input);
    const label = (ms: number) => new Date(ms).toISOString().slice(0, ms % 86_400_000 === 0 ? 10 : 16);
    const each = forecastEach(model, table, typeof flags.future === 'string' ? loadTable(flags.future) : undefined);
    if (flags.json) {
      // One JSON line per series (a model of one series: one line, as before).
      for (const r of each) console.log(JSON.stringify({ task: 'forecast', ...(r.id !== null ? { series: r.id } : {}), dates: r.dates?.map(label) ?? null, values: r.values, intervals: r.intervals }));
      return;
    }
    const id = (r: (typeof each)[number]) => (r.id !== null ? `${r.id}\t` : '');
    if (each[0].intervals) console.log(`${each[0].id !== null ? `${model.config.seriesColumn}\t` : ''}date\tforecast\t${Math.round(100 * each[0].intervals.level)}% interval`);
    for (const r of each) r.values.forEach((v, k) => console.log(`${id(r)}${r.dates ? label(r.dates[k]) : `+${k + 1}`}\t${v.toFixed(2)}${r.intervals ? `\t[${r.intervals.lower[k].toFixed(2)}, ${r.intervals.upper[k].toFixed(2)}]` : ''}`));
  },
  predictOptions: [
    { flags: '--input <file>', description: 'a CSV file: the history to continue' },
    { flags: '--future <file>', description: "a CSV file of the forecast steps: the known covariates' values there (a model trained with --known)" },
  ],
  demo: {
    summary: 'US daily births, 7 days ahead',
    run(o) {
      console.log('Forecasting US daily births 7 days ahead from the last 56 days (1969–1988; tested on the final 365 days)…');
      runForecastTraining({ data: 'births', column: 'births', lookback: 56, horizon: 7, out: join(o.out, 'births.safetensors'), png: o.png, epochs: 12 });
    },
  },
};
