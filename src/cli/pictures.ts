/** The pictures the CLI writes: loss curves and forecast vs actual. */
import { lineChart } from '../plot/line-chart.js';
import { heatmap } from '../plot/heatmap.js';
import { writePicture } from '../plot/png.js';
import type { EpochRecord } from '../train/trainer.js';
import type { ForecastEvaluation } from '../models/forecast/task.js';
import type { Series } from '../models/forecast/series.js';

/** Train and validation loss per epoch. */
export function writeLossCurve(path: string, history: EpochRecord[], png: boolean, valName = 'validation'): string[] {
  const epochs = history.map((h) => h.epoch + 1);
  const series = [{ name: 'train loss', x: epochs, y: history.map((h) => h.trainLoss) }];
  if (history.some((h) => h.valLoss !== undefined)) series.push({ name: valName, x: epochs, y: history.map((h) => h.valLoss ?? NaN) });
  const svg = lineChart({ title: 'Training', xLabel: 'epoch', yLabel: 'loss', series, xType: 'number' });
  return writePicture(path, svg, png);
}

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

/** Confusion matrix (actual × predicted) as a heatmap with counts. */
export function writeConfusion(path: string, confusion: number[][], labels: string[], png: boolean): string[] {
  const rowSums = confusion.map((r) => r.reduce((a, b) => a + b, 0) || 1);
  const svg = heatmap({
    title: 'Confusion matrix (rows: actual, columns: predicted; share of each actual class)',
    rows: labels,
    cols: labels,
    values: confusion.map((r, i) => r.map((v) => v / rowSums[i])),
    valueFormat: (v) => `${(100 * v).toFixed(1)}%`,
    showValues: labels.length <= 25,
    yLabel: 'actual',
    xLabel: 'predicted',
  });
  return writePicture(path, svg, png);
}
