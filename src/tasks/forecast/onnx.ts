/**
 * A forecaster as one ONNX graph (`gru export MODEL --onnx out.onnx`).
 *
 * Inputs, as {@link Forecaster.forward} takes them (built by `makeBatch` in
 * series.ts; the calendar features come from dates, which a graph cannot
 * compute, so the preprocessing stays outside and is documented here):
 * - `x` float32 (B, lookback, I): per window step, [0] the value minus the
 *   mean of the window's last `season` values, divided by `scale`; then the
 *   calendar features of its date (for a series with dates); then each
 *   covariate as (c − covariateMean) / covariateStd;
 * - `steps` float32 (B, horizon, S): per forecast step, the calendar
 *   features of its date, then the one-hot position k (S = calendar + horizon);
 * - `baseline` float64 (B, horizon): the base forecasts the model corrects
 *   (seasonal naive or Holt–Winters, as `config.base` says).
 *
 * Outputs:
 * - `correction` float32 (B, horizon): forward's normalised corrections;
 * - `forecast` float64 (B, horizon) = baseline + scale · correction, computed
 *   in float64 as `Forecaster.predict` does, so it equals `gru predict`;
 * - `lower`, `upper` float64 (B, horizon): the prediction interval's bounds,
 *   for models with intervals.
 *
 * - `scale` float64 (B), a global model of many series only: each window's
 *   series scale.
 *
 * Metadata: `config` and `normalization` (scale, covariate mean and std) as
 * JSON; a global model's `series` (each id, normalisation and base).
 */
import type { Forecaster } from './model.js';
import { featureSizes } from './series.js';
import { DOUBLE, FLOAT, OnnxGraphBuilder, plainGru } from '../../io/onnx-builder.js';

export function forecasterToOnnx(model: Forecaster): Uint8Array {
  const c = model.config;
  const gru = plainGru(model.gru, c.cell, 'this forecaster');
  const { lookback: L, horizon: K, hiddenSize: H } = c;
  const f = featureSizes(c, c.covariates.length);
  const g = new OnnxGraphBuilder();
  const x = g.input(
    'x',
    FLOAT,
    ['B', L, f.input],
    `window features (B, lookback ${L}, ${f.input}): [0] (value − mean of the window's last ${Math.max(1, c.season)} values) / scale; then the calendar features of the step's date; then (covariate − mean) / std per covariate`,
  );
  const steps = g.input(
    'steps',
    FLOAT,
    ['B', K, f.step],
    `forecast-step features (B, horizon ${K}, ${f.step}): calendar features of each forecast date, then the one-hot step position${c.known?.length ? `, then (covariate − mean) / std of the known covariates ${c.known.join(', ')}` : ''}`,
  );
  const baseline = g.input('baseline', DOUBLE, ['B', K], `the base forecasts (${c.base?.method ?? 'seasonalNaive'}) for the ${K} steps, in the series' units`);

  // GRU over the window (time-major), the last layer's final state (B, H).
  const xt = g.op('Transpose', [x], { perm: [1, 0, 2] });
  const { finals } = g.gru(gru, xt, 'gru');
  const last = g.op('Reshape', [finals[finals.length - 1], g.int64([-1, H])]);
  // hidden = tanh(stepHead(steps) + stateHead(last)) (B, K, head); out → (B, K).
  const state = g.op('Unsqueeze', [g.linear2d(last, model.stateHead, 'state_head'), g.int64([1])]);
  const hidden = g.op('Tanh', [g.op('Add', [g.linearNd(steps, model.stepHead, 'step_head'), state])]);
  let correction = g.op('Reshape', [g.linearNd(hidden, model.out, 'out'), g.int64([0, K])]);
  if (model.highway) {
    // The highway reads the window's values: x[:, :, 0].
    const window = g.op('Gather', [x, g.int64([0])], { axis: 2 });
    correction = g.op('Add', [correction, g.linear2d(g.op('Reshape', [window, g.int64([0, L])]), model.highway, 'highway')]);
  }
  g.output('correction', FLOAT, ['B', K], 'normalised corrections, as Forecaster.forward gives them', correction);
  // A global model's windows come from series of different scales: each window's is an input (B, 1).
  const scale = c.seriesColumn ? g.op('Unsqueeze', [g.input('scale', DOUBLE, ['B'], "each window's series scale (the model file's series[i].normalization.scale)"), g.int64([1])]) : g.double('scale', [model.norm.scale], []);
  const scaled = g.op('Mul', [g.op('Cast', [correction], { to: DOUBLE }), scale]);
  const forecast = g.output('forecast', DOUBLE, ['B', K], "forecasts in the series' units: baseline + scale · correction", g.op('Add', [baseline, scaled]));
  const q = c.intervals;
  if (q) {
    const level = Math.round(100 * q.level);
    const bound = (name: string, offsets: number[]) =>
      g.output(name, DOUBLE, ['B', K], `${level}% prediction interval, ${name} bound: forecast + scale · offset per step`, g.op('Add', [forecast, g.op('Mul', [g.double(`${name}_offsets`, offsets, [K]), scale])]));
    bound('lower', q.lower);
    bound('upper', q.upper);
  }
  return g.encode('gru-ts forecast', `gru-ts forecaster: ${L} steps of window features and ${K} steps of step features → ${K} forecasts (baseline + scale · correction)`, {
    'gru-ts.task': 'forecast',
    'gru-ts.config': JSON.stringify(c),
    'gru-ts.normalization': JSON.stringify(model.norm),
    ...(model.members ? { 'gru-ts.series': JSON.stringify(model.members) } : {}),
  });
}
