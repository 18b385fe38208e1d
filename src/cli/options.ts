/** Option parsers that reject bad values with a message naming what was expected. */
import { InvalidArgumentError, type Command } from 'commander';
import type { Monitor, TrainingOptions } from '../train/trainer.js';
import { progressReporter } from './progress.js';

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return n;
}

export function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
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

export function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
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

/** Options every `gru train TASK` takes. */
export function addCommonTrainOptions(c: Command, defaults: { data?: string; out: string }): Command {
  return c
    .option('--data <name|file>', 'dataset name or CSV/JSONL file', defaults.data)
    .option('--out <file>', 'model file to write', defaults.out)
    .option('--epochs <n>', 'most epochs to train', positiveInt)
    .option('--batch-size <n>', 'sequences per batch', positiveInt)
    .option('--lr <rate>', 'learning rate', positiveNumber)
    .option('--patience <n>', 'stop after n epochs without a better validation score', positiveInt)
    .option('--seed <n>', 'random seed (same seed, same model)', nonNegativeInt)
    .option('--checkpoint <file>', 'checkpoint written after every epoch (default: OUT.ckpt.safetensors)')
    .option('--resume', 'continue from the checkpoint if it exists')
    .option('--monitor <metric>', `select epochs (early stopping, best weights) by a validation metric: ${Object.keys(MONITORS).join(', ')} (default: the loss)`, monitorOption)
    .option('--average <decay>', 'validate and keep a moving average of the weights with this decay (e.g. 0.999)', (v: string) => {
      const d = Number(v);
      if (!(d > 0 && d < 1)) throw new InvalidArgumentError(`expected a decay between 0 and 1 (exclusive), got '${v}'`);
      return d;
    })
    .option('--png', 'also write PNG pictures')
    .option('--json', 'print one JSON object with the results');
}

/** The common flags as the task trainers' options (the checkpoint defaults to OUT.ckpt.safetensors). */
export function trainingOptions(f: CommonTrainFlags): TrainingOptions {
  return {
    epochs: f.epochs, batchSize: f.batchSize, lr: f.lr, patience: f.patience, seed: f.seed,
    checkpointPath: f.checkpoint ?? `${stem(f.out)}.ckpt.safetensors`, resume: f.resume, averageDecay: f.average, monitor: f.monitor,
    onEvent: progressReporter({ json: f.json }),
  };
}

/** Validation metrics `--monitor` takes, and whether higher is better. */
const MONITORS: Record<string, boolean> = { accuracy: true, macroF1: true, mae: false, rmse: false, smape: false, bitsPerChar: false };

function monitorOption(v: string): Monitor {
  if (!(v in MONITORS)) throw new InvalidArgumentError(`expected one of ${Object.keys(MONITORS).join(', ')}, got '${v}'`);
  return { metric: v, higherIsBetter: MONITORS[v] };
}
