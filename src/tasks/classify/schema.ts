/** The metadata of a classify model file: its config, tokenizer and training data (see tasks/model-schema.ts). */
import * as z from 'zod';
import { LIMITS, cellSchema, commonMetaShape, finite, distinctStrings, rate, size, tokenizerSchema, type SameType } from '../model-schema.js';
import type { ClassifyConfig } from './model.js';

/** {@link ClassifyConfig}; keys it does not know are an error. */
export const classifyConfigSchema = z.strictObject({
  labels: distinctStrings('labels', 2, LIMITS.labels),
  tokenizer: z.optional(z.enum(['word', 'char'])),
  frames: z.optional(
    z
      .strictObject({ features: size(LIMITS.width), mean: z.array(finite).max(LIMITS.width), std: z.array(finite.positive()).max(LIMITS.width) })
      .refine((f) => f.mean.length === f.features && f.std.length === f.features, { message: 'a mean and a std per feature', path: ['mean'] }),
  ),
  audio: z.optional(
    z.strictObject({
      kind: z.enum(['logmel', 'mfcc']),
      numMels: size(1024),
      numCoeffs: z.optional(size(1024)),
      windowFrames: z.optional(size(LIMITS.length)),
      logFloor: z.optional(z.number().positive().max(1e6)),
      task: z.optional(z.strictObject({ words: distinctStrings('words', 1, LIMITS.labels), unknownFraction: z.optional(z.number().min(0).max(10)), silenceFraction: z.optional(z.number().min(0).max(10)) })),
    }),
  ),
  maxLen: size(LIMITS.length),
  embeddingSize: size(LIMITS.width),
  hiddenSize: size(LIMITS.width),
  numLayers: size(LIMITS.layers),
  bidirectional: z.boolean(),
  dropout: rate,
  pooling: z.optional(z.enum(['last', 'attention'])),
  embeddingDropout: z.optional(rate),
  cell: z.optional(cellSchema),
  bagOfWords: z.optional(z.boolean()),
});

const configMatches: SameType<z.output<typeof classifyConfigSchema>, ClassifyConfig> = true;
void configMatches;

/** The entries of a classify model file: a text classifier has a tokenizer of the config's kind; a frames classifier has none. */
export const classifyMetaSchema = z.object({ config: classifyConfigSchema, tokenizer: z.optional(tokenizerSchema), ...commonMetaShape }).superRefine((m, ctx) => {
  if (m.config.frames) {
    if (m.tokenizer || m.config.tokenizer) ctx.addIssue({ code: 'custom', path: ['tokenizer'], message: 'no tokenizer in a frames classifier' });
    if (m.config.embeddingSize !== m.config.frames.features) ctx.addIssue({ code: 'custom', path: ['config', 'embeddingSize'], message: `${m.config.frames.features}, the feature count` });
    return;
  }
  if (!m.tokenizer) {
    ctx.addIssue({ code: 'custom', path: ['tokenizer'], message: 'a tokenizer (or config.frames for a frames classifier)' });
  } else if (m.config.tokenizer !== m.tokenizer.kind) {
    ctx.addIssue({ code: 'custom', path: ['config', 'tokenizer'], message: `'${m.tokenizer.kind}', the kind of metadata tokenizer` });
  }
});
