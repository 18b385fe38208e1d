/**
 * The long-range memory tasks of `npm run quality -- memory`
 * (scripts/memory-study.ts): seeded generators in the standard definitions,
 * their memoryless baselines, and the 8×8 digits fixture. Batches are
 * time-major, (T, B, features), as GRU and AttentionGRU take them.
 */
import { readFileSync } from 'node:fs';
import { Rng, GruError } from '../src/core.js';

/**
 * The adding problem (Hochreiter & Schmidhuber 1997, §5.4; in the form of
 * Le et al. 2015 and Arjovsky et al. 2016): T steps of two inputs, a value
 * uniform in [0, 1) and a marker that is 1 at exactly two steps, one in the
 * first half and one in the second, 0 elsewhere. The target is the sum of
 * the two marked values. x: (T, B, 2) [value, marker]; y: (B); marks: the
 * two marked steps of each sequence, (B, 2).
 */
export function addingBatch(T: number, B: number, rng: Rng): { x: Float32Array; y: Float32Array; marks: Int32Array } {
  if (!Number.isInteger(T) || T < 2) throw new GruError('INVALID_ARGUMENT', `addingBatch: T must be an integer ≥ 2, got ${T}`);
  const x = new Float32Array(T * B * 2);
  const y = new Float32Array(B);
  const marks = new Int32Array(B * 2);
  const half = Math.floor(T / 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[(t * B + b) * 2] = rng.uniform();
    const m1 = rng.int(half);
    const m2 = half + rng.int(T - half);
    marks[b * 2] = m1;
    marks[b * 2 + 1] = m2;
    x[(m1 * B + b) * 2 + 1] = 1;
    x[(m2 * B + b) * 2 + 1] = 1;
    // The target from the stored (float32) values, so it is exactly their sum in float32.
    y[b] = x[(m1 * B + b) * 2] + x[(m2 * B + b) * 2];
  }
  return { x, y, marks };
}

/**
 * MSE of always answering 1, the expected sum: the variance of the sum of
 * two independent U(0, 1) values, 2/12 ≈ 0.167.
 */
export const ADDING_BASELINE = 2 / 12;

/** Copy memory: the symbols to remember, their alphabet, and the two special symbols. */
export const COPY = { length: 10, symbols: 8, blank: 0, delimiter: 9, inputs: 10, classes: 9 } as const;

/**
 * Copy memory (Arjovsky, Shah & Bengio 2016, §4.1; after Hochreiter &
 * Schmidhuber 1997): a sequence of T + 20 symbols from {0 … 9}: 10 symbols
 * drawn uniformly from 1 … 8, then T − 1 blanks (0), the delimiter 9, and 10
 * more blanks. The target is blank for the first T + 10 steps and the 10
 * symbols, in order, for the last 10. x: one-hot (T + 20, B, 10); target:
 * class ids (T + 20, B) in 0 … 8, time-major like x.
 */
export function copyBatch(T: number, B: number, rng: Rng): { x: Float32Array; target: Int32Array; steps: number } {
  if (!Number.isInteger(T) || T < 1) throw new GruError('INVALID_ARGUMENT', `copyBatch: the delay T must be a positive integer, got ${T}`);
  const L = COPY.length;
  const steps = T + 2 * L;
  const ids = new Int32Array(steps * B); // blanks
  const target = new Int32Array(steps * B);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < L; i++) {
      const s = 1 + rng.int(COPY.symbols);
      ids[i * B + b] = s;
      target[(T + L + i) * B + b] = s;
    }
    ids[(T + L - 1) * B + b] = COPY.delimiter;
  }
  const x = new Float32Array(steps * B * COPY.inputs);
  for (let r = 0; r < ids.length; r++) x[r * COPY.inputs + ids[r]] = 1;
  return { x, target, steps };
}

/**
 * Cross-entropy per step (nats, mean over all T + 20 steps) of the
 * memoryless strategy: certain blanks for T + 10 steps, then a uniform
 * guess over the 8 symbols for 10 steps: 10 · log 8 / (T + 20).
 */
export function copyBaseline(T: number): number {
  return (COPY.length * Math.log(COPY.symbols)) / (T + 2 * COPY.length);
}

/** The 8×8 digits: `pixels` (n × 64, row-major, each 0 … 16) and `labels` (n, 0 … 9). */
export interface Digits {
  n: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Where the fixture lives (made by test/fixtures/digits/make-digits.py). */
export const DIGITS_PATH = new URL('../test/fixtures/digits/digits.bin', import.meta.url);

/**
 * scikit-learn's load_digits (UCI optdigits, 1,797 images of 8×8 pixels
 * 0 … 16): records of 65 bytes, the label then the 64 pixels.
 */
export function loadDigits(path: string | URL = DIGITS_PATH): Digits {
  const bytes = readFileSync(path);
  if (bytes.length === 0 || bytes.length % 65 !== 0) throw new GruError('INVALID_DATA', `loadDigits: ${String(path)} must hold records of 65 bytes (label, 64 pixels), got ${bytes.length} bytes`);
  const n = bytes.length / 65;
  const pixels = new Uint8Array(n * 64);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = bytes[i * 65];
    pixels.set(bytes.subarray(i * 65 + 1, i * 65 + 65), i * 64);
    if (labels[i] > 9) throw new GruError('INVALID_DATA', `loadDigits: record ${i} has label ${labels[i]}, expected 0 … 9`);
  }
  for (let i = 0; i < pixels.length; i++) {
    if (pixels[i] > 16) throw new GruError('INVALID_DATA', `loadDigits: pixel ${i % 64} of image ${Math.floor(i / 64)} is ${pixels[i]}, expected 0 … 16`);
  }
  return { n, pixels, labels };
}

/** A seeded permutation of 0 … n−1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * A fixed, seeded, stratified split: `testFraction` of each class (rounded)
 * to the test set, the rest to training; image indices, each set sorted.
 */
export function digitsSplit(d: Digits, testFraction = 0.2, seed = 20): { train: Int32Array; test: Int32Array } {
  const rng = new Rng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (let c = 0; c < 10; c++) {
    const members: number[] = [];
    for (let i = 0; i < d.n; i++) if (d.labels[i] === c) members.push(i);
    const order = permutation(members.length, rng);
    const nTest = Math.round(testFraction * members.length);
    order.forEach((k, r) => (r < nTest ? test : train).push(members[k]));
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(train), test: sorted(test) };
}

/**
 * Images as pixel sequences: x (64, B, 1), the pixel / 16 at step t =
 * order[t] (row-major order when `order` is null: sequential; a fixed
 * permutation: permuted), and the labels.
 */
export function digitsBatch(d: Digits, images: ArrayLike<number>, order: Int32Array | null): { x: Float32Array; y: Int32Array } {
  const B = images.length;
  const x = new Float32Array(64 * B);
  const y = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const img = images[b];
    y[b] = d.labels[img];
    for (let t = 0; t < 64; t++) x[t * B + b] = d.pixels[img * 64 + (order ? order[t] : t)] / 16;
  }
  return { x, y };
}
