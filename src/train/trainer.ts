/**
 * The training loop: seeded epoch order, gradient clipping, divergence
 * guards, learning-rate schedule, early stopping on the validation loss or a
 * validation metric, keeping the best weights, optional weight averaging (an
 * exponential moving average of the weights, validated and kept in their
 * place), an atomic checkpoint after every epoch and exact resumption from
 * it. Progress is reported as events, so a terminal draws a bar and a web
 * page draws a chart from the same stream.
 *
 * One loop, two drivers: {@link fit} runs it to the end on the calling
 * thread; {@link fitAsync} hands the event loop back between steps and stops
 * when its `AbortSignal` fires. (Whole tasks run off the thread with
 * `trainInWorker`, src/train/worker.ts.)
 */
import { existsSync } from 'node:fs';
import { backward, noGrad, type Var } from '../autograd/var.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Schedule } from '../optim/schedule.js';
import { clipGradNorm } from '../optim/clip.js';
import { permutation } from '../data/split.js';
import { Tensor, shapeString } from '../tensor/tensor.js';
import { GruError, type GruErrorCode } from '../errors.js';
import { readSafetensors, removeStaleTemporaries, writeSafetensors } from '../io/safetensors-file.js';
import type { DataParallel } from './data-parallel.js';

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
  /**
   * Resumption: `found` false when there was no checkpoint to resume from
   * (training starts afresh); else `epoch` is the last epoch it holds and
   * `changes` the settings that differ from the checkpoint's and are applied
   * from now on (e.g. "lr 0.003 → 0.001").
   */
  | { type: 'resume'; path: string; found: boolean; epoch: number; changes: string[] }
  | { type: 'step'; epoch: number; step: number; stepsPerEpoch: number; loss: number; lr: number; stepsPerSecond: number; etaSeconds: number }
  | ({ type: 'epoch'; improved: boolean } & EpochRecord)
  | { type: 'checkpoint'; path: string; epoch: number }
  /** The end: `diverged`, `aborted` and `failed` (any other error) are followed by the error fit throws. */
  | { type: 'stop'; reason: 'completed' | 'early-stopping' | 'diverged' | 'aborted' | 'failed'; bestEpoch: number };

/** What fit reads of an AbortSignal (an AbortSignal is one). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/**
 * When training counts as diverged, beyond any non-finite loss or weight
 * (which always does). `false` in {@link FitOptions.divergence} turns the
 * guards below off (non-finite losses still stop training).
 */
export interface DivergenceOptions {
  /**
   * A validation loss above `factor` × the reference (the untrained model's
   * validation loss, see `reference`) counts as exploding. Default 1000.
   */
  factor?: number;
  /** A weight whose magnitude passes this counts as exploding. Default 1e6. */
  maxWeight?: number;
  /**
   * Validate the untrained model once before the first epoch, as the
   * reference for `factor` (and to tell bad data from a bad learning rate:
   * a non-finite validation loss before any update is the data's fault).
   * Default false in `fit`; the tasks turn it on.
   */
  reference?: boolean;
}

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
  /** Stops training between steps (the train* functions then throw the signal's reason, an AbortError). */
  signal?: AbortSignalLike;
  /** The model file the caller writes after training: named in the message when training diverges (it is then not written). */
  modelPath?: string;
  /** Divergence guards (default: on, with a reference validation of the untrained model). */
  divergence?: DivergenceOptions | false;
}

