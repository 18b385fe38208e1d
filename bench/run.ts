/**
 * `npm run bench`: gru-ts (each backend) against ONNX Runtime, TensorFlow.js
 * (wasm and cpu) and brain.js, in one process, on the same workloads. Prints
 * median time, GFLOP/s, the fraction of this machine's sgemm ceiling
 * (measured in the same run), peak memory (each engine and workload alone in
 * a child process), and ratios. `--write` also records the tables in
 * bench/RESULTS.md.
 *
 *   npm run bench -- [--workloads A,B,C,D] [--engines native,onnxruntime,…] [--rounds 3] [--no-memory] [--write]
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendNames, backend, setBackend } from '../src/index.js';
import { workloads, flops, type Workload } from './workloads.js';
import type { Engine, Step } from './engines/engine.js';
import { gruTsEngine } from './engines/gru-ts.js';
import { onnxRuntimeEngine } from './engines/onnxruntime.js';
import { tfjsEngine } from './engines/tfjs.js';
import { brainEngine } from './engines/brain.js';
import { measureCeiling, measureFlatMemory } from './machine.js';
import { opt } from './args.js';

const args = process.argv.slice(2);

function allEngines(): Engine[] {
  const out: Engine[] = [];
  const names = backendNames();
  if (names.includes('native')) out.push(gruTsEngine('native', 1), gruTsEngine('native', 2));
  if (names.includes('wasm')) out.push(gruTsEngine('wasm', 1), gruTsEngine('wasm', 2));
  out.push(gruTsEngine('ref'));
  out.push(onnxRuntimeEngine(1), onnxRuntimeEngine(2), tfjsEngine('wasm'), tfjsEngine('cpu'), brainEngine());
  return out;
}

function selectEngines(): Engine[] {
  const want = opt('--engines')?.split(',');
  const all = allEngines();
  return want ? all.filter((e) => want.some((w) => e.name.includes(w) || e.family.includes(w))) : all;
}

interface Timing {
  medianMs: number;
  runs: number;
}

/** Warm up, then time until 5 runs and 1.5 s (at most 30 runs); a run over 8 s is timed once. */
async function time(step: Step): Promise<Timing> {
  let t0 = performance.now();
  await step();
  const first = performance.now() - t0;
  if (first > 8000) {
    t0 = performance.now();
    await step();
    return { medianMs: performance.now() - t0, runs: 1 };
  }
  const times: number[] = [];
  let total = 0;
  while (times.length < 30 && (times.length < 5 || total < 1500)) {
    t0 = performance.now();
    await step();
    const dt = performance.now() - t0;
    times.push(dt);
    total += dt;
    if (dt > 4000 && times.length >= 2) break;
  }
  return { medianMs: median(times), runs: times.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Child mode: run one engine on one workload twice; print the peak RSS. */
async function child(engineName: string, workloadId: string): Promise<void> {
  const e = allEngines().find((x) => x.name === engineName)!;
  const w = workloads.find((x) => x.id === workloadId)!;
  const step = await e.prepare(w);
  if (typeof step !== 'string') {
    await step();
    await step();
  }
  console.log(JSON.stringify({ peakRssMB: process.resourceUsage().maxRSS / 1024 }));
}

function peakMemory(engine: Engine, w: Workload): number | null {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', engine.name, w.id], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 300_000,
    });
    return JSON.parse(out.trim().split('\n').pop()!).peakRssMB;
  } catch {
    return null;
  }
}

