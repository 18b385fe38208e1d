/**
 * What a practitioner runs before a recurrent text classifier, fitted on the
 * same training rows and scored on the same test rows: multinomial naive
 * Bayes over token counts (scikit-learn's CountVectorizer + MultinomialNB,
 * Laplace smoothing α = 1, class priors from the training rows) and the
 * majority class. The tokens are the model's own tokenizer's (its
 * vocabulary, fitted on the training rows), read from the whole text.
 */
import { UNK } from '../../data/tokenizer.js';
import { classificationMetrics } from '../../train/metrics.js';

export interface BaselineScore {
  accuracy: number;
  macroF1: number;
}

export const CLASSIFY_BASELINES = ['naiveBayes', 'majority'] as const;
export type ClassifyBaselineName = (typeof CLASSIFY_BASELINES)[number];
export const CLASSIFY_BASELINE_LABELS: Record<ClassifyBaselineName, string> = { naiveBayes: 'naive Bayes (token counts)', majority: 'majority class' };

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
  const counts = new Float64Array(C * V), totals = new Float64Array(C), docsPer = new Float64Array(C);
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
  const C = nb.logPrior.length, V = nb.vocab;
  let best = 0, bestScore = -Infinity;
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

/** Both baselines fitted on `trainIdx` and scored on `testIdx` (docs as token ids, labels as class ids). */
export function classifyBaselines(docs: readonly (readonly number[])[], labels: readonly number[], trainIdx: readonly number[], testIdx: readonly number[], C: number, V: number): Record<ClassifyBaselineName, BaselineScore> {
  const nb = fitNaiveBayes(trainIdx.map((i) => docs[i]), trainIdx.map((i) => labels[i]), C, V);
  const freq = new Array<number>(C).fill(0);
  for (const i of trainIdx) freq[labels[i]]++;
  const majority = freq.indexOf(Math.max(...freq));
  const actual = testIdx.map((i) => labels[i]);
  const score = (pred: number[]): BaselineScore => {
    const m = classificationMetrics(pred, actual, C);
    return { accuracy: m.accuracy, macroF1: m.macroF1 };
  };
  return {
    naiveBayes: score(testIdx.map((i) => naiveBayesPredict(nb, docs[i]))),
    majority: score(testIdx.map(() => majority)),
  };
}
