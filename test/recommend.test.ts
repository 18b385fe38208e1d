// Session-based recommendation: reading and splitting click logs, session-parallel batches, the sampled losses, metrics, baselines, training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CandidateSampler,
  GruError,
  Rng,
  SessionRecommender,
  Tensor,
  Var,
  backward,
  clicksToTsv,
  evaluateRecommender,
  itemKnnBaseline,
  loadRecommender,
  modelMetadata,
  parseClicks,
  popularityBaseline,
  rankOf,
  rankingMetrics,
  readClicks,
  recommendMetadata,
  recommendNext,
  sampledItemLoss,
  saveRecommender,
  sessionBlocks,
  sessionItems,
  sessionKnnBaseline,
  sessionPopularityBaseline,
  simulateClicks,
  splitSessions,
  trainRecommender,
  writeModelFile,
  type RecommenderConfig,
  type ScoredStep,
  type SessionBlock,
  type Sessions,
} from '../src/index.js';
import { recommendTask, runRecommendTraining } from '../src/tasks/recommend/command.js';
import { gradCheck, leaf } from './helpers/gradcheck.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/recommend/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gru-recommend-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Sessions as 'key:items' with the vocabulary's ids. */
const named = (s: Sessions, items: string[]) => s.keys.map((k, i) => `${k}:${[...sessionItems(s, i)].map((j) => items[j]).join('')}`);

/** Sessions from item lists (times one second apart). */
function sessionsOf(lists: number[][]): Sessions {
  const offsets = [0];
  for (const l of lists) offsets.push(offsets[offsets.length - 1] + l.length);
  const items = lists.flat();
  return { keys: lists.map((_, i) => `s${i}`), offsets: Int32Array.from(offsets), items: Int32Array.from(items), times: Float64Array.from(items, (_, i) => i) };
}

// ------------------------------------------------------------------ reading and preprocessing

// test/fixtures/recommend/clicks.tsv, made by hand (GRU4Rec format; day d is 2023-11-15 + d, times UTC):
//   day 0  s1 a b c   s2 a b   s3 c d a (written newest click first)   s4 b (one click: dropped)
//   day 1  s5 a r (r has 4 clicks in all, under the 5 needed: s5 becomes one click, dropped)
//          s6 r r d b   s7 c d   s8 r a b          — all end before 09:31, so they stay training
//   day 2  s9 a y d y c (09:00)   s10 y b (09:30)   — validation: the last day of training (tmax 09:31)
//          s15 c a, ending 10:05 exactly the cut (tmax − 1 day): test
//          s14 b c d from 23:50 to day 3 00:10: ends in the final day, test
//   day 3  s11 a z b z   s12 z c   s13 d z z y a y (the last click, 10:05, is tmax)
// y (5 clicks) and z (5 clicks) never occur in the training sessions: their clicks leave validation and test.
test('preprocessing as GRU4Rec: short sessions, rare items, the final day as test, validation carved the same way, unseen items dropped', () => {
  const log = readClicks(fixture('clicks.tsv'));
  assert.equal(log.length, 44);
  const s = splitSessions(log);
  assert.deepEqual(s.counts, {
    clicks: 44,
    sessions: 15,
    items: 7,
    shortSessions: 1,
    rareItems: 1,
    rareItemClicks: 4,
    shortAfterItemFilter: 1,
    unseenValidationClicks: 3,
    unseenTestClicks: 7,
  });
  assert.deepEqual(s.items, ['a', 'b', 'c', 'd']); // most clicked first: a 4, b 4, c 3, d 3 (ties by id)
  assert.deepEqual([...s.popularity], [4, 4, 3, 3]);
  assert.deepEqual(named(s.train, s.items), ['s1:abc', 's2:ab', 's3:cda', 's6:db', 's7:cd', 's8:ab']);
  assert.deepEqual(named(s.validation, s.items), ['s9:adc']); // s10 keeps only b: too short
  assert.deepEqual(named(s.test, s.items), ['s11:ab', 's13:da', 's14:bcd', 's15:ca']); // s12 keeps only c
  // 38 clicks after the filters; the test sessions' 17 (before dropping unseen items) are the final rows.
  assert.equal(s.rows, 38);
  assert.equal(s.testRows, 17);

  // Without validation, s9 and s10 train: y becomes a training item and stays in the test sessions.
  const all = splitSessions(log, { validationDays: 0 });
  assert.deepEqual(all.items, ['a', 'b', 'c', 'd', 'y']);
  assert.deepEqual(named(all.test, all.items), ['s11:ab', 's13:dyay', 's14:bcd', 's15:ca']);
  assert.equal(all.counts.unseenTestClicks, 5);
  assert.equal(all.fingerprint, s.fingerprint, 'the fingerprint is of the data, not of the validation split');
  assert.notEqual(splitSessions(log, { minItemSupport: 4 }).fingerprint, s.fingerprint);

  assert.throws(() => splitSessions(log, { testDays: 10 }), /every session ends in the final 10 day\(s\), leaving none to train on; lower --test-days/);
  assert.throws(() => splitSessions(log, { minItemSupport: 100 }), /no session is left after preprocessing .*lower --min-item-support/);
});

