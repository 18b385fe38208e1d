/**
 * gru-ts for browsers (and any bundler): `import { … } from 'gru-ts/browser'`.
 *
 * Everything of the package root that runs without Node: tensors, the
 * kernels registry with the WebAssembly backend ({@link initWasmBackend}
 * compiles wasm/gru.wasm from its bytes or URL; {@link initThreadedWasmBackend}
 * runs wasm/gru-mt.wasm on Web Workers in a cross-origin-isolated page;
 * register it with {@link registerBackend}), autograd, layers, optimizers, safetensors and
 * ONNX as bytes, SVG charts, the tokenizer and metrics, the audio front end
 * (WAV bytes, resampling, log-mel and MFCC features), and the task models
 * (a classifier also from its model file's bytes: classifierFromBytes).
 *
 * Left out, because they need Node or its modules: files (safetensors-file,
 * model files, trainer checkpoints: node:fs), PNG export (@resvg/resvg-js, a
 * native module), the shipped data sets (@stdlib packages read through
 * createRequire), CSV/JSONL tables (csv-parse uses Node's Buffer as it loads)
 * and, through them, the forecasting series and model, and the task runners
 * (train*, load*, which read and write files). test/browser-entry.test.ts
 * walks this file's import graph and fails on any Node module in it.
 * @packageDocumentation
 */
export * from './core.js';
export { initWasmBackend, instantiateWasmBackend, WasmOutOfMemory, type WasmBackend, type WasmSource } from './kernels/wasm/backend.js';
export { initThreadedWasmBackend } from './kernels/wasm/threads.js';
export * from './plot/scale.js';
export * from './plot/line-chart.js';
export * from './plot/heatmap.js';
export * from './plot/panels.js';
export * from './io/keras/index.js';
export * from './data/split.js';
export * from './data/tokenizer.js';
export * from './data/audio/index.js';
export * from './train/metrics.js';
export * from './tasks/forecast/calendar.js';
export * from './tasks/classify/model.js';
export * from './tasks/classify/bytes.js';
export * from './tasks/classify/stream.js';
export * from './data/feature-normalization.js';
export * from './tasks/lm/model.js';
export * from './tasks/seq2seq/model.js';
