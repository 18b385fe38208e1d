/**
 * Keras models in gru-ts, browser-safe part: read `.keras`, legacy `.h5`
 * and JSON + `.weights.h5` files from bytes and run them as Keras does.
 * Node's path-taking {@link loadKerasModel} is in load.ts.
 *
 * @module
 */
export { KerasModel, readKerasModel, kerasModelFromConfig, type ReadKerasOptions } from './model.js';
export { parseKerasConfig, toKerasConfig, SUPPORTED_LAYERS as KERAS_SUPPORTED_LAYERS, type ParseConfigOptions as ParseKerasConfigOptions } from './config.js';
export { kerasGruToPyTorch } from './gru.js';
export type { KerasLayer, LayerResult as KerasLayerResult, Mask as KerasMask, Shape as KerasShape } from './layers.js';
export type { KerasModelSpec, KerasLayerSpec, KerasGruSpec, TensorRef as KerasTensorRef } from './spec.js';
