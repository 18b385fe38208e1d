/**
 * `npm run quality -- memory` (issue #20, "the claims, measured"): standard
 * long-range memory benchmarks, the plain GRU against the attention GRU in
 * its forms (global, trailing window, Luong local-p, seed 003's form):
 *
 *   - the adding problem (Hochreiter & Schmidhuber 1997) at T = 100, 400, 1000;
 *   - copy memory (Arjovsky et al. 2016) with delays 100 and 500;
 *   - sequential and permuted pixel classification of scikit-learn's 8×8
 *     digits (64 steps; NOT MNIST, which this offline registry does not ship);
 *
 * each with its metric, time per epoch and memory, and one forward + backward
 * at growing T showing how each form's memory grows. Every run is alone in a
 * child process (so its peak RSS is its own) and seeded (the same metrics on
 * every run; times depend on the machine). Writes its section of QUALITY.md
 * after a full run.
 *
 *   node --import tsx scripts/memory-study.ts [--only adding-100,copy-100] [--models gru,global]
 *       [--scale-only | --no-scale] [--write] [--set key=value …] [--save FILE] [--render FILE]
 *
 * --only / --models / --set runs are experiments: printed, not written
 * (--write writes anyway). Every run saves its raw results (default: the
 * system's temporary folder, gru-memory-study.json); --render FILE prints
 * (and with --write writes) the report from such a file without training. Settings (--set): hidden, attention, window,
 * halfWidth, batch, lr, clip, and per task epochs, seconds (the time cap).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Adam, AttentionGRU, GRU, GruError, Linear, Rng, SEED_003_FORM, Tensor, Var, backend, backward, clipGradNorm, constant, crossEntropy, mseLoss, noGrad, reshape, sliceRows } from '../src/core.js';
import { ADDING_BASELINE, COPY, addingBatch, copyBaseline, copyBatch, digitsBatch, digitsSplit, loadDigits, permutation, type Digits } from './memory-tasks.js';

// ---------------------------------------------------------------- settings

/** Shared by every run (--set overrides them). */
const SETTINGS = { hidden: 32, attention: 16, window: 32, halfWidth: 16, batch: 32, lr: 2e-3, clip: 1, seed: 0 };
type Settings = typeof SETTINGS;

const MODELS = ['gru', 'global', 'window', 'local', 'seed003'] as const;
type ModelKind = (typeof MODELS)[number];
const modelLabel = (m: ModelKind, s: Settings): string =>
  ({
    gru: 'GRU (PyTorch form)',
    global: 'attention GRU, global',
    window: `attention GRU, window ${s.window}`,
    local: `attention GRU, local-p D = ${s.halfWidth}`,
    seed003: 'seed-003 form (global)',
  })[m];

/**
 * A task. An epoch is `SYNTHETIC_EPOCH` training sequences (fresh from the
 * seeded generator, the same for every model) on the synthetic tasks, one
 * pass over the training images on digits. A run trains its model's
 * `epochs` — the same for every model on the short tasks; on the long ones
 * sized so each model gets roughly the same training time on this machine
 * (about a minute), since global attention costs 10–25× the GRU's epoch
 * there. Counts, not clocks, so every run gives the same numbers; `seconds`
 * is only a safety cap (a run it stops is marked ⏱ and is not reproducible).
 */
