/** The forecast task's commands: `gru train forecast`, and forecast models in `gru eval` / `gru predict`. */
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadTable } from '../../data/datasets.js';
import { evaluateForecasterOn, forecastNext, loadForecaster, saveForecaster, trainForecaster, type ForecastEvaluation, type ForecastMetrics, type ForecastOptions } from './task.js';
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
  lookback?: number;
  horizon?: number;
  season?: number;
  testSize?: number;
  hidden?: number;
  layers?: number;
  dropout?: number;
  fill?: FillMethod;
  base?: ForecastOptions['base'];
}

function addTrainCommand(train: Command): void {
  const c = train.command('forecast').description('forecast a numeric series from a CSV file (or --data births)');
  addCellOptions(addCommonTrainOptions(c, { out: 'forecast.safetensors' }))
    .requiredOption('--column <name>', 'the value column')
    .option('--date <name>', 'the date column (default: a column named "date")')
    .option('--covariates <a,b>', 'extra numeric input columns', list)
    .option('--lookback <n>', 'input steps per window', positiveInt)
    .option('--horizon <n>', 'steps to forecast', positiveInt)
    .option('--season <n>', 'season length (default from the date frequency)', positiveInt)
    .option('--test-size <n>', 'rows held out at the end for testing', positiveInt)
    .option('--hidden <n>', 'GRU hidden size', positiveInt)
    .option('--layers <n>', 'GRU layers', positiveInt)
    .option('--dropout <p>', 'dropout between GRU layers', probability)
    .option('--fill <method>', 'fill empty cells and missing dates: linear or previous (default: they are errors)', oneOf<FillMethod>(['linear', 'previous']))
    .option('--base <method>', 'the classical forecast the model corrects: auto (chosen on validation), seasonal-naive or holt-winters', (v: string) => {
      const methods = { auto: 'auto', 'seasonal-naive': 'seasonalNaive', 'holt-winters': 'holtWinters' } as const;
      if (!(v in methods)) throw new InvalidArgumentError(`expected auto, seasonal-naive or holt-winters, got '${v}'`);
      return methods[v as keyof typeof methods];
    }, 'auto')
    .action((f: ForecastFlags) => runForecastTraining(f));
}

export function runForecastTraining(f: ForecastFlags, extra: Partial<ForecastOptions> = {}): void {
  if (!f.data) throw new GruError('INVALID_ARGUMENT', '--data is required: a dataset name (births) or a CSV file');
  const t0 = performance.now();
  const table = loadTable(f.data);
  const r = trainForecaster(table, {
    column: f.column, dateColumn: f.date, covariates: f.covariates, lookback: f.lookback, horizon: f.horizon, season: f.season,
    testSize: f.testSize, hiddenSize: f.hidden, numLayers: f.layers, dropout: f.dropout, fill: f.fill, base: f.base, cell: cellFromFlags(f), ...trainingOptions(f),
    ...extra,
  });
  saveForecaster(r.model, f.out);
  const seconds = (performance.now() - t0) / 1000;
  const pictures = [
    ...writeLossCurve(`${stem(f.out)}.loss.svg`, r.history, !!f.png, 'validation MAE'),
    ...writeForecastChart(`${stem(f.out)}.forecast.svg`, r.test, r.series, r.model.config.horizon, r.model.config.column, !!f.png),
  ];
  reportForecast(r.test, { json: f.json, model: f.out, pictures, seconds, source: table.source });
}

/** "12.3% better than the best baseline (Holt-Winters)" */
export function comparedWithBest(ev: ForecastEvaluation): string {
  const pct = 100 * (1 - ev.best.maeRatio);
  return `${Math.abs(pct).toFixed(1)}% ${pct >= 0 ? 'better' : 'worse'} than the best baseline (${BASELINE_LABELS[ev.best.baseline]})`;
}

function reportForecast(
  ev: ForecastEvaluation,
  o: { json?: boolean; model?: string; pictures?: string[]; seconds?: number; source: string },
): void {
  if (o.json) {
    console.log(JSON.stringify({ task: 'forecast', data: o.source, split: ev.split, windows: ev.windows, metrics: ev.metrics, baselines: ev.baselines, skipped: ev.skipped, best: ev.best, intervals: ev.intervals && { level: ev.intervals.level, coverage: ev.intervals.coverage, msis: ev.intervals.msis }, model: o.model, pictures: o.pictures, seconds: o.seconds }));
    return;
  }
  console.log(`${o.source}, ${ev.split === 'test' ? 'held-out final rows' : 'every window'} (${ev.windows} forecasts):`);
  const row = (name: string, m: ForecastMetrics) =>
    console.log(`  ${name.padEnd(16)}${m.mae.toFixed(2).padStart(12)}${m.rmse.toFixed(2).padStart(12)}${`${m.smape.toFixed(2)}%`.padStart(9)}${m.mase.toFixed(3).padStart(9)}`);
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
    const r = forecastNext(model, table);
    const label = (ms: number) => new Date(ms).toISOString().slice(0, ms % 86_400_000 === 0 ? 10 : 16);
    if (flags.json) {
      console.log(JSON.stringify({ task: 'forecast', dates: r.dates?.map(label) ?? null, values: r.values, intervals: r.intervals }));
      return;
    }
    if (r.intervals) console.log(`date\tforecast\t${Math.round(100 * r.intervals.level)}% interval`);
    r.values.forEach((v, k) => console.log(`${r.dates ? label(r.dates[k]) : `+${k + 1}`}\t${v.toFixed(2)}${r.intervals ? `\t[${r.intervals.lower[k].toFixed(2)}, ${r.intervals.upper[k].toFixed(2)}]` : ''}`));
  },
  predictOptions: [{ flags: '--input <file>', description: 'a CSV file: the history to continue' }],
  demo: {
    summary: 'US daily births, 7 days ahead',
    run(o) {
      console.log('Forecasting US daily births 7 days ahead from the last 56 days (1969–1988; tested on the final 365 days)…');
      runForecastTraining({ data: 'births', column: 'births', lookback: 56, horizon: 7, out: join(o.out, 'births.safetensors'), png: o.png, epochs: 12 });
    },
  },
};
