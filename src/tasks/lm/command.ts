/** The lm task's commands: `gru train lm`, and language models in `gru eval` / `gru predict`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { evaluateLM, generate, loadLM, loadTexts, saveLM, trainLM, type TrainedLM } from './task.js';
import { evalSource, type TaskDefinition } from '../registry.js';
import { writeLossCurve } from '../pictures.js';
import {
  addCellOptions,
  addCommonTrainOptions,
  addReplicasOption,
  cellFromFlags,
  embeddingSize,
  hiddenSize,
  intBetween,
  layerCount,
  LIMITS,
  maxLength,
  trainingOptions,
  nonNegativeInt,
  positiveNumber,
  probability,
  stem,
  type CellFlags,
  type CommonTrainFlags,
} from '../../cli/options.js';
import { columnIndex, parseCsv, parseJsonlObjects } from '../../data/csv.js';
import { GruError } from '../../errors.js';
import { charLMToOnnx } from './onnx.js';

interface LMFlags extends CommonTrainFlags, CellFlags {
  embedding?: number;
  hidden?: number;
  layers?: number;
  dropout?: number;
  maxLen?: number;
  samples: number;
  replicas?: number;
}

function addTrainCommand(train: Command): void {
  const c = train.command('lm').description('character-level language model: a text file, one text per line (or --data names)');
  addReplicasOption(addCellOptions(addCommonTrainOptions(c, { out: 'lm.safetensors' })))
    .option('--embedding <n>', 'embedding size', embeddingSize)
    .option('--hidden <n>', 'GRU hidden size', hiddenSize)
    .option('--layers <n>', 'GRU layers', layerCount)
    .option('--dropout <p>', 'dropout between GRU layers', probability)
    .option('--max-len <n>', 'characters read per text', maxLength)
    .option('--samples <n>', 'texts to sample after training', intBetween(1, LIMITS.samples), 10)
    .action((f: LMFlags) => runLMTraining(f));
}

export function runLMTraining(f: LMFlags): void {
  if (!f.data) throw new GruError('INVALID_ARGUMENT', '--data is required: names, or a text file');
  const t0 = performance.now();
  const r = trainLM(
    loadTexts(f.data),
    {
      embeddingSize: f.embedding,
      hiddenSize: f.hidden,
      numLayers: f.layers,
      dropout: f.dropout,
      maxLen: f.maxLen,
      cell: cellFromFlags(f),
      replicas: f.replicas,
      ...trainingOptions(f),
    },
    f.data,
  );
  saveLM(r, f.out);
  const seconds = (performance.now() - t0) / 1000;
  const pictures = writeLossCurve(`${stem(f.out)}.loss.svg`, r.history, !!f.png, 'validation bits/char');
  const samples = generate(r, { count: f.samples, temperature: 0.8, seed: f.seed ?? 0 });
  if (f.json) {
    console.log(JSON.stringify({ task: 'lm', split: 'test', sequences: r.test.sequences, metrics: { bitsPerChar: r.test.bitsPerChar }, samples, model: f.out, pictures, seconds }));
    return;
  }
  console.log(`${f.data}, test (${r.test.sequences} held-out texts): ${r.test.bitsPerChar.toFixed(3)} bits per character`);
  console.log(`  samples (temperature 0.8): ${samples.join(', ')}`);
  console.log(`  trained in ${seconds.toFixed(0)} s`);
  console.log(`model: ${f.out}`);
  console.log(`pictures: ${pictures.join(', ')}`);
}

export const lmTask: TaskDefinition<TrainedLM> = {
  name: 'lm',
  summary: 'character-level language model',
  addTrainCommand,
  load: loadLM,
  exportOnnx: charLMToOnnx,
  module: (lm) => lm.model,
  evaluate(lm, flags) {
    const source = evalSource(flags, lm.data);
    const r = evaluateLM(lm, loadTexts(source), source, flags.split);
    if (flags.json) console.log(JSON.stringify({ task: 'lm', data: source, split: r.split, sequences: r.sequences, metrics: { bitsPerChar: r.bitsPerChar } }));
    else console.log(`${source}, ${r.split === 'test' ? 'held-out test split' : 'every text'} (${r.sequences} texts): ${r.bitsPerChar.toFixed(3)} bits per character (unknown characters count as <unk>)`);
  },
  predict(lm, o) {
    const sampling = { steps: o.steps as number | undefined, temperature: o.temperature as number, topK: o.topK as number, count: o.count as number, seed: o.seed as number };
    if (typeof o.input === 'string') {
      if (typeof o.text === 'string') throw new GruError('INVALID_ARGUMENT', 'give --text (one prefix) or --input (many), not both');
      // Each prefix sampled with the same seed, so a line's samples are those of `--text PREFIX` alone.
      for (const { prefix, where } of prefixesOf(o.input, lm.data?.columns?.text ?? 'text')) {
        let out: string[];
        try {
          out = generate(lm, { prefix, ...sampling });
        } catch (e) {
          throw e instanceof GruError ? new GruError(e.code, `${where}: ${e.message}`, { cause: e }) : e;
        }
        if (o.json) console.log(JSON.stringify({ task: 'lm', input: prefix, samples: out }));
        else console.log(out.join('\n'));
      }
      return;
    }
    const out = generate(lm, { prefix: (o.text as string | undefined) ?? '', ...sampling });
    if (o.json) console.log(JSON.stringify({ task: 'lm', samples: out }));
    else console.log(out.join('\n'));
  },
  predictOptions: [
    { flags: '--text <text>', description: 'text to start generation from' },
    { flags: '--input <file>', description: 'many prefixes, one result a line: a text file (a prefix a line), JSONL/CSV with a text column, or - (stdin); each prefix sampled with the same --seed' },
    { flags: '--steps <n>', description: 'most characters to generate', parse: maxLength },
    { flags: '--temperature <t>', description: 'sampling temperature', parse: positiveNumber, default: 0.8 },
    { flags: '--top-k <k>', description: 'sample among the k most likely characters (0 = all)', parse: nonNegativeInt, default: 0 },
    { flags: '--count <n>', description: 'texts to generate', parse: intBetween(1, LIMITS.samples), default: 1 },
    { flags: '--seed <n>', description: 'random seed for sampling', parse: nonNegativeInt, default: 0 },
  ],
  demo: {
    summary: 'a generator of English first names',
    run(o) {
      console.log('A character-level language model of English first names; bits per character on held-out names…');
      runLMTraining({ data: 'names', epochs: 8, samples: 10, out: join(o.out, 'names.safetensors'), png: o.png });
    },
  },
};

/**
 * `gru predict LM --input FILE|-`: the prefixes to continue, each with where it came from (for errors). A .jsonl/.json
 * file gives each record's `column` (a string; "" samples from the start), a .csv file that column; any other file one
 * prefix a line (blank lines skipped; spaces kept, as a prefix may end in one). Standard input is JSONL when its first
 * line is a JSON object, else lines of text.
 */
