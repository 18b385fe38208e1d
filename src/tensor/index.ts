export * from './tensor.js';
export * from './random.js';
export * from './init.js';
