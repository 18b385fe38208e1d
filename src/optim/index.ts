export * from './sgd.js';
export * from './adam.js';
export * from './clip.js';
