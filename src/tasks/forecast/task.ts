/**
 * The forecast task end to end: read the series, split it in time (the
 * final part for testing, the part before it for validation), fit the
 * normalisation on training data only, train, and evaluate against the
 * classical baselines a statistician would run (seasonal naive, linear
 * autoregression, Holt–Winters) on the same test windows.
 */
import { columnIndex, dateColumn, numericColumn, type Table } from '../../data/csv.js';
import { Adam } from '../../optim/adam.js';
import { ReduceOnPlateau } from '../../optim/schedule.js';
import { fit, passedToFit, type EpochRecord, type TrainingOptions } from '../../train/trainer.js';
import { forecastMetrics } from '../../train/metrics.js';
import { permutation } from '../../data/split.js';
import { buildModel, heldOutMetrics, modelFileFor, modelMetadata, writeModelFile, type HeldOutMetrics, type ModelFile } from '../model-file.js';
import { validateForecastMeta } from './schema.js';
import { fingerprint, type SplitChoice } from '../training-data.js';
import { advance, seasonOf } from './calendar.js';
import { Forecaster, type ForecastConfig } from './model.js';
import type { CellConfig } from '../../nn/recurrent.js';
import { baseForecasts, concatBatches, fitNormalization, makeBatch, originsBetween, seriesOfTable, type FillMethod, type ForecastBase, type ForecastBatch, type Normalization, type Series } from './series.js';
import { ridge, type RidgeFit } from './ridge.js';
import { conformalOffsets, intervalScores, seasonalNaiveScale } from './intervals.js';
import type { Tensor } from '../../tensor/tensor.js';
import { BASELINE_NAMES, classicalBaselines, fitHoltWinters, mase, type BaselineName } from './baselines.js';
import { GruError } from '../../errors.js';

export interface ForecastOptions extends TrainingOptions {
  column: string;
  dateColumn?: string;
  covariates?: string[];
  /** Covariates whose future values are known (promotions, holidays, prices): read for each forecast step as well; added to `covariates` if not there. */
  known?: string[];
  lookback?: number;
  horizon?: number;
  /** Season length; from the date frequency when omitted (7 daily, 12 monthly, 24 hourly, 52 weekly). */
  season?: number;
  /** Steps held out at the end for testing (default: 365 for daily data of three years or more, else 20%). Validation takes as many before them. */
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
  /** The column naming each row's series: a long-format table of many series, one global model. */
  seriesColumn?: string;
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
  /** A global model's evaluation of each series (the fields above are then their summary, and the arrays below empty). */
  perSeries?: { id: string; series: Series; evaluation: ForecastEvaluation }[];
  /** Forecasts 1…horizon steps ahead per origin, for plotting: the model's and each baseline's, origin-major. */
  origins: number[];
  predictions: Float64Array;
  baselinePredictions: Partial<Record<BaselineName, Float64Array>>;
}

/** Splits [0, N) in time: train | validation | test. */
function timeSplit(N: number, test: number, w: { lookback: number; horizon: number }): { trainEnd: number; valEnd: number } {
  if (test < w.horizon) {
    throw new GruError(
      'INVALID_ARGUMENT',
      `--test-size ${test} is shorter than the horizon ${w.horizon}: the test part (and the validation part, as long) must hold at least one whole forecast; give --test-size ${w.horizon} or more, or a shorter --horizon`,
    );
  }
  const valEnd = N - test;
  const trainEnd = valEnd - test;
  const need = w.lookback + w.horizon;
  if (trainEnd < need * 2) {
    throw new GruError(
      'INVALID_DATA',
      `too few rows for the window: ${N} rows, with ${test} for testing and ${test} for validation, leave ${Math.max(trainEnd, 0)} for training; need at least ${need * 2} (lookback ${w.lookback} + horizon ${w.horizon}, twice); give a smaller --test-size or --lookback`,
    );
  }
  return { trainEnd, valEnd };
}

/**
 * A series as the model sees it: with its normalisation, its base forecast
 * and that forecast from every origin; in training also its split.
 */
