/** Optional sparsity: magnitude pruning, CSR × dense kernels and CSR inference for GRU and Linear. */
export * from './prune.js';
export * from './csr-matmul.js';
export * from './sparse-gru.js';
export * from './prune-file.js';