/** The training settings a task hands to {@link fit} as they come (it sets epochs, patience and seed with its own defaults). */
export function passedToFit(o: TrainingOptions): Pick<FitOptions<unknown>, 'checkpointPath' | 'resume' | 'averageDecay' | 'monitor' | 'onEvent' | 'signal' | 'modelPath' | 'divergence' | 'batchSize'> {
  return {
    checkpointPath: o.checkpointPath,
    resume: o.resume,
    averageDecay: o.averageDecay,
    monitor: o.monitor,
    onEvent: o.onEvent,
    signal: o.signal,
    modelPath: o.modelPath,
    batchSize: o.batchSize,
    divergence: o.divergence === false ? false : { reference: true, ...o.divergence },
  };
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
  /**
   * Computes each batch's loss and gradient on several replicas of the model
   * at once (src/train/data-parallel.ts) instead of with `loss` on this
   * thread alone; fit closes it when training ends.
   */
  parallel?: DataParallel<Batch>;
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
  /**
   * Continue from checkpointPath if it exists. The checkpoint must come from
   * the same model and data (its metadata and tensor shapes are compared;
   * a difference is a GruError naming the checkpoint and what differs); a
   * different learning rate, seed, batch size, clipping, patience or
   * averaging decay is applied from the resumed epoch on and reported in the
   * 'resume' event.
   */
  resume?: boolean;
  /**
   * Weight averaging (Polyak): after every step avg ← d·avg + (1−d)·w with
   * d = min(averageDecay, (1 + t) / (10 + t)) at step t, so the start is not
   * remembered for long. Validation, best weights and the final model use the
   * average; training continues from the raw weights. Default: off.
   */
  averageDecay?: number;
  /** The batch size the batches were made with: recorded in checkpoints, and a change reported on resumption. */
  batchSize?: number;
  /** Divergence guards; see {@link DivergenceOptions}. */
  divergence?: DivergenceOptions | false;
  /** The model file the caller writes after fit returns: the divergence message says it was not written. */
  modelPath?: string;
  /** Checked between steps: when aborted, fit stops and throws `signal.reason` (an AbortError for AbortController). */
  signal?: AbortSignalLike;
  onEvent?: (e: TrainEvent) => void;
}

/** The settings a run was started with, kept in its checkpoints so a resumption can say what changed. */
interface RunSettings {
  lr: number;
  seed: number;
  clipNorm: number;
  batchSize: number | null;
  averageDecay: number | null;
  monitor: string | null;
  patience: number | null;
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
  /** The settings of the run (absent in checkpoints of older releases). */
  settings?: RunSettings;
  /** The untrained model's validation loss (with the reference guard). */
  reference?: number;
}

/**
 * Training diverged: a loss, metric or weight became non-finite or
 * exploded. The message says where, the likely cause, and which file holds
 * the last good weights. `code` is 'INVALID_DATA' when the untrained model
 * already fails on the data, else 'INVALID_ARGUMENT' (the learning rate or
 * another setting is too aggressive for the model and data).
 */
export class TrainingDivergedError extends GruError {
  constructor(
    code: GruErrorCode,
    message: string,
    /** The epoch (from 0) where it happened. */
    readonly epoch: number,
    /** The last epoch whose checkpoint was written, -1 for none. */
    readonly lastGoodEpoch: number,
    /** The checkpoint holding that epoch. */
    readonly checkpointPath?: string,
  ) {
    super(code, message);
  }
}

const OPT = '__optimizer__.';
const BEST = '__best__.';
const AVERAGE = '__average__.';

/** Trains `model` on the calling thread; returns the history. With validation, the best epoch's weights are in the model at the end. */
export function fit<Batch>(o: FitOptions<Batch>): EpochRecord[] {
  const loop = trainingLoop(o);
  for (let r = loop.next(); ; r = loop.next()) {
    if (r.done) return r.value;
    if (o.signal?.aborted) {
      const r2 = loop.throw(abortReason(o.signal));
      if (r2.done) return r2.value; // not reached: the loop rethrows
    }
  }
}

/**
 * {@link fit} that hands the event loop back between steps (at least every
 * `sliceMs` milliseconds of work, default 10), so timers, I/O and a UI keep
 * running; `signal` stops it at the next step, rejecting with the signal's
 * reason (an AbortError). The weights are then those of the last step; the
 * checkpoint (if any) holds the last completed epoch, and `resume` continues
 * from it exactly.
 */
