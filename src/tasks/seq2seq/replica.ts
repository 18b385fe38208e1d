/**
 * The seq2seq model as data-parallel replicas (src/train/data-parallel.ts):
 * what a worker builds, and how a batch of pairs is shared out. This module
 * is the recipe's `url`: the workers import it.
 */
import { DataParallel, dealRows, gatherRows, replicaOf, type Replica, type Share } from '../../train/data-parallel.js';
import { Seq2Seq, type PairBatch, type Seq2SeqConfig } from './model.js';

interface ReplicaArgs {
  config: Seq2SeqConfig;
  sourceVocab: number;
  targetVocab: number;
}

/** A worker's replica: the model (its weights are replaced by the shared ones) and its loss. */
export function replica(a: ReplicaArgs): Replica<PairBatch> {
  return replicaOf(new Seq2Seq(a.config, a.sourceVocab, a.targetVocab));
}

/** Trains `model` on `replicas` threads (this one and replicas − 1 workers). */
export function seq2seqReplicas(model: Seq2Seq, sourceVocab: number, targetVocab: number, replicas: number): DataParallel<PairBatch> {
  return new DataParallel<PairBatch>({
    replicas,
    local: replicaOf(model),
    recipe: { url: import.meta.url, args: { config: model.config, sourceVocab, targetVocab } satisfies ReplicaArgs },
    split: splitPairBatch,
  });
}

/** The rows `rows` of a batch, trimmed to their longest source and target. */
export function pairRows(b: PairBatch, rows: readonly number[]): PairBatch {
  const B = rows.length;
  let S = 1,
    T = 1;
  for (const i of rows) {
    S = Math.max(S, b.srcLengths[i]);
    let t = 0;
    while (t < b.T && b.tgtOut[i * b.T + t] !== -100) t++;
    T = Math.max(T, t);
  }
  const src = gatherRows(b.src, b.S, rows, S),
    tgtIn = gatherRows(b.tgtIn, b.T, rows, T),
    tgtOut = gatherRows(b.tgtOut, b.T, rows, T);
  return { B, S, src, srcLengths: Int32Array.from(rows, (i) => b.srcLengths[i]), T, tgtIn, tgtOut };
}

/**
 * A batch in `parts` shares, each weighted by its target tokens (the loss is
 * their mean). Rows are dealt out in turn: a batch is sorted by length, so
 * every share gets as long a sequence, and as much work, as the others.
 */
export function splitPairBatch(b: PairBatch, parts: number): Share<PairBatch>[] {
  return dealRows(b.B, parts).map((rows) => {
    const share = pairRows(b, rows);
    let tokens = 0;
    for (const t of share.tgtOut) if (t !== -100) tokens++;
    return { batch: share, weight: tokens };
  });
}
