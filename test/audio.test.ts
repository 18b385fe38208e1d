// The audio front end (src/data/audio): WAV decoding in every sample format,
// band-limited resampling to 16 kHz, log-mel and MFCC features against
// librosa, and the streaming forms equal to the offline ones.
// The fixture (WAV files and librosa's features of them) is written by
// test/fixtures/audio/make-audio-fixtures.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeWav, FeatureStream, logMel, mfcc, resample, ResampleStream, resampleTo16k } from '../src/data/audio/index.js';
import { readWavFile } from '../src/data/audio/wav-file.js';
import { GruError } from '../src/errors.js';

const dir = fileURLToPath(new URL('./fixtures/audio/', import.meta.url));

interface Table {
  numFrames: number;
  numFeatures: number;
  data: number[];
}
interface FixtureFile {
  file: string;
  sampleRate: number;
  channels: number;
  subtype: string;
  container: string;
  numSamples: number;
  head: number[];
  sum: number;
  sumSq: number;
  logmel?: Table;
  mfcc?: Table;
  resampledLength?: number;
  logmelAfterSoxr?: Table;
}
const fixture = JSON.parse(readFileSync(join(dir, 'librosa-features.json'), 'utf8')) as { files: FixtureFile[]; slaney: { file: string; logmel: Table } };
const bytesOf = (name: string): Uint8Array => readFileSync(join(dir, name));

/** Tolerances against librosa, in natural-log units (log-mel) and MFCC units. */
const LOGMEL_TOL = 1e-3;
const MFCC_TOL = 1e-3;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function expectGruError(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GruError, `expected a GruError, got ${e}`);
    assert.equal(e.code, code, e.message);
    for (const p of parts) assert.match(e.message, typeof p === 'string' ? new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : p);
    return true;
  });
}

const SUBTYPES: Record<string, { encoding: 'pcm' | 'float'; bits: number }> = {
  PCM_U8: { encoding: 'pcm', bits: 8 },
  PCM_16: { encoding: 'pcm', bits: 16 },
  PCM_24: { encoding: 'pcm', bits: 24 },
  PCM_32: { encoding: 'pcm', bits: 32 },
  FLOAT: { encoding: 'float', bits: 32 },
  DOUBLE: { encoding: 'float', bits: 64 },
};

test('decodeWav: every sample format of the fixture decodes to what soundfile reads (channels averaged)', () => {
  const seen = new Set<string>();
  for (const f of fixture.files) {
    const w = decodeWav(bytesOf(f.file), f.file);
    const want = SUBTYPES[f.subtype];
    assert.equal(w.sampleRate, f.sampleRate, f.file);
    assert.equal(w.channels, f.channels, f.file);
    assert.equal(w.encoding, want.encoding, f.file);
    assert.equal(w.bitsPerSample, want.bits, f.file);
    assert.equal(w.samples.length, f.numSamples, f.file);
    // float32 output: within rounding of soundfile's float64 values
    for (let i = 0; i < f.head.length; i++) assert.ok(Math.abs(w.samples[i] - f.head[i]) <= 1e-7, `${f.file}[${i}]: ${w.samples[i]} vs ${f.head[i]}`);
    let sum = 0,
      sumSq = 0;
    for (const v of w.samples) {
      sum += v;
      sumSq += v * v;
    }
    assert.ok(Math.abs(sum - f.sum) <= 1e-5 * Math.max(1, Math.abs(f.sum)), `${f.file} sum ${sum} vs ${f.sum}`);
    assert.ok(Math.abs(sumSq - f.sumSq) <= 1e-5 * f.sumSq, `${f.file} sum of squares ${sumSq} vs ${f.sumSq}`);
    seen.add(`${want.encoding}${want.bits}/${f.channels}ch/${f.container}`);
  }
  for (const k of ['pcm8/1ch/WAV', 'pcm16/1ch/WAV', 'pcm16/2ch/WAV', 'pcm24/1ch/WAV', 'pcm24/2ch/WAVEX', 'pcm32/1ch/WAV', 'float32/2ch/WAV', 'float64/1ch/WAV', 'float32/1ch/WAVEX']) {
    assert.ok(seen.has(k), `no fixture file for ${k}`);
  }
  // a Node Buffer, a plain Uint8Array view and an ArrayBuffer give the same samples
  const b = bytesOf('pcm16-mono.wav');
  const copy = new Uint8Array(b.length + 3).subarray(3);
  copy.set(b);
  assert.deepEqual(decodeWav(copy).samples, decodeWav(b).samples);
  assert.deepEqual(decodeWav(copy.slice().buffer).samples, decodeWav(b).samples);
  assert.deepEqual(readWavFile(join(dir, 'pcm16-mono.wav')).samples, decodeWav(b).samples);
});