interface TaskSpec {
  id: string;
  family: 'adding' | 'copy' | 'digits';
  /** Sequence length T of the adding problem, the delay of copy memory. */
  T: number;
  permuted?: boolean;
  epochs: number | Record<ModelKind, number>;
  seconds: number;
  testSize: number;
}
const equalTime = (gru: number, window: number, local: number, global: number): Record<ModelKind, number> => ({ gru, window, local, global, seed003: global });
const TASKS: TaskSpec[] = [
  { id: 'adding-100', family: 'adding', T: 100, epochs: 30, seconds: 600, testSize: 1024 },
  { id: 'adding-400', family: 'adding', T: 400, epochs: equalTime(40, 12, 8, 6), seconds: 600, testSize: 512 },
  { id: 'adding-1000', family: 'adding', T: 1000, epochs: equalTime(20, 8, 4, 1), seconds: 600, testSize: 256 },
  { id: 'copy-100', family: 'copy', T: 100, epochs: 30, seconds: 600, testSize: 512 },
  { id: 'copy-500', family: 'copy', T: 500, epochs: equalTime(20, 8, 6, 2), seconds: 600, testSize: 256 },
  { id: 'digits-seq', family: 'digits', T: 64, epochs: 20, seconds: 600, testSize: 0 },
  { id: 'digits-perm', family: 'digits', T: 64, permuted: true, epochs: 20, seconds: 600, testSize: 0 },
];
const epochsOf = (t: TaskSpec, m: ModelKind): number => (typeof t.epochs === 'number' ? t.epochs : t.epochs[m]);
/** Training sequences in one epoch of the task. */
const epochSize = (t: TaskSpec): number => (t.family === 'digits' ? digitsSplit(loadDigits()).train.length : SYNTHETIC_EPOCH);
/** Synthetic tasks: sequences per epoch. */
const SYNTHETIC_EPOCH = 1024;
/** One forward + backward at these lengths (B = 1) for the memory-growth table. */
const SCALE_T = [1000, 2000, 4000, 8000];
const SCALE_B = 1;

// ---------------------------------------------------------------- one run (child process)

interface Net {
  rnn: GRU | AttentionGRU;
  head: Linear;
  params: Var[];
}

function makeNet(kind: ModelKind, inputSize: number, outputs: number, s: Settings): Net {
  const base = { inputSize, hiddenSize: s.hidden, seed: s.seed };
  const att = { ...base, attentionSize: s.attention };
  const rnn =
    kind === 'gru'
      ? new GRU(base)
      : kind === 'global'
        ? new AttentionGRU(att)
        : kind === 'window'
          ? new AttentionGRU({ ...att, window: s.window })
          : kind === 'local'
            ? new AttentionGRU({ ...att, local: { kind: 'predictive', halfWidth: s.halfWidth } })
            : new AttentionGRU({ ...att, ...SEED_003_FORM, bias: false });
  const head = new Linear({ inFeatures: s.hidden, outFeatures: outputs, seed: s.seed + 1 });
  return { rnn, head, params: [...rnn.parameters(), ...head.parameters()] };
}

/** A batch of a task: inputs (T, B, I) and a loss of the network's outputs (T, B, H). */
interface Batch {
  x: Tensor;
  loss(out: Var, head: Linear): Var;
  /** Adds this batch to the test tally (no gradient). */
  score(out: Var, head: Linear, tally: Tally): void;
}
interface Tally {
  n: number;
  sum: number;
  correct: number;
  recalled: number;
}

function lastStep(out: Var): Var {
  const [T, B, H] = out.shape;
  return sliceRows(out, T - 1, 1, [B, H]);
}

function addingTask(T: number, B: number, rng: Rng): Batch {
  const { x, y } = addingBatch(T, B, rng);
  const target = constant(new Tensor(y, [B, 1]));
  return {
    x: new Tensor(x, [T, B, 2]),
    loss: (out, head) => mseLoss(head.forward(lastStep(out)), target),
    score: (out, head, t) => {
      const p = head.forward(lastStep(out)).data;
      for (let b = 0; b < B; b++) t.sum += (p[b] - y[b]) ** 2;
      t.n += B;
    },
  };
}

