/**
 * The classify task end to end: a stratified split (70% train, 10%
 * validation, 20% test), a tokenizer learnt on the training texts, training
 * with length-bucketed batches, and accuracy / macro-F1 / confusion matrix.
 */
import { columnIndex, type Table } from '../../data/csv.js';
import { permutation } from '../../data/split.js';
import { Tokenizer, type TokenizerKind } from '../../data/tokenizer.js';
import { Adam } from '../../optim/adam.js';
import { ReduceOnPlateau } from '../../optim/schedule.js';
import { fit, passedToFit, type EpochRecord, type TrainingOptions } from '../../train/trainer.js';
import { classificationMetrics } from '../../train/metrics.js';
import { loadTokenizedModel, saveTokenizedModel, tokenizedMetadata } from '../tokenized-model.js';
import { chooseSplit, fingerprint, splitRows, type SplitChoice, type TrainingDataRecord } from '../training-data.js';
import { Classifier, makeTextBatch, type ClassifyConfig, type TextBatch } from './model.js';
import type { CellConfig } from '../../nn/recurrent.js';
import { classifyMetaSchema } from './schema.js';
import { classifyBaselines, type BaselineScore, type ClassifyBaselineName } from './baselines.js';
import { GruError } from '../../errors.js';

/** Train, validation and test shares of each label's rows. */
const SPLIT_FRACTIONS = [0.7, 0.1, 0.2];

export interface ClassifyOptions extends TrainingOptions {
  textColumn?: string;
  labelColumn?: string;
  tokenizer?: TokenizerKind;
  maxLen?: number;
  maxVocab?: number;
  minCount?: number;
  embeddingSize?: number;
  hiddenSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  dropout?: number;
  pooling?: 'last' | 'attention';
  /** Dropout on the token embeddings while training (default 0). */
  embeddingDropout?: number;
  /** The recurrent cell (default: the GRU). */
  cell?: CellConfig;
}

export interface ClassifyEvaluation {
  /** The held-out test rows of the training data, or every row of the data scored. */
  split: SplitChoice;
  examples: number;
  metrics: { accuracy: number; macroF1: number };
  confusion: number[][];
  labels: string[];
  /** Naive Bayes and the majority class, fitted on the training rows and scored on the same test rows (test split only). */
  baselines?: Record<ClassifyBaselineName, BaselineScore>;
}

export interface TrainedClassifier {
  model: Classifier;
  tokenizer: Tokenizer;
  /** The training data and its split (recorded in the model file, so `gru eval` scores the same test rows). */
  data?: TrainingDataRecord;
}

function readTexts(t: Table, o: { textColumn?: string; labelColumn?: string }): { texts: string[]; labels: string[] } {
  const ti = columnIndex(t, o.textColumn ?? 'text');
  const li = columnIndex(t, o.labelColumn ?? 'label');
  const texts = t.rows.map((r) => r[ti] ?? '');
  const labels = t.rows.map((r) => r[li] ?? '');
  texts.forEach((x, i) => {
    if (x.trim() === '') throw new GruError('INVALID_DATA', `${t.source}: empty text at data row ${i + 1}; every example needs text`);
    if (labels[i].trim() === '') throw new GruError('INVALID_DATA', `${t.source}: empty label at data row ${i + 1}`);
  });
  return { texts, labels };
}

const textsFingerprint = (texts: string[], labels: string[]) => fingerprint(texts.flatMap((x, i) => [x, labels[i]]));

/** Batches of similar lengths (less padding): shuffle, then sort within chunks of 20 batches. */
function bucketed(idx: number[], lengthOf: (i: number) => number, bs: number, seed: number): number[][] {
  const order = permutation(idx.length, seed).map((i) => idx[i]);
  const out: number[][] = [];
  for (let c = 0; c < order.length; c += bs * 20) {
    const chunk = order.slice(c, c + bs * 20).sort((a, b) => lengthOf(a) - lengthOf(b));
    for (let i = 0; i < chunk.length; i += bs) out.push(chunk.slice(i, i + bs));
  }
  return out;
}

