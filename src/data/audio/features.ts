/**
 * Speech features: log-mel filterbank energies and MFCCs, offline
 * ({@link logMel}, {@link mfcc}) and streaming ({@link FeatureStream}), with
 * the FFT of the `fft.js` package.
 *
 * The parameters (defaults for 16 kHz audio):
 * - frames of `winLength` = 400 samples (25 ms) every `hopLength` = 160
 *   samples (10 ms); frame i covers samples [i·160, i·160 + 400). No padding
 *   at either end: N samples give 1 + floor((N − 400) / 160) frames (none
 *   when N < 400); trailing samples that do not fill a window are left out.
 * - each frame is multiplied by a periodic Hann window of `winLength`
 *   (0.5 − 0.5·cos(2πn/400)), zero-padded at its end to `nFft` = 512, and
 *   transformed; the power spectrum |X_k|², k = 0…256, goes through
 * - `numMels` = 40 triangular mel filters from `fMin` = 0 to `fMax` = 8000 Hz
 *   on the HTK mel scale (mel = 2595·log10(1 + f/700)), triangles of height 1
 *   (no area normalisation), as in HTK, Kaldi and torchaudio; or, with
 *   `melScale: 'slaney'`, librosa's default filters (Slaney's scale, linear
 *   below 1 kHz, and area-normalised triangles);
 * - the log: ln(max(energy, `logFloor`)), natural log, floor 1e-6.
 * - MFCCs: the orthonormal DCT-II of a frame's 40 log-mel values, the first
 *   `numCoeffs` = 13 coefficients (c0 included; no liftering).
 *
 * No pre-emphasis, dither or mean removal. These are librosa's
 * `melspectrogram(power=2, window='hann', center=False, htk=True, norm=None)`
 * on the same 400-sample windows and `mfcc(dct_type=2, norm='ortho')` of its
 * log; test/fixtures/audio/make-audio-fixtures.py computes the reference.
 *
 * Frames are laid out frame by frame: value j of frame i is `frames[i·numFeatures + j]`,
 * the `[time, feature]` order a GRU reads.
 * @module
 */
import FFT from 'fft.js';
import { GruError } from '../../errors.js';

/** Parameters of the filterbank front end; every one has a default for 16 kHz speech. */
export interface FeatureOptions {
  /** Rate of the samples in hertz. Default 16000 (resample first: {@link resampleTo16k}). */
  sampleRate?: number;
  /** Window length in samples. Default 400 (25 ms at 16 kHz). */
  winLength?: number;
  /** Hop between frame starts in samples. Default 160 (10 ms at 16 kHz). */
  hopLength?: number;
  /** FFT size, a power of two ≥ winLength. Default 512. */
  nFft?: number;
  /** Mel bands. Default 40. */
  numMels?: number;
  /** Lowest filter edge in hertz. Default 0. */
  fMin?: number;
  /** Highest filter edge in hertz, at most sampleRate / 2. Default sampleRate / 2 (8000 at 16 kHz). */
  fMax?: number;
  /** 'htk' (default): HTK mel scale, triangles of height 1. 'slaney': Slaney's scale with area-normalised triangles (librosa's default). */
  melScale?: 'htk' | 'slaney';
  /** Energies below this floor are raised to it before the natural log. Default 1e-6. */
  logFloor?: number;
}

/** Log-mel options plus the number of cepstral coefficients kept. */
export interface MfccOptions extends FeatureOptions {
  /** Coefficients kept, c0 first, at most numMels. Default 13. */
  numCoeffs?: number;
}

/** A sequence of feature vectors: `numFrames` × `numFeatures` values, frame by frame. */
export interface AudioFeatures {
  /** Value j of frame i at `frames[i * numFeatures + j]`. */
  frames: Float32Array;
  numFrames: number;
  /** Values per frame: mel bands for log-mel, coefficients for MFCCs. */
  numFeatures: number;
}

/** Options of a {@link FeatureStream}: which features, and their parameters. */
export interface FeatureStreamOptions extends MfccOptions {
  /** 'logmel' (default) or 'mfcc'. */
  kind?: 'logmel' | 'mfcc';
}

type FFTInstance = InstanceType<typeof FFT>;