function copyTask(T: number, B: number, rng: Rng): Batch {
  const { x, target, steps } = copyBatch(T, B, rng);
  const logits = (out: Var, head: Linear) => head.forward(reshape(out, [steps * B, out.shape[2]]));
  return {
    x: new Tensor(x, [steps, B, COPY.inputs]),
    loss: (out, head) => crossEntropy(logits(out, head), target),
    score: (out, head, t) => {
      const C = COPY.classes;
      const z = logits(out, head).data;
      for (let r = 0; r < steps * B; r++) {
        let m = -Infinity,
          arg = 0;
        for (let c = 0; c < C; c++) if (z[r * C + c] > m) [m, arg] = [z[r * C + c], c];
        let se = 0;
        for (let c = 0; c < C; c++) se += Math.exp(z[r * C + c] - m);
        t.sum += m + Math.log(se) - z[r * C + target[r]];
        // The 10 recalled symbols: the last 10 steps.
        if (r >= (T + COPY.length) * B && arg === target[r]) t.recalled++;
      }
      t.n += steps * B;
      t.correct += COPY.length * B;
    },
  };
}

function digitsTask(d: Digits, images: ArrayLike<number>, order: Int32Array | null): Batch {
  const { x, y } = digitsBatch(d, images, order);
  const B = y.length;
  return {
    x: new Tensor(x, [64, B, 1]),
    loss: (out, head) => crossEntropy(head.forward(lastStep(out)), y),
    score: (out, head, t) => {
      const z = head.forward(lastStep(out)).data;
      for (let b = 0; b < B; b++) {
        let arg = 0;
        for (let c = 1; c < 10; c++) if (z[b * 10 + c] > z[b * 10 + arg]) arg = c;
        if (arg === y[b]) t.correct++;
      }
      t.n += B;
    },
  };
}

/** The task's training batches, epoch by epoch, and its test batches. */
function taskData(task: TaskSpec, s: Settings): { inputs: number; outputs: number; epoch(e: number): Iterable<Batch>; test(): Iterable<Batch>; probe(): Batch } {
  const B = s.batch;
  if (task.family === 'digits') {
    const d = loadDigits();
    const { train, test } = digitsSplit(d);
    // The permutation of the permuted task: fixed, seeded, the same for every image.
    const order = task.permuted ? permutation(64, new Rng(64)) : null;
    const shuffle = new Rng(s.seed + 100);
    return {
      inputs: 1,
      outputs: 10,
      probe: () => digitsTask(d, train.subarray(0, B), order),
      *epoch() {
        const p = permutation(train.length, shuffle);
        for (let a = 0; a < train.length; a += B)
          yield digitsTask(
            d,
            Array.from(p.subarray(a, a + B), (k) => train[k]),
            order,
          );
      },
      *test() {
        for (let a = 0; a < test.length; a += 128) yield digitsTask(d, test.subarray(a, a + 128), order);
      },
    };
  }
  const make = task.family === 'adding' ? addingTask : copyTask;
  // Training sequences from one seeded stream, test sequences from another: the same data for every model.
  const trainRng = new Rng(1000 + task.T);
  return {
    inputs: task.family === 'adding' ? 2 : COPY.inputs,
    outputs: task.family === 'adding' ? 1 : COPY.classes,
    probe: () => make(task.T, B, new Rng(3000 + task.T)),
    *epoch() {
      for (let i = 0; i < SYNTHETIC_EPOCH / B; i++) yield make(task.T, B, trainRng);
    },
    *test() {
      const rng = new Rng(2000 + task.T);
      for (let a = 0; a < task.testSize; a += 64) yield make(task.T, Math.min(64, task.testSize - a), rng);
    },
  };
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heldMB = () => process.memoryUsage().arrayBuffers / 2 ** 20;

/** Collects garbage until freed arrays are given back (V8 releases ArrayBuffer memory asynchronously); returns the MB of live arrays. */
async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  return heldMB();
}

/**
 * MB of arrays that the forward pass of `batch` and its loss leave alive for
 * backward (activations, gates, attention weights and caches), measured with
 * live-array accounting around the forward pass; `then` runs while they are
 * still alive (e.g. backward).
 */
