/**
 * The classifier as data-parallel replicas (src/train/data-parallel.ts):
 * what a worker builds, and how a batch of texts or frame sequences is
 * shared out. This module is the recipe's `url`: the workers import it.
 */
import { DataParallel, dealRows, gatherRows, replicaOf, type Replica, type Share } from '../../train/data-parallel.js';
import { Classifier, type ClassifyBatch, type ClassifyConfig } from './model.js';

interface ReplicaArgs {
  config: ClassifyConfig;
  vocabSize: number;
}

/** A worker's replica: the classifier (its weights are replaced by the shared ones) and its loss. */
export function replica(a: ReplicaArgs): Replica<ClassifyBatch> {
  return replicaOf(new Classifier(a.config, a.vocabSize));
}

/** Trains `model` on `replicas` threads (this one and replicas − 1 workers). */
export function classifierReplicas(model: Classifier, replicas: number): DataParallel<ClassifyBatch> {
  const vocabSize = model.embed ? model.embed.weight.shape[0] : 0;
  return new DataParallel<ClassifyBatch>({
    replicas,
    local: replicaOf(model),
    recipe: { url: import.meta.url, args: { config: model.config, vocabSize } satisfies ReplicaArgs },
    split: splitClassifyBatch,
  });
}

/** The rows `rows` of a batch, trimmed to their longest sequence. */
export function classifyRows(b: ClassifyBatch, rows: readonly number[]): ClassifyBatch {
  const B = rows.length;
  const lengths = Int32Array.from(rows, (i) => b.lengths[i]);
  const T = Math.max(1, ...lengths);
  const labels = b.labels.length ? Int32Array.from(rows, (i) => b.labels[i]) : b.labels;
  if ('ids' in b) return { B, T, ids: gatherRows(b.ids, b.T, rows, T), lengths, labels, tokens: rows.map((i) => b.tokens[i]) };
  const F = b.frames.length / (b.B * b.T);
  return { B, T, frames: gatherRows(b.frames, b.T * F, rows, T * F), lengths, labels };
}

/** A batch in `parts` shares, rows dealt out in turn (a batch is sorted by length), each weighted by its rows (the loss is their mean). */
export function splitClassifyBatch(b: ClassifyBatch, parts: number): Share<ClassifyBatch>[] {
  return dealRows(b.B, parts).map((rows) => ({ batch: classifyRows(b, rows), weight: rows.length }));
}
