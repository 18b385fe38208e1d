/** The metadata of a language-model file: its config, tokenizer and training data (see tasks/model-schema.ts). */
import * as z from 'zod';
import { LIMITS, cellSchema, commonMetaShape, rate, size, tokenizerSchema, type SameType } from '../model-schema.js';
import type { LMConfig } from './model.js';

/** {@link LMConfig}; keys it does not know are an error. `maxLen` bounds sampling, so it bounds `gru predict`'s work. */
export const lmConfigSchema = z.strictObject({
  embeddingSize: size(LIMITS.width),
  hiddenSize: size(LIMITS.width),
  numLayers: size(LIMITS.layers),
  dropout: rate,
  maxLen: size(LIMITS.length),
  cell: z.optional(cellSchema),
});

const configMatches: SameType<z.output<typeof lmConfigSchema>, LMConfig> = true;
void configMatches;

/** The entries of an lm model file. */
export const lmMetaSchema = z.object({ config: lmConfigSchema, tokenizer: tokenizerSchema, ...commonMetaShape });
