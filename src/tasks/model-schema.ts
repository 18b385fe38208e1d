/**
 * Schemas of model-file metadata (zod), and the check every loader runs
 * before it builds anything: {@link validateMeta}. A file is untrusted
 * input; its configuration decides how much a loader allocates and how long
 * `gru predict` runs, so every size has an upper bound here, and a rejection
 * names the file, the metadata key, the JSON path inside it, what was
 * expected and what came:
 *
 *     model.safetensors: metadata config.hiddenSize: expected an integer from 1 to 16384, got 50000
 *
 * The parts shared by tasks live here (sizes, tokenizer JSON, normalisation,
 * the training-data record); each task's config is in `tasks/<task>/schema.ts`.
 */
import * as z from 'zod';
import { GruError } from '../errors.js';
import type { TokenizerJSON } from '../data/tokenizer.js';
import type { TrainingDataRecord } from './training-data.js';
import type { TaskName } from './model-file.js';
import type { HeldOutMetrics } from './model-format.js';
import { CELL_KINDS, type CellConfig } from '../nn/recurrent.js';

/** Upper bounds of what a model file may ask for; far above any model this library trains, far below what would exhaust a machine. */
export const LIMITS = {
  /** Embedding, hidden, attention and head widths. */
  width: 16384,
  /** Stacked GRU layers. */
  layers: 64,
  /** Tokens in a vocabulary. */
  vocab: 10_000_000,
  /** Classes of a classifier. */
  labels: 100_000,
  /** Sequence lengths a file sets: maxLen, maxTargetLen, lookback, horizon, season. */
  length: 100_000,
  /** Covariate columns of a series. */
  columns: 10_000,
  /** Series of a global forecaster. */
  series: 1_000_000,
} as const;

/** An integer in [min, max]; any failure reads "expected an integer from min to max". */
export function integer(min: number, max: number): z.ZodInt {
  const error = `an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A size: an integer from 1 to `max`. */
export const size = (max: number): z.ZodInt => integer(1, max);

/** A dropout rate: a number in [0, 1). */
export const rate = (() => {
  const error = 'a number from 0 up to (not including) 1';
  return z.number({ error }).min(0, { error }).lt(1, { error });
})();

/** Any finite number. */
export const finite = z.number({ error: 'a finite number' }).finite();

/** A non-negative safe integer (a row count). */
export const count = integer(0, Number.MAX_SAFE_INTEGER);

const RESERVED = ['<pad>', '<unk>', '<bos>', '<eos>'];

/** Strings with no repeats; the message names the first repeat. */
export function distinctStrings(what: string, min: number, max: number) {
  return z
    .array(z.string({ error: 'a string' }), { error: `an array of ${what}` })
    .min(min, { error: `at least ${min} ${what}` })
    .max(max, { error: `at most ${max} ${what}` })
    .superRefine((xs, ctx) => {
      const seen = new Map<string, number>();
      xs.forEach((x, i) => {
        const first = seen.get(x);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: `${what} without repeats (${JSON.stringify(x)} is also at [${first}])` });
        else seen.set(x, i);
      });
    });
}

/** A tokenizer as `Tokenizer.toJSON` writes it: the reserved tokens first, then distinct tokens. */
export const tokenizerSchema = z
  .strictObject({
    kind: z.enum(['word', 'char']),
    lowercase: z.boolean(),
    vocab: distinctStrings('tokens', RESERVED.length, LIMITS.vocab),
  })
  .superRefine((t, ctx) => {
    const k = RESERVED.findIndex((r, i) => t.vocab[i] !== r);
    if (k >= 0) ctx.addIssue({ code: 'custom', path: ['vocab', k], message: `the reserved token ${JSON.stringify(RESERVED[k])} (the vocabulary starts ${RESERVED.join(', ')})` });
  });

/** A forecaster's normalisation (extra keys allowed: the forecaster is growing). */
export const normalizationSchema = z.looseObject({
  scale: z.number().positive(),
  covariateMean: z.array(z.number()).max(LIMITS.columns),
  covariateStd: z.array(z.number().positive()).max(LIMITS.columns),
});

const splitSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('stratified'), seed: z.number(), fractions: z.array(z.number().min(0).max(1)).length(3, { error: 'three fractions (train, validation, test)' }) }),
  z.strictObject({ method: z.literal('shuffled'), seed: z.number(), testFraction: z.number().min(0).max(0.5) }),
  z.strictObject({ method: z.literal('time'), testRows: count }),
  z.strictObject({ method: z.literal('listed'), validation: count, test: count }),
]);

/** The `data` entry ({@link TrainingDataRecord}). */
export const trainingDataSchema = z.strictObject({
  source: z.string(),
  rows: count,
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/, { error: 'a SHA-256 in hex (64 characters 0-9a-f)' }),
  split: splitSchema,
  columns: z.optional(z.record(z.string(), z.string())),
});

/** The `sparsity` entry that `gru prune` adds (checked loosely: loaders do not read it). */
export const sparsitySchema = z.looseObject({ method: z.string(), density: z.number().min(0).max(1) });

/** A task model's recurrent cell ({@link CellConfig}); absent in files of older releases (the GRU). */
export const cellSchema = z
  .strictObject({
    kind: z.enum(CELL_KINDS),
    window: z.optional(integer(0, LIMITS.length)),
    local: z.optional(integer(0, LIMITS.length)),
  })
  .superRefine((c, ctx) => {
    if (c.kind === 'gru' && (c.window || c.local)) ctx.addIssue({ code: 'custom', path: ['window'], message: 'no window or local for the GRU cell' });
    if (c.window && c.local) ctx.addIssue({ code: 'custom', path: ['local'], message: 'one of window and local' });
  });

const cellMatches: SameType<z.output<typeof cellSchema>, CellConfig> = true;
void cellMatches;

/** {@link Provenance}; strings bounded (a file's command line is shown by `gru info`). */
const provenanceSchema = z.strictObject({
  gruTs: z.string().max(64),
  created: z.string().max(64),
  command: z.optional(z.array(z.string().max(4096)).max(256)),
  options: z.optional(z.record(z.string().max(64), z.union([z.string().max(4096), finite, z.boolean(), z.null()]))),
});

/** Names of metrics and settings: short, as the tasks name them ('accuracy', 'recall@20'). */
const metricRecord = z.record(z.string().max(64), finite).refine((r) => Object.keys(r).length <= 64, { error: 'at most 64 entries' });

/** {@link HeldOutMetrics}: the training run's held-out test scores. */
export const heldOutMetricsSchema = z.strictObject({
  examples: count,
  values: metricRecord,
  settings: z.optional(metricRecord),
});

const metricsMatch: SameType<z.output<typeof heldOutMetricsSchema>, HeldOutMetrics> = true;
void metricsMatch;

/** Entries every task's file may have besides its own: `provenance`, `metrics` and `data` (files of older releases lack them) and `sparsity`. */
export const commonMetaShape = {
  provenance: z.optional(provenanceSchema),
  metrics: z.optional(heldOutMetricsSchema),
  data: z.optional(trainingDataSchema),
  sparsity: z.optional(sparsitySchema),
};

/**
 * True when A and B are the same type, keys included (an optional field in
 * one and not the other is a difference mutual assignability misses):
 * `const ok: SameType<z.output<typeof schema>, Config> = true` fails to
 * compile when a schema and the type it checks drift apart.
 */
export type SameType<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;

// The shared schemas produce exactly the library's types.
const tokenizerMatches: SameType<z.output<typeof tokenizerSchema>, TokenizerJSON> = true;
const dataMatches: SameType<z.output<typeof trainingDataSchema>, TrainingDataRecord> = true;
void tokenizerMatches;
void dataMatches;

// ------------------------------------------------------------------ errors

/** A JSON path: `config.hiddenSize`, `tokenizer.vocab[3]`, `config["odd key"]`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

/** A short description of a JSON value, bounded in length and depth (values may be huge or deeply nested). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v.length > 40 ? `the string ${JSON.stringify(v.slice(0, 40))}… (${v.length} characters)` : `the string ${JSON.stringify(v)}`;
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`;
  }
  return typeof v;
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  null: 'null',
  record: 'an object',
};