/** A WAV file built by hand: the format fields as given, `data` as the data chunk. */
function makeWav(o: { format?: number; channels?: number; rate?: number; bits?: number; data: Uint8Array; bigEndian?: boolean; extensibleSub?: number; blockAlign?: number; declared?: number }): Uint8Array {
  const channels = o.channels ?? 1,
    bits = o.bits ?? 16,
    rate = o.rate ?? 16000,
    be = o.bigEndian ?? false;
  const fmtSize = o.extensibleSub === undefined ? 16 : 40;
  const buf = new Uint8Array(12 + 8 + fmtSize + 8 + o.data.length + (o.data.length % 2));
  const v = new DataView(buf.buffer);
  const str = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) buf[at + i] = s.charCodeAt(i);
  };
  str(0, be ? 'RIFX' : 'RIFF');
  v.setUint32(4, buf.length - 8, !be);
  str(8, 'WAVE');
  str(12, 'fmt ');
  v.setUint32(16, fmtSize, !be);
  v.setUint16(20, o.extensibleSub === undefined ? (o.format ?? 1) : 0xfffe, !be);
  v.setUint16(22, channels, !be);
  v.setUint32(24, rate, !be);
  const blockAlign = o.blockAlign ?? (channels * bits) / 8;
  v.setUint32(28, rate * blockAlign, !be);
  v.setUint16(32, blockAlign, !be);
  v.setUint16(34, bits, !be);
  if (o.extensibleSub !== undefined) {
    v.setUint16(36, 22, !be);
    v.setUint16(38, bits, !be);
    v.setUint32(40, channels === 1 ? 4 : 3, !be);
    v.setUint32(44, o.extensibleSub, !be); // the GUID's first field is the format code
    buf.set([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 48);
  }
  const d = 20 + fmtSize;
  str(d, 'data');
  v.setUint32(d + 4, o.declared ?? o.data.length, !be);
  buf.set(o.data, d + 8);
  return buf;
}

test('decodeWav: big-endian RIFX, hand-made extensible files, 8-bit offset and full-scale values', () => {
  const be = new Uint8Array(6);
  new DataView(be.buffer).setInt16(0, -32768, false);
  new DataView(be.buffer).setInt16(2, 16384, false);
  new DataView(be.buffer).setInt16(4, 32767, false);
  assert.deepEqual([...decodeWav(makeWav({ data: be, bigEndian: true })).samples], [-1, 0.5, 32767 / 32768]);
  assert.deepEqual([...decodeWav(makeWav({ bits: 8, data: Uint8Array.from([0, 128, 255, 64]) })).samples], [-1, 0, 127 / 128, -0.5]);
  const f = new Float32Array([0.25, -0.75, 1.5, 0]); // stereo frames (0.25, −0.75), (1.5, 0): floats pass unscaled, even past full scale
  const w = decodeWav(makeWav({ extensibleSub: 3, bits: 32, channels: 2, data: new Uint8Array(f.buffer) }));
  assert.equal(w.encoding, 'float');
  assert.deepEqual([...w.samples], [-0.25, 0.75]);
  const i32 = new Int32Array([-(2 ** 31), 2 ** 30]);
  assert.deepEqual([...decodeWav(makeWav({ extensibleSub: 1, bits: 32, data: new Uint8Array(i32.buffer) })).samples], [-1, 0.5]);
  // an empty data chunk is a valid, empty file
  assert.equal(decodeWav(makeWav({ data: new Uint8Array(0) })).samples.length, 0);
});

