/** The forecast picture: actual values over the test period with the forecasts. */
import { lineChart } from '../../plot/line-chart.js';
import { writePicture } from '../../plot/png.js';
import type { ForecastEvaluation } from './task.js';
import type { Series } from './series.js';

/** Actual values over the test period with the 1-step and last-step-ahead forecasts. */
export function writeForecastChart(path: string, ev: ForecastEvaluation, series: Series, horizon: number, column: string, png: boolean): string[] {
  const xs = (t: number) => (series.dates ? series.dates[t] : t);
  const first = ev.origins[0] + 1;
  const last = ev.origins[ev.origins.length - 1] + horizon;
  const actualX: number[] = [], actualY: number[] = [];
  for (let t = first; t <= last; t++) {
    actualX.push(xs(t));
    actualY.push(series.values[t]);
  }
  const ahead = (k: number) => ({
    name: `forecast ${k} step${k > 1 ? 's' : ''} ahead`,
    x: ev.origins.map((t) => xs(t + k)),
    y: ev.origins.map((_, i) => ev.predictions[i * horizon + k - 1]),
    dashed: true,
  });
  const lines = [{ name: 'actual', x: actualX, y: actualY }, ahead(1)];
  if (horizon > 1) lines.push(ahead(horizon));
  const svg = lineChart({
    title: `${column}: forecast vs actual (test, MAE ${ev.metrics.mae.toFixed(1)}; seasonal naive ${ev.baselines.seasonalNaive.mae.toFixed(1)})`,
    xLabel: series.dates ? 'date' : 'step',
    yLabel: column,
    series: lines,
    xType: series.dates ? 'date' : 'number',
    width: 1000,
  });
  return writePicture(path, svg, png);
}
