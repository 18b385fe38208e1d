/**
 * The training loop: seeded epoch order, gradient clipping, NaN guard,
 * learning-rate schedule, early stopping on the validation loss or a
 * validation metric, keeping the best weights, optional weight averaging (an
 * exponential moving average of the weights, validated and kept in their
 * place), an atomic checkpoint after every epoch and exact resumption from
 * it. Progress is reported as events, so a terminal draws a bar and a web
 * page draws a chart from the same stream.
 */
import { existsSync } from 'node:fs';
import { backward, noGrad, type Var } from '../autograd/var.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Schedule } from '../optim/schedule.js';
import { clipGradNorm } from '../optim/clip.js';
import { permutation } from '../data/split.js';
import { Tensor } from '../tensor/tensor.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors-file.js';

/** Per-epoch record. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss?: number;
  metrics?: Record<string, number>;
  lr: number;
  seconds: number;
}

export type TrainEvent =
  | { type: 'start'; epochs: number; startEpoch: number; stepsPerEpoch: number }
  | { type: 'step'; epoch: number; step: number; stepsPerEpoch: number; loss: number; lr: number; stepsPerSecond: number; etaSeconds: number }
  | ({ type: 'epoch'; improved: boolean } & EpochRecord)
  | { type: 'checkpoint'; path: string; epoch: number }
  | { type: 'stop'; reason: 'completed' | 'early-stopping'; bestEpoch: number };

/** The training settings every task takes. */
export interface TrainingOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Stop after this many epochs without a better validation score. */
  patience?: number;
  seed?: number;
  /** Checkpoint written after every epoch. */
  checkpointPath?: string;
  /** Continue from checkpointPath if it exists. */
  resume?: boolean;
  /** Validate and keep an exponential moving average of the weights with this decay (e.g. 0.999; default: off). */
  averageDecay?: number;
  /** Early stopping and best weights on this validation metric (e.g. 'accuracy') instead of the loss. */
  monitor?: Monitor;
  onEvent?: (e: TrainEvent) => void;
}

/** The training settings a task hands to {@link fit} as they come (it sets epochs, patience and seed with its own defaults). */
export function passedToFit(o: TrainingOptions): Pick<FitOptions<unknown>, 'checkpointPath' | 'resume' | 'averageDecay' | 'monitor' | 'onEvent'> {
  return { checkpointPath: o.checkpointPath, resume: o.resume, averageDecay: o.averageDecay, monitor: o.monitor, onEvent: o.onEvent };
}

/** A validation metric to select epochs by; ties go to the lower validation loss. */
export interface Monitor {
  metric: string;
  higherIsBetter: boolean;
}

export interface FitOptions<Batch> {
  model: Module;
  optimizer: Optimizer;
  schedule?: Schedule;
  /** Training batches, or a function making an epoch's batches (e.g. reshuffled windows) from its number; their order is shuffled each epoch. */
  batches: Batch[] | ((epoch: number) => Batch[]);
  /** The loss of one batch, recorded on the tape. */
  loss: (batch: Batch) => Var;
  /** Validation in evaluation mode: its loss drives early stopping, best weights and plateau schedules. */
  validate?: () => { loss: number; metrics?: Record<string, number> };
  epochs: number;
  seed?: number;
  /** Clip the gradient norm to this (default 5; 0 disables). */
  clipNorm?: number;
  /** Stop after this many epochs without a better validation loss (or monitored metric). */
  patience?: number;
  /** Select epochs by this metric of `validate` (default: the validation loss). */
  monitor?: Monitor;
  /** Checkpoint written (atomically) after every epoch. */
  checkpointPath?: string;
  /** Metadata stored in the checkpoint (e.g. the task model's, so the checkpoint also loads as a model). */
  checkpointMetadata?: () => Record<string, string>;
  /** Continue from checkpointPath if it exists. */
  resume?: boolean;
  /**
   * Weight averaging (Polyak): after every step avg ← d·avg + (1−d)·w with
   * d = min(averageDecay, (1 + t) / (10 + t)) at step t, so the start is not
   * remembered for long. Validation, best weights and the final model use the
   * average; training continues from the raw weights. Default: off.
   */
  averageDecay?: number;
  onEvent?: (e: TrainEvent) => void;
}

