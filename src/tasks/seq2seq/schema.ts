/** The metadata of a seq2seq model file: its config, both tokenizers and training data (see tasks/model-schema.ts). */
import * as z from 'zod';
import { LIMITS, commonMetaShape, rate, size, tokenizerSchema, type SameType } from '../model-schema.js';
import type { Seq2SeqConfig } from './model.js';

/** {@link Seq2SeqConfig}; keys it does not know are an error. `maxTargetLen` bounds decoding, so it bounds `gru predict`'s work. */
export const seq2seqConfigSchema = z.strictObject({
  attention: z.enum(['bahdanau', 'luong']),
  embeddingSize: size(LIMITS.width),
  encoderSize: size(LIMITS.width),
  encoderLayers: z.optional(size(LIMITS.layers)),
  decoderSize: size(LIMITS.width),
  attentionSize: size(LIMITS.width),
  maxTargetLen: size(LIMITS.length),
  dropout: z.optional(rate),
  rightToLeft: z.optional(z.boolean()),
});

const configMatches: SameType<z.output<typeof seq2seqConfigSchema>, Seq2SeqConfig> = true;
void configMatches;

/** The entries of a seq2seq model file. */
export const seq2seqMetaSchema = z.object({ config: seq2seqConfigSchema, sourceTokenizer: tokenizerSchema, targetTokenizer: tokenizerSchema, ...commonMetaShape });