function hzToMel(f: number, scale: 'htk' | 'slaney'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + f / 700);
  // Slaney (Auditory Toolbox): linear below 1 kHz, logarithmic above
  const fSp = 200 / 3,
    minLogHz = 1000,
    minLogMel = minLogHz / fSp,
    logstep = Math.log(6.4) / 27;
  return f >= minLogHz ? minLogMel + Math.log(f / minLogHz) / logstep : f / fSp;
}

function melToHz(m: number, scale: 'htk' | 'slaney'): number {
  if (scale === 'htk') return 700 * (10 ** (m / 2595) - 1);
  const fSp = 200 / 3,
    minLogHz = 1000,
    minLogMel = minLogHz / fSp,
    logstep = Math.log(6.4) / 27;
  return m >= minLogMel ? minLogHz * Math.exp(logstep * (m - minLogMel)) : fSp * m;
}

/** Resolved parameters and the tables built from them: window, filterbank, DCT, FFT. */
class FrontEnd {
  readonly sampleRate: number;
  readonly winLength: number;
  readonly hopLength: number;
  readonly nFft: number;
  readonly numMels: number;
  readonly numCoeffs: number;
  readonly logFloor: number;
  private readonly window: Float64Array;
  /** Band b's nonzero weights start at FFT bin melStart[b]. */
  private readonly melStart: Int32Array;
  private readonly melWeights: Float64Array[];
  /** numCoeffs × numMels, row-major. */
  private readonly dct: Float64Array;
  private readonly fft: FFTInstance;
  private readonly fftIn: Float64Array;
  private readonly fftOut: Float64Array;
  private readonly power: Float64Array;
  private readonly mel: Float64Array;

  constructor(opts: MfccOptions) {
    const bad = (what: string): never => {
      throw new GruError('INVALID_ARGUMENT', `audio features: ${what}`);
    };
    const sr = opts.sampleRate ?? 16000;
    if (!(Number.isFinite(sr) && sr > 0)) bad(`sampleRate must be a positive number of hertz, got ${sr}`);
    const int = (v: number | undefined, dflt: number, name: string, min: number): number => {
      const x = v ?? dflt;
      if (!Number.isInteger(x) || x < min) bad(`${name} must be a whole number ≥ ${min}, got ${x}`);
      return x;
    };
    const winLength = int(opts.winLength, Math.round(0.025 * sr), 'winLength', 1);
    const hopLength = int(opts.hopLength, Math.round(0.01 * sr), 'hopLength', 1);
    const nFft = int(opts.nFft, 512, 'nFft', 2);
    if ((nFft & (nFft - 1)) !== 0) bad(`nFft must be a power of two, got ${nFft}`);
    if (winLength > nFft) bad(`winLength (${winLength}) must not exceed nFft (${nFft})`);
    const numMels = int(opts.numMels, 40, 'numMels', 1);
    const numCoeffs = int(opts.numCoeffs, 13, 'numCoeffs', 1);
    if (numCoeffs > numMels) bad(`numCoeffs (${numCoeffs}) must not exceed numMels (${numMels})`);
    const fMin = opts.fMin ?? 0;
    const fMax = opts.fMax ?? sr / 2;
    if (!(fMin >= 0 && fMax > fMin && fMax <= sr / 2)) bad(`need 0 ≤ fMin < fMax ≤ sampleRate / 2 = ${sr / 2}, got fMin ${fMin}, fMax ${fMax}`);
    const scale = opts.melScale ?? 'htk';
    if (scale !== 'htk' && scale !== 'slaney') bad(`melScale must be 'htk' or 'slaney', got ${JSON.stringify(scale)}`);
    const logFloor = opts.logFloor ?? 1e-6;
    if (!(logFloor > 0 && Number.isFinite(logFloor))) bad(`logFloor must be a positive number, got ${logFloor}`);
    this.sampleRate = sr;
    this.winLength = winLength;
    this.hopLength = hopLength;
    this.nFft = nFft;
    this.numMels = numMels;
    this.numCoeffs = numCoeffs;
    this.logFloor = logFloor;

    // periodic Hann window
    this.window = new Float64Array(winLength);
    for (let n = 0; n < winLength; n++) this.window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / winLength);

