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
export * from './data/csv.js';
export * from './data/split.js';
export * from './data/tokenizer.js';
export * from './train/trainer.js';
export * from './train/metrics.js';
export * from './models/model-file.js';
export * from './models/forecast/calendar.js';
export * from './models/forecast/series.js';
export * from './models/forecast/model.js';
export * from './models/forecast/task.js';
export * from './models/classify/model.js';
export * from './models/classify/task.js';
export * from './models/lm/model.js';
export * from './models/lm/task.js';
export * from './data/datasets.js';
export * from './data/email.js';
export * from './models/seq2seq/model.js';
export * from './models/seq2seq/task.js';
export * from './sparse/index.js';
