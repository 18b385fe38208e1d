/**
 * The classify task's commands: `gru train classify`, and classifiers in
 * `gru eval` / `gru predict`. Three inputs, told apart by `--data`: texts (a
 * CSV/JSONL table), frame sequences (JSONL records holding arrays of numbers)
 * and audio (a folder of WAV files per label).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { InvalidArgumentError, type Command } from 'commander';
import { loadTable } from '../../data/datasets.js';
import { classifyText, classifyTexts, evaluateClassifierOn, loadClassifier, saveClassifier, trainClassifier, type ClassifyEvaluation, type TrainedClassifier } from './task.js';
import { columnIndex, parseCsv, parseJsonl } from '../../data/csv.js';
import { evalSource, type TaskDefinition } from '../registry.js';
import type { TokenizerKind } from '../../data/tokenizer.js';
import type { LrScheduleKind } from '../../optim/schedule.js';
import { CLASSIFY_BASELINE_LABELS, type BaselineScore, type ClassifyBaselineName } from './baselines.js';
import { printTrainingFooter, writeConfusion, writeLossCurve } from '../pictures.js';
import {
  addCellOptions,
  addCommonTrainOptions,
  addLrScheduleOption,
  addReplicasOption,
  cellFromFlags,
  list,
  nonNegativeNumber,
  oneOf,
  embeddingSize,
  hiddenSize,
  layerCount,
  maxLength,
  trainingOptions,
  probability,
  stem,
  vocabularySize,
  type CellFlags,
  type CommonTrainFlags,
} from '../../cli/options.js';
import { framesFromJsonl } from '../../data/frames.js';
import { commandsDataset } from '../../data/commands-dataset.js';
import { commandsTestSet } from '../../data/commands-other.js';
import { DEFAULT_AUDIO_FRONT_END, commandTask, readAudioFolder, wavTo16k, type AudioFrontEndConfig, type AudioSequences } from '../../data/audio-folder.js';
import { KeywordStream } from './stream.js';
import { classifyAudio, classifyFrames, evaluateFramesOn, trainFrameClassifier, type ListedFrames } from './frames-task.js';
import { GruError } from '../../errors.js';
import { classifierToOnnx } from './onnx.js';

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
  bidirectional?: boolean;
  framesField?: string;
  labelField?: string;
  features?: 'logmel' | 'mfcc';
  augment?: boolean;
  warp?: boolean | [number, number];
  words?: string[];
  unknown?: number;
  silence?: number;
  dropout?: number;
  embeddingDropout?: number;
  pooling: 'last' | 'attention';
  bagOfWords?: boolean;
  lrSchedule?: LrScheduleKind;
  replicas?: number;
}

function addTrainCommand(train: Command): void {
  const c = train
    .command('classify')
    .description('classify texts (a CSV/JSONL file with text and label columns, or --data spam), sequences of numbers (JSONL records {"frames": [[…], …], "label": …}) or audio (a folder of WAV files per label, or --data commands)');
  addReplicasOption(addLrScheduleOption(addCellOptions(addCommonTrainOptions(c, { out: 'classifier.safetensors', folders: true }))))
    .option('--text-column <name>', 'the text column', 'text')
    .option('--label-column <name>', 'the label column', 'label')
    .option('--tokenizer <kind>', 'word or char', oneOf<TokenizerKind>(['word', 'char']), 'word')
    .option('--max-len <n>', 'tokens read per text', maxLength)
    .option('--vocab <n>', 'largest vocabulary, counting the 4 reserved tokens (at least 5)', vocabularySize)
    .option('--embedding <n>', 'embedding size', embeddingSize)
    .option('--hidden <n>', 'GRU hidden size', hiddenSize)
    .option('--layers <n>', 'GRU layers', layerCount)
    .option('--unidirectional', 'one direction only (the default for frames and audio: a model that can stream)')
    .option('--bidirectional', 'both directions (the default for texts)')
    .option('--frames-field <name>', 'JSONL frame sequences: the field holding each sequence (an array of frames, each an array of numbers; default frames)')
    .option('--label-field <name>', 'JSONL frame sequences: the label field (default label)')
    .option('--augment', 'audio: each epoch, shift the clips (±100 ms), change their speed (0.9, 1, 1.1), add background noise from _background_noise_ (0–20 dB SNR) and SpecAugment masks (default: the clips as they are)')
    .option('--warp <lo,hi>', "log-mel audio: each epoch, warp each clip's mel bands by a factor drawn in [lo, hi] (vocal tract length perturbation; default 0.8,1.2)", (v: string): [number, number] => {
      const r = v.split(',').map(Number);
      if (r.length !== 2 || !(r[0] > 0 && r[0] <= r[1])) throw new InvalidArgumentError(`expected two factors lo,hi with 0 < lo ≤ hi (e.g. 0.8,1.2), got '${v}'`);
      return [r[0], r[1]];
    })
    .option('--no-warp', 'log-mel audio: train on the bands as they are')
    .option('--words <list>', "audio: the words to tell apart (e.g. Speech Commands' yes,no,up,down,left,right,on,off,stop,go); other folders' clips become _unknown_", list)
    .option('--unknown <fraction>', "with --words: _unknown_ clips kept, as a fraction of the words' clips (default 0.1)", nonNegativeNumber)
    .option('--silence <fraction>', "with --words: _silence_ clips (background noise at random volume) added, as a fraction of the words' clips (default 0.1)", nonNegativeNumber)
    .option('--features <kind>', 'audio: logmel (40 bands, default) or mfcc (13 coefficients); 25 ms windows every 10 ms at 16 kHz', oneOf(['logmel', 'mfcc'] as const))
    .option('--dropout <p>', 'dropout between GRU layers', probability)
    .option('--embedding-dropout <p>', 'dropout on the token embeddings while training', probability)
    .option('--pooling <kind>', 'last (final states) or attention (attention pooling over all steps)', oneOf(['last', 'attention'] as const), 'last')
    .option('--bag-of-words', "texts: add a bag-of-words path over the whole text (NBSVM: each distinct token weighted by its naive-Bayes log-count ratio) whose scores are added to the GRU's; not exported to ONNX")
    .action((f: ClassifyFlags) => runClassifyTraining(f));
}

/** `--data commands`: the ten Speech Commands words by synthetic voices, whole voices held out (data/commands-dataset.ts). */
const COMMANDS = 'commands';
/** Test-only sets of the same words from other synthesizers (data/commands-other.ts): `gru eval MODEL --data commands-flite --split all`. */
const OTHER_SYNTHESIZERS: Record<string, 'mespeak' | 'flite'> = { 'commands-mespeak': 'mespeak', 'commands-flite': 'flite' };

