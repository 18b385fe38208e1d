/**
 * Option parsers that reject bad values with a message naming what was
 * expected, the options every `gru train TASK` takes, and the checks run
 * before training starts: sizes in sane ranges, the output files writable
 * and not the data, one run per output file (a lock).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { availableParallelism, totalmem } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import type { AbortSignalLike, Monitor, TrainEvent, TrainingOptions } from '../train/trainer.js';
import { lockForWriting, type FileLock } from '../train/lock.js';
import { removeStaleTemporaries } from '../io/safetensors-file.js';
import { GruError } from '../errors.js';
import { progressReporter } from './progress.js';
import { CELL_KINDS, checkCell, type CellConfig } from '../nn/recurrent.js';
import { recordTrainingOptions } from '../tasks/model-format.js';

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return n;
}

export function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return n;
}

/** A parser accepting integers from `min` to `max`; `why` says where the upper bound comes from. */
export function intBetween(min: number, max: number, why = ''): (v: string) => number {
  const kind = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected ${kind}${min > 1 && why ? ` (${why})` : ''}, got '${v}'`);
    if (n > max) throw new InvalidArgumentError(`expected at most ${max.toLocaleString('en-US')}${why ? ` (${why})` : ''}, got '${v}'`);
    return n;
  };
}

/** Upper bounds of the size options (a larger model does not fit one process's memory, or is a typo). */
export const LIMITS = {
  epochs: 100_000,
  batchSize: 65_536,
  patience: 100_000,
  seed: 2 ** 32 - 1,
  hidden: 4096,
  embedding: 4096,
  layers: 16,
  maxLen: 100_000,
  vocab: 1_000_000,
  samples: 10_000,
  beam: 64,
} as const;

/** The largest learning rate taken: Adam, which every task trains with, moves each weight by about lr per step. */
export const MAX_LEARNING_RATE = 1;

export function learningRate(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0 && n <= MAX_LEARNING_RATE)) {
    throw new InvalidArgumentError(`expected a learning rate above 0 and at most ${MAX_LEARNING_RATE} (Adam: typically 1e-4 to 1e-2), got '${v}'`);
  }
  return n;
}

export const hiddenSize = intBetween(1, LIMITS.hidden, 'larger GRUs do not fit in memory');
export const embeddingSize = intBetween(1, LIMITS.embedding, 'larger embeddings do not fit in memory');
export const layerCount = intBetween(1, LIMITS.layers);

/** `--lr-schedule`, as the tasks that offer it take it. */
export function addLrScheduleOption(c: Command): Command {
  return c.option('--lr-schedule <kind>', 'plateau (halve the learning rate after an epoch without a better validation loss) or cosine (anneal it to 5% over --epochs)', oneOf(['plateau', 'cosine'] as const));
}

/** Most data-parallel replicas `--replicas auto` starts (one per core up to this). */
export const MAX_AUTO_REPLICAS = 8;

/** `--replicas`: a count from 1 to 64, or auto (one per core, at most {@link MAX_AUTO_REPLICAS}). */
export function replicaCount(v: string): number {
  if (v === 'auto') return Math.min(availableParallelism(), MAX_AUTO_REPLICAS);
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new InvalidArgumentError(`expected auto or a whole number from 1 to 64, got '${v}'`);
  return n;
}

/** `--replicas`, as the tasks that train in data-parallel replicas take it (default 1). */
export function addReplicasOption(c: Command): Command {
  return c.option(
    '--replicas <n|auto>',
    `train on n threads at once, each computing the gradient of a share of every batch (auto: one per core, at most ${MAX_AUTO_REPLICAS}); a different n takes another path (dropout draws, float rounding)`,
    replicaCount,
    1,
  );
}

export const maxLength = intBetween(1, LIMITS.maxLen);
/** Tokenizer sizes count the 4 reserved tokens (<pad>, <unk>, <bos>, <eos>), so 5 keeps one word; fewer would keep none. */
export function vocabularySize(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 5) {
    throw new InvalidArgumentError(`expected an integer of at least 5 (the vocabulary counts the 4 reserved tokens <pad>, <unk>, <bos> and <eos>, so 5 keeps one word), got '${v}'`);
  }
  if (n > LIMITS.vocab) throw new InvalidArgumentError(`expected at most ${LIMITS.vocab.toLocaleString('en-US')}, got '${v}'`);
  return n;
}

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

export function probability(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected a number in [0, 1), got '${v}'`);
  return n;
}

/** A parser accepting one of `choices`. */
export function oneOf<T extends string>(choices: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(choices as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${v}'`);
    return v as T;
  };
}

/** The recurrent-cell options of `gru train` for tasks that can run the attention GRU. */
export interface CellFlags {
  cell?: CellConfig['kind'];
  window?: number;
  local?: number;
}

