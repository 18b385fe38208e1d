/**
 * Classical forecasting baselines to compare the GRU forecaster against: seasonal naive, a linear
 * autoregression with a time trend, and Holt–Winters; plus the MASE metric. Self-contained: plain
 * TypeScript on `ArrayLike<number>` / `Float64Array`; rejections are GruErrors.
 *
 * Evaluation protocol (rolling origin, as the GRU is evaluated). A series y_0 … y_{N−1}. Parameters
 * are fitted once on y[0, fitEnd) (train + validation). At each test origin t ≥ fitEnd − 1 (the index
 * of the last observed value) a baseline forecasts y_{t+1} … y_{t+h} from y_0 … y_t with the fitted
 * parameters held fixed: states are filtered through the actual data up to t, nothing is refitted.
 *
 * Seasonal naive, season m (m = 1: naive):
 *   ŷ_{t+k} = y_{t+k−m·⌈k/m⌉}                     (k > m repeats the last observed season)
 *
 * Linear autoregression with `p` lags, intercept c and linear time trend d (t = absolute index):
 *   y_t = c + d·t + Σ_{j=1..p} φ_j·y_{t−j} + ε_t
 *   fitted by least squares over t ∈ [p, fitEnd) (Householder QR on column-scaled data, time centred
 *   and scaled to [−1, 1]); forecasts are recursive: predictions are fed back as lags.
 *
 * Holt–Winters, additive trend and additive season m > 1 (statsmodels' `ExponentialSmoothing(
 * trend='add', seasonal='add')`, recursions of its `holt_win_add_add_dam` with φ = 1). The states
 * l, b before y_0 are the initial level and trend; s_0 … s_{m−1} are the initial seasonal terms:
 *   ŷ_i     = l_{i−1} + b_{i−1} + s_i                                  (one step ahead)
 *   l_i     = α·(y_i − s_i) + (1 − α)·(l_{i−1} + b_{i−1})
 *   b_i     = β·(l_i − l_{i−1}) + (1 − β)·b_{i−1}
 *   s_{i+m} = γ·(y_i − l_{i−1} − b_{i−1}) + (1 − γ)·s_i
 *   ŷ_{t+k} = l_t + k·b_t + s_{t+k−m·⌈k/m⌉}                            (k steps from origin t)
 * For m ≤ 1 the season is dropped (s ≡ 0, γ unused): Holt's linear trend method.
 *
 * Holt–Winters fit: minimise SSE = Σ_{i<fitEnd} (y_i − ŷ_i)² over α, β, γ and the initial states, in
 * statsmodels' region α ∈ [√ε, 1 − √ε], β ∈ [0, α], γ ∈ [0, 1 − α] (ε = 2^−52). For fixed (α, β, γ)
 * the predictions are affine in the initial states, so the best states solve a linear least-squares
 * problem exactly ("variable projection"); Nelder–Mead searches only (α, β, γ), through the transform
 * α = lo + (hi − lo)·sin²u₀, β = α·sin²u₁, γ = (1 − α)·sin²u₂, which maps all of ℝ³ onto the region.
 * Adding c to every initial seasonal term and −c to the initial level changes no prediction, so the
 * fit fixes s_{m−1} = 0 while solving and reports seasonal terms re-centred to mean zero.
 *
 * MASE (M4 definition), forecasts p_k of actuals a_k, in-sample series x_0 … x_{n−1}, season m:
 *   MASE = mean_k |p_k − a_k| / mean_{i=m..n−1} |x_i − x_{i−m}|
 */
import { GruError } from '../../errors.js';

/** Names of the baselines `classicalBaselines` runs, in the order it runs them. */
export const BASELINE_NAMES = ['seasonalNaive', 'linearAR', 'holtWinters'] as const;

/** One of `BASELINE_NAMES`. */
export type BaselineName = (typeof BASELINE_NAMES)[number];

/** How reports name the baselines. */
export const BASELINE_LABELS: Record<BaselineName, string> = { seasonalNaive: 'seasonal naive', linearAR: 'linear AR', holtWinters: 'Holt-Winters' };

/** A fitted linear autoregression y_t = intercept + trend·t + Σ_j coefficients[j−1]·y_{t−j}. */
export interface LinearARModel {
  /** Number of lags p. */
  lags: number;
  /** Intercept c (the value of the trend line at t = 0). */
  intercept: number;
  /** Trend d per time step; t is the absolute index into the series. */
  trend: number;
  /** φ_1 … φ_p; coefficients[j − 1] multiplies y_{t−j}. */
  coefficients: Float64Array;
  /** The fit used y[0, fitEnd). */
  fitEnd: number;
}

