// Seq2seq ensembles (translateWith, withEnsemble, `--ensemble`): the search
// averages the models' log-probabilities step by step; an ensemble of a model
// with itself is that model; models trained on other pairs or another split
// are refused; the command line scores and predicts with the ensemble.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, noGrad, saveSeq2Seq, trainSeq2Seq } from '../src/index.js';
import { Seq2Seq, makePairBatch, translateWith, type Seq2SeqConfig } from '../src/tasks/seq2seq/model.js';
import { BOS, EOS } from '../src/data/tokenizer.js';
import { constant } from '../src/autograd/var.js';
import { Tensor } from '../src/tensor/tensor.js';
import { evaluateSeq2SeqOn, withAlternatives, withEnsemble } from '../src/tasks/seq2seq/task.js';

const config = (H: number): Seq2SeqConfig => ({ attention: 'bahdanau', embeddingSize: 8, encoderSize: H, decoderSize: H, attentionSize: H, maxTargetLen: 12 });

test('an ensemble of a model with itself searches as the model alone (greedy and beam 4)', () => {
  const m = new Seq2Seq(config(16), 11, 9, 4);
  const rng = new Rng(3);
  for (let n = 0; n < 8; n++) {
    const src = Array.from({ length: 2 + rng.int(6) }, () => 4 + rng.int(7));
    for (const beam of [1, 4]) assert.deepEqual(translateWith([m, m], src, { beam }).ids, m.translate(src, { beam }).ids);
  }
});

test('greedy search over two models picks, at every step, the token of highest mean log-probability', () => {
  const a = new Seq2Seq(config(12), 11, 9, 1),
    b = new Seq2Seq(config(20), 11, 9, 2);
  const rng = new Rng(5);
  let disagreements = 0;
  for (let n = 0; n < 12; n++) {
    const src = Array.from({ length: 3 + rng.int(5) }, () => 4 + rng.int(7));
    // The same search by hand: both decoders stepped on the ensemble's choices.
    const want = noGrad(() => {
      const encoded = [a, b].map((m) => m.encode({ B: 1, S: src.length, src: Int32Array.from(src), srcLengths: Int32Array.from([src.length]) }));
      let states = encoded.map((e) => e.state);
      const ids: number[] = [];
      let prev = BOS;
      for (let t = 0; t < 12; t++) {
        const steps = [a, b].map((m, j) => m.step(encoded[j], Int32Array.from([prev]), states[j]));
        const mean = new Float64Array(9);
        for (const r of steps) {
          const row = Array.from(r.logits.data);
          const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
          row.forEach((x, c) => (mean[c] += (x - lse) / 2));
        }
        let best = EOS;
        for (let c = EOS; c < 9; c++) if (mean[c] > mean[best]) best = c;
        if (best === EOS) break;
        ids.push(best);
        prev = best;
        states = steps.map((r, j) => constant(new Tensor(Float32Array.from(r.state.data), [1, 1, [a, b][j].config.decoderSize])));
      }
      return ids;
    });
    // (Where <eos> wins a step, the search keeps the finished hypothesis and goes on with the runner-up, then ranks them: it starts as this.)
    const got = translateWith([a, b], src).ids;
    assert.deepEqual(got.slice(0, want.length), want);
    if (got.join() !== a.translate(src).ids.join()) disagreements++;
  }
  assert.ok(disagreements > 0, 'the ensemble chose differently from the first model somewhere');
});

