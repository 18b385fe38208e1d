/** `gru train forecast`, and forecast models in `gru eval` / `gru predict`. */
import type { Command } from 'commander';
import { loadTable } from '../data/datasets.js';
import { evaluateForecasterOn, forecastNext, saveForecaster, trainForecaster, type ForecastEvaluation, type ForecastOptions } from '../models/forecast/task.js';
import type { Forecaster } from '../models/forecast/model.js';
import { writeForecastChart, writeLossCurve } from './pictures.js';
import { addCommonTrainOptions, trainingOptions, list, positiveInt, probability, stem, type CommonTrainFlags } from './options.js';

interface ForecastFlags extends CommonTrainFlags {
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
}

export function forecastTrainCommand(train: Command): void {
  const c = train.command('forecast').description('forecast a numeric series from a CSV file (or --data births)');
  addCommonTrainOptions(c, { out: 'forecast.safetensors' })
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
    .action((f: ForecastFlags) => runForecastTraining(f));
}

export function runForecastTraining(f: ForecastFlags, extra: Partial<ForecastOptions> = {}): void {
  if (!f.data) throw new Error('--data is required: a dataset name (births) or a CSV file');
  const t0 = performance.now();
  const table = loadTable(f.data);
  const r = trainForecaster(table, {
    column: f.column, dateColumn: f.date, covariates: f.covariates, lookback: f.lookback, horizon: f.horizon, season: f.season,
    testSize: f.testSize, hiddenSize: f.hidden, numLayers: f.layers, dropout: f.dropout, ...trainingOptions(f),
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

function reportForecast(
  ev: ForecastEvaluation,
  o: { json?: boolean; model?: string; pictures?: string[]; seconds?: number; source: string },
): void {
  if (o.json) {
    console.log(JSON.stringify({ task: 'forecast', split: ev.split, windows: ev.windows, metrics: ev.metrics, baselines: ev.baselines, model: o.model, pictures: o.pictures, seconds: o.seconds }));
    return;
  }
  const m = ev.metrics, b = ev.baselines.seasonalNaive;
  const pct = (100 * (b.mae - m.mae)) / b.mae;
  console.log(`${o.source}, ${ev.split} (${ev.windows} forecasts):`);
  console.log(`  MAE   ${m.mae.toFixed(2).padStart(10)}   seasonal naive ${b.mae.toFixed(2)}  (${pct >= 0 ? `${pct.toFixed(1)}% better` : `${(-pct).toFixed(1)}% worse`})`);
  console.log(`  RMSE  ${m.rmse.toFixed(2).padStart(10)}   seasonal naive ${b.rmse.toFixed(2)}`);
  console.log(`  sMAPE ${m.smape.toFixed(2).padStart(9)}%   seasonal naive ${b.smape.toFixed(2)}%`);
  if (o.seconds !== undefined) console.log(`  trained in ${o.seconds.toFixed(0)} s`);
  if (o.model) console.log(`model: ${o.model}`);
  if (o.pictures?.length) console.log(`pictures: ${o.pictures.join(', ')}`);
}

export function evalForecast(model: Forecaster, data: string, json: boolean): void {
  const table = loadTable(data);
  reportForecast(evaluateForecasterOn(model, table), { json, source: table.source });
}

export function predictForecast(model: Forecaster, input: string, json: boolean): void {
  const table = loadTable(input);
  const r = forecastNext(model, table);
  if (json) {
    console.log(JSON.stringify({ task: 'forecast', dates: r.dates?.map((d) => new Date(d).toISOString().slice(0, 10)) ?? null, values: r.values }));
    return;
  }
  r.values.forEach((v, k) => console.log(`${r.dates ? new Date(r.dates[k]).toISOString().slice(0, 10) : `+${k + 1}`}\t${v.toFixed(2)}`));
}
