// The relaxed-simd wasm builds (fused multiply-adds in the products) pass the
// backend parity suite too. Node 20 validates them only with
// --experimental-wasm-relaxed-simd (Node 22+ and browsers by default), so the
// suite runs again in a child Node that has the feature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const FLAG = '--experimental-wasm-relaxed-simd';
const flagKnown = spawnSync(process.execPath, [FLAG, '-e', '0']).status === 0;

test('relaxed-simd wasm builds: the kernel parity suite against ref', () => {
  const r = spawnSync(process.execPath, [...(flagKnown ? [FLAG] : []), '--import', 'tsx', '--test', 'test/kernels-parity.test.ts'], {
    // Without NODE_TEST_CONTEXT the child reports as a top-level run (plain TAP on stdout).
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, GRU_TS_EXPECT_RELAXED_SIMD: '1' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `parity suite failed:\n${r.stdout.slice(-4000)}${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /# wasm: relaxed-simd build/);
  assert.match(r.stdout, /# fail 0/);
});

test('relaxed-simd wasm build: its vector exp, sigmoid and tanh (fused polynomials) within 3e-7 of float64', () => {
  const r = spawnSync(process.execPath, [...(flagKnown ? [FLAG] : []), '--import', 'tsx', '--test', '--test-name-pattern', 'vector exp', 'test/wasm-backend.test.ts'], {
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, GRU_TS_EXPECT_RELAXED_SIMD: '1' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `vector math test failed:\n${r.stdout.slice(-4000)}${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /vector math checked in gru\.wasm, gru-relaxed\.wasm/);
  assert.match(r.stdout, /# pass 1/);
});
