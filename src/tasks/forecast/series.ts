/**
 * A numeric series prepared for forecasting: values, optional dates and
 * covariates; windows of `lookback` inputs and `horizon` targets; and the
 * normalisation, which makes each window relative to its own recent level
 * and its targets relative to a classical base forecast (seasonal naive or
 * Holt–Winters), so trends and level shifts beyond anything seen in training
 * stay in range.
 */
import { columnIndex, dateColumn, numericColumn, type Table } from '../../data/csv.js';
import { advance, calendarFeatures, detectFrequency, type Frequency } from './calendar.js';
import { holtWintersRolling, seasonalNaiveRolling, type HoltWintersParams } from './baselines.js';
import { GruError } from '../../errors.js';

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
  /** Fill empty cells and missing dates: by linear interpolation or with the previous value (default: both are errors). */
  fill?: FillMethod;
}

export type FillMethod = 'linear' | 'previous';

const day = (ms: number) => new Date(ms).toISOString().slice(0, ms % 86_400_000 === 0 ? 10 : 16);

/**
 * Reads the value, date and covariate columns. Dates must increase and,
 * in a series of a regular frequency, follow each other without gaps;
 * empty cells and missing dates are errors that list them, or are filled
 * with `fill`.
 */
export function seriesFromTable(t: Table, c: SeriesColumns): Series {
  const columns = [c.column, ...(c.covariates ?? [])];
  let cells = columns.map((name) => numericCells(t, name, c.fill));
  const dateName = c.dateColumn ?? (t.columns.includes('date') ? 'date' : undefined);
  let dates = dateName ? dateColumn(t, dateName) : null;
  let frequency: Frequency = 'none';
  if (dates) {
    for (let i = 1; i < dates.length; i++) {
      if (!(dates[i] > dates[i - 1])) throw new GruError('INVALID_DATA', `${t.source}: dates in '${dateName}' must increase; data row ${i + 1} (${day(dates[i])}) does not come after the row before`);
    }
    frequency = detectFrequency(dates);
    if (frequency !== 'none') ({ dates, cells } = withMissingDates(t.source, dates, cells, frequency, c.fill));
  }
  const [values, ...covariates] = cells.map((v) => (c.fill ? filled(v, c.fill) : v));
  return { values, dates, covariates, frequency };
}

/** A table's series: the one it holds (id null), or with `seriesColumn` each of a long-format table's ({@link seriesByIdFromTable}). */
export function seriesOfTable(t: Table, c: SeriesColumns & { seriesColumn?: string }): { id: string | null; series: Series }[] {
  return c.seriesColumn ? seriesByIdFromTable(t, { ...c, seriesColumn: c.seriesColumn }) : [{ id: null, series: seriesFromTable(t, c) }];
}

/**
 * A long-format table (one row per series and date, series told apart by
 * `seriesColumn`) read as one series per id, in order of first appearance;
 * each group is read as {@link seriesFromTable} reads a single series.
 */
export function seriesByIdFromTable(t: Table, c: SeriesColumns & { seriesColumn: string }): { id: string; series: Series }[] {
  const i = columnIndex(t, c.seriesColumn);
  const groups = new Map<string, string[][]>();
  t.rows.forEach((r, k) => {
    const id = (r[i] ?? '').trim();
    if (id === '') throw new GruError('INVALID_DATA', `${t.source}: the series column '${c.seriesColumn}' is empty at data row ${k + 1}; every row needs its series' id`);
    const rows = groups.get(id) ?? groups.set(id, []).get(id)!;
    rows.push(r);
  });
  const fileRow = new Map<string[], number>(t.rows.map((r, k) => [r, k + 1]));
  const out = [...groups].map(([id, rows]) => {
    try {
      return { id, series: seriesFromTable({ ...t, rows, source: `${t.source} (${c.seriesColumn} ${id})` }, c) };
    } catch (e) {
      // The series' own row numbers, as the file's: "data row 3" of a group is some later row of the file.
      const asFileRow = (k: string) => String(fileRow.get(rows[Number(k) - 1]) ?? k);
      if (e instanceof GruError)
        throw new GruError(
          e.code,
          e.message.replace(/data rows? [\d, ]+/g, (m) => m.replace(/\d+/g, asFileRow)),
        );
      throw e;
    }
  });
  const frequencies = new Set(out.map((m) => m.series.frequency));
  if (frequencies.size > 1)
    throw new GruError(
      'INVALID_DATA',
      `${t.source}: the series must share one frequency to train one model, got ${[...frequencies].join(', ')} (${out
        .map((m) => `${m.id}: ${m.series.frequency}`)
        .slice(0, 6)
        .join('; ')})`,
    );
  return out;
}

