/** The recommend task's commands: `gru train recommend`, and recommenders in `gru eval` / `gru predict`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { evalSource, type TaskDefinition } from '../registry.js';
import { writeLossCurve } from '../pictures.js';
import {
  addCellOptions,
  addCommonTrainOptions,
  cellFromFlags,
  hiddenSize,
  nonNegativeNumber,
  intBetween,
  layerCount,
  LIMITS,
  list,
  oneOf,
  positiveInt,
  positiveNumber,
  probability,
  stem,
  trainingOptions,
  type CellFlags,
  type CommonTrainFlags,
} from '../../cli/options.js';
import { CLICK_FORMATS, readSettings, type ClickFormat, type PreprocessCounts } from './clicks.js';
import { ITEM_LOSSES, type ItemLossKind } from './loss.js';
import { SIMULATED_DATA } from './simulate.js';
import { RECOMMEND_BASELINES, evaluateRecommender, loadClicks, loadRecommender, recommendNext, saveRecommender, trainRecommender, type RecommendBaselineName, type RecommendEvaluation, type TrainedRecommender } from './task.js';
import { GruError } from '../../errors.js';
import { recommenderToOnnx } from './onnx.js';

interface RecommendFlags extends CommonTrainFlags, CellFlags {
  format?: ClickFormat;
  sessionColumn?: string;
  itemColumn?: string;
  timeColumn?: string;
  delimiter?: string;
  testDays?: number;
  validationDays?: number;
  minItemSupport?: number;
  minSessionLength?: number;
  embedding?: number;
  hidden?: number;
  layers?: number;
  dropout?: number;
  loss?: ItemLossKind;
  nSample?: number;
  sampleAlpha?: number;
  logq?: number;
  bpreg?: number;
  steps?: number;
  k: number;
  baselines: RecommendBaselineName[];
}

/** `\t`, `tab`, or one or a few characters. */
function delimiter(v: string): string {
  const d = v === '\\t' || v.toLowerCase() === 'tab' ? '\t' : v;
  if (d.length === 0 || d.length > 10) throw new InvalidArgumentError(`expected a field separator such as ',' or tab, got '${v}'`);
  return d;
}

function baselineList(v: string): RecommendBaselineName[] {
  if (v === 'none') return [];
  const names = list(v);
  for (const n of names) if (!(RECOMMEND_BASELINES as readonly string[]).includes(n)) throw new InvalidArgumentError(`expected 'none' or a comma-separated list of ${RECOMMEND_BASELINES.join(', ')}, got '${n}'`);
  return names as RecommendBaselineName[];
}

const cutoff = intBetween(1, 10_000);

function addTrainCommand(train: Command): void {
  const c = train
    .command('recommend')
    .description(`session-based recommendation (GRU4Rec): a click log with session id, item id and time (default: GRU4Rec's tab-separated SessionId, ItemId, Time; --format yoochoose for yoochoose-clicks.dat), or --data ${SIMULATED_DATA}`);
  addCellOptions(addCommonTrainOptions(c, { out: 'recommend.safetensors' }))
    .option('--format <name>', `click-log layout: ${CLICK_FORMATS.join(', ')} (gru4rec: tab-separated with a header SessionId ItemId Time; yoochoose: RecSys Challenge 2015 clicks, comma-separated, no header)`, oneOf(CLICK_FORMATS))
    .option('--session-column <name|n>', 'session id column: a header name, or a number from 1 (no header)')
    .option('--item-column <name|n>', 'item id column: a header name, or a number from 1 (no header)')
    .option('--time-column <name|n>', 'time column (Unix seconds or ISO date-times): a header name, or a number from 1 (no header)')
    .option('--delimiter <c>', 'field separator (default: the format\'s, else tab, comma or semicolon from the first line); "tab" for a tab', delimiter)
    .option('--test-days <d>', 'test sessions: those ending in the final d days', positiveNumber, 1)
    .option('--validation-days <d>', 'validation sessions: those of the rest ending in its final d days (0: none; default: --test-days)', nonNegativeNumber)
    .option('--min-item-support <n>', 'drop items with fewer clicks', positiveInt, 5)
    .option('--min-session-length <n>', 'drop sessions with fewer clicks', intBetween(2, LIMITS.maxLen), 2)
    .option('--embedding <n>', 'item embedding size (0: one-hot items straight into the GRU; default 64)', intBetween(0, LIMITS.embedding))
    .option('--hidden <n>', 'GRU hidden size (default 100)', hiddenSize)
    .option('--layers <n>', 'GRU layers (default 1)', layerCount)
    .option('--dropout <p>', 'dropout between GRU layers', probability)
    .option('--loss <name>', `${ITEM_LOSSES.join(' or ')} (default cross-entropy)`, oneOf(ITEM_LOSSES))
    .option('--n-sample <n>', "extra negatives per mini-batch block, drawn by popularity^alpha (0: the mini-batch's own targets only; ≥ the item count: every item scored; default 2048)", intBetween(0, LIMITS.vocab))
    .option('--sample-alpha <a>', 'the power of popularity the extra negatives are drawn by (default 0.75)', nonNegativeNumber)
    .option('--logq <w>', 'weight of the logQ correction of cross-entropy over sampled items (0: none; default 1)', nonNegativeNumber)
    .option('--bpreg <l>', 'BPR-max score regularisation (default 1)', nonNegativeNumber)
    .option('--steps <n>', 'clicks per slot in a session-parallel block (default 10; --batch-size is the number of slots, default 32)', intBetween(1, LIMITS.maxLen))
    .option('--k <n>', 'cut-off of Recall@K and MRR@K', cutoff, 20)
    .option('--baselines <list>', `baselines scored beside the model: ${RECOMMEND_BASELINES.join(', ')}, or none`, baselineList, [...RECOMMEND_BASELINES])
    .action((f: RecommendFlags) => runRecommendTraining(f));
}

