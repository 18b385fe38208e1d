/**
 * A folder of labelled audio in the Speech Commands layout (Warden 2018):
 * one subfolder per label holding WAV files; `validation_list.txt` and
 * `testing_list.txt` (paths `label/file.wav`, one a line), when present,
 * name the validation and test files; `_background_noise_/` (any folder
 * starting with `_`) is not a label: its WAVs are noise for augmentation.
 * Every file is decoded (any WAV format the decoder reads), mixed to mono,
 * resampled to 16 kHz and turned into feature frames (log-mel by default;
 * see data/audio/features.ts for the window, hop and bands).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from './audio/wav.js';
import { resampleTo16k } from './audio/resample.js';
import { logMel, mfcc } from './audio/features.js';
import type { FrameSequences } from './frames.js';
import { Rng } from '../tensor/random.js';
import { GruError } from '../errors.js';

/** Which features a model reads from audio (saved in its model file). */
export interface AudioFrontEndConfig {
  kind: 'logmel' | 'mfcc';
  /** Mel bands (default 40). */
  numMels: number;
  /** MFCC coefficients kept (mfcc only; default 13). */
  numCoeffs?: number;
  /** Mel energies below this are raised to it before the log (default 1e-6, the features' own). */
  logFloor?: number;
  /** Frames of the longest training clip (98 for Speech Commands' 1 s clips): the window a stream classifies. */
  windowFrames?: number;
  /** The folder read as Speech Commands' task: these words, `_unknown_` and `_silence_` ({@link commandTask}). */
  task?: CommandTaskOptions;
}

/**
 * The classifiers' default: 40 log-mel bands with the energies floored at 1e-2 before the log. The
 * features' own floor (1e-6) keeps digital silence far below any real background: a model trained on
 * clean clips then fails on faint noise (on the commands data, white noise at −60 dBFS took a model from
 * 98.9% to 28.7%). At 1e-2 silence and faint noise look alike, and held-out voices scored higher too
 * (98.1% against 96.1%; 46.7% against 25.0% on the Flite voices; QUALITY.md).
 */
export const DEFAULT_AUDIO_FRONT_END: AudioFrontEndConfig = { kind: 'logmel', numMels: 40, logFloor: 1e-2 };

/** Labelled audio clips as 16 kHz samples and as feature frames. */
export interface AudioSequences extends FrameSequences {
  /** Each clip's path relative to the folder (`label/file.wav`). */
  files: string[];
  /** Each clip's 16 kHz samples (for augmentation). */
  samples: Float32Array[];
  /** Rows the folder's lists name as validation and test, when it has the lists. */
  listed?: { validation: number[]; test: number[] };
  /** Background noise clips at 16 kHz (from folders starting with `_`). */
  noise: Float32Array[];
  /** How the frames were computed (a classifier trained on them records it, and computes the same from new audio). */
  frontEnd: AudioFrontEndConfig;
}

/** A WAV's bytes → 16 kHz mono samples; `name` appears in errors. */
export function wavTo16k(bytes: Uint8Array, name: string): Float32Array {
  const w = decodeWav(bytes, name);
  return resampleTo16k(w.samples, w.sampleRate);
}

/** The feature frames of 16 kHz samples; a clip shorter than one window (25 ms) gets one frame of its zero-padded start. */
export function audioFeatures(samples: Float32Array, fe: AudioFrontEndConfig): { frames: Float32Array; numFeatures: number } {
  let padded = samples;
  if (padded.length < 400) {
    padded = new Float32Array(400);
    padded.set(samples);
  }
  const floor = fe.logFloor !== undefined ? { logFloor: fe.logFloor } : {};
  const f = fe.kind === 'mfcc' ? mfcc(padded, { numMels: fe.numMels, numCoeffs: fe.numCoeffs ?? 13, ...floor }) : logMel(padded, { numMels: fe.numMels, ...floor });
  return { frames: f.frames, numFeatures: f.numFeatures };
}

