/**
 * Prediction intervals by split conformal prediction: the forecaster's
 * errors on the validation windows, per forecast step and in units of the
 * series' scale, give the interval's offsets from the point forecast,
 *
 *   [ŷ_{t+k} + scale·q_k(α/2), ŷ_{t+k} + scale·q_k(1 − α/2)],
 *
 * q_k the empirical quantiles of (y − ŷ)/scale at step k, their levels
 * widened by (n + 1)/n for n validation windows (Vovk et al.; Lei et al.
 * 2018), so the coverage holds in finite samples when errors are
 * exchangeable. Scored by coverage and the mean scaled interval score of
 * the M4 competition (Makridakis et al. 2020):
 *
 *   MSIS = mean[(U − L) + (2/α)(L − y)·1{y < L} + (2/α)(y − U)·1{y > U}] / mean_i |x_i − x_{i−m}|
 */
import { GruError } from '../../errors.js';

/** A forecaster's intervals: central `level` (e.g. 0.8), offsets per forecast step in units of the scale. */
export interface IntervalOffsets {
  level: number;
  lower: number[];
  upper: number[];
}

/** The interval offsets from validation errors `errors` (windows, horizon) row-major, in units of the scale. */
export function conformalOffsets(errors: ArrayLike<number>, windows: number, horizon: number, level: number): IntervalOffsets {
  if (!(level > 0 && level < 1)) throw new GruError('INVALID_ARGUMENT', `interval level must be in (0, 1), got ${level}`);
  if (windows < 1) throw new GruError('INVALID_ARGUMENT', 'prediction intervals need at least one validation window');
  const widen = (p: number) => Math.min(1, Math.max(0, 0.5 + (p - 0.5) * (1 + 1 / windows)));
  const lower: number[] = [],
    upper: number[] = [];
  for (let k = 0; k < horizon; k++) {
    const e = Float64Array.from({ length: windows }, (_, w) => errors[w * horizon + k]).sort();
    lower.push(quantile(e, widen((1 - level) / 2)));
    upper.push(quantile(e, widen((1 + level) / 2)));
  }
  return { level, lower, upper };
}

/** The p-quantile of sorted values, linear between order statistics (NumPy's default). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h),
    hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Coverage (share of actuals inside) and MSIS of intervals [lower, upper] at central `level`; `scale` the in-sample seasonal-naive MAE. */
export function intervalScores(lower: ArrayLike<number>, upper: ArrayLike<number>, actual: ArrayLike<number>, level: number, scale: number): { coverage: number; msis: number } {
  const alpha = 1 - level;
  let inside = 0,
    score = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i],
      L = lower[i],
      U = upper[i];
    if (y >= L && y <= U) inside++;
    score += U - L + (y < L ? (2 / alpha) * (L - y) : 0) + (y > U ? (2 / alpha) * (y - U) : 0);
  }
  return { coverage: inside / actual.length, msis: score / actual.length / scale };
}

/** Mean |x_i − x_{i−m}| over the in-sample values: the seasonal-naive MAE that MASE and MSIS divide by. */
export function seasonalNaiveScale(insample: ArrayLike<number>, season: number): number {
  let s = 0;
  for (let i = season; i < insample.length; i++) s += Math.abs(insample[i] - insample[i - season]);
  return s / (insample.length - season);
}
