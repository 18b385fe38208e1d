/**
 * The forecast task end to end: read the series, split it in time (the
 * final part for testing, the part before it for validation), fit the
 * normalisation on training data only, train, and evaluate against the
 * classical baselines a statistician would run (seasonal naive, linear
 * autoregression, Holt–Winters) on the same test windows.
 */
import type { Table } from '../../data/csv.js';
import { Adam } from '../../optim/adam.js';
import { ReduceOnPlateau } from '../../optim/schedule.js';
import { fit, passedToFit, type EpochRecord, type TrainingOptions } from '../../train/trainer.js';
import { forecastMetrics } from '../../train/metrics.js';
import { permutation } from '../../data/split.js';
import { buildModel, modelFileFor, modelMetadata, writeModelFile, type ModelFile } from '../model-file.js';
import { validateForecastMeta } from './schema.js';
import { fingerprint, type SplitChoice } from '../training-data.js';
import { advance, seasonOf } from './calendar.js';
import { Forecaster, type ForecastConfig } from './model.js';
import type { CellConfig } from '../../nn/recurrent.js';
import { baseForecasts, fitNormalization, makeBatch, originsBetween, seriesFromTable, type FillMethod, type ForecastBase, type ForecastBatch, type Series } from './series.js';
import { ridge, type RidgeFit } from './ridge.js';
import { conformalOffsets, intervalScores, seasonalNaiveScale } from './intervals.js';
import type { Tensor } from '../../tensor/tensor.js';
import { BASELINE_NAMES, classicalBaselines, fitHoltWinters, mase, type BaselineName } from './baselines.js';
import { GruError } from '../../errors.js';

export interface ForecastOptions extends TrainingOptions {
  column: string;
  dateColumn?: string;
  covariates?: string[];
  lookback?: number;
  horizon?: number;
  /** Season length; from the date frequency when omitted (7 daily, 12 monthly, 24 hourly, 52 weekly). */
  season?: number;
  /** Steps held out at the end for testing (default: 365 for daily data, else 20%). Validation takes as many before them. */
  testSize?: number;
  hiddenSize?: number;
  numLayers?: number;
  headSize?: number;
  dropout?: number;
  /** A linear path from the window's values beside the GRU, fitted before training (default true). */
  highway?: boolean;
  /** The recurrent cell (default: the GRU). */
  cell?: CellConfig;
  /** Fill empty cells and missing dates (linear interpolation or the previous value); default: they are errors. */
  fill?: FillMethod;
  /** Central probability of the prediction intervals (default 0.8: from the 10th to the 90th percentile). */
  intervalLevel?: number;
  /** The classical forecast the model corrects: chosen on validation ('auto', the default), or one of them. */
  base?: 'auto' | ForecastBase['method'];
}

export interface ForecastMetrics {
  mae: number;
  rmse: number;
  /** Symmetric MAPE in percent (M4). */
  smape: number;
  /** MAE over the in-sample seasonal-naive MAE (M4's MASE; below 1 beats seasonal naive in sample). */
  mase: number;
}

export interface ForecastEvaluation {
  /** The final `testSize` rows, or every complete window. */
  split: SplitChoice;
  windows: number;
  metrics: ForecastMetrics;
  /**
   * The classical baselines on the same windows. On the test split all three,
   * fitted on the rows before it; on every window seasonal naive alone (a
   * fitted baseline would be scored on its own fitting rows).
   */
  baselines: { seasonalNaive: ForecastMetrics } & Partial<Record<BaselineName, ForecastMetrics>>;
  /** Baselines that could not be fitted (too few rows for the lags or seasons), and why. */
  skipped: Partial<Record<BaselineName, string>>;
  /** The baseline with the lowest MAE, and the model's MAE relative to it (below 1: better). */
  best: { baseline: BaselineName; maeRatio: number };
  /** The prediction intervals' coverage and mean scaled interval score, with their bounds (as predictions), for models that have them. */
  intervals?: { level: number; coverage: number; msis: number; lower: Float64Array; upper: Float64Array };
  /** Forecasts 1…horizon steps ahead per origin, for plotting: the model's and each baseline's, origin-major. */
  origins: number[];
  predictions: Float64Array;
  baselinePredictions: Partial<Record<BaselineName, Float64Array>>;
}