    // mel filterbank, built as librosa.filters.mel builds it
    const nBins = nFft / 2 + 1;
    const lo = hzToMel(fMin, scale),
      hi = hzToMel(fMax, scale);
    const edges = new Float64Array(numMels + 2);
    for (let i = 0; i < numMels + 2; i++) edges[i] = melToHz(lo + ((hi - lo) * i) / (numMels + 1), scale);
    this.melStart = new Int32Array(numMels);
    this.melWeights = [];
    for (let b = 0; b < numMels; b++) {
      const f0 = edges[b],
        f1 = edges[b + 1],
        f2 = edges[b + 2];
      const norm = scale === 'slaney' ? 2 / (f2 - f0) : 1;
      const all = new Float64Array(nBins);
      let start = nBins,
        end = 0;
      for (let k = 0; k < nBins; k++) {
        const f = (k * sr) / nFft;
        all[k] = Math.max(0, Math.min((f - f0) / (f1 - f0), (f2 - f) / (f2 - f1))) * norm;
        if (all[k] > 0) {
          start = Math.min(start, k);
          end = k + 1;
        }
      }
      // a band too narrow to hold an FFT bin keeps no weights (its energy is 0, logged as the floor)
      this.melStart[b] = start < end ? start : 0;
      this.melWeights.push(start < end ? all.slice(start, end) : new Float64Array(0));
    }

    // orthonormal DCT-II, first numCoeffs rows
    this.dct = new Float64Array(numCoeffs * numMels);
    for (let k = 0; k < numCoeffs; k++) {
      const s = Math.sqrt((k === 0 ? 1 : 2) / numMels);
      for (let n = 0; n < numMels; n++) this.dct[k * numMels + n] = s * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * numMels));
    }

    this.fft = new FFT(nFft);
    this.fftIn = new Float64Array(nFft);
    this.fftOut = new Float64Array(2 * nFft);
    this.power = new Float64Array(nBins);
    this.mel = new Float64Array(numMels);
  }

  /** Frames that `n` samples hold. */
  frameCount(n: number): number {
    return n < this.winLength ? 0 : 1 + Math.floor((n - this.winLength) / this.hopLength);
  }

  /** The log-mel energies of the frame starting at x[offset], into this.mel. */
  private logMelAt(x: ArrayLike<number>, offset: number): Float64Array {
    const { winLength, window, fftIn, fftOut, power, mel } = this;
    for (let n = 0; n < winLength; n++) fftIn[n] = x[offset + n] * window[n];
    // fftIn[winLength…nFft) stays zero
    this.fft.realTransform(fftOut, fftIn);
    for (let k = 0; k < power.length; k++) {
      const re = fftOut[2 * k],
        im = fftOut[2 * k + 1];
      power[k] = re * re + im * im;
    }
    for (let b = 0; b < this.numMels; b++) {
      const w = this.melWeights[b],
        s = this.melStart[b];
      let e = 0;
      for (let j = 0; j < w.length; j++) e += w[j] * power[s + j];
      mel[b] = Math.log(Math.max(e, this.logFloor));
    }
    return mel;
  }

  /** Writes the features of the frame starting at x[offset] to out[at…]; returns the values written. */
  frame(x: ArrayLike<number>, offset: number, kind: 'logmel' | 'mfcc', out: Float32Array, at: number): number {
    const mel = this.logMelAt(x, offset);
    if (kind === 'logmel') {
      for (let b = 0; b < this.numMels; b++) out[at + b] = mel[b];
      return this.numMels;
    }
    const { numMels, numCoeffs, dct } = this;
    for (let k = 0; k < numCoeffs; k++) {
      let c = 0;
      for (let n = 0; n < numMels; n++) c += dct[k * numMels + n] * mel[n];
      out[at + k] = c;
    }
    return numCoeffs;
  }

  dim(kind: 'logmel' | 'mfcc'): number {
    return kind === 'logmel' ? this.numMels : this.numCoeffs;
  }

  /** Features of every whole frame of x. */
  all(x: ArrayLike<number>, kind: 'logmel' | 'mfcc'): AudioFeatures {
    const numFrames = this.frameCount(x.length);
    const numFeatures = this.dim(kind);
    const frames = new Float32Array(numFrames * numFeatures);
    for (let i = 0; i < numFrames; i++) this.frame(x, i * this.hopLength, kind, frames, i * numFeatures);
    return { frames, numFrames, numFeatures };
  }
}

let cached: { key: string; fe: FrontEnd } | null = null;

