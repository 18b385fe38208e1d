/**
 * WAV decoding: bytes in, mono float samples and the sample rate out. The
 * RIFF/RIFX container, its chunks and the sample unpacking are the work of
 * the `wavefile` package (11.x); this module checks what it found, turns the
 * samples into floats in [−1, 1) and mixes the channels down to one.
 * Browser-safe: it takes bytes, never a path (see ./wav-file.ts for Node).
 * @module
 */
import * as wavefileModule from 'wavefile';
import { GruError } from '../../errors.js';

/** Mono audio: samples (nominally in [−1, 1]) and their rate in hertz. */
export interface MonoAudio {
  /** One channel of samples; stereo and multichannel files are averaged into it. */
  samples: Float32Array;
  /** Samples per second, as the file declares it. */
  sampleRate: number;
}

/** What a decoded WAV file held, besides its samples. */
export interface WavInfo extends MonoAudio {
  /** Channels in the file (mixed down into `samples`). */
  channels: number;
  /** Bits per sample: 8, 16, 24 or 32 for PCM; 32 or 64 for float. */
  bitsPerSample: number;
  /** Sample encoding: signed/unsigned integer PCM or IEEE float. */
  encoding: 'pcm' | 'float';
}

/** The parts of a `wavefile` WaveFile this module reads. */
interface WaveFileLike {
  bitDepth: string;
  fmt: {
    audioFormat: number;
    numChannels: number;
    sampleRate: number;
    blockAlign: number;
    bitsPerSample: number;
    subformat?: number[];
  };
  data: { chunkSize: number; samples: Uint8Array };
  fromBuffer(bytes: Uint8Array, samples?: boolean): void;
  getSamples(interleaved?: boolean, OutputObject?: Float64ArrayConstructor): Float64Array;
}

// `wavefile` is an ES module for bundlers (its "module" field: named export
// WaveFile) and a UMD bundle for Node (its "main": the exports object comes as
// the default export). Take the class from whichever shape arrived.
const wavefileExports = wavefileModule as unknown as { WaveFile?: new () => WaveFileLike; default?: { WaveFile?: new () => WaveFileLike } };
const WaveFile = (wavefileExports.WaveFile ?? wavefileExports.default?.WaveFile) as new () => WaveFileLike;

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'µ-law',
  0x11: 'IMA ADPCM',
  0x55: 'MPEG layer 3',
};

function formatName(code: number): string {
  return FORMAT_NAMES[code] ? `${FORMAT_NAMES[code]} (format code ${code})` : `format code ${code}`;
}

/**
 * Decodes a WAV file to mono float samples and its sample rate.
 *
 * Reads RIFF (little-endian) and RIFX (big-endian) files whose samples are
 * 8-bit unsigned, 16-, 24- or 32-bit signed integer PCM, or 32- or 64-bit
 * IEEE float, plain (`fmt ` format 1 or 3) or WAVE_FORMAT_EXTENSIBLE with a
 * PCM or float sub-format; with any number of channels, averaged into one.
 * Integers scale to [−1, 1) as `x / 2^(bits−1)` (8-bit: `(x − 128) / 128`),
 * as soundfile and librosa read them; floats pass unchanged.
 *
 * @param bytes the whole file (a Node Buffer is a Uint8Array).
 * @param name how errors name the file (a path or a label); 'WAV data' by default.
 * @throws {GruError} `INVALID_FILE` when the bytes are not a WAV file, the
 *   file is truncated or malformed (a data chunk longer than the file, a
 *   partial sample frame, NaN or infinite float samples), or its encoding is
 *   not one of the above (compressed WAV, 12-bit PCM, 16-bit float, RF64, …);
 *   the message names the file and what was found.
 *
 * @example
 * ```ts
 * const { samples, sampleRate } = decodeWav(await readFile('yes.wav'), 'yes.wav');
 * const features = logMel(resampleTo16k(samples, sampleRate));
 * ```
 */
