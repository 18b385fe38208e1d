/**
 * What text and frames classification share: the stratified split and its
 * label checks, the model's configuration, length-bucketed batches, the
 * training loop and the scores on a set of rows.
 */
import { bucketed } from '../../data/split.js';
import { Rng } from '../../tensor/random.js';
import { Adam } from '../../optim/adam.js';
import { lrSchedule, type LrScheduleKind } from '../../optim/schedule.js';
import { fit, passedToFit, type EpochRecord, type TrainingOptions } from '../../train/trainer.js';
import { classificationMetrics } from '../../train/metrics.js';
import { splitRows, type SplitChoice, type SplitRecord } from '../training-data.js';
import type { Classifier, ClassifyBatch, ClassifyConfig } from './model.js';
import { classifierReplicas } from './replica.js';
import type { CellConfig } from '../../nn/recurrent.js';
import type { BaselineScore, ClassifyBaselineName } from './baselines.js';
import { GruError } from '../../errors.js';

/** Training, validation and test fractions of the stratified split. */
export const SPLIT_FRACTIONS = [0.7, 0.1, 0.2];

/** Options of both inputs' models and training. */
export interface ClassifierOptions extends TrainingOptions {
  maxLen?: number;
  hiddenSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  dropout?: number;
  pooling?: 'last' | 'attention';
  /** Dropout on the inputs (token embeddings or frames) while training (default 0). */
  embeddingDropout?: number;
  /** The recurrent cell (default: the GRU). */
  cell?: CellConfig;
  /** Texts: add a bag-of-words path over the whole text (NBSVM; model.ts BagOfWords; default off). */
  bagOfWords?: boolean;
  /** The learning rate: halved after an epoch without a better validation loss ('plateau', the default), or annealed over the epochs along a cosine to 5% ('cosine'). */
  lrSchedule?: LrScheduleKind;
  /** Train on this many threads at once (data parallel, src/train/data-parallel.ts; default 1); another count takes another path. */
  replicas?: number;
}

export interface ClassifyEvaluation {
  /** The held-out test rows of the training data, or every row of the data scored. */
  split: SplitChoice;
  examples: number;
  metrics: { accuracy: number; macroF1: number };
  confusion: number[][];
  labels: string[];
  /** Practitioners' baselines (baselines.ts) fitted on the training rows and scored on the same test rows (test split only). */
  baselines?: Partial<Record<ClassifyBaselineName, BaselineScore>>;
}

/** The split's rows and the classes (sorted labels of the training rows); a label unseen in training or a single class is an error. */
export function splitLabels(split: SplitRecord, labels: readonly string[], source: string, listed?: { validation: number[]; test: number[] }): { trainIdx: number[]; valIdx: number[]; testIdx: number[]; classes: string[] } {
  const [trainIdx, valIdx, testIdx] = splitRows(split, labels.length, labels, listed);
  const classes = [...new Set(trainIdx.map((i) => labels[i]))].sort();
  for (const [name, idx] of [
    ['validation', valIdx],
    ['test', testIdx],
  ] as const) {
    const unseen = idx.find((i) => !classes.includes(labels[i]));
    if (unseen !== undefined) throw new GruError('INVALID_DATA', `${source}: label '${labels[unseen]}' appears in the ${name} split but never in training; give it more examples or drop it`);
  }
  if (classes.length < 2) throw new GruError('INVALID_DATA', `${source}: expected at least 2 labels, got ${classes.length} (${classes.join(', ')})`);
  return { trainIdx, valIdx, testIdx, classes };
}

/** The model configuration from the options, with the input's own fields (tokenizer or frames) and defaults. */
export function classifierConfig(o: ClassifierOptions, input: Pick<ClassifyConfig, 'labels' | 'tokenizer' | 'frames' | 'audio' | 'embeddingSize'>, defaults: { maxLen: number; bidirectional: boolean }): ClassifyConfig {
  return {
    ...input,
    maxLen: o.maxLen ?? defaults.maxLen,
    hiddenSize: o.hiddenSize ?? 64,
    numLayers: o.numLayers ?? 1,
    bidirectional: o.bidirectional ?? defaults.bidirectional,
    dropout: o.dropout ?? 0,
    pooling: o.pooling ?? 'last',
    ...(o.embeddingDropout ? { embeddingDropout: o.embeddingDropout } : {}),
    ...(o.cell ? { cell: o.cell } : {}),
    ...(o.bagOfWords ? { bagOfWords: true } : {}),
  };
}

