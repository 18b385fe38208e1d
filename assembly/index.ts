/**
 * The wasm backend's module: WebAssembly SIMD kernels (f32x4), no runtime
 * allocation. The JS loader (src/kernels/wasm) owns the linear memory above
 * heapBase() as a bump arena: it copies inputs in, passes byte addresses and
 * a scratch block (sized by the *WorkBytes exports), and copies outputs out.
 * Each kernel export is named as its spec in src/kernels/spec.ts and takes
 * that spec's fields in order (arrays as byte addresses, 0 for null), then
 * `work` where it has a <name>WorkBytes(dims…, nt) export, then (tid, nt,
 * sync) where the spec is threaded.
 */
export { gemm, gemmWorkBytes } from './gemm';
export { gruForward, gruForwardWorkBytes, gruBackward, gruBackwardWorkBytes } from './gru';
export { unaryForward, vexp, vsigmoid, vtanh } from './math';
export { attentionForward, attentionForwardWorkBytes, attentionBackward, attentionBackwardWorkBytes } from './attention';
export { adamUpdate } from './optim';
export { softmaxCrossEntropyForward } from './loss';
export { barrierMaySleep } from './threads';

/** The kernel ABI this module was built for; the loader refuses a module whose number differs. */
export function kernelAbi(): i32 {
  // @ts-ignore: KERNEL_ABI of src/kernels/spec.ts, a constant given by scripts/build-wasm.mjs (asc --use KERNEL_ABI=n)
  return KERNEL_ABI;
}

/** 1 in the relaxed-simd build (fused multiply-adds), 0 in the plain SIMD one. */
export function relaxedSimd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** First byte the loader may use. */
export function heapBase(): usize {
  return __heap_base;
}