/** What `--data` holds: a folder of audio, JSONL frame sequences (a record whose frames field is an array), or a table of texts. */
export function classifyInputOf(data: string, framesField?: string): 'text' | 'frames' | 'audio' {
  if (data === COMMANDS || data in OTHER_SYNTHESIZERS || (existsSync(data) && statSync(data).isDirectory())) return 'audio';
  if (framesField) return 'frames';
  if (!/\.jsonl?$/i.test(data) || !existsSync(data)) return 'text';
  const first = firstRecord(data);
  try {
    return first !== undefined && Array.isArray(JSON.parse(first).frames) ? 'frames' : 'text';
  } catch {
    return 'text'; // the table reader names the bad line
  }
}

/** The first non-empty line of a file, read a chunk at a time (not the whole file: it is read again to train). */
function firstRecord(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 16),
      utf8 = new StringDecoder('utf8'); // keeps a character split across chunks whole
    let text = '';
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      text += utf8.write(chunk.subarray(0, n));
      const line = text
        .split('\n')
        .slice(0, -1)
        .find((l) => l.trim() !== '');
      if (line !== undefined) return line;
    }
    return text.trim() === '' ? undefined : text;
  } finally {
    closeSync(fd);
  }
}

/** Frame sequences or audio from `source` as a frames classifier reads them (its JSONL fields, its audio front end). */
function readFrameData(source: string, o: { framesField?: string; labelField?: string; frontEnd?: AudioFrontEndConfig }): ListedFrames {
  if (source === COMMANDS) {
    // Synthesized on first use into a cache (a minute or two), then read like any Speech Commands folder; recorded as 'commands'.
    const dir = commandsDataset({ onProgress: process.stderr.isTTY ? (done, total) => process.stderr.write(`\rsynthesizing the commands dataset: ${done}/${total} clips${done === total ? '\n' : ''}`) : undefined });
    return asTask({ ...readAudioFolder(dir, { frontEnd: o.frontEnd, onProgress: fileProgress(COMMANDS) }), source: COMMANDS }, o.frontEnd);
  }
  if (source in OTHER_SYNTHESIZERS) {
    const dir = commandsTestSet(OTHER_SYNTHESIZERS[source]);
    return asTask({ ...readAudioFolder(dir, { frontEnd: o.frontEnd, onProgress: fileProgress(source) }), source }, o.frontEnd);
  }
  if (classifyInputOf(source, o.framesField) === 'audio') return asTask(readAudioFolder(source, { frontEnd: o.frontEnd, onProgress: fileProgress(source) }), o.frontEnd);
  return framesFromJsonl(readFileSync(source, 'utf8'), source, { framesField: o.framesField, labelField: o.labelField });
}

