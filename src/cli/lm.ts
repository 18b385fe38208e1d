/** `gru train lm`, and language models in `gru eval` / `gru predict`. */
import type { Command } from 'commander';
import { bitsPerChar, generate, loadTexts, saveLM, trainLM, type TrainedLM } from '../models/lm/task.js';
import { makeLMBatch } from '../models/lm/model.js';
import { writeLossCurve } from './pictures.js';
import { addCommonTrainOptions, trainingOptions, positiveInt, probability, stem, type CommonTrainFlags } from './options.js';

interface LMFlags extends CommonTrainFlags {
  embedding?: number;
  hidden?: number;
  layers?: number;
  dropout?: number;
  maxLen?: number;
  samples: number;
}

export function lmTrainCommand(train: Command): void {
  const c = train.command('lm').description('character-level language model: a text file, one text per line (or --data names)');
  addCommonTrainOptions(c, { out: 'lm.safetensors' })
    .option('--embedding <n>', 'embedding size', positiveInt)
    .option('--hidden <n>', 'GRU hidden size', positiveInt)
    .option('--layers <n>', 'GRU layers', positiveInt)
    .option('--dropout <p>', 'dropout between GRU layers', probability)
    .option('--max-len <n>', 'characters read per text', positiveInt)
    .option('--samples <n>', 'texts to sample after training', positiveInt, 10)
    .action((f: LMFlags) => runLMTraining(f));
}

export function runLMTraining(f: LMFlags): void {
  if (!f.data) throw new Error('--data is required: names, or a text file');
  const t0 = performance.now();
  const r = trainLM(loadTexts(f.data), {
    embeddingSize: f.embedding, hiddenSize: f.hidden, numLayers: f.layers, dropout: f.dropout, maxLen: f.maxLen,
    ...trainingOptions(f),
  });
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

export function evalLM(lm: TrainedLM, data: string, json: boolean): void {
  const texts = loadTexts(data);
  const enc = texts.map((t) => lm.tokenizer.encode(t, lm.model.config.maxLen));
  const batches = [];
  for (let i = 0; i < enc.length; i += 64) batches.push(makeLMBatch(enc.slice(i, i + 64)));
  const bpc = bitsPerChar(lm.model, batches);
  if (json) console.log(JSON.stringify({ task: 'lm', split: data, sequences: texts.length, metrics: { bitsPerChar: bpc } }));
  else console.log(`${data} (${texts.length} texts): ${bpc.toFixed(3)} bits per character (unknown characters count as <unk>)`);
}

export function predictLM(lm: TrainedLM, o: { text?: string; steps?: number; temperature?: number; topK?: number; count?: number; seed?: number; json?: boolean }): void {
  const out = generate(lm, { prefix: o.text ?? '', steps: o.steps, temperature: o.temperature, topK: o.topK, count: o.count, seed: o.seed });
  if (o.json) console.log(JSON.stringify({ task: 'lm', samples: out }));
  else console.log(out.join('\n'));
}

