#!/usr/bin/env node
// npm "install" script: builds the native backend (build/Release/gru_native.node)
// with node-gyp. It never fails the installation: when the build is skipped or
// fails, it prints one line and exits 0, and gru-ts runs on WebAssembly.
//
//   GRU_TS_SKIP_NATIVE=1   skip the build
//
// node-gyp is found as npm provides it (npm_config_node_gyp), else npm's own
// copy beside this Node, else through npx.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function giveUp(reason) {
  console.log(`gru-ts: native backend not built (${reason}); using WebAssembly`);
  process.exit(0);
}

if (process.env.GRU_TS_SKIP_NATIVE === '1' || process.env.GRU_TS_SKIP_NATIVE === 'true') giveUp('GRU_TS_SKIP_NATIVE is set');
if (!existsSync(join(root, 'binding.gyp'))) giveUp('binding.gyp is missing');

/** The command that runs node-gyp: [file, args, useShell]. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, [fromNpm], false];
  const exeDir = dirname(process.execPath);
  const bundled = [
    join(exeDir, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Unix
    join(exeDir, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Windows
  ].find((p) => existsSync(p));
  if (bundled) return [process.execPath, [bundled], false];
  return [process.platform === 'win32' ? 'npx.cmd' : 'npx', ['node-gyp'], process.platform === 'win32'];
}

/** KERNEL_ABI of the kernel specs: src/kernels/spec.ts in a checkout, dist/kernels/spec.js in the package. */
function kernelAbi() {
  for (const f of ['src/kernels/spec.ts', 'dist/kernels/spec.js']) {
    const p = join(root, f);
    const m = existsSync(p) && /export const KERNEL_ABI = (\d+);/.exec(readFileSync(p, 'utf8'));
    if (m) return m[1];
  }
  return null;
}
const abi = kernelAbi();
if (!abi) giveUp('KERNEL_ABI not found in src/kernels/spec.ts or dist/kernels/spec.js');

const [cmd, pre, shell] = nodeGyp();
const args = [...pre, 'rebuild', '--jobs', 'max', `--gru_kernel_abi=${abi}`];
// Outside npm (no npm_config_nodedir), use this Node's own headers when it ships them,
// so that no download is needed.
const headers = join(dirname(process.execPath), '..', 'include', 'node');
if (!process.env.npm_config_nodedir && existsSync(join(headers, 'node_api.h'))) {
  args.push(`--nodedir=${join(headers, '..', '..')}`);
}

const r = spawnSync(cmd, args, { cwd: root, shell, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
if (r.error) giveUp(`cannot run node-gyp: ${r.error.message}`);
if (r.status !== 0) {
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim());
  const compiler = lines.find((l) => /\berror\b/i.test(l) && !/^gyp (ERR|info)/.test(l));
  const gyp = lines.map((l) => /^gyp ERR! (?:stack )?Error: (.*)$/.exec(l)?.[1]).find(Boolean);
  const why = (compiler ?? gyp ?? `node-gyp exited with ${r.status ?? r.signal}`).replace(/\s+/g, ' ');
  giveUp(why.length > 160 ? `${why.slice(0, 157)}...` : why);
}
if (!existsSync(join(root, 'build', 'Release', 'gru_native.node'))) giveUp('node-gyp produced no gru_native.node');
