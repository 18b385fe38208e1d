/**
 * Central-difference gradient check in float64: for f(inputs) → any shape,
 * the scalar L = Σ w ⊙ f with fixed random w; compares each input's
 * backward gradient with (L(x + ε) − L(x − ε)) / 2ε element by element.
 */
import { Rng, Tensor, Var, backward, mul, sum, constant } from '../../src/index.js';

export interface GradCheckResult {
  maxError: number;
  where: string;
  checked: number;
}

export function gradCheck(f: (inputs: Var[]) => Var, inputs: Var[], opts: { eps?: number; seed?: number; maxPerInput?: number } = {}): GradCheckResult {
  const eps = opts.eps ?? 1e-6;
  const rng = new Rng(opts.seed ?? 1);
  for (const v of inputs) if (v.value.dtype !== 'float64') throw new Error(`gradCheck needs float64 inputs, '${v.name}' is ${v.value.dtype}`);
  const probe = f(inputs);
  const w = constant(
    Tensor.from(
      Array.from({ length: probe.value.size }, () => rng.range(-1, 1)),
      probe.shape,
      'float64',
    ),
  );
  const loss = (): number => {
    const out = f(inputs);
    let s = 0;
    for (let i = 0; i < out.data.length; i++) s += out.data[i] * w.data[i];
    return s;
  };
  for (const v of inputs) v.zeroGrad();
  backward(sum(mul(f(inputs), w)));

  let maxError = 0;
  let where = '';
  let checked = 0;
  inputs.forEach((v, k) => {
    const n = v.value.size;
    const limit = opts.maxPerInput ?? 64;
    const picks = n <= limit ? [...Array(n).keys()] : Array.from({ length: limit }, () => rng.int(n));
    for (const i of picks) {
      const old = v.data[i];
      v.data[i] = old + eps;
      const up = loss();
      v.data[i] = old - eps;
      const down = loss();
      v.data[i] = old;
      const numeric = (up - down) / (2 * eps);
      const analytic = v.grad ? v.grad.data[i] : 0;
      const err = Math.abs(numeric - analytic) / Math.max(1, Math.abs(numeric) + Math.abs(analytic));
      checked++;
      if (err > maxError) {
        maxError = err;
        where = `input ${k} '${v.name}' [${i}]: numeric ${numeric}, backward ${analytic}`;
      }
    }
  });
  return { maxError, where, checked };
}

/** A float64 leaf with gradient, filled uniformly in ±scale. */
export function leaf(rng: Rng, shape: number[], name: string, scale = 1): Var {
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = scale * rng.range(-1, 1);
  return new Var(t, true, name);
}
