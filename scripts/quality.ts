/**
 * `npm run quality`: the task models on the shipped real datasets, with the
 * settings the README states, reporting held-out metrics and training time.
 * Not part of `npm test` (minutes, not seconds). Prints its tables; a full run (no names) also writes
 * them to QUALITY.run.md, never over QUALITY.md, whose sections hold hand-kept rows and studies
 * (forecast study, recommend, speech, memory) that this script does not produce: copy what changed.
 *
 *   npm run quality -- [births] [spam] [names] [cmudict] [--resume] [--seeds=0,1,2 (spam: the splits)]
 *   npm run quality -- memory   (long-range memory, issue #20: scripts/memory-study.ts)
 *
 * cmudict checkpoints every epoch (in the system's temporary folder);
 * --resume continues an interrupted run from there, with the same result.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { backend, birthsTable, cmudictPairs, trainSeq2Seq, generate, loadTexts, spamTable, trainClassifier, trainForecaster, trainLM, type TrainEvent } from '../src/index.js';
import { runMemoryStudy } from './memory-study.js';

const resume = process.argv.includes('--resume');
const want = process.argv.slice(2).filter((a) => a !== '--resume' && !a.startsWith('--seeds='));
const runs = (name: string) => want.length === 0 || want.includes(name);
const lines: string[] = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};
const progress = (e: TrainEvent) => {
  if (e.type === 'step' && e.step % 200 === 0) process.stderr.write(`  step ${e.step}/${e.stepsPerEpoch}: loss ${e.loss.toFixed(4)}, ${e.stepsPerSecond.toFixed(1)} steps/s\n`);
  if (e.type === 'epoch') process.stderr.write(`  epoch ${e.epoch + 1}: train ${e.trainLoss.toFixed(4)} val ${e.valLoss?.toFixed(4)} (${e.seconds.toFixed(1)} s)\n`);
};
const timed = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
};

say(`# Quality on real data`);
say();
say(`${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? ''} (${cpus().length} cores), backend ${backend().name}, Node ${process.version}. Seeded: the same numbers on every run.`);
say();

if (runs('births')) {
  const settings = { column: 'births', lookback: 56, horizon: 7, hiddenSize: 64, headSize: 64, epochs: 30, patience: 6, batchSize: 64, lr: 3e-3, seed: 0 };
  const [r, s] = timed(() => trainForecaster(birthsTable(), { ...settings, onEvent: progress }));
  say(`## births — 7 days ahead from 56, calendar features, tested on the final 365 days`);
  say();
  say(`| model | MAE | RMSE | sMAPE | MASE | training |`);
  say(`|---|---:|---:|---:|---:|---:|`);
  const row = (name: string, m: { mae: number; rmse: number; smape: number; mase: number }, time: string) => say(`| ${name} | ${m.mae.toFixed(1)} | ${m.rmse.toFixed(1)} | ${m.smape.toFixed(2)}% | ${m.mase.toFixed(3)} | ${time} |`);
  row(`gru-ts forecaster (hidden ${settings.hiddenSize}, ${r.history.length} epochs, base ${r.model.config.base?.method ?? 'seasonalNaive'})`, r.test.metrics, `${s.toFixed(0)} s`);
  const b = r.test.baselines;
  row('seasonal naive (same weekday last week)', b.seasonalNaive, '—');
  if (b.linearAR) row('linear AR on the same 56 days, intercept and trend', b.linearAR, '—');
  if (b.holtWinters) row('Holt-Winters, additive trend and weekly season', b.holtWinters, '—');
  say();
  if (r.test.intervals) say(`80% prediction intervals: coverage ${(100 * r.test.intervals.coverage).toFixed(1)}%, MSIS ${r.test.intervals.msis.toFixed(2)}.`);
  say();
}

if (runs('spam')) {
  // The bi-GRU reads the first 128 tokens, the bag-of-words path every distinct token; 8 epochs along a cosine, weights averaged. --seeds=0,1,2 also trains on other seeded splits.
  const settings = {
    tokenizer: 'word' as const,
    pooling: 'attention' as const,
    bagOfWords: true,
    maxLen: 128,
    embeddingSize: 64,
    hiddenSize: 64,
    embeddingDropout: 0.3,
    epochs: 8,
    patience: 8,
    lrSchedule: 'cosine' as const,
    averageDecay: 0.99,
    batchSize: 32,
    lr: 2e-3,
  };
  const seeds = (process.argv.find((a) => a.startsWith('--seeds='))?.slice(8) ?? '0').split(',').map(Number);
  say(`## spam — SpamAssassin corpus, stratified 70/10/20 split, tested on the 20%`);
  say();
  say(`| model | split seed | accuracy | test errors | macro-F1 | training | load (1 min) | naive Bayes on the same split |`);
  say(`|---|---:|---:|---:|---:|---:|---:|---:|`);
  const confusions: string[] = [];
  for (const seed of seeds) {
    const load = loadavg()[0];
    const [r, s] = timed(() => trainClassifier(spamTable(), { ...settings, seed, onEvent: progress }));
    const errors = r.test.confusion.reduce((n, row, i) => n + row.reduce((m, x, j) => m + (i === j ? 0 : x), 0), 0);
    const nb = r.test.baselines?.naiveBayes;
    say(
      `| gru-ts bi-GRU classifier with a bag-of-words path (word tokens, the GRU on the first ${settings.maxLen}, hidden ${settings.hiddenSize}, attention pooling, embedding dropout ${settings.embeddingDropout}, ${r.history.length} epochs, cosine learning rate, weights averaged (decay ${settings.averageDecay})) | ${seed} | ${(100 * r.test.metrics.accuracy).toFixed(2)}% | ${errors} of ${r.test.examples} | ${r.test.metrics.macroF1.toFixed(4)} | ${s.toFixed(0)} s | ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)} | ${nb ? `${(100 * nb.accuracy).toFixed(2)}%` : '—'} |`,
    );
    confusions.push(`split seed ${seed}: ${JSON.stringify(r.test.confusion)}`);
  }
  say();
  say(`Confusion (rows actual ham/spam, columns predicted): ${confusions.join('; ')}`);
  say();
}

if (runs('names')) {
  const settings = { hiddenSize: 128, embeddingSize: 32, epochs: 30, patience: 3, batchSize: 32, lr: 3e-3, seed: 0 };
  const [r, s] = timed(() => trainLM(loadTexts('names'), { ...settings, onEvent: progress }, 'names'));
  say(`## names — character-level language model, 5% of the names held out`);
  say();
  say(`| model | bits per character (test) | training |`);
  say(`|---|---:|---:|`);
  say(`| gru-ts char LM (hidden ${settings.hiddenSize}, ${r.history.length} epochs) | ${r.test.bitsPerChar.toFixed(3)} | ${s.toFixed(0)} s |`);
  say(`| uniform over ${r.tokenizer.size} symbols | ${Math.log2(r.tokenizer.size).toFixed(3)} | — |`);
  say();
  say(`Sampled names (temperature 0.8): ${generate(r, { count: 12, temperature: 0.8, seed: 1 }).join(', ')}`);
  say();
}

if (runs('cmudict')) {
  const settings = {
    attention: 'bahdanau' as const,
    embeddingSize: 64,
    encoderSize: 256,
    encoderLayers: 2,
    decoderSize: 256,
    attentionSize: 256,
    dropout: 0.2,
    averageDecay: 0.999,
    epochs: 16,
    patience: 4,
    batchSize: 64,
    lr: 1.5e-3,
    beam: 5,
    seed: 0,
  };
  // A checkpoint each epoch, so a long run can be inspected (gru eval) or resumed.
  const checkpointPath = join(tmpdir(), 'gru-quality-cmudict.ckpt.safetensors');
  const r = trainSeq2Seq(cmudictPairs(), { ...settings, checkpointPath, resume, onEvent: progress }, 'cmudict');
  // Training time from the epochs' records, so a resumed run counts the epochs before it too.
  const s = r.history.reduce((sum, h) => sum + h.seconds, 0);
  say(`## cmudict — grapheme to phoneme, seeded 90/5/5 split by word, trained on the first pronunciation, scored against the closest of a word's pronunciations (Bisani & Ney), stress removed`);
  say();
  say(`| model | WER | PER | WER, PER against the first pronunciation only | training |`);
  say(`|---|---:|---:|---:|---:|`);
  say(
    `| gru-ts seq2seq (${settings.encoderLayers}-layer bi-GRU encoder ${settings.encoderSize}, GRU decoder ${settings.decoderSize}, ${settings.attention} attention, dropout ${settings.dropout}, weights averaged (decay ${settings.averageDecay}), beam ${settings.beam}, ${r.history.length} epochs) | ${(100 * r.test.metrics.wer).toFixed(2)}% | ${(100 * r.test.metrics.per).toFixed(2)}% | ${(100 * r.test.firstTarget.wer).toFixed(2)}%, ${(100 * r.test.firstTarget.per).toFixed(2)}% | ${s.toFixed(0)} s |`,
  );
  say(`| encoder–decoder LSTM (Yao & Zweig 2015) | 28.61% | 7.63% | | — |`);
  say(`| bi-LSTM with alignments (Yao & Zweig 2015) | 23.55% | 5.45% | | — |`);
  say();
  say(`Test words: ${r.test.pairs}.`);
  say();
}

// Issue #20's long-range memory benchmarks (about 35 minutes): only when named, `npm run quality -- memory [its options]`;
// scripts/memory-study.ts writes its own section of QUALITY.md.
if (want.includes('memory')) runMemoryStudy(want.filter((a) => a !== 'memory'));

if (want.length === 0) {
  writeFileSync(new URL('../QUALITY.run.md', import.meta.url), lines.join('\n') + '\n');
  console.error('wrote QUALITY.run.md (QUALITY.md is kept by hand: copy what changed)');
}
