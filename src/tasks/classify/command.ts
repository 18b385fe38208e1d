/** The classify task's commands: `gru train classify`, and classifiers in `gru eval` / `gru predict`. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadTable } from '../../data/datasets.js';
import { classifyText, evaluateClassifierOn, loadClassifier, saveClassifier, trainClassifier, type ClassifyEvaluation, type TrainedClassifier } from './task.js';
import { evalSource, type TaskDefinition } from '../registry.js';
import type { TokenizerKind } from '../../data/tokenizer.js';
import { CLASSIFY_BASELINES, CLASSIFY_BASELINE_LABELS } from './baselines.js';
import { printTrainingFooter, writeConfusion, writeLossCurve } from '../pictures.js';
import { addCellOptions, addCommonTrainOptions, cellFromFlags, oneOf, embeddingSize, hiddenSize, layerCount, maxLength, trainingOptions, probability, stem, vocabularySize, type CellFlags, type CommonTrainFlags } from '../../cli/options.js';
import { GruError } from '../../errors.js';

export interface ClassifyFlags extends CommonTrainFlags, CellFlags {
  textColumn: string;
  labelColumn: string;
  tokenizer: TokenizerKind;
  maxLen?: number;
  vocab?: number;
  embedding?: number;
  hidden?: number;
  layers?: number;
  unidirectional?: boolean;
  dropout?: number;
  embeddingDropout?: number;
  pooling: 'last' | 'attention';
}

function addTrainCommand(train: Command): void {
  const c = train.command('classify').description('classify texts: a CSV/JSONL file with text and label columns (or --data spam)');
  addCellOptions(addCommonTrainOptions(c, { out: 'classifier.safetensors' }))
    .option('--text-column <name>', 'the text column', 'text')
    .option('--label-column <name>', 'the label column', 'label')
    .option('--tokenizer <kind>', 'word or char', oneOf<TokenizerKind>(['word', 'char']), 'word')
    .option('--max-len <n>', 'tokens read per text', maxLength)
    .option('--vocab <n>', 'largest vocabulary, counting the 4 reserved tokens (at least 5)', vocabularySize)
    .option('--embedding <n>', 'embedding size', embeddingSize)
    .option('--hidden <n>', 'GRU hidden size', hiddenSize)
    .option('--layers <n>', 'GRU layers', layerCount)
    .option('--unidirectional', 'one direction only (default: bidirectional)')
    .option('--dropout <p>', 'dropout between GRU layers', probability)
    .option('--embedding-dropout <p>', 'dropout on the token embeddings while training', probability)
    .option('--pooling <kind>', 'last (final states) or attention (attention pooling over all steps)', oneOf(['last', 'attention'] as const), 'last')
    .action((f: ClassifyFlags) => runClassifyTraining(f));
}

export function runClassifyTraining(f: ClassifyFlags): void {
  if (!f.data) throw new GruError('INVALID_ARGUMENT', '--data is required: a dataset name (spam) or a CSV/JSONL file');
  const t0 = performance.now();
  const table = loadTable(f.data);
  const r = trainClassifier(table, {
    textColumn: f.textColumn, labelColumn: f.labelColumn, tokenizer: f.tokenizer, maxLen: f.maxLen, maxVocab: f.vocab,
    embeddingSize: f.embedding, hiddenSize: f.hidden, numLayers: f.layers, bidirectional: !f.unidirectional, dropout: f.dropout, embeddingDropout: f.embeddingDropout, pooling: f.pooling, cell: cellFromFlags(f),
    ...trainingOptions(f),
  });
  saveClassifier(r, f.out);
  const seconds = (performance.now() - t0) / 1000;
  const pictures = [
    ...writeLossCurve(`${stem(f.out)}.loss.svg`, r.history, !!f.png, 'validation cross-entropy'),
    ...writeConfusion(`${stem(f.out)}.confusion.svg`, r.test.confusion, r.test.labels, !!f.png),
  ];
  reportClassify(r.test, { json: f.json, model: f.out, pictures, seconds, source: table.source });
}

function reportClassify(ev: ClassifyEvaluation, o: { json?: boolean; model?: string; pictures?: string[]; seconds?: number; source: string }): void {
  if (o.json) {
    console.log(JSON.stringify({ task: 'classify', split: ev.split, examples: ev.examples, metrics: ev.metrics, baselines: ev.baselines, confusion: ev.confusion, labels: ev.labels, model: o.model, pictures: o.pictures, seconds: o.seconds }));
    return;
  }
  console.log(`${o.source}, ${ev.split === 'test' ? 'held-out test split' : 'every row'} (${ev.examples} examples):`);
  const row = (name: string, m: { accuracy: number; macroF1: number }) => console.log(`  ${name.padEnd(28)} accuracy ${(100 * m.accuracy).toFixed(2).padStart(6)}%   macro-F1 ${m.macroF1.toFixed(4)}`);
  row('GRU', ev.metrics);
  if (ev.baselines) {
    for (const name of CLASSIFY_BASELINES) row(CLASSIFY_BASELINE_LABELS[name], ev.baselines[name]);
    const nb = ev.baselines.naiveBayes.accuracy, gap = 100 * (ev.metrics.accuracy - nb);
    console.log(`  GRU: ${Math.abs(gap).toFixed(2)} points ${gap >= 0 ? 'above' : 'below'} naive Bayes in accuracy`);
  } else {
    console.log('  (baselines are fitted on training rows, so they are scored on the test split only)');
  }
  const w = Math.max(...ev.labels.map((l) => l.length), 6);
  console.log(`  confusion (rows actual, columns predicted):`);
  console.log(`  ${''.padEnd(w)} ${ev.labels.map((l) => l.padStart(w)).join(' ')}`);
  ev.confusion.forEach((row, i) => console.log(`  ${ev.labels[i].padEnd(w)} ${row.map((v) => String(v).padStart(w)).join(' ')}`));
  printTrainingFooter(o);
}

export const classifyTask: TaskDefinition<TrainedClassifier> = {
  name: 'classify',
  summary: 'classify texts',
  addTrainCommand,
  load: loadClassifier,
  module: (c) => c.model,
  evaluate(c, flags) {
    const table = loadTable(evalSource(flags, c.data));
    reportClassify(evaluateClassifierOn(c, table, { split: flags.split }), { json: flags.json, source: table.source });
  },
  predict(c, flags) {
    if (typeof flags.text !== 'string') throw new GruError('INVALID_ARGUMENT', 'a classify model needs --text "…"');
    const r = classifyText(c, flags.text);
    if (flags.json) console.log(JSON.stringify({ task: 'classify', ...r }));
    else console.log(`${r.label}\t(${Object.entries(r.probabilities).map(([l, p]) => `${l} ${p.toFixed(3)}`).join(', ')})`);
  },
  predictOptions: [{ flags: '--text <text>', description: 'the text to classify' }],
  demo: {
    summary: 'a spam filter for the SpamAssassin corpus',
    run(o) {
      console.log('Classifying the SpamAssassin corpus (6,046 emails) as spam or ham; tested on a stratified 20%…');
      runClassifyTraining({ data: 'spam', textColumn: 'text', labelColumn: 'label', tokenizer: 'word', pooling: 'attention', maxLen: 128, epochs: 4, out: join(o.out, 'spam.safetensors'), png: o.png });
    },
  },
};
