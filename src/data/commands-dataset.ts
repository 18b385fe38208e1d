/**
 * The `commands` demo data (issue #14): the ten command words of Speech
 * Commands (Warden 2018) — yes, no, up, down, left, right, on, off, stop, go —
 * spoken by synthetic voices, written on first use as a folder in the Speech
 * Commands layout and kept in a cache. Node-only (application layer).
 *
 * ## Synthesizer
 * eSpeak NG compiled to WebAssembly: the npm package `espeak-ng` 1.0.2
 * (GPL-3.0-or-later, a regular dependency of gru-ts; no install script, no
 * network). Its build has no Klatt or MBROLA back end, so voice variants that
 * ask for Klatt fall back to eSpeak's own formant synthesizer. The package is
 * the espeak-ng command-line program; it runs here as `espeak-ng -v
 * ACCENT+VARIANT -a 30 -p PITCH -s RATE -w out.wav WORD` inside worker
 * threads, its memory put back to the state before its first run for every
 * clip (so a clip depends on its own settings only, never on the clips
 * synthesized before it), its clock set per clip from a hash of the clip
 * (eSpeak seeds its random pitch and noise variation from the time), so the
 * data are the same on every machine and every run.
 *
 * ## Voices
 * A voice is an English accent plus a voice variant:
 * - 8 accents: en (British), en-us, en-gb-x-rp (Received Pronunciation),
 *   en-gb-scotland, en-gb-x-gbclan (Lancaster), en-gb-x-gbcwmd (West
 *   Midlands), en-029 (Caribbean), en-us-nyc (New York City).
 * - 89 variants: eSpeak's plain voice ("default") and 88 of the 104 variant
 *   files it ships (m1–m8, f1–f5, croak, whisper, whisperf and the named
 *   ones: Alex, Andy, anika, robosoft, steph, …; the list is
 *   {@link COMMANDS_VARIANTS}). Left out: fast and klatt1–6 (without Klatt
 *   they sound exactly like the plain voice), edward2 and robosoft4 (equal to
 *   edward and robosoft3), and Alicia, caleb, Demonic, kaukovalta,
 *   RicishayMax2, RicishayMax3 and UniRobot, whose words were hard to
 *   recognise: in a check of every variant in all 8 accents (MFCC + DTW
 *   nearest neighbour against the same words by the plain voice, m1–m7,
 *   f1–f5 and croak), each of them had 3 or more of the 10 words taken for
 *   another word in 3 or more accents; of the kept variants, whisperf and Lee
 *   had that in 2 accents, RicishayMax in 1, the others in none.
 * - Variant j speaks in 4 of the 8 accents (accents (3j + {0, 1, 3, 4}) mod 8
 *   in the order above, so every accent has about half the variants): 356
 *   voices. Voice ids are `ACCENT+variant` with the variant in lower case
 *   without spaces (`en-gb-x-rp+mrserious`, `en-us+default`).
 * - Rate and pitch: each voice has its own speaking rate (140, 160, 175, 195
 *   or 220 words per minute; eSpeak's default is 175) and pitch (eSpeak's
 *   `-p` 30, 40, 50, 60 or 70; default 50), picked by a hash of its id; each
 *   clip varies them (rate ×0.93–1.07, pitch ±5), ends in '.', '!' (15%) or
 *   '?' (15%, a rising question) and has its peak at 0.35–0.9 of full scale.
 *   A clip whose speech would last over 0.95 s is spoken again faster.
 *
 * ## Split: whole voices held out
 * Validation and test hold out whole variants, in every accent they speak,
 * so no speaker of the validation or test lists is heard in training (and
 * close relatives, such as Gene and Gene2, stay on one side):
 * - validation ({@link VALIDATION_VARIANTS}): m6, f4, Mario, quincy, anika,
 *   anikaRobot, steph, steph2, steph3 — 36 voices, 360 clips;
 * - test ({@link TEST_VARIANTS}): m3, f2, whisperf, belinda, travis, Gene,
 *   Gene2, Andy, AnxiousAndy — 36 voices, 360 clips;
 * - training: the other 71 variants — 284 voices, 2,840 clips.
 * `validation_list.txt` and `testing_list.txt` name their files
 * (`word/file.wav`, one a line) as in Speech Commands; every other clip is
 * for training.
 *
 * ## The folder
 * `yes/ no/ … go/`: 356 clips each (3,560 in all), `VOICE_nohash_0.wav`, 16 kHz
 * mono 16-bit PCM, exactly 1 s (16,000 samples) with the speech centred
 * (eSpeak speaks at 22,050 Hz; resampled with ../data/audio/resample.ts);
 * `_background_noise_/`: white, pink and brown noise, 20 s each (RMS 0.1);
 * `validation_list.txt`, `testing_list.txt`; `README.md`; `commands.json`
 * (generator version, counts, the voice table; written last, it marks a
 * complete folder). 116 MB (111 MiB). Making it takes about a minute: 56 s
 * of CPU time, 66 s of wall time on a shared 2-core machine (load average
 * 8), with 2 worker threads synthesizing while the main thread resamples
 * and writes.
 *
 * ## The cache
 * `CACHE/commands-v1`, where CACHE is the `cacheDir` option, else
 * `$GRU_TS_CACHE`, else `node_modules/.cache/gru-ts` under the gru-ts package
 * root (else, where that cannot be written, `~/.cache/gru-ts`). The folder is
 * built beside it under a temporary name and renamed into place, so it is
 * complete or absent; a later call whose `commands.json` matches reuses it.
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import * as wavefileModule from 'wavefile';
import { decodeWav } from './audio/wav.js';
import { resampleTo16k } from './audio/resample.js';
import { GruError } from '../errors.js';

/** The ten command words of Speech Commands, in its order. */
export const COMMAND_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] as const;

