/** Pointwise activations through the backend's unary kernels. */
import { Tensor, allocateLike } from '../../tensor/tensor.js';
import { backend, type UnaryOp } from '../../kernels/index.js';
import { Var, record } from '../var.js';

function unary(op: UnaryOp, x: Var): Var {
  const out = new Var(new Tensor(allocateLike(x.data, x.value.size), x.shape));
  backend().unaryForward(op, out.data, x.data);
  record(op, [x], [out], () => {
    if (out.grad) backend().unaryBackward(op, x.gradBuffer().data, out.grad.data, out.data);
  });
  return out;
}

export const tanh = (x: Var): Var => unary('tanh', x);
export const sigmoid = (x: Var): Var => unary('sigmoid', x);
export const relu = (x: Var): Var => unary('relu', x);
