/** Reference matrix product: the plain triple loop, readable first. */
import type { FloatArray } from '../../tensor/tensor.js';

export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: FloatArray,
  aOff: number,
  lda: number,
  B: FloatArray,
  bOff: number,
  ldb: number,
  beta: number,
  C: FloatArray,
  cOff: number,
  ldc: number,
): void {
  // Element (i, k) of op(A) is A[aOff + i·sAi + k·sAk]; likewise for B.
  const sAi = transA ? 1 : lda;
  const sAk = transA ? lda : 1;
  const sBk = transB ? 1 : ldb;
  const sBj = transB ? ldb : 1;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      let a = aOff + i * sAi;
      let b = bOff + j * sBj;
      for (let k = 0; k < K; k++, a += sAk, b += sBk) acc += A[a] * B[b];
      const c = cOff + i * ldc + j;
      C[c] = beta === 0 ? alpha * acc : alpha * acc + beta * C[c];
    }
  }
}
