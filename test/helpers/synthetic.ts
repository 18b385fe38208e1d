/** Small synthetic datasets for fast task tests. */
import type { Table } from '../../src/index.js';
import { Rng } from '../../src/index.js';

/** Daily series: weekly pattern + slow trend + noise. */
export function dailySeries(days: number, seed = 1): Table {
  const rng = new Rng(seed);
  const week = [10, 12, 13, 12, 11, 6, 5];
  const rows: string[][] = [];
  for (let d = 0; d < days; d++) {
    const date = new Date(Date.UTC(2020, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
    const dow = new Date(date).getUTCDay();
    rows.push([date, (100 + 0.05 * d + 4 * week[dow] + 0.3 * rng.normal()).toFixed(3)]);
  }
  return { columns: ['date', 'value'], rows, source: 'synthetic' };
}

/** Texts whose label is given by which of two word sets they draw from. */
export function labelledTexts(n: number, seed = 2): Table {
  const rng = new Rng(seed);
  const pos = ['good', 'great', 'fine', 'nice', 'superb'];
  const neg = ['bad', 'awful', 'poor', 'grim', 'dire'];
  const filler = ['the', 'a', 'it', 'was', 'very', 'quite', 'day', 'film', 'food'];
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2 === 0 ? 'pos' : 'neg';
    const words = Array.from({ length: 3 + rng.int(6) }, () => filler[rng.int(filler.length)]);
    words.splice(rng.int(words.length), 0, (label === 'pos' ? pos : neg)[rng.int(5)]);
    rows.push([words.join(' '), label]);
  }
  return { columns: ['text', 'label'], rows, source: 'synthetic' };
}

/** Sequences of 3 features around 50, 60, 70 that rise ('up') or fall ('down') by 1 a frame, 4–11 frames, with unit noise. */
export function upDownFrames(n: number, seed = 4): { features: number; sequences: Float32Array[]; labels: string[]; source: string } {
  const rng = new Rng(seed);
  const F = 3;
  const sequences: Float32Array[] = [],
    labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const up = i % 2 === 0;
    const len = 4 + rng.int(8);
    sequences.push(Float32Array.from({ length: len * F }, (_, j) => 50 + 10 * (j % F) + (up ? 1 : -1) * Math.floor(j / F) + rng.normal()));
    labels.push(up ? 'up' : 'down');
  }
  return { features: F, sequences, labels, source: 'synthetic frames' };
}