test('yoochoose-clicks.dat as published reads with --format yoochoose: comma-separated, no header, ISO times, category ignored', () => {
  const log = readClicks(fixture('yoochoose-clicks.dat'), { format: 'yoochoose' });
  assert.equal(log.length, 11);
  assert.deepEqual(log.sessionKeys, ['1', '2', '3', '4']);
  assert.equal(log.itemKeys[log.item[0]], '214536502');
  assert.equal(log.time[0], Date.UTC(2014, 3, 7, 10, 51, 9, 277) / 1000);
  assert.equal(log.itemKeys[log.item[10]], '214706482'); // the 'S' (special offer) category column is not read
  // Read as GRU4Rec's format, the first line is no header: the message names the flags.
  assert.throws(
    () => readClicks(fixture('yoochoose-clicks.dat')),
    /line 1: no session column 'SessionId' in the header \('1', '2014-04-07T10:51:09\.277Z', '214536502', '0'\); name it with --session-column, or give the log's format with --format gru4rec\|yoochoose/,
  );
});

test('other layouts: named columns in any order, the delimiter from the first line, numbered columns, ISO times without a zone as UTC', () => {
  const text = 'ts;user;product;price\n2020-01-02T10:00:00;u1;p9;3\n2020-01-02T10:00:05;u1;p7;1\n1577959300;u2;p9;2\n';
  const log = parseClicks(text, { sessionColumn: 'user', itemColumn: 'product', timeColumn: 'ts' });
  assert.deepEqual(log.sessionKeys, ['u1', 'u2']);
  assert.deepEqual(
    [...log.item].map((i) => log.itemKeys[i]),
    ['p9', 'p7', 'p9'],
  );
  assert.deepEqual([...log.time], [Date.UTC(2020, 0, 2, 10) / 1000, Date.UTC(2020, 0, 2, 10, 0, 5) / 1000, 1577959300]);
  const numbered = parseClicks('9\tx\t1700000000000\n9\ty\t1700000001000\n', { sessionColumn: '1', itemColumn: '2', timeColumn: '3' });
  assert.deepEqual([...numbered.time], [1700000000, 1700000001], 'times above 1e11 are milliseconds');
  assert.throws(() => parseClicks('SessionId\tItemId\tTime\n1\ta\tyesterday\n'), /line 2: time "yesterday" is neither Unix seconds nor an ISO date-time/);
  assert.throws(() => parseClicks('SessionId\tItemId\tTime\n1\ta\n'), /line 2: expected at least 3 fields separated by "\\t", got 2/);
});

test('a file read in chunks smaller than a line (and than a character) equals the file read whole', () => {
  const text = 'SessionId\tItemId\tTime\n1\tcafé\t10\n1\t日本\t11\n2\tcafé\t12\r\n2\tx\t13';
  const path = join(dir, 'chunks.tsv');
  writeFileSync(path, text);
  const whole = parseClicks(text, {}, path);
  for (const chunk of [1, 2, 5, 7]) assert.deepEqual(readClicks(path, {}, chunk), whole, `chunks of ${chunk} bytes`);
  assert.deepEqual(whole.itemKeys, ['café', '日本', 'x']);
});

// ------------------------------------------------------------------ session-parallel batches