/** Bumped whenever the generated data change; part of the folder name and of commands.json. */
export const COMMANDS_GENERATOR_VERSION = 1;

/** The synthesizer package (pinned to 1.0.2 in package.json; commands.json records the version that made a folder). */
const SYNTH_PACKAGE = 'espeak-ng';

/** eSpeak NG's English accents (its `-v` voice names). */
export const COMMANDS_ACCENTS = ['en', 'en-us', 'en-gb-x-rp', 'en-gb-scotland', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us-nyc'] as const;

/** eSpeak NG voice variants used ('' is the plain voice, id "default"); see the module notes for those left out. */
export const COMMANDS_VARIANTS: readonly string[] = [
  '', 'Alex', 'Andrea', 'Andy', 'Annie', 'AnxiousAndy', 'Denis', 'Diogo', 'Gene', 'Gene2', 'Henrique', 'Hugo', 'Jacky', 'Lee',
  'Marco', 'Mario', 'Michael', 'Mike', 'Mr serious', 'Nguyen', 'Reed', 'RicishayMax', 'Storm', 'Tweaky', 'adam', 'anika',
  'anikaRobot', 'announcer', 'antonio', 'aunty', 'belinda', 'benjamin', 'boris', 'croak', 'david', 'ed', 'edward', 'f1', 'f2',
  'f3', 'f4', 'f5', 'grandma', 'grandpa', 'gustave', 'ian', 'iven', 'iven2', 'iven3', 'iven4', 'john', 'linda', 'm1', 'm2', 'm3',
  'm4', 'm5', 'm6', 'm7', 'm8', 'marcelo', 'max', 'michel', 'miguel', 'mike2', 'norbert', 'pablo', 'paul', 'pedro', 'quincy',
  'rob', 'robert', 'robosoft', 'robosoft2', 'robosoft3', 'robosoft5', 'robosoft6', 'robosoft7', 'robosoft8', 'sandro', 'shelby',
  'steph', 'steph2', 'steph3', 'travis', 'victor', 'whisper', 'whisperf', 'zac',
];

/** Variants whose voices (every accent) are the validation set. */
export const VALIDATION_VARIANTS: readonly string[] = ['m6', 'f4', 'Mario', 'quincy', 'anika', 'anikaRobot', 'steph', 'steph2', 'steph3'];
/** Variants whose voices (every accent) are the test set. */
export const TEST_VARIANTS: readonly string[] = ['m3', 'f2', 'whisperf', 'belinda', 'travis', 'Gene', 'Gene2', 'Andy', 'AnxiousAndy'];

/** Base speaking rates (words per minute) and pitches (eSpeak's -p, 0–99) a voice draws from. */
const RATES = [140, 160, 175, 195, 220];
const PITCHES = [30, 40, 50, 60, 70];
/** Accent offsets: variant j speaks accents (3j + offset) mod 8. */
const ACCENT_OFFSETS = [0, 1, 3, 4];
/** eSpeak's amplitude (-a, default 100): at 30 the loudest variants peak near 0.8 of full scale instead of clipping. */
const AMPLITUDE = 30;
const SAMPLE_RATE = 16000;
const CLIP_SAMPLES = 16000;
/** Speech longer than this (seconds) is synthesized again, faster. */
const MAX_SPEECH_SECONDS = 0.95;
/** Speech is where 10 ms frames come within this many dB of the loudest frame. */
const SPEECH_DB = 35;
const NOISE_SECONDS = 20;
/** A generation with no word from any worker for this long is given up. */
const STALL_MS = 300_000;

/** One voice of the dataset. */
export interface CommandsVoice {
  /** `ACCENT+variant` (variant lower-cased, spaces removed; "default" for the plain voice): the part of a file name before `_nohash_`. */
  id: string;
  /** eSpeak NG accent (`-v` language). */
  accent: string;
  /** eSpeak NG variant file name ('' for the plain voice). */
  variant: string;
  split: 'train' | 'validation' | 'test';
  /** Base speaking rate, words per minute. */
  rate: number;
  /** Base pitch, eSpeak's -p (0–99). */
  pitch: number;
}

/** Options of {@link commandsDataset}. */
export interface CommandsDatasetOptions {
  /** Folder that holds the dataset folder (`commands-v1`). Default `$GRU_TS_CACHE`, else `node_modules/.cache/gru-ts` under the package root. */
  cacheDir?: string;
  /** Hears progress while the clips are synthesized: clips done, clips in all. Not called when the cache is reused. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Only this many voices (at least 3; some of each split), in a folder of
   * their own (`commands-v1-N`): a small, quick dataset for tests. Default:
   * all {@link commandsVoices}.
   */
  voices?: number;
}

/** What commands.json records (it also marks a complete folder). */
interface Marker {
  generator: string;
  version: number;
  synthesizer: { package: string; version: string };
  sampleRate: number;
  clipSamples: number;
  words: string[];
  voices: number;
  clips: { total: number; train: number; validation: number; test: number };
  /** Clips spoken again faster to fit 0.95 s, and clips whose speech still overran 1 s and lost its edges. */
  respoken: number;
  trimmed: number;
  noise: string[];
  seconds: number;
  voiceTable: CommandsVoice[];
}

/** 32-bit FNV-1a hash of a string. @internal (also used by ./commands-other.ts) */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mulberry32: a small seeded generator of uniforms in [0, 1). @internal */
export function uniforms(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const variantSlug = (v: string): string => (v === '' ? 'default' : v.toLowerCase().replace(/[^a-z0-9]/g, ''));

/**
 * Every voice of the dataset, in the order a `voices` subset takes them
 * (first one accent of every variant, then a second, …), with its split and
 * base rate and pitch.
 */
export function commandsVoices(): CommandsVoice[] {
  const validation = new Set(VALIDATION_VARIANTS), test = new Set(TEST_VARIANTS);
  const out: CommandsVoice[] = [];
  for (const offset of ACCENT_OFFSETS) {
    COMMANDS_VARIANTS.forEach((variant, j) => {
      const accent = COMMANDS_ACCENTS[(3 * j + offset) % COMMANDS_ACCENTS.length];
      const id = `${accent}+${variantSlug(variant)}`;
      const h = hash32(id);
      const split = validation.has(variant) ? 'validation' : test.has(variant) ? 'test' : 'train';
      out.push({ id, accent, variant, split, rate: RATES[h % RATES.length], pitch: PITCHES[(h >>> 8) % PITCHES.length] });
    });
  }
  return out;
}

/** The voices of a `voices: n` subset: about a tenth each for validation and test (at least one), the rest training, in catalogue order. */
function pickVoices(n: number | undefined): CommandsVoice[] {
  const all = commandsVoices();
  if (n === undefined || n >= all.length) return all;
  if (!Number.isInteger(n) || n < 3) throw new GruError('INVALID_ARGUMENT', `commandsDataset: voices must be a whole number ≥ 3 (some for training, validation and test), got ${n}`);
  const nVal = Math.max(1, Math.round(n / 10)), nTest = Math.max(1, Math.round(n / 10));
  const take = (split: CommandsVoice['split'], k: number) => all.filter((v) => v.split === split).slice(0, k);
  const chosen = new Set([...take('train', n - nVal - nTest), ...take('validation', nVal), ...take('test', nTest)]);
  return all.filter((v) => chosen.has(v));
}

/** A clip to synthesize: its espeak-ng arguments and what the file gets. */
interface Job {
  index: number;
  word: string;
  voice: CommandsVoice;
  file: string;
  /** espeak-ng arguments before -s and the text. */
  args: string[];
  rate: number;
  text: string;
  clock: number;
  level: number;
}

function jobsFor(voices: CommandsVoice[]): Job[] {
  const jobs: Job[] = [];
  for (const voice of voices) {
    for (const word of COMMAND_WORDS) {
      const u = uniforms(hash32(`${voice.id}/${word}`));
      const rate = Math.round(voice.rate * (0.93 + 0.14 * u()));
      const pitch = Math.min(99, Math.max(0, Math.round(voice.pitch - 5 + 10 * u())));
      const p = u();
      const text = word + (p < 0.7 ? '.' : p < 0.85 ? '!' : '?');
      const level = 0.35 + 0.55 * u();
      const clock = 1.6e12 + Math.floor(u() * 1e11);
      const v = voice.variant === '' ? voice.accent : `${voice.accent}+${voice.variant}`;
      jobs.push({ index: jobs.length, word, voice, file: `${word}/${voice.id}_nohash_0.wav`, args: ['-v', v, '-a', String(AMPLITUDE), '-p', String(pitch)], rate, text, clock, level });
    }
  }
  return jobs;
}

// `wavefile` comes as an ES module to bundlers and as a UMD bundle to Node (see ./audio/wav.ts).
interface WaveWriter {
  fromScratch(channels: number, sampleRate: number, bitDepth: string, samples: Int16Array): void;
  toBuffer(): Uint8Array;
}
const wavefileExports = wavefileModule as unknown as { WaveFile?: new () => WaveWriter; default?: { WaveFile?: new () => WaveWriter } };
const WaveFile = (wavefileExports.WaveFile ?? wavefileExports.default?.WaveFile) as new () => WaveWriter;

/** 16 kHz mono 16-bit PCM WAV bytes of samples in [−1, 1]. @internal */
export function wavBytes(samples: Float32Array): Uint8Array {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767)));
  const w = new WaveFile();
  w.fromScratch(1, SAMPLE_RATE, '16', pcm);
  return w.toBuffer();
}