/** How one input kind reaches the shared loop: each row's length and a batch of rows. */
export interface ClassifyRows {
  lengthOf(i: number): number;
  batchOf(rows: number[]): ClassifyBatch;
  /** A training batch drawn anew each epoch (augmentation); default: batchOf. */
  trainBatchOf?(rows: number[], rng: Rng): ClassifyBatch;
}

/** Scores the rows `idx` in length-bucketed batches of 128. */
export function scoreRows(model: Classifier, rows: ClassifyRows, idx: readonly number[]): { loss: number; metrics: { accuracy: number; macroF1: number }; confusion: number[][] } {
  return evaluateBatches(
    model,
    bucketed(idx, (i) => rows.lengthOf(i), 128, 1).map((ix) => rows.batchOf(ix)),
  );
}

/** Adam with the learning rate halved on a plateau or annealed (o.lrSchedule), early stopping on validation; then the test rows' scores. */
export function trainOnRows(
  model: Classifier,
  rows: ClassifyRows,
  split: { trainIdx: number[]; valIdx: number[]; testIdx: number[] },
  o: ClassifierOptions,
  checkpointMetadata: () => Record<string, string>,
): { history: EpochRecord[]; test: ReturnType<typeof scoreRows> } {
  const seed = o.seed ?? 0;
  const bs = o.batchSize ?? 32;
  const valBatches = bucketed(split.valIdx, (i) => rows.lengthOf(i), 128, 1).map((ix) => rows.batchOf(ix));
  const optimizer = new Adam(model.parameters(), { lr: o.lr ?? 2e-3 });
  const epochs = o.epochs ?? 10;
  const history = fit({
    model,
    parallel: (o.replicas ?? 1) > 1 ? classifierReplicas(model, o.replicas!) : undefined,
    optimizer,
    schedule: lrSchedule(o.lrSchedule, optimizer, epochs),
    batches: (epoch) => {
      const rng = new Rng(seed * 7919 + epoch);
      return bucketed(split.trainIdx, (i) => rows.lengthOf(i), bs, seed * 65537 + epoch).map((ix) => (rows.trainBatchOf ? rows.trainBatchOf(ix, rng) : rows.batchOf(ix)));
    },
    loss: (b) => model.loss(b),
    validate: () => {
      const r = evaluateBatches(model, valBatches);
      return { loss: r.loss, metrics: { accuracy: r.metrics.accuracy, macroF1: r.metrics.macroF1 } };
    },
    epochs,
    seed,
    patience: o.patience ?? 3,
    checkpointMetadata,
    ...passedToFit(o),
  });
  return { history, test: scoreRows(model, rows, split.testIdx) };
}

function evaluateBatches(model: Classifier, batches: ClassifyBatch[]): { loss: number; metrics: { accuracy: number; macroF1: number }; confusion: number[][] } {
  const C = model.config.labels.length;
  const pred: number[] = [],
    actual: number[] = [];
  let loss = 0;
  for (const b of batches) {
    const p = model.probabilities(b);
    for (let i = 0; i < b.B; i++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (p.data[i * C + c] > p.data[i * C + best]) best = c;
      pred.push(best);
      actual.push(b.labels[i]);
      loss -= Math.log(Math.max(p.data[i * C + b.labels[i]], 1e-12));
    }
  }
  const m = classificationMetrics(pred, actual, C);
  return { loss: loss / pred.length, metrics: { accuracy: m.accuracy, macroF1: m.macroF1 }, confusion: m.confusion };
}

/** The label and class probabilities of row 0 of a one-row batch. */
export function bestLabel(model: Classifier, b: ClassifyBatch): { label: string; probabilities: Record<string, number> } {
  const p = model.probabilities(b).data;
  const labels = model.config.labels;
  let best = 0;
  labels.forEach((_, i) => (best = p[i] > p[best] ? i : best));
  return { label: labels[best], probabilities: Object.fromEntries(labels.map((l, i) => [l, p[i]])) };
}
