/** Seeded shuffles and splits, the same on every machine. */
import { Rng } from '../tensor/random.js';

/** Fisher–Yates shuffle of 0…n−1 with a seeded generator. */
export function permutation(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const p = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Batches of similar lengths (less padding): shuffle, then sort within chunks of 20 batches. */
export function bucketed(idx: readonly number[], lengthOf: (i: number) => number, bs: number, seed: number): number[][] {
  const order = permutation(idx.length, seed).map((i) => idx[i]);
  const out: number[][] = [];
  for (let c = 0; c < order.length; c += bs * 20) {
    const chunk = order.slice(c, c + bs * 20).sort((a, b) => lengthOf(a) - lengthOf(b));
    for (let i = 0; i < chunk.length; i += bs) out.push(chunk.slice(i, i + bs));
  }
  return out;
}

/**
 * Stratified split of indices by label: each label's items are shuffled
 * and `fractions` of them go to each part (e.g. [0.8, 0.1, 0.1]).
 */
export function stratifiedSplit(labels: readonly string[], fractions: readonly number[], seed: number): number[][] {
  const parts: number[][] = fractions.map(() => []);
  const byLabel = new Map<string, number[]>();
  labels.forEach((l, i) => {
    if (!byLabel.has(l)) byLabel.set(l, []);
    byLabel.get(l)!.push(i);
  });
  let s = seed;
  for (const idx of [...byLabel.keys()].sort().map((k) => byLabel.get(k)!)) {
    const order = permutation(idx.length, s++).map((i) => idx[i]);
    let start = 0;
    fractions.forEach((f, k) => {
      const end = k === fractions.length - 1 ? order.length : start + Math.round(f * order.length);
      parts[k].push(...order.slice(start, end));
      start = end;
    });
  }
  return parts.map((p) => p.sort((a, b) => a - b));
}

/**
 * A seeded shuffle of 0…n−1 cut in three: the first `testFraction` of it
 * (at least one) the test part, as many the validation part, the rest the
 * training part. Returns [train, validation, test].
 */
export function shuffledSplit(n: number, seed: number, testFraction: number): number[][] {
  const order = permutation(n, seed);
  const nTest = Math.max(1, Math.round(testFraction * n));
  return [order.slice(2 * nTest), order.slice(nTest, 2 * nTest), order.slice(0, nTest)];
}