test('session-parallel blocks: each next session goes to the slot that frees first; resets exactly where sessions start', () => {
  // Sessions (items): 0: [1 2 3], 1: [4 5], 2: [6 7 8 9], 3: [10 11]; 2 slots, 2 sessions per slot: one block.
  const s = sessionsOf([
    [1, 2, 3],
    [4, 5],
    [6, 7, 8, 9],
    [10, 11],
  ]);
  const [block, ...rest] = sessionBlocks(s, [0, 1, 2, 3], 2, 2);
  assert.equal(rest.length, 0);
  // slot 0: session 0 then (slot 1 ends first at 2 clicks, so session 2 goes there) session 3; slot 1: session 1, session 2.
  //   t:        0  1  2  3  4  5
  //   slot 0:   1  2  3 10 11  -
  //   slot 1:   4  5  6  7  8  9
  assert.equal(block.T, 6);
  const col = (b: number, a: Int32Array | Uint8Array) => Array.from({ length: block.T }, (_, t) => a[t * 2 + b]);
  assert.deepEqual(col(0, block.inputs), [1, 2, 3, 10, 11, -1]);
  assert.deepEqual(col(1, block.inputs), [4, 5, 6, 7, 8, 9]);
  assert.deepEqual(col(0, block.targets), [2, 3, -1, 11, -1, -1]);
  assert.deepEqual(col(1, block.targets), [5, -1, 7, 8, 9, -1]);
  assert.deepEqual(col(0, block.starts), [1, 0, 0, 1, 0, 0]);
  assert.deepEqual(col(1, block.starts), [1, 0, 1, 0, 0, 0]);
  // B·perSlot sessions a block: the number of blocks, ⌈50 / 12⌉, does not depend on the order.
  const lens = sessionsOf(Array.from({ length: 50 }, (_, i) => Array.from({ length: 1 + ((i * 7) % 5) }, (_, j) => j)));
  const counts = [0, 1, 2].map((seed) => sessionBlocks(lens, shuffle(50, seed), 4, 3).length);
  assert.deepEqual(counts, [5, 5, 5]);
});

function shuffle(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const a = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const tinyConfig = (o: Partial<RecommenderConfig> = {}): RecommenderConfig => ({
  items: 12,
  embeddingSize: 5,
  hiddenSize: 6,
  numLayers: 2,
  dropout: 0,
  loss: 'cross-entropy',
  nSample: 100,
  sampleAlpha: 0.75,
  logQ: 1,
  bpreg: 1,
  ...o,
});

/** For every session in a block, its rows of forwardBlock against the session run alone (batch of one, fresh state). */
function checkAgainstAlone(model: SessionRecommender, block: SessionBlock): number {
  const y = model.forwardBlock(block);
  const { B, T } = block;
  const H = model.config.hiddenSize;
  let worst = 0;
  let sessions = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (block.starts[t * B + b] !== 1) continue;
      let e = t + 1;
      while (e < T && block.inputs[e * B + b] >= 0 && block.starts[e * B + b] !== 1) e++;
      const items = Array.from({ length: e - t }, (_, j) => block.inputs[(t + j) * B + b]);
      const alone = model.sessionStates([items], 1);
      for (let j = 0; j < items.length; j++) {
        for (let h = 0; h < H; h++) worst = Math.max(worst, Math.abs(y.data[((t + j) * B + b) * H + h] - alone[j * H + h]));
      }
      sessions++;
    }
  }
  assert.ok(sessions > B, 'some slot holds several sessions');
  return worst;
}

test('a block run session-parallel gives every session the states it has run alone (2 layers; embedding and one-hot inputs)', () => {
  const rng = new Rng(11);
  const s = sessionsOf(Array.from({ length: 17 }, () => Array.from({ length: 1 + rng.int(6) }, () => rng.int(12))));
  for (const embeddingSize of [5, 0]) {
    const model = new SessionRecommender(tinyConfig({ embeddingSize }), 3);
    const blocks = sessionBlocks(s, shuffle(17, 1), 3, 2);
    assert.ok(blocks.length >= 2);
    for (const block of blocks) {
      const worst = checkAgainstAlone(model, block);
      assert.ok(worst < 1e-5, `embedding ${embeddingSize}: max difference ${worst}`);
    }
  }
});

