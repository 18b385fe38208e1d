// The built package: self-reference import, and the `gru` command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

test("import { GRU } from 'gru-ts' resolves to the built package", async () => {
  const mod = await import('gru-ts');
  const gru = new mod.GRU({ inputSize: 2, hiddenSize: 3 });
  const { output } = gru.forward(mod.Tensor.zeros([4, 1, 2]));
  assert.deepEqual(output.shape, [4, 1, 3]);
});

test("gru --version and gru --help; the version model files record is package.json's", async () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal((await import('../src/version.js')).GRU_TS_VERSION, pkg.version);
  const v = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  const h = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.match(h.stdout, /info/);
});

test('gru rejects unknown commands and options, and missing files, with one line and exit ≠ 0', () => {
  const u = spawnSync(process.execPath, [cli, 'info', 'x.safetensors', '--bogus'], { encoding: 'utf8' });
  assert.notEqual(u.status, 0);
  assert.match(u.stderr, /unknown option '--bogus'/);
  const m = spawnSync(process.execPath, [cli, 'info', '/nonexistent/model.safetensors'], { encoding: 'utf8' });
  assert.equal(m.status, 1);
  assert.match(m.stderr, /^gru: .*nonexistent\/model\.safetensors/);
  assert.equal(m.stderr.trim().split('\n').length, 1, 'no stack trace without --debug');
});

test('installing the library pulls no demo data: datasets are development dependencies, and a missing one names its package', async () => {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const data = (deps: Record<string, string>) => Object.keys(deps).filter((d) => /datasets/.test(d));
  assert.deepEqual(data(pkg.dependencies), []);
  assert.ok(data(pkg.devDependencies).length >= 5, 'the demos still run in a checkout');
  const { datasetPackageDir } = await import('../src/data/datasets.js');
  assert.throws(() => datasetPackageDir('@stdlib/datasets-not-installed'), /comes from the npm package @stdlib\/datasets-not-installed, which is not installed .*npm install @stdlib\/datasets-not-installed/);
});
