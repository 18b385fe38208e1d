/**
 * The recommend task: a click log read and split as GRU4Rec splits it,
 * a session GRU trained on session-parallel mini-batches, Recall@K and
 * MRR@K of the next click at every position of the test sessions (every
 * item ranked) beside popularity, item-kNN and session-kNN fitted on the
 * same training sessions, and the next items for a session.
 */
import { permutation } from '../../data/split.js';
import { GruError } from '../../errors.js';
import { Adam } from '../../optim/adam.js';
import { fit, passedToFit, type EpochRecord, type TrainingOptions } from '../../train/trainer.js';
import { buildModel, heldOutMetrics, modelFileFor, modelMetadata, writeModelFile, type HeldOutMetrics, type ModelFile } from '../model-file.js';
import { validateMeta } from '../model-schema.js';
import { chooseSplit, type SplitChoice, type TrainingDataRecord } from '../training-data.js';
import {
  filterSessions,
  groupSessions,
  preprocessSettings,
  readClicks,
  readSettings,
  splitSessions,
  type ClickLog,
  type PreprocessCounts,
  type PreprocessOptions,
  type PreprocessSettings,
  type ReadOptions,
  type ReadSettings,
  type SessionSplit,
  type Sessions,
} from './clicks.js';
import { baselineRanks, itemKnnBaseline, popularityBaseline, rankingMetrics, rankOf, sessionKnnBaseline, sessionPopularityBaseline, type Baseline, type RankingMetrics } from './baselines.js';
import { CandidateSampler, SessionRecommender, sessionBlocks, type RecommenderConfig } from './model.js';
import type { CellConfig } from '../../nn/recurrent.js';
import type { ItemLossKind } from './loss.js';
import { recommendMetaSchema } from './schema.js';
import { SIMULATED_DATA, simulateClicks } from './simulate.js';

export const RECOMMEND_BASELINES = ['popularity', 'session-popularity', 'item-kNN', 'session-kNN'] as const;
export type RecommendBaselineName = (typeof RECOMMEND_BASELINES)[number];

export interface RecommendOptions extends TrainingOptions, PreprocessOptions {
  embeddingSize?: number;
  hiddenSize?: number;
  numLayers?: number;
  dropout?: number;
  loss?: ItemLossKind;
  nSample?: number;
  sampleAlpha?: number;
  logQ?: number;
  bpreg?: number;
  /** Clicks per slot a session-parallel block aims at (default 10); `batchSize` is the number of slots (default 32). */
  steps?: number;
  /** The cut-off K of Recall@K and MRR@K (default 20). */
  k?: number;
  /** Baselines to score beside the model (default all). */
  baselines?: readonly RecommendBaselineName[];
  /** The recurrent cell (default: the GRU). */
  cell?: CellConfig;
}

/** A trained recommender and what its file records. */
export interface TrainedRecommender {
  model: SessionRecommender;
  /** Item ids; model item i is items[i]. */
  items: string[];
  reading: ReadSettings;
  preprocessing: PreprocessSettings;
  /** The training log and its split. */
  data?: TrainingDataRecord;
  /** The training run's Recall@K and MRR@K on its held-out test sessions (recorded in the model file; `gru info` shows them). */
  metrics?: HeldOutMetrics;
}

/** Scores on a set of sessions: the model's and the baselines'. */
export interface RecommendEvaluation {
  k: number;
  sessions: number;
  /** Next-click predictions scored (every click but a session's first). */
  predictions: number;
  items: number;
  model: RankingMetrics;
  baselines: Partial<Record<RecommendBaselineName, RankingMetrics & { seconds: number }>>;
}

/** The log `--data` names: the simulated one, or a file read with `o`. */
export function loadClicks(data: string, o: ReadOptions | ReadSettings = {}): ClickLog {
  if (data === SIMULATED_DATA) return simulateClicks();
  return readClicks(data, o);
}

/** The ranks the model gives the next click at every position of the sessions (all items ranked). */
export function modelRanks(model: SessionRecommender, sessions: Sessions): Int32Array {
  return scoreNext(model, sessions, (scores, target) => rankOf(scores, target)).ranks;
}

/**
 * Runs the model over the sessions and, for every click but the last of
 * each, hands the scores of all items and the next click to `each`;
 * returns the ranks and the mean full-softmax cross-entropy of the next click.
 */
