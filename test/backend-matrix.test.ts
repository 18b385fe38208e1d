// The module, task, ONNX and safetensors tests on every backend, not only the
// default one: this run covers the default; here each other backend this
// process has runs them in a child (GRU_TS_BACKEND selects the default), with
// wasm run as a user without a C++ compiler gets it (GRU_TS_SKIP_NATIVE=1: no
// addon, so the registry falls back to wasm by itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backend, backendNames } from '../src/index.js';

/** The tests of everything built on the kernels. */
const FILES = ['gru-module', 'gru-reference', 'attention-gru', 'attention-gru-stack', 'checkpoint-bptt', 'sparse-input', 'training', 'optim', 'onnx-conformance', 'onnx-export', 'safetensors', 'tasks'].map((f) => `test/${f}.test.ts`);

const root = fileURLToPath(new URL('..', import.meta.url));

/** Each run: its name and environment. */
function runs(): { name: string; env: Record<string, string> }[] {
  const current = backend().name;
  const out: { name: string; env: Record<string, string> }[] = [];
  for (const name of backendNames()) {
    if (name === current) continue; // this run's own
    out.push(name === 'wasm' ? { name: 'wasm, as a user without a C++ compiler (GRU_TS_SKIP_NATIVE=1)', env: { GRU_TS_SKIP_NATIVE: '1', GRU_TS_BACKEND: '' } } : { name, env: { GRU_TS_BACKEND: name } });
  }
  return out;
}

for (const r of runs()) {
  test(`module, task, ONNX and safetensors tests on ${r.name}`, () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...r.env };
    delete env.NODE_TEST_CONTEXT; // a test runner of its own, not this one's child
    const p = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...FILES], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const out = `${p.stdout}\n${p.stderr}`;
    const summary = out
      .split('\n')
      .filter((l) => /^# (tests|pass|fail) /.test(l))
      .map((l) => l.slice(2))
      .join(', ');
    const failed = out
      .split('\n')
      .filter((l) => /^not ok /.test(l) || /^\s+error: /.test(l))
      .slice(0, 20)
      .join('\n');
    assert.equal(p.status, 0, `${r.name}: ${summary}\n${failed}`);
    assert.match(summary, /fail 0/);
    console.log(`# ${r.name}: ${summary}`);
  });
}
