/** A lookup table of vectors, as PyTorch nn.Embedding (weights N(0, 1)). */
import { normalInit } from '../tensor/init.js';
import { Rng } from '../tensor/random.js';
import type { DType } from '../tensor/tensor.js';
import { embedding } from '../autograd/ops/embedding.js';
import type { Var } from '../autograd/var.js';
import { Module } from './module.js';

export interface EmbeddingOptions {
  numEmbeddings: number;
  embeddingDim: number;
  seed?: number;
  dtype?: DType;
}

export class Embedding extends Module {
  readonly weight: Var;

  constructor(o: EmbeddingOptions) {
    super();
    this.weight = this.param('weight', normalInit([o.numEmbeddings, o.embeddingDim], 1, new Rng(o.seed ?? 0), o.dtype));
  }

  /** ids of shape `shape` → (…shape, embeddingDim). */
  forward(ids: Int32Array | readonly number[], shape: readonly number[] = [ids.length]): Var {
    return embedding(this.weight, ids, shape);
  }
}
