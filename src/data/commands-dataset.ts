/**
 * The `commands` demo data (issue #14): the ten command words of Speech
 * Commands (Warden 2018) — yes, no, up, down, left, right, on, off, stop, go —
 * spoken by synthetic voices of two synthesizers, written on first use as a
 * folder in the Speech Commands layout and kept in a cache. Node-only
 * (application layer).
 *
 * ## Synthesizer: eSpeak NG
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
 * ## Synthesizer: SVOX Pico (training only)
 * A second synthesizer family, so that a model does not learn one
 * synthesizer's sound instead of the words (issue #14): SVOX Pico (Android's
 * HMM-based statistical parametric synthesizer, 16 kHz) compiled to
 * WebAssembly, the npm package `@echogarden/svoxpico-wasm` 0.2.0 (Apache-2.0;
 * a development dependency; no install script, no network). The package
 * holds the engine only: its English voice data ("lingware": `en-US_ta.bin`,
 * `en-US_lh0_sg.bin`, `en-GB_ta.bin`, `en-GB_kh0_sg.bin`, 2.4 MB) is read
 * from `$GRU_TS_PICO_LANG`, else the repository's `data/svox-pico` (copied
 * from Debian's `libttspico-data`; its README.md gives the provenance and
 * licence), else `/usr/share/pico/lang` (where that package puts it). Each
 * worker loads both voices once, keeps a copy of the engine's memory from
 * before the first clip and puts it back for every clip (so a clip depends
 * on its own settings only, and the bytes are the same on every run).
 * Voices ({@link PICO_VOICES}): Pico's two English voices (en-US and en-GB,
 * both female) × 5 pitches (Pico's `<pitch level>` 60, 80, 100, 125, 150 %:
 * about 90–250 Hz) × 3 speeds (`<speed level>` 80, 100, 125 %): 30 voices,
 * 300 clips, all of them training data (in neither list, so the held-out
 * eSpeak voices stay the test). Per clip: speed ×0.93–1.07, pitch ±5%,
 * '.', '!' or '?', peak at 0.35–0.9, markup
 * `<volume level="30"><pitch level="P"><speed level="S">word.</speed></pitch></volume>`
 * (volume 30 keeps the loudest clips below full scale). Ids `pico-en-us+p80s100`.
 *
 * ## Split: whole voices held out
 * Validation and test hold out whole variants, in every accent they speak,
 * so no speaker of the validation or test lists is heard in training (and
 * close relatives, such as Gene and Gene2, stay on one side):
 * - validation ({@link VALIDATION_VARIANTS}): m6, f4, Mario, quincy, anika,
 *   anikaRobot, steph, steph2, steph3 — 36 voices, 360 clips;
 * - test ({@link TEST_VARIANTS}): m3, f2, whisperf, belinda, travis, Gene,
 *   Gene2, Andy, AnxiousAndy — 36 voices, 360 clips;
 * - training: the other 71 variants — 284 voices, 2,840 clips — and the 30
 *   Pico voices, 300 clips: 3,140 clips.
 * `validation_list.txt` and `testing_list.txt` name their files
 * (`word/file.wav`, one a line) as in Speech Commands; every other clip is
 * for training.
 *
 * ## The folder
 * `yes/ no/ … go/`: 386 clips each (3,860 in all), `VOICE_nohash_0.wav`, 16 kHz
 * mono 16-bit PCM, exactly 1 s (16,000 samples) with the speech centred
 * (eSpeak speaks at 22,050 Hz; resampled with ../data/audio/resample.ts;
 * Pico at 16 kHz);
 * `_background_noise_/`: white, pink and brown noise, 20 s each (RMS 0.1);
 * `validation_list.txt`, `testing_list.txt`; `README.md`; `commands.json`
 * (generator version, counts, the voice table; written last, it marks a
 * complete folder). 126 MB (120 MiB). Making it takes about a minute: 74 s
 * of CPU time, 51 s of wall time on a shared 2-core machine (load average
 * 6; the 300 Pico clips 7 s of it), with 2 worker threads synthesizing
 * while the main thread resamples and writes.
 *
 * ## The cache
 * `CACHE/commands-v2`, where CACHE is the `cacheDir` option, else
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
export const COMMANDS_GENERATOR_VERSION = 2;

/** The synthesizer package (pinned to 1.0.2 in package.json; commands.json records the version that made a folder). */
const SYNTH_PACKAGE = 'espeak-ng';
/** The second synthesizer's package (pinned to 0.2.0); its voice data come from {@link picoLingwareDir}. */
const PICO_PACKAGE = '@echogarden/svoxpico-wasm';