async function heldByForward(net: Net, batch: Batch, then: (loss: Var) => void = () => {}): Promise<{ held: number; forwardMs: number }> {
  const before = await settle();
  const t0 = performance.now();
  const { output } = net.rnn.forward(new Var(batch.x));
  const loss = batch.loss(output, net.head);
  const forwardMs = performance.now() - t0;
  const held = (await settle()) - before;
  then(loss);
  return { held, forwardMs };
}

interface RunResult {
  task: string;
  model: ModelKind;
  metric: number;
  recall?: number;
  trainLoss: number[];
  /** Training sequences seen (epochs: sequences / epochSize). */
  sequences: number;
  stoppedByTime: boolean;
  trainSeconds: number;
  evalSeconds: number;
  heldMB: number;
  peakMB: number;
  backend: string;
  parameters: number;
}

async function runChild(task: TaskSpec, kind: ModelKind, s: Settings, maxEpochs: number): Promise<RunResult> {
  const data = taskData(task, s);
  const net = makeNet(kind, data.inputs, data.outputs, s);
  const opt = new Adam(net.params, { lr: s.lr });
  const trainLoss: number[] = [];
  // Memory first, on a probe batch of the training shape (its own data: the training stream is untouched; forward changes no weights).
  const { held } = await heldByForward(net, data.probe());
  let sequences = 0,
    trainMs = 0,
    stoppedByTime = false;
  for (let e = 0; e < maxEpochs && !stoppedByTime; e++) {
    let lossSum = 0,
      n = 0;
    for (const batch of data.epoch(e)) {
      if (trainMs / 1000 >= task.seconds) {
        stoppedByTime = true;
        break;
      }
      const t0 = performance.now();
      opt.zeroGrad();
      const { output } = net.rnn.forward(new Var(batch.x));
      const loss = batch.loss(output, net.head);
      backward(loss);
      clipGradNorm(net.params, s.clip);
      opt.step();
      trainMs += performance.now() - t0;
      lossSum += loss.data[0] * batch.x.shape[1];
      n += batch.x.shape[1];
      sequences += batch.x.shape[1];
    }
    if (n > 0) {
      trainLoss.push(lossSum / n);
      process.stderr.write(`  ${task.id} ${kind} epoch ${e + 1}: train ${(lossSum / n).toFixed(4)} (${(trainMs / 1000).toFixed(0)} s)\n`);
    }
  }
  const t1 = performance.now();
  const tally: Tally = { n: 0, sum: 0, correct: 0, recalled: 0 };
  net.rnn.train(false);
  noGrad(() => {
    for (const batch of data.test()) batch.score(net.rnn.forward(batch.x).output, net.head, tally);
  });
  const evalSeconds = (performance.now() - t1) / 1000;
  const metric = task.family === 'digits' ? tally.correct / tally.n : tally.sum / tally.n;
  return {
    task: task.id,
    model: kind,
    metric,
    recall: task.family === 'copy' ? tally.recalled / tally.correct : undefined,
    trainLoss,
    sequences,
    stoppedByTime,
    trainSeconds: trainMs / 1000,
    evalSeconds,
    heldMB: held,
    peakMB: process.resourceUsage().maxRSS / 1024,
    backend: backend().name,
    parameters: net.params.reduce((n, p) => n + p.value.size, 0),
  };
}

interface ScaleResult {
  model: ModelKind;
  T: number;
  ms: number;
  heldMB: number;
  peakMB: number;
}

/** One forward + backward of an adding-problem batch of length T (after a short warm-up). */
async function scaleChild(kind: ModelKind, T: number, s: Settings): Promise<ScaleResult> {
  const step = async (len: number) => {
    let backwardMs = 0;
    const { held, forwardMs } = await heldByForward(makeNet(kind, 2, 1, s), addingTask(len, SCALE_B, new Rng(7)), (loss) => {
      const t0 = performance.now();
      backward(loss);
      backwardMs = performance.now() - t0;
    });
    return { ms: forwardMs + backwardMs, held };
  };
  await step(200);
  const r = await step(T);
  return { model: kind, T, ms: r.ms, heldMB: r.held, peakMB: process.resourceUsage().maxRSS / 1024 };
}