/** [start, end) sample range of the speech: 10 ms frames within SPEECH_DB of the loudest; null when silent. */
function speechExtent(x: Float32Array, frame: number): [number, number] | null {
  const n = Math.floor(x.length / frame);
  const rms = new Float64Array(n);
  let max = 0;
  for (let f = 0; f < n; f++) {
    let s = 0;
    for (let i = f * frame; i < (f + 1) * frame; i++) s += x[i] * x[i];
    rms[f] = Math.sqrt(s / frame);
    if (rms[f] > max) max = rms[f];
  }
  if (!(max > 1e-4)) return null;
  const threshold = max * 10 ** (-SPEECH_DB / 20);
  let a = 0, b = n - 1;
  while (rms[a] < threshold) a++;
  while (rms[b] < threshold) b--;
  return [a * frame, (b + 1) * frame];
}

/**
 * eSpeak's WAV bytes → samples and rate. Its files are plain 44-byte-header
 * 16-bit mono PCM, read here directly (faster); anything else goes through
 * {@link decodeWav}.
 */
function readSynthWav(wav: Uint8Array, name: string): { samples: Float32Array; sampleRate: number } {
  const dv = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number) => String.fromCharCode(wav[at], wav[at + 1], wav[at + 2], wav[at + 3]);
  const plain = wav.length >= 44 && tag(0) === 'RIFF' && tag(8) === 'WAVE' && tag(12) === 'fmt ' && dv.getUint32(16, true) === 16 && dv.getUint16(20, true) === 1 && dv.getUint16(22, true) === 1 && dv.getUint16(34, true) === 16 && tag(36) === 'data';
  if (!plain) return decodeWav(wav, name);
  const n = Math.floor(Math.min(dv.getUint32(40, true), wav.length - 44) / 2);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) samples[i] = dv.getInt16(44 + 2 * i, true) / 32768;
  return { samples, sampleRate: dv.getUint32(24, true) };
}

