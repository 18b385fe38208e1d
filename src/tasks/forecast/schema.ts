/**
 * The metadata of a forecast model file: its config, normalisation and
 * training data (see tasks/model-schema.ts). The forecaster is growing, so
 * keys these schemas do not know pass through (a newer field loads); the
 * ones they know are checked and bounded.
 */
import * as z from 'zod';
import { LIMITS, commonMetaShape, integer, normalizationSchema, rate, size, validateMeta } from '../model-schema.js';
import type { TrainingDataRecord } from '../training-data.js';
import type { ForecastConfig } from './model.js';
import type { Normalization } from './series.js';

/** The fields of {@link ForecastConfig} a loader needs, bounded; other keys pass through. */
export const forecastConfigSchema = z.looseObject({
  lookback: size(LIMITS.length),
  horizon: size(LIMITS.length),
  season: integer(0, LIMITS.length),
  frequency: z.enum(['hourly', 'daily', 'weekly', 'monthly', 'none']),
  column: z.string(),
  dateColumn: z.string({ error: 'a string or null' }).nullable(),
  covariates: z.array(z.string()).max(LIMITS.columns),
  testSize: integer(0, Number.MAX_SAFE_INTEGER),
  hiddenSize: size(LIMITS.width),
  numLayers: size(LIMITS.layers),
  headSize: size(LIMITS.width),
  dropout: rate,
  highway: z.optional(z.boolean()),
});

// What the schemas check is part of ForecastConfig / Normalization: a field renamed or retyped there fails to compile here.
type Checked<S extends z.ZodObject> = Pick<z.output<S>, keyof S['shape']>;
const configMatches: Checked<typeof forecastConfigSchema> extends Pick<ForecastConfig, keyof ForecastConfig & keyof typeof forecastConfigSchema.shape> ? true : false = true;
const normalizationMatches: Checked<typeof normalizationSchema> extends Pick<Normalization, keyof Normalization & keyof typeof normalizationSchema.shape> ? true : false = true;
void configMatches;
void normalizationMatches;

/** The entries of a forecast model file; the normalisation has one mean and one deviation per covariate. */
export const forecastMetaSchema = z
  .object({ config: forecastConfigSchema, normalization: normalizationSchema, ...commonMetaShape })
  .superRefine((m, ctx) => {
    const n = m.config.covariates.length;
    for (const key of ['covariateMean', 'covariateStd'] as const) {
      if (m.normalization[key].length !== n) ctx.addIssue({ code: 'custom', path: ['normalization', key], message: `${n} number${n === 1 ? '' : 's'}, one per covariate in metadata config.covariates` });
    }
  });

/** A forecast file's metadata, checked ({@link validateMeta}: a GruError 'INVALID_FILE' naming the file and key otherwise). */
export function validateForecastMeta(path: string, meta: Record<string, unknown>): { config: ForecastConfig; normalization: Normalization; data?: TrainingDataRecord } {
  const m = validateMeta(path, 'forecast', meta, forecastMetaSchema);
  // The checked fields are ForecastConfig's (compile-time check above); fields this schema does not know came through as they were.
  return { config: m.config as unknown as ForecastConfig, normalization: m.normalization as unknown as Normalization, data: m.data };
}
