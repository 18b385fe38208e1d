/**
 * What a practitioner runs before a recurrent classifier, fitted on the same
 * training rows and scored on the same test rows.
 * - Texts: multinomial naive Bayes over token counts (scikit-learn's
 *   CountVectorizer + MultinomialNB, Laplace smoothing α = 1, class priors
 *   from the training rows); the tokens are the model's own tokenizer's (its
 *   vocabulary, fitted on the training rows), read from the whole text.
 * - Frames: multinomial logistic regression on each sequence's per-feature
 *   mean and standard deviation over time (the usual summary-statistics
 *   baseline for sensor and speech features; L2 1e-3, full-batch Adam).
 * - Both: the majority class of the training rows.
 */
import { UNK } from '../../data/tokenizer.js';
import { classificationMetrics } from '../../train/metrics.js';

export interface BaselineScore {
  accuracy: number;
  macroF1: number;
}

export type ClassifyBaselineName = 'naiveBayes' | 'pooledLogistic' | 'majority';
export const CLASSIFY_BASELINE_LABELS: Record<ClassifyBaselineName, string> = {
  naiveBayes: 'naive Bayes (token counts)',
  pooledLogistic: 'logistic regression (mean, std)',
  majority: 'majority class',
};

/** A fitted multinomial naive Bayes: log P(c) and log P(token | c), (C) and (C, V). */
export interface NaiveBayes {
  logPrior: Float64Array;
  logLikelihood: Float64Array;
  vocab: number;
}

/**
 * log P(c) = log(n_c / n); log P(w | c) = log((count(w, c) + α) / (Σ_w' count(w', c) + α V)).
 * Unknown tokens (UNK) and ids ≥ vocab are not counted, as CountVectorizer drops words outside its vocabulary.
 */
export function fitNaiveBayes(docs: readonly (readonly number[])[], labels: readonly number[], C: number, V: number, alpha = 1): NaiveBayes {
  const counts = new Float64Array(C * V),
    totals = new Float64Array(C),
    docsPer = new Float64Array(C);
  docs.forEach((d, i) => {
    const c = labels[i];
    docsPer[c]++;
    for (const w of d) {
      if (w === UNK || w < 0 || w >= V) continue;
      counts[c * V + w]++;
      totals[c]++;
    }
  });
  const logPrior = docsPer.map((n) => Math.log(n / docs.length));
  const logLikelihood = new Float64Array(C * V);
  for (let c = 0; c < C; c++) for (let w = 0; w < V; w++) logLikelihood[c * V + w] = Math.log((counts[c * V + w] + alpha) / (totals[c] + alpha * V));
  return { logPrior, logLikelihood, vocab: V };
}