/** Reads a Speech Commands–style folder; `onProgress` hears how many files are done. */
export function readAudioFolder(dir: string, o: { frontEnd?: AudioFrontEndConfig; onProgress?: (done: number, total: number) => void } = {}): AudioSequences {
  const fe = o.frontEnd ?? DEFAULT_AUDIO_FRONT_END;
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    throw new GruError('INVALID_DATA', `cannot read the audio folder '${dir}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const isDir = (p: string) => statSync(p).isDirectory();
  const labelDirs = entries.filter((e) => !e.startsWith('_') && !e.startsWith('.') && isDir(join(dir, e)));
  const noiseDirs = entries.filter((e) => e.startsWith('_') && isDir(join(dir, e)));
  const wavsIn = (sub: string) =>
    readdirSync(join(dir, sub))
      .filter((f) => /\.wav$/i.test(f))
      .sort()
      .map((f) => `${sub}/${f}`);
  const files = labelDirs.flatMap(wavsIn);
  if (labelDirs.length < 2 || files.length === 0) {
    throw new GruError('INVALID_DATA', `${dir}: expected one folder of WAV files per label (at least 2 labels), found ${labelDirs.length} label folder(s) and ${files.length} WAV file(s)`);
  }
  const sequences: Float32Array[] = [],
    samples: Float32Array[] = [],
    labels: string[] = [];
  let features = 0;
  files.forEach((rel, i) => {
    const clip = wavTo16k(readFileSync(join(dir, rel)), join(dir, rel));
    const f = audioFeatures(clip, fe);
    features = f.numFeatures;
    samples.push(clip);
    sequences.push(f.frames);
    labels.push(rel.slice(0, rel.indexOf('/')));
    o.onProgress?.(i + 1, files.length);
  });
  const noise = noiseDirs.flatMap(wavsIn).map((rel) => wavTo16k(readFileSync(join(dir, rel)), join(dir, rel)));
  return { features, sequences, labels, source: dir, files, samples, noise, frontEnd: fe, ...listedSplit(dir, files) };
}

/** The rows named by validation_list.txt and testing_list.txt (both or neither); a listed file that is not in the folder is an error. */
function listedSplit(dir: string, files: string[]): { listed?: { validation: number[]; test: number[] } } {
  const [v, t] = ['validation_list.txt', 'testing_list.txt'].map((n) => join(dir, n));
  if (!existsSync(v) && !existsSync(t)) return {};
  const row = new Map(files.map((f, i) => [f, i]));
  const read = (p: string) => {
    if (!existsSync(p)) return [];
    return readFileSync(p, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l, k) => {
        const i = row.get(l);
        if (i === undefined) throw new GruError('INVALID_DATA', `${p}: line ${k + 1} names '${l}', which is not a WAV file in a label folder of ${dir}`);
        return i;
      });
  };
  return { listed: { validation: read(v), test: read(t) } };
}

/** The Speech Commands task's classes on top of the words: how many of each extra class, as fractions of the word clips. */
export interface CommandTaskOptions {
  /** The words to tell apart; clips of every other label become `_unknown_`. */
  words: string[];
  /** `_unknown_` clips kept, as a fraction of the words' clips in each part (default 0.1, as Warden 2018; the rest are dropped). */
  unknownFraction?: number;
  /** `_silence_` clips added, as a fraction of the words' clips in each part (default 0.1): 1 s of background noise at a random volume, or zeros. */
  silenceFraction?: number;
}

/**
 * The 12-class task of Speech Commands (Warden 2018): the chosen words, `_unknown_` for a sample of
 * the other words' clips and `_silence_` clips cut from the background noise, each kept or added
 * per part (training, validation, test) so the listed split stays whole. Which unknown clips stay
 * depends on their file names only (a hash), and the silence on a seed, so eval rebuilds the same rows.
 */
export function commandTask(d: AudioSequences, o: CommandTaskOptions, frontEnd: AudioFrontEndConfig = DEFAULT_AUDIO_FRONT_END): AudioSequences {
  const words = new Set(o.words);
  const missing = o.words.filter((w) => !d.labels.includes(w));
  if (missing.length > 0) throw new GruError('INVALID_DATA', `${d.source}: no clips of ${missing.map((w) => `'${w}'`).join(', ')} (labels: ${[...new Set(d.labels)].join(', ')})`);
  const partOf = new Int8Array(d.labels.length); // 0 train, 1 validation, 2 test
  for (const i of d.listed?.validation ?? []) partOf[i] = 1;
  for (const i of d.listed?.test ?? []) partOf[i] = 2;
  const keep: number[] = [];
  const parts = d.listed ? [0, 1, 2] : [0];
  const silenceCounts: number[] = [];
  for (const part of parts) {
    const inPart = d.labels.map((_, i) => i).filter((i) => partOf[i] === part);
    const known = inPart.filter((i) => words.has(d.labels[i]));
    const others = inPart.filter((i) => !words.has(d.labels[i])).sort((a, b) => nameHash(d.files[a]) - nameHash(d.files[b]) || (d.files[a] < d.files[b] ? -1 : 1));
    keep.push(...known, ...others.slice(0, Math.round((o.unknownFraction ?? 0.1) * known.length)));
    silenceCounts.push(Math.round((o.silenceFraction ?? 0.1) * known.length));
  }
  keep.sort((a, b) => a - b);
  const out: AudioSequences = { ...d, sequences: [], samples: [], labels: [], files: [], ...(d.listed ? { listed: { validation: [], test: [] } } : {}) };
  const add = (seq: Float32Array, clip: Float32Array, label: string, file: string, part: number) => {
    if (part === 1) out.listed!.validation.push(out.labels.length);
    if (part === 2) out.listed!.test.push(out.labels.length);
    out.sequences.push(seq);
    out.samples.push(clip);
    out.labels.push(label);
    out.files.push(file);
  };
  for (const i of keep) add(d.sequences[i], d.samples[i], words.has(d.labels[i]) ? d.labels[i] : '_unknown_', d.files[i], partOf[i]);
  const rng = new Rng(7);
  parts.forEach((part, k) => {
    for (let n = 0; n < silenceCounts[k]; n++) {
      const clip = new Float32Array(16000);
      if (d.noise.length > 0) {
        const src = d.noise[rng.int(d.noise.length)],
          at = rng.int(Math.max(1, src.length - 16000)),
          volume = rng.uniform();
        for (let j = 0; j < 16000 && at + j < src.length; j++) clip[j] = volume * src[at + j];
      }
      add(audioFeatures(clip, frontEnd).frames, clip, '_silence_', `_silence_/${part}-${n}`, part);
    }
  });
  return { ...out, frontEnd: { ...d.frontEnd, task: o } };
}

/** A 32-bit FNV-1a hash of a file name: the order unknown clips are kept in. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
