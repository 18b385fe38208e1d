/**
 * `npm run bench:recommend`: the session recommender's training throughput (clicks per second) and
 * the latency of one next-item query (every item scored), on a simulated click log (no real one
 * ships). For scale: the official PyTorch GRU4Rec reports ~26,000 clicks/s on an A30 GPU.
 * GRU4Rec's preprocessing keeps items with 5 clicks or more, so a catalogue near 50,000 items needs
 * about a million clicks: `--sessions 250000` (an epoch takes minutes on two cores).
 *
 *   node --import tsx bench/recommend.ts [--sessions N] [--items V] [--queries Q]
 */
import { cpus } from 'node:os';
import { backend, recommendNext, simulateClicks, splitSessions, trainRecommender } from '../src/index.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const sessions = arg('--sessions', 20_000),
  items = arg('--items', 50_000),
  queries = arg('--queries', 200);

const log = simulateClicks({ sessions, items, days: 30, seed: 3 });
const split = splitSessions(log);
const clicks = split.train.items.length;
console.log(`${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? ''} (${cpus().length} cores), backend ${backend().name}, Node ${process.version}`);
console.log(`simulated log: ${sessions.toLocaleString('en-US')} sessions, ${split.items.length.toLocaleString('en-US')} items after preprocessing, ${clicks.toLocaleString('en-US')} training clicks`);

// One epoch, the defaults (embedding 64, hidden 100, cross-entropy with 2048 sampled negatives + logQ), no baselines.
const r = trainRecommender(log, { epochs: 1, seed: 0, baselines: [], onEvent: () => {} });
console.log(`training: ${(clicks / r.seconds.training).toFixed(0)} clicks/s (one epoch, ${r.seconds.training.toFixed(1)} s, validation included)`);

// Next-item queries: score every item and take the top 20, as gru predict does.
const pool = split.test.keys.length > 0 ? split.test : split.train;
const times: number[] = [];
for (let q = 0; q < queries; q++) {
  const s = q % pool.keys.length;
  const ids = Array.from(pool.items.subarray(pool.offsets[s], Math.min(pool.offsets[s + 1], pool.offsets[s] + 5)), (i) => split.items[i]);
  const t0 = performance.now();
  recommendNext(r, ids, 20);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
console.log(`query (up to 5 clicks, ${split.items.length.toLocaleString('en-US')} items scored, top 20): median ${at(0.5)} ms, p99 ${at(0.99)} ms over ${queries}`);