/** eSpeak NG's English accents (its `-v` voice names). */
export const COMMANDS_ACCENTS = ['en', 'en-us', 'en-gb-x-rp', 'en-gb-scotland', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us-nyc'] as const;

/** eSpeak NG voice variants used ('' is the plain voice, id "default"); see the module notes for those left out. */
export const COMMANDS_VARIANTS: readonly string[] = [
  '',
  'Alex',
  'Andrea',
  'Andy',
  'Annie',
  'AnxiousAndy',
  'Denis',
  'Diogo',
  'Gene',
  'Gene2',
  'Henrique',
  'Hugo',
  'Jacky',
  'Lee',
  'Marco',
  'Mario',
  'Michael',
  'Mike',
  'Mr serious',
  'Nguyen',
  'Reed',
  'RicishayMax',
  'Storm',
  'Tweaky',
  'adam',
  'anika',
  'anikaRobot',
  'announcer',
  'antonio',
  'aunty',
  'belinda',
  'benjamin',
  'boris',
  'croak',
  'david',
  'ed',
  'edward',
  'f1',
  'f2',
  'f3',
  'f4',
  'f5',
  'grandma',
  'grandpa',
  'gustave',
  'ian',
  'iven',
  'iven2',
  'iven3',
  'iven4',
  'john',
  'linda',
  'm1',
  'm2',
  'm3',
  'm4',
  'm5',
  'm6',
  'm7',
  'm8',
  'marcelo',
  'max',
  'michel',
  'miguel',
  'mike2',
  'norbert',
  'pablo',
  'paul',
  'pedro',
  'quincy',
  'rob',
  'robert',
  'robosoft',
  'robosoft2',
  'robosoft3',
  'robosoft5',
  'robosoft6',
  'robosoft7',
  'robosoft8',
  'sandro',
  'shelby',
  'steph',
  'steph2',
  'steph3',
  'travis',
  'victor',
  'whisper',
  'whisperf',
  'zac',
];

/** Variants whose voices (every accent) are the validation set. */
export const VALIDATION_VARIANTS: readonly string[] = ['m6', 'f4', 'Mario', 'quincy', 'anika', 'anikaRobot', 'steph', 'steph2', 'steph3'];
/** Variants whose voices (every accent) are the test set. */
export const TEST_VARIANTS: readonly string[] = ['m3', 'f2', 'whisperf', 'belinda', 'travis', 'Gene', 'Gene2', 'Andy', 'AnxiousAndy'];

/** SVOX Pico's English voices: its accent name and the two lingware files (text analysis, signal generation) each needs. */
export const PICO_VOICES: readonly { accent: string; ta: string; sg: string }[] = [
  { accent: 'en-US', ta: 'en-US_ta.bin', sg: 'en-US_lh0_sg.bin' },
  { accent: 'en-GB', ta: 'en-GB_ta.bin', sg: 'en-GB_kh0_sg.bin' },
];
/** Pico's `<pitch level>` (percent of the voice's own; 50–200) and `<speed level>` (percent; 20–500): every voice gets each pair. */
const PICO_PITCHES = [60, 80, 100, 125, 150];
const PICO_SPEEDS = [80, 100, 125];
/** Pico's `<volume level>` (percent): at 30 the loudest clips peak near 0.7 of full scale; at 100 many clip. */
const PICO_VOLUME = 30;
/** Bytes of memory each Pico system (one voice's lingware and engine) gets. */
const PICO_MEMORY = 3_000_000;

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
  /**
   * `ACCENT+variant` (variant lower-cased, spaces removed; "default" for the plain voice), or
   * `pico-ACCENT+pPITCHsSPEED` for Pico: the part of a file name before `_nohash_`.
   */
  id: string;
  /** Which synthesizer speaks: eSpeak NG or SVOX Pico. */
  synthesizer: 'espeak-ng' | 'svoxpico';
  /** eSpeak NG accent (`-v` language); Pico: its voice, `en-US` or `en-GB`. */
  accent: string;
  /** eSpeak NG variant file name ('' for the plain voice); Pico: ''. */
  variant: string;
  split: 'train' | 'validation' | 'test';
  /** Base speaking rate: eSpeak, words per minute; Pico, `<speed level>` in percent. */
  rate: number;
  /** Base pitch: eSpeak's -p (0–99); Pico, `<pitch level>` in percent. */
  pitch: number;
}

