// Optimizers against PyTorch's update rules worked in float64, schedules against known values, state round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, AdamW, CosineLR, RMSprop, ReduceOnPlateau, SGD, StepLR, Tensor, Var, clipGradNorm, type Optimizer } from '../src/index.js';

/** Runs 5 steps on w = [1, −2, 0.5] with gradients g_t = w − target·t (in float64); returns w. */
function drive(make: (p: Var[]) => Optimizer): number[] {
  const p = new Var(Tensor.from([1, -2, 0.5], [3], 'float64'), true, 'w');
  const opt = make([p]);
  for (let t = 1; t <= 5; t++) {
    p.grad = Tensor.from(
      p.value.toArray().map((w, i) => w - [0.3, 0.1, -0.2][i] * t),
      [3],
      'float64',
    );
    opt.step();
  }
  return p.value.toArray();
}

/** The same 5 steps with an update rule written out here (PyTorch documentation's pseudo-code). */
function reference(rule: (w: number, g: number, s: Record<string, number>, t: number) => number): number[] {
  return [1, -2, 0.5].map((w0, i) => {
    let w = w0;
    const s: Record<string, number> = {};
    for (let t = 1; t <= 5; t++) w = rule(w, w - [0.3, 0.1, -0.2][i] * t, s, t);
    return w;
  });
}

function close(a: number[], b: number[]): void {
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12, `${a} vs ${b}`));
}

test('SGD: plain, momentum, Nesterov, weight decay', () => {
  close(
    drive((p) => new SGD(p, { lr: 0.1 })),
    reference((w, g) => w - 0.1 * g),
  );
  close(
    drive((p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 })),
    reference((w, g, s) => {
      const d = g + 0.01 * w;
      s.b = s.b === undefined ? d : 0.9 * s.b + d;
      return w - 0.1 * s.b;
    }),
  );
  close(
    drive((p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })),
    reference((w, g, s) => {
      s.b = s.b === undefined ? g : 0.9 * s.b + g;
      return w - 0.1 * (g + 0.9 * s.b);
    }),
  );
});

test('Adam, Adam with L2, AdamW', () => {
  const adam = (wd: number, decoupled: boolean) => (w: number, g: number, s: Record<string, number>, t: number) => {
    const lr = 0.01;
    if (decoupled) w = w * (1 - lr * wd);
    else g = g + wd * w;
    s.m = 0.9 * (s.m ?? 0) + 0.1 * g;
    s.v = 0.999 * (s.v ?? 0) + 0.001 * g * g;
    return w - (lr * (s.m / (1 - 0.9 ** t))) / (Math.sqrt(s.v / (1 - 0.999 ** t)) + 1e-8);
  };
  close(
    drive((p) => new Adam(p, { lr: 0.01 })),
    reference(adam(0, false)),
  );
  close(
    drive((p) => new Adam(p, { lr: 0.01, weightDecay: 0.1 })),
    reference(adam(0.1, false)),
  );
  close(
    drive((p) => new AdamW(p, { lr: 0.01 })),
    reference(adam(0.01, true)),
  );
});

test('RMSprop with and without momentum', () => {
  const rule = (mu: number) => (w: number, g: number, s: Record<string, number>) => {
    s.v = 0.99 * (s.v ?? 0) + 0.01 * g * g;
    let d = g / (Math.sqrt(s.v) + 1e-8);
    if (mu) d = s.b = mu * (s.b ?? 0) + d;
    return w - 0.01 * d;
  };
  close(
    drive((p) => new RMSprop(p, { lr: 0.01 })),
    reference(rule(0)),
  );
  close(
    drive((p) => new RMSprop(p, { lr: 0.01, momentum: 0.5 })),
    reference(rule(0.5)),
  );
});

test('optimizer state round trip continues identically', () => {
  const p = new Var(Tensor.from([1, 2], [2], 'float64'), true);
  const q = new Var(Tensor.from([1, 2], [2], 'float64'), true);
  const a = new Adam([p], { lr: 0.1 }),
    b = new Adam([q], { lr: 0.1 });
  const g = () => Tensor.from([0.5, -1], [2], 'float64');
  p.grad = g();
  a.step();
  b.loadState(a.state());
  q.value.data.set(p.value.data);
  for (let i = 0; i < 3; i++) {
    p.grad = g();
    a.step();
    q.grad = g();
    b.step();
  }
  assert.deepEqual(q.value.toArray(), p.value.toArray());
  assert.throws(() => new Adam([new Var(Tensor.zeros([3]), true)]).loadState(a.state()), /does not fit/);
});

test('schedules: step, cosine, reduce on plateau', () => {
  const opt = new SGD([], { lr: 1 });
  const step = new StepLR(opt, 2, 0.5);
  const seen = [0, 1, 2, 3, 4].map((e) => (step.epochEnd(e), opt.lr));
  assert.deepEqual(seen, [1, 0.5, 0.5, 0.25, 0.25]);
  const opt2 = new SGD([], { lr: 1 });
  const cos = new CosineLR(opt2, 4, 0);
  const lrs = [0, 1, 2, 3].map((e) => (cos.epochEnd(e), opt2.lr));
  lrs.forEach((v, i) => assert.ok(Math.abs(v - 0.5 * (1 + Math.cos((Math.PI * (i + 1)) / 4))) < 1e-15));
  const opt3 = new SGD([], { lr: 1 });
  const plateau = new ReduceOnPlateau(opt3, 0.5, 1);
  for (const m of [1, 0.9, 0.95, 0.95, 0.95, 0.95]) plateau.epochEnd(0, m);
  assert.equal(opt3.lr, 0.25);
});

test('gradient clipping scales to the norm and rejects a non-finite norm', () => {
  const p = new Var(Tensor.from([0, 0], [2], 'float64'), true);
  p.grad = Tensor.from([3, 4], [2], 'float64');
  assert.equal(clipGradNorm([p], 1), 5);
  assert.ok(Math.abs(Math.hypot(...p.grad.toArray()) - 1) < 1e-6);
  p.grad = Tensor.from([NaN, 1], [2], 'float64');
  assert.throws(() => clipGradNorm([p], 1), /gradient norm is NaN/);
});
