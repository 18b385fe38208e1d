/**
 * The microphone's samples off the audio thread: an AudioWorkletProcessor
 * ('gru-capture') that mixes its input down to mono, gathers render quanta
 * (128 samples) into blocks of CAPTURE_BLOCK samples and posts each block,
 * transferred, on the MessagePort the page hands it — the recognizer
 * worker's end of a MessageChannel, so audio never passes through the page's
 * thread. Bundled by Vite as its own module (kws.ts imports it with
 * `?worker&url` and loads it with audioWorklet.addModule).
 */
import { CAPTURE_BLOCK } from './kws-protocol.js';

// The AudioWorkletGlobalScope's names (not in TypeScript's DOM library).
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;

class CaptureProcessor extends AudioWorkletProcessor {
  private out: MessagePort | null = null;
  private block = new Float32Array(CAPTURE_BLOCK);
  private filled = 0;
  private stopped = false;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<{ port?: MessagePort; stop?: boolean }>) => {
      if (e.data.port) this.out = e.data.port;
      if (e.data.stop) {
        this.stopped = true;
        this.out?.close();
        this.out = null;
      }
    };
  }

  process(inputs: Float32Array[][]): boolean {
    if (this.stopped) return false;
    const channels = inputs[0];
    if (!this.out || !channels || channels.length === 0) return true;
    const n = channels[0].length,
      k = channels.length;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += channels[c][i];
      this.block[this.filled++] = s / k;
      if (this.filled === CAPTURE_BLOCK) {
        this.out.postMessage(this.block, [this.block.buffer]);
        this.block = new Float32Array(CAPTURE_BLOCK);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('gru-capture', CaptureProcessor);