test("no gradient crosses a session boundary: a later session's loss leaves the earlier session's items untouched", () => {
  // Slot 0 reads session [0 1 2] then [5 6 7]; slot 1 reads [8 9 10 11]. Only the second session of slot 0 is scored.
  const model = new SessionRecommender(tinyConfig({ numLayers: 1 }), 5, 'float64');
  const [block] = sessionBlocks(
    sessionsOf([
      [0, 1, 2],
      [8, 9, 10, 11],
      [5, 6, 7],
    ]),
    [0, 1, 2],
    2,
    2,
  );
  assert.deepEqual(
    Array.from({ length: block.T }, (_, t) => block.inputs[t * 2]),
    [0, 1, 2, 5, 6, 7],
  );
  const y = model.forwardBlock(block);
  const steps: ScoredStep[] = [3, 4].map((t) => ({ rows: Int32Array.of(t * 2), targets: Int32Array.of(0), candidates: Int32Array.of(block.targets[t * 2], 3, 4), correction: null }));
  backward(sampledItemLoss(y, model.output.weight, model.output.bias!, steps, { kind: 'cross-entropy' }));
  const grad = model.embed!.weight.denseGrad()!.data;
  const rowNorm = (i: number) => Math.hypot(...grad.subarray(i * 5, (i + 1) * 5));
  for (const i of [0, 1, 2, 8, 9, 10, 11]) assert.equal(rowNorm(i), 0, `item ${i} is read before the reset or in the other slot`);
  for (const i of [5, 6]) assert.ok(rowNorm(i) > 1e-6, `item ${i} feeds the scored states`);
});

test('the whole block loss against central differences in float64 (resets, both losses, sampled and full candidates)', () => {
  const rng = new Rng(21);
  const s = sessionsOf(Array.from({ length: 7 }, () => Array.from({ length: 2 + rng.int(3) }, () => rng.int(12))));
  const popularity = Float64Array.from({ length: 12 }, (_, i) => 12 - i);
  for (const [loss, nSample] of [
    ['cross-entropy', 4],
    ['cross-entropy', 100],
    ['bpr-max', 4],
  ] as const) {
    const model = new SessionRecommender(tinyConfig({ loss, nSample, logQ: 0.5, bpreg: 0.3 }), 7, 'float64');
    const sampler = new CandidateSampler(popularity, 0.75);
    const [block] = sessionBlocks(s, [...Array(7).keys()], 2, 2, 9);
    const params = model.parameters();
    const f = () => model.blockLoss(block, sampler).data[0];
    for (const p of params) p.zeroGrad();
    backward(model.blockLoss(block, sampler));
    const grads = params.map((p) => p.denseGrad()?.data ?? new Float64Array(p.value.size));
    let worst = 0,
      where = '';
    params.forEach((p, k) => {
      for (let c = 0; c < 12; c++) {
        const i = rng.int(p.value.size);
        const old = p.data[i];
        p.data[i] = old + 1e-6;
        const up = f();
        p.data[i] = old - 1e-6;
        const down = f();
        p.data[i] = old;
        const numeric = (up - down) / 2e-6;
        const err = Math.abs(numeric - grads[k][i]) / Math.max(1, Math.abs(numeric) + Math.abs(grads[k][i]));
        if (err > worst) [worst, where] = [err, `${p.name}[${i}]: numeric ${numeric}, backward ${grads[k][i]}`];
      }
    });
    assert.ok(worst < 1e-6, `${loss}, nSample ${nSample}: ${where}`);
  }
});

// ------------------------------------------------------------------ the losses

test('sampled cross-entropy with the logQ correction and BPR-max: gradients of y, W and b against central differences in float64', () => {
  const rng = new Rng(5);
  const y = leaf(rng, [6, 4], 'y');
  const w = leaf(rng, [9, 4], 'weight');
  const b = leaf(rng, [9], 'bias');
  const steps: ScoredStep[] = [
    { rows: Int32Array.of(0, 2, 3), targets: Int32Array.of(0, 2, 0), candidates: Int32Array.of(4, 1, 7, 8), correction: Float64Array.of(-0.2, -1.5, -0.7, -3) },
    { rows: Int32Array.of(1, 5), targets: Int32Array.of(1, 2), candidates: Int32Array.of(0, 4, 2), correction: Float64Array.of(-0.1, -0.2, -2.2) },
  ];
  const tol = 1e-6;
  for (const o of [
    { kind: 'cross-entropy', logQ: 0.7 },
    { kind: 'cross-entropy', logQ: 0 },
    { kind: 'bpr-max', bpreg: 0.5 },
    { kind: 'bpr-max', bpreg: 0 },
  ] as const) {
    const r = gradCheck(([p, q, c]) => sampledItemLoss(p, q, c, steps, o), [y, w, b]);
    assert.ok(r.checked > 0 && r.maxError < tol, `${JSON.stringify(o)}: ${r.maxError} at ${r.where}`);
  }
});

