// What fit validates and keeps. Weight averaging: the kept weights are the
// warmed-up moving average of the raw weights (recomputed here in float64),
// validation sees them, and a resumed run ends where an uninterrupted one
// does. Monitoring a metric: epochs are chosen by it (ties by the loss).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam, Linear, Module, Rng, Tensor, constant, fit, mseLoss, type Var } from '../src/index.js';

class Tiny extends Module {
  readonly lin = this.child('lin', new Linear({ inFeatures: 3, outFeatures: 2, seed: 5 }));
}

const rng = new Rng(2);
const batches = Array.from({ length: 4 }, () => {
  const x = Tensor.zeros([8, 3]),
    y = Tensor.zeros([8, 2]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
  for (let i = 0; i < 8; i++) {
    y.data[2 * i] = x.data[3 * i] - 2 * x.data[3 * i + 2];
    y.data[2 * i + 1] = 0.5 * x.data[3 * i + 1];
  }
  return { x, y };
});

function train(o: { epochs: number; decay: number; checkpointPath?: string; resume?: boolean; seen?: number[][]; raw?: number[][] }) {
  const model = new Tiny();
  const params = model.parameters();
  const flat = (ps: Var[]) => ps.flatMap((p) => Array.from(p.value.data));
  const history = fit({
    model,
    optimizer: new Adam(params, { lr: 0.05 }),
    batches,
    loss: (b) => mseLoss(model.lin.forward(constant(b.x)), constant(b.y)),
    // A validation loss that always improves: the last epoch's weights are kept.
    validate: () => {
      o.seen?.push(flat(params));
      return { loss: 1 / (2 + (o.seen?.length ?? 0)) };
    },
    epochs: o.epochs,
    seed: 1,
    averageDecay: o.decay,
    checkpointPath: o.checkpointPath,
    resume: o.resume,
    onEvent: (e) => {
      if (e.type === 'step') o.raw?.push(flat(params));
    },
  });
  return { model, history, weights: flat(params) };
}

test('the kept weights are the moving average of the raw weights (float64 recomputation), and validation sees them', () => {
  const decay = 0.9;
  const raw: number[][] = [],
    seen: number[][] = [];
  const r = train({ epochs: 3, decay, raw, seen });
  const init = new Tiny().parameters().flatMap((p) => Array.from(p.value.data));
  let avg = init.slice();
  const atEpochEnd: number[][] = [];
  raw.forEach((w, s) => {
    const t = s + 1;
    const d = Math.min(decay, t / (9 + t));
    avg = avg.map((a, i) => d * a + (1 - d) * w[i]);
    if (t % batches.length === 0) atEpochEnd.push(avg.slice());
  });
  const close = (a: number[], b: number[], what: string) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= 1e-6 * (1 + Math.abs(b[i])), `${what}[${i}]: ${x} vs ${b[i]}`));
  assert.equal(seen.length, 3);
  seen.forEach((w, e) => close(w, atEpochEnd[e], `validated weights, epoch ${e + 1}`));
  close(r.weights, avg, 'final weights');
  // The average differs from the last raw weights: it is not a copy.
  assert.ok(raw[raw.length - 1].some((x, i) => Math.abs(x - avg[i]) > 1e-4));
});

test('a resumed run with averaging ends where an uninterrupted one does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gru-avg-'));
  try {
    const whole = train({ epochs: 4, decay: 0.95 });
    const ckpt = join(dir, 'avg.ckpt.safetensors');
    train({ epochs: 2, decay: 0.95, checkpointPath: ckpt });
    const resumed = train({ epochs: 4, decay: 0.95, checkpointPath: ckpt, resume: true });
    assert.deepEqual(
      resumed.history.map((h) => h.trainLoss),
      whole.history.map((h) => h.trainLoss),
    );
    assert.deepEqual(resumed.weights, whole.weights);
    // A checkpoint written without averaging cannot resume an averaging run.
    const plain = join(dir, 'plain.ckpt.safetensors');
    const model = new Tiny();
    fit({ model, optimizer: new Adam(model.parameters()), batches, loss: (b) => mseLoss(model.lin.forward(constant(b.x)), constant(b.y)), epochs: 1, checkpointPath: plain });
    assert.throws(() => train({ epochs: 2, decay: 0.95, checkpointPath: plain, resume: true }), /no weight average for 'lin\.weight'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a decay outside (0, 1) is refused', () => {
  assert.throws(() => train({ epochs: 1, decay: 1 }), /averageDecay must be in \(0, 1\), got 1/);
});

test('monitor: the best epoch by a validation metric, ties broken by the loss; patience counts on it', () => {
  const run = (accuracy: number[], loss: number[], monitor?: { metric: string; higherIsBetter: boolean }, patience?: number) => {
    const model = new Tiny();
    let e = 0,
      best = -1,
      epochs = 0;
    fit({
      model,
      optimizer: new Adam(model.parameters()),
      batches,
      loss: (b) => mseLoss(model.lin.forward(constant(b.x)), constant(b.y)),
      validate: () => ({ loss: loss[e], metrics: { accuracy: accuracy[e++] } }),
      epochs: accuracy.length,
      monitor,
      patience,
      onEvent: (ev) => {
        if (ev.type === 'stop') best = ev.bestEpoch;
        if (ev.type === 'epoch') epochs++;
      },
    });
    return { best, epochs };
  };
  const acc = [0.5, 0.8, 0.8, 0.7],
    loss = [1, 0.5, 0.4, 0.3];
  assert.equal(run(acc, loss).best, 3);
  assert.equal(run(acc, loss, { metric: 'accuracy', higherIsBetter: true }).best, 2);
  assert.equal(run(acc, loss, { metric: 'accuracy', higherIsBetter: false }).best, 0);
  assert.deepEqual(run([0.5, 0.8, 0.7, 0.9], [1, 1, 1, 1], { metric: 'accuracy', higherIsBetter: true }, 1), { best: 1, epochs: 3 });
  assert.throws(() => run(acc, loss, { metric: 'f1', higherIsBetter: true }), /monitor 'f1' is not among the validation metrics \(accuracy\)/);
});
