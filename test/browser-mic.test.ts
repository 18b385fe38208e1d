// The demo page's microphone keyword spotting in a real browser. A tiny audio classifier (300 Hz 'low', 2.5 kHz 'high',
// quiet 'silence') is trained here, saved as a model file and read back from its bytes (classifierFromBytes, the browser's
// loader) exactly as loadClassifier reads the file. Then the page (browser/) is built with Vite, served on 127.0.0.1 and
// opened in headless Chromium whose microphone is a WAV file written here (Chromium's fake media stream:
// --use-file-for-fake-audio-capture, which loops the file): quiet, a high tone, quiet, a low tone, quiet. The page
// loads the model (?model=), Start runs getUserMedia → AudioWorklet → Web Worker (16 kHz, log-mel, GRU steps) and the test
// waits for window.__kwsDetections to hold the words in the file's order and spacing, repeating at the file's length —
// what Chromium's built-in fake microphone (a beep) could not produce. Without Chromium this test fails; it never skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import {
  GruError,
  KeywordStream,
  Rng,
  classifierFromBytes,
  classifyFrames,
  loadClassifier,
  logMel,
  readAudioFolder,
  resample,
  saveClassifier,
  serializeSafetensors,
  trainFrameClassifier,
  type Detection,
  type TrainedClassifier,
} from '../src/index.js';
import type { KwsDetection, KwsStatus } from '../browser/kws-protocol.js';
import { serve } from './helpers/static-server.js';
import { wav16 } from './helpers/wav.js';

/** What the page leaves on window (browser/kws.ts). */
type KwsWindow = { __kwsStatus?: KwsStatus; __kwsDetections?: KwsDetection[] };

const CHROMIUM = process.env.GRU_CHROMIUM || '/usr/bin/chromium';
const config = fileURLToPath(new URL('../browser/vite.config.ts', import.meta.url));

/** `sec` seconds of a tone near `hz` (±10%), of random level and phase, with a little noise. */
function tone(rng: Rng, hz: number, sec: number, rate: number): Float32Array {
  const f = hz * (1 + 0.1 * rng.normal()),
    a = 0.2 + 0.4 * rng.uniform(),
    phase = rng.uniform() * 6.28;
  return Float32Array.from({ length: Math.round(sec * rate) }, (_, i) => a * Math.sin(phase + (2 * Math.PI * f * i) / rate) + 0.01 * rng.normal());
}

/** `sec` seconds of quiet: noise from digital silence to −30 dBFS. */
function quiet(rng: Rng, sec: number, rate: number, level?: number): Float32Array {
  const a = level ?? [0, 0.001, 0.003, 0.01, 0.03][rng.int(5)];
  return Float32Array.from({ length: Math.round(sec * rate) }, () => a * rng.normal());
}

/**
 * The microphone's WAV, 48 kHz: 0.5 s quiet, a high tone, 0.5 s quiet, a low tone, 1 s quiet (looped by Chromium).
 * The tones last 0.4 s: whatever the stream's phase at Start, one window of 0.3 s (decided every 0.1 s) lies inside each.
 */
const MIC_RATE = 48000;
const TONE = 0.4,
  HIGH_AT = 0.5,
  LOW_AT = HIGH_AT + TONE + 0.5,
  LOOP = LOW_AT + TONE + 1;
