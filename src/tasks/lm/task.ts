/** The lm task: a seeded 90/5/5 split of the texts, training, bits per character on held-out text, sampling. */
import { readFileSync } from 'node:fs';
import { namesList } from '../../data/datasets.js';
import { parseCsv, parseJsonl, textColumn } from '../../data/csv.js';
import { permutation } from '../../data/split.js';
import { chooseSplit, fingerprint, splitRows, type SplitChoice, type TrainingDataRecord } from '../training-data.js';
import { Tokenizer } from '../../data/tokenizer.js';
import { Adam } from '../../optim/adam.js';
import { ReduceOnPlateau } from '../../optim/schedule.js';
import { Rng } from '../../tensor/random.js';
import { fit, passedToFit, type EpochRecord, type TrainingOptions } from '../../train/trainer.js';
import { noGrad } from '../../autograd/var.js';
import { loadTokenizedModel, saveTokenizedModel, tokenizedMetadata } from '../tokenized-model.js';
import { CharLM, makeLMBatch, type LMBatch, type LMConfig } from './model.js';
import { lmMetaSchema } from './schema.js';
import { lmReplicas } from './replica.js';
import { heldOutMetrics, type HeldOutMetrics, type ModelFile } from '../model-file.js';
import type { CellConfig } from '../../nn/recurrent.js';
import { GruError } from '../../errors.js';

export interface LMOptions extends TrainingOptions {
  embeddingSize?: number;
  hiddenSize?: number;
  numLayers?: number;
  dropout?: number;
  maxLen?: number;
  /** The recurrent cell (default: the GRU). */
  cell?: CellConfig;
  /** Train on this many threads at once (data parallel, src/train/data-parallel.ts; default 1); another count takes another path. */
  replicas?: number;
}

export interface TrainedLM {
  model: CharLM;
  tokenizer: Tokenizer;
  /** The training texts and their split (recorded in the model file, so `gru eval` scores the same test texts). */
  data?: TrainingDataRecord;
  /** The training run's bits per character on its held-out test texts (recorded in the model file; `gru info` shows it). */
  metrics?: HeldOutMetrics;
}

