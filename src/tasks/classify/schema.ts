/** The metadata of a classify model file: its config, tokenizer and training data (see tasks/model-schema.ts). */
import * as z from 'zod';
import { LIMITS, cellSchema, commonMetaShape, distinctStrings, rate, size, tokenizerSchema, type SameType } from '../model-schema.js';
import type { ClassifyConfig } from './model.js';

/** {@link ClassifyConfig}; keys it does not know are an error. */
export const classifyConfigSchema = z.strictObject({
  labels: distinctStrings('labels', 2, LIMITS.labels),
  tokenizer: z.enum(['word', 'char']),
  maxLen: size(LIMITS.length),
  embeddingSize: size(LIMITS.width),
  hiddenSize: size(LIMITS.width),
  numLayers: size(LIMITS.layers),
  bidirectional: z.boolean(),
  dropout: rate,
  pooling: z.optional(z.enum(['last', 'attention'])),
  embeddingDropout: z.optional(rate),
  cell: z.optional(cellSchema),
});

const configMatches: SameType<z.output<typeof classifyConfigSchema>, ClassifyConfig> = true;
void configMatches;

/** The entries of a classify model file; the config's tokenizer kind must be the tokenizer's. */
export const classifyMetaSchema = z
  .object({ config: classifyConfigSchema, tokenizer: tokenizerSchema, ...commonMetaShape })
  .superRefine((m, ctx) => {
    if (m.config.tokenizer !== m.tokenizer.kind) {
      ctx.addIssue({ code: 'custom', path: ['config', 'tokenizer'], message: `'${m.tokenizer.kind}', the kind of metadata tokenizer` });
    }
  });