/** The folder as the front end's task asks (--words: the words, _unknown_ and _silence_), else as it is. */
function asTask(d: AudioSequences, frontEnd?: AudioFrontEndConfig): AudioSequences {
  return frontEnd?.task ? commandTask(d, frontEnd.task, frontEnd) : d;
}

/** A progress line while an audio folder is read (a terminal only). */
function fileProgress(source: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    if (done % 50 === 0 || done === total) process.stderr.write(`\rreading ${source}: ${done}/${total} files${done === total ? '\n' : ''}`);
  };
}

export function runClassifyTraining(f: ClassifyFlags): void {
  if (!f.data) throw new GruError('INVALID_ARGUMENT', '--data is required: a dataset name (spam), a CSV/JSONL file, JSONL frame sequences or a folder of WAV files');
  const t0 = performance.now();
  const input = classifyInputOf(f.data, f.framesField);
  const shared = {
    maxLen: f.maxLen,
    hiddenSize: f.hidden,
    numLayers: f.layers,
    bidirectional: f.unidirectional ? false : f.bidirectional ? true : undefined,
    dropout: f.dropout,
    embeddingDropout: f.embeddingDropout,
    pooling: f.pooling,
    lrSchedule: f.lrSchedule,
    replicas: f.replicas,
    cell: cellFromFlags(f),
    ...trainingOptions(f),
  };
  let r: ReturnType<typeof trainClassifier>, source: string;
  if (input === 'text') {
    if (f.features) throw new GruError('INVALID_ARGUMENT', `--features applies to audio folders; ${f.data} is a table of texts`);
    const table = loadTable(f.data);
    source = table.source;
    r = trainClassifier(table, { textColumn: f.textColumn, labelColumn: f.labelColumn, tokenizer: f.tokenizer, maxVocab: f.vocab, embeddingSize: f.embedding, bagOfWords: f.bagOfWords, ...shared });
  } else {
    for (const [flag, v] of [
      ['--vocab', f.vocab],
      ['--embedding', f.embedding],
      ['--bag-of-words', f.bagOfWords],
    ] as const) {
      if (v !== undefined) throw new GruError('INVALID_ARGUMENT', `${flag} applies to texts; ${f.data} holds ${input === 'audio' ? 'audio' : 'frame sequences'}`);
    }
    const task = f.words ? { words: f.words, ...(f.unknown !== undefined ? { unknownFraction: f.unknown } : {}), ...(f.silence !== undefined ? { silenceFraction: f.silence } : {}) } : undefined;
    if (!task && (f.unknown !== undefined || f.silence !== undefined)) throw new GruError('INVALID_ARGUMENT', '--unknown and --silence go with --words (the words to tell apart)');
    const frontEnd: AudioFrontEndConfig | undefined = input === 'audio' ? { ...DEFAULT_AUDIO_FRONT_END, ...(f.features === 'mfcc' ? { kind: 'mfcc', numCoeffs: 13 } : {}), ...(task ? { task } : {}) } : undefined;
    if (task && input !== 'audio') throw new GruError('INVALID_ARGUMENT', `--words applies to audio folders; ${f.data} holds frame sequences`);
    const d = readFrameData(f.data, { framesField: f.framesField, labelField: f.labelField, frontEnd });
    source = d.source;
    r = trainFrameClassifier(d, { ...shared, augment: f.augment, ...(f.warp === false ? { warp: false } : Array.isArray(f.warp) ? { warp: f.warp } : {}) });
  }
  saveClassifier(r, f.out);
  const seconds = (performance.now() - t0) / 1000;
  const pictures = [...writeLossCurve(`${stem(f.out)}.loss.svg`, r.history, !!f.png, 'validation cross-entropy'), ...writeConfusion(`${stem(f.out)}.confusion.svg`, r.test.confusion, r.test.labels, !!f.png)];
  reportClassify(r.test, { json: f.json, model: f.out, pictures, seconds, source });
}