/** Holt–Winters smoothing parameters and initial states (enough to filter and forecast). */
export interface HoltWintersParams {
  /** Season length m; m ≤ 1 means no seasonal component (Holt's linear trend method). */
  season: number;
  /** Level smoothing α. */
  alpha: number;
  /** Trend smoothing β (statsmodels' `smoothing_trend`). */
  beta: number;
  /** Seasonal smoothing γ; ignored when season ≤ 1. */
  gamma: number;
  /** Level before y_0. */
  level0: number;
  /** Trend before y_0. */
  trend0: number;
  /** Seasonal terms of y_0 … y_{m−1} (statsmodels' `initial_seasons`); length m, or ignored when season ≤ 1. */
  seasonal0: ArrayLike<number>;
}

/** A Holt–Winters model fitted by `fitHoltWinters`. */
export interface HoltWintersModel extends HoltWintersParams {
  /** Initial seasonal terms, mean zero (empty when season ≤ 1). */
  seasonal0: Float64Array;
  /** Sum of squared one-step errors over y[0, fitEnd). */
  sse: number;
  /** The fit used y[0, fitEnd). */
  fitEnd: number;
}

/** Options of `classicalBaselines`. */
export interface ClassicalBaselineOptions {
  /** Parameters are fitted on values[0, fitEnd). */
  fitEnd: number;
  /** Season length (1 or less: no season). */
  season: number;
  /** Number of lags of the linear autoregression. */
  lags: number;
  /** Steps forecast from each origin. */
  horizon: number;
  /** Test origins t (index of the last observed value), each ≥ fitEnd − 1. */
  origins: ArrayLike<number>;
  /** The baselines to run (default: all). */
  names?: readonly BaselineName[];
}

/** What `classicalBaselines` returns. */
export interface ClassicalBaselines {
  /** Per baseline run, predictions origin-major: predictions[name][o·horizon + k − 1] forecasts values[origins[o] + k]. */
  predictions: Partial<Record<BaselineName, Float64Array>>;
  /** Baselines that could not be fitted (too few rows for the lags or seasons), with the reason. */
  skipped: Partial<Record<BaselineName, string>>;
  /** The fitted linear autoregression, when run. */
  linearAR?: LinearARModel;
  /** The fitted Holt–Winters model, when run. */
  holtWinters?: HoltWintersModel;
}

// ---------------------------------------------------------------------------------------------
// Argument checks: each names what was expected and what came.

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new GruError('INVALID_ARGUMENT', `${name} must be an integer ≥ ${min}; got ${v}`);
}

function checkFinite(fn: string, values: ArrayLike<number>, end: number): void {
  for (let i = 0; i < end; i++) {
    if (!Number.isFinite(values[i])) throw new GruError('INVALID_DATA', `${fn}: values[${i}] must be a finite number; got ${values[i]}`);
  }
}

function checkOrigin(fn: string, values: ArrayLike<number>, origin: number, first: number, horizon: number): void {
  checkInt(`${fn}: horizon`, horizon, 1);
  if (!Number.isInteger(origin) || origin < first || origin >= values.length) {
    throw new GruError('INVALID_ARGUMENT', `${fn}: origin must be an integer in [${first}, ${values.length - 1}] (values has ${values.length}); got ${origin}`);
  }
  checkFinite(fn, values, origin + 1);
}

// ---------------------------------------------------------------------------------------------
// Seasonal naive

/**
 * Seasonal naive forecast from `origin`: step k repeats the value one season earlier,
 * ŷ_{t+k} = y_{t+k−m·⌈k/m⌉}; season 1 is the naive (last value) forecast.
 * Needs origin ≥ season − 1.
 */
export function seasonalNaiveForecast(values: ArrayLike<number>, origin: number, horizon: number, season: number): Float64Array {
  checkInt('seasonalNaive: season', season, 1);
  checkOrigin('seasonalNaive', values, origin, season - 1, horizon);
  const out = new Float64Array(horizon);
  for (let k = 1; k <= horizon; k++) out[k - 1] = seasonalNaiveStep(values, origin, k, season);
  return out;
}

/** ŷ_{t+k} of the seasonal-naive forecast made at origin t (k > season repeats the last observed season). */
function seasonalNaiveStep(values: ArrayLike<number>, origin: number, k: number, season: number): number {
  return values[origin - season + 1 + ((k - 1) % season)];
}

