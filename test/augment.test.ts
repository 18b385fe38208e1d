// Speech augmentation: shift, speed, noise at the SNR asked for, SpecAugment masks, mel-band warping (VTLP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, addNoise, augmentClip, logMel, specAugment, warpBands } from '../src/index.js';

const sine = (hz: number, n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / 16000));
const crossings = (x: Float32Array, from: number, to: number) => {
  let c = 0;
  for (let i = from + 1; i < to; i++) if (x[i - 1] < 0 !== x[i] < 0) c++;
  return c;
};

test('no speed change, no shift, no noise: the clip itself', () => {
  const x = sine(440, 16000);
  assert.deepEqual(augmentClip(x, new Rng(1), { speeds: [1], shift: 0 }), x);
});

test('time shift moves the clip by at most the shift, zeros filling the gap', () => {
  const x = new Float32Array(16000);
  x[8000] = 1;
  for (let seed = 0; seed < 20; seed++) {
    const y = augmentClip(x, new Rng(seed), { speeds: [1], shift: 0.1 });
    const at = y.indexOf(1);
    assert.ok(at >= 8000 - 1600 && at <= 8000 + 1600, `impulse at ${at}`);
    assert.equal(
      y.reduce((s, v) => s + Math.abs(v), 0),
      1,
    );
  }
});

test('speed 1.1: a 1 kHz tone comes out at 1.1 kHz, centred, the same length', () => {
  const y = augmentClip(sine(1000, 16000), new Rng(2), { speeds: [1.1], shift: 0 });
  assert.equal(y.length, 16000);
  const hz = crossings(y, 4000, 12000) / 2 / 0.5; // zero crossings over the middle 0.5 s
  assert.ok(Math.abs(hz - 1100) < 5, `${hz} Hz`);
});

test('noise is added at the SNR asked for', () => {
  const rng = new Rng(3);
  const noise = Float32Array.from({ length: 5000 }, () => rng.normal());
  for (const snr of [0, 10, 20]) {
    const x = sine(300, 16000),
      clean = x.slice();
    addNoise(x, noise, snr, new Rng(4));
    let ps = 0,
      pn = 0;
    for (let i = 0; i < x.length; i++) {
      ps += clean[i] ** 2;
      pn += (x[i] - clean[i]) ** 2;
    }
    assert.ok(Math.abs(10 * Math.log10(ps / pn) - snr) < 1e-3, `SNR ${10 * Math.log10(ps / pn)} for ${snr}`);
  }
});

test('SpecAugment zeroes whole runs of frames and of bands, within the widths asked for', () => {
  const T = 50,
    F = 40;
  for (let seed = 0; seed < 10; seed++) {
    const x = new Float32Array(T * F).fill(1);
    specAugment(x, F, new Rng(seed), { timeMasks: 1, timeMaskFrames: 10, freqMasks: 1, freqMaskBands: 8 });
    const zeroFrames = Array.from({ length: T }, (_, t) => x.subarray(t * F, (t + 1) * F).every((v) => v === 0)).filter(Boolean).length;
    const zeroBands = Array.from({ length: F }, (_, f) => Array.from({ length: T }, (_, t) => x[t * F + f]).every((v) => v === 0)).filter(Boolean).length;
    assert.ok(zeroFrames <= 10 && zeroBands <= 8, `${zeroFrames} frames, ${zeroBands} bands`);
    // Every zero lies in a masked frame or a masked band.
    for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) if (x[t * F + f] === 0) assert.ok(x.subarray(t * F, (t + 1) * F).every((v) => v === 0) || Array.from({ length: T }, (_, u) => x[u * F + f]).every((v) => v === 0));
  }
  const y = new Float32Array(T * F).fill(1);
  specAugment(y, F, new Rng(1), { timeMasks: 0, freqMasks: 0 });
  assert.ok(y.every((v) => v === 1));
});

test('warpBands: α = 1 is the identity; band f reads band f·α, linear between bands, the top band beyond', () => {
  const F = 5,
    frames = Float32Array.from({ length: 2 * F }, (_, i) => (i % F) * 10 + Math.floor(i / F)); // band f of frame t: 10f + t
  assert.deepEqual(warpBands(frames, F, 1), frames);
  const up = warpBands(frames, F, 1.5);
  // frame 1: bands read at 0, 1.5, 3, 4.5 → 4, 6 → 4 (clamped)
  assert.deepEqual(Array.from(up.subarray(F)), [1, 16, 31, 41, 41]);
  const down = warpBands(frames, F, 0.5);
  assert.deepEqual(Array.from(down.subarray(0, F)), [0, 5, 10, 15, 20]);
});

test("warpBands moves a tone's band the way a longer vocal tract moves a formant: down for α > 1", () => {
  const tone = sine(2000, 16000);
  const { frames, numFeatures: F } = logMel(tone, { numMels: 40 });
  const peak = (f: Float32Array) => {
    let best = 0;
    for (let b = 1; b < F; b++) if (f[10 * F + b] > f[10 * F + best]) best = b;
    return best;
  };
  const at = peak(frames);
  assert.ok(peak(warpBands(frames, F, 1.2)) < at && peak(warpBands(frames, F, 0.8)) > at, `${peak(warpBands(frames, F, 1.2))} < ${at} < ${peak(warpBands(frames, F, 0.8))}`);
});