test('decodeWav: what is not a usable WAV file is an INVALID_FILE error naming the file and what was found', () => {
  expectGruError(() => decodeWav(new TextEncoder().encode('label,frames\nyes,1 2 3\n'), 'notes.csv'), 'INVALID_FILE', 'notes.csv', "'RIFF'", '"labe"');
  expectGruError(() => decodeWav(new Uint8Array(0), 'empty.wav'), 'INVALID_FILE', 'empty.wav', '0 bytes');
  const good = bytesOf('pcm16-mono.wav');
  expectGruError(() => decodeWav(good.subarray(0, 1000), 'cut.wav'), 'INVALID_FILE', 'cut.wav', 'truncated', /declares 4800 bytes/);
  expectGruError(() => decodeWav(good.subarray(0, 30), 'header-only.wav'), 'INVALID_FILE', 'header-only.wav');
  expectGruError(() => decodeWav(makeWav({ format: 6, bits: 8, data: new Uint8Array(4) }), 'alaw.wav'), 'INVALID_FILE', 'alaw.wav', 'A-law');
  expectGruError(() => decodeWav(makeWav({ format: 0x55, bits: 16, data: new Uint8Array(4) }), 'x.wav'), 'INVALID_FILE', 'MPEG layer 3');
  expectGruError(() => decodeWav(makeWav({ bits: 12, blockAlign: 2, data: new Uint8Array(4) }), 'x.wav'), 'INVALID_FILE', '12-bit PCM');
  expectGruError(() => decodeWav(makeWav({ format: 3, bits: 16, data: new Uint8Array(4) }), 'x.wav'), 'INVALID_FILE', '16-bit float');
  expectGruError(() => decodeWav(makeWav({ extensibleSub: 2, bits: 16, data: new Uint8Array(4) }), 'x.wav'), 'INVALID_FILE', 'ADPCM');
  expectGruError(() => decodeWav(makeWav({ channels: 0, data: new Uint8Array(4), blockAlign: 0 }), 'x.wav'), 'INVALID_FILE', '0 channels');
  expectGruError(() => decodeWav(makeWav({ rate: 0, data: new Uint8Array(4) }), 'x.wav'), 'INVALID_FILE', '0 Hz');
  expectGruError(() => decodeWav(makeWav({ blockAlign: 3, data: new Uint8Array(6) }), 'x.wav'), 'INVALID_FILE', 'block size of 3');
  expectGruError(() => decodeWav(makeWav({ bits: 16, data: new Uint8Array(5) }), 'odd.wav'), 'INVALID_FILE', 'odd.wav', 'whole number of 2-byte');
  const noData = makeWav({ data: new Uint8Array(4) });
  noData.set(new TextEncoder().encode('junk'), 36);
  expectGruError(() => decodeWav(noData, 'nodata.wav'), 'INVALID_FILE', 'nodata.wav', 'data');
  const rf64 = makeWav({ data: new Uint8Array(4) });
  rf64.set(new TextEncoder().encode('RF64'), 0);
  expectGruError(() => decodeWav(rf64, 'big.wav'), 'INVALID_FILE', 'RF64');
  expectGruError(() => readWavFile(join(dir, 'no-such-file.wav')), 'INVALID_FILE', 'no-such-file.wav');
  const nan = new Float32Array([0.5, Number.NaN]);
  expectGruError(() => decodeWav(makeWav({ format: 3, bits: 32, data: new Uint8Array(nan.buffer) }), 'nan.wav'), 'INVALID_FILE', 'nan.wav', 'sample 1 is NaN');
});

test('decodeWav: damaged copies of the fixture files decode or fail with a GruError, never another error', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  let rejected = 0,
    decoded = 0;
  for (const f of fixture.files) {
    const good = bytesOf(f.file);
    for (let t = 0; t < 40; t++) {
      let b = Uint8Array.from(good);
      const what = rand(3);
      if (what === 0)
        b = b.subarray(0, rand(b.length)); // cut anywhere
      else for (let k = 0, n = 1 + rand(4); k < n; k++) b[rand(Math.min(b.length, what === 1 ? 80 : b.length))] = rand(256); // header or anywhere
      try {
        const w = decodeWav(b, 'damaged.wav');
        assert.ok(w.samples.every((v) => Number.isFinite(v)));
        decoded++;
      } catch (e) {
        assert.ok(e instanceof GruError && e.code === 'INVALID_FILE' && e.message.startsWith('damaged.wav: '), `${f.file}, mutation ${t}: ${e}`);
        rejected++;
      }
    }
  }
  assert.ok(rejected > 50 && decoded > 50, `${rejected} rejected, ${decoded} decoded`);
  console.log(`damaged files: ${rejected} rejected, ${decoded} decoded`);
});

