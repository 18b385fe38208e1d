// Classifying sequences of numbers (JSONL frames) and audio (a Speech Commands–style folder of WAV files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Rng,
  classifyAudio,
  classifyFrames,
  evaluateFramesOn,
  fitFeatureNormalization,
  framesFromJsonl,
  loadClassifier,
  readAudioFolder,
  saveClassifier,
  trainFrameClassifier,
  KeywordStream,
  audioFeatures,
  commandTask,
  type Detection,
  type WindowResult,
} from '../src/index.js';
import { wav16 } from './helpers/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'gru-frames-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** JSONL of two classes of 3-feature sequences (5–14 frames): feature 0 rises (up) or falls (down); feature 2 sits near 1,000. */
function rampsJsonl(n: number, seed: number): string {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2 ? 'up' : 'down';
    const T = 5 + rng.int(10);
    const frames = Array.from({ length: T }, (_, t) => [(label === 'up' ? t : -t) / T + 0.3 * rng.normal(), rng.normal(), 1000 + 50 * rng.normal()]);
    return JSON.stringify({ seq: frames, kind: label });
  }).join('\n');
}

test('JSONL frames: read with any field names; bad records name the line, the frame and what was expected', () => {
  const d = framesFromJsonl(rampsJsonl(4, 1), 'r.jsonl', { framesField: 'seq', labelField: 'kind' });
  assert.equal(d.features, 3);
  assert.deepEqual(d.labels, ['down', 'up', 'down', 'up']);
  assert.deepEqual(d.fields, { frames: 'seq', label: 'kind' });
  assert.throws(() => framesFromJsonl('{"seq": [[1]], "kind": "a"}', 'x.jsonl'), /x\.jsonl: line 1: expected "frames" to be an array of frames .*got nothing \(fields: seq, kind; --frames-field names another\)/);
  assert.throws(() => framesFromJsonl('{"frames": [[1, 2]], "label": "a"}\n{"frames": [[1, 2], [3]], "label": "b"}', 'x.jsonl'), /line 2: frame 2 must be an array of 2 numbers \(as the file's first frame\), got an array of 1/);
  assert.throws(() => framesFromJsonl('{"frames": [[1, "x"]], "label": "a"}', 'x.jsonl'), /line 1: frame 1, feature 2: expected a finite number, got "x"/);
  assert.throws(() => framesFromJsonl('{"frames": [], "label": "a"}', 'x.jsonl'), /line 1: "frames" is empty/);
  assert.throws(() => framesFromJsonl('{"frames": [[1]]}', 'x.jsonl'), /line 1: expected "label" to be a string or number, got nothing/);
});

test('per-feature normalisation: mean and population std of the training frames (std 1 for a constant feature)', () => {
  const d = { features: 2, sequences: [Float32Array.from([1, 5, 3, 5]), Float32Array.from([5, 5]), Float32Array.from([100, 0])], labels: ['a', 'b', 'c'], source: 's' };
  const n = fitFeatureNormalization(d, [0, 1]);
  assert.deepEqual(n.mean, [3, 5]);
  assert.ok(Math.abs(n.std[0] - Math.sqrt(8 / 3)) < 1e-12);
  assert.equal(n.std[1], 1);
});

test('a frames classifier learns ramps of any length, one direction by default; saved and loaded; eval rescoring the same test split', () => {
  const d = framesFromJsonl(rampsJsonl(200, 2), 'ramps.jsonl', { framesField: 'seq', labelField: 'kind' });
  const r = trainFrameClassifier(d, { hiddenSize: 12, epochs: 8, batchSize: 16, lr: 1e-2 });
  assert.equal(r.model.config.bidirectional, false);
  assert.ok(r.test.metrics.accuracy >= 0.95, `accuracy ${r.test.metrics.accuracy}`);
  assert.ok(Math.abs(r.model.config.frames!.mean[2] - 1000) < 20, "the normalisation holds the training frames' mean");
  const path = join(dir, 'ramps.safetensors');
  saveClassifier(r, path);
  const back = loadClassifier(path);
  assert.equal(back.tokenizer, undefined);
  const up = Array.from({ length: 9 }, (_, t) => [t / 9, 0, 1000]);
  assert.deepEqual(classifyFrames(back, up), classifyFrames(r, up));
  assert.equal(classifyFrames(back, up).label, 'up');
  const again = evaluateFramesOn(back, d);
  assert.equal(again.split, 'test');
  assert.deepEqual(again.metrics, r.test.metrics);
  assert.deepEqual(again.baselines, r.test.baselines, 'the baselines are refitted on the same training rows');
  assert.ok(r.test.baselines!.pooledLogistic!.accuracy > 0.8, 'mean and std tell rising from falling ramps');
  assert.equal(evaluateFramesOn(back, d, { split: 'all' }).examples, 200);
  assert.throws(() => classifyFrames(back, [[1, 2]]), /frame 1: expected 3 features, got 2/);
  // Batch prediction: JSONL on stdin (the training file's field names, labels optional), one result a line in row order.
  const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  const down = Array.from({ length: 7 }, (_, t) => [-t / 7, 0, 1000]);
  const rows = [up, down, up].map((f) => JSON.stringify({ seq: f })).join('\n');
  const p = spawnSync(process.execPath, [cli, 'predict', path, '--input', '-', '--json'], { encoding: 'utf8', input: rows });
  assert.equal(p.status, 0, p.stderr);
  assert.deepEqual(
    p.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).label),
    ['up', 'down', 'up'],
  );
  assert.deepEqual(JSON.parse(p.stdout.split('\n')[1]).probabilities, classifyFrames(back, down).probabilities);
});