interface CheckpointState {
  epoch: number;
  /** Updates folded into the weight average so far. */
  averaged?: number;
  history: EpochRecord[];
  bestLoss: number;
  /** The monitored metric at the best epoch (with a monitor). */
  bestMetric?: number;
  bestEpoch: number;
  badEpochs: number;
  optimizer: Record<string, number>;
  schedule: Record<string, number>;
}

const OPT = '__optimizer__.';
const BEST = '__best__.';
const AVERAGE = '__average__.';

/** Trains `model`; returns the history. With validation, the best epoch's weights are in the model at the end. */
export function fit<Batch>(o: FitOptions<Batch>): EpochRecord[] {
  const seed = o.seed ?? 0;
  const clip = o.clipNorm ?? 5;
  const emit = o.onEvent ?? (() => {});
  const batchesOf = typeof o.batches === 'function' ? o.batches : () => o.batches as Batch[];
  let st: CheckpointState = { epoch: -1, history: [], bestLoss: Infinity, bestEpoch: -1, badEpochs: 0, optimizer: {}, schedule: {} };
  let best: Record<string, Tensor> | null = null;
  const decay = o.averageDecay;
  if (decay !== undefined && !(decay > 0 && decay < 1)) throw new Error(`fit: averageDecay must be in (0, 1), got ${decay}`);
  const average: Map<Var, Tensor> | null = decay === undefined ? null : new Map(o.model.namedParameters().map(([, p]) => [p, p.value.clone()]));

  if (o.resume && o.checkpointPath && existsSync(o.checkpointPath)) {
    const file = readSafetensors(o.checkpointPath);
    if (!file.metadata.checkpoint) throw new Error(`${o.checkpointPath}: not a training checkpoint (no 'checkpoint' metadata)`);
    st = JSON.parse(file.metadata.checkpoint) as CheckpointState;
    st.bestLoss ??= Infinity; // JSON writes Infinity as null
    const weights: Record<string, Tensor> = {}, opt: Record<string, Tensor> = {}, bestW: Record<string, Tensor> = {}, avgW: Record<string, Tensor> = {};
    for (const [k, t] of file.tensors) {
      if (k.startsWith(OPT)) opt[k.slice(OPT.length)] = t;
      else if (k.startsWith(BEST)) bestW[k.slice(BEST.length)] = t;
      else if (k.startsWith(AVERAGE)) avgW[k.slice(AVERAGE.length)] = t;
      else weights[k] = t;
    }
    o.model.loadStateDict(weights);
    if (average) {
      for (const [name, p] of o.model.namedParameters()) {
        const t = avgW[name];
        if (!t) throw new Error(`${o.checkpointPath}: no weight average for '${name}'; it was written without averageDecay`);
        average.set(p, t);
      }
    }
    o.optimizer.loadState({ tensors: opt, scalars: st.optimizer });
    o.schedule?.loadState(st.schedule);
    best = Object.keys(bestW).length ? bestW : null;
  }

  const n = batchesOf(st.epoch + 1).length;
  if (n === 0) throw new Error('fit: no training batches (the training split is empty)');
  emit({ type: 'start', epochs: o.epochs, startEpoch: st.epoch + 1, stepsPerEpoch: n });
  let stopped: 'completed' | 'early-stopping' = 'completed';
  for (let epoch = st.epoch + 1; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    o.model.train();
    o.model.reseed(seed * 7919 + epoch);
    const batches = batchesOf(epoch);
    const order = permutation(n, seed * 104729 + epoch);
    let sum = 0;
    for (let s = 0; s < n; s++) {
      const loss = o.loss(batches[order[s]]);
      const v = loss.data[0];
      if (!Number.isFinite(v)) {
        throw new Error(`training diverged: the loss is ${v} at epoch ${epoch + 1}, step ${s + 1}; lower the learning rate or check the data for extreme values`);
      }
      o.optimizer.zeroGrad();
      backward(loss);
      if (clip > 0) clipGradNorm(o.optimizer.params, clip);
      o.optimizer.step();
      if (average) foldIntoAverage(average, decay!, (st.averaged = (st.averaged ?? 0) + 1));
      sum += v;
      const rate = (s + 1) / ((performance.now() - t0) / 1000);
      emit({ type: 'step', epoch, step: s + 1, stepsPerEpoch: n, loss: v, lr: o.optimizer.lr, stepsPerSecond: rate, etaSeconds: ((o.epochs - epoch) * n - s - 1) / rate });
    }
    o.model.eval();
    // Validate (and keep as best) the averaged weights; training resumes from the raw ones.
    const raw = average ? swapIn(average) : null;
    const val = o.validate ? noGrad(o.validate) : undefined;
    const rec: EpochRecord = { epoch, trainLoss: sum / n, lr: o.optimizer.lr, seconds: (performance.now() - t0) / 1000 };
    if (val) {
      rec.valLoss = val.loss;
      rec.metrics = val.metrics;
    }
    const improved = val !== undefined && better(val, st, o.monitor);
    if (improved) {
      if (o.monitor) st.bestMetric = val!.metrics![o.monitor.metric];
      st.bestLoss = val!.loss;
      st.bestEpoch = epoch;
      st.badEpochs = 0;
      best = o.model.stateDict();
    } else if (val) st.badEpochs++;
    if (raw) swapIn(raw);
    st.history.push(rec);
    st.epoch = epoch;
    o.schedule?.epochEnd(epoch, val?.loss);
    emit({ type: 'epoch', improved, ...rec });

    if (o.checkpointPath) {
      writeCheckpoint(o.checkpointPath, o, st, best, average);
      emit({ type: 'checkpoint', path: o.checkpointPath, epoch });
    }
    if (o.patience !== undefined && st.badEpochs >= o.patience) {
      stopped = 'early-stopping';
      break;
    }
  }
  if (best) o.model.loadStateDict(best);
  else if (average) swapIn(average);
  o.model.eval();
  emit({ type: 'stop', reason: stopped, bestEpoch: st.bestEpoch });
  return st.history;
}