function reportClassify(ev: ClassifyEvaluation, o: { json?: boolean; model?: string; pictures?: string[]; seconds?: number; source: string }): void {
  if (o.json) {
    console.log(
      JSON.stringify({ task: 'classify', split: ev.split, examples: ev.examples, metrics: ev.metrics, baselines: ev.baselines, confusion: ev.confusion, labels: ev.labels, model: o.model, pictures: o.pictures, seconds: o.seconds }),
    );
    return;
  }
  console.log(`${o.source}, ${ev.split === 'test' ? 'held-out test split' : 'every row'} (${ev.examples} examples):`);
  const row = (name: string, m: { accuracy: number; macroF1: number }) => console.log(`  ${name.padEnd(32)} accuracy ${(100 * m.accuracy).toFixed(2).padStart(6)}%   macro-F1 ${m.macroF1.toFixed(4)}`);
  row('GRU', ev.metrics);
  if (ev.baselines) {
    const scored = Object.entries(ev.baselines) as [ClassifyBaselineName, BaselineScore][];
    for (const [name, s] of scored) row(CLASSIFY_BASELINE_LABELS[name], s);
    const [bestName, best] = scored.reduce((a, b) => (b[1].accuracy > a[1].accuracy ? b : a));
    const gap = 100 * (ev.metrics.accuracy - best.accuracy);
    console.log(`  GRU: ${Math.abs(gap).toFixed(2)} points ${gap >= 0 ? 'above' : 'below'} the best baseline (${CLASSIFY_BASELINE_LABELS[bestName]}) in accuracy`);
  } else if (ev.split === 'all') {
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
  summary: 'classify texts, sequences of numbers or audio',
  addTrainCommand,
  load: loadClassifier,
  exportOnnx: classifierToOnnx,
  module: (c) => c.model,
  evaluate(c, flags) {
    const source = evalSource(flags, c.data);
    let ev: ClassifyEvaluation, read: string;
    if (c.model.config.frames) {
      const d = readFrameData(source, { framesField: c.data?.columns?.frames, labelField: c.data?.columns?.label, frontEnd: c.model.config.audio });
      [ev, read] = [evaluateFramesOn(c, d, { split: flags.split }), d.source];
    } else {
      const table = loadTable(source);
      [ev, read] = [evaluateClassifierOn(c, table, { split: flags.split }), table.source];
    }
    const pictures = typeof flags.confusion === 'string' ? writeConfusion(flags.confusion, ev.confusion, ev.labels, /\.png$/i.test(flags.confusion)) : [];
    reportClassify(ev, { json: flags.json, source: read, pictures });
  },
  evalOptions: [{ flags: '--confusion <file>', description: 'classify: write the confusion matrix picture (SVG; a name ending .png writes a PNG beside it too)' }],
  predict(c, flags) {
    if (flags.stream) {
      if (typeof flags.wav !== 'string') throw new GruError('INVALID_ARGUMENT', '--stream reads a WAV file as a stream: give --wav FILE');
      streamWav(c, flags.wav, { json: !!flags.json, threshold: flags.threshold as number | undefined });
      return;
    }
    if (typeof flags.input === 'string') {
      for (const r of classifyMany(c, flags.input)) console.log(flags.json ? JSON.stringify({ task: 'classify', ...r }) : `${r.label}\t${r.probabilities[r.label].toFixed(3)}`);
      return;
    }
    let r: { label: string; probabilities: Record<string, number> };
    if (typeof flags.wav === 'string') r = classifyAudio(c, readFileSync(flags.wav), flags.wav);
    else if (typeof flags.frames === 'string') r = classifyFrames(c, parseFramesArgument(flags.frames));
    else if (typeof flags.text === 'string') r = classifyText(c, flags.text);
    else
      throw new GruError(
        'INVALID_ARGUMENT',
        c.model.config.audio ? 'this classifier reads audio: give --wav FILE' : c.model.config.frames ? "this classifier reads frames: give --frames '[[…], …]' (or a JSON file)" : 'a text classifier needs --text "…"',
      );
    if (flags.json) console.log(JSON.stringify({ task: 'classify', ...r }));
    else
      console.log(
        `${r.label}\t(${Object.entries(r.probabilities)
          .map(([l, p]) => `${l} ${p.toFixed(3)}`)
          .join(', ')})`,
      );
  },
  predictOptions: [
    { flags: '--text <text>', description: 'the text to classify' },
    { flags: '--frames <json|file>', description: 'frames to classify: a JSON array of frames (arrays of numbers), or a file holding one' },
    { flags: '--wav <file>', description: 'a WAV file to classify (audio classifiers)' },
    { flags: '--input <file>', description: 'many at once, one result a line: a CSV/JSONL file (or - for JSONL on stdin) with the text column (or frames field) the model was trained on' },
    { flags: '--stream', description: 'with --wav: run the file as a stream, one GRU step per 10 ms frame, and print each detected word with its time' },
    { flags: '--threshold <p>', description: 'with --stream: the smallest probability of a detection (default 0.8)', parse: probability },
  ],
  demo: {
    summary: 'a spam filter for the SpamAssassin corpus',
    run(o) {
      console.log('Classifying the SpamAssassin corpus (6,046 emails) as spam or ham; tested on a stratified 20%…');
      runClassifyTraining({ data: 'spam', textColumn: 'text', labelColumn: 'label', tokenizer: 'word', pooling: 'attention', maxLen: 128, epochs: 4, out: join(o.out, 'spam.safetensors'), png: o.png });
    },
  },
};

/** `--frames`: a JSON array of frames, inline or in a file. */
function parseFramesArgument(v: string): number[][] {
  const text = v.trimStart().startsWith('[') ? v : readFileSync(v, 'utf8');
  let frames: unknown;
  try {
    frames = JSON.parse(text);
  } catch (e) {
    throw new GruError('INVALID_ARGUMENT', `--frames: expected a JSON array of frames (arrays of numbers), or a file holding one; ${(e as Error).message}`);
  }
  if (!Array.isArray(frames) || !frames.every((f) => Array.isArray(f))) throw new GruError('INVALID_ARGUMENT', '--frames: expected a JSON array of frames, each an array of numbers');
  return frames as number[][];
}

/** `gru predict --wav FILE --stream`: the file pushed through a {@link KeywordStream} 100 ms at a time; one line (or JSON object) per detection. */
function streamWav(c: TrainedClassifier, path: string, o: { json: boolean; threshold?: number }): void {
  const samples = wavTo16k(readFileSync(path), path);
  const stream = new KeywordStream(c, { threshold: o.threshold });
  const t0 = performance.now();
  let found = 0;
  for (let i = 0; i < samples.length; i += 1600) {
    for (const d of stream.push(samples.subarray(i, i + 1600)).detections) {
      found++;
      if (o.json) console.log(JSON.stringify({ task: 'classify', ...d }));
      else console.log(`${d.start.toFixed(2)}–${d.end.toFixed(2)} s\t${d.label}\t${d.probability.toFixed(3)}`);
    }
  }
  const rtf = (performance.now() - t0) / 1000 / (samples.length / 16000);
  if (!o.json) console.error(`${found} detection(s) in ${(samples.length / 16000).toFixed(2)} s of audio; real-time factor ${rtf.toFixed(4)}`);
}

/**
 * `gru predict --input FILE|-`: every row of a CSV/JSONL file (JSONL on stdin for -), read with the text
 * column or frames field recorded at training, classified in batches; results in row order.
 */
function classifyMany(c: TrainedClassifier, input: string): { label: string; probabilities: Record<string, number> }[] {
  const text = input === '-' ? readFileSync(0, 'utf8') : readFileSync(input, 'utf8');
  const source = input === '-' ? 'stdin' : input;
  if (c.model.config.frames) {
    if (c.model.config.audio) throw new GruError('INVALID_ARGUMENT', 'an audio classifier reads WAV files: give --wav FILE (one at a time)');
    const fields = c.data?.columns;
    // Labels are optional here: rows get a placeholder the reader accepts.
    const d = framesFromJsonl(text, source, { framesField: fields?.frames, labelField: fields?.label, labelOptional: true });
    return d.sequences.map((s) => classifyFrames(c, s));
  }
  const table = input === '-' || /\.jsonl?$/i.test(input) ? parseJsonl(text, source) : parseCsv(text, source);
  const column = c.data?.columns?.text ?? 'text';
  const ti = columnIndex(table, column);
  return classifyTexts(
    c,
    table.rows.map((r, i) => {
      const t = r[ti] ?? '';
      if (t.trim() === '') throw new GruError('INVALID_DATA', `${source}: empty ${column} at data row ${i + 1}`);
      return t;
    }),
  );
}
