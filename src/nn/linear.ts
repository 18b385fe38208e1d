/** A fully connected layer, as PyTorch nn.Linear. */
import { uniformInit } from '../tensor/init.js';
import { Rng } from '../tensor/random.js';
import type { DType } from '../tensor/tensor.js';
import { linear } from '../autograd/ops/linear.js';
import type { Var } from '../autograd/var.js';
import { Module } from './module.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  seed?: number;
  dtype?: DType;
}

/** y = x Wᵀ + b; weights uniform ±1/√inFeatures (PyTorch's default). */
export class Linear extends Module {
  readonly weight: Var;
  readonly bias: Var | null;

  constructor(o: LinearOptions) {
    super();
    const rng = new Rng(o.seed ?? 0);
    const bound = 1 / Math.sqrt(o.inFeatures);
    this.weight = this.param('weight', uniformInit([o.outFeatures, o.inFeatures], bound, rng, o.dtype));
    this.bias = o.bias === false ? null : this.param('bias', uniformInit([o.outFeatures], bound, rng, o.dtype));
  }

  forward(x: Var): Var {
    return linear(x, this.weight, this.bias);
  }
}
