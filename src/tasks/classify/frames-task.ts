/**
 * The classify task for sequences of numeric feature vectors (frames):
 * sensors, activity traces, speech features. The training of texts, on the
 * data's own validation and test lists when it has them (Speech Commands),
 * else the same stratified split; the features are normalised per feature with the
 * training frames' mean and standard deviation, kept in the model file. The
 * GRU reads one direction by default, so a model can run step by step on a
 * stream.
 */
import { fitFeatureNormalization, normalizeFrames, type FrameSequences } from '../../data/frames.js';
import type { EpochRecord } from '../../train/trainer.js';
import { chooseSplit, fingerprint, splitRows, type SplitChoice, type SplitRecord, type TrainingDataRecord } from '../training-data.js';
import { audioFeatures, wavTo16k, type AudioFrontEndConfig } from '../../data/audio-folder.js';
import { Classifier, makeFrameBatch, type FramesInput } from './model.js';
import { classifierMetadata, knownLabels, type TrainedClassifier } from './task.js';
import { SPLIT_FRACTIONS, bestLabel, classifierConfig, scoreRows, splitLabels, trainOnRows, type ClassifierOptions, type ClassifyEvaluation, type ClassifyRows } from './training.js';
import { augmentClip, specAugment, warpBands, type AugmentOptions } from '../../data/augment.js';
import { frameBaselines } from './baselines.js';
import { heldOutMetrics } from '../model-format.js';
import { GruError } from '../../errors.js';

/** Frame sequences, and the rows lists name as validation and test (audio folders with Speech Commands' lists). */
export type ListedFrames = FrameSequences & { listed?: { validation: number[]; test: number[] } };

/** SHA-256 of the labels, the frames' float32 bytes and the listed split, in order. */
function framesFingerprint(d: ListedFrames): string {
  const held = new Map<number, string>();
  for (const i of d.listed?.validation ?? []) held.set(i, 'validation');
  for (const i of d.listed?.test ?? []) held.set(i, 'test');
  return fingerprint(
    (function* () {
      for (let i = 0; i < d.sequences.length; i++) {
        const s = d.sequences[i];
        yield d.labels[i];
        yield held.get(i) ?? '';
        yield Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('base64');
      }
    })(),
  );
}

/**
 * The rows of normalised frame sequences (`normalized`, with `input`) as the shared loop reads them.
 * Training batches change each epoch with `augment` (augmented audio, then its frames) and `warp`
 * (the raw frames' bands warped by a factor drawn in `range`, before normalising).
 */
function frameRows(
  normalized: readonly Float32Array[],
  input: FramesInput,
  y: readonly number[],
  maxLen: number,
  augment?: { clips: readonly Float32Array[]; frontEnd: AudioFrontEndConfig; options: AugmentOptions },
  warp?: { raw: readonly Float32Array[]; range: readonly [number, number] },
): ClassifyRows {
  const F = input.features;
  const rows: ClassifyRows = {
    lengthOf: (i) => Math.min(maxLen, normalized[i].length / F),
    batchOf: (ix) =>
      makeFrameBatch(
        ix.map((i) => normalized[i]),
        F,
        ix.map((i) => y[i]),
        maxLen,
      ),
  };
  if (augment || warp) {
    rows.trainBatchOf = (ix, rng) => {
      const seqs = ix.map((i) => {
        let raw = augment ? audioFeatures(augmentClip(augment.clips[i], rng, augment.options), augment.frontEnd).frames : warp!.raw[i];
        if (warp) raw = warpBands(raw, F, warp.range[0] + (warp.range[1] - warp.range[0]) * rng.uniform());
        const frames = normalizeFrames(raw, input);
        if (augment) specAugment(frames, F, rng, augment.options);
        return frames;
      });
      return makeFrameBatch(
        seqs,
        F,
        ix.map((i) => y[i]),
        maxLen,
      );
    };
  }
  return rows;
}

