/**
 * `npm run bench:tape`: what recording on the autograd tape costs (issue #18).
 *
 * Forward: `gru.forward(x)` under `noGrad` against the same call with the
 * tape (parameters want gradients, so the layer saves its activations for
 * backward), the graph dropped unused, as in a loop that forgets `noGrad`
 * (after a few such graphs the layer stops saving: src/autograd/pool.ts).
 * Training step: GRU → Linear → MSE → Adam (the engines' step, bench/engines/gru-ts.ts),
 * its taped forward (GRU + head + loss) timed apart from backward and Adam,
 * against the same forward under `noGrad`. Workloads A (inference size) and
 * C (the engines' training step), bench/workloads.ts.
 *
 * The variants run interleaved in rounds (each round: a block of every
 * variant, the order turning round by round), so a noisy spell of a shared
 * machine falls on all of them; gc() between blocks, so a block pays for its
 * own garbage only. Reported: the median time per call, the 10th–90th
 * percentile spread and the mean (which holds the collections a variant
 * causes), and the ratio of medians to `noGrad`.
 *
 * `--against DIR`: also load another checkout's sources (DIR/src/core.ts,
 * with its own built addon and wasm) into this process and interleave its
 * variants with these, e.g. the commit before a change: a before/after
 * comparison that the machine's load cannot skew.
 *
 *   npm run bench:tape -- [--backends native,wasm] [--workloads A,C] [--rounds 40] [--block 10] [--threads N] [--against DIR]
 */
import { loadavg, cpus } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as thisCore from '../src/core.js';
import { inputs, workloads, type Workload } from './workloads.js';
import { opt, positiveInt } from './args.js';

type Core = typeof thisCore;
type PoolStats = { reused: number; allocated: number; skipped: number };

const rounds = positiveInt('--rounds', 40);
const block = positiveInt('--block', 10);
const threads = opt('--threads') === undefined ? undefined : positiveInt('--threads', 1);
const wantWorkloads = (opt('--workloads') ?? 'A,C').split(',');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

interface Variant {
  name: string;
  /** One call; returns its milliseconds. */
  run: () => number;
}

interface Stats {
  median: number;
  p10: number;
  p90: number;
  mean: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), mean: xs.reduce((a, b) => a + b, 0) / xs.length };
}

/** Runs the variants in interleaved rounds after a warm-up; per-call times by variant. */
function measure(variants: Variant[]): Map<string, number[]> {
  for (const v of variants) for (let i = 0; i < Math.max(5, block); i++) v.run();
  const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      gc();
      const out = times.get(v.name)!;
      for (let i = 0; i < block; i++) out.push(v.run());
    }
  }
  return times;
}

const timed = (f: () => void) => (): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

