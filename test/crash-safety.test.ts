// Crash safety: training killed (SIGKILL) at random moments and mid-write,
// then resumed, by scripts/kill-test.ts (`npm run kill-test` kills 100
// times; here 5). Every checkpoint and model file on disk must load, every
// resumed run must reproduce the uninterrupted run's losses bit for bit, and
// the finished chain must end with the uninterrupted run's model and no
// temporary or lock file left. Runs the built command (dist/cli/main.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killTest } from '../scripts/kill-test.js';

test('killed 5 times (at random moments and during file writes), training leaves only loadable files and resumes to the uninterrupted losses', async () => {
  const r = await killTest({ kills: 5, seed: 11, epochs: 12 });
  assert.deepEqual(r.failures, []);
  assert.equal(r.kills, 5);
  assert.equal(r.corrupt, 0, 'every checkpoint and model file loads');
  assert.ok(r.filesChecked >= 1, 'files were on disk to check');
  assert.equal(r.resumedRunsReproducing, r.resumedRuns, 'every resumed run wrote the uninterrupted losses');
  assert.ok(r.resumedRuns >= 1, 'at least one run resumed from a checkpoint and trained on');
  assert.ok(r.chains >= 1);
  assert.equal(r.chainsReproducing, r.chains, 'each chain of killed runs ends with the uninterrupted model');
  assert.equal(r.leftovers, 0, 'no *.tmp-* or lock file is left');
});
