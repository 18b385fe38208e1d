/**
 * What a model file records of its training data, so that `gru eval` scores
 * the rows training never saw: where the data came from, a fingerprint of
 * the rows as the task read them, and how they were split. Evaluating on the
 * same data recomputes the same split and scores its test part; any other
 * data is scored whole (`"split": "all"`), and asking for the test split of
 * data the model was not trained on is an error.
 */
import { createHash } from 'node:crypto';
import { shuffledSplit, stratifiedSplit } from '../data/split.js';
import { GruError } from '../errors.js';

/** Which rows `gru eval` scores: the held-out test split of the training data, or every row. */
export type SplitChoice = 'test' | 'all';

export const SPLIT_CHOICES: readonly SplitChoice[] = ['test', 'all'];

/** How a task split its rows (each task recomputes its split from this and the rows). */
export type SplitRecord =
  /** Stratified by label: each label's rows shuffled with `seed`, `fractions` (train, validation, test) of them to each part. */
  | { method: 'stratified'; seed: number; fractions: number[] }
  /** Rows shuffled with `seed`; the first `testFraction` of them the test part, as many the validation part. */
  | { method: 'shuffled'; seed: number; testFraction: number }
  /** A series split in time: the final `testRows` rows are the test part. */
  | { method: 'time'; testRows: number }
  /** Lists kept with the data name the validation and test rows (Speech Commands' validation_list.txt, testing_list.txt); the counts as trained. */
  | { method: 'listed'; validation: number; test: number };

/** The `data` metadata entry of a model file. */
export interface TrainingDataRecord {
  /** What `--data` named (a dataset name or a file path). */
  source: string;
  rows: number;
  /** SHA-256 of the rows as the task read them. */
  fingerprint: string;
  split: SplitRecord;
  /** The columns the task read, by role (e.g. text and label), when the data is a table. */
  columns?: Record<string, string>;
}

/** SHA-256 (hex) of a sequence of fields; each field is length-prefixed, so no two sequences collide by concatenation. */
export function fingerprint(fields: Iterable<string | number>): string {
  const h = createHash('sha256');
  for (const f of fields) {
    const s = String(f);
    h.update(`${s.length}:`);
    h.update(s);
  }
  return h.digest('hex');
}

/**
 * The rows to score. Without a request: the test split when `fp` is the
 * training data's fingerprint, else every row. The test split of other data,
 * or any default for a model file that records no split (its test rows are
 * unknown, and the data may be its training rows), is an error naming why.
 */
export function chooseSplit(record: TrainingDataRecord | undefined, fp: string, source: string, requested?: SplitChoice): SplitChoice {
  if (requested === 'all') return 'all';
  if (record === undefined) {
    throw new GruError('INVALID_ARGUMENT', `${source}: the model file does not record how its training data was split, so its test rows are unknown; pass --split all to score every row`);
  }
  if (record.fingerprint === fp) return 'test';
  if (requested === 'test') {
    throw new GruError('INVALID_ARGUMENT', `${source} is not the data the model was trained on (${record.source}, ${record.rows} rows; the rows differ), so it has no test split; pass --split all to score every row`);
  }
  return 'all';
}

/**
 * The [train, validation, test] row indices a split record makes of `n`
 * rows (`labels` for a stratified split). Training and `gru eval` both call
 * this, so they cannot disagree.
 */
export function splitRows(split: SplitRecord, n: number, labels?: readonly string[], listed?: { validation: readonly number[]; test: readonly number[] }): number[][] {
  switch (split.method) {
    case 'listed': {
      if (!listed) throw new GruError('INVALID_DATA', "a split by lists needs the data's validation and test lists");
      const held = new Set([...listed.validation, ...listed.test]);
      return [Array.from({ length: n }, (_, i) => i).filter((i) => !held.has(i)), [...listed.validation], [...listed.test]];
    }
    case 'stratified':
      if (!labels) throw new GruError('INVALID_ARGUMENT', 'a stratified split needs the labels');
      return stratifiedSplit(labels, split.fractions, split.seed);
    case 'shuffled':
      return shuffledSplit(n, split.seed, split.testFraction);
    case 'time': {
      const testStart = Math.max(0, n - split.testRows);
      const valStart = Math.max(0, testStart - split.testRows);
      const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
      return [range(0, valStart), range(valStart, testStart), range(testStart, n)];
    }
  }
}