/** Options of {@link commandsDataset}. */
export interface CommandsDatasetOptions {
  /** Folder that holds the dataset folder (`commands-v2`). Default `$GRU_TS_CACHE`, else `node_modules/.cache/gru-ts` under the package root. */
  cacheDir?: string;
  /** Hears progress while the clips are synthesized: clips done, clips in all. Not called when the cache is reused. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Only this many voices (at least 3; some of each split), in a folder of
   * their own (`commands-v2-N`): a small, quick dataset for tests, whose
   * training voices include Pico voices in proportion (at least one when
   * there are two or more). Default: all {@link commandsVoices}.
   */
  voices?: number;
}

/** What commands.json records (it also marks a complete folder). */
interface Marker {
  generator: string;
  version: number;
  /** The synthesizer packages and their versions (eSpeak NG, then SVOX Pico). */
  synthesizers: { package: string; version: string }[];
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
 * Every voice of the dataset, in the order a `voices` subset takes them:
 * the eSpeak voices (first one accent of every variant, then a second, …),
 * then the Pico voices (every voice at one pitch and speed, then the next),
 * with its split and base rate and pitch.
 */
export function commandsVoices(): CommandsVoice[] {
  const validation = new Set(VALIDATION_VARIANTS),
    test = new Set(TEST_VARIANTS);
  const out: CommandsVoice[] = [];
  for (const offset of ACCENT_OFFSETS) {
    COMMANDS_VARIANTS.forEach((variant, j) => {
      const accent = COMMANDS_ACCENTS[(3 * j + offset) % COMMANDS_ACCENTS.length];
      const id = `${accent}+${variantSlug(variant)}`;
      const h = hash32(id);
      const split = validation.has(variant) ? 'validation' : test.has(variant) ? 'test' : 'train';
      out.push({ id, synthesizer: 'espeak-ng', accent, variant, split, rate: RATES[h % RATES.length], pitch: PITCHES[(h >>> 8) % PITCHES.length] });
    });
  }
  for (const pitch of PICO_PITCHES) {
    for (const speed of PICO_SPEEDS) {
      for (const { accent } of PICO_VOICES) {
        out.push({ id: `pico-${accent.toLowerCase()}+p${pitch}s${speed}`, synthesizer: 'svoxpico', accent, variant: '', split: 'train', rate: speed, pitch });
      }
    }
  }
  return out;
}

/**
 * The voices of a `voices: n` subset: about a tenth each for validation and test (at least one), the rest
 * training, in catalogue order; Pico voices among the training ones in their share of the whole set's
 * (at least one of two or more).
 */
function pickVoices(n: number | undefined): CommandsVoice[] {
  const all = commandsVoices();
  if (n === undefined || n >= all.length) return all;
  if (!Number.isInteger(n) || n < 3) throw new GruError('INVALID_ARGUMENT', `commandsDataset: voices must be a whole number ≥ 3 (some for training, validation and test), got ${n}`);
  const nVal = Math.max(1, Math.round(n / 10)),
    nTest = Math.max(1, Math.round(n / 10)),
    nTrain = n - nVal - nTest;
  const pico = all.filter((v) => v.synthesizer === 'svoxpico');
  const nPico = nTrain < 2 ? 0 : Math.max(1, Math.round((nTrain * pico.length) / all.filter((v) => v.split === 'train').length));
  const take = (split: CommandsVoice['split'], k: number) => all.filter((v) => v.split === split && v.synthesizer === 'espeak-ng').slice(0, k);
  const chosen = new Set([...take('train', nTrain - nPico), ...pico.slice(0, nPico), ...take('validation', nVal), ...take('test', nTest)]);
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

/** How a clip says `word`, drawn from `u` (two draws, in this order): as a statement (70%), an exclamation or a question, and the clip's level. */
function spokenAs(word: string, u: () => number): { text: string; level: number } {
  const p = u();
  return { text: word + (p < 0.7 ? '.' : p < 0.85 ? '!' : '?'), level: 0.35 + 0.55 * u() };
}

function jobsFor(voices: CommandsVoice[]): Job[] {
  const jobs: Job[] = [];
  for (const voice of voices.filter((v) => v.synthesizer === 'espeak-ng')) {
    for (const word of COMMAND_WORDS) {
      const u = uniforms(hash32(`${voice.id}/${word}`));
      const rate = Math.round(voice.rate * (0.93 + 0.14 * u()));
      const pitch = Math.min(99, Math.max(0, Math.round(voice.pitch - 5 + 10 * u())));
      const { text, level } = spokenAs(word, u);
      const clock = 1.6e12 + Math.floor(u() * 1e11);
      const v = voice.variant === '' ? voice.accent : `${voice.accent}+${voice.variant}`;
      jobs.push({ index: jobs.length, word, voice, file: `${word}/${voice.id}_nohash_0.wav`, args: ['-v', v, '-a', String(AMPLITUDE), '-p', String(pitch)], rate, text, clock, level });
    }
  }
  return jobs;
}

/** A Pico clip to synthesize: the word (with its final mark), the voice's pitch and speed levels, what the file gets. */
interface PicoJob {
  index: number;
  word: string;
  voice: CommandsVoice;
  file: string;
  text: string;
  /** `<pitch level>` and `<speed level>`, percent. */
  pitch: number;
  speed: number;
  level: number;
}

function picoJobsFor(voices: CommandsVoice[]): PicoJob[] {
  const jobs: PicoJob[] = [];
  for (const voice of voices.filter((v) => v.synthesizer === 'svoxpico')) {
    for (const word of COMMAND_WORDS) {
      const u = uniforms(hash32(`svoxpico/${voice.id}/${word}`));
      const speed = Math.round(voice.rate * (0.93 + 0.14 * u()));
      const pitch = Math.round(voice.pitch * (0.95 + 0.1 * u()));
      const { text, level } = spokenAs(word, u);
      jobs.push({ index: jobs.length, word, voice, file: `${word}/${voice.id}_nohash_0.wav`, text, pitch, speed, level });
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
  let a = 0,
    b = n - 1;
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
  const plain =
    wav.length >= 44 && tag(0) === 'RIFF' && tag(8) === 'WAVE' && tag(12) === 'fmt ' && dv.getUint32(16, true) === 16 && dv.getUint16(20, true) === 1 && dv.getUint16(22, true) === 1 && dv.getUint16(34, true) === 16 && tag(36) === 'data';
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
  let b0 = 0,
    b1 = 0,
    b2 = 0,
    b3 = 0,
    b4 = 0,
    b5 = 0,
    b6 = 0,
    brown = 0;
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
 * Worker source shared by the synthesizers' workers: the seconds between the
 * first and the last 10 ms frame of 16-bit samples x (at `rate`) whose RMS is
 * within speechDb of the loudest frame (speechDb: from the worker's data).
 */
export const SPEECH_SECONDS_SOURCE = `
function speechSeconds(x, rate) {
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
`;

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
${SPEECH_SECONDS_SOURCE}
/** A WAV file's 16-bit samples and its rate (eSpeak writes a 44-byte header). */
function wavSamples(wav) {
  const rate = new DataView(wav.buffer, wav.byteOffset).getUint32(24, true);
  return [new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - (wav.length - 44) % 2)), rate];
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
        const seconds = speechSeconds(...wavSamples(wav));
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
    throw new GruError(
      'UNSUPPORTED',
      `the commands dataset is synthesized with the npm package ${SYNTH_PACKAGE}, which is not installed (gru-ts lists its demo data as development dependencies; eSpeak NG is GPL-3.0); install it with: npm install ${SYNTH_PACKAGE}@1.0.2`,
    );
  }
  const version = (JSON.parse(readFileSync(join(dirname(glue), '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { glue, wasm: join(dirname(glue), 'espeak-ng.wasm'), version };
}

/** Synthesizes `jobs` on worker threads, handing each clip's WAV bytes (in job order per worker) to `onClip`; blocks until done. */
function synthesize(jobs: Job[], onClip: (job: Job, wav: Uint8Array, rate: number) => void): void {
  const files = synthesizerFiles();
  const count = Math.max(1, Math.min(2, availableParallelism(), jobs.length));
  runSynthWorkers(
    count,
    (k, port, signal) => {
      const mine = jobs.filter((_, i) => Math.floor(i / COMMAND_WORDS.length) % count === k).map((j) => ({ index: j.index, args: j.args, rate: j.rate, text: j.text, clock: j.clock }));
      const workerData = { port, signal, glueUrl: pathToFileURL(files.glue).href, wasmPath: files.wasm, jobs: mine, maxSeconds: MAX_SPEECH_SECONDS, speechDb: SPEECH_DB };
      return new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData, transferList: [port] });
    },
    (index, wav, rate) => onClip(jobs[index], wav, rate),
    'commandsDataset',
  );
}

/**
 * SVOX Pico, run in worker threads (plain JavaScript, as the eSpeak worker).
 * It loads the Emscripten module, gives each voice a Pico system of its own
 * (Pico allows one engine per system) with its two lingware files, keeps a
 * copy of the module's memory from before the first clip, and for each job
 * puts that memory back, feeds the markup, collects the 16 kHz 16-bit samples
 * and posts them as WAV bytes (or an error message, then stops); speech longer
 * than maxSeconds is spoken again faster. Every post bumps signal[0] and wakes
 * the main thread. A failure is thrown as text (the parent raises the GruError).
 */
const PICO_WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { port, signal, glueUrl, wasmPath, langDir, voices, jobs, volume, memory, maxSeconds, speechDb } = workerData;
const post = (message, transfer) => { port.postMessage(message, transfer); Atomics.add(signal, 0, 1); Atomics.notify(signal, 0); };
${SPEECH_SECONDS_SOURCE}
function wav(pcm) {
  const out = new Uint8Array(44 + 2 * pcm.length), dv = new DataView(out.buffer);
  const tag = (at, s) => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  tag(0, 'RIFF'); dv.setUint32(4, 36 + 2 * pcm.length, true); tag(8, 'WAVE'); tag(12, 'fmt ');
  dv.setUint32(16, 16, true); dv.setUint16(20, 1, true); dv.setUint16(22, 1, true); dv.setUint32(24, 16000, true);
  dv.setUint32(28, 32000, true); dv.setUint16(32, 2, true); dv.setUint16(34, 16, true); tag(36, 'data'); dv.setUint32(40, 2 * pcm.length, true);
  for (let i = 0; i < pcm.length; i++) dv.setInt16(44 + 2 * i, pcm[i], true);
  return out;
}
(async () => { try {
  const { default: SvoxPico } = await import(glueUrl);
  const m = await SvoxPico({ wasmBinary: readFileSync(wasmPath), print: () => {}, printErr: () => {} });
  const encoder = new TextEncoder();
  const bytes = (s) => { const b = encoder.encode(s + '\\0'); const p = m._malloc(b.length); m.HEAPU8.set(b, p); return p; };
  const cell = (size) => { const p = m._malloc(size); m.HEAPU8.fill(0, p, p + size); return p; };
  const check = (status, what) => { if (status !== 0) throw 'svoxpico: ' + what + ' failed with status ' + status; };
  const engines = new Map();
  for (const v of voices) {
    const system = cell(4);
    check(m._pico_initialize(m._malloc(memory), memory, system), 'pico_initialize');
    const sys = m.HEAP32[system >> 2], name = bytes(v.accent);
    const resources = [];
    for (const file of [v.ta, v.sg]) {
      m.FS.writeFile('/' + file, readFileSync(join(langDir, file)));
      const resource = cell(4), resourceName = cell(32);
      check(m._pico_loadResource(sys, bytes('/' + file), resource), 'loading ' + join(langDir, file));
      check(m._pico_getResourceName(sys, m.HEAP32[resource >> 2], resourceName), 'pico_getResourceName');
      resources.push(resourceName);
    }
    check(m._pico_createVoiceDefinition(sys, name), 'pico_createVoiceDefinition');
    for (const r of resources) check(m._pico_addResourceToVoiceDefinition(sys, name, r), 'pico_addResourceToVoiceDefinition');
    const engine = cell(4);
    check(m._pico_newEngine(sys, name, engine), 'pico_newEngine ' + v.accent);
    engines.set(v.accent, m.HEAP32[engine >> 2]);
  }
  const text = cell(1024), out = cell(16384), count = cell(2), kind = cell(2), taken = cell(4);
  const pristine = m.HEAPU8.slice();
  const speak = (engine, markup) => {
    m.HEAPU8.set(pristine);
    const b = encoder.encode(markup + '\\0');
    m.HEAPU8.set(b, text);
    const parts = [];
    let length = 0;
    for (let at = 0; at < b.length;) {
      check(m._pico_putTextUtf8(engine, text + at, b.length - at, taken), 'pico_putTextUtf8');
      at += m.HEAP32[taken >> 2];
      for (;;) {
        const status = m._pico_getData(engine, out, 16384, count, kind);
        if (status !== 200 && status !== 201) throw 'svoxpico: pico_getData failed with status ' + status + ' for ' + markup;
        const n = m.HEAP16[count >> 1];
        if (n > 0) { parts.push(m.HEAPU8.slice(out, out + n)); length += n; }
        if (status === 200) break;
      }
    }
    const all = new Uint8Array(length - (length % 2));
    let o = 0;
    for (const p of parts) { all.set(p.subarray(0, all.length - o), o); o += p.length; if (o >= all.length) break; }
    return new Int16Array(all.buffer);
  };
  for (const job of jobs) {
    let speed = job.speed, pcm;
    for (let attempt = 0; ; attempt++) {
      pcm = speak(engines.get(job.accent), '<volume level="' + volume + '"><pitch level="' + job.pitch + '"><speed level="' + speed + '">' + job.text + '</speed></pitch></volume>');
      const seconds = speechSeconds(pcm, 16000);
      if (seconds <= maxSeconds || attempt === 3 || speed >= 500) break;
      speed = Math.min(500, Math.ceil(speed * seconds / (0.9 * maxSeconds)));
    }
    const bytesOut = wav(pcm);
    post({ index: job.index, wav: bytesOut, rate: speed }, [bytesOut.buffer]);
  }
  post({ done: true });
} catch (e) {
  post({ error: String((e && e.stack) || e) });
} })();
`;

/**
 * SVOX Pico's lingware folder: `$GRU_TS_PICO_LANG`, else the repository's `data/svox-pico` (where a
 * checkout has it), else `/usr/share/pico/lang` (Debian's `libttspico-data`). @internal
 */
export function picoLingwareDir(): string {
  if (process.env.GRU_TS_PICO_LANG) return process.env.GRU_TS_PICO_LANG;
  const inRepo = join(fileURLToPath(new URL('../../', import.meta.url)), 'data', 'svox-pico');
  return PICO_VOICES.every((v) => existsSync(join(inRepo, v.ta)) && existsSync(join(inRepo, v.sg))) ? inRepo : '/usr/share/pico/lang';
}

/** The svoxpico module (JS glue and WASM), its version, and the lingware folder; a GruError naming what is missing. */
function picoFiles(): { glue: string; wasm: string; version: string; langDir: string } {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${PICO_PACKAGE}/package.json`);
  } catch {
    throw new GruError(
      'UNSUPPORTED',
      `the commands dataset's training voices include SVOX Pico, synthesized with the npm package ${PICO_PACKAGE}, which is not installed (gru-ts lists its demo data as development dependencies); install it with: npm install ${PICO_PACKAGE}@0.2.0`,
    );
  }
  const langDir = picoLingwareDir();
  const missing = PICO_VOICES.flatMap((v) => [v.ta, v.sg]).filter((f) => !existsSync(join(langDir, f)));
  if (missing.length > 0) {
    throw new GruError(
      'UNSUPPORTED',
      `the commands dataset's training voices include SVOX Pico, whose English voice data (${missing.join(', ')}) is not in ${langDir}: set GRU_TS_PICO_LANG to a folder that holds it (a gru-ts checkout has it in data/svox-pico), or install Debian's package libttspico-data (non-free), which puts it in /usr/share/pico/lang`,
    );
  }
  const dir = dirname(manifest);
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  return { glue: join(dir, 'svoxpico.js'), wasm: join(dir, 'svoxpico.wasm'), version, langDir };
}

/** Synthesizes Pico `jobs` on worker threads, handing each clip's WAV bytes (in job order per worker) to `onClip`; blocks until done. */
function synthesizePico(jobs: PicoJob[], files: ReturnType<typeof picoFiles>, onClip: (job: PicoJob, wav: Uint8Array, speed: number) => void): void {
  if (jobs.length === 0) return;
  const count = Math.max(1, Math.min(2, availableParallelism(), jobs.length));
  runSynthWorkers(
    count,
    (k, port, signal) => {
      const mine = jobs.filter((_, i) => Math.floor(i / COMMAND_WORDS.length) % count === k).map((j) => ({ index: j.index, accent: j.voice.accent, text: j.text, pitch: j.pitch, speed: j.speed }));
      const workerData = {
        port,
        signal,
        glueUrl: pathToFileURL(files.glue).href,
        wasmPath: files.wasm,
        langDir: files.langDir,
        voices: PICO_VOICES,
        jobs: mine,
        volume: PICO_VOLUME,
        memory: PICO_MEMORY,
        maxSeconds: MAX_SPEECH_SECONDS,
        speechDb: SPEECH_DB,
      };
      return new Worker(PICO_WORKER_SOURCE, { eval: true, execArgv: [], workerData, transferList: [port] });
    },
    (index, wav, speed) => onClip(jobs[index], wav, speed),
    'commandsDataset (SVOX Pico)',
  );
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
    let consumed = 0,
      finished = 0,
      last = Date.now();
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
  const bySplit = (s: CommandsVoice['split']) => [...new Set(voices.filter((v) => v.split === s && v.synthesizer === 'espeak-ng').map((v) => variantSlug(v.variant)))].join(', ');
  const pico = voices.filter((v) => v.synthesizer === 'svoxpico').length;
  return `# commands: the ten Speech Commands words, synthesized

Made by gru-ts (src/data/commands-dataset.ts, generator version ${marker.version}) with
${marker.synthesizers.map((s) => `npm ${s.package} ${s.version}`).join(' and ')}: ${marker.words.join(', ')},
spoken by ${marker.voices} voices (eSpeak NG: an English accent + an eSpeak voice variant;
SVOX Pico: pico-en-us or pico-en-gb + pitch and speed; the id before \`_nohash_\` in a file
name), one clip per voice and word: ${marker.clips.total} clips, 16 kHz mono 16-bit, 1 s each,
speech centred. commands.json lists every voice with its synthesizer, accent, variant, base rate
and pitch.

Split by whole voice variants (every accent they speak):
- validation_list.txt (${marker.clips.validation} clips): ${bySplit('validation')}
- testing_list.txt (${marker.clips.test} clips): ${bySplit('test')}
- training (${marker.clips.train} clips): every other file, ${pico === 1 ? 'one Pico voice' : `all ${pico} Pico voices`} among them.

_background_noise_/: ${marker.noise.join(', ')} (${NOISE_SECONDS} s each), for noise augmentation.
`;
}

/**
 * The `commands` dataset folder (Speech Commands layout; see the module
 * notes for the voices, split and counts), synthesized on first use — about
 * a minute of CPU time for all 386 voices — and reused from the cache
 * afterwards. Blocks until the folder is ready.
 *
 * @returns the folder: `yes/ … go/` of `VOICE_nohash_0.wav`, `_background_noise_/`,
 *   `validation_list.txt`, `testing_list.txt`, `README.md`, `commands.json`.
 * @throws {GruError} `INVALID_ARGUMENT` for a bad `voices` count; `UNSUPPORTED`
 *   when the espeak-ng or svoxpico package or Pico's English voice data is
 *   missing, or the synthesis fails.
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

  const espeakJobs = jobsFor(voices),
    picoJobs = picoJobsFor(voices);
  // Pico's package and voice data are looked for before anything is synthesized.
  const pico = picoJobs.length > 0 ? picoFiles() : null;
  mkdirSync(root, { recursive: true });
  removeStaleBuilds(root, name);
  const unique = `${process.pid}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const tmp = join(root, `.${name}.tmp-${unique}`);
  const started = Date.now();
  try {
    mkdirSync(tmp);
    for (const w of COMMAND_WORDS) mkdirSync(join(tmp, w));
    const jobs: { voice: CommandsVoice; file: string }[] = [...espeakJobs, ...picoJobs];
    let done = 0,
      respoken = 0,
      trimmed = 0;
    o.onProgress?.(0, jobs.length);
    const keep = (file: string, wav: Uint8Array, name: string, level: number, again: boolean) => {
      const { clip, trimmed: cut } = shapeClip(wav, name, level);
      if (again) respoken++;
      if (cut) trimmed++;
      writeFileSync(join(tmp, file), wavBytes(clip));
      o.onProgress?.(++done, jobs.length);
    };
    synthesize(espeakJobs, (job, wav, rate) => keep(job.file, wav, `${job.file} (espeak-ng ${job.args.join(' ')} -s ${rate} ${job.text})`, job.level, rate !== job.rate));
    if (pico) synthesizePico(picoJobs, pico, (job, wav, speed) => keep(job.file, wav, `${job.file} (svoxpico ${job.voice.accent} pitch ${job.pitch} speed ${speed} ${job.text})`, job.level, speed !== job.speed));

    const noiseDir = join(tmp, '_background_noise_');
    mkdirSync(noiseDir);
    const noise = noiseClips();
    for (const n of noise) writeFileSync(join(noiseDir, n.name), wavBytes(n.samples));
    const list = (split: CommandsVoice['split']) =>
      jobs
        .filter((j) => j.voice.split === split)
        .map((j) => j.file)
        .sort();
    const validation = list('validation'),
      test = list('test');
    writeFileSync(join(tmp, 'validation_list.txt'), validation.map((f) => `${f}\n`).join(''));
    writeFileSync(join(tmp, 'testing_list.txt'), test.map((f) => `${f}\n`).join(''));
    const marker: Marker = {
      generator: 'gru-ts commandsDataset',
      version: COMMANDS_GENERATOR_VERSION,
      synthesizers: [{ package: SYNTH_PACKAGE, version: synthesizerFiles().version }, ...(pico ? [{ package: PICO_PACKAGE, version: pico.version }] : [])],
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
