/**
 * Per-feature normalisation of frame sequences: the training frames' mean
 * and standard deviation, and (x − mean) / std. Apart from frames.ts (which
 * reads JSONL through the CSV module) so that a browser stream loads it alone.
 */
/** Per-feature mean and standard deviation (population; 1 where a feature is constant) over the frames of `idx`. */
export interface FeatureNormalization {
  mean: number[];
  std: number[];
}

export function fitFeatureNormalization(d: { features: number; sequences: readonly Float32Array[] }, idx: readonly number[]): FeatureNormalization {
  const F = d.features;
  const sum = new Float64Array(F),
    sq = new Float64Array(F);
  let n = 0;
  for (const i of idx) {
    const s = d.sequences[i];
    for (let j = 0; j < s.length; j++) sum[j % F] += s[j];
    n += s.length / F;
  }
  const mean = Array.from(sum, (v) => v / n);
  for (const i of idx) {
    const s = d.sequences[i];
    for (let j = 0; j < s.length; j++) sq[j % F] += (s[j] - mean[j % F]) ** 2;
  }
  const std = Array.from(sq, (v) => (v > 0 ? Math.sqrt(v / n) : 1));
  return { mean, std };
}

/** (x − mean) / std, frame by frame (a new array). */
export function normalizeFrames(seq: Float32Array, norm: FeatureNormalization): Float32Array {
  const F = norm.mean.length;
  const out = new Float32Array(seq.length);
  for (let j = 0; j < seq.length; j++) out[j] = (seq[j] - norm.mean[j % F]) / norm.std[j % F];
  return out;
}
