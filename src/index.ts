/**
 * gru-ts: gated recurrent sequence models for Node.js and the browser.
 * @packageDocumentation
 */
export * from './tensor/index.js';
export * from './kernels/index.js';
export * from './autograd/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './io/onnx.js';
export * from './io/safetensors.js';
export * from './io/safetensors-file.js';
export * from './io/onnx-export.js';
export * from './plot/index.js';