test('withEnsemble and `gru eval|predict --ensemble`: the same pairs and split only; scores and predictions of the ensemble', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gru-ensemble-'));
  try {
    const rng = new Rng(2);
    const pairs = Array.from({ length: 160 }, () => {
      const w = Array.from({ length: 2 + rng.int(4) }, () => 'abcdef'[rng.int(6)]).join('');
      return { source: w, target: [...w].reverse().map((c) => c.toUpperCase()) };
    });
    const tsv = join(dir, 'pairs.tsv');
    writeFileSync(tsv, pairs.map((p) => `${p.source}\t${p.target.join(' ')}`).join('\n'));
    const train = (hidden: number, seed: number) => trainSeq2Seq(pairs, { epochs: 2, embeddingSize: 8, encoderSize: hidden, decoderSize: hidden, attentionSize: hidden, seed, divergence: false }, tsv);
    const a = train(16, 0),
      b = train(24, 0),
      other = train(16, 1);
    const files = { a: join(dir, 'a.safetensors'), b: join(dir, 'b.safetensors'), other: join(dir, 'other.safetensors') };
    saveSeq2Seq(a, files.a);
    saveSeq2Seq(b, files.b);
    saveSeq2Seq(other, files.other);
    assert.throws(() => withEnsemble(a, [{ path: files.other, model: other }]), /other\.safetensors: trained on other pairs or another split than the first model/);

    const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
    const gru = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
    const both = gru('eval', files.a, '--ensemble', files.b, '--beam', '3', '--json');
    assert.equal(both.status, 0, both.stderr);
    const scored = JSON.parse(both.stdout) as { pairs: number; metrics: { wer: number } };
    // The ensemble's scores, computed here over the same held-out pairs.
    const ab = withEnsemble(a, [{ path: files.b, model: b }]);
    const here = evaluateSeq2SeqOn(ab, pairs, tsv, 3);
    assert.equal(scored.pairs, a.test.pairs);
    assert.deepEqual(scored.metrics, here.metrics);
    const p = gru('predict', files.a, '--ensemble', files.b, '--text', 'fade');
    assert.equal(p.status, 0, p.stderr);
    assert.equal(
      p.stdout.trim(),
      translateWith([ab.model, ...ab.ensemble!], a.source.encode('fade'))
        .ids.map((i) => a.target.vocab[i])
        .join(' '),
    );
    const refused = gru('eval', files.a, '--ensemble', files.other);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /other\.safetensors: trained on other pairs or another split/);
    assert.equal(refused.stderr.trim().split('\n').length, 1);

    // A right-to-left model with another seed on the same split, from the command line, joins the ensemble.
    const rtlFile = join(dir, 'rtl.safetensors');
    const rtl = gru('train', 'seq2seq', '--data', tsv, '--epochs', '1', '--embedding', '8', '--hidden', '16', '--seed', '5', '--split-seed', '0', '--right-to-left', '--all-targets', '--out', rtlFile);
    assert.equal(rtl.status, 0, rtl.stderr);
    const three = gru('eval', files.a, '--ensemble', `${files.b},${rtlFile}`, '--json');
    assert.equal(three.status, 0, three.stderr);
    assert.equal((JSON.parse(three.stdout) as { pairs: number }).pairs, a.test.pairs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--split-seed: another seed on the same split is a different model that ensembles; --all-targets trains on the alternatives too', () => {
  const rng = new Rng(4);
  const pairs = Array.from({ length: 120 }, () => {
    const w = Array.from({ length: 2 + rng.int(4) }, () => 'abcdef'[rng.int(6)]).join('');
    const target = [...w].reverse().map((c) => c.toUpperCase());
    return { source: w, target, ...(rng.int(3) === 0 ? { alternatives: [[...target, 'A'], ['Z']] } : {}) };
  });
  const train = (o: { seed: number; splitSeed?: number; allTargets?: boolean }) => trainSeq2Seq(pairs, { epochs: 1, embeddingSize: 8, encoderSize: 12, decoderSize: 12, attentionSize: 12, divergence: false, ...o }, 'pairs');
  const a = train({ seed: 0 }),
    b = train({ seed: 3, splitSeed: 0 }),
    c = train({ seed: 3, splitSeed: 0, allTargets: true });
  assert.deepEqual(b.data, a.data, 'the same split recorded');
  assert.notDeepEqual([...b.model.parameters()[0].data], [...a.model.parameters()[0].data], 'other initial weights');
  assert.notDeepEqual([...c.model.parameters()[0].data], [...b.model.parameters()[0].data], 'the alternatives changed training');
  assert.equal(
    withEnsemble(a, [
      { path: 'b', model: b },
      { path: 'c', model: c },
    ]).ensemble!.length,
    2,
  );
  assert.deepEqual(c.target.vocab, a.target.vocab, 'the vocabulary comes from the first targets');

  // The alternatives become pairs after their own pair; 'Z' is no first target's symbol, so ['Z'] is left out.
  const expanded = withAlternatives(pairs, a.target);
  const withAlt = pairs.filter((p) => p.alternatives);
  assert.equal(expanded.length, pairs.length + withAlt.length);
  const i = expanded.indexOf(withAlt[0]);
  assert.deepEqual(expanded[i + 1], { source: withAlt[0].source, target: [...withAlt[0].target, 'A'] });
});

