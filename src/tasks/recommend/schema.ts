/** The metadata of a recommend model file: config, item ids, how the log was read and split (see tasks/model-schema.ts). */
import * as z from 'zod';
import { LIMITS, cellSchema, commonMetaShape, distinctStrings, integer, rate, size, type SameType } from '../model-schema.js';
import type { RecommenderConfig } from './model.js';
import { CLICK_FORMATS, type PreprocessSettings, type ReadSettings } from './clicks.js';
import { ITEM_LOSSES } from './loss.js';

/** {@link RecommenderConfig}; keys it does not know are an error. */
export const recommenderConfigSchema = z.strictObject({
  items: size(LIMITS.vocab),
  embeddingSize: integer(0, LIMITS.width),
  hiddenSize: size(LIMITS.width),
  numLayers: size(LIMITS.layers),
  dropout: rate,
  loss: z.enum(ITEM_LOSSES),
  nSample: integer(0, LIMITS.vocab),
  sampleAlpha: z.number().min(0).max(10),
  logQ: z.number().min(0).max(10),
  bpreg: z.number().min(0).max(1000),
  cell: z.optional(cellSchema),
});

const readSettingsSchema = z.strictObject({
  format: z.enum(CLICK_FORMATS),
  columns: z.strictObject({ session: z.string().max(1000), item: z.string().max(1000), time: z.string().max(1000) }),
  delimiter: z.string().min(1).max(10).nullable(),
});

const preprocessSchema = z.strictObject({
  minSessionLength: integer(2, LIMITS.length),
  minItemSupport: integer(1, Number.MAX_SAFE_INTEGER),
  testDays: z.number().positive().max(1e5),
  validationDays: z.number().min(0).max(1e5),
});

const configMatches: SameType<z.output<typeof recommenderConfigSchema>, RecommenderConfig> = true;
const readMatches: SameType<z.output<typeof readSettingsSchema>, ReadSettings> = true;
const preprocessMatches: SameType<z.output<typeof preprocessSchema>, PreprocessSettings> = true;
void configMatches;
void readMatches;
void preprocessMatches;

/** The entries of a recommend model file; `items` holds one id per scored item, in the model's order. */
export const recommendMetaSchema = z
  .object({
    config: recommenderConfigSchema,
    items: distinctStrings('item ids', 1, LIMITS.vocab),
    reading: readSettingsSchema,
    preprocessing: preprocessSchema,
    ...commonMetaShape,
  })
  .superRefine((m, ctx) => {
    if (m.items.length !== m.config.items) ctx.addIssue({ code: 'custom', path: ['items'], message: `${m.config.items} item ids (config.items)` });
  });
