/**
 * Band-limited sample-rate conversion (any integer rate to any other; the
 * speech front end uses it to bring audio to 16 kHz).
 *
 * The method: polyphase filtering with a Kaiser-windowed sinc, the ideal
 * interpolator cut off below the lower of the two Nyquist frequencies.
 * With g = gcd(from, to), L = to / g and M = from / g, output sample n sits at
 * input position x = n·M/L; it is Σ_k x[k]·h(x − k) with
 *
 *     h(t) = fc·sinc(fc·t)·kaiser(t / W, β),   fc = rolloff·min(1, to/from),   W = zeroCrossings / fc,
 *
 * t in input samples (zero outside |t| < W). x − k only takes the L fractional
 * offsets p/L, so the taps of each phase are computed once (a table of L
 * phases) and each phase's taps are scaled to sum to 1 (exact DC gain).
 * Samples before the start and after the end count as zeros; the output
 * holds ceil(N·to/from) samples, sample 0 aligned with input sample 0.
 *
 * Defaults: zeroCrossings 32, rolloff 0.92, β 8 (stopband ≈ −80 dB). At
 * 16 kHz out the passband is flat (within 0.1 dB) to about 6.8 kHz, the −6 dB
 * point is 7.36 kHz, and the stopband starts near 7.9 kHz, so what lies above
 * 8 kHz in the input does not fold back into the speech band.
 * @module
 */
import { GruError } from '../../errors.js';

/** Options of the windowed-sinc resampler (the defaults suit speech at 16 kHz). */
export interface ResampleOptions {
  /** Zero crossings of the sinc on each side of the centre, in units of the cutoff period: the filter's half-length. Default 32. */
  zeroCrossings?: number;
  /** Cutoff as a fraction of the lower Nyquist frequency (0 < rolloff ≤ 1). Default 0.92. */
  rolloff?: number;
  /** Kaiser window β: higher gives a deeper stopband and a wider transition. Default 8. */
  kaiserBeta?: number;
}

/** The rate the speech front end works at. */
export const SPEECH_SAMPLE_RATE = 16000;

/** Phases computed once and kept when the ratio has at most this many (beyond it, taps are computed per output sample). */
const MAX_TABLE_PHASES = 4096;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges for the β used here). */
function besselI0(x: number): number {
  let sum = 1,
    term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

interface Kernel {
  /** Output / input rate, reduced: L outputs for every M inputs. */
  L: number;
  M: number;
  /** Taps reach from input index i0 − K + 1 to i0 + K, where i0 = floor(n·M/L). */
  K: number;
  /** Taps of phase p (2K of them), computed on demand; cached in `table` when L is small. */
  taps(p: number): Float64Array;
}

function makeKernel(from: number, to: number, opts: ResampleOptions): Kernel {
  const Z = opts.zeroCrossings ?? 32;
  const rolloff = opts.rolloff ?? 0.92;
  const beta = opts.kaiserBeta ?? 8;
  if (!(Z >= 1 && Z <= 1024)) throw new GruError('INVALID_ARGUMENT', `resample: zeroCrossings must be in [1, 1024], got ${Z}`);
  if (!(rolloff > 0 && rolloff <= 1)) throw new GruError('INVALID_ARGUMENT', `resample: rolloff must be in (0, 1], got ${rolloff}`);
  if (!(beta >= 0 && beta <= 50)) throw new GruError('INVALID_ARGUMENT', `resample: kaiserBeta must be in [0, 50], got ${beta}`);
  const g = gcd(from, to);
  const L = to / g,
    M = from / g;
  const fc = rolloff * Math.min(1, to / from);
  const W = Z / fc;
  const K = Math.ceil(W) + 1;
  const i0beta = besselI0(beta);
  const compute = (p: number): Float64Array => {
    const taps = new Float64Array(2 * K);
    const frac = p / L;
    let sum = 0;
    // tap j applies to input index i0 − K + 1 + j, at distance t = frac + K − 1 − j
    for (let j = 0; j < 2 * K; j++) {
      const t = frac + K - 1 - j;
      const a = Math.abs(t);
      if (a >= W) continue;
      const x = Math.PI * fc * t;
      const sinc = x === 0 ? 1 : Math.sin(x) / x;
      const r = t / W;
      const w = besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
      taps[j] = fc * sinc * w;
      sum += taps[j];
    }
    for (let j = 0; j < taps.length; j++) taps[j] /= sum;
    return taps;
  };
  if (L <= MAX_TABLE_PHASES) {
    const table: Float64Array[] = [];
    for (let p = 0; p < L; p++) table.push(compute(p));
    return { L, M, K, taps: (p) => table[p] };
  }
  return { L, M, K, taps: compute };
}

const kernels = new Map<string, Kernel>();

function kernelFor(from: number, to: number, opts: ResampleOptions): Kernel {
  const key = `${from}/${to}/${opts.zeroCrossings ?? ''}/${opts.rolloff ?? ''}/${opts.kaiserBeta ?? ''}`;
  let k = kernels.get(key);
  if (!k) {
    k = makeKernel(from, to, opts);
    if (kernels.size >= 8) kernels.delete(kernels.keys().next().value!);
    kernels.set(key, k);
  }
  return k;
}

function checkRate(rate: number, what: string): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > 10_000_000) {
    throw new GruError('INVALID_ARGUMENT', `resample: ${what} must be a whole number of hertz in [1, 10000000], got ${rate}`);
  }
}

