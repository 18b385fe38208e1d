/**
 * Training-time augmentation of speech clips, the recipes keyword-spotting
 * models are trained with:
 * - time shift (Warden 2018, the Speech Commands training script): the clip
 *   moves by up to ±`shift` seconds, zeros filling the gap;
 * - speed perturbation (Ko et al. 2015): the clip is resampled by one of the
 *   factors in `speeds` (theirs: 0.9, 1.0, 1.1), which changes tempo and
 *   pitch together (1.1 is 10% faster and 10% higher). A few fixed factors,
 *   not a continuum: each ratio of rates is a polyphase filter of its own,
 *   and 16,000 : 17,600 needs 11 phases where 16,000 : 17,123 would need 16,000;
 * - background noise (Speech Commands' `_background_noise_`): with
 *   probability `noiseProbability`, a random stretch of a random noise clip
 *   is added at a signal-to-noise ratio drawn uniformly in `snr` dB;
 * - SpecAugment (Park et al. 2019) on the features: `timeMasks` runs of up
 *   to `timeMaskFrames` frames and `freqMasks` runs of up to `freqMaskBands`
 *   features set to 0 (the training mean, after normalisation);
 * - vocal tract length perturbation (Jaitly & Hinton 2013) on log-mel
 *   frames ({@link warpBands}): the bands are read at a frequency scaled by
 *   a random factor, as a longer or shorter vocal tract moves the formants.
 * Every draw comes from the seeded generator passed in.
 */
import type { Rng } from '../tensor/random.js';
import { resample } from './audio/resample.js';

export interface AugmentOptions {
  /** Largest shift in seconds (default 0.1). */
  shift?: number;
  /** Speed factors drawn from (default [0.9, 1, 1.1]; [1]: none). */
  speeds?: readonly number[];
  /** Noise clips at 16 kHz (none: no noise is added). */
  noise?: readonly Float32Array[];
  /** Chance a clip gets noise (default 0.8). */
  noiseProbability?: number;
  /** SNR range in dB (default [0, 20]). */
  snr?: [number, number];
  timeMasks?: number;
  /** Longest time mask (default 10 frames, 100 ms). */
  timeMaskFrames?: number;
  freqMasks?: number;
  /** Widest frequency mask (default 8 of 40 bands). */
  freqMaskBands?: number;
}

const RATE = 16000;

/** A shifted, speed-perturbed, noisy copy of a 16 kHz clip (the same length as the clip). */
export function augmentClip(clip: Float32Array, rng: Rng, o: AugmentOptions = {}): Float32Array {
  const speeds = o.speeds ?? [0.9, 1, 1.1];
  const factor = speeds[rng.int(speeds.length)];
  // Played `factor` times faster: the samples read as if recorded at RATE · factor.
  const fast = factor === 1 ? clip : resample(clip, Math.round(RATE * factor), RATE);
  const out = new Float32Array(clip.length);
  const maxShift = Math.round((o.shift ?? 0.1) * RATE);
  // Centre the perturbed clip, then shift it by up to ±maxShift.
  const offset = Math.round((clip.length - fast.length) / 2) + Math.round((2 * rng.uniform() - 1) * maxShift);
  for (let i = 0; i < out.length; i++) {
    const j = i - offset;
    if (j >= 0 && j < fast.length) out[i] = fast[j];
  }
  const noise = o.noise ?? [];
  if (noise.length > 0 && rng.uniform() < (o.noiseProbability ?? 0.8)) {
    const [lo, hi] = o.snr ?? [0, 20];
    addNoise(out, noise[rng.int(noise.length)], lo + (hi - lo) * rng.uniform(), rng);
  }
  return out;
}

/** Adds a random stretch of `noise` (looped if shorter) to `x` in place at `snrDb` (signal power over noise power); silence gets the noise at the clip's RMS of 0.01. */
export function addNoise(x: Float32Array, noise: Float32Array, snrDb: number, rng: Rng): void {
  if (noise.length === 0) return;
  const start = rng.int(noise.length);
  let ps = 0,
    pn = 0;
  for (let i = 0; i < x.length; i++) {
    const n = noise[(start + i) % noise.length];
    ps += x[i] * x[i];
    pn += n * n;
  }
  if (pn === 0) return;
  const signal = ps > 0 ? ps : 1e-4 * x.length;
  const gain = Math.sqrt(signal / (pn * 10 ** (snrDb / 10)));
  for (let i = 0; i < x.length; i++) x[i] += gain * noise[(start + i) % noise.length];
}

/** SpecAugment in place on `frames` (numFrames × F, row-major). */
export function specAugment(frames: Float32Array, F: number, rng: Rng, o: AugmentOptions = {}): void {
  const T = frames.length / F;
  for (let m = 0; m < (o.timeMasks ?? 2); m++) {
    const w = rng.int((o.timeMaskFrames ?? 10) + 1),
      t0 = rng.int(Math.max(1, T - w + 1));
    frames.fill(0, t0 * F, Math.min(T, t0 + w) * F);
  }
  for (let m = 0; m < (o.freqMasks ?? 2); m++) {
    const w = rng.int(Math.min(F, o.freqMaskBands ?? 8) + 1),
      f0 = rng.int(Math.max(1, F - w + 1));
    for (let t = 0; t < T; t++) frames.fill(0, t * F + f0, t * F + Math.min(F, f0 + w));
  }
}

/**
 * Log-mel frames (numFrames × F, row-major) read at a warped frequency: band f of the result is the
 * value at band f·α, linear between bands, the top band beyond it. α > 1 moves the formants down (a
 * longer vocal tract), α < 1 up. Bands are equally spaced in mel, so this is VTLP on the mel scale.
 */
export function warpBands(frames: Float32Array, F: number, alpha: number): Float32Array {
  const out = new Float32Array(frames.length);
  for (let f = 0; f < F; f++) {
    const x = Math.min(F - 1, f * alpha),
      lo = Math.floor(x),
      w = x - lo,
      hi = Math.min(F - 1, lo + 1);
    for (let t = f; t < frames.length; t += F) out[t] = (1 - w) * frames[t - f + lo] + w * frames[t - f + hi];
  }
  return out;
}
