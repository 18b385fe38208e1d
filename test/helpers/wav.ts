/** Test audio: WAV files written by hand (16-bit PCM mono), the format every reader and Chromium's fake capture take. */
import assert from 'node:assert/strict';

/** A 16-bit PCM mono WAV of `samples` (in [−1, 1], clipped) at `rate`. */
export function wav16(samples: Float32Array, rate: number): Uint8Array {
  const b = Buffer.alloc(44 + 2 * samples.length);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + 2 * samples.length, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(2 * rate, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(2 * samples.length, 40);
  samples.forEach((v, i) => b.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), 44 + 2 * i));
  return b;
}

/**
 * Asserts a synthesized command clip: 16 kHz mono 16-bit PCM, exactly 1 s, peak from 0.3 to 0.91, the speech
 * energy centred between 0.3 and 0.7 s, and the first and last 400 samples below `edgeShare` of the peak.
 */
export function assertCommandClip(w: { sampleRate: number; channels: number; bitsPerSample: number; encoding: string; samples: Float32Array }, name: string, edgeShare: number): void {
  assert.deepEqual([w.sampleRate, w.channels, w.bitsPerSample, w.encoding, w.samples.length], [16000, 1, 16, 'pcm', 16000], name);
  let peak = 0,
    energy = 0,
    moment = 0;
  for (let i = 0; i < w.samples.length; i++) {
    const e = w.samples[i] * w.samples[i];
    peak = Math.max(peak, Math.abs(w.samples[i]));
    energy += e;
    moment += e * i;
  }
  assert.ok(peak >= 0.3 && peak <= 0.91, `${name}: peak ${peak}`);
  const centre = moment / energy / 16000;
  assert.ok(centre > 0.3 && centre < 0.7, `${name}: speech energy centred at ${centre.toFixed(2)} s`);
  let edge = 0;
  for (let i = 0; i < 400; i++) edge = Math.max(edge, Math.abs(w.samples[i]), Math.abs(w.samples[15999 - i]));
  assert.ok(edge < edgeShare * peak, `${name}: sound at the clip's edges (${edge})`);
}