/** Splits [0, N) in time: train | validation | test. */
function timeSplit(N: number, test: number, w: { lookback: number; horizon: number }): { trainEnd: number; valEnd: number } {
  if (test < w.horizon) {
    throw new GruError('INVALID_ARGUMENT', `--test-size ${test} is shorter than the horizon ${w.horizon}: the test part (and the validation part, as long) must hold at least one whole forecast; give --test-size ${w.horizon} or more, or a shorter --horizon`);
  }
  const valEnd = N - test;
  const trainEnd = valEnd - test;
  const need = w.lookback + w.horizon;
  if (trainEnd < need * 2) {
    throw new GruError('INVALID_DATA', `too few rows for the window: ${N} rows, with ${test} for testing and ${test} for validation, leave ${Math.max(trainEnd, 0)} for training; need at least ${need * 2} (lookback ${w.lookback} + horizon ${w.horizon}, twice)`);
  }
  return { trainEnd, valEnd };
}

/** Trains a forecaster; returns it with its history and test evaluation. */
export function trainForecaster(table: Table, o: ForecastOptions): { model: Forecaster; history: EpochRecord[]; test: ForecastEvaluation; series: Series } {
  const series = seriesFromTable(table, { column: o.column, dateColumn: o.dateColumn, covariates: o.covariates, fill: o.fill });
  const N = series.values.length;
  const season = o.season ?? seasonOf(series.frequency);
  const horizon = o.horizon ?? Math.max(1, season);
  const test = o.testSize ?? (series.frequency === 'daily' ? 365 : Math.max(horizon, Math.round(0.2 * N)));
  // Four seasons of history by default, fewer when the training part is short (it must hold two windows).
  const lookback = o.lookback ?? Math.max(Math.min(Math.max(4 * season, 8), Math.floor((N - 2 * test) / 2) - horizon), Math.max(1, season));
  const config: ForecastConfig = {
    lookback,
    horizon,
    season,
    frequency: series.frequency,
    column: o.column,
    dateColumn: series.dates ? (o.dateColumn ?? 'date') : null,
    covariates: o.covariates ?? [],
    ...(o.fill ? { fill: o.fill } : {}),
    testSize: 0,
    hiddenSize: o.hiddenSize ?? 64,
    numLayers: o.numLayers ?? 1,
    headSize: o.headSize ?? 64,
    dropout: o.dropout ?? 0,
    highway: o.highway ?? true,
    ...(o.cell ? { cell: o.cell } : {}),
  };
  if (config.lookback < Math.max(1, season)) throw new GruError('INVALID_ARGUMENT', `lookback ${config.lookback} must be at least one season (${season})`);
  config.testSize = test;
  const { trainEnd, valEnd } = timeSplit(N, test, config);
  const norm = fitNormalization(series, season, trainEnd);
  const seed = o.seed ?? 0;
  const model = new Forecaster(config, norm, seed);
  model.data = { source: table.source, rows: N, fingerprint: fingerprint(series.values), split: { method: 'time', testRows: test } };
  const trainOrigins = originsBetween(config, 0, trainEnd);
  const valOrigins = originsBetween(config, trainEnd, valEnd);
  let base = baseForecasts(series, config, config.base);
  let valBatch = makeBatch(series, config, norm, valOrigins, base);
  const bs = o.batchSize ?? 64;
  const batches = (epoch: number) => {
    const order = permutation(trainOrigins.length, seed * 65537 + epoch).map((i) => trainOrigins[i]);
    const out = [];
    for (let i = 0; i < order.length; i += bs) out.push(makeBatch(series, config, norm, order.slice(i, i + bs), base));
    return out;
  };
  const validationMae = () => {
    const pred = model.predict(valBatch);
    const actual = valBatch.origins.flatMap((t) => Array.from({ length: config.horizon }, (_, k) => series.values[t + k + 1]));
    return forecastMetrics(pred, actual);
  };
  const start = model.highway ? chooseStart() : null;
  /**
   * Chooses where training starts: each candidate base with its ridge
   * highway, fitted on the training part and scored on validation; the
   * best (base, penalty) is kept.
   */
  function chooseStart(): { weights: Map<string, Tensor>; mae: number; method: ForecastBase['method']; lambda: number } {
    let best: { weights: Map<string, Tensor>; mae: number; method: ForecastBase['method']; lambda: number; base: ForecastBase } | null = null;
    for (const candidate of baseCandidates(series, config, trainEnd, o.base ?? 'auto')) {
      base = baseForecasts(series, config, candidate);
      valBatch = makeBatch(series, config, norm, valOrigins, base);
      const chosen = fitHighway(model, makeBatch(series, config, norm, trainOrigins, base), RIDGE_PENALTIES, validationMae);
      if (!best || chosen.mae < best.mae) best = { ...chosen, weights: new Map(Object.entries(model.stateDict())), method: candidate.method, base: candidate };
    }
    config.base = best!.base;
    base = baseForecasts(series, config, config.base);
    valBatch = makeBatch(series, config, norm, valOrigins, base);
    model.loadStateDict(best!.weights);
    return best!;
  }
  // The highway stays at its ridge fit (Adam's unit-size steps would only shake it off its optimum); the GRU learns what it misses.
  const fixed = new Set(model.highway?.parameters() ?? []);
  const optimizer = new Adam(model.parameters().filter((p) => !fixed.has(p)), { lr: o.lr ?? 3e-3 });
  const history = fit({
    model,
    optimizer,
    schedule: new ReduceOnPlateau(optimizer, 0.5, 2),
    batches,
    loss: (b) => model.loss(b),
    validate: () => {
      const m = validationMae();
      return { loss: m.mae, metrics: { ...m } };
    },
    epochs: o.epochs ?? 30,
    seed,
    patience: o.patience ?? 6,
    checkpointMetadata: () => forecasterMetadata(model),
    ...passedToFit(o),
  });
  // Training keeps its best epoch; the GRU's correction stays only if it beats the linear start on validation by
  // more than chance: the windows' mean absolute errors improve by over two standard errors (a paired test), so a
  // short validation part does not let noise choose the GRU.
  if (start) {
    const trained = new Map(Object.entries(model.stateDict()));
    const windowErrors = () => {
      const p = model.predict(valBatch);
      return valBatch.origins.map((t, w) => {
        let e = 0;
        for (let k = 0; k < horizon; k++) e += Math.abs(series.values[t + k + 1] - p[w * horizon + k]);
        return e / horizon;
      });
    };
    const withGru = windowErrors();
    model.loadStateDict(start.weights);
    const linear = windowErrors();
    if (clearlyBetter(withGru, linear)) model.loadStateDict(trained);
  }
  // Intervals from the chosen model's errors on validation windows, which none of its parts has been fitted on.
  const valPred = model.predict(valBatch);
  const errors = valPred.map((p, i) => (series.values[valBatch.origins[Math.floor(i / horizon)] + (i % horizon) + 1] - p) / norm.scale);
  config.intervals = conformalOffsets(errors, valBatch.B, horizon, o.intervalLevel ?? 0.8);
  if (start) {
    // With the model chosen, refit its classical parts on training and validation rows together, as the
    // baselines are fitted before the test (the GRU's correction stays as trained).
    [config.base] = baseCandidates(series, config, valEnd, start.method);
    base = baseForecasts(series, config, config.base);
    const saved = model.stateDict();
    model.out.weight.value.data.fill(0); // the highway alone, for its refit
    model.out.bias!.value.data.fill(0);
    fitHighway(model, makeBatch(series, config, norm, originsBetween(config, 0, valEnd), base), [start.lambda], () => ({ mae: 0 }));
    model.out.weight.value.data.set(saved['out.weight'].data);
    model.out.bias!.value.data.set(saved['out.bias'].data);
  }
  return { model, history, test: evaluateForecaster(model, series, valEnd, N, 'test'), series };
}