function scoreNext(model: SessionRecommender, s: Sessions, each: (scores: Float32Array | Float64Array, target: number) => number): { ranks: Int32Array; nll: number } {
  const V = model.config.items,
    H = model.config.hiddenSize;
  const ranks: number[] = [];
  let nll = 0;
  const CHUNK = 256;
  for (let a = 0; a < s.keys.length; a += CHUNK) {
    const seqs = Array.from({ length: Math.min(CHUNK, s.keys.length - a) }, (_, i) => s.items.subarray(s.offsets[a + i], s.offsets[a + i + 1]));
    const states = model.sessionStates(seqs);
    // Rows that have a next click, with their targets.
    const rows: number[] = [],
      targets: number[] = [];
    let row = 0;
    for (const q of seqs) {
      for (let t = 0; t + 1 < q.length; t++) {
        rows.push(row + t);
        targets.push(q[t + 1]);
      }
      row += q.length;
    }
    for (let i = 0; i < rows.length; i += 128) {
      const n = Math.min(128, rows.length - i);
      const x = states instanceof Float64Array ? new Float64Array(n * H) : new Float32Array(n * H);
      for (let r = 0; r < n; r++) x.set(states.subarray(rows[i + r] * H, (rows[i + r] + 1) * H), r * H);
      const scores = model.scores(x, n);
      for (let r = 0; r < n; r++) {
        const sc = scores.subarray(r * V, (r + 1) * V);
        const target = targets[i + r];
        ranks.push(each(sc, target));
        let max = -Infinity;
        for (const v of sc) if (v > max) max = v;
        let z = 0;
        for (const v of sc) z += Math.exp(v - max);
        nll += max + Math.log(z) - sc[target];
      }
    }
  }
  return { ranks: Int32Array.from(ranks), nll: ranks.length > 0 ? nll / ranks.length : 0 };
}

/** The baselines `names`, fitted on the training sessions. */
export function fitBaselines(train: Sessions, popularity: Float64Array, names: readonly RecommendBaselineName[] = RECOMMEND_BASELINES): Baseline[] {
  const make: Record<RecommendBaselineName, () => Baseline> = {
    popularity: () => popularityBaseline(popularity),
    'session-popularity': () => sessionPopularityBaseline(popularity),
    'item-kNN': () => itemKnnBaseline(train, popularity),
    'session-kNN': () => sessionKnnBaseline(train, popularity),
  };
  return names.map((n) => make[n]());
}

/** The model and the baselines on `sessions`, Recall@k and MRR@k. */
export function evaluateSessions(model: SessionRecommender, sessions: Sessions, k: number, baselines: Baseline[] = []): RecommendEvaluation {
  const ranks = modelRanks(model, sessions);
  const out: RecommendEvaluation = { k, sessions: sessions.keys.length, predictions: ranks.length, items: model.config.items, model: rankingMetrics(ranks, k), baselines: {} };
  for (const b of baselines) {
    const t0 = performance.now();
    const r = baselineRanks(b, sessions);
    out.baselines[b.name as RecommendBaselineName] = { ...rankingMetrics(r, k), seconds: (performance.now() - t0) / 1000 };
  }
  return out;
}

/** Default sizes, the settings GRU4Rec's papers start from, scaled to a CPU. */
const DEFAULTS = { embeddingSize: 64, hiddenSize: 100, numLayers: 1, dropout: 0, loss: 'cross-entropy' as ItemLossKind, nSample: 2048, sampleAlpha: 0.75, logQ: 1, bpreg: 1, steps: 10, batchSize: 32, k: 20 };

/**
 * Trains a session recommender on a click log (from `source`, read with
 * `reading`; both recorded in the model file): GRU4Rec's preprocessing and
 * split, training on session-parallel blocks with early stopping on the
 * validation sessions' Recall@K, then the test sessions scored with the
 * baselines.
 */
