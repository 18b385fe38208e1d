/**
 * Next-item ranking metrics and the baselines GRU4Rec is compared with, all
 * ranking every item for the next click of a session prefix:
 *
 *   popularity   training clicks per item, the same list for everyone;
 *   session popularity  the items of the session so far, most clicked first
 *                (S-POP in Hidasi et al. 2016), then by popularity;
 *   item-kNN     items that co-occur with the last click in training
 *                sessions, by cosine similarity of their session sets with
 *                support regularisation (Hidasi et al. 2016; Ludewig &
 *                Jannach 2018): sim(i, j) = n_ij / √((n_i + λ)(n_j + λ));
 *   session-kNN  the k most similar of the m most recent training sessions
 *                sharing an item with the prefix, by cosine of binary item
 *                sets; an item scores the sum of the similarities of the
 *                neighbours holding it (Jannach & Ludewig 2017).
 *
 * Ranks are conservative: the target's rank is 1 + the number of other
 * items scoring at least as high, so ties count against it. The kNN
 * baselines break ties (the many items scoring 0) by popularity.
 */
import type { Sessions } from './clicks.js';

/** Recall@K and MRR@K over ranks (1 = first). */
export interface RankingMetrics {
  recall: number;
  mrr: number;
}

/** Recall@K: the share of ranks ≤ K; MRR@K: the mean of 1/rank over them (0 beyond K). */
export function rankingMetrics(ranks: ArrayLike<number>, k: number): RankingMetrics {
  let hits = 0,
    rr = 0;
  for (let i = 0; i < ranks.length; i++) {
    if (ranks[i] <= k) {
      hits++;
      rr += 1 / ranks[i];
    }
  }
  const n = ranks.length;
  return { recall: n > 0 ? hits / n : 0, mrr: n > 0 ? rr / n : 0 };
}

/** Conservative rank of `target` among dense scores: 1 + #{j ≠ target : s_j ≥ s_target}. */
export function rankOf(scores: ArrayLike<number>, target: number): number {
  const st = scores[target];
  let rank = 1;
  for (let j = 0; j < scores.length; j++) if (j !== target && scores[j] >= st) rank++;
  return rank;
}

/** A baseline: the rank of the next item given a session prefix. */
export interface Baseline {
  readonly name: string;
  rank(prefix: ArrayLike<number>, target: number): number;
}

/** Training clicks per item, and for each item how many others are at least as popular. */
class Popularity {
  readonly atLeast: Int32Array;

  constructor(readonly counts: Float64Array) {
    const V = counts.length;
    const order = [...counts.keys()].sort((a, b) => counts[b] - counts[a]);
    this.atLeast = new Int32Array(V);
    // Items sharing a count all see the whole tie group.
    for (let i = 0; i < V; ) {
      let e = i;
      while (e < V && counts[order[e]] === counts[order[i]]) e++;
      for (let j = i; j < e; j++) this.atLeast[order[j]] = e - 1;
      i = e;
    }
  }
}

/**
 * The rank of `target` when items are ordered by a sparse score (absent: 0)
 * and then by popularity; ties in both count against the target.
 */
function rankSparse(scores: Map<number, number>, target: number, pop: Popularity): number {
  const st = scores.get(target) ?? 0;
  const pt = pop.counts[target];
  let above = 0; // other items ordered at or before the target among the scored ones
  let scoredAtLeastAsPopular = 0;
  for (const [j, s] of scores) {
    if (j === target) continue;
    if (s > st || (s === st && pop.counts[j] >= pt)) above++;
    if (pop.counts[j] >= pt) scoredAtLeastAsPopular++;
  }
  if (st > 0) return 1 + above;
  // Every scored item is above; of the unscored, those at least as popular.
  const scored = scores.size - (scores.has(target) ? 1 : 0);
  return 1 + scored + (pop.atLeast[target] - scoredAtLeastAsPopular);
}

export function popularityBaseline(popularity: Float64Array): Baseline {
  const pop = new Popularity(popularity);
  return { name: 'popularity', rank: (_prefix, target) => 1 + pop.atLeast[target] };
}

/** The session's own clicks so far as the score (ties, and the items it has not clicked, by popularity). */
export function sessionPopularityBaseline(popularity: Float64Array): Baseline {
  const pop = new Popularity(popularity);
  return {
    name: 'session-popularity',
    rank: (prefix, target) => {
      const counts = new Map<number, number>();
      for (let i = 0; i < prefix.length; i++) counts.set(prefix[i], (counts.get(prefix[i]) ?? 0) + 1);
      return rankSparse(counts, target, pop);
    },
  };
}

