// Training that fails safely and fits into a program: divergence stops
// training with a clear error and keeps the last good checkpoint (and the
// model file); resumption checks what it resumes and says what changed;
// fitAsync and trainInWorker keep the event loop running and stop on an
// AbortSignal; `gru train` bounds its options, checks its output files
// before reading data, and lets one run at a time write an output file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Adam, GRU, GruError, Linear, Module, Rng, SGD, Tensor, TrainingDivergedError, constant, fit, fitAsync, mseLoss, readSafetensors, sliceRows, type EpochRecord, type FitOptions, type TrainEvent } from '../src/index.js';
import { trainInWorker } from '../src/train/worker.js';
import { TASKS } from '../src/tasks/index.js';
import { loadTaskModel } from '../src/tasks/registry.js';
import { dailySeries } from './helpers/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'gru-reliability-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// ---- A tiny regression model for fit ----

class Tiny extends Module {
  readonly lin: Linear;
  constructor(out = 2) {
    super();
    this.lin = this.child('lin', new Linear({ inFeatures: 3, outFeatures: out, seed: 5 }));
  }
}

function regression(n: number, seed: number, spoil?: number) {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, k) => {
    const x = Tensor.zeros([8, 3]),
      y = Tensor.zeros([8, 2]);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    for (let i = 0; i < 8; i++) {
      y.data[2 * i] = x.data[3 * i] - 2 * x.data[3 * i + 2];
      y.data[2 * i + 1] = 0.5 * x.data[3 * i + 1];
    }
    if (spoil !== undefined && k === 0) x.data[0] = spoil;
    return { x, y };
  });
}
const train = regression(4, 2);
const val = regression(1, 3)[0];

type Batch = { x: Tensor; y: Tensor };
type SetupOptions = Partial<Omit<FitOptions<Batch>, 'optimizer' | 'model'>> & { lr?: number; optimizer?: 'adam' | 'sgd'; model?: Tiny; valBatch?: Batch };

function setup(o: SetupOptions = {}) {
  const model = o.model ?? new Tiny();
  const params = model.parameters();
  const events: TrainEvent[] = [];
  const vb = o.valBatch ?? val;
  const options: FitOptions<{ x: Tensor; y: Tensor }> = {
    model,
    optimizer: o.optimizer === 'sgd' ? new SGD(params, { lr: o.lr ?? 0.05 }) : new Adam(params, { lr: o.lr ?? 0.05 }),
    batches: train,
    loss: (b) => mseLoss(model.lin.forward(constant(b.x)), constant(b.y)),
    validate: () => ({ loss: mseLoss(model.lin.forward(constant(vb.x)), constant(vb.y)).data[0] }),
    epochs: 3,
    seed: 1,
    onEvent: (e) => events.push(e),
  };
  const { lr: _lr, optimizer: _optimizer, model: _model, valBatch: _valBatch, ...rest } = o;
  Object.assign(options, rest);
  return { model, options, events };
}

const diverges = (fn: () => unknown, code: string, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TrainingDivergedError, `a TrainingDivergedError, got ${String(e)}`);
    assert.ok(e instanceof GruError);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });

test('divergence: an exploding run stops at once, names the last good checkpoint and leaves it as it was', () => {
  const ckpt = join(dir, 'explode.ckpt.safetensors');
  // Two good epochs with a checkpoint.
  fit(setup({ epochs: 2, checkpointPath: ckpt, divergence: { reference: true } }).options);
  const good = readFileSync(ckpt);
  // Resumed with a learning rate of 1e6: applied (and said), then the weights explode in the next epoch.
  const { options, events } = setup({ lr: 1e6, epochs: 6, checkpointPath: ckpt, resume: true, modelPath: 'model.safetensors' });
  diverges(
    () => fit(options),
    'INVALID_ARGUMENT',
    /^training diverged at epoch 3: .*; the learning rate \(1000000\) is too high for this model and data, or the data hold extreme values\. model\.safetensors was not written; .*explode\.ckpt\.safetensors keeps epoch 2, the last good one/,
  );
  const resume = events.find((e) => e.type === 'resume');
  assert.deepEqual(resume, { type: 'resume', path: ckpt, found: true, epoch: 1, changes: ['learning rate 0.05 → 1000000'] });
  assert.deepEqual(events.at(-1), { type: 'stop', reason: 'diverged', bestEpoch: 1 });
  assert.equal(events.filter((e) => e.type === 'checkpoint').length, 0, 'no checkpoint of the diverged epoch');
  assert.deepEqual(readFileSync(ckpt), good, 'the last good checkpoint is untouched');
});