/** A 0.3 s tone near `hz` with noise, at `rate`. */
function tone(rng: Rng, hz: number, rate: number): Float32Array {
  const f = hz * (1 + 0.1 * rng.normal()),
    a = 0.3 + 0.3 * rng.uniform(),
    phase = rng.uniform() * 6.28;
  return Float32Array.from({ length: Math.round(0.3 * rate) }, (_, i) => a * Math.sin(phase + (2 * Math.PI * f * i) / rate) + 0.02 * rng.normal());
}

test('an audio folder (Speech Commands layout): any sample rate, the lists as the split, noise folder kept; trains, predicts a WAV; the CLI end to end', () => {
  const root = join(dir, 'tones');
  const rng = new Rng(5);
  const rates = [16000, 8000, 22050];
  const listed: Record<'validation' | 'testing', string[]> = { validation: [], testing: [] };
  for (const [label, hz] of [
    ['low', 300],
    ['high', 2500],
  ] as const) {
    mkdirSync(join(root, label), { recursive: true });
    for (let k = 0; k < 40; k++) {
      const name = `v${k % 10}_nohash_${k}.wav`;
      writeFileSync(join(root, label, name), wav16(tone(rng, hz, rates[k % 3]), rates[k % 3]));
      if (k % 10 === 8) listed.validation.push(`${label}/${name}`);
      if (k % 10 === 9) listed.testing.push(`${label}/${name}`);
    }
  }
  mkdirSync(join(root, '_background_noise_'));
  writeFileSync(
    join(root, '_background_noise_', 'white.wav'),
    wav16(
      Float32Array.from({ length: 16000 }, () => 0.1 * rng.normal()),
      16000,
    ),
  );
  writeFileSync(join(root, 'validation_list.txt'), `${listed.validation.join('\n')}\n`);
  writeFileSync(join(root, 'testing_list.txt'), `${listed.testing.join('\n')}\n`);

  const d = readAudioFolder(root);
  assert.equal(d.sequences.length, 80);
  assert.equal(d.features, 40);
  assert.equal(d.noise.length, 1);
  assert.deepEqual(
    d.listed!.test.map((i) => d.files[i]),
    listed.testing,
  );
  for (const i of [0, 1, 2]) assert.equal(d.sequences[i].length / 40, 1 + Math.floor((0.3 * 16000 - 400) / 160), 'every rate resampled to 16 kHz: 0.3 s is 28 frames');
  // Speech Commands' task on top: the words, a share of the other clips as _unknown_, _silence_ from the noise; per part.
  const task = commandTask(d, { words: ['high'], unknownFraction: 0.5, silenceFraction: 0.25 });
  const count = (rows: number[], label: string) => rows.filter((i) => task.labels[i] === label).length;
  const test12 = task.listed!.test,
    val12 = task.listed!.validation;
  assert.deepEqual([count(test12, 'high'), count(test12, '_unknown_'), count(test12, '_silence_')], [4, 2, 1]);
  assert.deepEqual([count(val12, 'high'), count(val12, '_unknown_'), count(val12, '_silence_')], [4, 2, 1]);
  assert.equal(task.labels.length, 40 + 20 + 10);
  assert.ok(task.files.filter((f, i) => task.labels[i] === '_unknown_').every((f) => f.startsWith('low/')));
  const silent = task.samples[task.labels.indexOf('_silence_')];
  assert.ok(silent.length === 16000 && Math.max(...silent.map(Math.abs)) <= 0.1 * 5, 'a second of the background noise at most at its own volume');
  assert.deepEqual(commandTask(d, { words: ['high'], unknownFraction: 0.5, silenceFraction: 0.25 }).files, task.files, 'the same rows every time');
  assert.throws(() => commandTask(d, { words: ['high', 'yes'] }), /no clips of 'yes' \(labels: high, low\)/);
  const r = trainFrameClassifier(d, { hiddenSize: 16, epochs: 6, batchSize: 8, lr: 1e-2, augment: true });
  assert.throws(() => trainFrameClassifier(d, { epochs: 1 }, { kind: 'mfcc', numMels: 40 }), /the clips' frames were computed with .*logmel.*, not the front end given/);
  assert.equal(r.data!.split.method, 'listed');
  assert.equal(r.test.examples, listed.testing.length);
  assert.ok(r.test.metrics.accuracy >= 0.9, `accuracy ${r.test.metrics.accuracy}`);
  assert.equal(classifyAudio(r, wav16(tone(rng, 2500, 44100), 44100)).label, 'high');
  assert.equal(classifyAudio(r, wav16(tone(rng, 300, 16000), 16000)).label, 'low');
  assert.throws(() => classifyAudio(r, new TextEncoder().encode('not a wav at all'), 'junk.wav'), /junk\.wav: not a usable WAV file/);

  // Streaming: a window closing in the stream has the offline model's probabilities on the same samples.
  const audio = Float32Array.from([...tone(rng, 2500, 16000), ...tone(rng, 300, 16000), ...tone(rng, 300, 16000)]);
  assert.equal(r.model.config.audio!.windowFrames, 28, "the stream window is the training clips' length");
  assert.equal(r.model.config.audio!.logFloor, 1e-2, "the folder's front end, recorded");
  const stream = new KeywordStream(r, { stride: 7, threshold: 0.5 });
  const windows: WindowResult[] = [],
    detections: Detection[] = [];
  for (let i = 0; i < audio.length; i += 1000) {
    const got = stream.push(audio.subarray(i, i + 1000));
    windows.push(...got.windows);
    detections.push(...got.detections);
  }
  assert.equal(windows.length, 1 + Math.floor((1 + Math.floor((audio.length - 400) / 160) - 28) / 7));
  for (const w of windows) {
    const from = w.index * 7 * 160;
    const offline = classifyFrames(r, audioFeatures(audio.subarray(from, from + 27 * 160 + 400), r.model.config.audio!).frames);
    const want = r.model.config.labels.map((l) => offline.probabilities[l]);
    assert.ok(Math.max(...want.map((p, c) => Math.abs(p - w.probabilities[c]))) < 1e-5, `window ${w.index}`);
  }
  assert.equal(detections[0].label, 'high');
  assert.equal(detections[0].start, 0);
  assert.ok(
    detections.some((d) => d.label === 'low'),
    JSON.stringify(detections),
  );
  writeFileSync(join(root, 'testing_list.txt'), 'low/missing.wav\n');
  assert.throws(() => readAudioFolder(root), /testing_list\.txt: line 1 names 'low\/missing\.wav', which is not a WAV file in a label folder/);
  writeFileSync(join(root, 'testing_list.txt'), `${listed.testing.join('\n')}\n`);

  const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
  const model = join(dir, 'tones.safetensors');
  const t = run('train', 'classify', '--data', root, '--hidden', '16', '--epochs', '4', '--batch-size', '8', '--lr', '0.01', '--json', '--out', model);
  assert.equal(t.status, 0, t.stderr);
  const trained = JSON.parse(t.stdout);
  const e = run('eval', model, '--json');
  assert.equal(e.status, 0, e.stderr);
  const ev = JSON.parse(e.stdout);
  assert.equal(ev.split, 'test');
  assert.equal(ev.examples, listed.testing.length);
  assert.deepEqual(ev.metrics, trained.metrics);
  const all = run('eval', model, '--data', root, '--split', 'all', '--json', '--confusion', join(dir, 'tones-confusion.svg'));
  assert.equal(all.status, 0, all.stderr);
  const evAll = JSON.parse(all.stdout);
  assert.equal(evAll.examples, 80);
  assert.ok(evAll.metrics.accuracy > 0.8 && typeof evAll.metrics.macroF1 === 'number');
  assert.deepEqual(evAll.pictures, [join(dir, 'tones-confusion.svg')]);
  assert.match(readFileSync(join(dir, 'tones-confusion.svg'), 'utf8'), /^<svg[^>]*>[\s\S]*Confusion matrix/);
  const probe = join(dir, 'probe.wav');
  writeFileSync(probe, wav16(tone(rng, 300, 48000), 48000));
  const p = run('predict', model, '--wav', probe, '--json');
  assert.equal(p.status, 0, p.stderr);
  assert.equal(JSON.parse(p.stdout).label, 'low');
  const long = join(dir, 'long.wav');
  writeFileSync(long, wav16(Float32Array.from([...new Float32Array(8000), ...tone(rng, 2500, 16000), ...new Float32Array(8000)]), 16000));
  const s = run('predict', model, '--wav', long, '--stream', '--threshold', '0.6');
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /^0\.\d\d–0\.\d\d s\thigh\t/m);
  assert.match(s.stderr, /detection\(s\) in 1\.30 s of audio; real-time factor/);
  const model12 = join(dir, 'tones12.safetensors');
  const t12 = run('train', 'classify', '--data', root, '--words', 'high', '--unknown', '0.5', '--silence', '0.25', '--epochs', '2', '--hidden', '8', '--json', '--out', model12);
  assert.equal(t12.status, 0, t12.stderr);
  assert.deepEqual(JSON.parse(t12.stdout).labels, ['_silence_', '_unknown_', 'high']);
  const e12 = JSON.parse(run('eval', model12, '--json').stdout);
  assert.equal(e12.examples, 7, 'eval rebuilds the same task rows from the folder');
  const bad = run('train', 'classify', '--data', root, '--vocab', '100', '--out', join(dir, 'x.safetensors'));
  assert.match(bad.stderr, /--vocab applies to texts/);
});
