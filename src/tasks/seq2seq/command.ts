/** The seq2seq task's commands: `gru train seq2seq`, and seq2seq models in `gru eval` / `gru predict` (with an attention map). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { evaluateSeq2SeqOn, loadPairs, loadSeq2Seq, saveSeq2Seq, trainSeq2Seq, translate, withEnsemble, type Seq2SeqEvaluation, type TrainedSeq2Seq } from './task.js';
import { evalSource, type TaskDefinition } from '../registry.js';
import { heatmap } from '../../plot/heatmap.js';
import { writePicture } from '../../plot/png.js';
import { printTrainingFooter, writeLossCurve } from '../pictures.js';
import { addCommonTrainOptions, addLrScheduleOption, addReplicasOption, oneOf, embeddingSize, hiddenSize, intBetween, layerCount, LIMITS, trainingOptions, positiveInt, probability, stem, type CommonTrainFlags } from '../../cli/options.js';
import { GruError } from '../../errors.js';
import { seq2seqToOnnx } from './onnx.js';
import type { LrScheduleKind } from '../../optim/schedule.js';

interface Seq2SeqFlags extends CommonTrainFlags {
  attention: 'bahdanau' | 'luong';
  embedding?: number;
  hidden?: number;
  layers?: number;
  dropout?: number;
  beam: number;
  testLimit?: number;
  replicas: number;
  lrSchedule?: LrScheduleKind;
  splitSeed?: number;
  allTargets?: boolean;
  rightToLeft?: boolean;
}

function addTrainCommand(train: Command): void {
  const c = train.command('seq2seq').description('sequence to sequence with attention: --data cmudict (grapheme to phoneme) or a TSV of source<TAB>target pairs');
  addReplicasOption(addLrScheduleOption(addCommonTrainOptions(c, { out: 'seq2seq.safetensors' })))
    .option('--attention <kind>', 'bahdanau (additive) or luong (general)', oneOf(['bahdanau', 'luong'] as const), 'bahdanau')
    .option('--embedding <n>', 'embedding size', embeddingSize)
    .option('--hidden <n>', 'encoder and decoder size', hiddenSize)
    .option('--layers <n>', 'stacked bidirectional encoder layers (default 1)', layerCount)
    .option('--dropout <p>', 'dropout on the source embeddings, between encoder layers and on the decoder readout while training', probability)
    .option('--beam <k>', 'beam width for the test evaluation', intBetween(1, LIMITS.beam), 1)
    .option('--test-limit <n>', 'evaluate on at most n test pairs', positiveInt)
    .option('--split-seed <n>', 'seed of the train/validation/test split (default: --seed); models with other --seed and one --split-seed can be ensembled', intBetween(0, LIMITS.seed))
    .option('--right-to-left', 'the decoder emits the target right to left; in an --ensemble with left-to-right models, both directions search and every model scores the hypotheses')
    .option('--all-targets', "train on every listed target of a source (CMUdict's other pronunciations), not the first only")
    .action((f: Seq2SeqFlags) => runSeq2SeqTraining(f));
}

export function runSeq2SeqTraining(f: Seq2SeqFlags): void {
  if (!f.data) throw new GruError('INVALID_ARGUMENT', '--data is required: cmudict or a TSV file');
  const t0 = performance.now();
  const r = trainSeq2Seq(
    loadPairs(f.data),
    {
      attention: f.attention,
      embeddingSize: f.embedding,
      encoderSize: f.hidden,
      encoderLayers: f.layers,
      decoderSize: f.hidden,
      attentionSize: f.hidden,
      dropout: f.dropout,
      beam: f.beam,
      testLimit: f.testLimit,
      replicas: f.replicas,
      lrSchedule: f.lrSchedule,
      splitSeed: f.splitSeed,
      allTargets: f.allTargets,
      rightToLeft: f.rightToLeft,
      ...trainingOptions(f),
    },
    f.data,
  );
  saveSeq2Seq(r, f.out);
  const seconds = (performance.now() - t0) / 1000;
  const pictures = writeLossCurve(`${stem(f.out)}.loss.svg`, r.history, !!f.png, 'validation cross-entropy');
  report(r.test, { json: f.json, model: f.out, pictures, seconds, source: f.data });
}

function report(ev: Seq2SeqEvaluation, o: { json?: boolean; model?: string; pictures?: string[]; seconds?: number; source: string }): void {
  if (o.json) {
    console.log(JSON.stringify({ task: 'seq2seq', data: o.source, split: ev.split, pairs: ev.pairs, beam: ev.beam, metrics: ev.metrics, firstTarget: ev.firstTarget, model: o.model, pictures: o.pictures, seconds: o.seconds }));
    return;
  }
  console.log(
    `${o.source}, ${ev.split === 'test' ? 'held-out test split' : 'every pair'} (${ev.pairs} pairs, beam ${ev.beam}): WER ${(100 * ev.metrics.wer).toFixed(2)}%   PER ${(100 * ev.metrics.per).toFixed(2)}%   (first target only: WER ${(100 * ev.firstTarget.wer).toFixed(2)}%, PER ${(100 * ev.firstTarget.per).toFixed(2)}%)`,
  );
  printTrainingFooter(o);
}

function predict(m: TrainedSeq2Seq, text: string, o: { beam: number; attention?: string; png?: boolean; json?: boolean }): void {
  const r = translate(m, text, { beam: o.beam });
  let pictures: string[] = [];
  if (o.attention) {
    const svg = heatmap({
      title: `Attention: ${text} → ${r.output.join(' ')}`,
      rows: [...r.output, '<eos>'],
      cols: r.sourceTokens,
      values: r.attention,
      xLabel: 'source',
      yLabel: 'output',
      colorScale: 'viridis',
    });
    pictures = writePicture(o.attention, svg, !!o.png);
  }
  if (o.json) console.log(JSON.stringify({ task: 'seq2seq', input: text, output: r.output, attention: r.attention, pictures }));
  else console.log(r.output.join(' ') + (pictures.length ? `\nattention map: ${pictures.join(', ')}` : ''));
}

const ENSEMBLE_OPTION = { flags: '--ensemble <files>', description: "more seq2seq model files (comma-separated, trained on the same pairs) whose predictions are averaged with this one's" };

/** The model with `--ensemble`'s files averaged in. */
function ensembleFrom(m: TrainedSeq2Seq, files: unknown): TrainedSeq2Seq {
  if (typeof files !== 'string') return m;
  const paths = files
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return withEnsemble(
    m,
    paths.map((path) => ({ path, model: loadSeq2Seq(path) })),
  );
}

