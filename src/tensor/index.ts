export * from './tensor.js';
export * from './random.js';
export * from './init.js';
export * from './csr.js';
export * from './sparse-sequence.js';
