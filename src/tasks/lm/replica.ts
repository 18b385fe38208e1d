/**
 * The character language model as data-parallel replicas
 * (src/train/data-parallel.ts): what a worker builds, and how a batch of
 * texts is shared out. This module is the recipe's `url`: the workers import it.
 */
import { DataParallel, dealRows, gatherRows, replicaOf, type Replica, type Share } from '../../train/data-parallel.js';
import { CharLM, type LMBatch, type LMConfig } from './model.js';

interface ReplicaArgs {
  config: LMConfig;
  vocabSize: number;
}

/** A worker's replica: the model (its weights are replaced by the shared ones) and its loss. */
export function replica(a: ReplicaArgs): Replica<LMBatch> {
  return replicaOf(new CharLM(a.config, a.vocabSize));
}

/** Trains `model` on `replicas` threads (this one and replicas − 1 workers). */
export function lmReplicas(model: CharLM, replicas: number): DataParallel<LMBatch> {
  return new DataParallel<LMBatch>({
    replicas,
    local: replicaOf(model),
    recipe: { url: import.meta.url, args: { config: model.config, vocabSize: model.vocabSize } satisfies ReplicaArgs },
    split: splitLMBatch,
  });
}

/** A batch in `parts` shares, rows dealt out in turn, trimmed to their longest text, each weighted by its predicted characters (the loss is their mean). */
export function splitLMBatch(b: LMBatch, parts: number): Share<LMBatch>[] {
  return dealRows(b.B, parts).map((rows) => {
    const lengths = Int32Array.from(rows, (i) => b.lengths[i]);
    const T = Math.max(1, ...lengths);
    const targets = gatherRows(b.targets, b.T, rows, T);
    let weight = 0;
    for (const t of targets) if (t !== -100) weight++;
    return { batch: { B: rows.length, T, ids: gatherRows(b.ids, b.T, rows, T), lengths, targets }, weight };
  });
}
