/**
 * Whole task models to ONNX, one exporter per task; each task's onnx.ts
 * documents its graph's inputs and outputs. `gru export MODEL --onnx FILE`
 * runs them through the task registry.
 */
export { forecasterToOnnx } from './forecast/onnx.js';
export { classifierToOnnx } from './classify/onnx.js';
export { charLMToOnnx } from './lm/onnx.js';
export { seq2seqToOnnx } from './seq2seq/onnx.js';
export { recommenderToOnnx } from './recommend/onnx.js';
