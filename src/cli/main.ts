#!/usr/bin/env node
/**
 * The `gru` command. Errors print as one line and exit 1; `--debug` shows
 * the stack.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { infoCommand } from './info.js';
import { forecastTrainCommand, evalForecast, predictForecast } from './forecast.js';
import { demoCommand } from './demo.js';
import { classifyTrainCommand, evalClassify, predictClassify } from './classify.js';
import { lmTrainCommand, evalLM, predictLM } from './lm.js';
import { seq2seqTrainCommand, evalSeq2Seq, predictSeq2Seq } from './seq2seq.js';
import { loadSeq2Seq } from '../models/seq2seq/task.js';
import { readModelFile } from '../models/model-file.js';
import { loadForecaster } from '../models/forecast/task.js';
import { loadClassifier } from '../models/classify/task.js';
import { loadLM } from '../models/lm/task.js';
import { nonNegativeInt, positiveInt, positiveNumber } from './options.js';
import { pruneCommand } from '../sparse/prune-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('gru')
    .description('Train and run GRU sequence models')
    .version(pkg.version)
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const train = program.command('train').description('train a model: forecast, classify, lm, seq2seq');
  forecastTrainCommand(train);
  classifyTrainCommand(train);
  lmTrainCommand(train);
  seq2seqTrainCommand(train);

  program
    .command('eval')
    .description('evaluate a model on data (the same held-out split as in training)')
    .argument('<model>', 'model file')
    .requiredOption('--data <name|file>', 'dataset name or file')
    .option('--beam <k>', 'beam width (seq2seq)', positiveInt, 1)
    .option('--json', 'print one JSON object')
    .action((path: string, o: { data: string; beam: number; json?: boolean }) => {
      const task = readModelFile(path).task;
      if (task === 'forecast') return evalForecast(loadForecaster(path), o.data, !!o.json);
      if (task === 'classify') return evalClassify(loadClassifier(path), o.data, !!o.json);
      if (task === 'lm') return evalLM(loadLM(path), o.data, !!o.json);
      if (task === 'seq2seq') return evalSeq2Seq(loadSeq2Seq(path), o.data, o.beam, !!o.json);
      throw new Error(`${path}: gru eval does not handle ${task} models`);
    });

  program
    .command('predict')
    .description('run a model: forecast after --input, classify --text, or sample --steps characters')
    .argument('<model>', 'model file')
    .option('--input <file>', 'a CSV file (forecast: the history to continue)')
    .option('--text <text>', 'text to classify, or to start generation from')
    .option('--steps <n>', 'most characters to generate', positiveInt)
    .option('--temperature <t>', 'sampling temperature (lm)', positiveNumber, 0.8)
    .option('--top-k <k>', 'sample among the k most likely characters (lm; 0 = all)', nonNegativeInt, 0)
    .option('--count <n>', 'texts to generate (lm)', positiveInt, 1)
    .option('--seed <n>', 'random seed for sampling', nonNegativeInt, 0)
    .option('--beam <k>', 'beam width (seq2seq)', positiveInt, 1)
    .option('--attention <file.svg>', 'write the attention map (seq2seq)')
    .option('--png', 'also write the attention map as PNG')
    .option('--json', 'print one JSON object')
    .action((path: string, o: { input?: string; text?: string; steps?: number; temperature: number; topK: number; count: number; seed: number; beam: number; attention?: string; png?: boolean; json?: boolean }) => {
      const task = readModelFile(path).task;
      if (task === 'forecast') {
        if (!o.input) throw new Error('a forecast model needs --input FILE: the history to forecast from');
        return predictForecast(loadForecaster(path), o.input, !!o.json);
      }
      if (task === 'classify') {
        if (o.text === undefined) throw new Error('a classify model needs --text "…"');
        return predictClassify(loadClassifier(path), o.text, !!o.json);
      }
      if (task === 'lm') return predictLM(loadLM(path), o);
      if (task === 'seq2seq') {
        if (o.text === undefined) throw new Error('a seq2seq model needs --text "…"');
        return predictSeq2Seq(loadSeq2Seq(path), o.text, o);
      }
      throw new Error(`${path}: gru predict does not handle ${task} models`);
    });

  program
    .command('info')
    .description('show what a model file (.safetensors) holds: task, configuration, tensors')
    .argument('<model>', 'path to a .safetensors file')
    .option('--json', 'print one JSON object')
    .action((model: string, opts: { json?: boolean }) => infoCommand(model, opts));

  pruneCommand(program);

  program
    .command('demo')
    .description('train a small model on data that ships with gru-ts and show the results (default: forecast)')
    .argument('[task]', 'forecast, classify or lm', 'forecast')
    .option('--out <dir>', 'where to write the model and pictures', 'gru-demo')
    .option('--png', 'also write PNG pictures')
    .action((task: string, o: { out: string; png?: boolean }) => demoCommand(task, o));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed its message
    if (argv.includes('--debug')) console.error(e);
    else console.error(`gru: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