/** Whether errors `a` are below errors `b` (paired, per window) by more than two standard errors of the mean difference. */
function clearlyBetter(a: number[], b: number[]): boolean {
  const n = a.length;
  if (n < 2) return false;
  const d = a.map((v, i) => b[i] - v);
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return mean > 2 * (sd / Math.sqrt(n));
}

/**
 * The base forecasts to try: seasonal naive, and Holt–Winters fitted on the
 * training part (unless its fit fails, e.g. fewer than two seasons of rows).
 */
function baseCandidates(series: Series, c: ForecastConfig, trainEnd: number, choice: 'auto' | ForecastBase['method']): ForecastBase[] {
  const out: ForecastBase[] = [];
  if (choice !== 'holtWinters') out.push({ method: 'seasonalNaive' });
  if (choice !== 'seasonalNaive') {
    try {
      const hw = fitHoltWinters(series.values, trainEnd, Math.max(1, c.season));
      const params = { season: hw.season, alpha: hw.alpha, beta: hw.beta, gamma: hw.gamma, level0: hw.level0, trend0: hw.trend0, seasonal0: Array.from(hw.seasonal0) };
      out.push({ method: 'holtWinters', params, firstDate: series.dates?.[0] ?? null });
    } catch (e) {
      if (choice === 'holtWinters') throw e;
    }
  }
  return out;
}