const fmt = (v: number, d = 1) => (v >= 100 ? v.toFixed(0) : v.toFixed(d));

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1], args[2]);
  if (args[0] === '--flat') return measureFlatMemory(Number(args[1] ?? 1000));
  const selected = opt('--workloads')?.split(',');
  const ws = workloads.filter((w) => !selected || selected.includes(w.id));
  const engines = selectEngines();
  const memory = !args.includes('--no-memory');
  const rounds = Number(opt('--rounds') ?? 3);
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds: expected a positive integer, got ${opt('--rounds')}`);
  const lines: string[] = [];
  const say = (s = '') => {
    console.log(s);
    lines.push(s);
  };

  const ceiling = measureCeiling();
  say(`Machine: ${cpus()[0]?.model ?? 'unknown'} — ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
  say(`sgemm ceiling (gru-ts ${ceiling.backend}, 1024×1024×1024): ${fmt(ceiling.gflops1)} GFLOP/s on 1 thread${ceiling.gflops2 ? `, ${fmt(ceiling.gflops2)} on 2` : ''}`);
  say();

  for (const w of ws) {
    const gf = flops(w) / 1e9;
    say(`### ${w.id}: ${w.what} (${gf.toFixed(3)} GFLOP)`);
    say();
    // Rounds: every engine once per round, so a noisy spell of the machine
    // falls on all of them alike; an engine's time is the median of its rounds'
    // medians. Engines slower than a second a step run in the first round only.
    const rows: { e: Engine; t?: Timing; why?: string; mem?: number | null }[] = engines.map((e) => ({ e }));
    const perRound = new Map<Engine, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        const e = row.e;
        if (row.why || (round > 0 && row.t!.medianMs > 1000)) continue;
        const step = await e.prepare(w);
        if (typeof step === 'string') {
          row.why = step;
          continue;
        }
        const t = await time(step);
        e.release?.();
        const ms = [...(perRound.get(e) ?? []), t.medianMs];
        perRound.set(e, ms);
        row.t = { medianMs: median(ms), runs: (row.t?.runs ?? 0) + t.runs };
        if (round === 0 && memory) row.mem = peakMemory(e, w);
        process.stderr.write(`  ${w.id} ${e.name}: ${t.medianMs.toFixed(2)} ms${rounds > 1 ? ` (round ${round + 1})` : ''}\n`);
      }
    }
    const ref = (fam: string) => rows.find((r) => r.e.name === fam && r.t)?.t?.medianMs;
    const bases = ['gru-ts native ×2', 'gru-ts native ×1', 'gru-ts wasm ×1'].filter((n) => ref(n) !== undefined);
    say(`| engine | median ms | GFLOP/s | of ceiling | peak RSS MB | ${bases.map((b) => `÷ ${b.replace('gru-ts ', '')}`).join(' | ')} |`);
    say(`|---|---:|---:|---:|---:|${bases.map(() => '---:|').join('')}`);
    for (const r of rows) {
      if (!r.t) {
        say(`| ${r.e.name} | — (${r.why}) | | | |${bases.map(() => ' |').join('')}`);
        continue;
      }
      const g = gf / (r.t.medianMs / 1000);
      const ratios = bases.map((b) => `${fmt(r.t!.medianMs / ref(b)!, 2)}×`);
      say(`| ${r.e.name} | ${fmt(r.t.medianMs, 2)} | ${fmt(g)} | ${((100 * g) / (ceiling.gflops2 ?? ceiling.gflops1)).toFixed(0)}% | ${r.mem ? fmt(r.mem) : '—'} | ${ratios.join(' | ')} |`);
    }
    say();
  }
  if (memory) {
    const flat = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--flat', '1000'], { encoding: 'utf8' });
    say(flat.trim());
    say();
  }
  say(
    `Times are medians over ${rounds} round${rounds > 1 ? 's' : ''} (each engine once per round; engines slower than 1 s a step: the first round only). Ratios are this engine's time ÷ the gru-ts backend's time: above 1× means gru-ts is faster. "of ceiling" is against the 2-thread sgemm ceiling.`,
  );
  for (const e of engines) if (e.note) say(`- ${e.note}`);

  if (args.includes('--write')) {
    const path = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
    let old = '';
    try {
      old = readFileSync(path, 'utf8');
    } catch {}
    const marker = '<!-- bench:latest -->';
    // Everything before the marker is kept (a file without one keeps all of it; the run goes at the end).
    const head = old.includes(marker) ? old.slice(0, old.indexOf(marker)) : old ? `${old.trimEnd()}\n\n` : '# Benchmark results\n\n';
    writeFileSync(path, `${head}${marker}\n## Latest run\n\n${lines.join('\n')}\n`);
  }
  setBackend(backendNames()[0]);
  void backend;
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