export async function fitAsync<Batch>(o: FitOptions<Batch> & { sliceMs?: number }): Promise<EpochRecord[]> {
  if (o.signal?.aborted) throw abortReason(o.signal);
  const slice = o.sliceMs ?? 10;
  const loop = trainingLoop(o);
  let since = performance.now();
  for (let r = loop.next(); ; ) {
    if (r.done) return r.value;
    if (performance.now() - since >= slice) {
      await yieldToEventLoop();
      since = performance.now();
    }
    r = o.signal?.aborted ? loop.throw(abortReason(o.signal)) : loop.next();
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

function abortReason(signal: AbortSignalLike): unknown {
  return signal.reason ?? new DOMException('training was aborted', 'AbortError');
}

/** The loop itself: yields after every step and every epoch's end; returns the history. Data-parallel replicas end with it, however it ends. */
function* trainingLoop<Batch>(o: FitOptions<Batch>): Generator<void, EpochRecord[], void> {
  try {
    return yield* epochs(o);
  } finally {
    o.parallel?.close();
  }
}

function* epochs<Batch>(o: FitOptions<Batch>): Generator<void, EpochRecord[], void> {
  const seed = o.seed ?? 0;
  const clip = o.clipNorm ?? 5;
  const emit = o.onEvent ?? (() => {});
  const batchesOf = typeof o.batches === 'function' ? o.batches : () => o.batches as Batch[];
  const decay = o.averageDecay;
  if (decay !== undefined && !(decay > 0 && decay < 1)) throw new GruError('INVALID_ARGUMENT', `fit: averageDecay must be in (0, 1), got ${decay}`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0)) throw new GruError('INVALID_ARGUMENT', `fit: epochs must be a non-negative integer, got ${o.epochs}`);
  const guard = o.divergence === false ? null : { factor: 1000, maxWeight: 1e6, reference: false, ...o.divergence };
  const average: Map<Var, Tensor> | null = decay === undefined ? null : new Map(o.model.namedParameters().map(([, p]) => [p, p.value.clone()]));
  const settings: RunSettings = {
    lr: o.optimizer.lr,
    seed,
    clipNorm: clip,
    batchSize: o.batchSize ?? null,
    averageDecay: decay ?? null,
    monitor: o.monitor?.metric ?? null,
    patience: o.patience ?? null,
  };

  let st: CheckpointState = { epoch: -1, history: [], bestLoss: Infinity, bestEpoch: -1, badEpochs: 0, optimizer: {}, schedule: {} };
  let best: Record<string, Tensor> | null = null;
  let resumed = false;
  if (o.checkpointPath) removeStaleTemporaries(o.checkpointPath);
  if (o.resume && o.checkpointPath) {
    if (existsSync(o.checkpointPath)) {
      ({ st, best } = resumeFrom(o, settings, average, emit));
      resumed = true;
    } else emit({ type: 'resume', path: o.checkpointPath, found: false, epoch: -1, changes: [] });
  }
  st.settings = settings;
  /** The last epoch a checkpoint holds (what survives a divergence). */
  let lastGood = resumed ? st.epoch : -1;

  const n = batchesOf(st.epoch + 1).length;
  if (n === 0) throw new GruError('INVALID_DATA', 'fit: no training batches (the training split is empty)');
  emit({ type: 'start', epochs: o.epochs, startEpoch: st.epoch + 1, stepsPerEpoch: n });

  /** The error for a divergence at `where` (an epoch and step; '' before any update: the data are at fault). */
  const diverged = (code: GruErrorCode, epoch: number, where: string, what: string) => {
    const cause =
      code === 'INVALID_DATA'
        ? 'the data hold values the model cannot use (extreme or non-finite numbers, such as 1e308); check them'
        : `the learning rate (${o.optimizer.lr}) is too high for this model and data, or the data hold extreme values`;
    const kept = [
      o.modelPath ? `${o.modelPath} was not written` : '',
      o.checkpointPath ? (lastGood >= 0 ? `${o.checkpointPath} keeps epoch ${lastGood + 1}, the last good one (resume from it with a lower learning rate)` : 'no checkpoint was written') : '',
    ]
      .filter(Boolean)
      .join('; ');
    const head = where === '' ? 'cannot train on these data' : `training diverged at ${where}`;
    return new TrainingDivergedError(code, `${head}: ${what}; ${cause}${kept ? `. ${kept}` : ''}`, epoch, lastGood, lastGood >= 0 ? o.checkpointPath : undefined);
  };

  let stopped: 'completed' | 'early-stopping' = 'completed';
  try {
    // The untrained model's validation loss: the scale "exploding" is measured against.
    if (guard?.reference && o.validate && st.reference === undefined && st.epoch < 0) {
      o.model.eval();
      const v = noGrad(o.validate);
      if (!Number.isFinite(v.loss)) throw diverged('INVALID_DATA', 0, '', `the validation loss of the untrained model is already ${v.loss}`);
      st.reference = v.loss;
      yield;
    }
    // Without a reference, the initial weights tell bad data from a bad learning rate if the first validation fails.
    const initial = !resumed && o.validate && st.reference === undefined ? o.model.stateDict() : null;
    for (let epoch = st.epoch + 1; epoch < o.epochs; epoch++) {
      const t0 = performance.now();
      o.model.train();
      o.model.reseed(seed * 7919 + epoch);
      o.parallel?.reseed(seed * 7919 + epoch);
      const batches = batchesOf(epoch);
      const order = permutation(n, seed * 104729 + epoch);
      let sum = 0;
      for (let s = 0; s < n; s++) {
        const loss = o.parallel ? null : o.loss(batches[order[s]]);
        const v = loss ? loss.data[0] : o.parallel!.lossAndGradient(batches[order[s]]);
        const untouched = !resumed && epoch === 0 && s === 0;
        if (!Number.isFinite(v)) {
          throw untouched
            ? diverged('INVALID_DATA', epoch, '', `the training loss of the untrained model is already ${v} on the first batch`)
            : diverged('INVALID_ARGUMENT', epoch, `epoch ${epoch + 1}, step ${s + 1}`, `the training loss is ${v}`);
        }
        if (loss) {
          o.optimizer.zeroGrad();
          backward(loss);
        }
        if (clip > 0) {
          let norm: number;
          try {
            norm = clipGradNorm(o.optimizer.params, clip);
          } catch {
            norm = NaN;
          }
          if (!Number.isFinite(norm)) {
            throw untouched
              ? diverged('INVALID_DATA', epoch, '', `the gradient norm of the untrained model is already ${norm} on the first batch`)
              : diverged('INVALID_ARGUMENT', epoch, `epoch ${epoch + 1}, step ${s + 1}`, `the gradient norm is ${norm} (the loss was ${v})`);
          }
        }
        o.optimizer.step();
        if (average) foldIntoAverage(average, decay!, (st.averaged = (st.averaged ?? 0) + 1));
        sum += v;
        const rate = (s + 1) / ((performance.now() - t0) / 1000);
        emit({ type: 'step', epoch, step: s + 1, stepsPerEpoch: n, loss: v, lr: o.optimizer.lr, stepsPerSecond: rate, etaSeconds: ((o.epochs - epoch) * n - s - 1) / rate });
        yield;
      }
      if (guard) {
        const bad = badWeight(o.model, guard.maxWeight);
        if (bad) throw diverged('INVALID_ARGUMENT', epoch, `epoch ${epoch + 1}`, bad);
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
      if (val && guard) {
        const watched: [string, number | undefined][] = [['the validation loss', val.loss]];
        if (o.monitor) watched.push([`the validation ${o.monitor.metric}`, val.metrics?.[o.monitor.metric]]);
        for (const [name, x] of watched) {
          if (x !== undefined && !Number.isFinite(x)) {
            // Bad data, or the updates? The untrained weights decide.
            const untrained = initial !== null && epoch === 0 ? validateWith(o, initial).loss : 0;
            if (raw) swapIn(raw);
            throw Number.isFinite(untrained)
              ? diverged('INVALID_ARGUMENT', epoch, `epoch ${epoch + 1}`, `${name} is ${x}`)
              : diverged('INVALID_DATA', epoch, '', `${name} is ${x} after epoch 1, and the validation loss of the untrained model is already ${untrained}`);
          }
        }
        const ref = st.reference;
        if (ref !== undefined && ref > 0 && val.loss > guard.factor * ref) {
          if (raw) swapIn(raw);
          throw diverged('INVALID_ARGUMENT', epoch, `epoch ${epoch + 1}`, `the validation loss is ${fmt(val.loss)}, over ${guard.factor}× the untrained model's ${fmt(ref)}`);
        }
      }
      if (val && !guard && !Number.isFinite(val.loss)) {
        if (raw) swapIn(raw);
        throw diverged('INVALID_ARGUMENT', epoch, `epoch ${epoch + 1}`, `the validation loss is ${val.loss}`);
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
        lastGood = epoch;
        emit({ type: 'checkpoint', path: o.checkpointPath, epoch });
      }
      if (o.patience !== undefined && st.badEpochs >= o.patience) {
        stopped = 'early-stopping';
        break;
      }
      yield;
    }
  } catch (e) {
    const reason = e instanceof TrainingDivergedError ? 'diverged' : o.signal?.aborted ? 'aborted' : 'failed';
    emit({ type: 'stop', reason, bestEpoch: st.bestEpoch });
    throw e;
  }
  if (best) o.model.loadStateDict(best);
  else if (average) swapIn(average);
  o.model.eval();
  emit({ type: 'stop', reason: stopped, bestEpoch: st.bestEpoch });
  return st.history;
}

const fmt = (v: number) => (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(4))));