export function trainRecommender(
  log: ClickLog,
  o: RecommendOptions = {},
  reading: ReadSettings = readSettings(),
): TrainedRecommender & {
  history: EpochRecord[];
  split: { counts: PreprocessCounts; train: { sessions: number; clicks: number }; validation: { sessions: number; clicks: number }; test: { sessions: number; clicks: number } };
  test: RecommendEvaluation;
  seconds: { training: number };
} {
  const preprocessing = preprocessSettings(o);
  const split = splitSessions(log, preprocessing);
  const seed = o.seed ?? 0;
  const k = o.k ?? DEFAULTS.k;
  const config: RecommenderConfig = {
    items: split.items.length,
    embeddingSize: o.embeddingSize ?? DEFAULTS.embeddingSize,
    hiddenSize: o.hiddenSize ?? DEFAULTS.hiddenSize,
    numLayers: o.numLayers ?? DEFAULTS.numLayers,
    dropout: o.dropout ?? DEFAULTS.dropout,
    loss: o.loss ?? DEFAULTS.loss,
    nSample: o.nSample ?? DEFAULTS.nSample,
    sampleAlpha: o.sampleAlpha ?? DEFAULTS.sampleAlpha,
    logQ: o.logQ ?? DEFAULTS.logQ,
    bpreg: o.bpreg ?? DEFAULTS.bpreg,
    ...(o.cell ? { cell: o.cell } : {}),
  };
  const data = dataRecord(split, log.source, reading);
  const model = new SessionRecommender(config, seed);
  const tr: TrainedRecommender = { model, items: split.items, reading, preprocessing, data };
  const sampler = new CandidateSampler(split.popularity, config.sampleAlpha);
  const B = o.batchSize ?? DEFAULTS.batchSize;
  const train = split.train;
  const S = train.keys.length;
  // Sessions per slot per block: `steps` clicks' worth on average, so every epoch has the same number of blocks.
  const meanLength = train.items.length / S;
  // An attention cell reads each session whole (see SessionRecommender), one per slot.
  const perSlot = config.cell ? 1 : Math.max(1, Math.round((o.steps ?? DEFAULTS.steps) / meanLength));
  const optimizer = new Adam(model.parameters(), { lr: o.lr ?? 2e-3 });
  const hasValidation = split.validation.keys.length > 0;
  if (o.monitor && !['recall', 'mrr'].includes(o.monitor.metric)) {
    throw new GruError('INVALID_ARGUMENT', `--monitor ${o.monitor.metric}: a recommender is selected by recall or mrr (at K = ${k}); the default is recall`);
  }
  const t0 = performance.now();
  const history = fit({
    model,
    optimizer,
    batches: (epoch) => sessionBlocks(train, permutation(S, seed * 65537 + epoch), B, perSlot, seed * 7919 + epoch),
    loss: (b) => model.blockLoss(b, sampler),
    validate: hasValidation
      ? () => {
          const r = scoreNext(model, split.validation, (scores, target) => rankOf(scores, target));
          const m = rankingMetrics(r.ranks, k);
          return { loss: r.nll, metrics: { recall: m.recall, mrr: m.mrr } };
        }
      : undefined,
    epochs: o.epochs ?? 10,
    seed,
    patience: o.patience ?? 3,
    checkpointMetadata: () => recommendMetadata(tr),
    ...passedToFit(o),
    monitor: o.monitor ?? (hasValidation ? { metric: 'recall', higherIsBetter: true } : undefined),
    batchSize: B,
  });
  const training = (performance.now() - t0) / 1000;
  model.eval();
  const test = evaluateSessions(model, split.test, k, fitBaselines(train, split.popularity, o.baselines ?? RECOMMEND_BASELINES));
  const size = (s: Sessions) => ({ sessions: s.keys.length, clicks: s.items.length });
  const metrics = heldOutMetrics(test.predictions, { [`recall@${k}`]: test.model.recall, [`mrr@${k}`]: test.model.mrr });
  return {
    ...tr,
    metrics,
    history,
    test,
    seconds: { training },
    split: { counts: split.counts, train: size(split.train), validation: size(split.validation), test: size(split.test) },
  };
}

/**
 * What the file records of the training log: its preprocessed clicks (in
 * the order of {@link SessionSplit.fingerprint}) with the test sessions as
 * the final `testRows` rows, a split in time.
 */
function dataRecord(split: SessionSplit, source: string, reading: ReadSettings): TrainingDataRecord {
  return { source, rows: split.rows, fingerprint: split.fingerprint, split: { method: 'time', testRows: split.testRows }, columns: { ...reading.columns } };
}

/**
 * Scores a trained model on a click log (from `source`): the test sessions
 * when it is the training log (recomputed with the recorded preprocessing),
 * with the baselines fitted on its training sessions; every session of any
 * other log (clicks on unknown items dropped), without baselines.
 */
