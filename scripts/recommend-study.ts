/**
 * The recommend task against its baselines: Recall@20 and MRR@20 of the
 * next click at every position of the test sessions (the final day), all
 * items ranked, for several settings of the session GRU beside popularity,
 * item-kNN and session-kNN fitted on the same training sessions. Prints a
 * Markdown section (for QUALITY.md) and writes it to --out when given.
 *
 *   node --import tsx scripts/recommend-study.ts [--data FILE [--format yoochoose]] [--quick] [--all] [--out study.md]
 *
 * Without --data it runs on the SIMULATED click log of
 * src/tasks/recommend/simulate.ts (20,000 sessions over 30 days, 1,000
 * items; --quick: 8,000 and 500), since no package this project installs
 * ships a real click log; with --data it reads a GRU4Rec-format log (or
 * yoochoose-clicks.dat with --format yoochoose) and runs the default
 * settings only. --all adds sampling without logQ and one-hot input.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { backend, readClicks, readSettings, simulateClicks, splitSessions, trainRecommender, type ClickFormat, type ClickLog, type RecommendOptions, type TrainEvent } from '../src/index.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const quick = process.argv.includes('--quick');
const every = process.argv.includes('--all');
const dataPath = arg('--data');
const format = arg('--format') as ClickFormat | undefined;
const outPath = arg('--out');

const lines: string[] = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};
const progress = (e: TrainEvent) => {
  if (e.type === 'epoch') process.stderr.write(`  epoch ${e.epoch + 1}: train ${e.trainLoss.toFixed(4)} val ${e.valLoss?.toFixed(4)} ${JSON.stringify(e.metrics)} (${e.seconds.toFixed(1)} s)\n`);
};

const simulated = { sessions: quick ? 8000 : 20_000, items: quick ? 500 : 1000, days: 30, seed: 1 };
const t0 = performance.now();
const reading = readSettings({ format });
const log: ClickLog = dataPath ? readClicks(dataPath, reading) : simulateClicks(simulated);
const readSeconds = (performance.now() - t0) / 1000;
const split = splitSessions(log);
const n = (x: number) => x.toLocaleString('en-US');

say(`## recommend — next click in the final day's sessions, Recall@20 / MRR@20, all items ranked`);
say();
say(
  dataPath
    ? `Data: ${dataPath} (${n(log.length)} clicks read in ${readSeconds.toFixed(0)} s).`
    : `Data: a SIMULATED click log (src/tasks/recommend/simulate.ts: ${n(simulated.sessions)} sessions over ${simulated.days} days, ${n(simulated.items)} items with power-law popularity, sessions following item successors and topics, a latent Markov structure); no installable package ships a real click log.`,
);
say(
  `GRU4Rec's preprocessing: ${n(split.counts.shortSessions)} one-click sessions and ${n(split.counts.rareItems)} items with fewer than 5 clicks dropped; training ${n(split.train.keys.length)} sessions (${n(split.train.items.length)} clicks), validation (the last training day) ${n(split.validation.keys.length)}, test ${n(split.test.keys.length)} sessions, ${n(split.test.items.length - split.test.keys.length)} predictions; ${n(split.items.length)} items.`,
);
say(`${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? ''} (${cpus().length} cores), backend ${backend().name}, Node ${process.version}. Seeded: the same numbers on every run.`);
say();

const settings: [string, RecommendOptions][] = dataPath
  ? [['gru-ts GRU4Rec, cross-entropy, 2048 sampled negatives + logQ (defaults)', {}]]
  : [
      ['gru-ts GRU4Rec, cross-entropy over all items (defaults: embedding 64, hidden 100)', {}],
      ['gru-ts GRU4Rec, cross-entropy, 256 sampled negatives + logQ', { nSample: 256 }],
      ['gru-ts GRU4Rec, BPR-max, 256 sampled negatives', { loss: 'bpr-max', nSample: 256 }],
      ...(every
        ? ([
            ['gru-ts GRU4Rec, cross-entropy, 256 sampled negatives, no logQ', { nSample: 256, logQ: 0 }],
            ['gru-ts GRU4Rec, one-hot input (embedding 0), cross-entropy over all items', { embeddingSize: 0 }],
          ] as [string, RecommendOptions][])
        : []),
    ];

const rows: string[] = [];
let baselines: string[] = [];
for (const [i, [name, o]] of settings.entries()) {
  process.stderr.write(`${name}\n`);
  const r = trainRecommender(log, { epochs: quick ? 3 : 5, seed: 0, onEvent: progress, baselines: i === 0 ? undefined : [], ...o }, reading);
  rows.push(`| ${name} | ${r.test.model.recall.toFixed(4)} | ${r.test.model.mrr.toFixed(4)} | ${r.seconds.training.toFixed(0)} s (${r.history.length} epochs) |`);
  if (i === 0) {
    baselines = Object.entries(r.test.baselines).map(([b, m]) => `| ${b} | ${m.recall.toFixed(4)} | ${m.mrr.toFixed(4)} | ${m.seconds.toFixed(1)} s (scoring) |`);
  }
}
say('| model | Recall@20 | MRR@20 | training |');
say('|---|---:|---:|---:|');
for (const r of [...rows, ...baselines]) say(r);
say();
say(`At most ${quick ? 3 : 5} epochs, the best by validation Recall@20; the baselines are fitted on the same training sessions and rank ties (items scoring 0) by popularity; ranks are conservative (ties count against the target).`);
if (outPath) writeFileSync(outPath, `${lines.join('\n')}\n`);
