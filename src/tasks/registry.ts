/**
 * The task registry. A task (forecast, classify, lm, seq2seq, …) is one
 * folder whose `command.ts` exports a {@link TaskDefinition}; `tasks/index.ts`
 * lists the definitions once, and `gru train`, `eval`, `predict`, `prune` and
 * `demo` find a task there by its name or by the task a model file records.
 */
import type { Command } from 'commander';
import type { Module } from '../nn/module.js';
import { readModelFile, type ModelFile } from './model-file.js';
import type { SplitChoice } from './training-data.js';
import { GruError } from '../errors.js';

/** A command-line option a task adds to `gru eval` or `gru predict`. */
export interface OptionSpec {
  /** Commander's flags, e.g. `'--beam <k>'`. */
  flags: string;
  description: string;
  parse?: (value: string) => unknown;
  default?: unknown;
}

/** `gru eval` flags every task receives; tasks read their own options from the rest. */
export interface EvalFlags {
  /** A dataset name or file; the training data recorded in the model file when omitted. */
  data?: string;
  split?: SplitChoice;
  json?: boolean;
  [option: string]: unknown;
}

/** `gru predict` flags; tasks read their own options. */
export interface PredictFlags {
  json?: boolean;
  [option: string]: unknown;
}

/**
 * One task. `Model` is what `load` returns (the module with its tokenizers
 * or normalisation). Methods, not function properties, so a registry of
 * different tasks holds them side by side.
 */
export interface TaskDefinition<Model = unknown> {
  name: string;
  /** One line for `gru train --help`. */
  summary: string;
  /** Adds `gru train NAME` with the task's options. */
  addTrainCommand(train: Command): void;
  /** Reads a model file of this task (`file`: the file already read, so it is not read twice). */
  load(path: string, file?: ModelFile): Model;
  /** The module inside (for pruning). */
  module(model: Model): Module;
  /** `gru eval`: scores and prints (one JSON object with `--json`). */
  evaluate(model: Model, flags: EvalFlags): void;
  /** `gru predict`: runs and prints. */
  predict(model: Model, flags: PredictFlags): void;
  evalOptions?: OptionSpec[];
  predictOptions?: OptionSpec[];
  /** `gru export MODEL --onnx FILE`: the model as ONNX bytes, or named graphs (written as FILE.<name>.onnx); absent: no ONNX form. */
  exportOnnx?(model: Model): Uint8Array | Record<string, Uint8Array>;
  /** `gru demo NAME`: a small model trained on shipped data. */
  demo?: { summary: string; run(o: { out: string; png?: boolean }): void };
}

/** Looks a task up by name in `tasks`; an unknown name is an error listing the known ones. */
export function findTask(tasks: readonly TaskDefinition[], name: string, what = 'task'): TaskDefinition {
  const t = tasks.find((d) => d.name === name);
  if (!t) throw new GruError('INVALID_ARGUMENT', `unknown ${what} '${name}': expected one of ${tasks.map((d) => d.name).join(', ')}`);
  return t;
}

/** The task a model file records, with the file loaded by it. */
export function loadTaskModel(tasks: readonly TaskDefinition[], path: string): { task: TaskDefinition; model: unknown } {
  const file = readModelFile(path);
  const task = tasks.find((d) => d.name === file.task);
  if (!task) throw new GruError('UNSUPPORTED', `${path}: a '${file.task}' model, a task this gru-ts does not know (it knows ${tasks.map((d) => d.name).join(', ')})`);
  return { task, model: task.load(path, file) };
}

/**
 * Adds the options of every task to `command`, once per flag: tasks that
 * share a flag (`--text` of classify and seq2seq) share the option, its
 * description naming them.
 */
export function addTaskOptions(command: Command, tasks: readonly TaskDefinition[], pick: (t: TaskDefinition) => OptionSpec[] | undefined): void {
  const byFlags = new Map<string, { spec: OptionSpec; uses: { task: string; description: string }[] }>();
  for (const t of tasks) {
    for (const spec of pick(t) ?? []) {
      const use = { task: t.name, description: spec.description };
      const seen = byFlags.get(spec.flags);
      if (seen) seen.uses.push(use);
      else byFlags.set(spec.flags, { spec, uses: [use] });
    }
  }
  for (const { spec, uses } of byFlags.values()) {
    const description = new Set(uses.map((u) => u.description)).size === 1 ? `${spec.description} (${uses.map((u) => u.task).join(', ')})` : uses.map((u) => `${u.task}: ${u.description}`).join('; ');
    if (spec.parse) command.option(spec.flags, description, spec.parse as (v: string, prev: unknown) => unknown, spec.default);
    else command.option(spec.flags, description, spec.default as string | boolean | string[] | undefined);
  }
}

/** The data `gru eval` reads: `--data`, else the training data the model file records. */
export function evalSource(flags: EvalFlags, recorded: { source: string } | undefined): string {
  const source = flags.data ?? recorded?.source;
  if (source === undefined) throw new GruError('INVALID_ARGUMENT', '--data is required: the model file does not name its training data');
  return source;
}