test('the losses on hand-worked rows; sparse gradients equal the dense ones', () => {
  // One row, H = 1, y = 1; candidates 0 and 1 with W = [0, ln 3], b = 0: scores r = [0, ln 3].
  const y = new Var(Tensor.from([1], [1, 1], 'float64'), true);
  const w = new Var(Tensor.from([0, Math.log(3)], [2, 1], 'float64'), true);
  const b = new Var(Tensor.zeros([2], 'float64'), true);
  const step = (target: number, correction: Float64Array | null): ScoredStep[] => [{ rows: Int32Array.of(0), targets: Int32Array.of(target), candidates: Int32Array.of(0, 1), correction }];
  // cross-entropy, target 0: −0 + log(e⁰ + e^{ln 3}) = ln 4
  assert.ok(Math.abs(sampledItemLoss(y, w, b, step(0, null), { kind: 'cross-entropy' }).data[0] - Math.log(4)) < 1e-12);
  // logQ: subtracting c = [0, ln 3] makes the scores equal: ln 2
  assert.ok(Math.abs(sampledItemLoss(y, w, b, step(0, Float64Array.of(0, Math.log(3))), { kind: 'cross-entropy' }).data[0] - Math.log(2)) < 1e-12);
  // BPR-max, target 1, one negative (s = 1): −log σ(ln 3 − 0) + λ·0² = −log(3/4) = ln(4/3)
  assert.ok(Math.abs(sampledItemLoss(y, w, b, step(1, null), { kind: 'bpr-max', bpreg: 2 }).data[0] - Math.log(4 / 3)) < 1e-12);
  // BPR-max, target 0: −log σ(0 − ln 3) + λ (ln 3)² = ln 4 + 2 (ln 3)²
  assert.ok(Math.abs(sampledItemLoss(y, w, b, step(0, null), { kind: 'bpr-max', bpreg: 2 }).data[0] - (Math.log(4) + 2 * Math.log(3) ** 2)) < 1e-12);

  const steps: ScoredStep[] = [{ rows: Int32Array.of(0, 1), targets: Int32Array.of(1, 0), candidates: Int32Array.of(6, 2, 3), correction: Float64Array.of(-1, -2, -3) }];
  const grads = [false, true].map((sparse) => {
    const [yy, ww, bb] = [leaf(new Rng(1), [2, 3], 'y'), leaf(new Rng(2), [8, 3], 'w'), leaf(new Rng(3), [8], 'b')];
    backward(sampledItemLoss(yy, ww, bb, steps, { kind: 'cross-entropy', sparse }));
    if (sparse) assert.deepEqual([...ww.sparseGrad!.positions], [6, 7, 8, 9, 10, 11, 18, 19, 20], 'rows 2, 3 and 6 of W only');
    return [ww.denseGrad()!.toArray(), bb.denseGrad()!.toArray()];
  });
  assert.deepEqual(grads[1], grads[0]);
});

