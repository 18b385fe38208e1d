/** `gru demo`: a small model trained on shipped data in a few minutes, with its metrics and pictures. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runForecastTraining } from './forecast.js';
import { runClassifyTraining } from './classify.js';
import { runLMTraining } from './lm.js';

export function demoCommand(task: string, o: { out: string; png?: boolean }): void {
  mkdirSync(o.out, { recursive: true });
  switch (task) {
    case 'forecast':
      console.log('Forecasting US daily births 7 days ahead from the last 56 days (1969–1988; tested on the final 365 days)…');
      return runForecastTraining({ data: 'births', column: 'births', lookback: 56, horizon: 7, out: join(o.out, 'births.safetensors'), png: o.png, epochs: 12 });
    case 'classify':
      console.log('Classifying the SpamAssassin corpus (6,046 emails) as spam or ham; tested on a stratified 20%…');
      return runClassifyTraining({ data: 'spam', textColumn: 'text', labelColumn: 'label', tokenizer: 'word', pooling: 'attention', maxLen: 128, epochs: 4, out: join(o.out, 'spam.safetensors'), png: o.png });
    case 'lm':
      console.log('A character-level language model of English first names; bits per character on held-out names…');
      return runLMTraining({ data: 'names', epochs: 8, samples: 10, out: join(o.out, 'names.safetensors'), png: o.png });
    default:
      throw new Error(`unknown demo '${task}': expected forecast, classify or lm`);
  }
}
