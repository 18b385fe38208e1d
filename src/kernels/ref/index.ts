/**
 * The reference kernels: plain TypeScript loops, the readable truth every fast
 * backend must match. The registry (../registry.ts) makes them the `ref`
 * backend and runs them wherever a fast kernel is missing or declines.
 */
import type { Backend } from '../backend.js';
import { gemm } from './gemm.js';
import { gruBackward, gruForward } from './gru.js';
import * as ew from './elementwise.js';
import { attentionBackward, attentionForward } from './attention.js';
import { adamUpdate } from './optim.js';

export const refKernels: Omit<Backend, 'name' | 'setThreads' | 'threads'> = {
  gemm,
  addBias: ew.addBias,
  addBiasBackward: ew.addBiasBackward,
  unaryForward: ew.unaryForward,
  unaryBackward: ew.unaryBackward,
  softmaxCrossEntropyForward: ew.softmaxCrossEntropyForward,
  softmaxCrossEntropyBackward: ew.softmaxCrossEntropyBackward,
  embeddingForward: ew.embeddingForward,
  embeddingBackward: ew.embeddingBackward,
  gruForward,
  gruBackward,
  attentionForward,
  attentionBackward,
  adamUpdate,
};