// ---------------------------------------------------------------- the study (parent)

const self = fileURLToPath(import.meta.url);

function child<R>(args: string[], s: object): R {
  const env = { ...process.env, GRU_TS_THREADS: process.env.GRU_TS_THREADS ?? '1' };
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, ...args, JSON.stringify(s)], {
    encoding: 'utf8',
    env,
    timeout: 1_800_000,
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as R;
}

function parseArgs(argv: string[]) {
  const s: Settings = { ...SETTINGS };
  const taskOverrides: Record<string, number> = {};
  let only: string[] | null = null,
    models: ModelKind[] = [...MODELS],
    scale = true,
    trainRuns = true,
    write = false,
    experiment = false;
  let render: string | null = null,
    save = join(tmpdir(), 'gru-memory-study.json');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') [only, experiment] = [argv[++i].split(','), true];
    else if (a === '--models') [models, experiment] = [argv[++i].split(',') as ModelKind[], true];
    else if (a === '--no-scale') [scale, experiment] = [false, true];
    else if (a === '--scale-only') [trainRuns, experiment] = [false, true];
    else if (a === '--write') write = true;
    else if (a === '--render') [render, experiment] = [argv[++i], true];
    else if (a === '--save') save = argv[++i];
    else if (a === '--set') {
      const [k, v] = argv[++i].split('=');
      if (k in s) (s as Record<string, number>)[k] = Number(v);
      else taskOverrides[k] = Number(v);
      experiment = true;
    } else throw new GruError('INVALID_ARGUMENT', `memory study: unknown argument ${a}`);
  }
  for (const m of models) if (!MODELS.includes(m)) throw new GruError('INVALID_ARGUMENT', `memory study: --models takes ${MODELS.join(', ')}, got ${m}`);
  const tasks: TaskSpec[] = TASKS.filter((t) => !only || only.includes(t.id)).map((t) => ({ ...t, ...taskOverrides }));
  return { s, tasks: trainRuns ? tasks : [], models, scale, write: write || !experiment, render, save };
}

const f = (v: number, d: number) => v.toFixed(d);
const mb = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));

/** Everything a report is made from; saved after each run, so `--render FILE` can redo the text without retraining. */
interface StudyRecord {
  date: string;
  cpu: string;
  cores: number;
  backend: string;
  node: string;
  threads: string;
  minutes: number;
  idleMB: number;
  settings: Settings;
  tasks: TaskSpec[];
  models: ModelKind[];
  results: RunResult[];
  scaled: ScaleResult[];
}

/** Runs the study (or, with --render FILE, re-reads a saved one); prints Markdown and returns it. */
export function runMemoryStudy(argv: string[]): string {
  const { s, tasks, models, scale, write, render, save } = parseArgs(argv);
  let record: StudyRecord;
  if (render) {
    record = JSON.parse(readFileSync(render, 'utf8')) as StudyRecord;
  } else {
    const started = performance.now();
    const results: RunResult[] = [];
    for (const task of tasks) {
      for (const m of models) {
        process.stderr.write(`${task.id} · ${m}\n`);
        const r = child<RunResult>(['--child', task.id, m], { ...s, epochs: epochsOf(task, m), seconds: task.seconds, testSize: task.testSize });
        results.push(r);
        process.stderr.write(`  → ${JSON.stringify(r)}\n`);
      }
    }
    const scaled: ScaleResult[] = [];
    if (scale) {
      for (const T of SCALE_T) {
        for (const m of models) {
          process.stderr.write(`scale T=${T} · ${m}\n`);
          scaled.push(child<ScaleResult>(['--scale', m, String(T)], s));
          process.stderr.write(`  → ${JSON.stringify(scaled[scaled.length - 1])}\n`);
        }
      }
    }
    const idleMB = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', 'console.log(JSON.stringify(process.resourceUsage().maxRSS / 1024))'], { encoding: 'utf8' })) as number;
    record = {
      date: new Date().toISOString().slice(0, 10),
      cpu: cpus()[0]?.model ?? '',
      cores: cpus().length,
      backend: results[0]?.backend ?? backend().name,
      node: process.version,
      threads: process.env.GRU_TS_THREADS ?? '1',
      minutes: (performance.now() - started) / 60000,
      idleMB,
      settings: s,
      tasks,
      models,
      results,
      scaled,
    };
    writeFileSync(save, JSON.stringify(record, null, 1));
    process.stderr.write(`saved the runs to ${save} (node --import tsx scripts/memory-study.ts --render ${save} re-renders them)\n`);
  }
  const lines: string[] = [];
  report((line = '') => {
    console.log(line);
    lines.push(line);
  }, record);
  const md = lines.join('\n');
  if (write) writeSection(md);
  return md;
}