test("divergence: an exploding validation loss (1000× the untrained model's), a non-finite loss mid-run, huge weights", () => {
  // The validation loss against the untrained model's, validated once before training.
  let calls = 0;
  const exploding = setup({ divergence: { reference: true, factor: 1.5 }, lr: 5, optimizer: 'sgd' });
  const validate = exploding.options.validate!;
  exploding.options.validate = () => (calls++, validate());
  // lr 5 with plain SGD oscillates this regression upwards, past 1.5× its start.
  diverges(() => fit({ ...exploding.options, clipNorm: 0, epochs: 30 }), 'INVALID_ARGUMENT', /^training diverged at epoch \d+: the validation loss is [\d.e+]+, over 1\.5× the untrained model's [\d.e+-]+/);
  assert.ok(calls >= 2, 'the untrained model was validated first');
  // A loss that overflows mid-run (SGD, no clipping): the epoch and step are named.
  const nan = setup({ optimizer: 'sgd', lr: 1e19, clipNorm: 0 });
  diverges(() => fit({ ...nan.options, clipNorm: 0 }), 'INVALID_ARGUMENT', /^training diverged at epoch 1, step \d+: the (training loss|gradient norm) is (Infinity|NaN)/);
  // Weights past maxWeight (Adam moves each weight by about lr per step).
  const big = setup({ lr: 10, divergence: { maxWeight: 5 } });
  diverges(() => fit(big.options), 'INVALID_ARGUMENT', /^training diverged at epoch 1: a weight is [\d.]+ \(lin\.(weight|bias)\), past 5;/);
  // Off: the same run trains on.
  assert.equal(fit(setup({ lr: 10, divergence: false }).options).length, 3);
});

test("divergence: data the untrained model already fails on are the data's fault (INVALID_DATA), told apart from a bad learning rate", () => {
  // A training batch with 1e308: the very first loss (before any update) overflows.
  const first = setup({ batches: regression(4, 2, 1e308) });
  diverges(() => fit(first.options), 'INVALID_DATA', /^cannot train on these data: the training loss of the untrained model is already Infinity on the first batch; the data hold values the model cannot use/);
  // Validation data with 1e308: with the reference validation, before any training …
  const spoiled = regression(1, 3, 1e308)[0];
  let steps = 0;
  const withRef = setup({ valBatch: spoiled, divergence: { reference: true }, onEvent: (e) => void (e.type === 'step' && steps++) });
  diverges(() => fit(withRef.options), 'INVALID_DATA', /^cannot train on these data: the validation loss of the untrained model is already (Infinity|NaN)/);
  assert.equal(steps, 0, 'not one step was trained');
  // … and without it, after the first epoch, by validating the untrained weights again.
  const noRef = setup({ valBatch: spoiled });
  diverges(() => fit(noRef.options), 'INVALID_DATA', /^cannot train on these data: the validation loss is (Infinity|NaN) after epoch 1, and the validation loss of the untrained model is already (Infinity|NaN)/);
});

test('resume: a checkpoint of another model, other data or another monitor is refused, naming it and what differs', () => {
  const ckpt = join(dir, 'other.ckpt.safetensors');
  fit(setup({ epochs: 1, checkpointPath: ckpt, checkpointMetadata: () => ({ config: JSON.stringify({ hiddenSize: 8, layers: 1 }) }) }).options);
  const refused = (o: SetupOptions, pattern: RegExp) =>
    assert.throws(
      () => fit(setup({ epochs: 2, checkpointPath: ckpt, resume: true, ...o }).options),
      (e: unknown) => {
        assert.ok(e instanceof GruError && e.code === 'INVALID_ARGUMENT', String(e));
        assert.match(e.message, pattern);
        return true;
      },
    );
  const name = ckpt.replace(/[.\\]/g, (c) => `\\${c}`);
  refused(
    { checkpointMetadata: () => ({ config: JSON.stringify({ hiddenSize: 16, layers: 1 }) }) },
    new RegExp(`^cannot resume from ${name}: it was written for a different model or data: config\\.hiddenSize is 8 in the checkpoint and 16 now\\. Resume with the settings`),
  );
  // Without metadata, the tensors' shapes.
  refused({ model: new Tiny(4) }, new RegExp(`^cannot resume from ${name}: its weights do not fit this model .*'lin\\.weight' is \\[2, 3\\] there and \\[4, 3\\] here; 'lin\\.bias' is \\[2\\] there and \\[4\\] here`));
  refused({ monitor: { metric: 'accuracy', higherIsBetter: true }, validate: () => ({ loss: 1, metrics: { accuracy: 0.5 } }) }, /it selects epochs by the validation loss, this run by accuracy/);
  refused({ averageDecay: 0.9 }, /no weight average for 'lin\.weight'/);
  // Not a checkpoint at all.
  const plain = join(dir, 'plain.safetensors');
  writeFileSync(plain, readFileSync(ckpt).subarray(0, 0));
  assert.throws(() => fit(setup({ checkpointPath: plain, resume: true }).options), /plain\.safetensors/);
});

test('resume: no checkpoint yet is said; a changed seed or batch size is applied and said; the same settings continue exactly', () => {
  const ckpt = join(dir, 'same.ckpt.safetensors');
  const first = setup({ epochs: 2, checkpointPath: ckpt, resume: true });
  fit(first.options);
  assert.deepEqual(first.events[0], { type: 'resume', path: ckpt, found: false, epoch: -1, changes: [] });
  const whole = fit(setup({ epochs: 4 }).options);
  const same = setup({ epochs: 4, checkpointPath: ckpt, resume: true });
  const resumed = fit(same.options);
  assert.deepEqual(
    same.events.find((e) => e.type === 'resume'),
    { type: 'resume', path: ckpt, found: true, epoch: 1, changes: [] },
  );
  const losses = (h: EpochRecord[]) => h.map((r) => [r.epoch, r.trainLoss, r.valLoss, r.lr]);
  assert.deepEqual(losses(resumed), losses(whole));
  const changed = setup({ epochs: 5, seed: 9, batchSize: 16, checkpointPath: ckpt, resume: true });
  fit(changed.options);
  assert.deepEqual((changed.events.find((e) => e.type === 'resume') as { changes: string[] }).changes, ['seed 1 → 9', 'batch size default → 16']);
});

// ---- fitAsync ----

/** A GRU regression big enough to take a few hundred milliseconds. */
function gruSetup(ckpt?: string, epochs = 4) {
  class Net extends Module {
    readonly gru = this.child('gru', new GRU({ inputSize: 4, hiddenSize: 48, seed: 1 }));
    readonly head = this.child('head', new Linear({ inFeatures: 48, outFeatures: 1, seed: 2 }));
  }
  const net = new Net();
  const rng = new Rng(4);
  const batches = Array.from({ length: 8 }, () => {
    const x = Tensor.zeros([24, 16, 4]),
      y = Tensor.zeros([16, 1]);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    for (let b = 0; b < 16; b++) y.data[b] = x.data[b * 4] * 0.5;
    return { x, y };
  });
  const loss = (b: { x: Tensor; y: Tensor }) => mseLoss(net.head.forward(sliceRows(net.gru.forward(b.x).hN, 0, 1, [16, 48])), constant(b.y));
  const events: TrainEvent[] = [];
  const options: FitOptions<{ x: Tensor; y: Tensor }> = {
    model: net,
    optimizer: new Adam(net.parameters(), { lr: 0.01 }),
    batches,
    loss,
    validate: () => ({ loss: loss(batches[0]).data[0] }),
    epochs,
    seed: 2,
    checkpointPath: ckpt,
    onEvent: (e) => events.push(e),
  };
  return { options, events };
}

/** Runs `work` while a 2 ms interval ticks: how often it ticked and the longest gap between ticks. */
async function ticking<T>(work: () => Promise<T> | T): Promise<{ value: T; ticks: number; maxGapMs: number; ms: number }> {
  let ticks = 0,
    last = performance.now(),
    maxGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 2);
  const t0 = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - t0;
    maxGapMs = Math.max(maxGapMs, performance.now() - last);
    return { value, ticks, maxGapMs, ms };
  } finally {
    clearInterval(timer);
  }
}