export function evaluateRecommender(tr: TrainedRecommender, log: ClickLog, source: string, o: { split?: SplitChoice; k?: number; baselines?: readonly RecommendBaselineName[] } = {}): RecommendEvaluation & { split: SplitChoice } {
  const k = o.k ?? DEFAULTS.k;
  let split: SessionSplit | null = null;
  let fp = '';
  try {
    split = splitSessions(log, tr.preprocessing);
    fp = split.fingerprint;
  } catch (e) {
    // Data that cannot be split the same way is not the training data.
    if (!(e instanceof GruError) || o.split === 'test') throw e;
  }
  const chosen = chooseSplit(tr.data, fp, source, o.split);
  if (chosen === 'test' && split) {
    if (split.items.length !== tr.items.length || split.items.some((id, i) => id !== tr.items[i])) {
      throw new GruError('INVALID_DATA', `${source}: its training sessions hold other items than the model was trained on; pass --split all`);
    }
    return { split: 'test', ...evaluateSessions(tr.model, split.test, k, fitBaselines(split.train, split.popularity, o.baselines ?? RECOMMEND_BASELINES)) };
  }
  const index = new Map(tr.items.map((id, i) => [id, i]));
  const grouped = groupSessions(log);
  const known = filterSessions({ ...grouped, items: grouped.items.map((i) => index.get(log.itemKeys[i]) ?? -1) }, (i) => i >= 0, 2);
  if (known.keys.length === 0) throw new GruError('INVALID_DATA', `${source}: no session has 2 clicks on items the model knows`);
  return { split: 'all', ...evaluateSessions(tr.model, known, k) };
}

/** Each model's item ids by index, built once per model (a query must not rebuild a map of the whole catalogue). */
const itemIndexes = new WeakMap<TrainedRecommender, Map<string, number>>();

/** The k best-scoring indices, best first, ties to the lower index: one pass, no sort of the catalogue. */
function topK(scores: ArrayLike<number>, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (top.length < k) top.push(i);
    else if (scores[i] > scores[top[k - 1]]) top[k - 1] = i;
    else continue;
    for (let j = top.length - 1; j > 0 && scores[top[j - 1]] < scores[top[j]]; j--) [top[j - 1], top[j]] = [top[j], top[j - 1]];
  }
  return top;
}

/** The next items after a session's clicks, best first; items the model does not know are skipped and listed. */
export function recommendNext(tr: TrainedRecommender, clicks: readonly string[], k = DEFAULTS.k): { items: { item: string; score: number }[]; ignored: string[] } {
  let index = itemIndexes.get(tr);
  if (!index) itemIndexes.set(tr, (index = new Map(tr.items.map((id, i) => [id, i]))));
  const known = clicks.filter((c) => index.has(c)).map((c) => index.get(c)!);
  const ignored = clicks.filter((c) => !index.has(c));
  if (known.length === 0) {
    throw new GruError(
      'INVALID_ARGUMENT',
      clicks.length === 0
        ? 'no items given: pass the session\'s clicks, e.g. --items "a,b,c"'
        : `none of the items ${ignored
            .slice(0, 5)
            .map((c) => `'${c}'`)
            .join(', ')}${ignored.length > 5 ? ', …' : ''} was in the training data (the model knows ${tr.items.length} items, such as '${tr.items[0]}')`,
    );
  }
  const V = tr.model.config.items,
    H = tr.model.config.hiddenSize;
  const states = tr.model.sessionStates([known]);
  const scores = tr.model.scores(states.subarray((known.length - 1) * H, known.length * H), 1);
  const top = topK(scores, Math.min(k, V));
  return { items: top.map((i) => ({ item: tr.items[i], score: scores[i] })), ignored };
}

export function recommendMetadata(tr: TrainedRecommender): Record<string, string> {
  return modelMetadata('recommend', { config: tr.model.config, items: tr.items, reading: tr.reading, preprocessing: tr.preprocessing, ...(tr.data ? { data: tr.data } : {}), ...(tr.metrics ? { metrics: tr.metrics } : {}) });
}

export function saveRecommender(tr: TrainedRecommender, path: string): void {
  writeModelFile(path, tr.model.stateDict(), recommendMetadata(tr));
}

/** Reads a recommend model file; a bad one is a GruError ('INVALID_FILE') naming the file and what is wrong, before anything is built. */
export function loadRecommender(path: string, file?: ModelFile): TrainedRecommender {
  const f = modelFileFor(path, 'recommend', file);
  const meta = validateMeta(path, 'recommend', f.meta, recommendMetaSchema);
  const model = buildModel(f, meta.config, () => new SessionRecommender(meta.config));
  return { model: model.eval(), items: meta.items, reading: meta.reading, preprocessing: meta.preprocessing, data: meta.data, ...(meta.metrics ? { metrics: meta.metrics } : {}) };
}
