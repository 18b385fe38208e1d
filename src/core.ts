/**
 * The core of gru-ts: what every program that runs GRUs needs, and nothing
 * that knows a task, a file system or a terminal. Browser-safe by
 * construction: test/layers.test.ts fails when a module reached from here
 * imports one of the application's folders (data, train, tasks, plot, cli)
 * or a Node module.
 *
 * - tensor:   Tensor (Float32Array/Float64Array + shape), seeded Rng, initialisers, CSR matrices
 * - kernels:  the compute contract, its spec, the registry of backends and the ref backend
 * - autograd: the tape (Var, backward, noGrad) and its coarse ops, each forward beside its backward
 * - nn:       Module, Linear, Embedding, GRU (PyTorch names), AttentionGRU, AttentionPool
 * - optim:    SGD, Adam, AdamW, RMSprop, clipping, schedules
 * - io:       safetensors and ONNX as bytes, whole ONNX graphs in (importOnnx) (files: io/safetensors-file.ts, Node only)
 * - sparse:   magnitude pruning, CSR × dense, SparseGRU / SparseLinear
 * - errors:   GruError, the class of every clean rejection
 *
 * The application (src/index.ts adds it for Node; src/browser.ts the parts
 * that run in a browser): data, train, tasks (the task registry), plot, cli.
 * @packageDocumentation
 */
export * from './tensor/index.js';
export * from './kernels/index.js';
export * from './autograd/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './io/safetensors.js';
export * from './io/onnx.js';
export * from './io/onnx-export.js';
export * from './io/onnx-graph.js';
export * from './sparse/index.js';
export * from './errors.js';