/** Adds --cell, --window and --local. */
export function addCellOptions(c: Command): Command {
  return c
    .option('--cell <kind>', 'recurrent cell: gru, attention-gru (attention over its own earlier states) or seed-003 (the attention GRU exactly as seed 003 writes it)', oneOf(CELL_KINDS), 'gru')
    .option('--window <w>', 'attention cells: attend to the last w states only (local attention; default: all)', intBetween(1, LIMITS.maxLen))
    .option('--local <d>', "attention cells: Luong's local-p, a predicted window of 2d + 1 states", intBetween(1, LIMITS.maxLen));
}

/** The cell config the flags ask for (undefined for the plain GRU, as files of older releases). */
export function cellFromFlags(f: CellFlags): CellConfig | undefined {
  const cell: CellConfig = { kind: f.cell ?? 'gru', ...(f.window ? { window: f.window } : {}), ...(f.local ? { local: f.local } : {}) };
  checkCell(cell, '--cell');
  return cell.kind === 'gru' ? undefined : cell;
}

export function nonNegativeNumber(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n >= 0)) throw new InvalidArgumentError(`expected a number ≥ 0, got '${v}'`);
  return n;
}

export function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `out.safetensors` → `out` (the stem pictures are named after). */
export function stem(path: string): string {
  return path.replace(/\.safetensors$/i, '');
}

export interface CommonTrainFlags {
  data: string;
  out: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  patience?: number;
  checkpoint?: string;
  resume?: boolean;
  average?: number;
  monitor?: Monitor;
  png?: boolean;
  json?: boolean;
}

/** Options every `gru train TASK` takes; before the action runs, {@link prepareTrainingRun} checks them and locks the output files. */
/** `folders`: --data may name a folder (the task reads folders, e.g. of audio files). */
export function addCommonTrainOptions(c: Command, defaults: { data?: string; out: string; folders?: boolean }): Command {
  let locks: FileLock[] = [];
  return c
    .option('--data <name|file>', 'dataset name or CSV/JSONL file', defaults.data)
    .option('--out <file>', 'model file to write', defaults.out)
    .option('--epochs <n>', 'most epochs to train', intBetween(1, LIMITS.epochs))
    .option('--batch-size <n>', 'sequences per batch', intBetween(1, LIMITS.batchSize))
    .option('--lr <rate>', `learning rate (at most ${MAX_LEARNING_RATE})`, learningRate)
    .option('--patience <n>', 'stop after n epochs without a better validation score', intBetween(1, LIMITS.patience))
    .option('--seed <n>', 'random seed (same seed, same model)', intBetween(0, LIMITS.seed))
    .option('--checkpoint <file>', 'checkpoint written after every epoch (default: OUT.ckpt.safetensors)')
    .option('--resume', 'continue from the checkpoint if it exists (same model and data; a changed --lr, --seed or --batch-size is applied and reported)')
    .option('--monitor <metric>', `select epochs (early stopping, best weights) by a validation metric: ${Object.keys(MONITORS).join(', ')} (default: the loss)`, monitorOption)
    .option('--average <decay>', 'validate and keep a moving average of the weights with this decay (e.g. 0.999)', (v: string) => {
      const d = Number(v);
      if (!(d > 0 && d < 1)) throw new InvalidArgumentError(`expected a decay between 0 and 1 (exclusive), got '${v}'`);
      return d;
    })
    .option('--png', 'also write PNG pictures')
    .option('--json', 'print one JSON object with the results')
    .hook('preAction', (cmd) => {
      const opts = cmd.opts() as CommonTrainFlags & Record<string, unknown>;
      recordTrainingOptions({ ...opts, seed: opts.seed ?? 0 }); // the seed the trainers use when none is given
      locks = prepareTrainingRun(opts, { folders: defaults.folders });
    })
    .hook('postAction', () => {
      for (const l of locks) l.release();
      locks = [];
    });
}

/** The checkpoint a run writes: --checkpoint, else OUT.ckpt.safetensors. */
export function checkpointPathOf(f: { out: string; checkpoint?: string }): string {
  return f.checkpoint ?? `${stem(f.out)}.ckpt.safetensors`;
}

/**
 * For running training inside a program (src/train/worker.ts): where the
 * events go instead of the terminal, and the signal that stops it.
 */
export const trainingHooks: { onEvent?: (e: TrainEvent) => void; signal?: AbortSignalLike } = {};

/** The common flags as the task trainers' options (the checkpoint defaults to OUT.ckpt.safetensors). */
export function trainingOptions(f: CommonTrainFlags): TrainingOptions {
  return {
    epochs: f.epochs,
    batchSize: f.batchSize,
    lr: f.lr,
    patience: f.patience,
    seed: f.seed,
    checkpointPath: checkpointPathOf(f),
    resume: f.resume,
    averageDecay: f.average,
    monitor: f.monitor,
    onEvent: trainingHooks.onEvent ?? progressReporter({ json: f.json }),
    signal: trainingHooks.signal,
    modelPath: f.out,
  };
}