/** A synthesizer's WAV → exactly 1 s at 16 kHz, speech centred, peak at `level`; `trimmed` when the speech was longer than 1 s. @internal */
export function shapeClip(wav: Uint8Array, name: string, level: number, who = 'commandsDataset'): { clip: Float32Array; trimmed: boolean } {
  const { samples, sampleRate } = readSynthWav(wav, name);
  const x = resampleTo16k(samples, sampleRate);
  const extent = speechExtent(x, SAMPLE_RATE / 100);
  if (!extent) throw new GruError('UNSUPPORTED', `${who}: the synthesizer produced silence for ${name}`);
  const offset = Math.round(CLIP_SAMPLES / 2 - (extent[0] + extent[1]) / 2);
  const clip = new Float32Array(CLIP_SAMPLES);
  let peak = 0;
  for (let i = Math.max(0, -offset); i < x.length && i + offset < CLIP_SAMPLES; i++) {
    clip[i + offset] = x[i];
    peak = Math.max(peak, Math.abs(x[i]));
  }
  const gain = level / peak;
  for (let i = 0; i < CLIP_SAMPLES; i++) clip[i] *= gain;
  return { clip, trimmed: extent[1] - extent[0] > CLIP_SAMPLES };
}

/** White, pink (Paul Kellet's filter) and brown (leaky integral) noise, seeded, RMS 0.1. */
function noiseClips(): { name: string; samples: Float32Array }[] {
  const n = NOISE_SECONDS * SAMPLE_RATE;
  const gauss = (u: () => number) => () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const make = (name: string, seed: number, filter: (w: number) => number) => {
    const g = gauss(uniforms(seed));
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = filter(g());
    let mean = 0;
    for (const v of x) mean += v / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      x[i] -= mean;
      ss += x[i] * x[i];
    }
    const k = 0.1 / Math.sqrt(ss / n);
    for (let i = 0; i < n; i++) x[i] = Math.max(-1, Math.min(1, x[i] * k));
    return { name, samples: x };
  };
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, brown = 0;
  return [
    make('white_noise.wav', 1, (w) => w),
    make('pink_noise.wav', 2, (w) => {
      b0 = 0.99886 * b0 + w * 0.0555179;
      b1 = 0.99332 * b1 + w * 0.0750759;
      b2 = 0.969 * b2 + w * 0.153852;
      b3 = 0.8665 * b3 + w * 0.3104856;
      b4 = 0.55 * b4 + w * 0.5329522;
      b5 = -0.7616 * b5 - w * 0.016898;
      const y = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
      b6 = w * 0.115926;
      return y;
    }),
    make('brown_noise.wav', 3, (w) => {
      brown = 0.998 * brown + 0.05 * w;
      return brown;
    }),
  ];
}