/** The most probable class of a document (ties: the lower class index). */
export function naiveBayesPredict(nb: NaiveBayes, doc: readonly number[]): number {
  const C = nb.logPrior.length,
    V = nb.vocab;
  let best = 0,
    bestScore = -Infinity;
  for (let c = 0; c < C; c++) {
    let s = nb.logPrior[c];
    for (const w of doc) if (w !== UNK && w >= 0 && w < V) s += nb.logLikelihood[c * V + w];
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return best;
}

/** Scores of predictions on the test rows `testIdx`. */
function scorer(labels: readonly number[], testIdx: readonly number[], C: number): (pred: number[]) => BaselineScore {
  const actual = testIdx.map((i) => labels[i]);
  return (pred) => {
    const m = classificationMetrics(pred, actual, C);
    return { accuracy: m.accuracy, macroF1: m.macroF1 };
  };
}

/** The most frequent class of the training rows (ties: the lower class id). */
function majorityClass(labels: readonly number[], trainIdx: readonly number[], C: number): number {
  const freq = new Array<number>(C).fill(0);
  for (const i of trainIdx) freq[labels[i]]++;
  return freq.indexOf(Math.max(...freq));
}

/** The text baselines fitted on `trainIdx` and scored on `testIdx` (docs as token ids, labels as class ids). */
export function classifyBaselines(docs: readonly (readonly number[])[], labels: readonly number[], trainIdx: readonly number[], testIdx: readonly number[], C: number, V: number): Partial<Record<ClassifyBaselineName, BaselineScore>> {
  const nb = fitNaiveBayes(
    trainIdx.map((i) => docs[i]),
    trainIdx.map((i) => labels[i]),
    C,
    V,
  );
  const score = scorer(labels, testIdx, C),
    majority = majorityClass(labels, trainIdx, C);
  return {
    naiveBayes: score(testIdx.map((i) => naiveBayesPredict(nb, docs[i]))),
    majority: score(testIdx.map(() => majority)),
  };
}

/** Each sequence's per-feature mean and standard deviation over its frames (2F numbers). */
export function pooledStatistics(seq: Float32Array, F: number): Float64Array {
  const T = seq.length / F,
    out = new Float64Array(2 * F);
  for (let j = 0; j < seq.length; j++) out[j % F] += seq[j] / T;
  for (let j = 0; j < seq.length; j++) out[F + (j % F)] += (seq[j] - out[j % F]) ** 2 / T;
  for (let k = 0; k < F; k++) out[F + k] = Math.sqrt(out[F + k]);
  return out;
}

/** Multinomial logistic regression: weights (C, d) and biases (C). */
export interface SoftmaxRegression {
  weights: Float64Array;
  bias: Float64Array;
  dims: number;
}

/** Fits softmax regression by full-batch Adam on the mean cross-entropy plus l2/2 ‖W‖² (features standardised by the caller). */
export function fitSoftmaxRegression(X: readonly Float64Array[], y: readonly number[], C: number, o: { l2?: number; steps?: number; lr?: number } = {}): SoftmaxRegression {
  const d = X[0]?.length ?? 0,
    n = X.length,
    l2 = o.l2 ?? 1e-3,
    lr = o.lr ?? 0.05;
  const P = C * d + C,
    theta = new Float64Array(P),
    m = new Float64Array(P),
    v = new Float64Array(P),
    g = new Float64Array(P);
  const p = new Float64Array(C);
  for (let step = 1; step <= (o.steps ?? 300); step++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      softmaxScores(theta, X[i], C, d, p);
      p[y[i]] -= 1;
      for (let c = 0; c < C; c++) {
        for (let k = 0; k < d; k++) g[c * d + k] += (p[c] * X[i][k]) / n;
        g[C * d + c] += p[c] / n;
      }
    }
    for (let j = 0; j < C * d; j++) g[j] += l2 * theta[j];
    for (let j = 0; j < P; j++) {
      m[j] = 0.9 * m[j] + 0.1 * g[j];
      v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
      theta[j] -= (lr * (m[j] / (1 - 0.9 ** step))) / (Math.sqrt(v[j] / (1 - 0.999 ** step)) + 1e-8);
    }
  }
  return { weights: theta.slice(0, C * d), bias: theta.slice(C * d), dims: d };
}

/** Class probabilities of x into `out` (C); theta holds W (C, d) then b (C). */
function softmaxScores(theta: Float64Array, x: Float64Array, C: number, d: number, out: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < C; c++) {
    let s = theta[C * d + c];
    for (let k = 0; k < d; k++) s += theta[c * d + k] * x[k];
    out[c] = s;
    max = Math.max(max, s);
  }
  let z = 0;
  for (let c = 0; c < C; c++) z += out[c] = Math.exp(out[c] - max);
  for (let c = 0; c < C; c++) out[c] /= z;
}

export function softmaxRegressionPredict(r: SoftmaxRegression, x: Float64Array): number {
  const C = r.bias.length,
    p = new Float64Array(C);
  softmaxScores(Float64Array.from([...r.weights, ...r.bias]), x, C, r.dims, p);
  let best = 0;
  for (let c = 1; c < C; c++) if (p[c] > p[best]) best = c;
  return best;
}

/** The frames baselines fitted on `trainIdx` and scored on `testIdx` (sequences already normalised per feature). */
export function frameBaselines(seqs: readonly Float32Array[], F: number, labels: readonly number[], trainIdx: readonly number[], testIdx: readonly number[], C: number): Partial<Record<ClassifyBaselineName, BaselineScore>> {
  const pooled = seqs.map((s) => pooledStatistics(s, F));
  // Standardise the pooled statistics on the training rows (the means are near 0 already; the stds are not).
  const mu = new Float64Array(2 * F),
    sd = new Float64Array(2 * F);
  for (const i of trainIdx) for (let k = 0; k < 2 * F; k++) mu[k] += pooled[i][k] / trainIdx.length;
  for (const i of trainIdx) for (let k = 0; k < 2 * F; k++) sd[k] += (pooled[i][k] - mu[k]) ** 2 / trainIdx.length;
  const z = pooled.map((x) => x.map((v, k) => (v - mu[k]) / (Math.sqrt(sd[k]) || 1)));
  const r = fitSoftmaxRegression(
    trainIdx.map((i) => z[i]),
    trainIdx.map((i) => labels[i]),
    C,
  );
  const score = scorer(labels, testIdx, C),
    majority = majorityClass(labels, trainIdx, C);
  return {
    pooledLogistic: score(testIdx.map((i) => softmaxRegressionPredict(r, z[i]))),
    majority: score(testIdx.map(() => majority)),
  };
}
