/**
 * The classify task end to end for texts: a stratified split (70% train,
 * 10% validation, 20% test), a tokenizer learnt on the training texts,
 * training with length-bucketed batches, and accuracy / macro-F1 / confusion
 * matrix beside naive Bayes. Frame sequences are in frames-task.ts; the model
 * file (either input) is here.
 */
import { columnIndex, type Table } from '../../data/csv.js';
import { Tokenizer, type TokenizerKind } from '../../data/tokenizer.js';
import type { EpochRecord } from '../../train/trainer.js';
import { buildModel, heldOutMetrics, modelFileFor, modelMetadata, writeModelFile, type HeldOutMetrics, type ModelFile } from '../model-file.js';
import { validateMeta } from '../model-schema.js';
import { chooseSplit, fingerprint, splitRows, type SplitChoice, type TrainingDataRecord } from '../training-data.js';
import { Classifier, makeTextBatch } from './model.js';
import { classifyMetaSchema } from './schema.js';
import { classifyBaselines } from './baselines.js';
import { SPLIT_FRACTIONS, bestLabel, classifierConfig, scoreRows, splitLabels, trainOnRows, type ClassifierOptions, type ClassifyEvaluation, type ClassifyRows } from './training.js';
import { GruError } from '../../errors.js';

export type { ClassifyEvaluation } from './training.js';

export interface ClassifyOptions extends ClassifierOptions {
  textColumn?: string;
  labelColumn?: string;
  tokenizer?: TokenizerKind;
  maxVocab?: number;
  minCount?: number;
  embeddingSize?: number;
}

