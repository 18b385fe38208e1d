/** y = x Wᵀ + b over the last axis, as PyTorch's nn.functional.linear. */
import { Tensor, allocateLike, shapeString } from '../../tensor/tensor.js';
import { backend } from '../../kernels/index.js';
import { Var, record, wants } from '../var.js';
import { GruError } from '../../errors.js';

/** x (…, I), weight (O, I), bias (O) or null → (…, O). */
export function linear(x: Var, weight: Var, bias: Var | null): Var {
  const [O, I] = weight.shape;
  const lead = x.shape.slice(0, -1);
  if (x.shape[x.shape.length - 1] !== I) {
    throw new GruError('INVALID_ARGUMENT', `linear: input's last dimension must be ${I} (weight ${shapeString(weight.shape)}), got input ${shapeString(x.shape)}`);
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== O)) {
    throw new GruError('INVALID_ARGUMENT', `linear: bias must have shape [${O}], got ${shapeString(bias.shape)}`);
  }
  const N = x.value.size / I;
  const k = backend();
  const out = new Var(new Tensor(allocateLike(x.data, N * O), [...lead, O]));
  k.gemm(false, true, N, O, I, 1, x.data, 0, I, weight.data, 0, I, 0, out.data, 0, O);
  if (bias) k.addBias(out.data, bias.data, N, O);
  record('linear', [x, weight, bias], [out], () => {
    const dy = out.grad?.data;
    if (!dy) return;
    // y = x Wᵀ + b  →  dx += dy W,  dW += dyᵀ x,  db += Σ_rows dy
    if (wants(x)) k.gemm(false, false, N, I, O, 1, dy, 0, O, weight.data, 0, I, 1, x.gradBuffer().data, 0, I);
    if (wants(weight)) k.gemm(true, false, O, I, N, 1, dy, 0, O, x.data, 0, I, 1, weight.gradBuffer().data, 0, I);
    if (wants(bias)) k.addBiasBackward(bias.gradBuffer().data, dy, N, O);
  });
  return out;
}