/** Ridge penalties the highway tries (relative to the number of windows); Infinity: no highway, the base alone. */
const RIDGE_PENALTIES = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, Infinity];

/**
 * Fits the highway by ridge regression of the windows' targets on their
 * values, with the penalty of `lambdas` that `validationMae` likes best
 * (the recurrent part is silent, so it measures the highway alone).
 */
function fitHighway(model: Forecaster, windows: ForecastBatch, lambdas: readonly number[], validationMae: () => { mae: number }): { mae: number; lambda: number } {
  const { lookback: L, horizon: K } = model.config;
  const highway = model.highway!;
  const use = (f: RidgeFit) => {
    highway.weight.value.data.set(f.weight);
    highway.bias!.value.data.set(f.bias);
  };
  const fits = ridge(windows.window, windows.target, windows.B, L, K, lambdas.filter(Number.isFinite));
  if (lambdas.includes(Infinity)) fits.splice(lambdas.indexOf(Infinity), 0, { weight: new Float64Array(K * L), bias: new Float64Array(K) });
  let best = { mae: Infinity, lambda: lambdas[0], fit: fits[0] };
  fits.forEach((f, i) => {
    use(f);
    const mae = validationMae().mae;
    if (mae < best.mae) best = { mae, lambda: lambdas[i], fit: f };
  });
  use(best.fit);
  return { mae: best.mae, lambda: best.lambda };
}

/**
 * Metrics on the windows whose targets lie in [from, to), beside the
 * classical baselines: on the test split (from > 0) seasonal naive, linear
 * AR on the lookback lags and Holt–Winters, fitted on [0, from); on every
 * window, seasonal naive alone. MASE is scaled by the seasonal-naive MAE
 * over [0, from) (over the whole series for every window).
 */
