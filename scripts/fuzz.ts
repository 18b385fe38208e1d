/**
 * `npm run fuzz`: property-based fuzzing (fast-check, seeded) of every reader of outside input — the
 * safetensors and ONNX parsers, CSV and JSONL tables, model files of every task, and the CLI's option
 * parsers. The property: a reader returns, or throws the library's GruError (a clean rejection);
 * anything else (a TypeError, a RangeError, a stack overflow) is a bug, printed with the case that
 * shrinks to it. A case over 2 s, or the process over 2 GB, is a failure too.
 *
 *   npm run fuzz [-- --cases N] [--seed S]      (default: 100,000 cases in all, seed 1)
 *
 * test/hostile-files.test.ts and test/model-file-validation.test.ts run a few thousand such cases in
 * `npm test`.
 */
import * as fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GRU,
  GruError,
  Tensor,
  exportGruToOnnx,
  importOnnxGru,
  loadClassifier,
  loadForecaster,
  loadLM,
  parseCsv,
  parseJsonl,
  parseSafetensors,
  saveClassifier,
  saveForecaster,
  saveLM,
  serializeSafetensors,
  trainClassifier,
  trainForecaster,
  trainLM,
} from '../src/index.js';
import { nonNegativeInt, positiveInt, positiveNumber, probability } from '../src/cli/options.js';
import { dailySeries, labelledTexts } from '../test/helpers/synthetic.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const total = arg('--cases', 100_000);
const seed = arg('--seed', 1);

/** Byte edits of a valid file: flip a bit, overwrite, insert or delete bytes (positions as fractions of the length). */
const edits = fc.array(
  fc.record({
    op: fc.integer({ min: 0, max: 3 }),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    byte: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x22, 0x2c, 0x3a, 0x5b, 0x5d, 0x7b, 0x7d), fc.integer({ min: 0, max: 255 })),
    n: fc.integer({ min: 1, max: 8 }),
  }),
  { minLength: 1, maxLength: 4 },
);

function applyEdits(src: Uint8Array, es: { op: number; at: number; byte: number; n: number }[]): Uint8Array {
  let b = Array.from(src);
  for (const e of es) {
    const at = Math.floor(e.at * b.length);
    if (e.op === 0 && at < b.length) b[at] ^= 1 << (e.n % 8);
    else if (e.op === 1 && at < b.length) b[at] = e.byte;
    else if (e.op === 2) b.splice(at, 0, ...Array(e.n).fill(e.byte));
    else b = b.slice(0, at).concat(b.slice(at + e.n));
  }
  return Uint8Array.from(b);
}

/** Runs `read` and says whether it rejected cleanly; rethrows anything that is not a GruError. */
function clean(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch (e) {
    if (e instanceof GruError) return true;
    throw e;
  }
}

// Each target's property, its argument types erased: fc.check runs any of them alike.
interface Target {
  name: string;
  share: number;
  property: (check: (read: () => unknown) => boolean) => fc.IProperty<any>;
}

const dir = mkdtempSync(join(tmpdir(), 'gru-fuzz-'));
const file = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

