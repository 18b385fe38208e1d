/**
 * What `gru serve` does with each task's model: the JSON body `POST /predict`
 * takes (a JSON Schema the server validates before anything runs), how a
 * body becomes the model's input, and how a batch of inputs is answered.
 *
 * Text classifiers are micro-batched: a batch of texts is one GRU call
 * ({@link classifyTexts}). The other tasks answer one request per model call
 * through their own predict functions (frames classifiers, seq2seq, the
 * character LM, recommenders, forecasters): their inputs differ in ways a
 * padded batch does not cover yet (beam search, sampling, whole series).
 * Keras imports and audio classifiers are not served.
 */
import type { Table } from '../data/csv.js';
import { GruError } from '../errors.js';
import { classifyTexts, type TrainedClassifier } from '../tasks/classify/task.js';
import { classifyFrames } from '../tasks/classify/frames-task.js';
import { translate, type TrainedSeq2Seq } from '../tasks/seq2seq/task.js';
import { generate, type TrainedLM } from '../tasks/lm/task.js';
import { recommendNext, type TrainedRecommender } from '../tasks/recommend/task.js';
import { forecastNext } from '../tasks/forecast/task.js';
import type { Forecaster } from '../tasks/forecast/model.js';

/** A JSON Schema object, as Fastify's validator reads it. */
export type JsonSchema = Record<string, unknown>;

/**
 * A model behind the server. `I` is one request's input, `O` one answer
 * (sent as the response body).
 */
export interface Servable<I = unknown, O = unknown> {
  /** The task's name, as the model file records it. */
  task: string;
  /** The JSON Schema of `POST /predict`'s body. */
  body: JsonSchema;
  /** A body that works, shown in error messages and `/info`. */
  example: Record<string, unknown>;
  /** A validated body as the model's input; a GruError here answers 400. */
  prepare(body: Record<string, unknown>): I;
  /** Answers a batch, one output per input, in order. */
  run(inputs: I[]): O[] | Promise<O[]>;
  /** Whether {@link run} answers a whole batch in one model call; if not, the server sends batches of one. */
  batches: boolean;
  /** What `GET /info` shows of the model. */
  info: Record<string, unknown>;
  /** What runs the model, for `/info` (absent: the gru-ts backend in use). */
  engine?: string;
}

/** One classification: the best label and every label's probability. */
export interface Classification {
  label: string;
  probabilities: Record<string, number>;
}

/** An object schema that takes only the properties listed. */
const object = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({ type: 'object', properties, required, additionalProperties: false });

/** Rejects an empty text or one of only white space (the schema has checked it is a string). */
function nonBlank(text: unknown, field: string): string {
  if (typeof text !== 'string' || text.trim() === '') throw new GruError('INVALID_ARGUMENT', `field '${field}': expected text, got ${text === '' ? 'an empty string' : 'only white space'}`);
  return text;
}

/**
 * A text classifier: `{"text": "…"}` → `{"label", "probabilities"}`,
 * micro-batched. `run` replaces the model call (the load benchmark puts
 * ONNX Runtime there); it must answer as {@link classifyTexts} does.
 */
export function classifyServable(c: TrainedClassifier, run?: (texts: string[]) => Classification[] | Promise<Classification[]>): Servable<string, Classification> {
  const cfg = c.model.config;
  if (cfg.frames) throw new GruError('INVALID_ARGUMENT', `expected a text classifier, got one that reads frames of ${cfg.frames.features} features`);
  return {
    task: 'classify',
    body: object({ text: { type: 'string' } }, ['text']),
    example: { text: 'the text to classify' },
    prepare: (body) => nonBlank(body.text, 'text'),
    run: run ?? ((texts) => classifyTexts(c, texts)),
    batches: true,
    info: { input: 'text', labels: cfg.labels, config: cfg },
  };
}

/** A frames classifier: `{"frames": [[…], …]}` (frames × features, as the data) → label and probabilities, one per call. */
function framesServable(c: TrainedClassifier): Servable<number[][], Classification> {
  const cfg = c.model.config;
  if (cfg.audio) throw new GruError('UNSUPPORTED', 'gru serve does not take audio yet: this classifier reads WAV files (use gru predict --wav)');
  const F = cfg.frames!.features;
  return {
    task: 'classify',
    body: object({ frames: { type: 'array', minItems: 1, items: { type: 'array', minItems: F, maxItems: F, items: { type: 'number' } } } }, ['frames']),
    example: { frames: [Array.from({ length: F }, () => 0)] },
    prepare: (body) => body.frames as number[][],
    run: (inputs) => inputs.map((f) => classifyFrames(c, f)),
    batches: false,
    info: { input: `frames of ${F} features`, labels: cfg.labels, config: cfg },
  };
}

/** Seq2seq: `{"text": "…", "beam"?: k}` → `{"output": [tokens], "attention": [[…]]}`. */
function seq2seqServable(m: TrainedSeq2Seq): Servable<{ text: string; beam: number }, { output: string[]; attention: number[][] }> {
  return {
    task: 'seq2seq',
    body: object({ text: { type: 'string' }, beam: { type: 'integer', minimum: 1, maximum: 64, default: 1 } }, ['text']),
    example: { text: 'source text', beam: 1 },
    prepare: (body) => ({ text: nonBlank(body.text, 'text'), beam: body.beam as number }),
    run: (inputs) =>
      inputs.map(({ text, beam }) => {
        const r = translate(m, text, { beam });
        return { output: r.output, attention: r.attention };
      }),
    batches: false,
    info: { input: 'text', config: m.model.config },
  };
}

