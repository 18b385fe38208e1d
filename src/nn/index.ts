export * from './module.js';
export * from './linear.js';
export * from './embedding.js';
export * from './gru.js';
export * from './attention-pool.js';
export * from './attention-gru.js';
export * from './attention-gru-stack.js';
export * from './recurrent.js';