function prefixesOf(input: string, column: string): { prefix: string; where: string }[] {
  const source = input === '-' ? 'stdin' : input;
  const text = readFileSync(input === '-' ? 0 : input, 'utf8');
  const firstLine =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  const jsonl = input === '-' ? firstLine.startsWith('{') && isJsonObject(firstLine) : /\.jsonl?$/i.test(input);
  if (jsonl) {
    return parseJsonlObjects(text, source).map(({ line, value }) => {
      const v = value[column];
      if (typeof v !== 'string') throw new GruError('INVALID_DATA', `${source}: line ${line}: expected a string '${column}' field (the prefix), got ${v === undefined ? 'no such field' : JSON.stringify(v).slice(0, 40)}`);
      return { prefix: v, where: `${source}: line ${line}` };
    });
  }
  if (input !== '-' && /\.csv$/i.test(input)) {
    const table = parseCsv(text, source);
    const c = columnIndex(table, column);
    return table.rows.map((r, i) => ({ prefix: r[c] ?? '', where: `${source}: data row ${i + 1}` }));
  }
  const out: { prefix: string; where: string }[] = [];
  text.split('\n').forEach((l, i) => {
    const prefix = l.replace(/\r$/, '');
    if (prefix.trim() !== '') out.push({ prefix, where: `${source}: line ${i + 1}` });
  });
  return out;
}

function isJsonObject(line: string): boolean {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