/** A numeric column with empty cells as NaN when they will be filled, else an error naming the rows. */
function numericCells(t: Table, name: string, fill: FillMethod | undefined): Float64Array {
  const i = t.columns.indexOf(name);
  const empty = i < 0 ? [] : t.rows.flatMap((r, k) => ((r[i] ?? '').trim() === '' ? [k + 1] : []));
  if (empty.length && fill) {
    const v = numericColumn({ ...t, rows: t.rows.map((r) => ((r[i] ?? '').trim() === '' ? Object.assign([...r], { [i]: '0' }) : r)) }, name);
    for (const row of empty) v[row - 1] = NaN;
    return v;
  }
  if (empty.length)
    throw new GruError(
      'INVALID_DATA',
      `${t.source}: column '${name}' has ${empty.length} empty cell${empty.length > 1 ? 's' : ''} (data row${empty.length > 1 ? 's' : ''} ${listed(empty.map(String))}); fill them with --fill linear or --fill previous, or drop the rows`,
    );
  return numericColumn(t, name);
}

const listed = (items: string[]) => (items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`);

/** Inserts the dates a regular series skips (with NaN values to fill), or lists them in an error without `fill`. */
function withMissingDates(source: string, dates: number[], cells: Float64Array[], f: Frequency, fill: FillMethod | undefined): { dates: number[]; cells: Float64Array[] } {
  const all: number[] = [dates[0]];
  const from: number[] = [0]; // row of each date in the input, −1 where missing
  const missing: string[] = [];
  for (let i = 1; i < dates.length; i++) {
    let next = advance(all[all.length - 1], f, 1);
    for (let n = 0; next < dates[i]; n++) {
      if (n > 100_000) throw new GruError('INVALID_DATA', `${source}: data row ${i + 1} (${day(dates[i])}) is far from the ${f} step after ${day(dates[i - 1])}`);
      missing.push(`${day(next)} (after data row ${i})`);
      all.push(next);
      from.push(-1);
      next = advance(next, f, 1);
    }
    if (next !== dates[i]) throw new GruError('INVALID_DATA', `${source}: dates are not ${f}: data row ${i + 1} is ${day(dates[i])}, the next ${f} date after ${day(all[all.length - 1])} is ${day(next)}`);
    all.push(dates[i]);
    from.push(i);
  }
  if (missing.length === 0) return { dates, cells };
  if (!fill) throw new GruError('INVALID_DATA', `${source}: ${missing.length} missing date${missing.length > 1 ? 's' : ''} in a ${f} series: ${listed(missing)}; fill them with --fill linear or --fill previous`);
  return { dates: all, cells: cells.map((v) => Float64Array.from(from, (i) => (i < 0 ? NaN : v[i]))) };
}

/** NaN entries filled by linear interpolation between their neighbours (the nearest value at the ends), or with the previous value. */
function filled(v: Float64Array, method: FillMethod): Float64Array {
  const out = v.slice();
  const known = [...out.keys()].filter((i) => !Number.isNaN(out[i]));
  if (known.length === 0) throw new GruError('INVALID_DATA', 'nothing to fill from: every value is empty');
  for (let i = 0; i < known[0]; i++) out[i] = out[known[0]];
  for (let k = 0; k < known.length; k++) {
    const a = known[k],
      b = known[k + 1] ?? out.length;
    for (let i = a + 1; i < b; i++) out[i] = method === 'previous' || b === out.length ? out[a] : out[a] + ((out[b] - out[a]) * (i - a)) / (b - a);
  }
  return out;
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
  /** The covariates' column names, in the series' order (needed with `known`). */
  covariates?: string[];
  /** Covariates whose values are known for the forecast steps too (promotions, holidays, prices): the model reads them there. */
  known?: string[];
}

/** Fits the normalisation on indices [0, end). */
export function fitNormalization(s: Series, season: number, end: number): Normalization {
  const lag = Math.max(1, season);
  let sq = 0,
    n = 0;
  for (let i = lag; i < end; i++) {
    const d = s.values[i] - s.values[i - lag];
    sq += d * d;
    n++;
  }
  const scale = n > 0 && sq > 0 ? Math.sqrt(sq / n) : 1;
  const covariateMean: number[] = [],
    covariateStd: number[] = [];
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
 * The classical forecast a model corrects: seasonal naive, Holt–Winters
 * with parameters and initial states fitted on the training part, filtered
 * from the series' first row (`firstDate`, when the series has dates), or
 * the mean of the two (a forecast combination: rarely the best, rarely bad).
 */
export type ForecastBase = { method: 'seasonalNaive' } | { method: 'holtWinters' | 'combination'; params: HoltWintersParams; firstDate: number | null };

/**
 * The base forecasts from every origin, (N, horizon) row-major: row t
 * forecasts values[t + 1 … t + horizon] from values[0 … t]. Seasonal-naive
 * rows before the first full season are NaN (no window starts there).
 */
export function baseForecasts(s: Series, w: WindowShape, base: ForecastBase = { method: 'seasonalNaive' }): Float64Array {
  const K = w.horizon;
  const naive = () => seasonalNaiveRolling(s.values, K, Math.max(1, w.season));
  if (base.method === 'seasonalNaive') return naive();
  if (s.dates && base.firstDate !== null && s.dates[0] !== base.firstDate) {
    throw new GruError(
      'INVALID_DATA',
      `the model's Holt-Winters base filters the series from its first row (${new Date(base.firstDate).toISOString().slice(0, 10)}); give the whole history from there, this one starts at ${new Date(s.dates[0]).toISOString().slice(0, 10)}`,
    );
  }
  const hw = holtWintersRolling(base.params, s.values, K);
  if (base.method === 'combination') {
    const sn = naive();
    for (let i = 0; i < hw.length; i++) hw[i] = 0.5 * (hw[i] + sn[i]);
  }
  return hw;
}

