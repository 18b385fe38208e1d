/** The forecast picture: actual values over the test period with the forecasts. */
import { lineChart } from '../../plot/line-chart.js';
import { writePicture } from '../../plot/png.js';
import type { ForecastEvaluation } from './task.js';
import type { Series } from './series.js';
import { BASELINE_LABELS, BASELINE_NAMES } from './baselines.js';

/** Actual values over the test period with the GRU's 1-step and last-step-ahead forecasts and the best baseline's last-step-ahead ones. */
export function writeForecastChart(path: string, ev: ForecastEvaluation, series: Series, horizon: number, column: string, png: boolean): string[] {
  const xs = (t: number) => (series.dates ? series.dates[t] : t);
  const first = ev.origins[0] + 1;
  const last = ev.origins[ev.origins.length - 1] + horizon;
  const actualX: number[] = [],
    actualY: number[] = [];
  for (let t = first; t <= last; t++) {
    actualX.push(xs(t));
    actualY.push(series.values[t]);
  }
  const ahead = (who: string, predictions: Float64Array, k: number) => ({
    name: `${who} ${k} step${k > 1 ? 's' : ''} ahead`,
    x: ev.origins.map((t) => xs(t + k)),
    y: ev.origins.map((_, i) => predictions[i * horizon + k - 1]),
    dashed: true,
  });
  const lines = [{ name: 'actual', x: actualX, y: actualY }, ahead('GRU', ev.predictions, 1)];
  if (horizon > 1) lines.push(ahead('GRU', ev.predictions, horizon));
  lines.push(ahead(BASELINE_LABELS[ev.best.baseline], ev.baselinePredictions[ev.best.baseline]!, horizon));
  const maes = BASELINE_NAMES.filter((n) => ev.baselines[n]).map((n) => `${BASELINE_LABELS[n]} ${ev.baselines[n]!.mae.toFixed(1)}`);
  const band = ev.intervals && {
    name: `${Math.round(100 * ev.intervals.level)}% interval, 1 step ahead`,
    x: ev.origins.map((t) => xs(t + 1)),
    lower: ev.origins.map((_, i) => ev.intervals!.lower[i * horizon]),
    upper: ev.origins.map((_, i) => ev.intervals!.upper[i * horizon]),
  };
  const svg = lineChart({
    ...(band ? { band } : {}),
    title: `${column}: forecast vs actual (${ev.split === 'test' ? 'test' : 'every window'}; MAE: GRU ${ev.metrics.mae.toFixed(1)}, ${maes.join(', ')})`,
    xLabel: series.dates ? 'date' : 'step',
    yLabel: column,
    series: lines,
    xType: series.dates ? 'date' : 'number',
    width: 1000,
  });
  return writePicture(path, svg, png);
}