function report(say: (l?: string) => void, rec: StudyRecord): void {
  const { settings: s, tasks, results, scaled, idleMB } = rec;
  say(
    `${rec.date}, ${rec.cpu} (${rec.cores} cores, shared with other work), backend ${rec.backend}, one thread per run (GRU_TS_THREADS=${rec.threads}), Node ${rec.node}; the whole study took ${rec.minutes.toFixed(1)} minutes. Seeded: the metrics are the same on every run; times are upper bounds on a busy machine.`,
  );
  say();
  say(
    `Settings, the same for every model: hidden size ${s.hidden}, attention size ${s.attention}, one layer, a linear readout; Adam (lr ${s.lr}), gradient-norm clipping at ${s.clip}, batch ${s.batch}, model seed ${s.seed}; window ${s.window} (the last ${s.window} states), local-p half-width D = ${s.halfWidth} (2D + 1 = ${2 * s.halfWidth + 1} states); the seed-003 form is \`{ bias: false, ...SEED_003_FORM }\` = \`{ bias: false, resetContext: false, attendInitial: false, updateGate: 'candidate' }\`, global. An epoch is ${SYNTHETIC_EPOCH.toLocaleString('en')} fresh sequences on the synthetic tasks (every model sees the same ones) and one pass over the training images on digits. Every model trains the same number of epochs on the short tasks (T ≤ 100, digits); on the long ones (T = 400, 1000, delay 500) the epochs are sized so each model gets roughly the same training time here (about a minute when the machine is quiet; see the s / epoch column for what an epoch of each costs), so the global forms see fewer sequences — within the study's budget of about 35 minutes on 2 cores. Epoch counts, not clocks, decide, so the metrics repeat exactly (a ${Math.max(...tasks.map((t) => t.seconds))} s safety cap per run, marked ⏱ where it struck, would break that). Columns: the test metric; the training sequences seen (epochs); training seconds per epoch (without evaluation); "held" — the arrays one training batch's forward pass leaves alive for backward (process.memoryUsage().arrayBuffers, after forced GCs, before and after the forward pass of one training-sized batch: activations, gates, attention weights and caches kept for backward; weights and optimizer state not included); "peak" — the run's peak RSS (a process alone per run; an idle Node with tsx is ${f(idleMB, 0)} MB).`,
  );
  say();
  const byTask = (id: string) => results.filter((r) => r.task === id);
  const table = (task: TaskSpec, metricHead: string, cell: (r: RunResult) => string, baseline: string) => {
    say(`| model | ${metricHead} | sequences seen (epochs) | s / epoch | held MB | peak MB |`);
    say(`|---|---:|---:|---:|---:|---:|`);
    for (const r of byTask(task.id)) {
      const epochs = r.sequences / epochSize(task);
      say(`| ${modelLabel(r.model, s)} | ${cell(r)} | ${r.sequences.toLocaleString('en')} (${+epochs.toFixed(2)})${r.stoppedByTime ? ' ⏱' : ''} | ${f(r.trainSeconds / epochs, 1)} | ${mb(r.heldMB)} | ${f(r.peakMB, 0)} |`);
    }
    say(baseline);
    say();
  };
  const adding = tasks.filter((t) => t.family === 'adding');
  if (adding.length > 0) {
    say(`### Adding problem (Hochreiter & Schmidhuber 1997; the form of Le et al. 2015 and Arjovsky et al. 2016)`);
    say();
    say(
      `Two inputs per step: a value uniform in [0, 1) and a marker, 1 at one step in the first half and one in the second; the target, read from the last step, is the sum of the two marked values. Test MSE on fresh sequences; answering 1 (the mean) scores ${f(ADDING_BASELINE, 3)}. Arjovsky et al. use 0.167 as the baseline a model must beat; MSE below 0.01 counts as solved here (our threshold).`,
    );
    say();
    for (const t of adding) {
      say(`**T = ${t.T.toLocaleString('en')}** (${t.testSize.toLocaleString('en')} test sequences)`);
      say();
      table(t, 'test MSE (÷ 0.167)', (r) => `${f(r.metric, 4)} (${f(r.metric / ADDING_BASELINE, 2)})`, `| always 1 (baseline) | ${f(ADDING_BASELINE, 4)} (1.00) | | | | |`);
    }
  }
  const copy = tasks.filter((t) => t.family === 'copy');
  if (copy.length > 0) {
    say(`### Copy memory (Arjovsky, Shah & Bengio 2016, §4.1)`);
    say();
    say(
      `T + 20 symbols: 10 drawn from 1…8, T − 1 blanks, a delimiter, 10 blanks; the model must output blanks and then the 10 symbols, in order. Test cross-entropy per step (nats, mean over all T + 20 steps) against the memoryless strategy's 10·log 8 / (T + 20), and the share of the 10 symbols recalled right (chance 12.5%).`,
    );
    say();
    for (const t of copy) {
      say(`**Delay T = ${t.T}** (${t.T + 20} steps; ${t.testSize} test sequences)`);
      say();
      table(
        t,
        'cross-entropy (÷ baseline), symbols recalled',
        (r) => `${f(r.metric, 4)} (${f(r.metric / copyBaseline(t.T), 2)}), ${f(100 * (r.recall ?? 0), 1)}%`,
        `| memoryless (baseline) | ${f(copyBaseline(t.T), 4)} (1.00), 12.5% | | | | |`,
      );
    }
  }
  const digits = tasks.filter((t) => t.family === 'digits');
  if (digits.length > 0) {
    say(`### Sequential and permuted pixels — 8×8 digits, NOT MNIST`);
    say();
    say(
      `The offline registry ships no MNIST, so these runs use scikit-learn's 8×8 digits (load_digits: 1,797 images, the test part of UCI optdigits, Alpaydin & Kaynak 1998, CC BY 4.0; fixture test/fixtures/digits/digits.bin, made by make-digits.py beside it): one pixel (0…16, divided by 16) per step, 64 steps in row-major order, or in one fixed seeded permutation of the 64 positions; a stratified seeded split, 1,438 training and 359 test images; test accuracy after the last epoch. 64 steps is a short sequence: this shows the cells learn the pixel sequences, not memory over 784 steps.`,
    );
    say();
    for (const t of digits) {
      say(`**${t.permuted ? 'Permuted' : 'Sequential'} pixels**`);
      say();
      table(t, 'test accuracy', (r) => `${f(100 * r.metric, 1)}%`, `| chance (most frequent class) | 10.3% | | | | |`);
    }
    say(
      `For context only (a different, harder dataset: 28×28 images as 784 steps, 60,000 training images): published pixel-MNIST test accuracies, sequential / permuted — LSTM 98.2% / 88% and uRNN 95.1% / 91.4% (Arjovsky, Shah & Bengio 2016, §4.3); LSTM 98.9% / 90.2% (Cooijmans et al. 2017, recurrent batch normalization, Table 1); IndRNN 99.0% / 96.0% (Li et al. 2018, Table 2). None of these is comparable to an 8×8 result.`,
    );
    say();
  }
  if (scaled.length > 0) {
    const kinds = [...new Set(scaled.map((r) => r.model))];
    say(`### Memory as T grows: one forward + backward, B = ${SCALE_B}`);
    say();
    say(`An adding-problem sequence of length T, hidden ${s.hidden}, attention ${s.attention}, each in its own process after a warm-up at T = 200. "held": MB the forward pass leaves alive for backward (as above); ms: forward + backward.`);
    say();
    say(`| T | ${kinds.map((k) => `${modelLabel(k, s)}: ms, held MB`).join(' | ')} |`);
    say(`|---:|${kinds.map(() => '---:').join('|')}|`);
    for (const T of [...new Set(scaled.map((r) => r.T))]) {
      say(
        `| ${T.toLocaleString('en')} | ${kinds
          .map((k) => {
            const r = scaled.find((x) => x.model === k && x.T === T)!;
            return `${f(r.ms, 0)} ms, ${mb(r.heldMB)} MB`;
          })
          .join(' | ')} |`,
      );
    }
    say();
    const growth = kinds.map((k) => {
      const rs = scaled.filter((x) => x.model === k).sort((a, b) => a.T - b.T);
      const [a, b] = [rs[0], rs[rs.length - 1]];
      return `${modelLabel(k, s)} ×${f(b.heldMB / a.heldMB, 1)}`;
    });
    say(`Held memory from T = ${SCALE_T[0].toLocaleString('en')} to ${SCALE_T[SCALE_T.length - 1].toLocaleString('en')} (×${SCALE_T[SCALE_T.length - 1] / SCALE_T[0]} in T): ${growth.join(', ')}.`);
    say();
  }
}

