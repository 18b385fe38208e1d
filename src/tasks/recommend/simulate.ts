/**
 * A SIMULATED click log (no real data): sessions over items whose
 * popularity follows a power law, with a latent Markov structure a
 * sequence model can learn and popularity cannot:
 *
 *   - each item belongs to one of `topics` topics and has 3 successor items
 *     in its topic (chosen with probabilities 0.5, 0.3, 0.2);
 *   - a session starts in a topic (by the topics' total popularity) on an
 *     item drawn by popularity within it; each next click follows a
 *     successor of the current item with probability `follow` (0.6), else
 *     jumps to a popular item of the current topic (0.25), else to another
 *     topic (0.15);
 *   - lengths: 1 with probability 0.15 (dropped by preprocessing, as
 *     GRU4Rec drops them), else 2 + a geometric number with mean
 *     `meanLength` − 2;
 *   - sessions start uniformly over `days` days, clicks 20–200 s apart.
 *
 * For tests, the demo and the study script; it stands in for real click
 * logs, which no package this project can install ships.
 */
import { Rng } from '../../tensor/random.js';
import { ClickLogBuilder, type ClickLog } from './clicks.js';

export interface SimulateOptions {
  sessions?: number;
  items?: number;
  topics?: number;
  days?: number;
  meanLength?: number;
  /** Probability that the next click is a successor of the current item. */
  follow?: number;
  /** Power of the popularity law: item of rank r has weight 1/r^zipf. */
  zipf?: number;
  seed?: number;
}

/** The name `--data` takes for the simulated log. */
export const SIMULATED_DATA = 'simulated-sessions';

/** Unix seconds of 2024-01-01T00:00:00Z: where the simulated log starts. */
const START = 1_704_067_200;

export function simulateClicks(o: SimulateOptions = {}): ClickLog {
  const S = o.sessions ?? 4000,
    V = o.items ?? 300,
    K = o.topics ?? 10,
    days = o.days ?? 30;
  const meanLength = o.meanLength ?? 6,
    follow = o.follow ?? 0.6,
    zipf = o.zipf ?? 1;
  const rng = new Rng(o.seed ?? 0);
  // Popularity by a random rank; topics by a random assignment.
  const rank = shuffled(V, rng);
  const weight = Float64Array.from(rank, (r) => 1 / (r + 1) ** zipf);
  const topicOf = Int32Array.from({ length: V }, (_, i) => i % K);
  const members: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < V; i++) members[topicOf[i]].push(i);
  const successors = Array.from({ length: V }, (_, i) => {
    const m = members[topicOf[i]].filter((j) => j !== i);
    return [0, 1, 2].map(() => m[rng.int(m.length)]);
  });
  const topicWeight = members.map((m) => m.reduce((s, i) => s + weight[i], 0));
  const draw = (items: number[]) => {
    let r = rng.uniform() * items.reduce((s, i) => s + weight[i], 0);
    for (const i of items) if ((r -= weight[i]) <= 0) return i;
    return items[items.length - 1];
  };
  const drawTopic = () => {
    let r = rng.uniform() * topicWeight.reduce((a, b) => a + b, 0);
    for (let k = 0; k < K; k++) if ((r -= topicWeight[k]) <= 0) return k;
    return K - 1;
  };

  const log = new ClickLogBuilder(SIMULATED_DATA);
  const starts = Array.from({ length: S }, () => START + rng.uniform() * days * 86_400).sort((a, b) => a - b);
  for (let s = 0; s < S; s++) {
    let length = 1;
    if (rng.uniform() >= 0.15) {
      length = 2;
      while (rng.uniform() > 1 / (meanLength - 1)) length++;
    }
    let topic = drawTopic();
    let item = draw(members[topic]);
    let t = starts[s];
    for (let j = 0; j < length; j++) {
      log.add(String(100000 + s), `i${item}`, Math.round(t));
      t += 20 + 180 * rng.uniform();
      const u = rng.uniform();
      if (u < follow) {
        const v = rng.uniform();
        item = successors[item][v < 0.5 ? 0 : v < 0.8 ? 1 : 2];
      } else if (u < follow + 0.25) {
        item = draw(members[topic]);
      } else {
        topic = (topic + 1 + rng.int(K - 1)) % K;
        item = draw(members[topic]);
      }
    }
  }
  return log.finish();
}

function shuffled(n: number, rng: Rng): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** A click log as GRU4Rec's format: tab-separated SessionId, ItemId, Time (seconds), with a header. */
export function clicksToTsv(log: ClickLog): string {
  const lines = ['SessionId\tItemId\tTime'];
  for (let r = 0; r < log.length; r++) lines.push(`${log.sessionKeys[log.session[r]]}\t${log.itemKeys[log.item[r]]}\t${log.time[r]}`);
  return `${lines.join('\n')}\n`;
}
