/**
 * `gru import MODEL --out FILE`: a Keras model (`.keras`, legacy `.h5`, or a
 * JSON configuration with `--weights`) as a gru-ts model file, and the
 * 'keras' task that `gru predict` and `gru info` use to run such files.
 *
 * The file: safetensors with the weights under `layers.<index>.<PyTorch
 * name>` (a GRU's `weight_ih_l0`, …, a Dense layer's `weight` and `bias`)
 * and metadata format 'gru-ts', task 'keras', `config` = the model's
 * configuration as a minimal Keras 3 functional config (readable by
 * {@link kerasModelFromConfig}, and by Keras), `source` = the file it came
 * from and the Keras version that wrote it.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { Tensor, shapeString } from '../../tensor/tensor.js';
import { GruError } from '../../errors.js';
import { loadKerasModel, kerasModelFromConfig, type KerasModel } from '../../io/keras/node.js';
import { modelFileFor, modelMetadata, writeModelFile, type ModelFile } from '../model-file.js';
import type { TaskDefinition } from '../registry.js';

/** The task name imported Keras models carry. */
export const KERAS_TASK = 'keras';

interface ImportFlags {
  out: string;
  weights?: string;
  json?: boolean;
}

/**
 * Reads a Keras model and writes it as a gru-ts model file (atomically).
 * Returns the model read.
 */
export function importKerasFile(path: string, out: string, opts: { weights?: string } = {}): KerasModel {
  if ([path, opts.weights].some((p) => p !== undefined && resolve(p) === resolve(out))) {
    throw new GruError('INVALID_ARGUMENT', `--out ${out} is the input file; choose another name`);
  }
  const model = loadKerasModel(path, { weights: opts.weights });
  const source = { file: basename(path), weights: opts.weights === undefined ? undefined : basename(opts.weights), kerasVersion: model.spec.kerasVersion };
  writeModelFile(out, model.stateDict(), modelMetadata(KERAS_TASK, { config: model.config(), source }));
  return model;
}

/** Reads a gru-ts model file of task 'keras'. */
export function loadImportedKeras(path: string, file?: ModelFile): KerasModel {
  const f = modelFileFor(path, KERAS_TASK, file);
  return kerasModelFromConfig(f.meta.config, f.weights, path);
}

/** Adds the `import` command to the `gru` program. */
export function importCommand(program: Command): void {
  program
    .command('import')
    .description('convert a Keras model (.keras, legacy .h5, or a JSON configuration with --weights) into a gru-ts model file that gru info and gru predict use')
    .argument('<model>', 'Keras model: a .keras or .h5 file, or a JSON configuration (model.to_json())')
    .requiredOption('--out <file>', 'gru-ts model file to write (.safetensors)')
    .option('--weights <file>', 'the weights of a JSON configuration: a .weights.h5 (or Keras 2 .h5) file')
    .option('--json', 'print one JSON object')
    .action((path: string, f: ImportFlags) => {
      const model = importKerasFile(path, f.out, { weights: f.weights });
      const parameters = model.parameters().reduce((n, p) => n + p.value.size, 0);
      if (f.json) {
        console.log(
          JSON.stringify({
            model: f.out,
            task: KERAS_TASK,
            source: path,
            kerasVersion: model.spec.kerasVersion,
            parameters,
            layers: model.layers.map((l) => ({ name: l.spec.name, className: l.spec.className })),
          }),
        );
        return;
      }
      console.log(`${path} → ${f.out}`);
      console.log(model.summary());
    });
}

/**
 * A batch for `predict` from JSON: nested arrays of shape (batch, …input
 * shape), or one example without the batch axis; `{ "x": … }` also works.
 */
export function batchFromJson(value: unknown, model: KerasModel, what: string): Tensor {
  const v = typeof value === 'object' && value !== null && !Array.isArray(value) && 'x' in value ? (value as { x: unknown }).x : value;
  const shape: number[] = [];
  for (let at: unknown = v; Array.isArray(at); at = at[0]) shape.push(at.length);
  const data: number[] = [];
  const walk = (a: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof a !== 'number') throw new GruError('INVALID_DATA', `${what}: expected numbers, got ${JSON.stringify(a)?.slice(0, 40)}`);
      data.push(a);
      return;
    }
    if (!Array.isArray(a) || a.length !== shape[depth]) throw new GruError('INVALID_DATA', `${what}: a ragged array: every row at depth ${depth} must have ${shape[depth]} entries`);
    for (const x of a) walk(x, depth + 1);
  };
  walk(v, 0);
  const rank = model.inputShape.length;
  if (shape.length === rank) shape.unshift(1);
  if (shape.length !== rank + 1) {
    throw new GruError('INVALID_DATA', `${what}: expected nested arrays of rank ${rank + 1} (batch, ${model.inputShape.map((d) => d ?? 'steps').join(', ')}) or ${rank} (one example), got rank ${shape.length}`);
  }
  return Tensor.from(data, shape);
}

/** A tensor as nested arrays. */
function nested(t: Tensor): unknown {
  const build = (axis: number, at: number): unknown => {
    if (axis === t.shape.length) return t.data[at];
    const stride = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: t.shape[axis] }, (_, i) => build(axis + 1, at + i * stride));
  };
  return build(0, 0);
}

/**
 * The 'keras' task: Keras models imported with `gru import`, for
 * `gru predict MODEL --input x.json` (and `gru info`). They are not trained
 * or scored by gru-ts.
 */
export const kerasTask: TaskDefinition<KerasModel> = {
  name: KERAS_TASK,
  summary: 'a Keras model imported with gru import (predict only)',
  addTrainCommand() {
    // Keras models are trained in Keras and imported.
  },
  load: loadImportedKeras,
  module: (m) => m,
  evaluate() {
    throw new GruError('UNSUPPORTED', 'an imported Keras model has no task to score it by; run it with gru predict --input');
  },
  predict(model, flags) {
    if (typeof flags.input !== 'string') throw new GruError('INVALID_ARGUMENT', 'a Keras model needs --input FILE: a JSON file with the input batch as nested arrays');
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(flags.input, 'utf8'));
    } catch (e) {
      if (e instanceof SyntaxError) throw new GruError('INVALID_DATA', `${flags.input}: not JSON (${e.message})`, { cause: e });
      throw e;
    }
    const outputs = model.predictAll(batchFromJson(json, model, flags.input));
    if (flags.json) {
      console.log(JSON.stringify({ task: KERAS_TASK, outputs: outputs.map(nested), shapes: outputs.map((o) => [...o.shape]) }));
      return;
    }
    outputs.forEach((o, k) => {
      if (outputs.length > 1) console.log(`output ${k} ${shapeString(o.shape)}:`);
      console.log(JSON.stringify(nested(o)));
    });
  },
  predictOptions: [{ flags: '--input <file>', description: 'a JSON file: the input batch as nested arrays (token ids for an Embedding input)' }],
};