interface Part {
  id: string | null;
  series: Series;
  norm: Normalization;
  base: ForecastBase | undefined;
  baseValues: Float64Array;
  trainEnd: number;
  valEnd: number;
}

/** A forecast origin of one of the parts. */
interface Origin {
  part: number;
  t: number;
}

/**
 * Trains a forecaster; returns it with its history and test evaluation.
 * With `seriesColumn`, the table holds many series (long format) and one
 * global model learns from all of them, each scaled by its own level and
 * corrected from its own base forecast (DeepAR's setting); the test then
 * scores every series and their mean.
 */
export function trainForecaster(table: Table, o: ForecastOptions): { model: Forecaster; history: EpochRecord[]; test: ForecastEvaluation; series: Series } {
  const covariates = [...new Set([...(o.covariates ?? []), ...(o.known ?? [])])];
  const named = seriesOfTable(table, { column: o.column, dateColumn: o.dateColumn, covariates, fill: o.fill, seriesColumn: o.seriesColumn });
  const lengths = named.map((n) => n.series.values.length).sort((a, b) => a - b);
  const N = lengths[Math.floor((lengths.length - 1) / 2)]; // the median series sets the defaults
  const frequency = named[0].series.frequency;
  const season = o.season ?? seasonOf(frequency);
  const horizon = o.horizon ?? Math.max(1, season);
  // A year of daily data when there are three years or more (a whole seasonal cycle); else the final 20%.
  const test = o.testSize ?? (frequency === 'daily' && N >= 3 * 365 ? 365 : Math.max(horizon, Math.round(0.2 * N)));
  // Four seasons of history by default, fewer when the training part is short (it must hold two windows).
  const lookback = o.lookback ?? Math.max(Math.min(Math.max(4 * season, 8), Math.floor((N - 2 * test) / 2) - horizon), Math.max(1, season));
  const config: ForecastConfig = {
    lookback,
    horizon,
    season,
    frequency,
    column: o.column,
    dateColumn: named[0].series.dates ? (o.dateColumn ?? 'date') : null,
    covariates,
    ...(o.known?.length ? { known: o.known } : {}),
    ...(o.fill ? { fill: o.fill } : {}),
    testSize: test,
    hiddenSize: o.hiddenSize ?? 64,
    numLayers: o.numLayers ?? 1,
    headSize: o.headSize ?? 64,
    dropout: o.dropout ?? 0,
    highway: o.highway ?? true,
    ...(o.cell ? { cell: o.cell } : {}),
    ...(o.seriesColumn ? { seriesColumn: o.seriesColumn } : {}),
  };
  if (config.lookback < Math.max(1, season)) throw new GruError('INVALID_ARGUMENT', `lookback ${config.lookback} must be at least one season (${season})`);
  const multi = named.length > 1 || o.seriesColumn !== undefined;
  const parts: Part[] = named.map(({ id, series }) => {
    let split;
    try {
      split = timeSplit(series.values.length, test, config);
    } catch (e) {
      if (id !== null && e instanceof GruError) throw new GruError(e.code, `series '${id}': ${e.message}`);
      throw e;
    }
    const base = { method: 'seasonalNaive' } as const;
    return { id, series, norm: fitNormalization(series, season, split.trainEnd), base, baseValues: baseForecasts(series, config, base), ...split };
  });
  const seed = o.seed ?? 0;
  const model = new Forecaster(config, parts[0].norm, seed);
  const members = () => parts.map((p) => ({ id: p.id!, normalization: p.norm, ...(p.base ? { base: p.base } : {}) }));
  if (multi) model.members = members();
  model.data = { source: table.source, rows: table.rows.length, fingerprint: fingerprint(parts.flatMap((p) => Array.from(p.series.values))), split: { method: 'time', testRows: test } };

  const originsOf = (end: (p: Part) => number, start: (p: Part) => number) => parts.flatMap((p, part) => originsBetween(config, start(p), end(p)).map((t) => ({ part, t })));
  const trainOrigins = originsOf(
    (p) => p.trainEnd,
    () => 0,
  );
  const valOrigins = originsOf(
    (p) => p.valEnd,
    (p) => p.trainEnd,
  );
  /** The windows of `origins` as one batch (consecutive origins of a part built together). */
  const batchOf = (origins: Origin[]) => {
    const batches: ForecastBatch[] = [];
    for (let i = 0; i < origins.length; ) {
      let j = i;
      while (j < origins.length && origins[j].part === origins[i].part) j++;
      const p = parts[origins[i].part];
      batches.push(
        makeBatch(
          p.series,
          config,
          p.norm,
          origins.slice(i, j).map((r) => r.t),
          p.baseValues,
        ),
      );
      i = j;
    }
    return concatBatches(batches);
  };
  const valActual = Float64Array.from(valOrigins.flatMap(({ part, t }) => Array.from(parts[part].series.values.subarray(t + 1, t + 1 + horizon))));
  let valBatch = batchOf(valOrigins);
  /** Each validation window's mean absolute error of forecasts `p`, in its series' scale when there are many. */
  const windowErrors = (p: Float64Array) =>
    valOrigins.map((_, w) => {
      let e = 0;
      for (let k = 0; k < horizon; k++) e += Math.abs(valActual[w * horizon + k] - p[w * horizon + k]);
      return e / horizon / (multi ? valBatch.scale[w] : 1);
    });
  const validationMetrics = (): Record<string, number> & { mae: number } => {
    const pred = model.predict(valBatch);
    if (!multi) return { ...forecastMetrics(pred, valActual) };
    return { mae: windowErrors(pred).reduce((a, b) => a + b, 0) / valOrigins.length };
  };
  /** Sets every part's base forecast (by `method`, fitted on rows before `end`). */
  const useBase = (method: ForecastBase['method'], end: (p: Part) => number) => {
    const bases = parts.map((p) => baseFor(p.series, config, end(p), method));
    parts.forEach((p, i) => {
      p.base = bases[i];
      p.baseValues = baseForecasts(p.series, config, p.base);
    });
    valBatch = batchOf(valOrigins);
  };
  const bs = o.batchSize ?? 64;
  const batches = (epoch: number) => {
    const order = permutation(trainOrigins.length, seed * 65537 + epoch).map((i) => trainOrigins[i]);
    const out = [];
    for (let i = 0; i < order.length; i += bs) out.push(batchOf(order.slice(i, i + bs)));
    return out;
  };
  const start = model.highway ? chooseStart() : null;
  /**
   * Chooses where training starts: each candidate base with its ridge
   * highway, fitted on the training part and scored on validation. The
   * combination (the mean of seasonal naive and Holt–Winters) is the default
   * start; a single method replaces it only when it is clearly better on
   * validation (two standard errors, paired by window), because a short
   * validation part often favours the method that the test then punishes.
   */
  function chooseStart(): { weights: Map<string, Tensor>; mae: number; method: ForecastBase['method']; lambda: number } {
    const methods = !o.base || o.base === 'auto' ? (['seasonalNaive', 'holtWinters', 'combination'] as const) : [o.base];
    const tried = methods.flatMap((method) => {
      try {
        useBase(method, (p) => p.trainEnd);
      } catch (e) {
        if (o.base && o.base !== 'auto') throw e;
        return []; // Holt–Winters cannot be fitted (too few seasons): seasonal naive remains
      }
      const chosen = fitHighway(model, batchOf(trainOrigins), RIDGE_PENALTIES, validationMetrics);
      return [{ ...chosen, weights: new Map(Object.entries(model.stateDict())), method, errors: windowErrors(model.predict(valBatch)) }];
    });
    const fallback = tried.find((t) => t.method === 'combination') ?? tried.reduce((a, b) => (b.mae < a.mae ? b : a));
    const best = tried.filter((t) => t === fallback || clearlyBetter(t.errors, fallback.errors)).reduce((a, b) => (b.mae < a.mae ? b : a));
    useBase(best.method, (p) => p.trainEnd);
    model.loadStateDict(best.weights);
    return best;
  }
  // The highway stays at its ridge fit (Adam's unit-size steps would only shake it off its optimum); the GRU learns what it misses.
  const fixed = new Set(model.highway?.parameters() ?? []);
  const optimizer = new Adam(
    model.parameters().filter((p) => !fixed.has(p)),
    { lr: o.lr ?? 3e-3 },
  );
  const history = fit({
    model,
    optimizer,
    schedule: new ReduceOnPlateau(optimizer, 0.5, 2),
    batches,
    loss: (b) => model.loss(b),
    validate: () => {
      const m = validationMetrics();
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
    const withGru = windowErrors(model.predict(valBatch));
    model.loadStateDict(start.weights);
    const linear = windowErrors(model.predict(valBatch));
    if (clearlyBetter(withGru, linear)) model.loadStateDict(trained);
  }
  // Intervals from the chosen model's errors on validation windows, which none of its parts has been fitted on.
  const valPred = model.predict(valBatch);
  const errors = valPred.map((p, i) => (valActual[i] - p) / valBatch.scale[Math.floor(i / horizon)]);
  config.intervals = conformalOffsets(errors, valBatch.B, horizon, o.intervalLevel ?? 0.8);
  if (start) {
    // With the model chosen, refit its classical parts on training and validation rows together, as the
    // baselines are fitted before the test (the GRU's correction stays as trained).
    useBase(start.method, (p) => p.valEnd);
    const saved = model.stateDict();
    model.out.weight.value.data.fill(0); // the highway alone, for its refit
    model.out.bias!.value.data.fill(0);
    fitHighway(
      model,
      batchOf(
        originsOf(
          (p) => p.valEnd,
          () => 0,
        ),
      ),
      [start.lambda],
      () => ({ mae: 0 }),
    );
    model.out.weight.value.data.set(saved['out.weight'].data);
    model.out.bias!.value.data.set(saved['out.bias'].data);
  }
  if (multi) model.members = members();
  else config.base = parts[0].base;
  const scored = parts.map((p) => ({ id: p.id, series: p.series, evaluation: evaluateSeries(model, p, p.valEnd, p.series.values.length, 'test') }));
  const evaluation = multi ? summarize(scored) : scored[0].evaluation;
  model.metrics = forecastHeldOut(evaluation);
  return { model, history, test: evaluation, series: parts[0].series };
}

/** What the model file records of the test scores: the metrics (a global model's: their mean over series) and the intervals' coverage and MSIS. */
function forecastHeldOut(ev: ForecastEvaluation): HeldOutMetrics {
  const intervals: Record<string, number> = ev.intervals ? { coverage: ev.intervals.coverage, msis: ev.intervals.msis } : {};
  const settings = { ...(ev.intervals ? { intervalLevel: ev.intervals.level } : {}), ...(ev.perSeries ? { series: ev.perSeries.length } : {}) };
  return heldOutMetrics(ev.windows, { ...ev.metrics, ...intervals }, Object.keys(settings).length > 0 ? settings : undefined);
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

/** The base forecast `method` for a series, Holt–Winters fitted on its rows before `fitEnd` (an error when it cannot be, e.g. fewer than two seasons). */
function baseFor(series: Series, c: ForecastConfig, fitEnd: number, method: ForecastBase['method']): ForecastBase {
  if (method === 'seasonalNaive') return { method };
  const hw = fitHoltWinters(series.values, fitEnd, Math.max(1, c.season)); // the combination reuses Holt–Winters' fit (fitHoltWinters keeps it)
  const params = { season: hw.season, alpha: hw.alpha, beta: hw.beta, gamma: hw.gamma, level0: hw.level0, trend0: hw.trend0, seasonal0: Array.from(hw.seasonal0) };
  return { method, params, firstDate: series.dates?.[0] ?? null };
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
 * Metrics of one series on the windows whose targets lie in [from, to),
 * beside the classical baselines: on the test split (from > 0) seasonal
 * naive, linear AR on the lookback lags and Holt–Winters, fitted on
 * [0, from); on every window, seasonal naive alone. MASE is scaled by the
 * seasonal-naive MAE over [0, from) (over the whole series for every window).
 */
function evaluateSeries(model: Forecaster, part: Pick<Part, 'series' | 'norm' | 'base'>, from: number, to: number, split: SplitChoice): ForecastEvaluation {
  const c = model.config,
    series = part.series;
  const origins = originsBetween(c, from, to);
  if (origins.length === 0) throw new GruError('INVALID_DATA', `no complete ${c.lookback}+${c.horizon} windows in the ${split} part (${to - from} rows)`);
  const base = baseForecasts(series, c, part.base);
  const predictions = new Float64Array(origins.length * c.horizon);
  for (let i = 0; i < origins.length; i += 256) {
    predictions.set(model.predict(makeBatch(series, c, part.norm, origins.slice(i, i + 256), base)), i * c.horizon);
  }
  const actual = new Float64Array(origins.length * c.horizon);
  origins.forEach((t, o) => actual.set(series.values.subarray(t + 1, t + 1 + c.horizon), o * c.horizon));
  const season = Math.max(1, c.season);
  const insample = series.values.subarray(0, from > season ? from : to);
  const score = (pred: ArrayLike<number>): ForecastMetrics => ({ ...forecastMetrics(pred, actual), mase: mase(pred, actual, insample, season) });

  // Fitted baselines only on the test split: on every window they would be scored on their own fitting rows.
  const run = classicalBaselines(series.values.subarray(0, to), {
    fitEnd: from,
    season,
    lags: c.lookback,
    horizon: c.horizon,
    origins,
    names: split === 'test' ? BASELINE_NAMES : ['seasonalNaive'],
  });
  const baselinePredictions = run.predictions,
    skipped = run.skipped;
  const baselines: ForecastEvaluation['baselines'] = { seasonalNaive: score(baselinePredictions.seasonalNaive!) };
  for (const name of BASELINE_NAMES) if (baselinePredictions[name]) baselines[name] = score(baselinePredictions[name]!);
  const bestName = (Object.keys(baselines) as BaselineName[]).reduce((a, b) => (baselines[b]!.mae < baselines[a]!.mae ? b : a));
  const metrics = score(predictions);
  const bounds = model.intervals(predictions, new Float64Array(origins.length).fill(part.norm.scale));
  const intervals = bounds && { level: c.intervals!.level, ...intervalScores(bounds.lower, bounds.upper, actual, c.intervals!.level, seasonalNaiveScale(insample, season)), ...bounds };
  return {
    split,
    windows: origins.length,
    metrics,
    baselines,
    skipped,
    best: { baseline: bestName, maeRatio: metrics.mae / baselines[bestName]!.mae },
    ...(intervals ? { intervals } : {}),
    origins,
    predictions,
    baselinePredictions,
  };
}

/**
 * Many series' evaluations as one: the mean of each metric over the series
 * (MASE and sMAPE are comparable across series; MAE and RMSE are in each
 * series' own units), the baseline with the lowest mean MASE, the
 * geometric mean of the model's MAE over that baseline's per series, and
 * the interval coverage over all windows; `perSeries` keeps each one.
 */
function summarize(each: { id: string | null; series: Series; evaluation: ForecastEvaluation }[]): ForecastEvaluation {
  const evs = each.map((e) => e.evaluation);
  const mean = (f: (e: ForecastEvaluation) => number) => evs.reduce((s, e) => s + f(e), 0) / evs.length;
  const meanMetrics = (f: (e: ForecastEvaluation) => ForecastMetrics): ForecastMetrics => ({
    mae: mean((e) => f(e).mae),
    rmse: mean((e) => f(e).rmse),
    smape: mean((e) => f(e).smape),
    mase: mean((e) => f(e).mase),
  });
  const baselines: ForecastEvaluation['baselines'] = { seasonalNaive: meanMetrics((e) => e.baselines.seasonalNaive) };
  for (const name of BASELINE_NAMES) if (evs.every((e) => e.baselines[name])) baselines[name] = meanMetrics((e) => e.baselines[name]!);
  const bestName = (Object.keys(baselines) as BaselineName[]).reduce((a, b) => (baselines[b]!.mase < baselines[a]!.mase ? b : a));
  const skipped: ForecastEvaluation['skipped'] = {};
  each.forEach(({ id, evaluation }) => {
    for (const [name, why] of Object.entries(evaluation.skipped)) skipped[name as BaselineName] ??= `series '${id}': ${why}`;
  });
  const windows = evs.reduce((n, e) => n + e.windows, 0);
  const withIntervals = evs.every((e) => e.intervals);
  return {
    split: evs[0].split,
    windows,
    metrics: meanMetrics((e) => e.metrics),
    baselines,
    skipped,
    best: { baseline: bestName, maeRatio: Math.exp(mean((e) => Math.log(e.metrics.mae / e.baselines[bestName]!.mae))) },
    ...(withIntervals
      ? { intervals: { level: evs[0].intervals!.level, coverage: evs.reduce((s, e) => s + e.intervals!.coverage * e.windows, 0) / windows, msis: mean((e) => e.intervals!.msis), lower: new Float64Array(0), upper: new Float64Array(0) } }
      : {}),
    origins: [],
    predictions: new Float64Array(0),
    baselinePredictions: {},
    perSeries: each.map(({ id, series, evaluation }) => ({ id: id!, series, evaluation })),
  };
}

/**
 * The parts of a table for a trained model: its one series, or each series
 * of a global model (those it knows). With `future` (rows after the
 * table's end holding the known covariates), each series' covariates are
 * extended by its first `horizon` future rows.
 */
function partsOf(model: Forecaster, table: Table, future?: Table): { id: string | null; series: Series; norm: Normalization; base: ForecastBase | undefined }[] {
  const c = model.config;
  const members = new Map((model.members ?? []).map((m) => [m.id, m]));
  const parts = seriesOfTable(table, { column: c.column, dateColumn: c.dateColumn ?? undefined, covariates: c.covariates, fill: c.fill, seriesColumn: c.seriesColumn }).map(({ id, series }) => {
    if (id === null) return { id, series, norm: model.norm, base: c.base };
    const m = members.get(id);
    if (!m)
      throw new GruError(
        'INVALID_DATA',
        `${table.source}: series '${id}' is not one the model was trained on (it knows ${[...members.keys()].slice(0, 8).join(', ')}${members.size > 8 ? `, … ${members.size} in all` : ''}); a global model scales each series by what it learnt of it`,
      );
    return { id: id as string | null, series, norm: m.normalization, base: m.base };
  });
  if (!future) return parts;
  const rowsOf = (id: string | null): Table => {
    if (id === null) return future;
    const i = columnIndex(future, c.seriesColumn!);
    return { ...future, rows: future.rows.filter((r) => (r[i] ?? '').trim() === id), source: `${future.source} (${c.seriesColumn} ${id})` };
  };
  return parts.map((p) => ({ ...p, series: withFuture(p.series, rowsOf(p.id), c) }));
}

/** A series with its covariates extended by the first `horizon` rows of `future` (the known ones read, the others unknown: NaN). */
function withFuture(s: Series, future: Table, c: ForecastConfig): Series {
  const K = c.horizon,
    N = s.values.length;
  if (future.rows.length < K)
    throw new GruError(
      'INVALID_DATA',
      `${future.source}: ${future.rows.length} future row${future.rows.length === 1 ? '' : 's'}, expected at least the horizon's ${K} (the known covariates ${(c.known ?? []).join(', ')} for each forecast step)`,
    );
  const rows = { ...future, rows: future.rows.slice(0, K) };
  if (s.dates && c.dateColumn && future.columns.includes(c.dateColumn)) {
    dateColumn(rows, c.dateColumn).forEach((d, k) => {
      const expected = advance(s.dates![N - 1], c.frequency, k + 1);
      if (d !== expected)
        throw new GruError(
          'INVALID_DATA',
          `${future.source}: future row ${k + 1} is dated ${new Date(d).toISOString().slice(0, 10)}, expected ${new Date(expected).toISOString().slice(0, 10)} (${k + 1} ${c.frequency} step${k ? 's' : ''} after the history's last date)`,
        );
    });
  }
  const covariates = c.covariates.map((name, i) => {
    const out = new Float64Array(N + K).fill(NaN);
    out.set(s.covariates[i]);
    if (c.known?.includes(name)) out.set(numericColumn(rows, name), N);
    return out;
  });
  return { ...s, covariates };
}

/**
 * Evaluates a trained model on a table with the model's columns: on its
 * last `testSize` rows (the test split in time, which training never saw
 * when the table is the training series), or with `split: 'all'` on every
 * complete window. A global model scores each series in the table and
 * their mean (`perSeries` holds each).
 */
export function evaluateForecasterOn(model: Forecaster, table: Table, split: SplitChoice = 'test'): ForecastEvaluation & { series: Series } {
  const c = model.config;
  const scored = partsOf(model, table).map((p) => {
    const N = p.series.values.length;
    const from = split === 'all' ? 0 : Math.max(0, N - c.testSize);
    const where = p.id === null ? table.source : `${table.source} (series '${p.id}')`;
    if (split === 'test' && from < c.lookback) throw new GruError('INVALID_DATA', `${where}: ${N} rows are too few to test on the last ${c.testSize} with a lookback of ${c.lookback}`);
    return { id: p.id, series: p.series, evaluation: evaluateSeries(model, p, from, N, split) };
  });
  return { ...(c.seriesColumn ? summarize(scored) : scored[0].evaluation), series: scored[0].series };
}

/** A forecast of the `horizon` steps after a series' end, with its dates and intervals. */
export interface NextForecast {
  /** The series' id in a global model, else null. */
  id: string | null;
  dates: number[] | null;
  values: number[];
  intervals?: { level: number; lower: number[]; upper: number[] };
}

/**
 * Forecasts the `horizon` steps after the end of a table with the model's
 * columns (each series' for a global model). A model with known future
 * covariates needs `future`: their values for the forecast steps.
 */
export function forecastEach(model: Forecaster, table: Table, future?: Table): NextForecast[] {
  const c = model.config;
  if (c.known?.length && !future) throw new GruError('INVALID_ARGUMENT', `this model reads the known covariates ${c.known.join(', ')} at each forecast step: give their next ${c.horizon} values (gru predict --future FILE)`);
  return partsOf(model, table, future).map(({ id, series, norm, base }) => {
    const N = series.values.length;
    const where = id === null ? table.source : `${table.source} (series '${id}')`;
    if (N < c.lookback) throw new GruError('INVALID_DATA', `${where}: need at least ${c.lookback} rows (the lookback) to forecast, got ${N}`);
    const point = model.predict(makeBatch(series, c, norm, [N - 1], baseForecasts(series, c, base)));
    const dates = series.dates ? Array.from(point, (_, k) => advance(series.dates![N - 1], c.frequency, k + 1)) : null;
    const bounds = model.intervals(point, [norm.scale]);
    return { id, dates, values: Array.from(point), ...(bounds ? { intervals: { level: c.intervals!.level, lower: Array.from(bounds.lower), upper: Array.from(bounds.upper) } } : {}) };
  });
}

/** Forecasts the `horizon` steps after the end of a table with the model's columns (a model of one series). */
export function forecastNext(model: Forecaster, table: Table, future?: Table): Omit<NextForecast, 'id'> {
  if (model.config.seriesColumn) throw new GruError('INVALID_ARGUMENT', `a global model of many series ('${model.config.seriesColumn}'): use forecastEach, which forecasts every series of the table`);
  const { id: _, ...one } = forecastEach(model, table, future)[0];
  return one;
}

export function forecasterMetadata(model: Forecaster): Record<string, string> {
  return modelMetadata('forecast', { config: model.config, normalization: model.norm, ...(model.members ? { series: model.members } : {}), ...(model.data ? { data: model.data } : {}), ...(model.metrics ? { metrics: model.metrics } : {}) });
}

export function saveForecaster(model: Forecaster, path: string): void {
  writeModelFile(path, model.stateDict(), forecasterMetadata(model));
}

export function loadForecaster(path: string, file?: ModelFile): Forecaster {
  const f = modelFileFor(path, 'forecast', file);
  const meta = validateForecastMeta(path, f.meta);
  const model = buildModel(f, meta.config, () => new Forecaster(meta.config, meta.normalization));
  model.data = meta.data;
  if (meta.metrics) model.metrics = meta.metrics;
  if (meta.series) model.members = meta.series;
  return model.eval();
}