/** Features per input step and per forecast step. */
export function featureSizes(w: WindowShape, covariates: number): { input: number; step: number } {
  const cal = calendarFeatures(0, w.frequency).length;
  return { input: 1 + cal + covariates, step: cal + w.horizon + (w.known?.length ?? 0) };
}

/** One batch of windows, ready for the model. */
export interface ForecastBatch {
  B: number;
  /** (B, lookback, input features) */
  x: Float32Array;
  /** (B, horizon, step features): calendar of each forecast step, its one-hot position, then the known covariates there */
  steps: Float32Array;
  /** (B, horizon) normalised targets (y − base forecast) / scale; NaN-free only where targets exist */
  target: Float32Array;
  /** (B, horizon) the base forecasts, to add back */
  baseline: Float64Array;
  /** (B) each window's series scale (the normalisation's), to scale the corrections back */
  scale: Float64Array;
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
  const scale = new Float64Array(B).fill(sc);
  const known = (w.known ?? []).map((name) => w.covariates!.indexOf(name));
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
      known.forEach((ci, j) => {
        const v = s.covariates[ci][t + k];
        if (v === undefined)
          throw new GruError('INVALID_DATA', `the known covariate '${w.known![j]}' has no value ${k} step${k > 1 ? 's' : ''} after the series' last row: give its values for the forecast steps (gru predict --future FILE)`);
        row[f + K + j] = (v - norm.covariateMean[ci]) / norm.covariateStd[ci];
      });
      const forecast = base[t * K + k - 1];
      baseline[b * K + k - 1] = forecast;
      if (t + k < s.values.length) target[b * K + k - 1] = (s.values[t + k] - forecast) / sc;
    }
  });
  return { B, x, steps, target, baseline, scale, window, origins };
}

/** Batches of windows (of any series) joined into one, in order. */
export function concatBatches(parts: ForecastBatch[]): ForecastBatch {
  if (parts.length === 1) return parts[0];
  const join = <T extends Float32Array | Float64Array>(key: 'x' | 'steps' | 'target' | 'baseline' | 'scale' | 'window', make: (n: number) => T): T => {
    const out = make(parts.reduce((n, p) => n + p[key].length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p[key], at);
      at += p[key].length;
    }
    return out;
  };
  return {
    B: parts.reduce((n, p) => n + p.B, 0),
    x: join('x', (n) => new Float32Array(n)),
    steps: join('steps', (n) => new Float32Array(n)),
    target: join('target', (n) => new Float32Array(n)),
    baseline: join('baseline', (n) => new Float64Array(n)),
    scale: join('scale', (n) => new Float64Array(n)),
    window: join('window', (n) => new Float32Array(n)),
    origins: parts.flatMap((p) => p.origins),
  };
}

/** The valid forecast origins whose targets all lie in [from, to). */
export function originsBetween(w: WindowShape, from: number, to: number): number[] {
  const first = Math.max(w.lookback - 1, Math.max(1, w.season) - 1, from - 1);
  const out: number[] = [];
  for (let t = first; t + w.horizon < to + 0; t++) if (t + 1 >= from) out.push(t);
  return out;
}
