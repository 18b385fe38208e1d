/**
 * gru-ts: gated recurrent sequence models for Node.js and the browser.
 * The package root for Node: the core (./core.ts: tensors, kernels,
 * autograd, layers, optimizers, safetensors and ONNX as bytes), model files
 * on disk, and the application: data, training, the tasks, pictures.
 * @packageDocumentation
 */
export * from './core.js';
// Node-only parts of the core's layers
export * from './io/safetensors-file.js';
// The application
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
export * from './tasks/classify/baselines.js';
export * from './tasks/classify/frames-task.js';
export * from './tasks/classify/stream.js';
export * from './tasks/classify/bytes.js';
export * from './data/frames.js';
export * from './data/audio-folder.js';
export * from './data/augment.js';
export * from './tasks/lm/model.js';
export * from './tasks/lm/task.js';
export * from './data/datasets.js';
export * from './data/email.js';
export * from './data/audio/index.js';
export * from './data/audio/wav-file.js';
export * from './tasks/seq2seq/model.js';
export * from './tasks/seq2seq/task.js';
export * from './tasks/recommend/index.js';
export * from './tasks/onnx.js';
export * from './io/keras/node.js';