const BEGIN = '<!-- memory-study:begin (written by scripts/memory-study.ts) -->';
const END = '<!-- memory-study:end -->';
const HEADING = '## Long-range memory (issue #20)';

/**
 * Replaces the generated part of QUALITY.md's long-range memory section (the
 * text between the markers), adding the section at the end when it is
 * missing. Text of the section outside the markers, and every other section,
 * stay as they are.
 */
function writeSection(md: string): void {
  const url = new URL('../QUALITY.md', import.meta.url);
  const doc = readFileSync(url, 'utf8');
  const block = `${BEGIN}\n${md.trim()}\n${END}`;
  let next: string;
  const [a, b] = [doc.indexOf(BEGIN), doc.indexOf(END)];
  if (a >= 0 && b > a) next = doc.slice(0, a) + block + doc.slice(b + END.length);
  else if (doc.includes(HEADING)) {
    const h = doc.indexOf(HEADING) + HEADING.length;
    next = `${doc.slice(0, h)}\n\n${block}\n${doc.slice(h)}`;
  } else next = `${doc.trimEnd()}\n\n${HEADING}\n\n\`npm run quality -- memory\` (scripts/memory-study.ts).\n\n${block}\n`;
  writeFileSync(url, next);
  console.error(`wrote ${fileURLToPath(url)}`);
}

// ---------------------------------------------------------------- entry

if (process.argv[1] && fileURLToPath(new URL(`file://${process.argv[1]}`)) === self) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const s = JSON.parse(argv[3]) as Settings & { epochs: number; seconds: number; testSize: number };
    const base = TASKS.find((t) => t.id === argv[1]);
    if (!base) throw new GruError('INVALID_ARGUMENT', `memory study: no task ${argv[1]}`);
    const task = { ...base, seconds: s.seconds, testSize: s.testSize };
    console.log(JSON.stringify(await runChild(task, argv[2] as ModelKind, s, s.epochs)));
  } else if (argv[0] === '--scale') {
    console.log(JSON.stringify(await scaleChild(argv[1] as ModelKind, Number(argv[2]), JSON.parse(argv[3]) as Settings)));
  } else {
    runMemoryStudy(argv);
  }
}