test("candidates: the step's distinct targets plus drawn extras; c_j = log(1 − (1 − p_j)^n (1 − q_j)^S); draws follow popularity^alpha", () => {
  const sampler = new CandidateSampler(Float64Array.of(6, 3, 1), 1);
  const block: SessionBlock = { B: 2, T: 1, inputs: Int32Array.of(0, 1), targets: Int32Array.of(0, 0), starts: Uint8Array.of(1, 1), seed: 4 };
  const [step] = sampler.steps(block, tinyConfig({ items: 3, nSample: 1 }));
  assert.deepEqual([...step.rows], [0, 1]);
  assert.equal(new Set(step.candidates).size, step.candidates.length);
  assert.ok(step.candidates.includes(0));
  assert.deepEqual(
    [...step.targets].map((t) => step.candidates[t]),
    [0, 0],
  );
  // p = q = (0.6, 0.3, 0.1), n = 2 targets, S = 1 draw: item 0 is a candidate with probability 1 − 0.4²·0.4 = 0.936
  const p = [0.6, 0.3, 0.1];
  step.candidates.forEach((j, c) => assert.ok(Math.abs(step.correction![c] - Math.log(1 - (1 - p[j]) ** 3)) < 1e-12));
  // Every item scored: no correction, no sampling.
  const [full] = sampler.steps(block, tinyConfig({ items: 3, nSample: 3 }));
  assert.deepEqual([...full.candidates], [0, 1, 2]);
  assert.equal(full.correction, null);
  // BPR-max over the mini-batch alone: a step whose only target is the only candidate has no negative and is skipped.
  const lone: SessionBlock = { B: 2, T: 2, inputs: Int32Array.of(0, 1, 2, -1), targets: Int32Array.of(1, 1, 2, -1), starts: Uint8Array.of(1, 1, 0, 0), seed: 1 };
  assert.deepEqual(
    sampler.steps(lone, tinyConfig({ items: 3, nSample: 0, loss: 'bpr-max' })).map((st) => [...st.rows]),
    [],
  );
  assert.deepEqual(
    sampler.steps(lone, tinyConfig({ items: 3, nSample: 0 })).map((st) => [...st.rows]),
    [[0, 1], [2]],
  );
  const drawn = new CandidateSampler(Float64Array.of(9, 4, 1), 0.5).draw(40000, new Rng(1));
  const share = [0, 1, 2].map((i) => drawn.filter((d) => d === i).length / drawn.length);
  [3 / 6, 2 / 6, 1 / 6].forEach((q, i) => assert.ok(Math.abs(share[i] - q) < 0.01, `item ${i}: ${share[i]} vs ${q}`));
});

// ------------------------------------------------------------------ metrics and baselines

test('Recall@K and MRR@K, and conservative ranks, on hand-worked cases', () => {
  // Ranks 1, 3, 25, 2, 20, 21 at K = 20: four hits; MRR = (1 + 1/3 + 1/2 + 1/20) / 6 = 0.3138…
  const m = rankingMetrics([1, 3, 25, 2, 20, 21], 20);
  assert.ok(Math.abs(m.recall - 4 / 6) < 1e-12);
  assert.ok(Math.abs(m.mrr - (1 + 1 / 3 + 1 / 2 + 1 / 20) / 6) < 1e-12);
  assert.deepEqual(rankingMetrics([], 20), { recall: 0, mrr: 0 });
  // Ties count against the target: scores (0.5, 0.9, 0.5, 0.1).
  assert.deepEqual(
    [0, 1, 2, 3].map((t) => rankOf([0.5, 0.9, 0.5, 0.1], t)),
    [3, 1, 3, 4],
  );
  // Popularity (4, 4, 3, 3): a tie shares the lower rank.
  const pop = popularityBaseline(Float64Array.of(4, 4, 3, 3));
  assert.deepEqual(
    [0, 1, 2, 3].map((t) => pop.rank([0], t)),
    [2, 2, 4, 4],
  );
  // Session popularity after clicks 2, 3, 2: item 2 (twice) first, then 3 (once), then 0 and 1 by
  // popularity, tied with each other (4 each), so each counts the other: 1 + 2 scored + 1 tie = 4.
  const spop = sessionPopularityBaseline(Float64Array.of(4, 4, 3, 3));
  assert.deepEqual(
    [0, 1, 2, 3].map((t) => spop.rank([2, 3, 2], t)),
    [4, 4, 1, 2],
  );
});