/** Texts for `--data`: names, a .txt file (a text per line), or a CSV/JSONL file's `text` column. */
export function loadTexts(data: string, column = 'text'): string[] {
  if (data === 'names') return namesList();
  let raw: string;
  try {
    raw = readFileSync(data, 'utf8');
  } catch (e) {
    throw new GruError('INVALID_DATA', `cannot read data '${data}': expected 'names' or a readable .txt/.csv/.jsonl file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const texts = /\.jsonl?$/i.test(data) ? textColumn(parseJsonl(raw, data), column) : /\.csv$/i.test(data) ? textColumn(parseCsv(raw, data), column) : raw.split('\n');
  const out = texts.map((t) => t.trim()).filter(Boolean);
  if (out.length === 0) throw new GruError('INVALID_DATA', `${data}: no text in it`);
  return out;
}

/** Bits per character of held-out sequences (the <eos> prediction counts as a character). */
export function bitsPerChar(model: CharLM, batches: LMBatch[]): number {
  let nats = 0,
    chars = 0;
  const wasTraining = model.training;
  model.eval();
  for (const b of batches) {
    const n = b.targets.reduce((s, t) => s + (t >= 0 ? 1 : 0), 0);
    nats += noGrad(() => model.loss(b)).data[0] * n;
    chars += n;
  }
  model.train(wasTraining);
  return nats / chars / Math.LN2;
}

/** Share of the texts held out for testing (and as many for validation). */
const TEST_FRACTION = 0.05;

/**
 * Trains a character model on `texts` (from `source`, recorded in the model
 * file): a seeded 90/5/5 split, training, bits per character on the test texts.
 */
export function trainLM(texts: string[], o: LMOptions = {}, source = 'texts'): TrainedLM & { history: EpochRecord[]; test: { bitsPerChar: number; sequences: number } } {
  const seed = o.seed ?? 0;
  const data: TrainingDataRecord = { source, rows: texts.length, fingerprint: fingerprint(texts), split: { method: 'shuffled', seed, testFraction: TEST_FRACTION } };
  const [trainIdx, valIdx, testIdx] = splitRows(data.split, texts.length);
  if (trainIdx.length === 0) throw new GruError('INVALID_DATA', `need more texts to train a language model: got ${texts.length}`);
  const tokenizer = Tokenizer.fit(
    trainIdx.map((i) => texts[i]),
    { kind: 'char', lowercase: false },
  );
  const config: LMConfig = {
    embeddingSize: o.embeddingSize ?? 32,
    hiddenSize: o.hiddenSize ?? 128,
    numLayers: o.numLayers ?? 1,
    dropout: o.dropout ?? 0,
    maxLen: o.maxLen ?? 64,
    ...(o.cell ? { cell: o.cell } : {}),
  };
  const enc = texts.map((t) => tokenizer.encode(t, config.maxLen));
  const bs = o.batchSize ?? 32;
  const batchesOf = (idx: number[]) => {
    const out: LMBatch[] = [];
    for (let i = 0; i < idx.length; i += bs) out.push(makeLMBatch(idx.slice(i, i + bs).map((j) => enc[j])));
    return out;
  };
  const valBatches = batchesOf(valIdx),
    testBatches = batchesOf(testIdx);
  const model = new CharLM(config, tokenizer.size, seed);
  const optimizer = new Adam(model.parameters(), { lr: o.lr ?? 3e-3 });
  const history = fit({
    model,
    parallel: (o.replicas ?? 1) > 1 ? lmReplicas(model, o.replicas!) : undefined,
    optimizer,
    schedule: new ReduceOnPlateau(optimizer, 0.5, 1),
    batches: (epoch) => batchesOf(permutation(trainIdx.length, seed * 65537 + epoch).map((i) => trainIdx[i])),
    loss: (b) => model.loss(b),
    validate: () => {
      const bpc = bitsPerChar(model, valBatches);
      return { loss: bpc, metrics: { bitsPerChar: bpc } };
    },
    epochs: o.epochs ?? 20,
    seed,
    patience: o.patience ?? 3,
    checkpointMetadata: () => lmMetadata({ model, tokenizer, data }),
    ...passedToFit(o),
  });
  const test = { bitsPerChar: bitsPerChar(model, testBatches), sequences: testIdx.length };
  return { model, tokenizer, data, metrics: heldOutMetrics(test.sequences, { bitsPerChar: test.bitsPerChar }), history, test };
}

/**
 * Bits per character of a trained model on `texts` (from `source`): the test
 * texts when they are its training texts, every text otherwise; `split`
 * asks for one ({@link chooseSplit}).
 */
export function evaluateLM(lm: TrainedLM, texts: string[], source: string, split?: SplitChoice): { split: SplitChoice; sequences: number; bitsPerChar: number } {
  const chosen = chooseSplit(lm.data, fingerprint(texts), source, split);
  const idx = chosen === 'test' ? splitRows(lm.data!.split, texts.length)[2] : [...texts.keys()];
  const batches: LMBatch[] = [];
  for (let i = 0; i < idx.length; i += 64) batches.push(makeLMBatch(idx.slice(i, i + 64).map((j) => lm.tokenizer.encode(texts[j], lm.model.config.maxLen))));
  return { split: chosen, sequences: idx.length, bitsPerChar: bitsPerChar(lm.model, batches) };
}

/** Samples texts; `prefix` characters must be in the vocabulary. */
export function generate(lm: TrainedLM, o: { count?: number; prefix?: string; temperature?: number; topK?: number; steps?: number; seed?: number }): string[] {
  const rng = new Rng(o.seed ?? 0);
  const prefix = [...(o.prefix ?? '')].map((ch) => {
    const id = lm.tokenizer.id(ch);
    if (id === undefined) throw new GruError('INVALID_ARGUMENT', `character '${ch}' never occurred in the training text, so the model cannot continue from it`);
    return id;
  });
  return Array.from({ length: o.count ?? 1 }, () => lm.tokenizer.decode(lm.model.sample(prefix, { temperature: o.temperature, topK: o.topK, maxLen: o.steps, rng })));
}

export function lmMetadata(lm: TrainedLM): Record<string, string> {
  return tokenizedMetadata('lm', lm);
}

export function saveLM(lm: TrainedLM, path: string): void {
  saveTokenizedModel('lm', lm, path);
}

/** Reads a language-model file; a bad one is a GruError ('INVALID_FILE') naming the file and what is wrong, before anything is built. */
export function loadLM(path: string, file?: ModelFile): TrainedLM {
  return loadTokenizedModel(path, 'lm', lmMetaSchema, (config: LMConfig, vocab) => new CharLM(config, vocab), file);
}
