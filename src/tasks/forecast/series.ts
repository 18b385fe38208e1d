/**
 * A numeric series prepared for forecasting: values, optional dates and
 * covariates; windows of `lookback` inputs and `horizon` targets; and the
 * normalisation, which makes each window relative to its own recent level
 * and its targets relative to a classical base forecast (seasonal naive or
 * Holt–Winters), so trends and level shifts beyond anything seen in training
 * stay in range.
 */
import { dateColumn, numericColumn, type Table } from '../../data/csv.js';
import { advance, calendarFeatures, detectFrequency, seasonOf, type Frequency } from './calendar.js';
import { holtWintersRolling, seasonalNaiveForecast, type HoltWintersParams } from './baselines.js';

export interface Series {
  values: Float64Array;
  /** Timestamps (ms, UTC) or null when the data has no date column. */
  dates: number[] | null;
  covariates: Float64Array[];
  frequency: Frequency;
}

export interface SeriesColumns {
  column: string;
  /** Date column name; defaults to a column named "date" when there is one. */
  dateColumn?: string;
  covariates?: string[];
}

/** Reads the value, date and covariate columns; dates must increase. */
export function seriesFromTable(t: Table, c: SeriesColumns): Series {
  const values = numericColumn(t, c.column);
  const dateName = c.dateColumn ?? (t.columns.includes('date') ? 'date' : undefined);
  const dates = dateName ? dateColumn(t, dateName) : null;
  if (dates) {
    for (let i = 1; i < dates.length; i++) {
      if (!(dates[i] > dates[i - 1])) throw new Error(`${t.source}: dates in '${dateName}' must increase; data row ${i + 1} (${new Date(dates[i]).toISOString().slice(0, 10)}) does not come after the row before`);
    }
  }
  const covariates = (c.covariates ?? []).map((name) => numericColumn(t, name));
  return { values, dates, covariates, frequency: dates ? detectFrequency(dates) : 'none' };
}

/** What the model learnt from the training part, saved with it. */
export interface Normalization {
  /** Typical size of a seasonal difference y_t − y_{t−season} in training. */
  scale: number;
  covariateMean: number[];
  covariateStd: number[];
}

export interface WindowShape {
  lookback: number;
  horizon: number;
  season: number;
  frequency: Frequency;
}

/** Fits the normalisation on indices [0, end). */
export function fitNormalization(s: Series, season: number, end: number): Normalization {
  const lag = Math.max(1, season);
  let sq = 0, n = 0;
  for (let i = lag; i < end; i++) {
    const d = s.values[i] - s.values[i - lag];
    sq += d * d;
    n++;
  }
  const scale = n > 0 && sq > 0 ? Math.sqrt(sq / n) : 1;
  const covariateMean: number[] = [], covariateStd: number[] = [];
  for (const c of s.covariates) {
    let m = 0;
    for (let i = 0; i < end; i++) m += c[i];
    m /= end;
    let v = 0;
    for (let i = 0; i < end; i++) v += (c[i] - m) ** 2;
    covariateMean.push(m);
    covariateStd.push(Math.sqrt(v / end) || 1);
  }
  return { scale, covariateMean, covariateStd };
}

/**
 * The classical forecast a model corrects: seasonal naive, or Holt–Winters
 * with parameters and initial states fitted on the training part, filtered
 * from the series' first row (`firstDate`, when the series has dates).
 */
export type ForecastBase =
  | { method: 'seasonalNaive' }
  | { method: 'holtWinters'; params: HoltWintersParams; firstDate: number | null };

/**
 * The base forecasts from every origin, (N, horizon) row-major: row t
 * forecasts values[t + 1 … t + horizon] from values[0 … t]. Seasonal-naive
 * rows before the first full season are NaN (no window starts there).
 */
