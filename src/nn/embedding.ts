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
  /**
   * Sparse gradients (PyTorch's `sparse=True`): backward touches only the rows
   * a batch used, and SGD / Adam update only those rows (Adam lazily: the
   * moments of unused rows wait). For large vocabularies. Default false.
   */
  sparse?: boolean;
  seed?: number;
  dtype?: DType;
}

export class Embedding extends Module {
  readonly weight: Var;
  readonly sparse: boolean;

  constructor(o: EmbeddingOptions) {
    super();
    this.sparse = o.sparse ?? false;
    this.weight = this.param('weight', normalInit([o.numEmbeddings, o.embeddingDim], 1, new Rng(o.seed ?? 0), o.dtype));
  }

  /** ids of shape `shape` → (…shape, embeddingDim). */
  forward(ids: Int32Array | readonly number[], shape: readonly number[] = [ids.length]): Var {
    return embedding(this.weight, ids, shape, this.sparse);
  }
}
