/**
 * Keras activation functions by their config names, computed in float64 on
 * float32 data as Keras does in float32 (results agree to float32 rounding).
 *
 * `hard_sigmoid` changed between Keras versions: Keras 3 computes
 * relu6(x + 3) / 6 (PyTorch's hardsigmoid), Keras 2 computed
 * clip(0.2·x + 0.5, 0, 1); a model runs with the form of the Keras that wrote it.
 *
 * @module
 */
import { GruError } from '../../errors.js';

/** An element-wise activation. */
export type Elementwise = (x: number) => number;

const sigmoid: Elementwise = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus: Elementwise = (x) => (x > 20 ? x : Math.log1p(Math.exp(x))); // PyTorch's threshold 20
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * erf(x) from the complementary error function of Numerical Recipes
 * (erfcc, a Chebyshev fit with relative error below 1.2e-7): float32-exact
 * enough for GELU.
 */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - erfc : erfc - 1;
}

/** Element-wise activations, Keras 3 names (and their aliases). */
const ELEMENTWISE: Record<string, Elementwise> = {
  linear: (x) => x,
  relu: (x) => (x > 0 ? x : 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  celu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  silu: (x) => x * sigmoid(x),
  swish: (x) => x * sigmoid(x),
  hard_silu: (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6,
  hard_swish: (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6,
  mish: (x) => x * Math.tanh(softplus(x)),
  tanh: Math.tanh,
  hard_tanh: (x) => Math.min(Math.max(x, -1), 1),
  sigmoid,
  log_sigmoid: (x) => -softplus(-x),
  hard_sigmoid: (x) => Math.min(Math.max(x + 3, 0), 6) / 6,
  exponential: Math.exp,
};

/** Keras 2's hard_sigmoid. */
const hardSigmoidKeras2: Elementwise = (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1);

/** Activations over the last axis. */
const ROWWISE = new Set(['softmax', 'log_softmax']);

/** Names of the supported activations, for messages and checks. */
export const ACTIVATION_NAMES: readonly string[] = [...Object.keys(ELEMENTWISE), ...ROWWISE];

/** Whether `name` is an element-wise activation (one a GRU may use). */
export const isElementwise = (name: string): boolean => name in ELEMENTWISE;

/** Whether `name` is a supported activation. */
export const isActivation = (name: string): boolean => name in ELEMENTWISE || ROWWISE.has(name);

/** The element-wise function of `name`; `kerasMajor` picks hard_sigmoid's form. */
export function elementwise(name: string, kerasMajor: number): Elementwise {
  if (name === 'hard_sigmoid' && kerasMajor < 3) return hardSigmoidKeras2;
  const f = ELEMENTWISE[name];
  if (!f) throw new GruError('UNSUPPORTED', `activation '${name}' is not element-wise or not supported`);
  return f;
}

/** Applies activation `name` in place to rows of length `cols` (softmax and log_softmax over each row). */
export function activateInPlace(data: Float32Array | Float64Array, cols: number, name: string, kerasMajor: number): void {
  if (name === 'linear') return;
  if (ROWWISE.has(name)) {
    for (let at = 0; at < data.length; at += cols) {
      let max = -Infinity;
      for (let j = 0; j < cols; j++) max = Math.max(max, data[at + j]);
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(data[at + j] - max);
      if (name === 'softmax') for (let j = 0; j < cols; j++) data[at + j] = Math.exp(data[at + j] - max) / sum;
      else for (let j = 0; j < cols; j++) data[at + j] = data[at + j] - max - Math.log(sum);
    }
    return;
  }
  const f = elementwise(name, kerasMajor);
  for (let i = 0; i < data.length; i++) data[i] = f(data[i]);
}
