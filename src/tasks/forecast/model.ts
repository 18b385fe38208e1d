/**
 * Forecaster: a linear "highway" from the window's values (LSTNet; NLinear)
 * plus a GRU over the lookback window whose head combines the final state
 * with each forecast step's calendar. Both predict the correction to a
 * classical base forecast b_{t,k} (seasonal naive or Holt–Winters, chosen on
 * validation) in units of the series' typical seasonal change:
 *
 *   ŷ_{t+k} = b_{t,k} + scale · (highway(x̃)_k + head(h_T, cal_{t+k}))
 *
 * where x̃ are the window's values relative to its last season's mean, in
 * the same units. The highway is fitted by ridge regression before training
 * and the head's output layer starts at zero, so training starts from the
 * best linear forecast of the window and the GRU learns what it misses.
 */
import type { TrainingDataRecord } from '../training-data.js';
import type { HeldOutMetrics } from '../model-format.js';
import type { IntervalOffsets } from './intervals.js';
import { Tensor } from '../../tensor/tensor.js';
import { Var, constant, noGrad } from '../../autograd/var.js';
import { add, reshape } from '../../autograd/ops/basic.js';
import { tanh } from '../../autograd/ops/activations.js';
import { mseLoss } from '../../autograd/ops/losses.js';
import { sliceRows } from '../../autograd/ops/slice.js';
import { addBroadcast } from '../../autograd/ops/broadcast.js';
import { recurrentLayer, type CellConfig, type RecurrentLayer } from '../../nn/recurrent.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import type { Frequency } from './calendar.js';
import { featureSizes, type FillMethod, type ForecastBase, type ForecastBatch, type Normalization } from './series.js';

export interface ForecastConfig {
  lookback: number;
  horizon: number;
  season: number;
  frequency: Frequency;
  column: string;
  dateColumn: string | null;
  covariates: string[];
  /** Covariates (of `covariates`) whose values are known for the forecast steps too, read there as well (absent: none). */
  known?: string[];
  /** Rows held out at the end for testing (and as many before them for validation). */
  testSize: number;
  hiddenSize: number;
  numLayers: number;
  headSize: number;
  dropout: number;
  /** The linear path from the window's values (absent in files of older releases: no highway). */
  highway?: boolean;
  /** The classical forecast the model corrects (absent in files of older releases: seasonal naive). */
  base?: ForecastBase;
  /** How empty cells and missing dates were filled in training, and are filled in predictions. */
  fill?: FillMethod;
  /** Prediction intervals: offsets from the forecast per step, from validation errors (absent in files of older releases). */
  intervals?: IntervalOffsets;
  /** The recurrent cell (absent: the GRU). */
  cell?: CellConfig;
  /** A global model over many series: the column that names each row's series (absent: one series). */
  seriesColumn?: string;
}

/**
 * One series of a global model (trained on a long-format table of many):
 * its id, its own normalisation and its own classical base forecast, as
 * DeepAR scales each series by its own level.
 */
export interface SeriesMember {
  id: string;
  normalization: Normalization;
  base?: ForecastBase;
}

export class Forecaster extends Module {
  readonly gru: RecurrentLayer;
  readonly stateHead: Linear;
  readonly stepHead: Linear;
  readonly out: Linear;
  readonly highway: Linear | null;
  /** The training series and its split, recorded in the model file. */
  data?: TrainingDataRecord;
  /** The training run's held-out test scores, recorded in the model file (`gru info` shows them). */
  metrics?: HeldOutMetrics;
  /** A global model's series (`config.seriesColumn` set); `norm` and `config.base` are then unused. */
  members?: SeriesMember[];

  constructor(
    readonly config: ForecastConfig,
    readonly norm: Normalization,
    seed = 0,
  ) {
    super();
    const f = featureSizes(config, config.covariates.length);
    this.gru = this.child('gru', recurrentLayer(config.cell, { inputSize: f.input, hiddenSize: config.hiddenSize, numLayers: config.numLayers, dropout: config.dropout, batchFirst: true, seed }));
    this.stateHead = this.child('state_head', new Linear({ inFeatures: config.hiddenSize, outFeatures: config.headSize, seed: seed + 1 }));
    this.stepHead = this.child('step_head', new Linear({ inFeatures: f.step, outFeatures: config.headSize, seed: seed + 2 }));
    this.out = this.child('out', new Linear({ inFeatures: config.headSize, outFeatures: 1, seed: seed + 3 }));
    this.highway = config.highway ? this.child('highway', new Linear({ inFeatures: config.lookback, outFeatures: config.horizon, seed: seed + 4 })) : null;
    if (config.highway) {
      // The recurrent part starts silent: the forecast is the highway's until training finds better.
      this.out.weight.value.data.fill(0);
      this.out.bias!.value.data.fill(0);
    }
  }

  /** Normalised corrections (B, horizon). */
  forward(b: ForecastBatch): Var {
    const { lookback: L, horizon: K, hiddenSize: H, numLayers } = this.config;
    const f = featureSizes(this.config, this.config.covariates.length);
    const { hN } = this.gru.forward(new Tensor(b.x, [b.B, L, f.input]));
    const last = sliceRows(hN, numLayers - 1, 1, [b.B, H]);
    const steps = this.stepHead.forward(constant(new Tensor(b.steps, [b.B, K, f.step])));
    const hidden = tanh(addBroadcast(steps, this.stateHead.forward(last)));
    const recurrent = reshape(this.out.forward(hidden), [b.B, K]);
    return this.highway ? add(recurrent, this.highway.forward(constant(new Tensor(b.window, [b.B, L])))) : recurrent;
  }

  loss(b: ForecastBatch): Var {
    return mseLoss(this.forward(b), constant(new Tensor(b.target, [b.B, this.config.horizon])));
  }

  /** Forecasts in the series' units, (B · horizon) row-major. */
  predict(b: ForecastBatch): Float64Array {
    const wasTraining = this.training;
    this.eval();
    const out = noGrad(() => this.forward(b)).data;
    this.train(wasTraining);
    const y = new Float64Array(out.length);
    const K = this.config.horizon;
    for (let i = 0; i < y.length; i++) y[i] = b.baseline[i] + b.scale[Math.floor(i / K)] * out[i];
    return y;
  }

  /**
   * The prediction intervals around forecasts `point` (B · horizon), or null
   * for a model without them; `scale`: each window's series scale (B), the
   * normalisation's by default.
   */
  intervals(point: Float64Array, scale?: ArrayLike<number>): { lower: Float64Array; upper: Float64Array } | null {
    const q = this.config.intervals;
    if (!q) return null;
    const K = this.config.horizon;
    const sc = (i: number) => (scale ? scale[Math.floor(i / K)] : this.norm.scale);
    return {
      lower: point.map((v, i) => v + sc(i) * q.lower[i % K]),
      upper: point.map((v, i) => v + sc(i) * q.upper[i % K]),
    };
  }
}
