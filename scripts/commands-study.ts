/**
 * The `commands` model against the synthesizers it never heard (issue #14):
 * trains `gru train classify --data commands` once per seed and scores the
 * validation and test voices, meSpeak, and Flite as a whole, per voice and per
 * word. Flite is the test of generalisation: its labels choose nothing here.
 * Not part of `npm test`.
 *
 *   node --import tsx scripts/commands-study.ts [--set key=value …] [--seeds n] [--misses]
 *
 * `--set` passes a FramesOptions field (JSON values: `--set warp=false`,
 * `--set averageDecay=0.99`) to every run; `--seeds n` trains with seeds
 * 0…n−1; `--misses` also lists Flite's misclassified clips. Prints one JSON
 * line per seed, then the means.
 */
import { classifyFrames, evaluateFramesOn, readAudioFolder, trainFrameClassifier, type FramesOptions } from '../src/index.js';
import { commandsDataset } from '../src/data/commands-dataset.js';
import { commandsTestSet } from '../src/data/commands-other.js';

const args = process.argv.slice(2);
const overrides: Record<string, unknown> = {};
let seeds = 3,
  misses = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--set') {
    const [k, v] = args[++i].split('=');
    overrides[k] = JSON.parse(v);
  } else if (args[i] === '--seeds') seeds = Number(args[++i]);
  else if (args[i] === '--misses') misses = true;
  else {
    console.error(`unknown argument ${args[i]}; usage: commands-study.ts [--set key=value …] [--seeds n] [--misses]`);
    process.exit(2);
  }
}

const data = readAudioFolder(commandsDataset());
const flite = readAudioFolder(commandsTestSet('flite'));
const mespeak = readAudioFolder(commandsTestSet('mespeak'));
/** `cmu+fasthigh_nohash_0.wav` → `cmu`. */
const voiceOf = (file: string) => file.split('/')[1].split('+')[0];
const fliteVoices = [...new Set(flite.files.map(voiceOf))];
const pct = (x: number) => Math.round(1000 * x) / 10;

interface Run {
  seed: number;
  validation: number;
  test: number;
  mespeak: number;
  flite: number;
  fliteVoices: Record<string, number>;
  seconds: number;
}
const runs: Run[] = [];
for (let seed = 0; seed < seeds; seed++) {
  const t0 = performance.now();
  const model = trainFrameClassifier(data, { ...(overrides as FramesOptions), seed });
  const seconds = (performance.now() - t0) / 1000;
  const best = model.history.reduce((a, b) => ((b.valLoss ?? Infinity) < (a.valLoss ?? Infinity) ? b : a));
  const predicted = flite.sequences.map((s) => classifyFrames(model, s).label);
  const right = (keep: (i: number) => boolean) => {
    const idx = flite.labels.map((_, i) => i).filter(keep);
    return pct(idx.filter((i) => predicted[i] === flite.labels[i]).length / idx.length);
  };
  const run: Run = {
    seed,
    validation: pct(best.metrics?.accuracy ?? Number.NaN),
    test: pct(model.test.metrics.accuracy),
    mespeak: pct(evaluateFramesOn(model, mespeak, { split: 'all' }).metrics.accuracy),
    flite: right(() => true),
    fliteVoices: Object.fromEntries(fliteVoices.map((v) => [v, right((i) => voiceOf(flite.files[i]) === v)])),
    seconds: Math.round(seconds),
  };
  runs.push(run);
  console.log(JSON.stringify(run));
  if (misses) console.log(flite.files.flatMap((f, i) => (predicted[i] === flite.labels[i] ? [] : [`${f} → ${predicted[i]}`])).join('\n'));
}
const mean = (get: (r: Run) => number) => Math.round((10 * runs.reduce((s, r) => s + get(r), 0)) / runs.length) / 10;
console.log(
  JSON.stringify({
    seeds: runs.length,
    options: overrides,
    validation: mean((r) => r.validation),
    test: mean((r) => r.test),
    mespeak: mean((r) => r.mespeak),
    flite: mean((r) => r.flite),
    fliteVoices: Object.fromEntries(fliteVoices.map((v) => [v, mean((r) => r.fliteVoices[v])])),
  }),
);