/**
 * The synthesizer, run in worker threads (plain JavaScript: a worker cannot
 * load this TypeScript file under tsx). It loads the espeak-ng program
 * (Emscripten: JS glue + WASM), keeps a copy of its memory from before the
 * first run, and for each job puts that memory back, runs `main` with the
 * job's arguments and posts the WAV bytes (or an error message, then
 * stops); speech longer than maxSeconds is spoken again faster. Every post
 * bumps signal[0] and wakes the main thread.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { port, signal, glueUrl, wasmPath, jobs, maxSeconds, speechDb } = workerData;
const post = (message, transfer) => { port.postMessage(message, transfer); Atomics.add(signal, 0, 1); Atomics.notify(signal, 0); };
function speechSeconds(wav) {
  const rate = new DataView(wav.buffer, wav.byteOffset).getUint32(24, true);
  const x = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - (wav.length - 44) % 2));
  const frame = Math.round(rate / 100), n = Math.floor(x.length / frame), rms = new Float64Array(n);
  let max = 0;
  for (let f = 0; f < n; f++) { let s = 0; for (let i = f * frame; i < (f + 1) * frame; i++) s += x[i] * x[i]; rms[f] = Math.sqrt(s / frame); max = Math.max(max, rms[f]); }
  if (!(max > 0)) return 0;
  const t = max * Math.pow(10, -speechDb / 20);
  let a = 0, b = n - 1;
  while (rms[a] < t) a++;
  while (rms[b] < t) b--;
  return (b + 1 - a) * frame / rate;
}
(async () => {
  try {
    const { default: ESpeakNg } = await import(glueUrl);
    const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
    let clock = 0, wasm = null;
    const log = [];
    const Module = await ESpeakNg({
      noInitialRun: true,
      print: (s) => log.push(s),
      printErr: (s) => log.push(s),
      instantiateWasm(imports, receive) {
        imports.env.emscripten_date_now = () => clock;
        imports.env.emscripten_get_now = () => clock;
        const instance = new WebAssembly.Instance(wasmModule, imports);
        receive(instance, wasmModule);
        wasm = instance.exports;
        return wasm;
      },
    });
    const pristine = new Uint8Array(wasm.memory.buffer).slice();
    const encoder = new TextEncoder();
    const speak = (args) => {
      new Uint8Array(wasm.memory.buffer).set(pristine);
      log.length = 0;
      try { Module.FS.unlink('/out.wav'); } catch {}
      const argv = ['espeak-ng', ...args, '-w', '/out.wav'];
      const sp = wasm.stackSave();
      const ptrs = argv.map((a) => { const b = encoder.encode(a + '\\0'); const p = wasm.malloc(b.length); new Uint8Array(wasm.memory.buffer).set(b, p); return p; });
      const table = wasm.malloc(4 * (ptrs.length + 1));
      const view = new Uint32Array(wasm.memory.buffer, table, ptrs.length + 1);
      ptrs.forEach((p, i) => { view[i] = p; });
      view[ptrs.length] = 0;
      let status;
      try { status = wasm.__main_argc_argv(ptrs.length, table); }
      catch (e) { if (e && e.name === 'ExitStatus') status = e.status; else throw e; }
      finally { wasm.stackRestore(sp); }
      if (status !== 0) return 'espeak-ng ' + args.join(' ') + ' exited with status ' + status + (log.length ? ': ' + log.join(' ') : '');
      return Module.FS.readFile('/out.wav');
    };
    for (const job of jobs) {
      let rate = job.rate, wav;
      for (let attempt = 0; ; attempt++) {
        clock = job.clock;
        wav = speak([...job.args, '-s', String(rate), job.text]);
        if (typeof wav === 'string') { post({ error: wav }); return; }
        const seconds = speechSeconds(wav);
        if (seconds <= maxSeconds || attempt === 3 || rate >= 450) break;
        rate = Math.min(450, Math.ceil(rate * seconds / (0.9 * maxSeconds)));
      }
      post({ index: job.index, wav, rate }, [wav.buffer]);
    }
    post({ done: true });
  } catch (e) {
    post({ error: String((e && e.stack) || e) });
  }
})();
`;

/** The espeak-ng program: its JS glue and WASM file, and its version. */
function synthesizerFiles(): { glue: string; wasm: string; version: string } {
  const require = createRequire(import.meta.url);
  let glue: string;
  try {
    glue = require.resolve(SYNTH_PACKAGE);
  } catch {
    throw new GruError('UNSUPPORTED', `the commands dataset is synthesized with the npm package ${SYNTH_PACKAGE}, which is not installed (gru-ts lists its demo data as development dependencies; eSpeak NG is GPL-3.0); install it with: npm install ${SYNTH_PACKAGE}@1.0.2`);
  }
  const version = (JSON.parse(readFileSync(join(dirname(glue), '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { glue, wasm: join(dirname(glue), 'espeak-ng.wasm'), version };
}

/** Synthesizes `jobs` on worker threads, handing each clip's WAV bytes (in job order per worker) to `onClip`; blocks until done. */
function synthesize(jobs: Job[], onClip: (job: Job, wav: Uint8Array, rate: number) => void): void {
  const files = synthesizerFiles();
  const count = Math.max(1, Math.min(2, availableParallelism(), jobs.length));
  runSynthWorkers(count, (k, port, signal) => {
    const mine = jobs.filter((_, i) => Math.floor(i / COMMAND_WORDS.length) % count === k).map((j) => ({ index: j.index, args: j.args, rate: j.rate, text: j.text, clock: j.clock }));
    const workerData = { port, signal, glueUrl: pathToFileURL(files.glue).href, wasmPath: files.wasm, jobs: mine, maxSeconds: MAX_SPEECH_SECONDS, speechDb: SPEECH_DB };
    return new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData, transferList: [port] });
  }, (index, wav, rate) => onClip(jobs[index], wav, rate), 'commandsDataset');
}

/**
 * Starts `count` synthesis workers (`start(k, port, signal)` makes worker k, which posts `{ index, wav,
 * rate }` per clip, then `{ done }`, or `{ error }` on `port`, and notifies `signal`) and hands each clip to
 * `onClip` as it arrives; blocks until every worker is done. A worker's error, or none answering for
 * STALL_MS, is a GruError naming `who`. The workers end either way. @internal
 */
export function runSynthWorkers(count: number, start: (k: number, port: MessagePort, signal: Int32Array) => Worker, onClip: (index: number, wav: Uint8Array, rate: number) => void, who: string): void {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const workers: Worker[] = [];
  const ports: MessagePort[] = [];
  try {
    for (let k = 0; k < count; k++) {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      workers.push(start(k, port2, signal));
    }
    let consumed = 0, finished = 0, last = Date.now();
    while (finished < count) {
      let got = false;
      for (const port of ports) {
        for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
          got = true;
          consumed++;
          const msg = m.message as { error?: string; done?: boolean; index: number; wav: Uint8Array; rate: number };
          if (msg.error) throw new GruError('UNSUPPORTED', `${who}: speech synthesis failed: ${msg.error}`);
          if (msg.done) finished++;
          else onClip(msg.index, msg.wav, msg.rate);
        }
      }
      if (got) last = Date.now();
      else if (Date.now() - last > STALL_MS) throw new GruError('UNSUPPORTED', `${who}: the speech synthesizer stopped answering (nothing for ${STALL_MS / 1000} s)`);
      else Atomics.wait(signal, 0, consumed, 1000);
    }
  } finally {
    for (const w of workers) void w.terminate();
    for (const p of ports) p.close();
  }
}

/** The cache folder that holds `commands-v1`: the option, $GRU_TS_CACHE, or node_modules/.cache/gru-ts under the package root. @internal */
export function cacheRoot(option: string | undefined): string {
  if (option) return option;
  if (process.env.GRU_TS_CACHE) return process.env.GRU_TS_CACHE;
  const inPackage = join(fileURLToPath(new URL('../../', import.meta.url)), 'node_modules', '.cache', 'gru-ts');
  try {
    mkdirSync(inPackage, { recursive: true });
    return inPackage;
  } catch {
    return join(homedir(), '.cache', 'gru-ts');
  }
}

function readMarker(dir: string): Marker | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'commands.json'), 'utf8')) as Marker;
  } catch {
    return null;
  }
}