/**
 * Seasonal-naive forecasts from every origin in one pass, (N, horizon) row-major: row t as
 * {@link seasonalNaiveForecast} at origin t; rows before the first full season (t < season − 1) NaN.
 * The values are checked once, not once per origin.
 */
export function seasonalNaiveRolling(values: ArrayLike<number>, horizon: number, season: number): Float64Array {
  checkInt('seasonalNaive: season', season, 1);
  checkInt('seasonalNaive: horizon', horizon, 1);
  checkFinite('seasonalNaive', values, values.length);
  const out = new Float64Array(values.length * horizon).fill(NaN); // (N, horizon)
  for (let t = season - 1; t < values.length; t++) {
    for (let k = 1; k <= horizon; k++) out[t * horizon + k - 1] = seasonalNaiveStep(values, t, k, season);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Least squares by Householder QR

/**
 * Solves min ‖A·x − b‖² for A (n × k, column-major, overwritten) and b (length n, overwritten);
 * writes x and returns the residual sum of squares. Columns are scaled to unit norm first; a column
 * whose part orthogonal to the earlier ones is below 1e−11 of its norm is taken as dependent and gets
 * coefficient 0 (the residual is unchanged, as it lies in the span of the others).
 */
function leastSquares(A: Float64Array, b: Float64Array, n: number, k: number, x: Float64Array): number {
  const scale = new Float64Array(k); // (k) column norms
  const pivotRow = new Int32Array(k).fill(-1); // (k) row of the column's reflector, −1 if dependent
  let r = 0; // reflectors applied so far
  for (let j = 0; j < k; j++) {
    const col = j * n;
    let s = 0;
    for (let i = 0; i < n; i++) s += A[col + i] * A[col + i];
    scale[j] = Math.sqrt(s);
    if (scale[j] === 0) continue;
    for (let i = 0; i < n; i++) A[col + i] /= scale[j];
  }
  for (let j = 0; j < k && r < n; j++) {
    const col = j * n;
    if (scale[j] === 0) continue;
    let norm = 0;
    for (let i = r; i < n; i++) norm += A[col + i] * A[col + i];
    norm = Math.sqrt(norm);
    if (norm <= 1e-11) continue;
    // Reflector H = I − 2·v·vᵀ/(vᵀv), v = a − δ·e_r with δ = −sign(a_r)·‖a‖ (no cancellation in
    // v_r = a_r − δ), so that H·a = δ·e_r; v overwrites a in place.
    const diag = A[col + r] > 0 ? -norm : norm;
    const vtv = 2 * norm * norm - 2 * diag * A[col + r]; // ‖v‖² = ‖a‖² − 2δ·a_r + δ²
    A[col + r] -= diag; // v_r; v_i = A[col + i] for i > r
    const reflect = (c: Float64Array, off: number): void => {
      let dot = 0;
      for (let i = r; i < n; i++) dot += A[col + i] * c[off + i];
      const f = (2 * dot) / vtv;
      for (let i = r; i < n; i++) c[off + i] -= f * A[col + i];
    };
    for (let jj = j + 1; jj < k; jj++) if (scale[jj] !== 0) reflect(A, jj * n);
    reflect(b, 0);
    A[col + r] = diag; // R[r][j]
    pivotRow[j] = r;
    r++;
  }
  let rss = 0;
  for (let i = r; i < n; i++) rss += b[i] * b[i];
  // Back substitution on the pivot rows, last to first.
  for (let j = k - 1; j >= 0; j--) {
    const row = pivotRow[j];
    if (row < 0) {
      x[j] = 0;
      continue;
    }
    let s = b[row];
    for (let jj = j + 1; jj < k; jj++) s -= A[jj * n + row] * x[jj];
    x[j] = s / A[j * n + row];
  }
  for (let j = 0; j < k; j++) if (scale[j] !== 0) x[j] /= scale[j];
  return rss;
}

// ---------------------------------------------------------------------------------------------
// Linear autoregression

/**
 * Fits y_t = c + d·t + Σ_{j=1..lags} φ_j·y_{t−j} by least squares over t ∈ [lags, fitEnd).
 * Needs fitEnd − lags ≥ lags + 2 rows (one per unknown), i.e. fitEnd ≥ 2·lags + 2.
 */
export function fitLinearAR(values: ArrayLike<number>, fitEnd: number, lags: number): LinearARModel {
  checkInt('fitLinearAR: lags', lags, 1);
  checkInt('fitLinearAR: fitEnd', fitEnd, 1);
  if (fitEnd > values.length) throw new GruError('INVALID_ARGUMENT', `fitLinearAR: fitEnd must be ≤ values.length = ${values.length}; got ${fitEnd}`);
  const n = fitEnd - lags; // rows
  const k = lags + 2; // unknowns: intercept, trend, φ_1 … φ_p
  if (n < k) {
    throw new GruError('INVALID_DATA', `fitLinearAR: ${lags} lags need fitEnd ≥ 2·lags + 2 = ${2 * lags + 2} (${k} unknowns, one row each); got fitEnd = ${fitEnd}`);
  }
  checkFinite('fitLinearAR', values, fitEnd);
  // Time enters centred and scaled, τ = (t − mid) / half ∈ [−1, 1], so it is orthogonal to the intercept.
  const mid = (lags + fitEnd - 1) / 2;
  const half = Math.max(1, (fitEnd - 1 - lags) / 2);
  const A = new Float64Array(n * k); // (n, k) column-major: [1, τ, y_{t−1}, …, y_{t−p}]
  const b = new Float64Array(n); // (n) y_t
  for (let i = 0; i < n; i++) {
    const t = lags + i;
    A[i] = 1;
    A[n + i] = (t - mid) / half;
    for (let j = 1; j <= lags; j++) A[(j + 1) * n + i] = values[t - j];
    b[i] = values[t];
  }
  const x = new Float64Array(k);
  leastSquares(A, b, n, k, x);
  const trend = x[1] / half;
  return { lags, intercept: x[0] - trend * mid, trend, coefficients: x.slice(2), fitEnd };
}

/**
 * Recursive forecast of values[origin + 1 … origin + horizon] from values[0 … origin]: each step's
 * prediction is fed back as a lag of the next. Needs origin ≥ lags − 1.
 */
export function linearARForecast(model: LinearARModel, values: ArrayLike<number>, origin: number, horizon: number): Float64Array {
  const p = model.lags;
  checkOrigin('linearARForecast', values, origin, p - 1, horizon);
  const y = new Float64Array(p + horizon); // (p + h) y_{origin−p+1} … y_{origin+h}
  for (let i = 0; i < p; i++) y[i] = values[origin - p + 1 + i];
  for (let k = 1; k <= horizon; k++) {
    const at = p - 1 + k; // index of y_{origin+k}
    let s = model.intercept + model.trend * (origin + k);
    for (let j = 1; j <= p; j++) s += model.coefficients[j - 1] * y[at - j];
    y[at] = s;
  }
  return y.slice(p);
}

// ---------------------------------------------------------------------------------------------
// Holt–Winters

/** Filter state after some observations: level, trend and the seasonal ring (index i mod m holds s_i). */
interface HWState {
  level: number;
  trend: number;
  seasonal: Float64Array;
}

/** Season length used by the recursions: 1 (with s ≡ 0, γ = 0) stands for "no season". */
function ringLength(season: number): number {
  return season > 1 ? season : 1;
}

function checkParams(fn: string, p: HoltWintersParams): void {
  if (!Number.isInteger(p.season) || p.season < 0) throw new GruError('INVALID_ARGUMENT', `${fn}: season must be an integer ≥ 0; got ${p.season}`);
  for (const key of ['alpha', 'beta', 'gamma', 'level0', 'trend0'] as const) {
    if (key === 'gamma' && p.season <= 1) continue;
    if (!Number.isFinite(p[key])) throw new GruError('INVALID_ARGUMENT', `${fn}: ${key} must be a finite number; got ${p[key]}`);
  }
  if (p.season > 1 && p.seasonal0.length !== p.season) {
    throw new GruError('INVALID_ARGUMENT', `${fn}: seasonal0 must hold season = ${p.season} values; got ${p.seasonal0.length}`);
  }
}

/**
 * Runs the recursions over y[0, end) from the initial states in `p`; writes ŷ_i into `fitted`
 * when given, calls `visit(i)` with the states after y_i in `state` when given, and leaves the
 * states after y_{end−1} in `state`.
 */
function filter(p: HoltWintersParams, y: ArrayLike<number>, end: number, fitted: Float64Array | null, state: HWState, visit?: (i: number) => void): void {
  const m = ringLength(p.season);
  const gamma = p.season > 1 ? p.gamma : 0;
  const s = state.seasonal; // (m) ring
  for (let i = 0; i < m; i++) s[i] = p.season > 1 ? p.seasonal0[i] : 0;
  let level = p.level0;
  let trend = p.trend0;
  for (let i = 0; i < end; i++) {
    const si = s[i % m];
    if (fitted) fitted[i] = level + trend + si; // ŷ_i = l_{i−1} + b_{i−1} + s_i
    const next = p.alpha * (y[i] - si) + (1 - p.alpha) * (level + trend); // l_i
    s[i % m] = gamma * (y[i] - level - trend) + (1 - gamma) * si; // s_{i+m}
    trend = p.beta * (next - level) + (1 - p.beta) * trend; // b_i
    level = next;
    if (visit) {
      state.level = level;
      state.trend = trend;
      visit(i);
    }
  }
  state.level = level;
  state.trend = trend;
}

/**
 * One-step-ahead predictions ŷ_0 … ŷ_{end−1} of Holt–Winters run with the given parameters and
 * initial states (ŷ_i uses y_0 … y_{i−1}); statsmodels' `fittedvalues`.
 */
export function holtWintersFitted(params: HoltWintersParams, values: ArrayLike<number>, end: number = values.length): Float64Array {
  checkParams('holtWintersFitted', params);
  checkInt('holtWintersFitted: end', end, 0);
  if (end > values.length) throw new GruError('INVALID_ARGUMENT', `holtWintersFitted: end must be ≤ values.length = ${values.length}; got ${end}`);
  checkFinite('holtWintersFitted', values, end);
  const fitted = new Float64Array(end);
  filter(params, values, end, fitted, { level: 0, trend: 0, seasonal: new Float64Array(ringLength(params.season)) });
  return fitted;
}

/**
 * Forecast of values[origin + 1 … origin + horizon]: filters values[0 … origin] from the initial
 * states with the parameters fixed, then ŷ_{t+k} = l_t + k·b_t + s_{t+k−m·⌈k/m⌉}.
 */
export function holtWintersForecast(params: HoltWintersParams, values: ArrayLike<number>, origin: number, horizon: number): Float64Array {
  checkParams('holtWintersForecast', params);
  checkOrigin('holtWintersForecast', values, origin, 0, horizon);
  const m = ringLength(params.season);
  const state: HWState = { level: 0, trend: 0, seasonal: new Float64Array(m) };
  filter(params, values, origin + 1, null, state);
  const out = new Float64Array(horizon);
  for (let k = 1; k <= horizon; k++) out[k - 1] = state.level + k * state.trend + state.seasonal[(origin + k) % m];
  return out;
}

/**
 * Forecasts from every origin in one pass: row t of the result (N, horizon) forecasts
 * values[t + 1 … t + horizon] from values[0 … t], as {@link holtWintersForecast} at origin t.
 */
export function holtWintersRolling(params: HoltWintersParams, values: ArrayLike<number>, horizon: number): Float64Array {
  checkParams('holtWintersRolling', params);
  checkInt('holtWintersRolling: horizon', horizon, 1);
  checkFinite('holtWintersRolling', values, values.length);
  const m = ringLength(params.season);
  const out = new Float64Array(values.length * horizon); // (N, horizon)
  const state: HWState = { level: 0, trend: 0, seasonal: new Float64Array(m) };
  filter(params, values, values.length, null, state, (t) => {
    for (let k = 1; k <= horizon; k++) out[t * horizon + k - 1] = state.level + k * state.trend + state.seasonal[(t + k) % m];
  });
  return out;
}

/** statsmodels' smallest α distance from 0 and 1, √ε. */
const ALPHA_MARGIN = Math.sqrt(2 ** -52);

/** (α, β, γ) from the unconstrained Nelder–Mead point u (see the file header). */
function smoothingFromU(u: ArrayLike<number>, seasonal: boolean): [number, number, number] {
  const sin2 = (v: number) => Math.sin(v) ** 2;
  const alpha = ALPHA_MARGIN + (1 - 2 * ALPHA_MARGIN) * sin2(u[0]);
  return [alpha, alpha * sin2(u[1]), seasonal ? (1 - alpha) * sin2(u[2]) : 0];
}

/**
 * For fixed (α, β, γ), the initial states that minimise the SSE on y[0, fitEnd), written into
 * `params` (seasonal terms re-centred to mean zero); returns that SSE. The predictions are affine in
 * the states θ = (l, b, s_0 … s_{m−2}) (s_{m−1} = 0): ŷ = c + A·θ, with c the run from zero states
 * and column j the run of zero data from state j set to 1; then θ = argmin ‖y − c − A·θ‖².
 */
function bestInitialStates(params: HoltWintersParams & { seasonal0: Float64Array }, values: ArrayLike<number>, fitEnd: number, work: HWFitWork): number {
  const m = ringLength(params.season);
  const k = m + 1; // unknowns: level, trend, m − 1 seasonal terms
  const { A, rhs, zeros, theta, state } = work;
  const seasonal0 = params.seasonal0;
  params.level0 = 0;
  params.trend0 = 0;
  seasonal0.fill(0);
  filter(params, values, fitEnd, rhs, state); // c
  for (let i = 0; i < fitEnd; i++) rhs[i] = values[i] - rhs[i]; // y − c
  for (let j = 0; j < k; j++) {
    params.level0 = j === 0 ? 1 : 0;
    params.trend0 = j === 1 ? 1 : 0;
    seasonal0.fill(0);
    if (j >= 2) seasonal0[j - 2] = 1;
    filter(params, zeros, fitEnd, A.subarray(j * fitEnd, (j + 1) * fitEnd), state);
  }
  const sse = leastSquares(A, rhs, fitEnd, k, theta);
  seasonal0.fill(0);
  for (let j = 2; j < k; j++) seasonal0[j - 2] = theta[j];
  let mean = 0;
  for (let i = 0; i < seasonal0.length; i++) mean += seasonal0[i] / seasonal0.length;
  for (let i = 0; i < seasonal0.length; i++) seasonal0[i] -= mean;
  params.level0 = theta[0] + mean;
  params.trend0 = theta[1];
  return sse;
}

/** Buffers reused by every evaluation of one fit. */
interface HWFitWork {
  A: Float64Array; // (fitEnd, m + 1) column-major
  rhs: Float64Array; // (fitEnd)
  zeros: Float64Array; // (fitEnd)
  theta: Float64Array; // (m + 1)
  state: HWState;
}

/**
 * Minimises f over ℝ^d by Nelder–Mead (reflection 1, expansion 2, contraction ½, shrink ½) from x0
 * with initial steps `step`; stops when the simplex's values agree to 1e−12 relative or after
 * `maxEvals`. Returns the best point and value.
 */
function nelderMead(f: (x: Float64Array) => number, x0: Float64Array, step: number, maxEvals: number): { x: Float64Array; fx: number } {
  const d = x0.length;
  const pts: Float64Array[] = [];
  const fs: number[] = [];
  for (let i = 0; i <= d; i++) {
    const p = x0.slice();
    if (i > 0) p[i - 1] += step;
    pts.push(p);
    fs.push(f(p));
  }
  let evals = d + 1;
  const centroid = new Float64Array(d);
  const along = (t: number): Float64Array => {
    const p = new Float64Array(d); // centroid + t·(centroid − worst)
    for (let i = 0; i < d; i++) p[i] = centroid[i] + t * (centroid[i] - pts[d][i]);
    return p;
  };
  while (evals < maxEvals) {
    const order = fs.map((_, i) => i).sort((a, b) => fs[a] - fs[b]);
    const sortedPts = order.map((i) => pts[i]);
    const sortedFs = order.map((i) => fs[i]);
    for (let i = 0; i <= d; i++) {
      pts[i] = sortedPts[i];
      fs[i] = sortedFs[i];
    }
    if (fs[d] - fs[0] <= 1e-12 * Math.abs(fs[0]) + 1e-300) break;
    centroid.fill(0);
    for (let i = 0; i < d; i++) for (let c = 0; c < d; c++) centroid[c] += pts[i][c] / d;
    const xr = along(1);
    const fr = f(xr);
    evals++;
    if (fr < fs[0]) {
      const xe = along(2);
      const fe = f(xe);
      evals++;
      [pts[d], fs[d]] = fe < fr ? [xe, fe] : [xr, fr];
    } else if (fr < fs[d - 1]) {
      [pts[d], fs[d]] = [xr, fr];
    } else {
      const xc = fr < fs[d] ? along(0.5) : along(-0.5); // outside or inside contraction
      const fc = f(xc);
      evals++;
      if (fc < Math.min(fr, fs[d])) {
        [pts[d], fs[d]] = [xc, fc];
      } else {
        for (let i = 1; i <= d; i++) {
          for (let c = 0; c < d; c++) pts[i][c] = pts[0][c] + 0.5 * (pts[i][c] - pts[0][c]);
          fs[i] = f(pts[i]);
        }
        evals += d;
      }
    }
  }
  let best = 0;
  for (let i = 1; i <= d; i++) if (fs[i] < fs[best]) best = i;
  return { x: pts[best], fx: fs[best] };
}

/**
 * Fits Holt–Winters (additive trend; additive season when season > 1, else Holt's linear trend) on
 * values[0, fitEnd) by minimising the sum of squared one-step errors over α, β, γ and the initial
 * states, as statsmodels' `ExponentialSmoothing(..., initialization_method='estimated').fit()` does
 * (see the file header for the method). Needs fitEnd ≥ max(2·season, season + 5) when season > 1
 * (two full seasons and more rows than the season + 4 free parameters), fitEnd ≥ 5 otherwise.
 */
export function fitHoltWinters(values: ArrayLike<number>, fitEnd: number, season: number): HoltWintersModel {
  // A fit is a pure function of the rows it sees: a training run and its evaluation fit the same rows (seconds
  // each for long seasons), so the last few fits are kept, keyed by those rows' content (a copy is returned).
  const key = Number.isInteger(fitEnd) && fitEnd >= 0 && fitEnd <= values.length ? `${season}:${fitEnd}:${contentHash(values, fitEnd)}` : null;
  const seen = key !== null ? recentHoltWinters.get(key) : undefined;
  if (seen) return { ...seen, seasonal0: seen.seasonal0.slice() };
  const model = fitHoltWintersOnce(values, fitEnd, season);
  if (key !== null) {
    recentHoltWinters.set(key, { ...model, seasonal0: model.seasonal0.slice() });
    if (recentHoltWinters.size > 16) recentHoltWinters.delete(recentHoltWinters.keys().next().value!);
  }
  return model;
}

const recentHoltWinters = new Map<string, HoltWintersModel>();

/** Two 32-bit FNV-1a hashes over the float64 bits of values[0, n) (different offsets), as hex. */
function contentHash(values: ArrayLike<number>, n: number): string {
  const bits = new DataView(new ArrayBuffer(8));
  let a = 0x811c9dc5,
    b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < n; i++) {
    bits.setFloat64(0, values[i]);
    for (let j = 0; j < 8; j++) {
      const byte = bits.getUint8(j);
      a = Math.imul(a ^ byte, 0x01000193);
      b = Math.imul(b ^ byte, 0x01000193) ^ (b >>> 15);
    }
  }
  return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

function fitHoltWintersOnce(values: ArrayLike<number>, fitEnd: number, season: number): HoltWintersModel {
  checkInt('fitHoltWinters: season', season, 0);
  checkInt('fitHoltWinters: fitEnd', fitEnd, 1);
  if (fitEnd > values.length) throw new GruError('INVALID_ARGUMENT', `fitHoltWinters: fitEnd must be ≤ values.length = ${values.length}; got ${fitEnd}`);
  const seasonal = season > 1;
  const minRows = seasonal ? Math.max(2 * season, season + 5) : 5;
  if (fitEnd < minRows) {
    throw new GruError(
      'INVALID_DATA',
      seasonal ? `fitHoltWinters: season ${season} needs fitEnd ≥ max(2·season, season + 5) = ${minRows}; got fitEnd = ${fitEnd}` : `fitHoltWinters: Holt's linear trend (season ≤ 1) needs fitEnd ≥ 5; got fitEnd = ${fitEnd}`,
    );
  }
  checkFinite('fitHoltWinters', values, fitEnd);
  const m = ringLength(season);
  const work: HWFitWork = {
    A: new Float64Array(fitEnd * (m + 1)),
    rhs: new Float64Array(fitEnd),
    zeros: new Float64Array(fitEnd),
    theta: new Float64Array(m + 1),
    state: { level: 0, trend: 0, seasonal: new Float64Array(m) },
  };
  const params = { season, alpha: 0, beta: 0, gamma: 0, level0: 0, trend0: 0, seasonal0: new Float64Array(seasonal ? season : 0) };
  const sseAt = (u: ArrayLike<number>): number => {
    [params.alpha, params.beta, params.gamma] = smoothingFromU(u, seasonal);
    return bestInitialStates(params, values, fitEnd, work);
  };
  // Starts: the 3 best of the 3^d grid points q ∈ {0.05, 0.5, 0.95} per coordinate (q = sin²u),
  // each polished by Nelder–Mead, restarted from its own result while that still improves it.
  const d = seasonal ? 3 : 2;
  const grid = [0.05, 0.5, 0.95].map((q) => Math.asin(Math.sqrt(q)));
  const candidates: { u: Float64Array; fx: number }[] = [];
  for (let c = 0; c < grid.length ** d; c++) {
    const u = new Float64Array(d);
    for (let dim = 0; dim < d; dim++) u[dim] = grid[Math.floor(c / grid.length ** dim) % grid.length];
    candidates.push({ u, fx: sseAt(u) });
  }
  candidates.sort((a, b) => a.fx - b.fx);
  let best = candidates[0];
  for (const start of candidates.slice(0, 3)) {
    let cur = start;
    for (let restart = 0; restart < 10; restart++) {
      const next = nelderMead(sseAt, cur.u, 0.2, 400 * d);
      if (!(next.fx < cur.fx)) break;
      const improved = next.fx < cur.fx * (1 - 1e-12);
      cur = { u: next.x, fx: next.fx };
      if (!improved) break;
    }
    if (cur.fx < best.fx) best = cur;
  }
  sseAt(best.u);
  const model: HoltWintersModel = { ...params, seasonal0: params.seasonal0.slice(), sse: 0, fitEnd };
  if (!seasonal) model.gamma = 0;
  const fitted = holtWintersFitted(model, values, fitEnd);
  for (let i = 0; i < fitEnd; i++) model.sse += (values[i] - fitted[i]) ** 2;
  return model;
}

// ---------------------------------------------------------------------------------------------
// Metric and the three baselines together

/**
 * Mean absolute scaled error (M4): mean |pred − actual| divided by the mean absolute seasonal
 * difference mean_{i ≥ season} |x_i − x_{i−season}| of the in-sample series x (season 1: naive
 * differences). Infinity (NaN if the forecast is also exact) when x repeats itself with that season.
 */
export function mase(pred: ArrayLike<number>, actual: ArrayLike<number>, insampleValues: ArrayLike<number>, season: number): number {
  checkInt('mase: season', season, 1);
  if (pred.length !== actual.length || pred.length === 0) {
    throw new GruError('INVALID_ARGUMENT', `mase: pred and actual must have the same non-zero length; got ${pred.length} and ${actual.length}`);
  }
  if (insampleValues.length <= season) {
    throw new GruError('INVALID_ARGUMENT', `mase: insampleValues must be longer than season = ${season}; got length ${insampleValues.length}`);
  }
  let err = 0;
  for (let i = 0; i < pred.length; i++) err += Math.abs(pred[i] - actual[i]);
  let scale = 0;
  for (let i = season; i < insampleValues.length; i++) scale += Math.abs(insampleValues[i] - insampleValues[i - season]);
  return err / pred.length / (scale / (insampleValues.length - season));
}

/**
 * Fits the linear autoregression and Holt–Winters on values[0, fitEnd) and forecasts `horizon`
 * steps from every origin with the three baselines (or `names`; rolling origin, parameters fixed).
 * A baseline whose fit fails (too few rows for its lags or seasons) is skipped, with the reason.
 * Seasonal naive uses max(season, 1). Holt–Winters filters from the start for each origin, so the
 * forecasts cost O(origins.length · N); the fit costs O(evaluations · fitEnd · season²), about
 * 1000 evaluations (0.4 s for season 12 and fitEnd 400, 5 s for season 52).
 */
export function classicalBaselines(values: ArrayLike<number>, options: ClassicalBaselineOptions): ClassicalBaselines {
  const { fitEnd, season, lags, horizon, origins, names = BASELINE_NAMES } = options;
  checkInt('classicalBaselines: horizon', horizon, 1);
  for (let o = 0; o < origins.length; o++) {
    const t = origins[o];
    if (!Number.isInteger(t) || t < fitEnd - 1 || t >= values.length) {
      throw new GruError('INVALID_ARGUMENT', `classicalBaselines: origins[${o}] must be an integer in [fitEnd − 1, values.length − 1] = [${fitEnd - 1}, ${values.length - 1}]; got ${t}`);
    }
  }
  const out: ClassicalBaselines = { predictions: {}, skipped: {} };
  const rolling = (forecastAt: (t: number) => Float64Array) => {
    const p = new Float64Array(origins.length * horizon);
    for (let o = 0; o < origins.length; o++) p.set(forecastAt(origins[o]), o * horizon);
    return p;
  };
  for (const name of names) {
    try {
      if (name === 'seasonalNaive') {
        out.predictions.seasonalNaive = rolling((t) => seasonalNaiveForecast(values, t, horizon, Math.max(season, 1)));
      } else if (name === 'linearAR') {
        const m = (out.linearAR = fitLinearAR(values, fitEnd, lags));
        out.predictions.linearAR = rolling((t) => linearARForecast(m, values, t, horizon));
      } else {
        const m = (out.holtWinters = fitHoltWinters(values, fitEnd, season));
        out.predictions.holtWinters = rolling((t) => holtWintersForecast(m, values, t, horizon));
      }
    } catch (e) {
      if (name === 'seasonalNaive') throw e; // needs no fit: its errors are the caller's
      out.skipped[name] = (e as Error).message;
    }
  }
  return out;
}