export interface TrainedClassifier {
  model: Classifier;
  /** The tokenizer of a text classifier (absent for frames: config.frames holds their normalisation). */
  tokenizer?: Tokenizer;
  /** The training data and its split (recorded in the model file, so `gru eval` scores the same test rows). */
  data?: TrainingDataRecord;
  /** The training run's scores on its held-out test rows (recorded in the model file; `gru info` shows them). */
  metrics?: HeldOutMetrics;
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

/** The rows of whole encoded texts as the shared loop reads them: the GRU reads each one's first maxLen tokens. */
function textRows(encoded: number[][], y: number[], maxLen: number): ClassifyRows {
  return {
    lengthOf: (i) => Math.min(maxLen, encoded[i].length),
    batchOf: (ix) =>
      makeTextBatch(
        ix.map((i) => encoded[i]),
        ix.map((i) => y[i]),
        maxLen,
      ),
  };
}

export function trainClassifier(t: Table, o: ClassifyOptions = {}): TrainedClassifier & { history: EpochRecord[]; test: ClassifyEvaluation } {
  const { texts, labels } = readTexts(t, o);
  const seed = o.seed ?? 0;
  const data: TrainingDataRecord = {
    source: t.source,
    rows: texts.length,
    fingerprint: textsFingerprint(texts, labels),
    split: { method: 'stratified', seed, fractions: SPLIT_FRACTIONS },
    columns: { text: o.textColumn ?? 'text', label: o.labelColumn ?? 'label' },
  };
  const split = splitLabels(data.split, labels, t.source);
  const { trainIdx, testIdx, classes } = split;
  const tokenizer = Tokenizer.fit(
    trainIdx.map((i) => texts[i]),
    { kind: o.tokenizer ?? 'word', maxSize: o.maxVocab ?? 20000, minCount: o.minCount ?? 2 },
  );
  const config = classifierConfig(o, { labels: classes, tokenizer: tokenizer.kind, embeddingSize: o.embeddingSize ?? 64 }, { maxLen: 256, bidirectional: true });
  const model = new Classifier(config, tokenizer.size, seed);
  const y = labels.map((l) => classes.indexOf(l));
  const encoded = texts.map((x) => tokenizer.encode(x));
  model.bag?.fit(
    trainIdx.map((i) => encoded[i]),
    trainIdx.map((i) => y[i]),
  );
  const rows = textRows(encoded, y, config.maxLen);
  const { history, test } = trainOnRows(model, rows, split, o, () => classifierMetadata({ model, tokenizer, data }));
  const baselines = classifyBaselines(encoded, y, trainIdx, testIdx, classes.length, tokenizer.size);
  return { model, tokenizer, data, metrics: heldOutMetrics(testIdx.length, test.metrics), history, test: { split: 'test', examples: testIdx.length, metrics: test.metrics, confusion: test.confusion, labels: classes, baselines } };
}

/** The tokenizer of a text classifier; a frames classifier is an error naming what it reads instead. */
function tokenizerOf(c: TrainedClassifier): Tokenizer {
  if (!c.tokenizer) throw new GruError('INVALID_ARGUMENT', `this classifier reads sequences of ${c.model.config.frames?.features} numeric features (frames), not text`);
  return c.tokenizer;
}

/**
 * Scores a trained classifier on a table: the test split when the table is
 * its training data (the same rows, split as in training), every row of any
 * other table; `split` asks for one ({@link chooseSplit}).
 */
export function evaluateClassifierOn(c: TrainedClassifier, t: Table, o: { split?: SplitChoice } = {}): ClassifyEvaluation {
  const tokenizer = tokenizerOf(c);
  const { texts, labels } = readTexts(t, { textColumn: c.data?.columns?.text, labelColumn: c.data?.columns?.label });
  const split = chooseSplit(c.data, textsFingerprint(texts, labels), t.source, o.split);
  const y = knownLabels(c, labels, t.source);
  const [trainIdx, , testIdx] = split === 'test' ? splitRows(c.data!.split, texts.length, labels) : [[], [], [...texts.keys()]];
  const encoded = texts.map((x) => tokenizer.encode(x));
  const r = scoreRows(c.model, textRows(encoded, y, c.model.config.maxLen), testIdx);
  const classes = c.model.config.labels;
  // Baselines need training rows: on the test split they are fitted on the same training rows as the model.
  const baselines = split === 'test' ? classifyBaselines(encoded, y, trainIdx, testIdx, classes.length, tokenizer.size) : undefined;
  return { split, examples: testIdx.length, metrics: r.metrics, confusion: r.confusion, labels: classes, ...(baselines ? { baselines } : {}) };
}

/** Class ids of `labels`; a label the model does not know is an error. */
export function knownLabels(c: TrainedClassifier, labels: readonly string[], source: string): number[] {
  const classes = c.model.config.labels;
  const unknown = labels.find((l) => !classes.includes(l));
  if (unknown !== undefined) throw new GruError('INVALID_DATA', `${source}: label '${unknown}' is not one the model knows (${classes.join(', ')})`);
  return labels.map((l) => classes.indexOf(l));
}

/** The label and class probabilities of one text. */
export function classifyText(c: TrainedClassifier, text: string): { label: string; probabilities: Record<string, number> } {
  const tokenizer = tokenizerOf(c);
  if (text.trim() === '') throw new GruError('INVALID_ARGUMENT', 'expected text to classify, got an empty string');
  return bestLabel(c.model, makeTextBatch([tokenizer.encode(text)], null, c.model.config.maxLen));
}

/** The labels and class probabilities of many texts, in their order (classified 64 at a time). */
export function classifyTexts(c: TrainedClassifier, texts: readonly string[]): { label: string; probabilities: Record<string, number> }[] {
  const tokenizer = tokenizerOf(c);
  const out: { label: string; probabilities: Record<string, number> }[] = [];
  const labels = c.model.config.labels,
    C = labels.length;
  for (let i = 0; i < texts.length; i += 64) {
    const part = texts.slice(i, i + 64);
    const p = c.model.probabilities(
      makeTextBatch(
        part.map((t) => tokenizer.encode(t)),
        null,
        c.model.config.maxLen,
      ),
    ).data;
    part.forEach((_, b) => {
      let best = 0;
      for (let k = 1; k < C; k++) if (p[b * C + k] > p[b * C + best]) best = k;
      out.push({ label: labels[best], probabilities: Object.fromEntries(labels.map((l, k) => [l, p[b * C + k]])) });
    });
  }
  return out;
}

export function classifierMetadata(c: TrainedClassifier): Record<string, string> {
  return modelMetadata('classify', { config: c.model.config, ...(c.tokenizer ? { tokenizer: c.tokenizer.toJSON() } : {}), ...(c.data ? { data: c.data } : {}), ...(c.metrics ? { metrics: c.metrics } : {}) });
}

export function saveClassifier(c: TrainedClassifier, path: string): void {
  writeModelFile(path, c.model.stateDict(), classifierMetadata(c));
}

/** Reads a classifier file (texts or frames); a bad one is a GruError ('INVALID_FILE') naming the file and what is wrong, before anything is built. */
export function loadClassifier(path: string, file?: ModelFile): TrainedClassifier {
  const f = modelFileFor(path, 'classify', file);
  const meta = validateMeta(path, 'classify', f.meta, classifyMetaSchema);
  const tokenizer = meta.tokenizer ? Tokenizer.fromJSON(meta.tokenizer) : undefined;
  const model = buildModel(f, meta.config, () => new Classifier(meta.config, tokenizer?.size ?? 0));
  return { model: model.eval(), tokenizer, data: meta.data, ...(meta.metrics ? { metrics: meta.metrics } : {}) };
}
