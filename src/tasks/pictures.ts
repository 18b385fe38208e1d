/** Pictures every task writes (loss curves, confusion matrices), and the lines that name them after training. */
import { lineChart } from '../plot/line-chart.js';
import { heatmap } from '../plot/heatmap.js';
import { stackCharts } from '../plot/panels.js';
import { writePicture } from '../plot/png.js';
import type { EpochRecord } from '../train/trainer.js';

/**
 * The training loss per epoch and, in a panel of its own below it (its own
 * axis and units), the validation metric the epochs were selected by.
 */
export function writeLossCurve(path: string, history: EpochRecord[], png: boolean, valName = 'validation'): string[] {
  const epochs = history.map((h) => h.epoch + 1);
  const train = lineChart({ title: 'Training', xLabel: 'epoch', yLabel: 'training loss', series: [{ name: 'train loss', x: epochs, y: history.map((h) => h.trainLoss) }], xType: 'number', height: 300 });
  const charts = [train];
  if (history.some((h) => h.valLoss !== undefined)) {
    charts.push(lineChart({ title: 'Validation', xLabel: 'epoch', yLabel: valName, series: [{ name: valName, x: epochs, y: history.map((h) => h.valLoss ?? NaN), color: '#d62728' }], xType: 'number', height: 300 }));
  }
  return writePicture(path, stackCharts(charts), png);
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

/** The lines a report ends with after training: its time, the model file, the pictures. */
export function printTrainingFooter(o: { seconds?: number; model?: string; pictures?: string[] }): void {
  if (o.seconds !== undefined) console.log(`  trained in ${o.seconds.toFixed(0)} s`);
  if (o.model) console.log(`model: ${o.model}`);
  if (o.pictures?.length) console.log(`pictures: ${o.pictures.join(', ')}`);
}