/** Bounds of size options some tasks parse themselves (checked again before training, whoever parsed them). */
const SIZE_FLAGS: Record<string, [flag: string, max: number]> = {
  hidden: ['--hidden', LIMITS.hidden],
  embedding: ['--embedding', LIMITS.embedding],
  layers: ['--layers', LIMITS.layers],
};

/**
 * Checks a `gru train` run before any data is read, and takes the output
 * files' locks: sizes within {@link LIMITS}; `--data`, when a path, exists;
 * `--out` and the checkpoint in existing, writable directories, different
 * from each other and from the data, and not replacing a file that is not a
 * model file; no other run writing them. Leftover temporary files of killed
 * runs are removed. Returns the locks (release them when the run ends).
 * Every refusal is a {@link GruError}.
 */
export function prepareTrainingRun(f: CommonTrainFlags & Record<string, unknown>, o: { folders?: boolean } = {}): FileLock[] {
  const bad = (message: string) => new GruError('INVALID_ARGUMENT', message);
  for (const [key, [flag, max]] of Object.entries(SIZE_FLAGS)) {
    const v = f[key];
    if (typeof v === 'number' && v > max) throw bad(`${flag}: expected at most ${max.toLocaleString('en-US')} (larger models do not fit in memory), got ${v}`);
  }
  // The recurrent weights alone, with their gradient and Adam's two moments: 4 float32 copies of 3·H·(H + H) per layer.
  if (typeof f.hidden === 'number') {
    const layers = typeof f.layers === 'number' ? f.layers : 1;
    const bytes = 16 * 6 * f.hidden * f.hidden * layers;
    if (bytes > 0.75 * totalmem()) {
      const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`;
      throw bad(`--hidden ${f.hidden}${layers > 1 ? ` with --layers ${layers}` : ''} needs at least ${gb(bytes)} for the weights and their optimizer state; this machine has ${gb(totalmem())}. Choose a smaller --hidden or fewer --layers`);
    }
  }
  const data = f.data;
  if (typeof data === 'string' && /[\\/]|\.[A-Za-z0-9]{1,5}$/.test(data)) {
    if (!existsSync(data)) throw new GruError('INVALID_DATA', `cannot read data '${data}': there is no such file (ENOENT; looked for ${resolve(data)})`);
    if (!o.folders && statSync(data).isDirectory()) throw new GruError('INVALID_DATA', `cannot read data '${data}': it is a directory; expected a file`);
  }
  const ckpt = checkpointPathOf(f);
  checkOutput('--out', f.out, data);
  checkOutput('--checkpoint', ckpt, data);
  if (samePath(f.out, ckpt)) throw bad(`--checkpoint ${ckpt} is the --out file; choose a different checkpoint file`);
  const locks = [lockForWriting(f.out, `--out ${f.out}`)];
  try {
    locks.push(lockForWriting(ckpt, `the checkpoint ${ckpt}`));
  } catch (e) {
    locks[0].release();
    throw e;
  }
  removeStaleTemporaries(f.out);
  removeStaleTemporaries(ckpt);
  return locks;
}

function checkOutput(flag: string, path: string, data: unknown): void {
  const bad = (message: string) => new GruError('INVALID_ARGUMENT', `${flag} ${path}: ${message}`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw bad(`the directory ${dir} does not exist; create it first (mkdir -p ${dir}) or choose another path`);
  if (!statSync(dir).isDirectory()) throw bad(`${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw bad(`cannot write in ${dir} (permission denied)`);
  }
  if (typeof data === 'string' && existsSync(data) && samePath(path, data)) {
    throw bad(`this is the --data file; training would replace it. Choose another ${flag} (such as ${stem(path).replace(/\.[A-Za-z0-9]{1,5}$/, '')}.safetensors)`);
  }
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw bad(`is a directory; expected a file path (such as ${path}/model.safetensors)`);
    if (!looksLikeSafetensors(path)) throw bad(`the file exists and is not a model file (safetensors); refusing to replace it. Choose another ${flag}, or delete the file`);
  }
}

/** Whether two paths name the same file (after resolving links, when they exist). */
function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  if (real(a) === real(b)) return true;
  try {
    const sa = statSync(a),
      sb = statSync(b);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

/** A safetensors file begins with its header's length (u64, little-endian, within the file) and the header's '{'. */
function looksLikeSafetensors(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(9);
    if (readSync(fd, head, 0, 9, 0) < 9) return false;
    const n = head.readBigUInt64LE(0);
    return n >= 2n && n <= BigInt(statSync(path).size - 8) && head[8] === 0x7b;
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Validation metrics `--monitor` takes, and whether higher is better. */
const MONITORS: Record<string, boolean> = { accuracy: true, macroF1: true, mae: false, rmse: false, smape: false, bitsPerChar: false, recall: true, mrr: true };

function monitorOption(v: string): Monitor {
  if (!(v in MONITORS)) throw new InvalidArgumentError(`expected one of ${Object.keys(MONITORS).join(', ')}, got '${v}'`);
  return { metric: v, higherIsBetter: MONITORS[v] };
}
