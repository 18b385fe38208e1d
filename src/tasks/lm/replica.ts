/**
 * The character language model as data-parallel replicas
 * (src/train/data-parallel.ts): what a worker builds, and how a batch of
 * texts is shared out. This module is the recipe's `url`: the workers import it.
 */
import { DataParallel, type Replica, type Share } from '../../train/data-parallel.js';
import { CharLM, type LMBatch, type LMConfig } from './model.js';

interface ReplicaArgs {
  config: LMConfig;
  vocabSize: number;
}

/** A worker's replica: the model (its weights are replaced by the shared ones) and its loss. */
export function replica(a: ReplicaArgs): Replica<LMBatch> {
  const model = new CharLM(a.config, a.vocabSize);
  return { model, loss: (b) => model.loss(b) };
}

/** Trains `model` on `replicas` threads (this one and replicas − 1 workers). */
export function lmReplicas(model: CharLM, replicas: number): DataParallel<LMBatch> {
  return new DataParallel<LMBatch>({
    replicas,
    local: { model, loss: (b) => model.loss(b) },
    recipe: { url: import.meta.url, args: { config: model.config, vocabSize: model.vocabSize } satisfies ReplicaArgs },
    split: splitLMBatch,
  });
}

/** A batch in `parts` shares, rows dealt out in turn, trimmed to their longest text, each weighted by its predicted characters (the loss is their mean). */
export function splitLMBatch(b: LMBatch, parts: number): Share<LMBatch>[] {
  const n = Math.min(parts, b.B);
  return Array.from({ length: n }, (_, k) => {
    const rows = Array.from({ length: Math.ceil((b.B - k) / n) }, (_, j) => k + j * n);
    const lengths = Int32Array.from(rows, (i) => b.lengths[i]);
    const T = Math.max(1, ...lengths);
    const ids = new Int32Array(rows.length * T),
      targets = new Int32Array(rows.length * T);
    let weight = 0;
    rows.forEach((i, r) => {
      ids.set(b.ids.subarray(i * b.T, i * b.T + T), r * T);
      targets.set(b.targets.subarray(i * b.T, i * b.T + T), r * T);
    });
    for (const t of targets) if (t !== -100) weight++;
    return { batch: { B: rows.length, T, ids, lengths, targets }, weight };
  });
}
