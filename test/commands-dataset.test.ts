// The `commands` demo data (src/data/commands-dataset.ts): the voice catalogue
// and its split (eSpeak NG voices held out, SVOX Pico voices for training only),
// and a small synthesized subset in a temporary cache: the Speech Commands
// layout, lists that hold out whole voices, 1 s 16 kHz clips with the speech
// centred from both synthesizers, background noise, reuse of the cache, and
// the same bytes when made again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_WORDS, COMMANDS_ACCENTS, commandsDataset, commandsVoices, PICO_VOICES, TEST_VARIANTS, VALIDATION_VARIANTS } from '../src/data/commands-dataset.js';
import { decodeWav } from '../src/data/audio/wav.js';
import { GruError } from '../src/errors.js';
import { assertCommandClip } from './helpers/wav.js';

const voiceOf = (file: string) =>
  file
    .split('/')
    .pop()!
    .replace(/_nohash_.*$/, '');
const variantOf = (voice: string) => voice.slice(voice.indexOf('+') + 1);
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

test('the voice catalogue: 356 eSpeak voices, 8 accents, whole variants held out; 30 Pico voices, all for training', () => {
  const all = commandsVoices();
  assert.equal(all.length, 386);
  assert.equal(new Set(all.map((v) => v.id)).size, all.length, 'voice ids are unique');
  const pico = all.filter((v) => v.synthesizer === 'svoxpico');
  assert.equal(pico.length, 30);
  assert.deepEqual(new Set(pico.map((v) => v.accent)), new Set(PICO_VOICES.map((v) => v.accent)));
  assert.equal(new Set(pico.map((v) => `${v.pitch}/${v.rate}`)).size, 15, '5 pitches × 3 speeds');
  for (const v of pico) {
    assert.match(v.id, /^pico-en-(us|gb)\+p\d+s\d+$/, v.id);
    assert.equal(v.split, 'train', `${v.id} is training data only`);
    assert.ok(v.pitch >= 50 && v.pitch <= 200 && v.rate >= 20 && v.rate <= 500, v.id);
  }
  const voices = all.filter((v) => v.synthesizer === 'espeak-ng');
  assert.equal(voices.length, 356);
  for (const v of voices) {
    assert.match(v.id, /^[a-z0-9-]+\+[a-z0-9]+$/, v.id);
    assert.ok(!v.id.includes('_'), v.id);
    assert.ok(v.rate >= 140 && v.rate <= 220 && v.pitch >= 30 && v.pitch <= 70, v.id);
  }
  assert.deepEqual(new Set(voices.map((v) => v.accent)), new Set(COMMANDS_ACCENTS));
  const count = (s: string) => voices.filter((v) => v.split === s).length;
  assert.deepEqual([count('train'), count('validation'), count('test')], [284, 36, 36]);
  const variantsOf = (s: string) => new Set(voices.filter((v) => v.split === s).map((v) => v.variant));
  assert.deepEqual(variantsOf('validation'), new Set(VALIDATION_VARIANTS));
  assert.deepEqual(variantsOf('test'), new Set(TEST_VARIANTS));
  for (const v of variantsOf('train')) assert.ok(!VALIDATION_VARIANTS.includes(v) && !TEST_VARIANTS.includes(v), v);
  // every variant speaks 4 accents
  const perVariant = new Map<string, number>();
  for (const v of voices) perVariant.set(v.variant, (perVariant.get(v.variant) ?? 0) + 1);
  assert.ok([...perVariant.values()].every((n) => n === 4));
});

test('a voices count below 3 is refused', () => {
  for (const n of [0, 2, 2.5]) {
    assert.throws(
      () => commandsDataset({ cacheDir: tmpdir(), voices: n }),
      (e: unknown) => e instanceof GruError && e.code === 'INVALID_ARGUMENT',
    );
  }
});