/** Validation with `weights` in place of the current ones (restored after). */
function validateWith<B>(o: FitOptions<B>, weights: Record<string, Tensor>): { loss: number } {
  const now = o.model.stateDict();
  o.model.loadStateDict(weights);
  try {
    return noGrad(o.validate!);
  } finally {
    o.model.loadStateDict(now);
  }
}

/** "the weights hold NaN (gru.weight_hh_l0)" or "a weight is 3.2e+7 (out.weight), past 1e+6", or null. */
function badWeight(model: Module, max: number): string | null {
  for (const [name, p] of model.namedParameters()) {
    const w = p.value.data;
    for (let i = 0; i < w.length; i++) {
      const x = w[i];
      if (!(Math.abs(x) <= max)) {
        return Number.isFinite(x) ? `a weight is ${fmt(x)} (${name}), past ${fmt(max)}` : `the weights hold ${x} (${name})`;
      }
    }
  }
  return null;
}

/** Whether this validation beats the best so far: on the monitored metric (ties: the loss), else on the loss. */
function better(val: { loss: number; metrics?: Record<string, number> }, st: CheckpointState, monitor?: Monitor): boolean {
  if (!monitor) return val.loss < st.bestLoss;
  const m = val.metrics?.[monitor.metric];
  if (m === undefined) throw new GruError('INVALID_ARGUMENT', `fit: monitor '${monitor.metric}' is not among the validation metrics (${Object.keys(val.metrics ?? {}).join(', ') || 'none'})`);
  if (st.bestMetric === undefined) return true;
  if (m !== st.bestMetric) return monitor.higherIsBetter ? m > st.bestMetric : m < st.bestMetric;
  return val.loss < st.bestLoss;
}