test('fitAsync: the event loop keeps running while it trains (fit blocks it), with the same results', async () => {
  const blocking = await ticking(() => fit(gruSetup(undefined, 60).options));
  const async = await ticking(() => fitAsync(gruSetup(undefined, 60).options));
  assert.ok(blocking.ms > 200, `training takes long enough to tell (${blocking.ms.toFixed(0)} ms)`);
  assert.equal(blocking.ticks, 0, 'fit holds the thread: no tick');
  // It hands the thread back after every 10 ms of work (sliceMs), and a due timer runs each time.
  assert.ok(async.ticks >= Math.max(3, async.ms / 50), `ticks while fitAsync trains: ${async.ticks} in ${async.ms.toFixed(0)} ms`);
  // Relative to fit's own time, so a loaded machine (slower steps, late timers) moves both alike.
  assert.ok(async.maxGapMs < blocking.ms / 2, `longest wait for a timer: ${async.maxGapMs.toFixed(1)} ms (fit blocks for ${blocking.ms.toFixed(0)} ms)`);
  assert.deepEqual(
    async.value.map((r) => r.trainLoss),
    blocking.value.map((r) => r.trainLoss),
  );
});

test('fitAsync: an AbortSignal stops it at the next step; the checkpoint loads and resuming finishes as an uninterrupted run', async () => {
  const ckpt = join(dir, 'abort.ckpt.safetensors');
  const controller = new AbortController();
  const { options, events } = gruSetup(ckpt);
  let abortedAt = -1;
  options.onEvent = (e) => {
    events.push(e);
    if (e.type === 'step' && e.epoch === 1 && e.step === 3) {
      controller.abort();
      abortedAt = events.length;
    }
  };
  await assert.rejects(fitAsync({ ...options, signal: controller.signal }), (e: Error) => e.name === 'AbortError');
  assert.deepEqual(events.slice(abortedAt), [{ type: 'stop', reason: 'aborted', bestEpoch: 0 }], 'no step after the abort');
  const state = JSON.parse(readSafetensors(ckpt).metadata.checkpoint);
  assert.equal(state.epoch, 0, 'the checkpoint holds the last completed epoch');
  const resumed = gruSetup(ckpt);
  const history = fit({ ...resumed.options, resume: true });
  const whole = fit(gruSetup().options);
  assert.deepEqual(
    history.map((r) => r.trainLoss),
    whole.map((r) => r.trainLoss),
  );
  // Aborted before it starts: rejects at once.
  await assert.rejects(fitAsync({ ...gruSetup().options, signal: AbortSignal.abort() }), (e: Error) => e.name === 'AbortError');
});