export function evaluateForecaster(model: Forecaster, series: Series, from: number, to: number, split: SplitChoice): ForecastEvaluation {
  const c = model.config;
  const origins = originsBetween(c, from, to);
  if (origins.length === 0) throw new GruError('INVALID_DATA', `no complete ${c.lookback}+${c.horizon} windows in the ${split} part (${to - from} rows)`);
  const base = baseForecasts(series, c, c.base);
  const predictions = new Float64Array(origins.length * c.horizon);
  for (let i = 0; i < origins.length; i += 256) {
    predictions.set(model.predict(makeBatch(series, c, model.norm, origins.slice(i, i + 256), base)), i * c.horizon);
  }
  const actual = new Float64Array(origins.length * c.horizon);
  origins.forEach((t, o) => actual.set(series.values.subarray(t + 1, t + 1 + c.horizon), o * c.horizon));
  const season = Math.max(1, c.season);
  const insample = series.values.subarray(0, from > season ? from : to);
  const score = (pred: ArrayLike<number>): ForecastMetrics => ({ ...forecastMetrics(pred, actual), mase: mase(pred, actual, insample, season) });

  // Fitted baselines only on the test split: on every window they would be scored on their own fitting rows.
  const run = classicalBaselines(series.values.subarray(0, to), {
    fitEnd: from, season, lags: c.lookback, horizon: c.horizon, origins, names: split === 'test' ? BASELINE_NAMES : ['seasonalNaive'],
  });
  const baselinePredictions = run.predictions, skipped = run.skipped;
  const baselines: ForecastEvaluation['baselines'] = { seasonalNaive: score(baselinePredictions.seasonalNaive!) };
  for (const name of BASELINE_NAMES) if (baselinePredictions[name]) baselines[name] = score(baselinePredictions[name]!);
  const bestName = (Object.keys(baselines) as BaselineName[]).reduce((a, b) => (baselines[b]!.mae < baselines[a]!.mae ? b : a));
  const metrics = score(predictions);
  const bounds = model.intervals(predictions);
  const intervals = bounds && { level: c.intervals!.level, ...intervalScores(bounds.lower, bounds.upper, actual, c.intervals!.level, seasonalNaiveScale(insample, season)), ...bounds };
  return {
    split, windows: origins.length, metrics, baselines, skipped,
    best: { baseline: bestName, maeRatio: metrics.mae / baselines[bestName]!.mae },
    ...(intervals ? { intervals } : {}),
    origins, predictions, baselinePredictions,
  };
}

/**
 * Evaluates a trained model on a table with the model's columns: on its
 * last `testSize` rows (the test split in time, which training never saw
 * when the table is the training series), or with `split: 'all'` on every
 * complete window.
 */
export function evaluateForecasterOn(model: Forecaster, table: Table, split: SplitChoice = 'test'): ForecastEvaluation & { series: Series } {
  const c = model.config;
  const series = seriesFromTable(table, { column: c.column, dateColumn: c.dateColumn ?? undefined, covariates: c.covariates, fill: c.fill });
  const N = series.values.length;
  const from = split === 'all' ? 0 : Math.max(0, N - c.testSize);
  if (split === 'test' && from < c.lookback) throw new GruError('INVALID_DATA', `${table.source}: ${N} rows are too few to test on the last ${c.testSize} with a lookback of ${c.lookback}`);
  return { ...evaluateForecaster(model, series, from, N, split), series };
}

/** Forecasts the `horizon` steps after the end of a table with the model's columns. */
export function forecastNext(model: Forecaster, table: Table): { dates: number[] | null; values: number[]; intervals?: { level: number; lower: number[]; upper: number[] } } {
  const c = model.config;
  const series = seriesFromTable(table, { column: c.column, dateColumn: c.dateColumn ?? undefined, covariates: c.covariates, fill: c.fill });
  const N = series.values.length;
  if (N < c.lookback) throw new GruError('INVALID_DATA', `${table.source}: need at least ${c.lookback} rows (the lookback) to forecast, got ${N}`);
  const point = model.predict(makeBatch(series, c, model.norm, [N - 1], baseForecasts(series, c, c.base)));
  const dates = series.dates ? Array.from(point, (_, k) => advance(series.dates![N - 1], c.frequency, k + 1)) : null;
  const bounds = model.intervals(point);
  return { dates, values: Array.from(point), ...(bounds ? { intervals: { level: c.intervals!.level, lower: Array.from(bounds.lower), upper: Array.from(bounds.upper) } } : {}) };
}

export function forecasterMetadata(model: Forecaster): Record<string, string> {
  return modelMetadata('forecast', { config: model.config, normalization: model.norm, ...(model.data ? { data: model.data } : {}) });
}

export function saveForecaster(model: Forecaster, path: string): void {
  writeModelFile(path, model.stateDict(), forecasterMetadata(model));
}

export function loadForecaster(path: string, file?: ModelFile): Forecaster {
  const f = modelFileFor(path, 'forecast', file);
  const meta = validateForecastMeta(path, f.meta);
  const model = buildModel(f, meta.config, () => new Forecaster(meta.config, meta.normalization));
  model.data = meta.data;
  return model.eval();
}