/** What an issue expected, as a phrase after "expected" (schemas' own `error`s take precedence over this). */
function expected(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      return TYPE_NAMES[iss.expected] ?? `a value of type ${iss.expected}`;
    case 'too_small':
    case 'too_big': {
      const small = iss.code === 'too_small';
      const bound = Number(small ? iss.minimum : iss.maximum);
      if (iss.origin === 'array' || iss.origin === 'set') return `${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return `${small ? 'at least' : 'at most'} ${bound} character${bound === 1 ? '' : 's'}`;
      return `a number ${small ? (iss.inclusive ? '≥' : '>') : iss.inclusive ? '≤' : '<'} ${bound}`;
    }
    case 'invalid_value':
      return iss.values.length === 1 ? show(iss.values[0]) : `one of ${iss.values.map(show).join(', ')}`;
    case 'invalid_union': {
      const options = (iss as { options?: unknown[] }).options;
      return options ? `one of ${options.map(show).join(', ')}` : 'a value of one of the allowed forms';
    }
    case 'invalid_format':
      return `a string of format ${iss.format}`;
    case 'not_multiple_of':
      return `a multiple of ${String(iss.divisor)}`;
    default:
      return 'a valid value';
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, p)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** One issue as a sentence naming the file, the metadata key and path, what was expected and what came. */
function issueMessage(path: string, task: TaskName, meta: Record<string, unknown>, iss: z.core.$ZodIssue): string {
  const where = iss.path.length > 0 ? `metadata ${jsonPath(iss.path)}` : 'metadata';
  if (iss.code === 'unrecognized_keys') {
    const keys = iss.keys.map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `'${k}'` : JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k))).join(', ');
    return `${path}: ${where}: unexpected key${iss.keys.length === 1 ? '' : 's'} ${keys} (not part of a ${task} model of this gru-ts)`;
  }
  const got = valueAt(meta, iss.path);
  const missing = got === undefined ? (iss.path.length === 1 ? ` (a ${task} model file has a '${String(iss.path[0])}' entry)` : ' (the key is missing)') : '';
  return `${path}: ${where}: expected ${iss.message}, got ${describeValue(got)}${missing}`;
}

/**
 * Checks a model file's parsed metadata against `schema` (an object schema
 * of its entries: config, tokenizer, data, …) and returns it typed. Throws a
 * {@link GruError} ('INVALID_FILE') naming the file, the metadata key and the
 * JSON path inside it, what was expected and what came, e.g.
 * `m.safetensors: metadata config.hiddenSize: expected an integer from 1 to 16384, got 50000`
 * (further problems are counted, not listed).
 */
export function validateMeta<S extends z.ZodType>(path: string, task: TaskName, meta: Record<string, unknown>, schema: S): z.output<S> {
  const r = schema.safeParse(meta, { error: expected });
  if (r.success) return r.data;
  const issues = r.error.issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length === 2 ? '' : 's'})` : '';
  throw new GruError('INVALID_FILE', issueMessage(path, task, meta, issues[0]) + more, { cause: r.error });
}
