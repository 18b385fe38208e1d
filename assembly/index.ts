/**
 * The wasm backend's module: WebAssembly SIMD kernels (f32x4), no runtime
 * allocation. The JS loader (src/kernels/wasm) owns the linear memory above
 * heapBase() as a bump arena: it copies inputs in, passes byte addresses and
 * a scratch block (sized by the *WorkBytes exports), and copies outputs out.
 */
export { sgemm, sgemmPart, sgemmWorkBytes } from './gemm';
export { gruForward, gruForwardWorkBytes, gruBackward, gruBackwardWorkBytes } from './gru';
export { vexp, vsigmoid, vtanh } from './math';
export { attentionForward, attentionBackward, attentionWorkBytes, attentionVersion } from './attention';
export { adamUpdate } from './optim';
export { softmaxCrossEntropyForward } from './loss';
export { barrierMaySleep } from './threads';

/** 1 in the relaxed-simd build (fused multiply-adds), 0 in the plain SIMD one. */
export function relaxedSimd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** First byte the loader may use. */
export function heapBase(): usize {
  return __heap_base;
}
