/**
 * Keyword spotting on a stream of audio with an audio classifier: samples go
 * in as they arrive (any chunk size, 16 kHz), feature frames come out of a
 * {@link FeatureStream} every 10 ms, and each frame advances the GRU by one
 * step (the one-step kernel path; no recomputation).
 *
 * A classifier is trained on clips of W frames (1 s in Speech Commands)
 * starting from a zero state, so the stream runs several staggered states: a
 * new one starts every `stride` frames, each lives W frames, and when it has
 * read its W frames its class probabilities are exactly the offline model's
 * on that window (window k covers frames k·stride … k·stride + W − 1). All
 * live states advance together, as one batch, in one GRU call per frame.
 * Detections come from the windows' probabilities averaged over the last
 * `smooth` windows (posterior smoothing, Chen et al. 2014: a window that
 * straddles two words is confident alone but not three in a row): when the
 * best averaged label is not a background label (`_silence_`, `_unknown_`,
 * `silence`, `unknown` or those given) and reaches `threshold`, it is a
 * detection; detections of the same label closer than `refractory` seconds
 * (default: one window) are merged into the first.
 */
import { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/var.js';
import { sliceRows } from '../../autograd/ops/slice.js';
import { GRU } from '../../nn/gru.js';
import { FeatureStream } from '../../data/audio/features.js';
import { normalizeFrames } from '../../data/feature-normalization.js';
import type { TrainedClassifier } from './task.js';
import { GruError } from '../../errors.js';

export interface Detection {
  label: string;
  probability: number;
  /** Start and end of the window, in seconds from the stream's start. */
  start: number;
  end: number;
}

export interface StreamOptions {
  /** Frames per window (default: the model's longest training clip, else 98: 1 s of 10 ms hops with 25 ms windows). */
  windowFrames?: number;
  /** Frames between window starts (default 10: a decision every 100 ms). */
  stride?: number;
  /** Smallest probability of a detection (default 0.8). */
  threshold?: number;
  /** Seconds within which a repeated label is the same detection (default: the window's length, ~1 s). */
  refractory?: number;
  /** Windows whose probabilities are averaged before deciding (default 3: 300 ms at the default stride). */
  smooth?: number;
  /** Labels that are never detections (default: _silence_, _unknown_, silence, unknown, _background_noise_). */
  background?: string[];
}

/** One window's result: its probabilities, when it closed. */
export interface WindowResult {
  /** Index k: the window of frames k·stride … k·stride + W − 1. */
  index: number;
  probabilities: Float32Array;
}

const BACKGROUND = ['_silence_', '_unknown_', 'silence', 'unknown', '_background_noise_'];

export class KeywordStream {
  readonly windowFrames: number;
  readonly stride: number;
  private readonly features: FeatureStream;
  private readonly gru: GRU;
  private readonly H: number;
  private readonly L: number;
  /** Live windows: their index and their state (L, 1, H) rows; at most ⌈W / stride⌉. */
  private live: { index: number; steps: number; h: Float32Array }[] = [];
  private frame = 0;
  private last: Detection | null = null;
  /** The last `smooth` windows' probabilities, oldest first. */
  private recent: Float32Array[] = [];
  private readonly smooth: number;
  private readonly threshold: number;
  private readonly refractory: number;
  private readonly background: Set<string>;
  /** Seconds of audio per frame hop. */
  private readonly hopSeconds: number;
  private readonly winSeconds: number;

  constructor(
    readonly classifier: TrainedClassifier,
    o: StreamOptions = {},
  ) {
    const cfg = classifier.model.config;
    if (!cfg.audio || !cfg.frames) throw new GruError('INVALID_ARGUMENT', 'KeywordStream: the classifier was not trained on audio');
    if (cfg.bidirectional) throw new GruError('UNSUPPORTED', 'KeywordStream: a bidirectional classifier reads each window backwards too, so it cannot run frame by frame; train with --unidirectional (the default for audio)');
    if (cfg.pooling === 'attention') throw new GruError('UNSUPPORTED', 'KeywordStream: attention pooling reads the whole window at its end; stream a classifier trained with --pooling last');
    if (!(classifier.model.gru instanceof GRU)) throw new GruError('UNSUPPORTED', `KeywordStream: the ${cfg.cell?.kind} cell attends to its window's states; stream a GRU classifier (--cell gru)`);
    this.windowFrames = o.windowFrames ?? cfg.audio.windowFrames ?? 98;
    this.stride = o.stride ?? 10;
    for (const [name, v] of [
      ['windowFrames', this.windowFrames],
      ['stride', this.stride],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new GruError('INVALID_ARGUMENT', `KeywordStream: ${name} must be a positive integer, got ${v}`);
    }
    this.threshold = o.threshold ?? 0.8;
    this.smooth = o.smooth ?? 3;
    if (!Number.isInteger(this.smooth) || this.smooth <= 0) throw new GruError('INVALID_ARGUMENT', `KeywordStream: smooth must be a positive integer, got ${o.smooth}`);
    this.background = new Set(o.background ?? BACKGROUND);
    this.features = new FeatureStream({ kind: cfg.audio.kind, numMels: cfg.audio.numMels, ...(cfg.audio.numCoeffs ? { numCoeffs: cfg.audio.numCoeffs } : {}), ...(cfg.audio.logFloor !== undefined ? { logFloor: cfg.audio.logFloor } : {}) });
    this.gru = classifier.model.gru;
    this.H = cfg.hiddenSize;
    this.L = cfg.numLayers;
    this.hopSeconds = this.features.hopLength / 16000;
    this.winSeconds = this.features.winLength / 16000;
    this.refractory = o.refractory ?? (this.windowFrames - 1) * this.hopSeconds + this.winSeconds;
  }

  /** Takes the next 16 kHz samples; returns the windows that closed and the detections they made. */
  push(samples: Float32Array): { windows: WindowResult[]; detections: Detection[] } {
    const f = this.features.push(samples);
    const windows: WindowResult[] = [],
      detections: Detection[] = [];
    const F = f.numFeatures;
    for (let i = 0; i < f.numFrames; i++) {
      const closed = this.step(normalizeFrames(f.frames.subarray(i * F, (i + 1) * F), this.classifier.model.config.frames!));
      for (const w of closed) {
        windows.push(w);
        const d = this.detect(w);
        if (d) detections.push(d);
      }
    }
    return { windows, detections };
  }

  /** One frame: opens a window on the stride, advances every live state one step, closes the windows that are full. */
  private step(x: Float32Array): WindowResult[] {
    if (this.frame % this.stride === 0) this.live.push({ index: this.frame / this.stride, steps: 0, h: new Float32Array(this.L * this.H) });
    this.frame++;
    const B = this.live.length,
      H = this.H,
      L = this.L,
      F = x.length;
    const xs = new Float32Array(B * F),
      h0 = new Float32Array(L * B * H);
    this.live.forEach((w, b) => {
      xs.set(x, b * F);
      for (let l = 0; l < L; l++) h0.set(w.h.subarray(l * H, (l + 1) * H), (l * B + b) * H);
    });
    const model = this.classifier.model;
    const out = noGrad(() => {
      const { hN } = this.gru.forward(new Tensor(xs, [B, 1, F]), { h0: new Tensor(h0, [L, B, H]) });
      return { hN: hN.value, logits: model.head.forward(sliceRows(hN, L - 1, 1, [B, H])).value };
    });
    const closed: WindowResult[] = [];
    const C = model.config.labels.length;
    this.live.forEach((w, b) => {
      for (let l = 0; l < L; l++) w.h.set(out.hN.data.subarray((l * B + b) * H, (l * B + b + 1) * H), l * H);
      w.steps++;
      if (w.steps === this.windowFrames) closed.push({ index: w.index, probabilities: softmax(out.logits.data.subarray(b * C, (b + 1) * C)) });
    });
    this.live = this.live.filter((w) => w.steps < this.windowFrames);
    return closed;
  }

  private detect(w: WindowResult): Detection | null {
    const labels = this.classifier.model.config.labels;
    this.recent.push(w.probabilities);
    if (this.recent.length > this.smooth) this.recent.shift();
    const mean = new Float32Array(labels.length);
    for (const r of this.recent) for (let c = 0; c < labels.length; c++) mean[c] += r[c] / this.recent.length;
    let best = 0;
    for (let c = 1; c < labels.length; c++) if (mean[c] > mean[best]) best = c;
    const label = labels[best],
      p = mean[best];
    if (this.background.has(label) || p < this.threshold) return null;
    // The smoothed windows span from the oldest one's start to this one's end.
    const start = (w.index - this.recent.length + 1) * this.stride * this.hopSeconds;
    const d = { label, probability: p, start, end: start + (this.windowFrames - 1) * this.hopSeconds + this.winSeconds };
    if (this.last && this.last.label === label && start - this.last.start < this.refractory) return null;
    this.last = d;
    return d;
  }
}

function softmax(z: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]);
  const p = Float32Array.from({ length: z.length }, (_, i) => Math.exp(z[i] - max));
  const s = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / s);
}