/** Whether a folder's commands.json says it holds exactly `voices`, made by this generator version. */
function markerFits(m: Marker | null, voices: CommandsVoice[]): boolean {
  if (m === null || m.version !== COMMANDS_GENERATOR_VERSION || m.voices !== voices.length || m.clips?.total !== voices.length * COMMAND_WORDS.length) return false;
  const ids = Array.isArray(m.voiceTable) ? m.voiceTable.map((v) => v?.id) : [];
  return ids.length === voices.length && voices.every((v, i) => v.id === ids[i]);
}

/** Removes temporary build folders of `name` left by processes that no longer run. @internal */
/**
 * Moves a finished build folder `tmp` into place at `target`: an older or partial folder there is moved
 * aside to `aside` first; if another process put a complete one there meanwhile (`complete()`), that one
 * is kept. @internal
 */
export function publishFolder(tmp: string, target: string, aside: string, complete: () => boolean, who: string): void {
  if (existsSync(target) && !complete()) {
    try {
      renameSync(target, aside);
    } catch {
      // another process moved it
    }
  }
  try {
    renameSync(tmp, target);
  } catch (e) {
    if (!complete()) throw new GruError('UNSUPPORTED', `${who}: cannot move the new build into ${target}: ${(e as Error).message}`);
  }
}

