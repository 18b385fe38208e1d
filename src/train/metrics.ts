/** Evaluation metrics for forecasts and classifiers. */

/** Mean absolute error. */
export function mae(pred: ArrayLike<number>, actual: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i] - actual[i]);
  return s / pred.length;
}

/** Root mean squared error. */
export function rmse(pred: ArrayLike<number>, actual: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i] - actual[i]) ** 2;
  return Math.sqrt(s / pred.length);
}

/** Symmetric MAPE in percent: mean of 200·|p − a| / (|p| + |a|) (0 where both are 0). */
export function smape(pred: ArrayLike<number>, actual: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = Math.abs(pred[i]) + Math.abs(actual[i]);
    if (d > 0) s += (200 * Math.abs(pred[i] - actual[i])) / d;
  }
  return s / pred.length;
}

/** The three forecast metrics together. */
export function forecastMetrics(pred: ArrayLike<number>, actual: ArrayLike<number>): { mae: number; rmse: number; smape: number } {
  return { mae: mae(pred, actual), rmse: rmse(pred, actual), smape: smape(pred, actual) };
}

/** confusion[actual][predicted] counts over classes 0…C−1. */
export function confusionMatrix(pred: ArrayLike<number>, actual: ArrayLike<number>, C: number): number[][] {
  const m = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < pred.length; i++) m[actual[i]][pred[i]]++;
  return m;
}

/** Accuracy and macro-averaged F1 (classes absent from both predictions and labels are skipped). */
export function classificationMetrics(pred: ArrayLike<number>, actual: ArrayLike<number>, C: number): { accuracy: number; macroF1: number; confusion: number[][] } {
  const confusion = confusionMatrix(pred, actual, C);
  let correct = 0;
  for (let c = 0; c < C; c++) correct += confusion[c][c];
  const f1s: number[] = [];
  for (let c = 0; c < C; c++) {
    const tp = confusion[c][c];
    const predicted = confusion.reduce((s, row) => s + row[c], 0);
    const actualN = confusion[c].reduce((s, v) => s + v, 0);
    if (predicted === 0 && actualN === 0) continue;
    f1s.push(tp === 0 ? 0 : (2 * tp) / (predicted + actualN));
  }
  return { accuracy: correct / pred.length, macroF1: f1s.reduce((a, b) => a + b, 0) / f1s.length, confusion };
}
