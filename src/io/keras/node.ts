/** Keras models in gru-ts for Node: the browser-safe API plus {@link loadKerasModel}. @module */
export * from './index.js';
export { loadKerasModel, type LoadKerasOptions } from './load.js';