/** Whether this validation beats the best so far: on the monitored metric (ties: the loss), else on the loss. */
function better(val: { loss: number; metrics?: Record<string, number> }, st: CheckpointState, monitor?: Monitor): boolean {
  if (!monitor) return val.loss < st.bestLoss;
  const m = val.metrics?.[monitor.metric];
  if (m === undefined) throw new Error(`fit: monitor '${monitor.metric}' is not among the validation metrics (${Object.keys(val.metrics ?? {}).join(', ') || 'none'})`);
  if (st.bestMetric === undefined) return true;
  if (m !== st.bestMetric) return monitor.higherIsBetter ? m > st.bestMetric : m < st.bestMetric;
  return val.loss < st.bestLoss;
}

/** avg ← d·avg + (1−d)·w, with the decay warmed up over the first updates (t counts from 1). */
function foldIntoAverage(average: Map<Var, Tensor>, decay: number, t: number): void {
  const d = Math.min(decay, t / (9 + t));
  for (const [p, avg] of average) {
    const a = avg.data, w = p.value.data;
    for (let i = 0; i < a.length; i++) a[i] = d * a[i] + (1 - d) * w[i];
  }
}

/** Puts `weights` into their parameters and returns what was there (so a second call swaps back). */
function swapIn(weights: Map<Var, Tensor>): Map<Var, Tensor> {
  const previous = new Map<Var, Tensor>();
  for (const [p, t] of weights) {
    previous.set(p, p.value);
    p.value = t;
  }
  return previous;
}

function writeCheckpoint<B>(path: string, o: FitOptions<B>, st: CheckpointState, best: Record<string, Tensor> | null, average: Map<Var, Tensor> | null): void {
  const optState = o.optimizer.state();
  const tensors: Record<string, Tensor> = { ...o.model.stateDict() };
  for (const [k, t] of Object.entries(optState.tensors)) tensors[OPT + k] = t;
  if (best) for (const [k, t] of Object.entries(best)) tensors[BEST + k] = t;
  if (average) for (const [name, p] of o.model.namedParameters()) tensors[AVERAGE + name] = average.get(p)!;
  const state: CheckpointState = { ...st, optimizer: optState.scalars, schedule: o.schedule?.state() ?? {} };
  writeSafetensors(path, tensors, { ...(o.checkpointMetadata?.() ?? {}), checkpoint: JSON.stringify(state) });
}