export function runRecommendTraining(f: RecommendFlags): void {
  if (!f.data) throw new GruError('INVALID_ARGUMENT', `--data is required: a click log, or ${SIMULATED_DATA}`);
  const reading = readSettings({ format: f.format, sessionColumn: f.sessionColumn, itemColumn: f.itemColumn, timeColumn: f.timeColumn, delimiter: f.delimiter });
  const t0 = performance.now();
  const log = loadClicks(f.data, reading);
  const r = trainRecommender(
    log,
    {
      testDays: f.testDays,
      validationDays: f.validationDays,
      minItemSupport: f.minItemSupport,
      minSessionLength: f.minSessionLength,
      embeddingSize: f.embedding,
      hiddenSize: f.hidden,
      numLayers: f.layers,
      dropout: f.dropout,
      loss: f.loss,
      nSample: f.nSample,
      sampleAlpha: f.sampleAlpha,
      logQ: f.logq,
      bpreg: f.bpreg,
      steps: f.steps,
      k: f.k,
      baselines: f.baselines,
      cell: cellFromFlags(f),
      ...trainingOptions(f),
    },
    reading,
  );
  saveRecommender(r, f.out);
  const seconds = (performance.now() - t0) / 1000;
  const pictures = writeLossCurve(`${stem(f.out)}.loss.svg`, r.history, !!f.png, 'validation cross-entropy (all items)');
  if (f.json) {
    console.log(
      JSON.stringify({ task: 'recommend', data: f.data, split: 'test', ...evaluationJson(r.test), preprocessing: { ...r.split }, epochs: r.history.length, model: f.out, pictures, seconds: { training: r.seconds.training, total: seconds } }),
    );
    return;
  }
  const c = r.split;
  console.log(`${f.data}: ${n(c.counts.clicks)} clicks in ${n(c.counts.sessions)} sessions on ${n(c.counts.items)} items`);
  console.log(`  ${dropped(c.counts)}`);
  console.log(`  train ${n(c.train.sessions)} sessions (${n(c.train.clicks)} clicks), validation ${n(c.validation.sessions)} (${n(c.validation.clicks)}), test ${n(c.test.sessions)} (${n(c.test.clicks)}); ${n(r.items.length)} items`);
  printEvaluation(r.test, `test sessions (final ${r.preprocessing.testDays} day${r.preprocessing.testDays === 1 ? '' : 's'})`);
  console.log(`  trained in ${r.seconds.training.toFixed(0)} s (${r.history.length} epochs); total ${seconds.toFixed(0)} s`);
  console.log(`model: ${f.out}`);
  console.log(`pictures: ${pictures.join(', ')}`);
}

const n = (x: number) => x.toLocaleString('en-US');

function dropped(c: PreprocessCounts): string {
  return `dropped: ${n(c.shortSessions)} sessions too short, ${n(c.rareItems)} items with too few clicks (${n(c.rareItemClicks)} clicks), then ${n(c.shortAfterItemFilter)} sessions too short; ${n(c.unseenValidationClicks)} validation and ${n(c.unseenTestClicks)} test clicks on items unseen in training`;
}