/** avg ← d·avg + (1−d)·w, with the decay warmed up over the first updates (t counts from 1). */
function foldIntoAverage(average: Map<Var, Tensor>, decay: number, t: number): void {
  const d = Math.min(decay, t / (9 + t));
  for (const [p, avg] of average) {
    const a = avg.data,
      w = p.value.data;
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

/**
 * Restores a run from its checkpoint after checking that it fits: the same
 * model and data (metadata and tensor shapes), the same monitor and
 * averaging. Settings that may change (learning rate, seed, …) are applied
 * and reported in the 'resume' event.
 */
function resumeFrom<B>(o: FitOptions<B>, now: RunSettings, average: Map<Var, Tensor> | null, emit: (e: TrainEvent) => void): { st: CheckpointState; best: Record<string, Tensor> | null } {
  const path = o.checkpointPath!;
  const file = readSafetensors(path);
  const refuse = (why: string) => new GruError('INVALID_ARGUMENT', `cannot resume from ${path}: ${why}`);
  const raw = file.metadata.checkpoint;
  if (raw === undefined) throw new GruError('INVALID_FILE', `${path}: not a training checkpoint (no 'checkpoint' metadata); name another checkpoint, or remove this file`);
  let st: CheckpointState;
  try {
    st = JSON.parse(raw) as CheckpointState;
  } catch (e) {
    throw new GruError('INVALID_FILE', `${path}: the 'checkpoint' metadata is not JSON (${(e as Error).message.slice(0, 80)})`, { cause: e });
  }
  if (typeof st !== 'object' || st === null || !Number.isInteger(st.epoch) || st.epoch < -1 || !Array.isArray(st.history)) {
    throw new GruError('INVALID_FILE', `${path}: the 'checkpoint' metadata is not a training state (expected an epoch and a history)`);
  }
  st.bestLoss ??= Infinity; // JSON writes Infinity as null

  // The same model and data: the metadata the task records (configuration, vocabulary, normalisation, data fingerprint);
  // not its provenance (when and by which command line it was written), which a resumed run changes by being one.
  const differences: string[] = [];
  for (const [key, value] of Object.entries(o.checkpointMetadata?.() ?? {})) {
    if (key === 'checkpoint' || key === 'provenance' || !(key in file.metadata)) continue;
    diffJson(key, parseOrText(file.metadata[key]), parseOrText(value), differences);
  }
  if (differences.length > 0) {
    const shown = differences.slice(0, 4).join('; ') + (differences.length > 4 ? `; and ${differences.length - 4} more` : '');
    throw refuse(`it was written for a different model or data: ${shown}. Resume with the settings and data it was trained with, or train afresh without resuming (that overwrites it)`);
  }

  const weights: Record<string, Tensor> = {},
    opt: Record<string, Tensor> = {},
    bestW: Record<string, Tensor> = {},
    avgW: Record<string, Tensor> = {};
  for (const [k, t] of file.tensors) {
    if (k.startsWith(OPT)) opt[k.slice(OPT.length)] = t;
    else if (k.startsWith(BEST)) bestW[k.slice(BEST.length)] = t;
    else if (k.startsWith(AVERAGE)) avgW[k.slice(AVERAGE.length)] = t;
    else weights[k] = t;
  }
  const mismatched: string[] = [];
  const named = o.model.namedParameters();
  for (const [name, p] of named) {
    const t = weights[name];
    if (!t) mismatched.push(`'${name}' is missing there`);
    else if (shapeString(t.shape) !== shapeString(p.value.shape)) mismatched.push(`'${name}' is ${shapeString(t.shape)} there and ${shapeString(p.value.shape)} here`);
  }
  const known = new Set(named.map(([name]) => name));
  const extra = Object.keys(weights).filter((k) => !known.has(k));
  if (extra.length)
    mismatched.push(
      `it has ${extra
        .slice(0, 3)
        .map((k) => `'${k}'`)
        .join(', ')}${extra.length > 3 ? ` and ${extra.length - 3} more` : ''}, which this model lacks`,
    );
  if (mismatched.length) {
    throw refuse(`its weights do not fit this model (a different hidden size, layer count, embedding or vocabulary?): ${mismatched.slice(0, 3).join('; ')}${mismatched.length > 3 ? `; and ${mismatched.length - 3} more` : ''}`);
  }

  const was = st.settings;
  if (was) {
    if ((was.monitor ?? null) !== now.monitor) {
      throw refuse(`it selects epochs by ${was.monitor ?? 'the validation loss'}, this run by ${now.monitor ?? 'the validation loss'}; its best epoch would not compare. Resume with the same monitor, or train afresh`);
    }
  }
  if (average && Object.keys(avgW).length === 0) {
    const name = named[0]?.[0] ?? '';
    throw refuse(`no weight average for '${name}'; it was written without averageDecay (weight averaging). Resume without it, or train afresh`);
  }
  if (!average && Object.keys(avgW).length > 0) {
    throw refuse(`it keeps a weight average (written with averageDecay ${was?.averageDecay ?? ''}), this run has none; resume with the same averaging, or train afresh`);
  }

  o.model.loadStateDict(weights);
  if (average) {
    for (const [name, p] of named) {
      const t = avgW[name];
      if (!t) throw refuse(`no weight average for '${name}'; it was written without averageDecay`);
      average.set(p, t);
    }
  }
  try {
    o.optimizer.loadState({ tensors: opt, scalars: st.optimizer });
  } catch (e) {
    throw refuse(`its optimizer state does not fit this model (${(e as Error).message})`);
  }
  o.schedule?.loadState(st.schedule);

  const changes: string[] = [];
  if (was) {
    const show = (v: unknown) => (v === null || v === undefined ? 'default' : String(v));
    if (now.lr !== was.lr) {
      changes.push(`learning rate ${was.lr} → ${now.lr}${st.optimizer.lr !== was.lr ? ` (the schedule had it at ${st.optimizer.lr})` : ''}`);
      o.optimizer.lr = now.lr;
    }
    for (const k of ['seed', 'batchSize', 'clipNorm', 'patience', 'averageDecay'] as const) {
      if ((was[k] ?? null) !== now[k]) changes.push(`${k === 'batchSize' ? 'batch size' : k === 'clipNorm' ? 'gradient clipping' : k === 'averageDecay' ? 'averaging decay' : k} ${show(was[k])} → ${show(now[k])}`);
    }
  }
  if (st.epoch + 1 >= o.epochs) changes.push(`it already holds ${st.epoch + 1} epochs, so ${o.epochs} train no more`);
  emit({ type: 'resume', path, found: true, epoch: st.epoch, changes });
  return { st, best: Object.keys(bestW).length ? bestW : null };
}

function parseOrText(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** Appends "config.hiddenSize is 8 in the checkpoint and 16 now" for each differing leaf (arrays compared whole). */
function diffJson(path: string, a: unknown, b: unknown, out: string[]): void {
  if (path === 'data.source') return; // the same rows under another path are the same data (the fingerprint decides)
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffJson(`${path}.${k}`, a[k], b[k], out);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const show = (v: unknown) => {
    if (v === undefined) return 'absent';
    if (Array.isArray(v) && JSON.stringify(v).length > 40) return `a list of ${v.length}`;
    const s = JSON.stringify(v);
    return s.length > 40 ? `${s.slice(0, 40)}…` : s;
  };
  out.push(Array.isArray(a) && Array.isArray(b) && JSON.stringify(a).length + JSON.stringify(b).length > 80 ? `${path} differs (${show(a)} in the checkpoint, ${show(b)} now)` : `${path} is ${show(a)} in the checkpoint and ${show(b)} now`);
}
