/**
 * The metadata of a forecast model file: its config (with its classical
 * base), normalisation and training data (see tasks/model-schema.ts),
 * checked and bounded; unknown config keys are an error.
 */
import * as z from 'zod';
import { LIMITS, cellSchema, commonMetaShape, finite, integer, normalizationSchema, rate, size, validateMeta } from '../model-schema.js';
import type { TrainingDataRecord } from '../training-data.js';
import type { HeldOutMetrics } from '../model-format.js';
import type { ForecastConfig, SeriesMember } from './model.js';
import type { Normalization } from './series.js';

/** A Holt–Winters base: smoothing in [0, 1], one initial seasonal term per season step (none without a season). */
const holtWintersSchema = z
  .strictObject({
    season: integer(0, LIMITS.length),
    alpha: z.number().min(0).max(1),
    beta: z.number().min(0).max(1),
    gamma: z.number().min(0).max(1),
    level0: finite,
    trend0: finite,
    seasonal0: z.array(finite).max(LIMITS.length),
  })
  .refine((p) => p.seasonal0.length === (p.season > 1 ? p.season : p.seasonal0.length), { message: 'one initial seasonal term per step of the season', path: ['seasonal0'] });

const baseSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('seasonalNaive') }),
  z.strictObject({ method: z.literal('holtWinters'), params: holtWintersSchema, firstDate: finite.nullable() }),
  z.strictObject({ method: z.literal('combination'), params: holtWintersSchema, firstDate: finite.nullable() }),
]);

/** Every field of {@link ForecastConfig}, bounded. */
export const forecastConfigSchema = z.strictObject({
  lookback: size(LIMITS.length),
  horizon: size(LIMITS.length),
  season: integer(0, LIMITS.length),
  frequency: z.union([z.enum(['yearly', 'quarterly', 'monthly', 'weekly', 'daily', 'hourly', 'none']), z.templateLiteral([z.number().int().min(1).max(30), 'min'])], {
    error: "one of 'yearly', 'quarterly', 'monthly', 'weekly', 'daily', 'hourly', 'none' or minutes such as '15min'",
  }),
  column: z.string(),
  dateColumn: z.string({ error: 'a string or null' }).nullable(),
  covariates: z.array(z.string()).max(LIMITS.columns),
  known: z.optional(z.array(z.string()).max(LIMITS.columns)),
  testSize: integer(0, Number.MAX_SAFE_INTEGER),
  hiddenSize: size(LIMITS.width),
  numLayers: size(LIMITS.layers),
  headSize: size(LIMITS.width),
  dropout: rate,
  highway: z.optional(z.boolean()),
  base: z.optional(baseSchema),
  fill: z.optional(z.enum(['linear', 'previous'])),
  cell: z.optional(cellSchema),
  seriesColumn: z.optional(z.string()),
  intervals: z.optional(
    z
      .strictObject({ level: z.number().gt(0).lt(1), lower: z.array(finite).max(LIMITS.length), upper: z.array(finite).max(LIMITS.length) })
      .refine((q) => q.lower.length === q.upper.length, { message: 'as many upper as lower offsets', path: ['upper'] }),
  ),
});

// What the schemas check is part of ForecastConfig / Normalization: a field renamed or retyped there fails to compile here.
type Checked<S extends z.ZodObject> = Pick<z.output<S>, keyof S['shape']>;
const configMatches: Checked<typeof forecastConfigSchema> extends Pick<ForecastConfig, keyof ForecastConfig & keyof typeof forecastConfigSchema.shape> ? true : false = true;
const normalizationMatches: Checked<typeof normalizationSchema> extends Pick<Normalization, keyof Normalization & keyof typeof normalizationSchema.shape> ? true : false = true;
void configMatches;
void normalizationMatches;

/** The entries of a forecast model file; the normalisation has one mean and one deviation per covariate. */
export const forecastMetaSchema = z
  .object({
    config: forecastConfigSchema,
    normalization: normalizationSchema,
    series: z.optional(
      z
        .array(z.strictObject({ id: z.string(), normalization: normalizationSchema, base: z.optional(baseSchema) }))
        .min(1)
        .max(LIMITS.series),
    ),
    ...commonMetaShape,
  })
  .superRefine((m, ctx) => {
    for (const name of m.config.known ?? []) if (!m.config.covariates.includes(name)) ctx.addIssue({ code: 'custom', path: ['config', 'known'], message: `'${name}' is not one of metadata config.covariates` });
    if (!m.config.seriesColumn !== !m.series) ctx.addIssue({ code: 'custom', path: ['series'], message: 'one entry per series exactly when metadata config.seriesColumn is set' });
    if (m.config.intervals && m.config.intervals.lower.length !== m.config.horizon) ctx.addIssue({ code: 'custom', path: ['config', 'intervals', 'lower'], message: `${m.config.horizon} offsets, one per step of metadata config.horizon` });
    const n = m.config.covariates.length;
    for (const key of ['covariateMean', 'covariateStd'] as const) {
      if (m.normalization[key].length !== n) ctx.addIssue({ code: 'custom', path: ['normalization', key], message: `${n} number${n === 1 ? '' : 's'}, one per covariate in metadata config.covariates` });
    }
  });

/** A forecast file's metadata, checked ({@link validateMeta}: a GruError 'INVALID_FILE' naming the file and key otherwise). */
export function validateForecastMeta(path: string, meta: Record<string, unknown>): { config: ForecastConfig; normalization: Normalization; series?: SeriesMember[]; data?: TrainingDataRecord; metrics?: HeldOutMetrics } {
  const m = validateMeta(path, 'forecast', meta, forecastMetaSchema);
  // The checked fields are ForecastConfig's (compile-time check above).
  return { config: m.config as unknown as ForecastConfig, normalization: m.normalization as unknown as Normalization, series: m.series as SeriesMember[] | undefined, data: m.data, metrics: m.metrics };
}
