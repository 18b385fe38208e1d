/** Weight initialisers, drawing from a seeded {@link Rng}. */
import { Tensor, allocate, sizeOf, type DType } from './tensor.js';
import { Rng } from './random.js';

/** Uniform in [-bound, bound): PyTorch's default for nn.GRU (bound = 1/√hidden) and nn.Linear. */
export function uniformInit(shape: readonly number[], bound: number, rng: Rng, dtype: DType = 'float32'): Tensor {
  const data = allocate(sizeOf(shape), dtype);
  for (let i = 0; i < data.length; i++) data[i] = rng.range(-bound, bound);
  return new Tensor(data, shape);
}

/** Normal with the given standard deviation. */
export function normalInit(shape: readonly number[], std: number, rng: Rng, dtype: DType = 'float32'): Tensor {
  const data = allocate(sizeOf(shape), dtype);
  for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
  return new Tensor(data, shape);
}

/** Glorot/Xavier uniform for a [fanOut, fanIn] matrix. */
export function xavierUniform(shape: readonly [number, number], rng: Rng, dtype: DType = 'float32'): Tensor {
  const bound = Math.sqrt(6 / (shape[0] + shape[1]));
  return uniformInit(shape, bound, rng, dtype);
}
