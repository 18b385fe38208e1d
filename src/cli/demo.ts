/** `gru demo`: a small model trained on shipped data in a few minutes, with its metrics and pictures. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runForecastTraining } from './forecast.js';

export function demoCommand(task: string, o: { out: string; png?: boolean }): void {
  mkdirSync(o.out, { recursive: true });
  switch (task) {
    case 'forecast':
      console.log('Forecasting US daily births 7 days ahead from the last 56 days (1969–1988; tested on the final 365 days)…');
      return runForecastTraining({ data: 'births', column: 'births', lookback: 56, horizon: 7, out: join(o.out, 'births.safetensors'), png: o.png, epochs: 12 });
    default:
      throw new Error(`unknown demo '${task}': expected forecast, classify or lm`);
  }
}