export function trainClassifier(t: Table, o: ClassifyOptions = {}): TrainedClassifier & { history: EpochRecord[]; test: ClassifyEvaluation } {
  const { texts, labels } = readTexts(t, o);
  const seed = o.seed ?? 0;
  const data: TrainingDataRecord = { source: t.source, rows: texts.length, fingerprint: textsFingerprint(texts, labels), split: { method: 'stratified', seed, fractions: SPLIT_FRACTIONS }, columns: { text: o.textColumn ?? 'text', label: o.labelColumn ?? 'label' } };
  const [trainIdx, valIdx, testIdx] = splitRows(data.split, texts.length, labels);
  const classes = [...new Set(trainIdx.map((i) => labels[i]))].sort();
  for (const [name, idx] of [['validation', valIdx], ['test', testIdx]] as const) {
    const unseen = idx.find((i) => !classes.includes(labels[i]));
    if (unseen !== undefined) throw new GruError('INVALID_DATA', `${t.source}: label '${labels[unseen]}' appears in the ${name} split but never in training; give it more examples or drop it`);
  }
  if (classes.length < 2) throw new GruError('INVALID_DATA', `${t.source}: expected at least 2 labels, got ${classes.length} (${classes.join(', ')})`);
  const tokenizer = Tokenizer.fit(trainIdx.map((i) => texts[i]), { kind: o.tokenizer ?? 'word', maxSize: o.maxVocab ?? 20000, minCount: o.minCount ?? 2 });
  const config: ClassifyConfig = {
    labels: classes,
    tokenizer: tokenizer.kind,
    maxLen: o.maxLen ?? 256,
    embeddingSize: o.embeddingSize ?? 64,
    hiddenSize: o.hiddenSize ?? 64,
    numLayers: o.numLayers ?? 1,
    bidirectional: o.bidirectional ?? true,
    dropout: o.dropout ?? 0,
    pooling: o.pooling ?? 'last',
    ...(o.embeddingDropout ? { embeddingDropout: o.embeddingDropout } : {}),
    ...(o.cell ? { cell: o.cell } : {}),
  };
  const model = new Classifier(config, tokenizer.size, seed);
  const encoded = texts.map((x) => tokenizer.encode(x, config.maxLen));
  const y = labels.map((l) => classes.indexOf(l));
  const bs = o.batchSize ?? 32;
  const batchOf = (ix: number[]) => makeTextBatch(ix.map((i) => encoded[i]), ix.map((i) => y[i]));
  const evalBatches = (idx: number[]) => bucketed(idx, (i) => encoded[i].length, 128, 1).map(batchOf);
  const valBatches = evalBatches(valIdx);
  const optimizer = new Adam(model.parameters(), { lr: o.lr ?? 2e-3 });
  const history = fit({
    model,
    optimizer,
    schedule: new ReduceOnPlateau(optimizer, 0.5, 1),
    batches: (epoch) => bucketed(trainIdx, (i) => encoded[i].length, bs, seed * 65537 + epoch).map(batchOf),
    loss: (b) => model.loss(b),
    validate: () => {
      const r = evaluateBatches(model, valBatches);
      return { loss: r.loss, metrics: { accuracy: r.metrics.accuracy, macroF1: r.metrics.macroF1 } };
    },
    epochs: o.epochs ?? 10,
    seed,
    patience: o.patience ?? 3,
    checkpointMetadata: () => classifierMetadata({ model, tokenizer, data }),
    ...passedToFit(o),
  });
  const r = evaluateBatches(model, evalBatches(testIdx));
  const baselines = classifyBaselines(texts.map((x) => tokenizer.encode(x)), y, trainIdx, testIdx, classes.length, tokenizer.size);
  return { model, tokenizer, data, history, test: { split: 'test', examples: testIdx.length, metrics: r.metrics, confusion: r.confusion, labels: classes, baselines } };
}

function evaluateBatches(model: Classifier, batches: TextBatch[]): { loss: number; metrics: { accuracy: number; macroF1: number }; confusion: number[][] } {
  const C = model.config.labels.length;
  const pred: number[] = [], actual: number[] = [];
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

/**
 * Scores a trained classifier on a table: the test split when the table is
 * its training data (the same rows, split as in training), every row of any
 * other table; `split` asks for one ({@link chooseSplit}).
 */
export function evaluateClassifierOn(c: TrainedClassifier, t: Table, o: { split?: SplitChoice } = {}): ClassifyEvaluation {
  const { texts, labels } = readTexts(t, { textColumn: c.data?.columns?.text, labelColumn: c.data?.columns?.label });
  const split = chooseSplit(c.data, textsFingerprint(texts, labels), t.source, o.split);
  const classes = c.model.config.labels;
  const unknown = labels.find((l) => !classes.includes(l));
  if (unknown !== undefined) throw new GruError('INVALID_DATA', `${t.source}: label '${unknown}' is not one the model knows (${classes.join(', ')})`);
  const [trainIdx, , testIdx] = split === 'test' ? splitRows(c.data!.split, texts.length, labels) : [[], [], [...texts.keys()]];
  const enc = texts.map((x) => c.tokenizer.encode(x, c.model.config.maxLen));
  const y = labels.map((l) => classes.indexOf(l));
  const batches = bucketed(testIdx, (i) => enc[i].length, 128, 1).map((ix) => makeTextBatch(ix.map((i) => enc[i]), ix.map((i) => y[i])));
  const r = evaluateBatches(c.model, batches);
  // Baselines need training rows: on the test split they are fitted on the same training rows as the model.
  const baselines = split === 'test' ? classifyBaselines(texts.map((x) => c.tokenizer.encode(x)), y, trainIdx, testIdx, classes.length, c.tokenizer.size) : undefined;
  return { split, examples: testIdx.length, metrics: r.metrics, confusion: r.confusion, labels: classes, ...(baselines ? { baselines } : {}) };
}

/** The label and class probabilities of one text. */
export function classifyText(c: TrainedClassifier, text: string): { label: string; probabilities: Record<string, number> } {
  if (text.trim() === '') throw new GruError('INVALID_ARGUMENT', 'expected text to classify, got an empty string');
  const p = c.model.probabilities(makeTextBatch([c.tokenizer.encode(text, c.model.config.maxLen)], null)).data;
  const labels = c.model.config.labels;
  let best = 0;
  labels.forEach((_, i) => (best = p[i] > p[best] ? i : best));
  return { label: labels[best], probabilities: Object.fromEntries(labels.map((l, i) => [l, p[i]])) };
}

export function classifierMetadata(c: TrainedClassifier): Record<string, string> {
  return tokenizedMetadata('classify', c);
}

export function saveClassifier(c: TrainedClassifier, path: string): void {
  saveTokenizedModel('classify', c, path);
}

/** Reads a classifier file; a bad one is a GruError ('INVALID_FILE') naming the file and what is wrong, before anything is built. */
export function loadClassifier(path: string): TrainedClassifier {
  return loadTokenizedModel(path, 'classify', classifyMetaSchema, (config: ClassifyConfig, vocab) => new Classifier(config, vocab));
}