function micWav(rng: Rng): Float32Array {
  const parts = [quiet(rng, 0.5, MIC_RATE, 0.003), tone(rng, 2500, TONE, MIC_RATE), quiet(rng, 0.5, MIC_RATE, 0.003), tone(rng, 300, TONE, MIC_RATE), quiet(rng, 1, MIC_RATE, 0.003)];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Trains the tones classifier (a Speech Commands–style folder of 0.3 s clips at 16 kHz) and saves it under `dir`. */
function trainTones(dir: string): { model: TrainedClassifier; path: string } {
  const rng = new Rng(7);
  const root = join(dir, 'tones');
  for (const label of ['low', 'high', 'silence']) {
    mkdirSync(join(root, label), { recursive: true });
    for (let k = 0; k < 30; k++) {
      const clip = label === 'silence' ? quiet(rng, 0.3, 16000) : tone(rng, label === 'low' ? 300 : 2500, 0.3, 16000);
      writeFileSync(join(root, label, `c${k}.wav`), wav16(clip, 16000));
    }
  }
  // The features' own log floor (1e-6): these tones are tuned to it (the classifiers' default floor, 1e-2, suits speech over noise).
  const model = trainFrameClassifier(readAudioFolder(root, { frontEnd: { kind: 'logmel', numMels: 40 } }), { hiddenSize: 16, epochs: 6, batchSize: 8, lr: 1e-2 });
  assert.ok(model.test.metrics.accuracy >= 0.9, `the tones model's test accuracy: ${model.test.metrics.accuracy}`);
  const path = join(dir, 'tones.safetensors');
  saveClassifier(model, path);
  return { model, path };
}

const dirP = mkdtemp(join(tmpdir(), 'gru-ts-mic-'));
test.after(async () => rm(await dirP, { recursive: true, force: true }));
let tones: { model: TrainedClassifier; path: string; ms: number } | undefined;
/** The tones model, trained once for both tests. */
async function trained(): Promise<{ model: TrainedClassifier; path: string; ms: number }> {
  const dir = await dirP;
  const t0 = Date.now();
  tones ??= { ...trainTones(dir), ms: 0 };
  tones.ms ||= Date.now() - t0;
  return tones;
}

test("classifierFromBytes: the model file's bytes give the classifier loadClassifier reads; bad bytes are INVALID_FILE naming them", async () => {
  const { model, path } = await trained();
  const bytes = readFileSync(path);
  const fromBytes = classifierFromBytes(bytes, 'tones.safetensors');
  const fromFile = loadClassifier(path);
  assert.deepEqual(fromBytes.model.config, fromFile.model.config);
  assert.deepEqual(fromBytes.data, fromFile.data);
  assert.equal(fromBytes.model.training, false);
  const frames = logMel(tone(new Rng(3), 2500, 0.3, 16000)).frames;
  assert.deepEqual(classifyFrames(fromBytes, frames), classifyFrames(fromFile, frames));
  assert.equal(classifyFrames(fromBytes, frames).label, 'high');
  // An ArrayBuffer (what fetch and File give) works too.
  assert.deepEqual(classifierFromBytes(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).model.config, model.model.config);

  const rejects = (b: Uint8Array, re: RegExp) =>
    assert.throws(
      () => classifierFromBytes(b, 'm.safetensors'),
      (e: unknown) => e instanceof GruError && e.code === 'INVALID_FILE' && re.test(e.message),
      String(re),
    );
  const weights = model.model.stateDict();
  const meta = (over: Record<string, string>) => serializeSafetensors(weights, { ...JSON.parse(JSON.stringify(readMeta(bytes))), ...over });
  rejects(new TextEncoder().encode('not a model'), /^m\.safetensors: safetensors: /);
  rejects(serializeSafetensors(weights, {}), /^m\.safetensors: not a gru-ts model file \(metadata format is missing\)/);
  rejects(meta({ formatVersion: '99' }), /model format version 99 is newer than this gru-ts reads \(up to 1\)/);
  rejects(meta({ task: 'forecast' }), /metadata task: expected a classify model, got a forecast model/);
  rejects(meta({ config: '{' }), /metadata config: expected JSON/);
  rejects(meta({ config: JSON.stringify({ ...model.model.config, hiddenSize: 50000 }) }), /^m\.safetensors: metadata config\.hiddenSize: expected an integer from 1 to 16384, got 50000/);
  rejects(meta({ config: JSON.stringify({ ...model.model.config, hiddenSize: 4000 }) }), /implies more weights than the file holds/);
  rejects(meta({ config: JSON.stringify({ ...model.model.config, hiddenSize: 15 }) }), /^m\.safetensors: the tensors do not match the model its metadata describes/);
});

/** The `__metadata__` of safetensors bytes. */
function readMeta(bytes: Uint8Array): Record<string, string> {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')).__metadata__;
}

/** The labels' order and spacing: alternating high, low; low 0.9 s after high; each word again one file length later. */
function checkSequence(ds: readonly { label: string; start: number }[], where: string): void {
  const seq = ds.map((d) => `${d.label}@${d.start.toFixed(2)}`).join(' ');
  assert.ok(
    ds.every((d) => d.label === 'high' || d.label === 'low'),
    `${where}: only the two words are detected: ${seq}`,
  );
  for (let i = 1; i < ds.length; i++) {
    assert.notEqual(ds[i].label, ds[i - 1].label, `${where}: the words alternate as in the file: ${seq}`);
    const gap = ds[i].start - ds[i - 1].start;
    const want = ds[i].label === 'low' ? LOW_AT - HIGH_AT : LOOP - (LOW_AT - HIGH_AT);
    assert.ok(Math.abs(gap - want) <= 0.25, `${where}: ${ds[i - 1].label} → ${ds[i].label} after ${gap.toFixed(2)} s, the file has ${want.toFixed(2)} s: ${seq}`);
  }
}

test("browser: the microphone (a WAV file through Chromium's fake capture) → AudioWorklet → worker → the words detected", { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run \`node scripts/ensure-chromium.mjs\` (npm test does) or set GRU_CHROMIUM`);
  const dir = await dirP;
  const { model, path, ms: trainMs } = await trained();
  const t0 = Date.now();

  // The microphone's audio, and what the same model detects on it offline (two loops, at 16 kHz).
  const mic = micWav(new Rng(11));
  const wavPath = join(dir, 'mic.wav');
  writeFileSync(wavPath, wav16(mic, MIC_RATE));
  const twice = new Float32Array(2 * mic.length);
  twice.set(mic);
  twice.set(mic, mic.length);
  const offline: Detection[] = [];
  const ks = new KeywordStream(model);
  const s16 = resample(twice, MIC_RATE, 16000);
  for (let i = 0; i < s16.length; i += 1600) offline.push(...ks.push(s16.subarray(i, i + 1600)).detections);
  assert.deepEqual(
    offline.map((d) => d.label),
    ['high', 'low', 'high', 'low'],
    "offline, the model hears the file's words",
  );
  checkSequence(offline, 'offline');

  const out = join(dir, 'site');
  await build({ configFile: config, logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
  writeFileSync(join(out, 'tones.safetensors'), readFileSync(path));
  const built = Date.now();
  const s = await serve(out);
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    s.server.close();
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The microphone: getUserMedia granted without a prompt, a fake capture device that plays our WAV file.
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wavPath}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  const status = async () => (await page.evaluate(() => (globalThis as KwsWindow).__kwsStatus)) as KwsStatus;
  const detections = async () => (await page.evaluate(() => (globalThis as KwsWindow).__kwsDetections)) as KwsDetection[];
  const show = (ds: KwsDetection[]) =>
    ds
      .slice(0, 12)
      .map((d) => `${d.label}@${d.start.toFixed(2)}(${d.probability.toFixed(2)})`)
      .join(' ') + (ds.length > 12 ? ` … (${ds.length})` : '');
  const fail = async (what: string) => `${what}; status ${JSON.stringify(await status())}; detections ${show(await detections())}\n${problems.join('\n')}`;

  await page.goto(`${s.url}?only=kws&model=tones.safetensors`);
  await page.waitForFunction(() => ['ready', 'error'].includes((globalThis as KwsWindow).__kwsStatus?.state ?? ''), undefined, { timeout: 20_000 });
  const ready = await status();
  assert.equal(ready.state, 'ready', await fail('the model did not load'));
  assert.deepEqual(ready.model?.labels, ['high', 'low', 'silence']);
  assert.equal(ready.model?.windowFrames, 28);

  await page.click('#kws-start');
  const listening = Date.now();
  // Two loops of the file: each word twice (the first word heard may be either, depending on where the loop is at Start);
  // given up after 12 s of audio (over four loops), or 30 s of waiting for audio that does not come.
  try {
    await page.waitForFunction(
      () => {
        const w = globalThis as KwsWindow,
          ds = w.__kwsDetections ?? [],
          st = w.__kwsStatus;
        return st?.state === 'error' || (st?.seconds ?? 0) >= 12 || (ds.filter((d) => d.label === 'high').length >= 2 && ds.filter((d) => d.label === 'low').length >= 2);
      },
      undefined,
      { timeout: 30_000, polling: 100 },
    );
  } catch (e) {
    assert.fail(await fail(`no audio came within 30 s: ${(e as Error).message.split('\n')[0]}`));
  }
  const st = await status();
  const ds = await detections();
  const done = Date.now();
  t.diagnostic(
    `train ${trainMs} ms, vite build ${built - t0} ms, listening ${done - listening} ms (${st.seconds.toFixed(1)} s of audio at ${st.sampleRate} Hz, ` +
      `${st.windows} windows, real-time factor ${st.rtf.toFixed(4)} in ${st.scope}); detections ${show(ds)}`,
  );
  assert.equal(st.state, 'listening', await fail('the recognizer stopped'));
  assert.ok(ds.filter((d) => d.label === 'high').length >= 2 && ds.filter((d) => d.label === 'low').length >= 2, await fail(`each word not heard twice in ${st.seconds.toFixed(1)} s of audio`));
  assert.deepEqual(problems, [], 'no errors in the page');
  // The GRU steps ran on the worker, not the page's thread, and kept up with the audio.
  assert.equal(st.scope, 'DedicatedWorkerGlobalScope');
  assert.ok(st.rtf > 0 && st.rtf < 0.5, `real-time factor ${st.rtf}`);
  assert.ok(st.peak > 0.1, `the microphone's loudest sample: ${st.peak}`);
  // Our file, not the fake device's beep: the words in its order and spacing, again after its length.
  checkSequence(ds, 'in the browser');
  assert.ok(
    ds.every((d) => d.probability >= 0.8 && d.end - d.start > 0.28 && d.end - d.start < 0.31),
    await fail('detections hold a window of 0.3 s'),
  );

  // Stop releases the microphone; the file chooser loads a model as ?model= did.
  await page.click('#kws-stop');
  await page.waitForFunction(() => (globalThis as KwsWindow).__kwsStatus?.state === 'ready', undefined, { timeout: 10_000 });
  await page.setInputFiles('#kws-model', path);
  await page.waitForFunction(() => (globalThis as KwsWindow).__kwsStatus?.model?.name === 'tones.safetensors' && (globalThis as KwsWindow).__kwsStatus?.state === 'ready', undefined, { timeout: 10_000 });
  assert.deepEqual(problems, [], 'no errors in the page');
});