interface LMRequest {
  prefix: string;
  steps?: number;
  temperature: number;
  topK: number;
  count: number;
  seed: number;
}

/** The character LM: `{"prefix"?, "steps"?, "temperature"?, "topK"?, "count"?, "seed"?}` → `{"samples": […]}` (the defaults of `gru predict`). */
function lmServable(lm: TrainedLM): Servable<LMRequest, { samples: string[] }> {
  return {
    task: 'lm',
    body: object(
      {
        prefix: { type: 'string', default: '' },
        steps: { type: 'integer', minimum: 1, maximum: lm.model.config.maxLen },
        temperature: { type: 'number', exclusiveMinimum: 0, default: 0.8 },
        topK: { type: 'integer', minimum: 0, default: 0 },
        count: { type: 'integer', minimum: 1, maximum: 100, default: 1 },
        seed: { type: 'integer', minimum: 0, default: 0 },
      },
      [],
    ),
    example: { prefix: 'a', count: 1 },
    prepare: (body) => body as unknown as LMRequest,
    run: (inputs) => inputs.map((o) => ({ samples: generate(lm, o) })),
    batches: false,
    info: { input: 'a prefix to continue', config: lm.model.config },
  };
}

/** A session recommender: `{"clicks": [ids, oldest first], "k"?}` → `{"next": [{item, score}], "ignored": [ids]}`. */
function recommendServable(tr: TrainedRecommender): Servable<{ clicks: string[]; k?: number }, { next: { item: string; score: number }[]; ignored: string[] }> {
  return {
    task: 'recommend',
    body: object({ clicks: { type: 'array', minItems: 1, items: { type: 'string' } }, k: { type: 'integer', minimum: 1, maximum: tr.items.length } }, ['clicks']),
    example: { clicks: tr.items.slice(0, 2), k: 5 },
    prepare: (body) => ({ clicks: body.clicks as string[], k: body.k as number | undefined }),
    run: (inputs) =>
      inputs.map(({ clicks, k }) => {
        const r = recommendNext(tr, clicks, k);
        return { next: r.items, ignored: r.ignored };
      }),
    batches: false,
    info: { input: "a session's clicks", items: tr.items.length, config: tr.model.config },
  };
}

/** A date as `gru predict` prints it: the day alone at midnight UTC. */
const dateLabel = (ms: number) => new Date(ms).toISOString().slice(0, ms % 86_400_000 === 0 ? 10 : 16);

/** A forecaster: `{"rows": [{column: value, …}, …]}`, the history oldest first → `{"dates", "values", "intervals"?}`. */
function forecastServable(model: Forecaster): Servable<Table, { dates: string[] | null; values: number[]; intervals?: { level: number; lower: number[]; upper: number[] } }> {
  const c = model.config;
  const columns = [...(c.dateColumn ? [c.dateColumn] : []), c.column, ...(c.covariates ?? [])];
  return {
    task: 'forecast',
    body: object({ rows: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: { type: ['string', 'number', 'null'] } } } }, ['rows']),
    example: { rows: [Object.fromEntries(columns.map((k) => [k, k === c.dateColumn ? '2024-01-01' : 0]))] },
    prepare(body) {
      // The rows as a table, the way a JSONL file is read: the columns of the first row, missing cells empty.
      const rows = body.rows as Record<string, string | number | null>[];
      const names = Object.keys(rows[0]);
      return { columns: names, rows: rows.map((r) => names.map((k) => (r[k] === undefined || r[k] === null ? '' : String(r[k])))), source: 'the request' };
    },
    run: (inputs) =>
      inputs.map((t) => {
        const r = forecastNext(model, t);
        return { dates: r.dates?.map(dateLabel) ?? null, values: r.values, ...(r.intervals ? { intervals: r.intervals } : {}) };
      }),
    batches: false,
    info: { input: `the last ${c.lookback} or more rows with the columns ${columns.join(', ')}`, config: c },
  };
}

/** The servable of a model loaded through the task registry; a task the server does not take is an error naming those it does. */
export function servableFor(task: string, model: unknown): Servable {
  switch (task) {
    case 'classify': {
      const c = model as TrainedClassifier;
      return (c.model.config.frames ? framesServable(c) : classifyServable(c)) as Servable;
    }
    case 'seq2seq':
      return seq2seqServable(model as TrainedSeq2Seq) as Servable;
    case 'lm':
      return lmServable(model as TrainedLM) as Servable;
    case 'recommend':
      return recommendServable(model as TrainedRecommender) as Servable;
    case 'forecast':
      return forecastServable(model as Forecaster) as Servable;
    default:
      throw new GruError('UNSUPPORTED', `gru serve does not serve '${task}' models yet: expected a classify, seq2seq, lm, recommend or forecast model`);
  }
}
