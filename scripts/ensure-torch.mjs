#!/usr/bin/env node
// Makes sure a Python with torch, safetensors and numpy is there for test/pytorch-twins.test.ts, which
// calls this script before it runs the twins (python/). Prints one line: the interpreter it found or made.
//
// - GRU_TORCH_PYTHON: use that interpreter as it is (it must import torch, safetensors and numpy);
// - otherwise a virtual environment in .cache/torch-venv (gitignored), made once with `python3 -m venv`
//   (GRU_PYTHON names another Python ≥ 3.9) and `pip install torch safetensors numpy`, about 35 s on a
//   2-core machine with a local package mirror; later runs find it ready (a marker file) in milliseconds.
//
// pip installs as the machine's pip configuration says (index, mirror, find-links); GRU_TORCH_PIP_ARGS adds
// arguments. On Linux with internet access PyPI's torch is the CUDA build (gigabytes); for the CPU one use
// GRU_TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple".
// Failing to find or make one, it says why and exits 1: the twins' test fails rather than skips.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const VENV = join(root, '.cache', 'torch-venv');
const MARKER = join(VENV, 'gru-ts-ready');
const PACKAGES = ['torch', 'safetensors', 'numpy'];
const CHECK = 'import sys, numpy, safetensors, torch; print(f"torch {torch.__version__}, safetensors {safetensors.__version__}, numpy {numpy.__version__}, Python {sys.version.split()[0]}")';
const say = (msg) => console.log(`ensure-torch: ${msg}`);

function giveUp(why) {
  console.error(`ensure-torch: ${why}; test/pytorch-twins.test.ts needs it (or set GRU_TORCH_PYTHON to a Python with torch, safetensors and numpy)`);
  process.exit(1);
}

const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
const tail = (r) => `${r.error?.message ?? `exit ${r.status}`}: ${`${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ')}`;

/** "torch 2.x, …" when `python` imports the packages, else null (and why in `failure`). */
let failure = '';
function versions(python) {
  const r = run(python, ['-c', CHECK]);
  if (r.status === 0) return r.stdout.trim();
  failure = tail(r);
  return null;
}

const given = process.env.GRU_TORCH_PYTHON;
if (given) {
  const v = versions(given);
  if (!v) giveUp(`GRU_TORCH_PYTHON=${given} cannot import ${PACKAGES.join(', ')} (${failure})`);
  say(`${given} (${v})`);
  process.exit(0);
}

const python = join(VENV, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
if (existsSync(MARKER) && existsSync(python)) {
  say(`${python} is ready`);
  process.exit(0);
}

const t0 = Date.now();
if (!existsSync(python)) {
  const base = process.env.GRU_PYTHON || 'python3';
  const ok = run(base, ['-c', 'import sys, venv; sys.exit(sys.version_info < (3, 9))']);
  if (ok.status !== 0) giveUp(`no Python 3.9 or newer with the venv module as ${base} (${tail(ok)}); install python3 and python3-venv, or set GRU_PYTHON`);
  // A half-made environment (an interrupted earlier run) is made again from nothing.
  rmSync(VENV, { recursive: true, force: true });
  const r = run(base, ['-m', 'venv', VENV]);
  if (r.status !== 0) giveUp(`${base} -m venv ${VENV} failed (${tail(r)})`);
}
// One retry and a 20 s timeout: pip's defaults (5 retries, growing waits) spend minutes on an index it cannot reach before trying the next.
const extra = (process.env.GRU_TORCH_PIP_ARGS ?? '').split(/\s+/).filter(Boolean);
const pip = run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', '--timeout', '20', ...extra, ...PACKAGES]);
if (pip.status !== 0) giveUp(`pip install ${PACKAGES.join(' ')} into ${VENV} failed (${tail(pip)})`);
const v = versions(python);
if (!v) giveUp(`${python} cannot import ${PACKAGES.join(', ')} after installing them (${failure})`);
writeFileSync(MARKER, `${v}\n`);
say(`installed ${v} into ${VENV} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