test(`logMel and mfcc match librosa on every 16 kHz fixture file (log-mel within ${LOGMEL_TOL}, MFCC within ${MFCC_TOL})`, () => {
  const report: string[] = [];
  let worstMel = 0,
    worstMfcc = 0;
  for (const f of fixture.files) {
    if (!f.logmel || !f.mfcc) continue;
    const { samples } = decodeWav(bytesOf(f.file), f.file);
    const lm = logMel(samples);
    assert.equal(lm.numFrames, f.logmel.numFrames, f.file);
    assert.equal(lm.numFeatures, 40);
    const dMel = maxAbsDiff(lm.frames, f.logmel.data);
    const mc = mfcc(samples);
    assert.equal(mc.numFrames, f.mfcc.numFrames, f.file);
    assert.equal(mc.numFeatures, 13);
    const dMfcc = maxAbsDiff(mc.frames, f.mfcc.data);
    report.push(`${f.file}: ${lm.numFrames} frames, log-mel ${dMel.toExponential(2)}, MFCC ${dMfcc.toExponential(2)}`);
    assert.ok(dMel <= LOGMEL_TOL, `${f.file}: log-mel differs from librosa by ${dMel}`);
    assert.ok(dMfcc <= MFCC_TOL, `${f.file}: MFCC differs from librosa by ${dMfcc}`);
    worstMel = Math.max(worstMel, dMel);
    worstMfcc = Math.max(worstMfcc, dMfcc);
  }
  assert.ok(report.length >= 8, 'fixture files with features');
  // the silence in the middle reaches the floor: ln(1e-6)
  const { samples } = decodeWav(bytesOf('float64-mono.wav'));
  assert.ok(logMel(samples).frames.some((v) => v === Math.fround(Math.log(1e-6))));
  console.log(`max |gru-ts − librosa|: log-mel ${worstMel.toExponential(2)}, MFCC ${worstMfcc.toExponential(2)}\n  ${report.join('\n  ')}`);
});

test("logMel with melScale 'slaney' matches librosa's default (Slaney) filters", () => {
  const { samples } = decodeWav(bytesOf(fixture.slaney.file));
  const lm = logMel(samples, { melScale: 'slaney' });
  const d = maxAbsDiff(lm.frames, fixture.slaney.logmel.data);
  console.log(`slaney log-mel max |gru-ts − librosa| ${d.toExponential(2)}`);
  assert.ok(d <= LOGMEL_TOL, `${d}`);
});

test('resampleTo16k of the 44.1 and 8 kHz fixture files: close to librosa with soxr (an independent resampler) in the bands both pass', () => {
  for (const f of fixture.files) {
    if (!f.logmelAfterSoxr) continue;
    const { samples, sampleRate } = decodeWav(bytesOf(f.file), f.file);
    const y = resampleTo16k(samples, sampleRate);
    assert.equal(y.length, f.resampledLength, `${f.file}: resampled length`);
    const lm = logMel(y);
    const ref = f.logmelAfterSoxr;
    assert.equal(lm.numFrames, ref.numFrames);
    // the filters differ near the cutoff (gru-ts −6 dB at 7.36 kHz, soxr nearer 8 kHz), and for 8 kHz input nothing lies above 4 kHz:
    // compare the bands below 6.5 kHz (35 of 40) and 3.5 kHz (28) where the input has energy
    const top = sampleRate === 8000 ? 28 : 35;
    let worst = 0;
    for (let i = 0; i < lm.numFrames; i++) for (let b = 0; b < top; b++) worst = Math.max(worst, Math.abs(lm.frames[i * 40 + b] - ref.data[i * 40 + b]));
    console.log(`${f.file} → 16 kHz: log-mel of the lowest ${top} bands within ${worst.toExponential(2)} of librosa+soxr`);
    assert.ok(worst <= 5e-3, `${f.file}: ${worst}`);
  }
});

