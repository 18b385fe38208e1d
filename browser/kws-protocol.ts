// Messages between the microphone page (kws.ts), the capture worklet (capture-worklet.ts) and the recognizer
// worker (kws-worker.ts). No DOM types here, so that the Node tests can import it.

/** A detection as the page lists it and leaves it in window.__kwsDetections: KeywordStream's, times in seconds from Start. */
export interface KwsDetection {
  label: string;
  probability: number;
  start: number;
  end: number;
}

/** What the recognizer has done so far; the page shows it and leaves it in window.__kwsStatus. */
export interface KwsStatus {
  state: 'idle' | 'loading' | 'ready' | 'listening' | 'error';
  /** The model: its name, labels and stream window. */
  model?: { name: string; labels: string[]; windowFrames: number; stride: number; hiddenSize: number; features: number };
  /** The AudioContext's sample rate: what the worklet's blocks arrive at (resampled to 16 kHz in the worker). */
  sampleRate?: number;
  /** Seconds of audio the worker has taken in (at 16 kHz). */
  seconds: number;
  /** Windows the stream has closed (one GRU-state decision each). */
  windows: number;
  /** Root-mean-square level of the last second of audio. */
  rms: number;
  /** Loudest sample seen since Start (0 would mean the microphone delivers silence). */
  peak: number;
  /** Processing time per second of audio in the worker (resampling, features, GRU steps): the real-time factor. */
  rtf: number;
  /** The global scope the GRU steps ran in ('DedicatedWorkerGlobalScope': off the page's thread). */
  scope?: string;
  error?: string;
}

/** Page → worker (`Port` is MessagePort: a parameter, so that this file names no DOM type). */
export type ToWorker<Port> =
  | { type: 'model'; name: string; bytes: ArrayBuffer }
  /** Start listening: blocks of `sampleRate` samples arrive on `port` (from the worklet). */
  | { type: 'start'; port: Port; sampleRate: number }
  | { type: 'stop' };

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; model: NonNullable<KwsStatus['model']> }
  | { type: 'detections'; detections: KwsDetection[] }
  | { type: 'status'; status: Pick<KwsStatus, 'seconds' | 'windows' | 'rms' | 'peak' | 'rtf' | 'scope'> }
  | { type: 'error'; message: string };

/** Samples per block the worklet posts (8 render quanta of 128). */
export const CAPTURE_BLOCK = 1024;