/** Options of a frames classifier: the shared ones, and augmentation of audio while training. */
export interface FramesOptions extends ClassifierOptions {
  /**
   * Audio only: time shift, speed perturbation, background noise and
   * SpecAugment each epoch (see data/augment.ts); true or options. Off by
   * default: on the synthesized commands it slowed learning so much that six
   * epochs reached 57–61% on held-out voices instead of 96% (QUALITY.md);
   * recordings from real microphones may need it.
   */
  augment?: boolean | AugmentOptions;
  /**
   * Log-mel audio only: each epoch, read each training clip's bands at a
   * frequency scaled by a factor drawn uniformly in this range (vocal tract
   * length perturbation, {@link warpBands}); default [0.8, 1.2], false: off.
   * On the commands data it carried the model over to a synthesizer it never
   * heard (Flite: 46.7% → see QUALITY.md) at no cost per epoch.
   */
  warp?: false | readonly [number, number];
}

/** The default range of {@link FramesOptions.warp}. */
export const DEFAULT_WARP: readonly [number, number] = [0.8, 1.2];

/**
 * Trains a classifier of frame sequences (one direction and the last state
 * by default; up to 1,000 frames a sequence). The split: the data's lists
 * when it has them, else stratified 70/10/20. `audio`: the features were
 * computed from audio this way (kept in the model file for predictions from
 * WAV); by default the clips' own (readAudioFolder records it).
 */
export function trainFrameClassifier(
  d: ListedFrames & { samples?: Float32Array[]; noise?: Float32Array[]; frontEnd?: AudioFrontEndConfig },
  o: FramesOptions = {},
  audioGiven?: AudioFrontEndConfig,
): TrainedClassifier & { history: EpochRecord[]; test: ClassifyEvaluation } {
  const audio = audioGiven ?? d.frontEnd;
  if (audioGiven && d.frontEnd && JSON.stringify(audioGiven) !== JSON.stringify(d.frontEnd)) {
    throw new GruError('INVALID_ARGUMENT', `trainFrameClassifier: the clips' frames were computed with ${JSON.stringify(d.frontEnd)}, not the front end given (${JSON.stringify(audioGiven)}); leave it out to use the clips' own`);
  }
  const seed = o.seed ?? 0;
  const splitRecord: SplitRecord = d.listed ? { method: 'listed', validation: d.listed.validation.length, test: d.listed.test.length } : { method: 'stratified', seed, fractions: SPLIT_FRACTIONS };
  const data: TrainingDataRecord = { source: d.source, rows: d.sequences.length, fingerprint: framesFingerprint(d), split: splitRecord, ...(d.fields ? { columns: d.fields } : {}) };
  const split = splitLabels(data.split, d.labels, d.source, d.listed);
  const frames: FramesInput = { features: d.features, ...fitFeatureNormalization(d, split.trainIdx) };
  const longest = Math.max(...split.trainIdx.map((i) => d.sequences[i].length / d.features));
  const config = classifierConfig(o, { labels: split.classes, frames, embeddingSize: d.features, ...(audio ? { audio: { ...audio, windowFrames: longest } } : {}) }, { maxLen: 1000, bidirectional: false });
  const model = new Classifier(config, 0, seed);
  const y = d.labels.map((l) => split.classes.indexOf(l));
  const augment = audio && d.samples && o.augment ? { clips: d.samples, frontEnd: audio, options: { noise: d.noise, ...(typeof o.augment === 'object' ? o.augment : {}) } } : undefined;
  const normalized = d.sequences.map((s) => normalizeFrames(s, frames));
  const range = o.warp ?? DEFAULT_WARP;
  if (range && !(range[0] > 0 && range[0] <= range[1])) throw new GruError('INVALID_ARGUMENT', `warp: expected a range [lo, hi] with 0 < lo ≤ hi, got [${range.join(', ')}]`);
  const warp = audio?.kind === 'logmel' && range ? { raw: d.sequences, range } : undefined;
  const { history, test } = trainOnRows(model, frameRows(normalized, frames, y, config.maxLen, augment, warp), split, o, () => classifierMetadata({ model, data }));
  const baselines = frameBaselines(normalized, d.features, y, split.trainIdx, split.testIdx, split.classes.length);
  return { model, data, metrics: heldOutMetrics(split.testIdx.length, test.metrics), history, test: { split: 'test', examples: split.testIdx.length, metrics: test.metrics, confusion: test.confusion, labels: split.classes, baselines } };
}

