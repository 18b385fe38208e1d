/** Attention pooling over a layer's outputs, for classification heads. */
import { uniformInit } from '../tensor/init.js';
import { Rng } from '../tensor/random.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { attentionPool } from '../autograd/ops/attention-pool.js';
import type { Var } from '../autograd/var.js';
import { Module } from './module.js';

export interface AttentionPoolOptions {
  inputSize: number;
  attentionSize?: number;
  seed?: number;
  dtype?: DType;
}

/**
 * score_t = vᵀ tanh(W h_t + b); α = softmax(score) over the valid steps
 * (honouring `lengths`); returns Σ α_t h_t and the weights α for inspection.
 */
export class AttentionPool extends Module {
  readonly weight: Var;
  readonly bias: Var;
  readonly v: Var;

  constructor(o: AttentionPoolOptions) {
    super();
    const A = o.attentionSize ?? o.inputSize;
    const rng = new Rng(o.seed ?? 0);
    this.weight = this.param('weight', uniformInit([A, o.inputSize], 1 / Math.sqrt(o.inputSize), rng, o.dtype));
    this.bias = this.param('bias', uniformInit([A], 1 / Math.sqrt(o.inputSize), rng, o.dtype));
    this.v = this.param('v', uniformInit([A], 1 / Math.sqrt(A), rng, o.dtype));
  }

  /** h (B, T, D) → pooled (B, D), weights (B, T). */
  forward(h: Var, lengths: Int32Array | null = null): { pooled: Var; weights: Tensor } {
    return attentionPool(h, this.weight, this.bias, this.v, lengths);
  }
}