export function decodeWav(bytes: Uint8Array | ArrayBuffer, name = 'WAV data'): WavInfo {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const fail = (what: string, cause?: unknown): never => {
    throw new GruError('INVALID_FILE', `${name}: not a usable WAV file: ${what}`, cause === undefined ? undefined : { cause });
  };
  if (u8.length < 12) fail(`${u8.length} bytes, fewer than a RIFF header's 12`);
  const magic = String.fromCharCode(...u8.subarray(0, 4));
  const kind = String.fromCharCode(...u8.subarray(8, 12));
  if ((magic !== 'RIFF' && magic !== 'RIFX') || kind !== 'WAVE') {
    if (magic === 'RF64') fail('an RF64 (64-bit RIFF) file, which is not supported');
    fail(`expected 'RIFF' … 'WAVE' at the start, found ${JSON.stringify(magic)} … ${JSON.stringify(kind)}`);
  }
  const wav = new WaveFile();
  try {
    wav.fromBuffer(u8);
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e), e);
  }
  const { audioFormat, numChannels: channels, sampleRate, blockAlign, bitsPerSample: bits } = wav.fmt;
  let format = audioFormat;
  if (format === FORMAT_EXTENSIBLE) {
    if (!wav.fmt.subformat || wav.fmt.subformat.length === 0) fail("WAVE_FORMAT_EXTENSIBLE without a sub-format in its 'fmt ' chunk");
    format = wav.fmt.subformat![0];
  }
  if (format !== FORMAT_PCM && format !== FORMAT_FLOAT) fail(`${formatName(format)}; supported are PCM (1) and IEEE float (3)`);
  const encoding = format === FORMAT_PCM ? 'pcm' : 'float';
  const supported = encoding === 'pcm' ? [8, 16, 24, 32] : [32, 64];
  if (!supported.includes(bits)) fail(`${bits}-bit ${encoding === 'pcm' ? 'PCM' : 'float'} samples; supported are 8/16/24/32-bit PCM and 32/64-bit float`);
  if (!Number.isInteger(channels) || channels < 1) fail(`${channels} channels`);
  if (!Number.isFinite(sampleRate) || sampleRate < 1) fail(`a sample rate of ${sampleRate} Hz`);
  const frameBytes = channels * (bits / 8);
  if (blockAlign !== frameBytes) fail(`a block size of ${blockAlign} bytes for ${channels} channel(s) of ${bits}-bit samples (expected ${frameBytes})`);
  const declared = wav.data.chunkSize;
  const held = wav.data.samples.length;
  if (declared > held) fail(`truncated: the 'data' chunk declares ${declared} bytes, the file holds ${held}`);
  if (declared % frameBytes !== 0) fail(`the 'data' chunk's ${declared} bytes are not a whole number of ${frameBytes}-byte sample frames`);
  // The data slice may carry the chunk's pad byte (odd sizes); keep the declared bytes only.
  wav.data.samples = wav.data.samples.subarray(0, declared);
  let raw: Float64Array;
  try {
    raw = wav.getSamples(true, Float64Array);
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e), e);
  }
  // wavefile takes 32-bit samples for floats only under the plain float code (3);
  // under WAVE_FORMAT_EXTENSIBLE it unpacks them as signed 32-bit integers.
  // Those integers carry the floats' bits exactly: reinterpret them.
  if (encoding === 'float' && bits === 32 && wav.bitDepth !== '32f') raw = Float64Array.from(new Float32Array(Int32Array.from(raw).buffer));
  const n = raw.length / channels;
  const samples = new Float32Array(n);
  const scale = encoding === 'float' ? 1 : 1 / 2 ** (bits - 1);
  const offset = encoding === 'pcm' && bits === 8 ? 128 : 0;
  for (let i = 0, k = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += raw[k++];
    samples[i] = (s / channels - offset) * scale;
  }
  if (encoding === 'float') {
    const bad = samples.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`sample ${bad} is ${samples[bad]} (float samples must be finite)`);
  }
  return { samples, sampleRate, channels, bitsPerSample: bits, encoding };
}
