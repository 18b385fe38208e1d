/** Optional sparsity: magnitude pruning, CSR × dense kernels and CSR inference for GRU and Linear (pruning a model file: tasks/prune-file.ts). */
export * from './prune.js';
export * from './csr-matmul.js';
export * from './sparse-gru.js';