test('a right-to-left model: its translation is its search turned back; with a left-to-right model, both searches’ hypotheses are scored by both', () => {
  const ltr = new Seq2Seq(config(16), 11, 9, 7);
  const asRtl = (m: Seq2Seq, seed: number) => new Seq2Seq({ ...m.config, rightToLeft: true }, 11, 9, seed);
  // The same weights read right to left: the same search, turned back.
  const same = asRtl(ltr, 7);
  const rtl = asRtl(ltr, 8);
  // Untrained models seldom choose <eos>: favour it, so that searches end on it.
  for (const m of [ltr, same, rtl]) m.out.bias!.value.data[EOS] += 1;
  const rng = new Rng(9);
  let changed = 0;
  for (let n = 0; n < 16; n++) {
    const src = Array.from({ length: 2 + rng.int(6) }, () => 4 + rng.int(7));
    const a = ltr.translate(src, { beam: 3 });
    const b = same.translate(src, { beam: 3 });
    assert.deepEqual(b.ids, [...a.ids].reverse());
    // Each token's attention row turned back with it (<eos>'s row, where the search ended on one, stays last).
    assert.deepEqual(b.attention, [...a.attention.slice(0, a.ids.length).reverse(), ...a.attention.slice(a.ids.length)]);

    // targetLogProbs: a row's sum is what the loss says of that row alone.
    const batch = makePairBatch([src, src], [a.ids, [...a.ids, 5]]);
    const lps = ltr.targetLogProbs(batch);
    for (let i = 0; i < 2; i++) {
      const one = makePairBatch([src], [i === 0 ? a.ids : [...a.ids, 5]]);
      const tokens = one.tgtOut.filter((t) => t >= 0).length;
      assert.ok(Math.abs(lps[i] + noGrad(() => ltr.loss(one)).data[0] * tokens) < 1e-4 * tokens);
    }

    // Both directions: the chosen output's score is the two models' mean teacher-forced log-probability over its
    // length, and no lower than that of either model's own best (both are candidates).
    const both = translateWith([ltr, rtl], src, { beam: 3 });
    const combined = (ids: number[]) => {
      const lp = ltr.targetLogProbs(makePairBatch([src], [ids]))[0] + rtl.targetLogProbs(makePairBatch([src], [[...ids].reverse()]))[0];
      return lp / 2 / (ids.length + 1);
    };
    assert.ok(Math.abs(both.score - combined(both.ids)) < 1e-4, `${both.score} vs ${combined(both.ids)}`);
    assert.ok(combined(both.ids) >= combined(a.ids) - 1e-6);
    assert.ok(combined(both.ids) >= combined(rtl.translate(src, { beam: 3 }).ids) - 1e-6);
    assert.deepEqual(translateWith([rtl, ltr], src, { beam: 3 }).ids, both.ids, 'either model first');
    if (both.ids.join() !== a.ids.join()) changed++;
  }
  assert.ok(changed > 0, 'the rescoring chose another candidate somewhere');
});