function evaluationJson(e: RecommendEvaluation) {
  return {
    sessions: e.sessions,
    predictions: e.predictions,
    items: e.items,
    k: e.k,
    metrics: { [`recall@${e.k}`]: e.model.recall, [`mrr@${e.k}`]: e.model.mrr },
    baselines: Object.fromEntries(Object.entries(e.baselines).map(([name, b]) => [name, { [`recall@${e.k}`]: b.recall, [`mrr@${e.k}`]: b.mrr, seconds: b.seconds }])),
  };
}

function printEvaluation(e: RecommendEvaluation, what: string): void {
  console.log(`${what}: the next click at every position (${n(e.predictions)} predictions in ${n(e.sessions)} sessions), all ${n(e.items)} items ranked`);
  const rows: [string, { recall: number; mrr: number }][] = [['gru-ts GRU4Rec', e.model], ...Object.entries(e.baselines).map(([k, v]) => [k, v] as [string, { recall: number; mrr: number }])];
  console.log(`  ${'model'.padEnd(16)} ${`Recall@${e.k}`.padStart(10)} ${`MRR@${e.k}`.padStart(10)}`);
  for (const [name, m] of rows) console.log(`  ${name.padEnd(16)} ${m.recall.toFixed(4).padStart(10)} ${m.mrr.toFixed(4).padStart(10)}`);
}

export const recommendTask: TaskDefinition<TrainedRecommender> = {
  name: 'recommend',
  summary: 'session-based recommendation (GRU4Rec)',
  addTrainCommand,
  load: loadRecommender,
  exportOnnx: recommenderToOnnx,
  module: (tr) => tr.model,
  evaluate(tr, flags) {
    const source = evalSource(flags, tr.data);
    const r = evaluateRecommender(tr, loadClicks(source, tr.reading), source, { split: flags.split, k: flags.k as number });
    if (flags.json) {
      console.log(JSON.stringify({ task: 'recommend', data: source, split: r.split, ...evaluationJson(r) }));
      return;
    }
    printEvaluation(r, `${source}, ${r.split === 'test' ? 'held-out test sessions (baselines fitted on its training sessions)' : 'every session (clicks on unknown items dropped; no baselines)'}`);
  },
  predict(tr, o) {
    const k = (o.top ?? o.k) as number;
    const one = (items: string[]) => {
      const r = recommendNext(tr, items, k);
      if (o.json) {
        console.log(JSON.stringify({ task: 'recommend', after: items, ignored: r.ignored, next: r.items }));
        return;
      }
      if (r.ignored.length > 0) console.error(`ignored (not in the training data): ${r.ignored.join(', ')}`);
      r.items.forEach((x, i) => console.log(`${String(i + 1).padStart(3)}. ${x.item}\t${x.score.toFixed(4)}`));
    };
    if (typeof o.sessions === 'string' && typeof o.input === 'string') throw new GruError('INVALID_ARGUMENT', '--input and --sessions are the same option: give one');
    const many = o.sessions ?? o.input;
    if (typeof many === 'string') {
      // Batch mode: one session a line (comma-separated ids, oldest first), one result a line with --json.
      const text = readFileSync(many === '-' ? 0 : many, 'utf8');
      const sessions = text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      sessions.forEach((line, i) => {
        if (!o.json && sessions.length > 1) console.log(`${i > 0 ? '\n' : ''}session ${i + 1}: ${line}`);
        one(list(line));
      });
      return;
    }
    const given = (o.session ?? o.items) as string | undefined;
    one(given === undefined ? [] : list(given));
  },
  evalOptions: [{ flags: '--k <n>', description: 'cut-off of Recall@K and MRR@K', parse: cutoff, default: 20 }],
  predictOptions: [
    { flags: '--items <ids>', description: "the session's clicks so far, comma-separated item ids, oldest first" },
    { flags: '--session <ids>', description: 'the same as --items' },
    { flags: '--sessions <file>', description: 'many sessions, one a line (comma-separated ids; - reads standard input); one result a line with --json' },
    { flags: '--input <file>', description: 'the same as --sessions' },
    { flags: '--k <n>', description: 'how many next items to list', parse: cutoff, default: 20 },
    { flags: '--top <n>', description: 'the same as --k', parse: cutoff },
  ],
  demo: {
    summary: 'next-click recommendation on a simulated click log',
    run(o) {
      console.log('Session-based recommendation on a SIMULATED click log (items with power-law popularity, sessions following a latent Markov structure); Recall@20 and MRR@20 beside popularity, item-kNN and session-kNN…');
      runRecommendTraining({ data: SIMULATED_DATA, epochs: 5, k: 20, baselines: [...RECOMMEND_BASELINES], out: join(o.out, 'recommend.safetensors'), png: o.png });
    },
  },
};