test("item-kNN and session-kNN on the fixture's training sessions, worked by hand", () => {
  const s = splitSessions(readClicks(fixture('clicks.tsv')));
  const [a, b, c, d] = [0, 1, 2, 3];
  // Sessions (item sets): {a b c} {a b} {a c d} {b d} {c d} {a b}; n_a = n_b = 4, n_c = n_d = 3.
  // λ = 0: sim(a, b) = 3/√16 = 0.75, sim(a, c) = 2/√12 = 0.577, sim(a, d) = 1/√12 = 0.289.
  const iknn = itemKnnBaseline(s.train, s.popularity, { lambda: 0 });
  assert.deepEqual(
    [b, c, d].map((t) => iknn.rank([d, a], t)),
    [1, 2, 3],
  );
  // After c: sim(c, d) = 2/3 > sim(c, a) = 0.577 > sim(c, b) = 0.289; with λ = 20, 2/23 > 2/√(23·24) still.
  assert.deepEqual(
    [d, a, b].map((t) => iknn.rank([c], t)),
    [1, 2, 3],
  );
  assert.equal(itemKnnBaseline(s.train, s.popularity).rank([c], a), 2);
  // Items that never co-occur with the last click rank by popularity behind every scored item.
  const t = sessionsOf([
    [0, 1],
    [0, 1],
    [2, 3],
    [3, 4],
  ]);
  const tiny = itemKnnBaseline(t, Float64Array.of(2, 2, 1, 2, 1));
  assert.equal(tiny.rank([0], 1), 1);
  assert.equal(tiny.rank([0], 3), 3); // behind 1 (scored) and 0 (as popular, unscored)
  assert.equal(tiny.rank([0], 4), 5);

  // Session-kNN after (a, d): cosine with each session: {a b c} 1/√6, {a b} 1/2, {a c d} 2/√6, {b d} 1/2, {c d} 1/2, {a b} 1/2;
  // scores a 2.225, b 1.908, d 1.816, c 1.725.
  const sknn = sessionKnnBaseline(s.train, s.popularity);
  assert.deepEqual(
    [a, b, d, c].map((x) => sknn.rank([a, d], x)),
    [1, 2, 3, 4],
  );
  // One neighbour, {a c d}: a, c and d tie at 2/√6; ties go by popularity (a 4, c 3, d 3), then against the target.
  const one = sessionKnnBaseline(s.train, s.popularity, { k: 1 });
  assert.deepEqual(
    [a, c, d, b].map((x) => one.rank([a, d], x)),
    [1, 3, 3, 4],
  );
});

// ------------------------------------------------------------------ training, files, commands

test('trained on a simulated log with sequential structure, the model beats popularity (sampled cross-entropy with logQ, and BPR-max)', () => {
  const log = simulateClicks({ sessions: 2500, items: 120, days: 20, seed: 3 });
  for (const loss of ['cross-entropy', 'bpr-max'] as const) {
    const r = trainRecommender(log, { loss, nSample: 24, embeddingSize: 16, hiddenSize: 32, epochs: 4, batchSize: 16, lr: 5e-3, baselines: ['popularity'] });
    const pop = r.test.baselines.popularity!;
    assert.ok(r.test.predictions > 300, `${r.test.predictions} test predictions`);
    assert.ok(r.test.model.recall > pop.recall + 0.2, `${loss}: Recall@20 ${r.test.model.recall} vs popularity ${pop.recall}`);
    assert.ok(r.test.model.mrr > 2 * pop.mrr, `${loss}: MRR@20 ${r.test.model.mrr} vs popularity ${pop.mrr}`);
  }
});

test('a model file: saved and loaded to the same recommendations; gru eval recomputes the test split; bad metadata refused', () => {
  const log = readClicks(fixture('clicks.tsv'));
  const r = trainRecommender(log, { embeddingSize: 4, hiddenSize: 5, epochs: 2, batchSize: 2 }, undefined);
  const path = join(dir, 'rec.safetensors');
  saveRecommender(r, path);
  const back = loadRecommender(path);
  assert.deepEqual(back.items, ['a', 'b', 'c', 'd']);
  assert.deepEqual(recommendNext(back, ['a', 'd']), recommendNext(r, ['a', 'd']));
  const again = evaluateRecommender(back, readClicks(fixture('clicks.tsv')), log.source);
  assert.equal(again.split, 'test');
  assert.equal(again.predictions, 5); // s11 ab, s13 da, s14 bcd, s15 ca
  assert.deepEqual(again.model, r.test.model);
  assert.deepEqual(Object.keys(again.baselines), ['popularity', 'session-popularity', 'item-kNN', 'session-kNN']);
  // Another log: every session, no baselines.
  const other = evaluateRecommender(back, parseClicks('SessionId\tItemId\tTime\n1\ta\t1\n1\tb\t2\n1\tq\t3\n1\tc\t4\n'), 'other');
  assert.equal(other.split, 'all');
  assert.equal(other.predictions, 2);
  assert.throws(() => evaluateRecommender(back, parseClicks('SessionId\tItemId\tTime\n1\ta\t1\n1\tb\t2\n'), 'other', { split: 'test' }), GruError);

  const meta = JSON.parse(recommendMetadata(back).items) as string[];
  writeModelFile(join(dir, 'bad.safetensors'), back.model.stateDict(), { ...recommendMetadata(back), items: JSON.stringify(meta.slice(0, 3)) });
  assert.throws(() => loadRecommender(join(dir, 'bad.safetensors')), /metadata items: expected 4 item ids \(config\.items\), got an array of 3 items/);
  writeModelFile(join(dir, 'dup.safetensors'), back.model.stateDict(), { ...recommendMetadata(back), items: JSON.stringify(['a', 'b', 'a', 'd']) });
  assert.throws(() => loadRecommender(join(dir, 'dup.safetensors')), /metadata items\[2\]: expected item ids without repeats/);
  void modelMetadata;
});

