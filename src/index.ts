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
export * from './train/worker.js';
export * from './train/metrics.js';
export * from './tasks/model-file.js';
export * from './tasks/training-data.js';
export * from './tasks/prune-file.js';
export * from './tasks/forecast/calendar.js';
export * from './tasks/forecast/series.js';
export * from './tasks/forecast/model.js';
export * from './tasks/forecast/task.js';
export * from './tasks/forecast/baselines.js';
export * from './tasks/forecast/ridge.js';
export * from './tasks/forecast/intervals.js';
export * from './tasks/classify/model.js';
export * from './tasks/classify/task.js';
export * from './tasks/lm/model.js';
export * from './tasks/lm/task.js';
export * from './data/datasets.js';
export * from './data/email.js';
export * from './tasks/seq2seq/model.js';
export * from './tasks/seq2seq/task.js';
export * from './sparse/index.js';
export * from './errors.js';