/** Per item, the training sessions holding it (distinct items per session), most recent first. */
function sessionIndex(train: Sessions, V: number): { sets: Int32Array[]; holders: Int32Array[] } {
  const S = train.keys.length;
  const sets: Int32Array[] = [];
  const lists: number[][] = Array.from({ length: V }, () => []);
  const ends = Float64Array.from({ length: S }, (_, k) => train.times[train.offsets[k + 1] - 1]);
  const recent = [...ends.keys()].sort((a, b) => ends[b] - ends[a] || b - a);
  for (let k = 0; k < S; k++) sets.push(Int32Array.from(new Set(train.items.subarray(train.offsets[k], train.offsets[k + 1]))).sort());
  for (const k of recent) for (const i of sets[k]) lists[i].push(k);
  return { sets, holders: lists.map((l) => Int32Array.from(l)) };
}

export interface ItemKnnOptions {
  /** Support regularisation λ (default 20). */
  lambda?: number;
}

export function itemKnnBaseline(train: Sessions, popularity: Float64Array, o: ItemKnnOptions = {}): Baseline {
  const V = popularity.length;
  const lambda = o.lambda ?? 20;
  const pop = new Popularity(popularity);
  const { sets, holders } = sessionIndex(train, V);
  const cache = new Map<number, Map<number, number>>();
  const similar = (i: number) => {
    let row = cache.get(i);
    if (row) return row;
    const co = new Map<number, number>();
    for (const k of holders[i]) for (const j of sets[k]) if (j !== i) co.set(j, (co.get(j) ?? 0) + 1);
    const ni = holders[i].length;
    row = new Map<number, number>();
    for (const [j, n] of co) row.set(j, n / Math.sqrt((ni + lambda) * (holders[j].length + lambda)));
    cache.set(i, row);
    return row;
  };
  return { name: 'item-kNN', rank: (prefix, target) => rankSparse(similar(prefix[prefix.length - 1]), target, pop) };
}

export interface SessionKnnOptions {
  /** Neighbours (default 100). */
  k?: number;
  /** Most recent candidate sessions considered (default 500). */
  sample?: number;
}

export function sessionKnnBaseline(train: Sessions, popularity: Float64Array, o: SessionKnnOptions = {}): Baseline {
  const V = popularity.length;
  const K = o.k ?? 100,
    m = o.sample ?? 500;
  const pop = new Popularity(popularity);
  const { sets, holders } = sessionIndex(train, V);
  // Recency of each session: its position in the most-recent-first order.
  const S = sets.length;
  const ends = Float64Array.from({ length: S }, (_, k) => train.times[train.offsets[k + 1] - 1]);
  const recency = new Int32Array(S);
  [...ends.keys()].sort((a, b) => ends[b] - ends[a] || b - a).forEach((k, r) => (recency[k] = r));
  const scoresOf = (prefix: ArrayLike<number>) => {
    const items = new Set<number>(Array.from(prefix));
    // The m most recent sessions of the union lie among each item's m most recent.
    const pool = new Set<number>();
    for (const i of items) {
      const h = holders[i];
      for (let j = 0; j < Math.min(m, h.length); j++) pool.add(h[j]);
    }
    const candidates = [...pool].sort((a, b) => recency[a] - recency[b]).slice(0, m);
    const sims = candidates.map((k) => {
      let common = 0;
      for (const i of sets[k]) if (items.has(i)) common++;
      return { k, sim: common / Math.sqrt(items.size * sets[k].length) };
    });
    sims.sort((a, b) => b.sim - a.sim || recency[a.k] - recency[b.k]);
    const scores = new Map<number, number>();
    for (const { k, sim } of sims.slice(0, K)) for (const i of sets[k]) scores.set(i, (scores.get(i) ?? 0) + sim);
    return scores;
  };
  return { name: 'session-kNN', rank: (prefix, target) => rankSparse(scoresOf(prefix), target, pop) };
}

/** The ranks a baseline gives every next click of the sessions (prefix 1…t predicts click t+1). */
export function baselineRanks(b: Baseline, sessions: Sessions): Int32Array {
  const out: number[] = [];
  for (let k = 0; k < sessions.keys.length; k++) {
    const s = sessions.items.subarray(sessions.offsets[k], sessions.offsets[k + 1]);
    for (let t = 1; t < s.length; t++) out.push(b.rank(s.subarray(0, t), s[t]));
  }
  return Int32Array.from(out);
}