test('predict: the top K next items after a session, unknown items skipped and named; none known is an error', () => {
  const r = trainRecommender(readClicks(fixture('clicks.tsv')), { embeddingSize: 4, hiddenSize: 5, epochs: 1, batchSize: 2, baselines: [] });
  const top = recommendNext(r, ['a', 'nope', 'c'], 3);
  assert.equal(top.items.length, 3);
  assert.deepEqual(top.ignored, ['nope']);
  assert.ok(top.items[0].score >= top.items[1].score && top.items[1].score >= top.items[2].score);
  assert.equal(recommendNext(r, ['a'], 50).items.length, 4, 'at most every item');
  assert.throws(() => recommendNext(r, ['x', 'y']), /none of the items 'x', 'y' was in the training data \(the model knows 4 items, such as 'a'\)/);
});

test('gru train recommend --json, then gru predict --items on the model it wrote', () => {
  const data = join(dir, 'sim.tsv');
  writeFileSync(data, clicksToTsv(simulateClicks({ sessions: 600, items: 40, days: 10 })));
  const out = join(dir, 'cli.safetensors');
  const printed: string[] = [];
  const log = console.log;
  console.log = (s: string) => printed.push(s);
  const stderr = process.stderr.write;
  process.stderr.write = () => true;
  try {
    runRecommendTraining({ data, out, epochs: 1, k: 10, baselines: ['popularity'], json: true, hidden: 8, embedding: 4 });
    const model = recommendTask.load(out);
    recommendTask.predict(model, { items: 'i3,i5', k: 5, json: true });
    // The issue's spellings, and many sessions from a file: one JSON line each, the same as one at a time.
    recommendTask.predict(model, { session: 'i3,i5', top: 5, k: 20, json: true });
    const batch = join(dir, 'sessions.txt');
    writeFileSync(batch, 'i3,i5\n\ni7\n');
    recommendTask.predict(model, { sessions: batch, k: 3, json: true });
  } finally {
    console.log = log;
    process.stderr.write = stderr;
  }
  const train = JSON.parse(printed[0]);
  assert.equal(train.task, 'recommend');
  assert.equal(train.k, 10);
  assert.deepEqual(Object.keys(train.metrics), ['recall@10', 'mrr@10']);
  assert.deepEqual(Object.keys(train.baselines), ['popularity']);
  const predicted = JSON.parse(printed[1]);
  assert.deepEqual(predicted.after, ['i3', 'i5']);
  assert.equal(predicted.next.length, 5);
  assert.deepEqual(JSON.parse(printed[2]), predicted, '--session/--top spell --items/--k');
  const [first, second] = [JSON.parse(printed[3]), JSON.parse(printed[4])];
  assert.equal(printed.length, 5, 'one line per session, the blank line skipped');
  assert.deepEqual(first.after, ['i3', 'i5']);
  assert.deepEqual(first.next, predicted.next.slice(0, 3));
  assert.deepEqual(second.after, ['i7']);
  assert.equal(second.next.length, 3);
});

test('recommendNext lists the same top items as a full sort of the scores (ties to the lower index)', async () => {
  const { simulateClicks: sim, trainRecommender: train, recommendNext: next } = await import('../src/index.js');
  const tr = train(sim({ sessions: 400, items: 30, days: 5 }), { epochs: 1, hiddenSize: 6, embeddingSize: 4, baselines: [], onEvent: () => {} });
  const session = [tr.items[0], tr.items[1]];
  const got = next(tr, session, 7).items;
  const H = tr.model.config.hiddenSize;
  const states = tr.model.sessionStates([[0, 1]]);
  const scores = tr.model.scores(states.subarray(H, 2 * H), 1);
  const sorted = [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b).slice(0, 7);
  assert.deepEqual(
    got.map((x) => x.item),
    sorted.map((i) => tr.items[i]),
  );
});