// Valid inputs to mutate.
const safetensors = serializeSafetensors({ 'gru.weight_ih_l0': new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]), bias: new Tensor(Float64Array.from([0.5]), [1]) }, { format: 'gru-ts', config: '{"hiddenSize":1}' });
const onnx = exportGruToOnnx(new GRU({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, seed: 5 }), { initialState: true, lengths: true });
const quiet = { epochs: 1, onEvent: () => {} };
const models = {
  classify: (() => {
    const p = join(dir, 'c.safetensors');
    saveClassifier(trainClassifier(labelledTexts(60), { hiddenSize: 4, embeddingSize: 4, ...quiet }), p);
    return { path: p, load: loadClassifier };
  })(),
  lm: (() => {
    const p = join(dir, 'l.safetensors');
    saveLM(
      trainLM(
        ['anna', 'bob', 'carla', 'dave', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon', 'kim', 'lou'].flatMap((n) => [n, n + 'a']),
        { hiddenSize: 4, embeddingSize: 4, ...quiet },
      ),
      p,
    );
    return { path: p, load: loadLM };
  })(),
  forecast: (() => {
    const p = join(dir, 'f.safetensors');
    saveForecaster(trainForecaster(dailySeries(120), { column: 'value', lookback: 7, horizon: 2, testSize: 14, hiddenSize: 4, headSize: 4, ...quiet }).model, p);
    return { path: p, load: loadForecaster };
  })(),
};
const modelBytes = Object.fromEntries(Object.entries(models).map(([k, m]) => [k, new Uint8Array(readFileSync(m.path))]));

const targets: Target[] = [
  { name: 'safetensors bytes', share: 0.25, property: (check) => fc.property(edits, (es) => check(() => parseSafetensors(applyEdits(safetensors, es)))) },
  { name: 'ONNX bytes', share: 0.2, property: (check) => fc.property(edits, (es) => check(() => importOnnxGru(applyEdits(onnx, es)))) },
  {
    name: 'CSV text',
    share: 0.15,
    property: (check) =>
      fc.property(fc.array(fc.array(fc.oneof(fc.string(), fc.constantFrom('"', '""', ',', '\n', '\r\n', '1e308', 'NaN', '-0')), { maxLength: 6 }), { maxLength: 8 }), (rows) =>
        check(() => parseCsv(rows.map((r) => r.join(',')).join('\n'), 'fuzz.csv')),
      ),
  },
  {
    name: 'JSONL text',
    share: 0.15,
    property: (check) => fc.property(fc.array(fc.oneof(fc.json(), fc.string(), fc.constantFrom('[[[[[[', '{"a":', '{}', 'null')), { maxLength: 6 }), (lines) => check(() => parseJsonl(lines.join('\n'), 'fuzz.jsonl'))),
  },
  ...Object.entries(models).map(
    ([task, m]): Target => ({
      name: `${task} model file`,
      share: 0.05,
      property: (check) => fc.property(edits, (es) => check(() => m.load(file(`mutated-${task}.safetensors`, applyEdits(modelBytes[task], es))))),
    }),
  ),
  {
    name: 'CLI option parsers',
    share: 0.1,
    property: (check) =>
      fc.property(
        fc.oneof(fc.string(), fc.double().map(String), fc.integer().map(String), fc.constantFrom('', ' ', '1e308', '-0', '0x10', 'Infinity', '1.5', '007')),
        fc.constantFrom(positiveInt, nonNegativeInt, positiveNumber, probability),
        (v, parse) =>
          check(() => {
            try {
              const n = parse(v);
              if (!Number.isFinite(n)) throw new Error(`accepted '${v}' as ${n}`);
            } catch (e) {
              if ((e as Error).name === 'InvalidArgumentError' || e instanceof GruError) return; // commander's clean rejection
              throw e;
            }
          }),
      ),
  },
];

let cases = 0,
  failures = 0;
const t0 = performance.now();
for (const t of targets) {
  const runs = Math.round(total * t.share);
  let slowest = 0;
  const check = (read: () => unknown): boolean => {
    const s = performance.now();
    const ok = clean(read);
    const ms = performance.now() - s;
    slowest = Math.max(slowest, ms);
    // The limits per case: a reader's time and the process's memory stay bounded whatever the input.
    if (ms > 2000) throw new Error(`one case took ${ms.toFixed(0)} ms (limit 2,000)`);
    if (process.memoryUsage().rss > 2 * 2 ** 30) throw new Error(`memory reached ${(process.memoryUsage().rss / 2 ** 30).toFixed(1)} GB (limit 2)`);
    return ok;
  };
  const r = fc.check(t.property(check), { numRuns: runs, seed, endOnFailure: false });
  cases += r.numRuns;
  if (r.failed) failures++;
  const mb = process.memoryUsage().rss / 2 ** 20;
  console.log(
    `${t.name.padEnd(20)} ${String(r.numRuns).padStart(7)} cases  ${r.failed ? `FAILED: ${fc.defaultReportMessage(r)?.split('\n').slice(0, 6).join(' | ')}` : 'all clean'}  (slowest case ${slowest.toFixed(1)} ms, rss ${mb.toFixed(0)} MB)`,
  );
}
rmSync(dir, { recursive: true, force: true });
console.log(`${cases} cases in ${((performance.now() - t0) / 1000).toFixed(0)} s, seed ${seed}: ${failures} reader${failures === 1 ? '' : 's'} failed`);
process.exitCode = failures ? 1 : 0;