/**
 * A resampler fed in chunks: {@link ResampleStream.push} takes input samples
 * as they arrive and returns the output samples whose filter taps are all
 * known (the filter looks about zeroCrossings / rolloff output-rate periods
 * ahead); {@link ResampleStream.flush} ends the stream and returns the rest,
 * as if zeros followed. Concatenated, the outputs equal {@link resample} on
 * the concatenated input exactly (the same arithmetic in the same order).
 *
 * @example
 * ```ts
 * const rs = new ResampleStream(48000, 16000);
 * worklet.onmessage = (e) => features.push(rs.push(e.data)); // 128-sample blocks at 48 kHz
 * ```
 */
export class ResampleStream {
  /** Input rate in hertz. */
  readonly fromRate: number;
  /** Output rate in hertz. */
  readonly toRate: number;
  private readonly kernel: Kernel | null;
  /** Input samples kept: stream index `base` onwards. */
  private buf = new Float32Array(0);
  private base = 0;
  /** Input samples received so far. */
  private received = 0;
  /** Index of the next output sample. */
  private next = 0;
  private ended = false;

  constructor(fromRate: number, toRate: number = SPEECH_SAMPLE_RATE, opts: ResampleOptions = {}) {
    checkRate(fromRate, 'the input rate');
    checkRate(toRate, 'the output rate');
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.kernel = fromRate === toRate ? null : kernelFor(fromRate, toRate, opts);
  }

  /** Takes the next input samples; returns the output samples now complete (possibly none). */
  push(samples: Float32Array | readonly number[]): Float32Array {
    if (this.ended) throw new GruError('INVALID_ARGUMENT', 'ResampleStream.push after flush(): call reset() to start a new stream');
    if (!this.kernel) {
      this.received += samples.length;
      this.next += samples.length;
      return Float32Array.from(samples);
    }
    const kept = this.buf.length;
    const buf = new Float32Array(kept + samples.length);
    buf.set(this.buf);
    buf.set(samples, kept);
    this.buf = buf;
    this.received += samples.length;
    const { L, M, K } = this.kernel;
    // output n needs inputs up to floor(n·M/L) + K ≤ received − 1, that is n·M/L < received − K
    const last = Math.ceil(((this.received - K) * L) / M) - 1;
    return this.emit(last);
  }

  /** Ends the stream: returns the remaining output samples (the input is taken to continue with zeros). */
  flush(): Float32Array {
    if (this.ended) return new Float32Array(0);
    this.ended = true;
    if (!this.kernel) return new Float32Array(0);
    const total = Math.ceil((this.received * this.kernel.L) / this.kernel.M);
    return this.emit(total - 1);
  }

  /** Forgets all input: the next push starts a new stream. */
  reset(): void {
    this.buf = new Float32Array(0);
    this.base = 0;
    this.received = 0;
    this.next = 0;
    this.ended = false;
  }

  /** Computes outputs next…last (inclusive) from the kept input, then drops input no later output needs. */
  private emit(last: number): Float32Array {
    const { L, M, K } = this.kernel!;
    const count = Math.max(0, last - this.next + 1);
    const out = new Float32Array(count);
    const buf = this.buf,
      base = this.base,
      end = base + buf.length;
    for (let o = 0; o < count; o++) {
      const n = this.next + o;
      const nm = n * M;
      const i0 = Math.floor(nm / L);
      const taps = this.kernel!.taps(nm - i0 * L);
      const first = i0 - K + 1;
      const lo = Math.max(first, base),
        hi = Math.min(first + 2 * K, end);
      let acc = 0;
      for (let i = lo; i < hi; i++) acc += buf[i - base] * taps[i - first];
      out[o] = acc;
    }
    this.next += count;
    const keepFrom = Math.max(base, Math.floor((this.next * M) / L) - K + 1);
    if (keepFrom > base) {
      this.buf = buf.slice(keepFrom - base);
      this.base = keepFrom;
    }
    return out;
  }
}

/**
 * Resamples `samples` from `fromRate` to `toRate` hertz with a band-limited
 * windowed-sinc filter (see the module notes: Kaiser window, 32 zero
 * crossings, cutoff at 0.92 of the lower Nyquist frequency). Equal rates
 * return a copy. The output holds ceil(N·toRate/fromRate) samples.
 * @throws {GruError} `INVALID_ARGUMENT` for a rate that is not a positive whole number, or bad options.
 */
export function resample(samples: Float32Array | readonly number[], fromRate: number, toRate: number, opts: ResampleOptions = {}): Float32Array {
  const rs = new ResampleStream(fromRate, toRate, opts);
  const a = rs.push(samples);
  const b = rs.flush();
  if (b.length === 0) return a;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Resamples to 16 kHz, the rate of the speech features ({@link logMel},
 * {@link mfcc}); audio already at 16 kHz comes back as a copy.
 *
 * @example
 * ```ts
 * const { samples, sampleRate } = decodeWav(bytes, 'go.wav');
 * const audio16k = resampleTo16k(samples, sampleRate);
 * ```
 */
export function resampleTo16k(samples: Float32Array | readonly number[], sampleRate: number, opts: ResampleOptions = {}): Float32Array {
  return resample(samples, sampleRate, SPEECH_SAMPLE_RATE, opts);
}