/** Amplitude and phase-free residual of x against a sine of frequency f (least squares on sin and cos), over x[from…to). */
function fitSine(x: Float32Array, f: number, rate: number, from: number, to: number): { amplitude: number; residual: number } {
  let ss = 0,
    cc = 0,
    sc = 0,
    xs = 0,
    xc = 0;
  for (let n = from; n < to; n++) {
    const s = Math.sin((2 * Math.PI * f * n) / rate),
      c = Math.cos((2 * Math.PI * f * n) / rate);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    xs += x[n] * s;
    xc += x[n] * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det,
    b = (xc * ss - xs * sc) / det;
  let r = 0;
  for (let n = from; n < to; n++) {
    const e = x[n] - a * Math.sin((2 * Math.PI * f * n) / rate) - b * Math.cos((2 * Math.PI * f * n) / rate);
    r = Math.max(r, Math.abs(e));
  }
  return { amplitude: Math.hypot(a, b), residual: r };
}

function sine(f: number, rate: number, n: number, amp = 0.8): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate));
}

test('resample: a sine keeps its frequency and amplitude; above the new Nyquist it is removed, not folded back', () => {
  for (const [from, f] of [
    [44100, 1000],
    [48000, 440],
    [22050, 3000],
    [8000, 1000],
    [11025, 2500],
    [44100, 6500],
    [96000, 5000],
    [16001, 1234],
  ]) {
    const x = sine(f, from, Math.round(from * 0.5));
    const y = resampleTo16k(x, from);
    assert.equal(y.length, Math.ceil((x.length * 16000) / from));
    // away from the ends, where the filter meets the zeros outside
    const { amplitude, residual } = fitSine(y, f, 16000, 400, y.length - 400);
    assert.ok(Math.abs(amplitude - 0.8) <= 0.8 * 2e-3, `${from} Hz → 16 kHz, ${f} Hz: amplitude ${amplitude}`);
    assert.ok(residual <= 2e-3, `${from} Hz → 16 kHz, ${f} Hz: residual ${residual}`);
  }
  // 11 kHz at 44.1 kHz would fold to 5 kHz at 16 kHz; 8.5 kHz to 7.5 kHz: both must be gone (≥ 60 dB down)
  for (const f of [11000, 8500]) {
    const y = resampleTo16k(sine(f, 44100, 22050), 44100);
    let peak = 0;
    for (let n = 400; n < y.length - 400; n++) peak = Math.max(peak, Math.abs(y[n]));
    assert.ok(peak <= 0.8e-3, `${f} Hz at 44.1 kHz leaks ${peak} into 16 kHz`);
  }
  // DC passes exactly (each phase's taps sum to one)
  const dc = resampleTo16k(new Float32Array(4410).fill(0.5), 44100);
  for (let n = 200; n < dc.length - 200; n++) assert.ok(Math.abs(dc[n] - 0.5) <= 1e-6, `DC ${dc[n]}`);
});

test('resample: identity at 16 kHz (a copy); ResampleStream in chunks of any size equals the offline resample exactly', () => {
  const x = sine(1000, 16000, 1000);
  const y = resampleTo16k(x, 16000);
  assert.deepEqual(y, x);
  assert.notEqual(y, x);
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const noise = Float32Array.from({ length: 9001 }, () => rand() * 2 - 1);
  for (const [from, to] of [
    [44100, 16000],
    [8000, 16000],
    [48000, 16000],
    [16001, 16000],
    [16000, 16000],
    [22050, 8000],
  ]) {
    const want = resample(noise, from, to);
    for (const sizes of [[1], [7, 128, 3], [4096], [1000, 1, 2, 5000]]) {
      const rs = new ResampleStream(from, to);
      const parts: number[] = [];
      for (let at = 0, k = 0; at < noise.length; k++) {
        const n = sizes[k % sizes.length];
        parts.push(...rs.push(noise.subarray(at, at + n)));
        at += n;
      }
      parts.push(...rs.flush());
      assert.deepEqual(Float32Array.from(parts), want, `${from} → ${to} in chunks of ${sizes}`);
    }
  }
  expectGruError(() => resample(x, 44100.5, 16000), 'INVALID_ARGUMENT', '44100.5');
  expectGruError(() => resample(x, 0, 16000), 'INVALID_ARGUMENT');
  expectGruError(() => resample(x, 44100, 16000, { rolloff: 1.5 }), 'INVALID_ARGUMENT', 'rolloff');
});

