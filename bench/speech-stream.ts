/**
 * `npm run bench:speech`: keyword spotting on a stream, one core.
 *
 * A Speech Commands–sized audio classifier (40 log-mel bands every 10 ms, a
 * one-direction GRU, hidden 128, 12 labels; random weights: the cost does not
 * depend on them) runs a KeywordStream over 30 s of 16 kHz audio fed 100 ms
 * at a time: a new 1 s window every 100 ms, so ten live states advance
 * together, one GRU call per frame. Reported: the real-time factor (seconds
 * of work per second of audio; the target is ≤ 0.02) and its parts —
 * features, and the GRU steps next to ONNX Runtime (onnxruntime-node, one
 * thread) running the same steps (B = 10, T = 1, with the state in) on the
 * same model exported to ONNX. Run with GRU_TS_THREADS=1 (the script sets it).
 */
process.env.GRU_TS_THREADS ??= '1';
import ort from 'onnxruntime-node';
import { Classifier, FeatureStream, KeywordStream, Rng, Tensor, backend, exportGruToOnnx, noGrad, type GRU, type TrainedClassifier } from '../src/index.js';

const SECONDS = 30,
  H = 128,
  LABELS = 12,
  LIVE = 10,
  F = 40;
const rng = new Rng(1);
const audio = Float32Array.from({ length: SECONDS * 16000 }, (_, i) => 0.3 * Math.sin(i * 0.05) + 0.05 * rng.normal());
const labels = ['_silence_', '_unknown_', 'yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'].slice(0, LABELS);
const model = new Classifier(
  {
    labels,
    frames: { features: F, mean: new Array(F).fill(0), std: new Array(F).fill(1) },
    audio: { kind: 'logmel', numMels: F, windowFrames: 98 },
    maxLen: 1000,
    embeddingSize: F,
    hiddenSize: H,
    numLayers: 1,
    bidirectional: false,
    dropout: 0,
    pooling: 'last',
  },
  0,
  1,
).eval();
const classifier: TrainedClassifier = { model };

const time = (f: () => void, rounds = 3): number => {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best / 1000;
};

const stream = () => {
  const s = new KeywordStream(classifier, { threshold: 2 });
  for (let i = 0; i < audio.length; i += 1600) s.push(audio.subarray(i, i + 1600));
};
const features = () => {
  const fs = new FeatureStream({ numMels: F });
  for (let i = 0; i < audio.length; i += 1600) fs.push(audio.subarray(i, i + 1600));
};
const frames = 1 + Math.floor((audio.length - 400) / 160);
const gru = model.gru as GRU;
const x = Tensor.zeros([LIVE, 1, F]),
  h0 = Tensor.zeros([1, LIVE, H]);
const gruSteps = () =>
  noGrad(() => {
    for (let t = 0; t < frames; t++) gru.forward(x, { h0 });
  });

const session = await ort.InferenceSession.create(exportGruToOnnx(gru, { initialState: true }), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
const feeds = { input: new ort.Tensor('float32', x.data as Float32Array, [LIVE, 1, F]), h0: new ort.Tensor('float32', h0.data as Float32Array, [1, LIVE, H]) };
const ortSteps = async () => {
  const t0 = performance.now();
  for (let t = 0; t < frames; t++) await session.run(feeds);
  return (performance.now() - t0) / 1000;
};

stream(); // warm-up
const whole = time(stream),
  feat = time(features),
  steps = time(gruSteps);
await ortSteps();
let ortBest = Infinity;
for (let r = 0; r < 3; r++) ortBest = Math.min(ortBest, await ortSteps());

console.log(`Keyword spotting on a stream: ${SECONDS} s of 16 kHz audio, ${frames} frames, ${LIVE} live 1 s windows, hidden ${H}, ${LABELS} labels; backend ${backend().name}, GRU_TS_THREADS=${process.env.GRU_TS_THREADS}`);
console.log(`| part | seconds per second of audio (real-time factor) |`);
console.log(`|---|---:|`);
console.log(`| whole stream (features, normalisation, GRU steps, head, detection) | ${(whole / SECONDS).toFixed(4)} |`);
console.log(`| features alone (FeatureStream, log-mel 40) | ${(feat / SECONDS).toFixed(4)} |`);
console.log(`| GRU steps alone, gru-ts (B = ${LIVE}, T = 1, state in) | ${(steps / SECONDS).toFixed(4)} |`);
console.log(`| GRU steps alone, ONNX Runtime 1 thread (same model, same steps) | ${(ortBest / SECONDS).toFixed(4)} |`);
console.log(`gru-ts / ONNX Runtime on the GRU steps: ${(steps / ortBest).toFixed(2)}×; target real-time factor ≤ 0.02: ${whole / SECONDS <= 0.02 ? 'met' : 'missed'}`);
