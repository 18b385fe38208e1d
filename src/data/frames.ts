/**
 * Labelled sequences of numeric feature vectors ("frames"): sensor
 * readings, activity traces, precomputed speech features. Read from JSON
 * Lines, one sequence a line: `{"frames": [[f_1 … f_F], …], "label": "…"}`
 * (field names configurable), any number of frames per sequence, the same F
 * in every frame of the file.
 */
import { parseJsonlObjects } from './csv.js';

export * from './feature-normalization.js';
import { GruError } from '../errors.js';

export interface FrameSequences {
  /** Features per frame. */
  features: number;
  /** Each sequence row-major (frames × features). */
  sequences: Float32Array[];
  labels: string[];
  /** Where they came from (errors and the model file name it). */
  source: string;
  /** The JSONL fields read, by role (recorded in the model file, so eval reads the same fields). */
  fields?: { frames: string; label: string };
}

/** Reads frame sequences from JSON Lines text; an error names the line and the field at fault. `labelOptional`: records without a label get '' (for prediction). */
export function framesFromJsonl(text: string, source: string, o: { framesField?: string; labelField?: string; labelOptional?: boolean } = {}): FrameSequences {
  const ff = o.framesField ?? 'frames',
    lf = o.labelField ?? 'label';
  const sequences: Float32Array[] = [],
    labels: string[] = [];
  let features = -1;
  for (const { line, value } of parseJsonlObjects(text, source)) {
    const at = `${source}: line ${line}`;
    const frames = value[ff],
      unlabelled = o.labelOptional === true && value[lf] === undefined,
      label = unlabelled ? '' : value[lf];
    if (!Array.isArray(frames))
      throw new GruError(
        'INVALID_DATA',
        `${at}: expected "${ff}" to be an array of frames (arrays of numbers), got ${describe(frames)}${frames === undefined ? ` (fields: ${Object.keys(value).join(', ')}; --frames-field names another)` : ''}`,
      );
    if (frames.length === 0) throw new GruError('INVALID_DATA', `${at}: "${ff}" is empty; a sequence needs at least one frame`);
    if (!unlabelled && typeof label !== 'string' && typeof label !== 'number')
      throw new GruError('INVALID_DATA', `${at}: expected "${lf}" to be a string or number, got ${describe(label)}${label === undefined ? ` (fields: ${Object.keys(value).join(', ')}; --label-field names another)` : ''}`);
    if (!unlabelled && String(label).trim() === '') throw new GruError('INVALID_DATA', `${at}: empty "${lf}"`);
    if (features < 0) {
      if (!Array.isArray(frames[0]) || frames[0].length === 0) throw new GruError('INVALID_DATA', `${at}: frame 1 must be a non-empty array of numbers, got ${describe(frames[0])}`);
      features = frames[0].length;
    }
    const seq = new Float32Array(frames.length * features);
    frames.forEach((f: unknown, t: number) => {
      if (!Array.isArray(f) || f.length !== features) throw new GruError('INVALID_DATA', `${at}: frame ${t + 1} must be an array of ${features} numbers (as the file's first frame), got ${describe(f)}`);
      for (let k = 0; k < features; k++) {
        const v = f[k];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new GruError('INVALID_DATA', `${at}: frame ${t + 1}, feature ${k + 1}: expected a finite number, got ${JSON.stringify(v) ?? String(v)}`);
        seq[t * features + k] = v;
      }
    });
    sequences.push(seq);
    labels.push(String(label));
  }
  return { features, sequences, labels, source, fields: { frames: ff, label: lf } };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return JSON.stringify(v)?.slice(0, 40) ?? String(v);
}