export const seq2seqTask: TaskDefinition<TrainedSeq2Seq> = {
  name: 'seq2seq',
  summary: 'sequence to sequence with attention',
  addTrainCommand,
  load: loadSeq2Seq,
  exportOnnx: seq2seqToOnnx,
  module: (m) => m.model,
  evaluate(model, flags) {
    const m = ensembleFrom(model, flags.ensemble);
    const source = evalSource(flags, m.data);
    report(evaluateSeq2SeqOn(m, loadPairs(source), source, flags.beam as number, flags.split), { json: flags.json, source });
  },
  predict(model, flags) {
    const m = ensembleFrom(model, flags.ensemble);
    if (typeof flags.input === 'string') {
      // Many sources, one a line (a file, or - for stdin); one result a line, in order.
      const lines = readFileSync(flags.input === '-' ? 0 : flags.input, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim() !== '');
      for (const text of lines) {
        const r = translate(m, text.trim(), { beam: flags.beam as number });
        console.log(flags.json ? JSON.stringify({ task: 'seq2seq', input: text.trim(), output: r.output }) : r.output.join(' '));
      }
      return;
    }
    if (typeof flags.text !== 'string') throw new GruError('INVALID_ARGUMENT', 'a seq2seq model needs --text "…" (or --input FILE: many, one a line)');
    predict(m, flags.text, flags as { beam: number; attention?: string; png?: boolean; json?: boolean });
  },
  evalOptions: [{ flags: '--beam <k>', description: 'beam width', parse: intBetween(1, LIMITS.beam), default: 1 }, ENSEMBLE_OPTION],
  predictOptions: [
    { flags: '--text <text>', description: 'the source to map' },
    { flags: '--input <file>', description: 'many sources, one a line (- for stdin); one result a line' },
    { flags: '--beam <k>', description: 'beam width', parse: intBetween(1, LIMITS.beam), default: 1 },
    { flags: '--attention <file.svg>', description: 'write the attention map' },
    { flags: '--png', description: 'also write the attention map as PNG' },
    ENSEMBLE_OPTION,
  ],
};