test('FeatureStream: chunks of any size give exactly the frames of logMel / mfcc on the whole audio', () => {
  const { samples } = decodeWav(bytesOf('pcm16-stereo-44100.wav'));
  const audio = resampleTo16k(samples, 44100);
  for (const kind of ['logmel', 'mfcc'] as const) {
    const want = kind === 'logmel' ? logMel(audio) : mfcc(audio);
    for (const sizes of [[1], [128], [159, 161, 3], [399, 1], [audio.length], [10, 1000, 37]]) {
      const fs = new FeatureStream({ kind });
      const got: number[] = [];
      let frames = 0;
      for (let at = 0, k = 0; at < audio.length; k++) {
        const n = sizes[k % sizes.length];
        const out = fs.push(audio.subarray(at, at + n));
        assert.equal(out.firstFrame, frames);
        assert.equal(out.numFeatures, want.numFeatures);
        assert.equal(out.frames.length, out.numFrames * out.numFeatures);
        frames += out.numFrames;
        got.push(...out.frames);
        at += n;
      }
      assert.equal(frames, want.numFrames);
      assert.equal(fs.framesEmitted, want.numFrames);
      assert.deepEqual(Float32Array.from(got), want.frames, `${kind} in chunks of ${sizes}`);
    }
  }
  // reset starts again at frame 0; fewer samples than a window give no frame
  const fs = new FeatureStream();
  assert.equal(fs.push(audio.subarray(0, 399)).numFrames, 0);
  assert.equal(fs.push(audio.subarray(399, 400)).numFrames, 1);
  fs.reset();
  assert.equal(fs.push(audio.subarray(0, 560)).firstFrame, 0);
  assert.equal(fs.framesEmitted, 2);
  assert.equal(logMel(new Float32Array(399)).numFrames, 0);
});

test('features: frame count, layout and options', () => {
  const x = sine(1000, 16000, 16000);
  const lm = logMel(x);
  assert.equal(lm.numFrames, 1 + Math.floor((16000 - 400) / 160));
  // a 1 kHz tone: the loudest band of every frame is the one whose triangle peaks nearest 1 kHz
  const best = (i: number) => lm.frames.subarray(i * 40, i * 40 + 40).reduce((bi, v, b, a) => (v > a[bi] ? b : bi), 0);
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const want = Math.round((mel(1000) / mel(8000)) * 41) - 1;
  for (const i of [0, 50, lm.numFrames - 1]) assert.equal(best(i), want);
  const m = mfcc(x, { numCoeffs: 20, numMels: 64, nFft: 1024, winLength: 480, hopLength: 240, fMin: 20, fMax: 7600 });
  assert.equal(m.numFeatures, 20);
  assert.equal(m.numFrames, 1 + Math.floor((16000 - 480) / 240));
  assert.equal(logMel(x, { sampleRate: 8000 }).numFrames, 1 + Math.floor((16000 - 200) / 80));
  for (const [opts, what] of [
    [{ nFft: 500 }, 'power of two'],
    [{ winLength: 600 }, 'winLength'],
    [{ hopLength: 0 }, 'hopLength'],
    [{ fMax: 9000 }, 'fMax'],
    [{ numCoeffs: 41 }, 'numCoeffs'],
    [{ logFloor: 0 }, 'logFloor'],
    [{ melScale: 'bark' }, 'melScale'],
    [{ sampleRate: -1 }, 'sampleRate'],
  ] as const) {
    expectGruError(() => mfcc(x, opts as never), 'INVALID_ARGUMENT', what);
  }
  expectGruError(() => new FeatureStream({ kind: 'spectrogram' as never }), 'INVALID_ARGUMENT', 'kind');
});