export function removeStaleBuilds(root: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = new RegExp(`^\\.${name}\\.(?:tmp|old)-(\\d+)-`).exec(e);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) rmSync(join(root, e), { recursive: true, force: true });
  }
}

function readme(voices: CommandsVoice[], marker: Marker): string {
  const bySplit = (s: CommandsVoice['split']) => [...new Set(voices.filter((v) => v.split === s).map((v) => variantSlug(v.variant)))].join(', ');
  return `# commands: the ten Speech Commands words, synthesized

Made by gru-ts (src/data/commands-dataset.ts, generator version ${marker.version}) with eSpeak NG
(npm ${marker.synthesizer.package} ${marker.synthesizer.version}): ${marker.words.join(', ')},
spoken by ${marker.voices} voices (an English accent + an eSpeak voice variant; the id before
\`_nohash_\` in a file name), one clip per voice and word: ${marker.clips.total} clips,
16 kHz mono 16-bit, 1 s each, speech centred. commands.json lists every voice with its
accent, variant, base rate (words per minute) and pitch.

Split by whole voice variants (every accent they speak):
- validation_list.txt (${marker.clips.validation} clips): ${bySplit('validation')}
- testing_list.txt (${marker.clips.test} clips): ${bySplit('test')}
- training (${marker.clips.train} clips): every other file.

_background_noise_/: ${marker.noise.join(', ')} (${NOISE_SECONDS} s each), for noise augmentation.
`;
}