/** One source tree's variants of workload w: the forward ones, and the training ones with the step's parts. */
function variants(c: Core, w: Workload, tag: string) {
  const { GRU, Linear, Adam, Tensor, constant, mseLoss, sliceRows, backward, noGrad } = c;
  const { x, y } = inputs(w);
  const xt = new Tensor(x, [w.B, w.T, w.I]);
  const inference = new GRU({ inputSize: w.I, hiddenSize: w.H, batchFirst: true, seed: 1 });
  const forward: Variant[] = [
    { name: `noGrad${tag}`, run: timed(() => noGrad(() => inference.forward(xt))) },
    { name: `tape${tag}`, run: timed(() => inference.forward(xt)) },
  ];

  const gru = new GRU({ inputSize: w.I, hiddenSize: w.H, batchFirst: true, seed: 1 });
  const head = new Linear({ inFeatures: w.H, outFeatures: 1, seed: 2 });
  const adam = new Adam([...gru.parameters(), ...head.parameters()], { lr: 1e-3 });
  const target = constant(new Tensor(y, [w.B, 1]));
  const lossOf = () => {
    const { hN } = gru.forward(xt);
    return mseLoss(head.forward(sliceRows(hN, 0, 1, [w.B, w.H])), target);
  };
  const parts = { fwd: [] as number[], rest: [] as number[] };
  const train: Variant[] = [
    { name: `noGrad forward${tag}`, run: timed(() => noGrad(lossOf)) },
    {
      name: `step${tag}`,
      run: () => {
        const t0 = performance.now();
        const loss = lossOf();
        const t1 = performance.now();
        adam.zeroGrad();
        backward(loss);
        adam.step();
        const t2 = performance.now();
        parts.fwd.push(t1 - t0);
        parts.rest.push(t2 - t1);
        return t2 - t0;
      },
    },
  ];
  return { forward, train, parts };
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const cell = (s: Stats) => `${fmt(s.median)} | ${fmt(s.p10)}–${fmt(s.p90)} | ${fmt(s.mean)}`;
const ratio = (a: Stats, b: Stats) => `${(a.median / b.median).toFixed(2)}×`;

/** The tape's buffer pool of a source tree (absent before issue #18). */
function poolOf(c: Core): { stats(): PoolStats } | undefined {
  return (c as { tapeBuffers?: { stats(): PoolStats } }).tapeBuffers;
}

function poolNote(c: Core, before: PoolStats | undefined): string {
  const s = poolOf(c)?.stats();
  if (!s || !before) return '';
  return `saved buffers ${s.reused - before.reused} reused, ${s.allocated - before.allocated} allocated; ${s.skipped - before.skipped} saves skipped`;
}

async function main(): Promise<void> {
  const cores: { tag: string; core: Core }[] = [{ tag: '', core: thisCore }];
  const against = opt('--against');
  if (against) {
    const other = (await import(pathToFileURL(resolve(against, 'src/core.ts')).href)) as Core;
    cores[0].tag = ' (this)';
    cores.unshift({ tag: ` (${against})`, core: other });
  }
  const wantBackends = (opt('--backends') ?? 'native,wasm').split(',').filter((b) => cores.every((c) => c.core.backendNames().includes(b)));
  console.log(
    `${cpus()[0]?.model ?? 'unknown'} — ${cpus().length} cores; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; load average at start ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`${rounds} rounds × ${block} calls per variant, interleaved; gc() between blocks${gc.name === 'gc' ? '' : ' (not available: run with --expose-gc)'}`);
  for (const b of wantBackends) {
    let nt = 1;
    for (const { core } of cores) {
      core.setBackend(b);
      if (threads !== undefined) core.backend().setThreads?.(threads);
      nt = core.backend().threads?.() ?? 1;
    }
    for (const id of wantWorkloads) {
      const w = workloads.find((x) => x.id === id);
      if (!w) throw new Error(`--workloads: no workload ${id}`);
      console.log(`\n### ${b} ×${nt}: B=${w.B} T=${w.T} I=${w.I} H=${w.H}\n`);
      console.log('| | median ms | p10–p90 | mean | ÷ noGrad (medians) |');
      console.log('|---|---:|---:|---:|---:|');
      const sets = cores.map((c) => ({ ...c, v: variants(c.core, w, c.tag) }));
      const p0 = sets.map((s) => poolOf(s.core)?.stats());
      const ft = measure(sets.flatMap((s) => s.v.forward));
      const fnotes = sets.map((s, i) => poolNote(s.core, p0[i]));
      const p1 = sets.map((s) => poolOf(s.core)?.stats());
      const tt = measure(sets.flatMap((s) => s.v.train));
      const tnotes = sets.map((s, i) => poolNote(s.core, p1[i]));
      const steps: Stats[] = [];
      for (const { tag, v } of sets) {
        const base = stats(ft.get(`noGrad${tag}`)!);
        const tape = stats(ft.get(`tape${tag}`)!);
        const fb = stats(tt.get(`noGrad forward${tag}`)!);
        const f = stats(v.parts.fwd);
        const step = stats(tt.get(`step${tag}`)!);
        steps.push(step);
        console.log(`| forward, noGrad${tag} | ${cell(base)} | 1.00× |`);
        console.log(`| forward, tape${tag} | ${cell(tape)} | ${ratio(tape, base)} |`);
        console.log(`| step's forward (GRU, head, loss), noGrad${tag} | ${cell(fb)} | 1.00× |`);
        console.log(`| step's forward, tape${tag} | ${cell(f)} | ${ratio(f, fb)} |`);
        console.log(`| step's backward + Adam${tag} | ${cell(stats(v.parts.rest))} | |`);
        console.log(`| training step${tag} | ${cell(step)} | |`);
      }
      if (steps.length === 2) console.log(`\nTraining step, this ÷ ${against}: ${ratio(steps[1], steps[0])} (medians).`);
      sets.forEach((s, i) => fnotes[i] && console.log(`\n${s.tag.trim() || 'Pool'}: forward variants: ${fnotes[i]}; training: ${tnotes[i]}.`));
    }
  }
  console.log(
    `\nload average at end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