export function baseForecasts(s: Series, w: WindowShape, base: ForecastBase = { method: 'seasonalNaive' }): Float64Array {
  const N = s.values.length, K = w.horizon;
  if (base.method === 'holtWinters') {
    if (s.dates && base.firstDate !== null && s.dates[0] !== base.firstDate) {
      throw new Error(`the model's Holt-Winters base filters the series from its first row (${new Date(base.firstDate).toISOString().slice(0, 10)}); give the whole history from there, this one starts at ${new Date(s.dates[0]).toISOString().slice(0, 10)}`);
    }
    return holtWintersRolling(base.params, s.values, K);
  }
  const m = Math.max(1, w.season);
  const out = new Float64Array(N * K).fill(NaN);
  for (let t = m - 1; t < N; t++) out.set(seasonalNaiveForecast(s.values, t, K, m), t * K);
  return out;
}

/** Features per input step and per forecast step. */
export function featureSizes(w: WindowShape, covariates: number): { input: number; step: number } {
  const cal = calendarFeatures(0, w.frequency).length;
  return { input: 1 + cal + covariates, step: cal + w.horizon };
}

/** One batch of windows, ready for the model. */
export interface ForecastBatch {
  B: number;
  /** (B, lookback, input features) */
  x: Float32Array;
  /** (B, horizon, step features): calendar of each forecast step and its one-hot position */
  steps: Float32Array;
  /** (B, horizon) normalised targets (y − base forecast) / scale; NaN-free only where targets exist */
  target: Float32Array;
  /** (B, horizon) the base forecasts, to add back */
  baseline: Float64Array;
  /** (B, lookback) the window's values relative to its last season's mean, in units of scale (the highway's input) */
  window: Float32Array;
  /** Index of each window's last input step */
  origins: number[];
}

/**
 * Builds a batch for forecast origins (index of each window's last input),
 * with targets relative to the base forecasts (`base`, from {@link baseForecasts}).
 * Targets past the end of the series are left 0 (prediction only).
 */
export function makeBatch(s: Series, w: WindowShape, norm: Normalization, origins: number[], base: Float64Array): ForecastBatch {
  const { lookback: L, horizon: K, season } = w;
  const sizes = featureSizes(w, s.covariates.length);
  const B = origins.length;
  const x = new Float32Array(B * L * sizes.input);
  const steps = new Float32Array(B * K * sizes.step);
  const target = new Float32Array(B * K);
  const baseline = new Float64Array(B * K);
  const window = new Float32Array(B * L);
  const sc = norm.scale;
  origins.forEach((t, b) => {
    let level = 0;
    const m = Math.max(1, season);
    for (let i = t - m + 1; i <= t; i++) level += s.values[i];
    level /= m;
    for (let j = 0; j < L; j++) {
      const i = t - L + 1 + j;
      const row = x.subarray((b * L + j) * sizes.input, (b * L + j + 1) * sizes.input);
      row[0] = window[b * L + j] = (s.values[i] - level) / sc;
      let f = 1;
      if (s.dates) for (const v of calendarFeatures(s.dates[i], w.frequency)) row[f++] = v;
      s.covariates.forEach((c, ci) => (row[f++] = (c[i] - norm.covariateMean[ci]) / norm.covariateStd[ci]));
    }
    for (let k = 1; k <= K; k++) {
      const row = steps.subarray((b * K + k - 1) * sizes.step, (b * K + k) * sizes.step);
      let f = 0;
      if (s.dates) for (const v of calendarFeatures(advance(s.dates[t], w.frequency, k), w.frequency)) row[f++] = v;
      row[f + k - 1] = 1;
      const forecast = base[t * K + k - 1];
      baseline[b * K + k - 1] = forecast;
      if (t + k < s.values.length) target[b * K + k - 1] = (s.values[t + k] - forecast) / sc;
    }
  });
  return { B, x, steps, target, baseline, window, origins };
}

/** The valid forecast origins whose targets all lie in [from, to). */
export function originsBetween(w: WindowShape, from: number, to: number): number[] {
  const first = Math.max(w.lookback - 1, Math.max(1, w.season) - 1, from - 1);
  const out: number[] = [];
  for (let t = first; t + w.horizon < to + 0; t++) if (t + 1 >= from) out.push(t);
  return out;
}