/**
 * The `commands` dataset folder (Speech Commands layout; see the module
 * notes for the voices, split and counts), synthesized on first use — about
 * a minute of CPU time for all 356 voices — and reused from the cache
 * afterwards. Blocks until the folder is ready.
 *
 * @returns the folder: `yes/ … go/` of `VOICE_nohash_0.wav`, `_background_noise_/`,
 *   `validation_list.txt`, `testing_list.txt`, `README.md`, `commands.json`.
 * @throws {GruError} `INVALID_ARGUMENT` for a bad `voices` count; `UNSUPPORTED`
 *   when the espeak-ng package is missing or the synthesis fails.
 *
 * @example
 * ```ts
 * const dir = commandsDataset({ onProgress: (done, total) => bar.update(done / total) });
 * const data = readAudioFolder(dir);
 * ```
 */
export function commandsDataset(o: CommandsDatasetOptions = {}): string {
  const voices = pickVoices(o.voices);
  const root = cacheRoot(o.cacheDir);
  const name = `commands-v${COMMANDS_GENERATOR_VERSION}${voices.length === commandsVoices().length ? '' : `-${voices.length}`}`;
  const target = join(root, name);
  if (markerFits(readMarker(target), voices)) return target;

  mkdirSync(root, { recursive: true });
  removeStaleBuilds(root, name);
  const unique = `${process.pid}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const tmp = join(root, `.${name}.tmp-${unique}`);
  const started = Date.now();
  try {
    mkdirSync(tmp);
    for (const w of COMMAND_WORDS) mkdirSync(join(tmp, w));
    const jobs = jobsFor(voices);
    let done = 0, respoken = 0, trimmed = 0;
    o.onProgress?.(0, jobs.length);
    synthesize(jobs, (job, wav, rate) => {
      const { clip, trimmed: cut } = shapeClip(wav, `${job.file} (espeak-ng ${job.args.join(' ')} -s ${rate} ${job.text})`, job.level);
      if (rate !== job.rate) respoken++;
      if (cut) trimmed++;
      writeFileSync(join(tmp, job.file), wavBytes(clip));
      o.onProgress?.(++done, jobs.length);
    });

    const noiseDir = join(tmp, '_background_noise_');
    mkdirSync(noiseDir);
    const noise = noiseClips();
    for (const n of noise) writeFileSync(join(noiseDir, n.name), wavBytes(n.samples));
    const list = (split: CommandsVoice['split']) => jobs.filter((j) => j.voice.split === split).map((j) => j.file).sort();
    const validation = list('validation'), test = list('test');
    writeFileSync(join(tmp, 'validation_list.txt'), validation.map((f) => `${f}\n`).join(''));
    writeFileSync(join(tmp, 'testing_list.txt'), test.map((f) => `${f}\n`).join(''));
    const marker: Marker = {
      generator: 'gru-ts commandsDataset',
      version: COMMANDS_GENERATOR_VERSION,
      synthesizer: { package: SYNTH_PACKAGE, version: synthesizerFiles().version },
      sampleRate: SAMPLE_RATE,
      clipSamples: CLIP_SAMPLES,
      words: [...COMMAND_WORDS],
      voices: voices.length,
      clips: { total: jobs.length, train: jobs.length - validation.length - test.length, validation: validation.length, test: test.length },
      respoken,
      trimmed,
      noise: noise.map((n) => n.name),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      voiceTable: voices,
    };
    writeFileSync(join(tmp, 'README.md'), readme(voices, marker));
    writeFileSync(join(tmp, 'commands.json'), `${JSON.stringify(marker, null, 1)}\n`);

    publishFolder(tmp, target, join(root, `.${name}.old-${unique}`), () => markerFits(readMarker(target), voices), 'commandsDataset');
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(join(root, `.${name}.old-${unique}`), { recursive: true, force: true });
  }
}