// ---- trainInWorker ----

const toCsv = (t: { columns: string[]; rows: string[][] }) => [t.columns.join(','), ...t.rows.map((r) => r.join(','))].join('\n');
const series = join(dir, 'series.csv');
writeFileSync(series, toCsv(dailySeries(200)));
const forecastArgs = (out: string, epochs = 400) => [
  '--data',
  series,
  '--column',
  'value',
  '--lookback',
  '14',
  '--horizon',
  '3',
  '--test-size',
  '28',
  '--hidden',
  '16',
  '--epochs',
  String(epochs),
  '--patience',
  String(epochs),
  '--out',
  out,
];

test('trainInWorker: gru train runs in a worker thread; the event loop keeps ticking; abort stops it promptly and leaves a loadable checkpoint', async () => {
  const out = join(dir, 'worker.safetensors');
  const ckpt = join(dir, 'worker.ckpt.safetensors');
  const controller = new AbortController();
  const events: TrainEvent[] = [];
  let abortedAt = 0;
  const run = await ticking(async () => {
    try {
      await trainInWorker({
        task: 'forecast',
        args: forecastArgs(out),
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'checkpoint' && e.epoch === 2) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      });
      return 'completed';
    } catch (e) {
      return e as Error;
    }
  });
  const stoppedMs = performance.now() - abortedAt;
  assert.ok(run.value instanceof Error && run.value.name === 'AbortError', `rejected with an AbortError, got ${String(run.value)}`);
  assert.ok(stoppedMs < 1500, `stopped ${stoppedMs.toFixed(0)} ms after the abort`);
  assert.ok(run.ticks >= 20, `the main thread ticked ${run.ticks} times in ${run.ms.toFixed(0)} ms`);
  assert.ok(run.maxGapMs < 200, `longest wait for a timer: ${run.maxGapMs.toFixed(0)} ms`);
  assert.deepEqual(
    events.slice(0, 1).map((e) => e.type),
    ['start'],
  );
  assert.ok(events.some((e) => e.type === 'epoch'));
  // The checkpoint loads as a model and holds the completed epochs; no lock or temporary file is left; no model file was written.
  loadTaskModel(TASKS, ckpt);
  assert.ok(JSON.parse(readSafetensors(ckpt).metadata.checkpoint).epoch >= 2);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('worker.') && (f.endsWith('.lock') || f.includes('.tmp-'))),
    [],
  );
  assert.ok(!existsSync(out));
  // It resumes from there, to the end, in a worker too; --json's report comes back parsed.
  const resumed: TrainEvent[] = [];
  const r = await trainInWorker({ task: 'forecast', args: [...forecastArgs(out, 5), '--resume', '--json'], onEvent: (e) => resumed.push(e) });
  assert.equal((r.json as { task: string }).task, 'forecast');
  assert.ok(resumed.some((e) => e.type === 'resume' && e.found && e.epoch >= 2));
  loadTaskModel(TASKS, out);
});