test('a synthesized subset: layout, held-out voices, Pico for training, 1 s clips, noise, cache reuse, same bytes again', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gru-commands-'));
  try {
    const progress: [number, number][] = [];
    const dir = commandsDataset({ cacheDir, voices: 6, onProgress: (d, t) => progress.push([d, t]) });
    assert.equal(dir, join(cacheDir, 'commands-v2-6'));
    assert.deepEqual(progress.at(-1), [60, 60]);
    assert.ok(progress.every(([d], i) => i === 0 || d >= progress[i - 1][0]));
    assert.ok(!readdirSync(cacheDir).some((e) => e.includes('.tmp-')), 'no temporary folder is left');

    // layout: one folder per word, one clip per voice in each
    const entries = readdirSync(dir).sort();
    assert.deepEqual(entries, [...COMMAND_WORDS, '_background_noise_', 'README.md', 'commands.json', 'testing_list.txt', 'validation_list.txt'].sort());
    const files = COMMAND_WORDS.flatMap((w) => readdirSync(join(dir, w)).map((f) => `${w}/${f}`));
    assert.equal(files.length, 60);
    for (const w of COMMAND_WORDS) assert.equal(readdirSync(join(dir, w)).length, 6);
    for (const f of files) assert.match(f, /^[a-z]+\/[a-z0-9-]+\+[a-z0-9]+_nohash_0\.wav$/);

    // lists: relative paths of existing files; whole voices (and variants) on one side only
    const validation = lines(join(dir, 'validation_list.txt'));
    const testing = lines(join(dir, 'testing_list.txt'));
    assert.ok(validation.length > 0 && testing.length > 0);
    for (const f of [...validation, ...testing]) assert.ok(files.includes(f), f);
    const held = new Set([...validation, ...testing]);
    const train = files.filter((f) => !held.has(f));
    const voicesIn = (list: string[]) => new Set(list.map(voiceOf));
    const [trV, vaV, teV] = [voicesIn(train), voicesIn(validation), voicesIn(testing)];
    assert.deepEqual([trV.size, vaV.size, teV.size], [4, 1, 1]);
    for (const v of teV) assert.ok(!trV.has(v) && !vaV.has(v), `test voice ${v} also elsewhere`);
    for (const v of vaV) assert.ok(!trV.has(v), `validation voice ${v} also in training`);
    const variants = (s: Set<string>) => new Set([...s].map(variantOf));
    for (const v of variants(teV)) assert.ok(!variants(trV).has(v) && !variants(vaV).has(v), `test variant ${v} also elsewhere`);
    for (const v of variants(vaV)) assert.ok(!variants(trV).has(v), `validation variant ${v} also in training`);
    for (const v of [...vaV, ...teV]) assert.equal(files.filter((f) => voiceOf(f) === v).length, 10, `all of ${v}'s clips are held out`);
    // one of the four training voices is SVOX Pico's; the held-out voices are all eSpeak's
    const picoVoices = [...trV].filter((v) => v.startsWith('pico-'));
    assert.deepEqual(picoVoices, [commandsVoices().find((v) => v.synthesizer === 'svoxpico')!.id]);
    for (const v of [...vaV, ...teV]) assert.ok(!v.startsWith('pico-'), v);

    // clips: 16 kHz mono 16-bit, exactly 1 s, loud, speech near the middle, silence at the edges (Pico's too)
    for (const f of files) {
      assertCommandClip(decodeWav(readFileSync(join(dir, f)), f), f, 0.02);
    }
    // Pico's words: each a word's length of sound inside the clip (within 35 dB of the loudest 10 ms), and ten different sounds
    const picoFiles = files.filter((f) => voiceOf(f) === picoVoices[0]);
    assert.equal(picoFiles.length, 10);
    for (const f of picoFiles) {
      const x = decodeWav(readFileSync(join(dir, f)), f).samples;
      const rms = Array.from({ length: 100 }, (_, k) => Math.sqrt(x.subarray(160 * k, 160 * (k + 1)).reduce((a, v) => a + v * v, 0) / 160));
      const loud = rms.map((r) => r >= Math.max(...rms) * 10 ** (-35 / 20));
      const first = loud.indexOf(true),
        last = loud.lastIndexOf(true);
      assert.ok(first >= 1 && last <= 98, `${f}: speech from ${first * 10} to ${last * 10 + 10} ms reaches the clip's edge`);
      assert.ok(last - first + 1 >= 15, `${f}: only ${(last - first + 1) * 10} ms of speech`);
    }
    const picoBytes = picoFiles.map((f) => readFileSync(join(dir, f)));
    for (let i = 0; i < picoBytes.length; i++) for (let j = i + 1; j < picoBytes.length; j++) assert.ok(!picoBytes[i].equals(picoBytes[j]), `${picoFiles[i]} and ${picoFiles[j]} sound the same`);

    // background noise: white, pink, brown, 20 s each at RMS 0.1; pink and brown darker than white
    const noise = readdirSync(join(dir, '_background_noise_')).sort();
    assert.deepEqual(noise, ['brown_noise.wav', 'pink_noise.wav', 'white_noise.wav']);
    const lowShare = (x: Float32Array) => {
      // share of the energy left after a first difference (a high-pass): high for white noise, low for brown
      let all = 0,
        diff = 0;
      for (let i = 1; i < x.length; i++) {
        all += x[i] * x[i];
        diff += (x[i] - x[i - 1]) ** 2;
      }
      return diff / all;
    };
    const shares: Record<string, number> = {};
    for (const n of noise) {
      const w = decodeWav(readFileSync(join(dir, '_background_noise_', n)), n);
      assert.deepEqual([w.sampleRate, w.samples.length], [16000, 320000], n);
      let ss = 0;
      for (const v of w.samples) ss += v * v;
      assert.ok(Math.abs(Math.sqrt(ss / w.samples.length) - 0.1) < 0.005, n);
      shares[n] = lowShare(w.samples);
    }
    assert.ok(shares['white_noise.wav'] > shares['pink_noise.wav'] && shares['pink_noise.wav'] > shares['brown_noise.wav'], JSON.stringify(shares));

    const marker = JSON.parse(readFileSync(join(dir, 'commands.json'), 'utf8'));
    assert.equal(marker.version, 2);
    assert.deepEqual(
      marker.synthesizers.map((s: { package: string }) => s.package),
      ['espeak-ng', '@echogarden/svoxpico-wasm'],
    );
    assert.deepEqual(marker.clips, { total: 60, train: 40, validation: 10, test: 10 });
    assert.equal(marker.voiceTable.length, 6);

    // reuse: the second call returns at once, hears no progress, rewrites nothing
    const probe = join(dir, files[0]);
    const before = statSync(probe).mtimeMs;
    const bytes = readFileSync(probe);
    let calls = 0;
    const t0 = Date.now();
    assert.equal(commandsDataset({ cacheDir, voices: 6, onProgress: () => calls++ }), dir);
    assert.ok(Date.now() - t0 < 1000, 'the cache is reused');
    assert.equal(calls, 0);
    assert.equal(statSync(probe).mtimeMs, before);

    // a marker of another generator version is not trusted: the folder is made again, to the same bytes
    writeFileSync(join(dir, 'commands.json'), JSON.stringify({ ...marker, version: 0 }));
    assert.equal(commandsDataset({ cacheDir, voices: 6 }), dir);
    assert.equal(JSON.parse(readFileSync(join(dir, 'commands.json'), 'utf8')).version, 2);
    assert.deepEqual(readFileSync(probe), bytes, 'the synthesis is deterministic');
    picoFiles.forEach((f, i) => assert.ok(readFileSync(join(dir, f)).equals(picoBytes[i]), `${f}: Pico's synthesis is deterministic`));
    assert.deepEqual(readdirSync(cacheDir), ['commands-v2-6'], 'no temporary or old folder is left');
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('GRU_TS_CACHE names the cache folder when no cacheDir is given', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gru-commands-env-'));
  const saved = process.env.GRU_TS_CACHE;
  process.env.GRU_TS_CACHE = cacheDir;
  try {
    assert.equal(commandsDataset({ voices: 3 }), join(cacheDir, 'commands-v2-3'));
    assert.equal(lines(join(cacheDir, 'commands-v2-3', 'testing_list.txt')).length, 10);
  } finally {
    if (saved === undefined) delete process.env.GRU_TS_CACHE;
    else process.env.GRU_TS_CACHE = saved;
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("without Pico's voice data the error names where it was looked for, before anything is synthesized", () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gru-commands-nopico-'));
  const empty = mkdtempSync(join(tmpdir(), 'gru-pico-lang-'));
  const saved = process.env.GRU_TS_PICO_LANG;
  process.env.GRU_TS_PICO_LANG = empty;
  try {
    const t0 = Date.now();
    assert.throws(
      () => commandsDataset({ cacheDir, voices: 6 }),
      (e: unknown) => e instanceof GruError && e.code === 'UNSUPPORTED' && e.message.includes(empty) && /GRU_TS_PICO_LANG/.test(e.message) && /libttspico-data/.test(e.message) && /en-US_ta\.bin/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 2000, 'refused before synthesizing');
    assert.deepEqual(readdirSync(cacheDir), [], 'no folder is left');
  } finally {
    if (saved === undefined) delete process.env.GRU_TS_PICO_LANG;
    else process.env.GRU_TS_PICO_LANG = saved;
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
});