/** A frames classifier's normalisation; a text classifier is an error naming what it reads instead. */
function framesOf(c: TrainedClassifier): FramesInput {
  if (!c.model.config.frames) throw new GruError('INVALID_ARGUMENT', `this classifier reads ${c.model.config.tokenizer ?? 'word'}-token texts, not frames of numbers`);
  return c.model.config.frames;
}

/**
 * Scores a frames classifier: the test split when `d` is its training data
 * (the same sequences, split as in training), every sequence of other data;
 * `split` asks for one ({@link chooseSplit}).
 */
export function evaluateFramesOn(c: TrainedClassifier, d: ListedFrames, o: { split?: SplitChoice } = {}): ClassifyEvaluation {
  const input = framesOf(c);
  if (d.features !== input.features) throw new GruError('INVALID_DATA', `${d.source}: frames of ${d.features} features; the model reads ${input.features}`);
  const split = chooseSplit(c.data, framesFingerprint(d), d.source, o.split);
  const y = knownLabels(c, d.labels, d.source);
  const [trainIdx, , idx] = split === 'test' ? splitRows(c.data!.split, d.sequences.length, d.labels, d.listed) : [[], [], [...d.sequences.keys()]];
  const normalized = d.sequences.map((s) => normalizeFrames(s, input));
  const r = scoreRows(c.model, frameRows(normalized, input, y, c.model.config.maxLen), idx);
  // Baselines need training rows: on the test split they are fitted on the same training rows as the model.
  const baselines = split === 'test' ? frameBaselines(normalized, d.features, y, trainIdx, idx, c.model.config.labels.length) : undefined;
  return { split, examples: idx.length, metrics: r.metrics, confusion: r.confusion, labels: c.model.config.labels, ...(baselines ? { baselines } : {}) };
}

/** The label and class probabilities of one sequence of frames (frames × features, row-major, as the data: the model normalises). */
export function classifyFrames(c: TrainedClassifier, frames: Float32Array | readonly (readonly number[])[]): { label: string; probabilities: Record<string, number> } {
  const input = framesOf(c);
  const F = input.features;
  const flat =
    frames instanceof Float32Array
      ? frames
      : Float32Array.from(
          frames.flatMap((f, t) => {
            if (f.length !== F) throw new GruError('INVALID_ARGUMENT', `frame ${t + 1}: expected ${F} features, got ${f.length}`);
            return f;
          }),
        );
  if (flat.length === 0 || flat.length % F !== 0) throw new GruError('INVALID_ARGUMENT', `expected frames of ${F} features (a multiple of ${F} numbers, at least one frame), got ${flat.length} numbers`);
  for (let i = 0; i < flat.length; i++) if (!Number.isFinite(flat[i])) throw new GruError('INVALID_ARGUMENT', `frame ${Math.floor(i / F) + 1}, feature ${(i % F) + 1}: expected a finite number, got ${flat[i]}`);
  return bestLabel(c.model, makeFrameBatch([normalizeFrames(flat, input)], F, null, c.model.config.maxLen));
}

/** The label and class probabilities of a WAV file's bytes, for a model trained on audio (the same front end). */
export function classifyAudio(c: TrainedClassifier, wav: Uint8Array, name = 'WAV data'): { label: string; probabilities: Record<string, number> } {
  const fe = c.model.config.audio;
  if (!fe) throw new GruError('INVALID_ARGUMENT', `this classifier was not trained on audio; it reads ${c.model.config.frames ? `frames of ${c.model.config.frames.features} features` : 'texts'}`);
  return classifyFrames(c, audioFeatures(wavTo16k(wav, name), fe).frames);
}
