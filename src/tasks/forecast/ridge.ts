/**
 * Ridge regression with several outputs and an unpenalised intercept, for
 * the forecaster's linear highway:
 *
 *   min_{W, b} Σ_i ‖Y_i − W·X_i − b‖² + λ·n·‖W‖²
 *
 * Centring X and Y removes b; W solves (X̄ᵀX̄ + λ·n·I)·Wᵀ = X̄ᵀȲ by Cholesky
 * (the matrix is positive definite for λ > 0), and b = ȳ − W·x̄.
 * Dimension legend: n rows, p features, q outputs.
 */
import { GruError } from '../../errors.js';

/** A fitted ridge regression: predictions W·x + b. */
export interface RidgeFit {
  /** (q, p) row-major, as a Linear layer's weight. */
  weight: Float64Array;
  /** (q) */
  bias: Float64Array;
}

/** Fits ridge regressions of Y (n, q) on X (n, p), both row-major, for each penalty in `lambdas` (relative to n). */
export function ridge(X: ArrayLike<number>, Y: ArrayLike<number>, n: number, p: number, q: number, lambdas: readonly number[]): RidgeFit[] {
  const xMean = new Float64Array(p); // (p)
  const yMean = new Float64Array(q); // (q)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) xMean[j] += X[i * p + j] / n;
    for (let k = 0; k < q; k++) yMean[k] += Y[i * q + k] / n;
  }
  const gram = new Float64Array(p * p); // (p, p) X̄ᵀX̄
  const cross = new Float64Array(p * q); // (p, q) X̄ᵀȲ
  const xc = new Float64Array(p); // one centred row
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) xc[j] = X[i * p + j] - xMean[j];
    for (let j = 0; j < p; j++) {
      const a = xc[j];
      if (a === 0) continue;
      for (let l = j; l < p; l++) gram[j * p + l] += a * xc[l];
      for (let k = 0; k < q; k++) cross[j * q + k] += a * (Y[i * q + k] - yMean[k]);
    }
  }
  for (let j = 0; j < p; j++) for (let l = 0; l < j; l++) gram[j * p + l] = gram[l * p + j];
  return lambdas.map((lambda) => {
    const A = gram.slice();
    // At least a tiny penalty, so a constant feature (zero column) keeps A positive definite.
    for (let j = 0; j < p; j++) A[j * p + j] += Math.max(lambda * n, 1e-9 * n);
    const L = cholesky(A, p);
    const weight = new Float64Array(q * p);
    const col = new Float64Array(p);
    for (let k = 0; k < q; k++) {
      for (let j = 0; j < p; j++) col[j] = cross[j * q + k];
      choleskySolve(L, p, col);
      weight.set(col, k * p);
    }
    const bias = new Float64Array(q);
    for (let k = 0; k < q; k++) {
      let s = yMean[k];
      for (let j = 0; j < p; j++) s -= weight[k * p + j] * xMean[j];
      bias[k] = s;
    }
    return { weight, bias };
  });
}

/** Lower-triangular L with L·Lᵀ = A (p, p), row-major; A must be positive definite. */
function cholesky(A: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      if (i === j) {
        if (!(s > 0)) throw new GruError('INVALID_DATA', `ridge: the penalised Gram matrix is not positive definite (pivot ${s} at ${i})`);
        L[i * p + i] = Math.sqrt(s);
      } else L[i * p + j] = s / L[j * p + j];
    }
  }
  return L;
}

/** Solves L·Lᵀ·x = b in place. */
function choleskySolve(L: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * p + k] * b[k];
    b[i] = s / L[i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < p; k++) s -= L[k * p + i] * b[k];
    b[i] = s / L[i * p + i];
  }
}
