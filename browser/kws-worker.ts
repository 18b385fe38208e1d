/**
 * The keyword recognizer, on a Web Worker: off the page's thread, the
 * microphone's blocks (from the capture worklet, at the AudioContext's rate)
 * are resampled to 16 kHz (ResampleStream), turned into log-mel frames and
 * GRU steps (KeywordStream: one step per 10 ms frame, staggered windows of
 * the model's clip length), and the detections are posted to the page.
 */
import { KeywordStream, ResampleStream, classifierFromBytes, type TrainedClassifier } from '../src/browser.js';
import type { FromWorker, KwsDetection, ToWorker } from './kws-protocol.js';

let classifier: TrainedClassifier | null = null;
let modelName = '';
let stream: KeywordStream | null = null;
let resampler: ResampleStream | null = null;
let port: MessagePort | null = null;
let seconds = 0,
  windows = 0,
  busyMs = 0,
  peak = 0;
/** Squares of the last second's 16 kHz samples, for the level. */
let level: { sum: number; n: number; last: number } = { sum: 0, n: 0, last: 0 };
let lastStatus = 0;

const send = (m: FromWorker): void => postMessage(m);
const scope = (globalThis as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';

function fail(e: unknown): void {
  send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}

/** One block from the worklet: resample, features, GRU steps; detections and (every 250 ms) the status go to the page. */
function onBlock(block: Float32Array): void {
  if (!stream || !resampler) return;
  const t0 = performance.now();
  const samples = resampler.push(block);
  const { windows: closed, detections } = stream.push(samples);
  busyMs += performance.now() - t0;
  seconds += samples.length / 16000;
  windows += closed.length;
  for (const s of samples) {
    level.sum += s * s;
    if (Math.abs(s) > peak) peak = Math.abs(s);
  }
  level.n += samples.length;
  if (level.n >= 16000) level = { sum: 0, n: 0, last: Math.sqrt(level.sum / level.n) };
  if (detections.length > 0) {
    const list: KwsDetection[] = detections.map((d) => ({ label: d.label, probability: d.probability, start: d.start, end: d.end }));
    send({ type: 'detections', detections: list });
  }
  const now = performance.now();
  if (now - lastStatus >= 250) {
    lastStatus = now;
    send({ type: 'status', status: { seconds, windows, rms: level.last, peak, rtf: seconds > 0 ? busyMs / 1000 / seconds : 0, scope } });
  }
}

function stop(): void {
  port?.close();
  port = null;
  stream = null;
  resampler = null;
}

self.onmessage = (e: MessageEvent<ToWorker<MessagePort>>) => {
  const m = e.data;
  try {
    if (m.type === 'model') {
      stop();
      classifier = classifierFromBytes(new Uint8Array(m.bytes), m.name);
      modelName = m.name;
      const probe = new KeywordStream(classifier); // rejects a model that cannot stream (text, bidirectional, attention)
      const cfg = classifier.model.config;
      send({ type: 'ready', model: { name: modelName, labels: cfg.labels, windowFrames: probe.windowFrames, stride: probe.stride, hiddenSize: cfg.hiddenSize, features: cfg.embeddingSize } });
    } else if (m.type === 'start') {
      if (!classifier) throw new Error('no model loaded');
      stop();
      stream = new KeywordStream(classifier);
      resampler = new ResampleStream(m.sampleRate, 16000);
      seconds = windows = busyMs = peak = 0;
      level = { sum: 0, n: 0, last: 0 };
      port = m.port;
      port.onmessage = (b: MessageEvent<Float32Array>) => {
        try {
          onBlock(b.data);
        } catch (err) {
          stop();
          fail(err);
        }
      };
    } else if (m.type === 'stop') {
      stop();
    }
  } catch (err) {
    fail(err);
  }
};