test('trainInWorker: a rejected option or bad data rejects with the GruError the command line prints', async () => {
  await assert.rejects(
    trainInWorker({ task: 'forecast', args: [...forecastArgs(join(dir, 'w2.safetensors')), '--lr', '5'] }),
    (e: unknown) => e instanceof GruError && e.code === 'INVALID_ARGUMENT' && /--lr <rate>' argument '5' is invalid\. expected a learning rate above 0 and at most 1/.test(e.message),
  );
  await assert.rejects(
    trainInWorker({ task: 'forecast', args: ['--data', join(dir, 'missing.csv'), '--column', 'value', '--out', join(dir, 'w3.safetensors')] }),
    (e: unknown) => e instanceof GruError && e.code === 'INVALID_DATA' && /missing\.csv': there is no such file/.test(e.message),
  );
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('w2.') || f.startsWith('w3.')).length, 0, 'nothing written, no lock left');
});

// ---- gru train: options, outputs, locks ----

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
function gru(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const small = ['--column', 'value', '--lookback', '14', '--horizon', '3', '--test-size', '28', '--hidden', '8'];
function fails(r: { code: number | null; err: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0, 'exits non-zero');
  assert.match(r.err, pattern);
  assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
}

test('gru train: options outside sane ranges are refused by name', () => {
  fails(gru('train', 'forecast', '--data', series, ...small, '--lr', '1e6'), /option '--lr <rate>' argument '1e6' is invalid\. expected a learning rate above 0 and at most 1/);
  fails(gru('train', 'forecast', '--data', series, ...small, '--lr', 'NaN'), /argument 'NaN' is invalid/);
  fails(gru('train', 'forecast', '--data', series, ...small, '--hidden', '100000'), /^gru: --hidden: expected at most 4,096 \(larger models do not fit in memory\), got 100000$/m);
  fails(gru('train', 'classify', '--data', series, '--hidden', '100000'), /option '--hidden <n>' argument '100000' is invalid\. expected at most 4,096/);
  fails(gru('train', 'classify', '--data', series, '--vocab', '3'), /option '--vocab <n>' argument '3' is invalid\. expected an integer of at least 5 \(the vocabulary counts the 4 reserved tokens/);
  fails(gru('train', 'lm', '--data', series, '--layers', '40'), /option '--layers <n>' argument '40' is invalid\. expected at most 16/);
  fails(gru('train', 'forecast', '--data', series, ...small, '--epochs', '1e9'), /expected at most 100,000, got '1e9'/);
  fails(gru('train', 'forecast', '--data', series, ...small, '--seed', '5000000000'), /option '--seed <n>' argument '5000000000' is invalid\. expected at most 4,294,967,295/);
  fails(gru('train', 'seq2seq', '--data', series, '--beam', '1000'), /expected at most 64/);
});

test('gru train: --out and --checkpoint are checked before any data are read; the data file is never replaced', () => {
  const csvBefore = readFileSync(series);
  fails(gru('train', 'forecast', '--data', series, ...small, '--out', series), /--out .*series\.csv: this is the --data file; training would replace it\. Choose another --out \(such as .*series\.safetensors\)/);
  fails(gru('train', 'forecast', '--data', series, ...small, '--out', 'copy.safetensors', '--checkpoint', series), /--checkpoint .*series\.csv: this is the --data file/);
  assert.deepEqual(readFileSync(series), csvBefore);
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'my notes');
  fails(gru('train', 'forecast', '--data', series, ...small, '--out', notes), /the file exists and is not a model file \(safetensors\); refusing to replace it/);
  assert.equal(readFileSync(notes, 'utf8'), 'my notes');
  // A missing directory: refused at once (no epoch trained), naming it.
  const r = gru('train', 'forecast', '--data', series, ...small, '--out', join(dir, 'no', 'such', 'dir', 'm.safetensors'));
  fails(r, /--out .*m\.safetensors: the directory .*no\/such\/dir does not exist; create it first/);
  fails(gru('train', 'forecast', '--data', series, ...small, '--out', 'same.safetensors', '--checkpoint', 'same.safetensors'), /--checkpoint same\.safetensors is the --out file/);
  fails(gru('train', 'forecast', '--data', join(dir, 'absent.csv'), ...small), /^gru: cannot read data '.*absent\.csv': there is no such file/);
  fails(gru('train', 'forecast', '--data', dir, ...small), /it is a directory; expected a file/);
});

test('gru train: divergence exits non-zero and keeps the previous model file; bad data are named as such', () => {
  const out = join(dir, 'keep.safetensors');
  assert.equal(gru('train', 'forecast', '--data', series, ...small, '--epochs', '2', '--out', out).code, 0);
  const good = readFileSync(out);
  const rows = dailySeries(200);
  rows.rows[40][1] = '1e308';
  const spoiled = join(dir, 'spoiled.csv');
  writeFileSync(spoiled, toCsv(rows));
  const r = gru('train', 'forecast', '--data', spoiled, ...small, '--epochs', '2', '--out', out);
  assert.equal(r.code, 1);
  assert.match(r.err.trim().split('\n').pop()!, /^gru: cannot train on these data: .*untrained model is already (Infinity|NaN).*extreme or non-finite numbers, such as 1e308.*keep\.safetensors was not written/);
  assert.deepEqual(readFileSync(out), good, 'the previous model is kept');
});

test('gru train --resume: a changed --hidden is refused naming the checkpoint; a changed --lr is applied and said', () => {
  const out = join(dir, 'res.safetensors');
  assert.equal(gru('train', 'forecast', '--data', series, ...small, '--epochs', '2', '--out', out).code, 0);
  const r = gru('train', 'forecast', '--data', series, ...small, '--hidden', '16', '--epochs', '3', '--out', out, '--resume');
  fails(r, /^gru: cannot resume from .*res\.ckpt\.safetensors: it was written for a different model or data: config\.hiddenSize is 8 in the checkpoint and 16 now/);
  const lr = gru('train', 'forecast', '--data', series, ...small, '--lr', '0.001', '--epochs', '3', '--out', out, '--resume');
  assert.equal(lr.code, 0, lr.err);
  assert.match(lr.err, /^resuming from .*res\.ckpt\.safetensors after epoch 2; learning rate 0\.003 → 0\.001/m);
  assert.match(lr.err, /^epoch 3: .* lr 1\.00e-3/m);
  assert.doesNotMatch(lr.err, /^epoch [12]:/m);
});

test("gru train: one run per output file (a lock); a killed run's lock and temporary files are cleaned up", async () => {
  const out = join(dir, 'locked.safetensors');
  // A run that is writing (alive): a second run on the same --out is refused.
  const first = spawn(process.execPath, [cli, 'train', 'forecast', '--data', series, ...small, '--epochs', '400', '--patience', '400', '--out', out], { cwd: dir, stdio: 'ignore' });
  const t0 = Date.now();
  while (!existsSync(`${out}.lock`) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
  fails(
    gru('train', 'forecast', '--data', series, ...small, '--epochs', '1', '--out', out),
    new RegExp(`^gru: another training run \\(process ${first.pid}, started .*\\) is writing --out .*locked\\.safetensors; wait for it to finish or choose another output file`),
  );
  // Killed: its lock is stale; leftover temporaries of dead processes are removed, a live process's kept.
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  assert.ok(existsSync(`${out}.lock`), 'the killed run left its lock');
  const dead = first.pid!;
  const ckpt = join(dir, 'locked.ckpt.safetensors');
  const stale = [`${out}.tmp-${dead}-0123456789ab`, `${ckpt}.tmp-${dead}-ba9876543210`];
  const live = `${ckpt}.tmp-${process.pid}-aaaaaaaaaaaa`;
  for (const f of [...stale, live]) writeFileSync(f, 'partial');
  const r = gru('train', 'forecast', '--data', series, ...small, '--epochs', '1', '--out', out, '--resume');
  assert.equal(r.code, 0, r.err);
  for (const f of stale) assert.ok(!existsSync(f), `${f} removed`);
  assert.ok(existsSync(live), "a live process's temporary file is left alone");
  assert.ok(!existsSync(`${out}.lock`) && !existsSync(`${ckpt}.lock`), 'the locks are released at the end');
  // A lock held by a live process of this host, written by hand: refused with its holder.
  writeFileSync(`${out}.lock`, JSON.stringify({ pid: process.pid, thread: 0, host: hostname(), started: 'now', token: 'x' }));
  fails(gru('train', 'forecast', '--data', series, ...small, '--epochs', '1', '--out', out), new RegExp(`another training run \\(process ${process.pid}, started now\\) is writing`));
  rmSync(`${out}.lock`);
  rmSync(live);
});
