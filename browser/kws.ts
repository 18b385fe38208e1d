/**
 * The demo page's microphone keyword spotting: an audio classifier (a model
 * file trained by `gru train classify --data DIR` of WAV folders, chosen with
 * the file chooser or named by `?model=URL`) listens to the microphone.
 * getUserMedia → an AudioWorklet (capture-worklet.ts) posting blocks of
 * samples straight to a Web Worker (kws-worker.ts, over a MessageChannel) →
 * 16 kHz, log-mel frames and one GRU step per 10 ms frame there, off the
 * page's thread → detections back to the page, listed with their times and
 * left in `window.__kwsDetections` (the recognizer's state in
 * `window.__kwsStatus`; test/browser-mic.test.ts reads both).
 */
import captureUrl from './capture-worklet.ts?worker&url';
import KwsWorker from './kws-worker.ts?worker';
import type { FromWorker, KwsDetection, KwsStatus, ToWorker } from './kws-protocol.js';

declare global {
  interface Window {
    __kwsDetections?: KwsDetection[];
    __kwsStatus?: KwsStatus;
  }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Wires the "Microphone keyword spotting" section of index.html. */
export function setupKws(): void {
  const fileInput = $<HTMLInputElement>('kws-model');
  const startButton = $<HTMLButtonElement>('kws-start');
  const stopButton = $<HTMLButtonElement>('kws-stop');
  const statusLine = $('kws-status');
  const list = $('kws-list');
  const detections: KwsDetection[] = [];
  const status: KwsStatus = { state: 'idle', seconds: 0, windows: 0, rms: 0, peak: 0, rtf: 0 };
  window.__kwsDetections = detections;
  window.__kwsStatus = status;

  const worker: Worker = new KwsWorker();
  const post = (m: ToWorker<MessagePort>, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);
  let audio: { ctx: AudioContext; media: MediaStream; node: AudioWorkletNode } | null = null;

  const render = (): void => {
    const m = status.model;
    const model = m ? `${esc(m.name)} (labels ${m.labels.map(esc).join(', ')}; GRU ${m.features}→${m.hiddenSize}, windows of ${m.windowFrames} frames every ${m.stride})` : 'no model';
    const listening =
      status.state === 'listening'
        ? ` — ${status.seconds.toFixed(1)} s heard at ${status.sampleRate} Hz, level ${status.rms.toFixed(3)} rms, ${status.windows} windows, ` + `real-time factor ${status.rtf.toFixed(4)} in ${status.scope ?? 'the worker'}`
        : '';
    statusLine.innerHTML = status.state === 'error' ? `<span class="bad">Failed:</span> ${esc(status.error ?? '')}` : `${status.state}: ${model}${listening}`;
    startButton.disabled = status.state !== 'ready';
    stopButton.disabled = status.state !== 'listening';
  };

  const failed = (message: string): void => {
    Object.assign(status, { state: 'error', error: message });
    console.error(`keyword spotting: ${message}`);
    render();
  };

  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === 'ready') Object.assign(status, { state: 'ready', model: m.model, error: undefined });
    else if (m.type === 'status') Object.assign(status, m.status);
    else if (m.type === 'error') return failed(m.message);
    else if (m.type === 'detections') {
      for (const d of m.detections) {
        detections.push(d);
        const li = document.createElement('li');
        li.innerHTML = `<b>${esc(d.label)}</b> at ${d.start.toFixed(2)}–${d.end.toFixed(2)} s (p = ${d.probability.toFixed(3)})`;
        list.prepend(li);
      }
    }
    render();
  };
  worker.onerror = (e) => failed(`the recognizer worker failed: ${e.message}`);

  const loadModel = (name: string, bytes: ArrayBuffer): void => {
    Object.assign(status, { state: 'loading', model: undefined });
    render();
    post({ type: 'model', name, bytes }, [bytes]);
  };

  fileInput.onchange = async () => {
    const f = fileInput.files?.[0];
    if (f) loadModel(f.name, await f.arrayBuffer());
  };

  const stop = async (): Promise<void> => {
    if (!audio) return;
    const { ctx, media, node } = audio;
    audio = null;
    post({ type: 'stop' });
    node.port.postMessage({ stop: true });
    for (const t of media.getTracks()) t.stop();
    await ctx.close();
    if (status.state === 'listening') status.state = 'ready';
    render();
  };

  const start = async (): Promise<void> => {
    // The raw signal: echo cancellation, noise suppression and gain control would reshape what the model hears.
    const media = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    const ctx = new AudioContext();
    await ctx.audioWorklet.addModule(captureUrl);
    const node = new AudioWorkletNode(ctx, 'gru-capture', { numberOfInputs: 1, numberOfOutputs: 1, channelCountMode: 'explicit', channelCount: 1 });
    audio = { ctx, media, node };
    // The worklet posts straight to the worker: the audio never passes through this thread.
    const channel = new MessageChannel();
    post({ type: 'start', port: channel.port2, sampleRate: ctx.sampleRate }, [channel.port2]);
    node.port.postMessage({ port: channel.port1 }, [channel.port1]);
    ctx.createMediaStreamSource(media).connect(node);
    node.connect(ctx.destination); // silent (the worklet writes no output); keeps the node pulled
    await ctx.resume();
    Object.assign(status, { state: 'listening', sampleRate: ctx.sampleRate, seconds: 0, windows: 0, rms: 0, peak: 0 });
    render();
  };

  startButton.onclick = () => {
    startButton.disabled = true;
    start().catch((e: unknown) => {
      void stop();
      failed(`could not start the microphone: ${e instanceof Error ? e.message : String(e)}`);
    });
  };
  stopButton.onclick = () => void stop();

  const url = new URLSearchParams(location.search).get('model');
  if (url) {
    fetch(url)
      .then(async (r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        loadModel(url, await r.arrayBuffer());
      })
      .catch((e: unknown) => failed(`could not fetch the model ${url}: ${e instanceof Error ? e.message : String(e)}`));
  }
  render();
}