/** The front end for `opts`, reused while the options stay the same. */
function frontEnd(opts: MfccOptions): FrontEnd {
  const key = JSON.stringify([opts.sampleRate, opts.winLength, opts.hopLength, opts.nFft, opts.numMels, opts.fMin, opts.fMax, opts.melScale, opts.logFloor, opts.numCoeffs]);
  if (cached?.key !== key) cached = { key, fe: new FrontEnd(opts) };
  return cached.fe;
}

/**
 * Log-mel filterbank energies of `samples` (defaults: 16 kHz, 25 ms Hann
 * windows every 10 ms, 512-point FFT, 40 HTK mel bands over 0–8000 Hz,
 * ln(max(E, 1e-6)); see the module notes). Returns `numFrames` frames of
 * `numMels` values, frame by frame.
 * @throws {GruError} `INVALID_ARGUMENT` for bad options.
 *
 * @example
 * ```ts
 * const { frames, numFrames, numFeatures } = logMel(resampleTo16k(samples, sampleRate)); // numFeatures = 40
 * ```
 */
export function logMel(samples: Float32Array | readonly number[], opts: FeatureOptions = {}): AudioFeatures {
  return frontEnd(opts).all(samples, 'logmel');
}

/**
 * MFCCs of `samples`: the orthonormal DCT-II of each frame's log-mel energies
 * ({@link logMel}, same options), the first `numCoeffs` (13) coefficients.
 * @throws {GruError} `INVALID_ARGUMENT` for bad options.
 */
export function mfcc(samples: Float32Array | readonly number[], opts: MfccOptions = {}): AudioFeatures {
  return frontEnd(opts).all(samples, 'mfcc');
}

/**
 * Features of audio that arrives in pieces: {@link FeatureStream.push} takes
 * samples in chunks of any size (one sample, a 128-sample AudioWorklet block,
 * a whole file) and returns the frames completed by them. Over a stream the
 * frames are exactly those of {@link logMel} / {@link mfcc} on the
 * concatenated samples, in order: frame i still covers samples
 * [i·hop, i·hop + win) of the stream, and samples not yet in a whole window
 * wait for the next push.
 *
 * @example
 * ```ts
 * const fs = new FeatureStream({ kind: 'mfcc' });
 * for (const block of blocks) {
 *   const { frames, numFrames, firstFrame } = fs.push(block);
 *   // frame firstFrame + i starts at sample (firstFrame + i) * fs.hopLength
 * }
 * ```
 */
export class FeatureStream {
  /** 'logmel' or 'mfcc'. */
  readonly kind: 'logmel' | 'mfcc';
  /** Values per frame. */
  readonly numFeatures: number;
  /** Samples between frame starts. */
  readonly hopLength: number;
  /** Samples in a frame's window. */
  readonly winLength: number;
  private readonly fe: FrontEnd;
  /** Samples from the start of the next frame on. */
  private pending = new Float32Array(0);
  private emitted = 0;

  constructor(opts: FeatureStreamOptions = {}) {
    const kind = opts.kind ?? 'logmel';
    if (kind !== 'logmel' && kind !== 'mfcc') throw new GruError('INVALID_ARGUMENT', `FeatureStream: kind must be 'logmel' or 'mfcc', got ${JSON.stringify(kind)}`);
    this.kind = kind;
    this.fe = new FrontEnd(opts);
    this.numFeatures = this.fe.dim(kind);
    this.hopLength = this.fe.hopLength;
    this.winLength = this.fe.winLength;
  }

  /** Frames emitted so far (the index the next frame will have). */
  get framesEmitted(): number {
    return this.emitted;
  }

  /** Takes the next samples; returns the frames they complete (possibly none) and the index of the first. */
  push(samples: Float32Array | readonly number[]): AudioFeatures & { firstFrame: number } {
    const buf = new Float32Array(this.pending.length + samples.length);
    buf.set(this.pending);
    buf.set(samples, this.pending.length);
    const out = this.fe.all(buf, this.kind);
    const firstFrame = this.emitted;
    this.emitted += out.numFrames;
    this.pending = buf.slice(Math.min(buf.length, out.numFrames * this.hopLength));
    return { ...out, firstFrame };
  }

  /** Forgets the samples held: the next push starts a new stream at frame 0. */
  reset(): void {
    this.pending = new Float32Array(0);
    this.emitted = 0;
  }
}
