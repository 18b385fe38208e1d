// What the demo page (main.ts) leaves in window.__gruResult; test/browser.test.ts reads it.
// No DOM types here, so that the Node tests can import it.

/** What the page found; read by test/browser.test.ts. */
export interface GruBrowserResult {
  ok: true;
  userAgent: string;
  /** The engine validates a WebAssembly SIMD (v128) function. */
  simd: boolean;
  /** The relaxed-simd build (fused multiply-adds) was used: this browser validates it. */
  relaxedSimd: boolean;
  wasmBytes: number;
  backends: string[];
  parity: {
    shape: { T: number; B: number; I: number; H: number; numLayers: number; bidirectional: boolean };
    /** Largest |wasm − ref| over output, hN and every parameter gradient. */
    maxAbsDiff: number;
    /** Largest |wasm − ref| / max(1, |ref|), as the Node parity tests measure it. */
    maxRelDiff: number;
    /** The same, per compared array. */
    perArray: Record<string, number>;
    /** Backend in use (backend().name) during each run. */
    backendUsed: { wasm: string; ref: string };
  };
  training: {
    steps: number;
    /** Loss before each step, wasm backend. */
    losses: number[];
    /** The same run on ref. */
    refLosses: number[];
    initialLoss: number;
    finalLoss: number;
    msPerStepWasm: number;
    msPerStepRef: number;
    backendUsed: string;
  };
  /** The trained GRU (training, wasm) as ONNX and safetensors bytes, each read back into a GRU. */
  exported: {
    onnxBytes: number;
    safetensorsBytes: number;
    /** Largest |output difference| of the re-imported GRU on the training inputs. */
    onnxMaxDiff: number;
    safetensorsMaxDiff: number;
  };
  /** Length of the loss chart's SVG (drawn by the library's lineChart). */
  lossChartBytes: number;
  speed: {
    shape: { T: number; B: number; I: number; H: number };
    msWasm: number;
    msRef: number;
    speedup: number;
    /** With threads: the same pass on one thread, and the largest difference of its output from the threads' output. */
    oneThread: { ms: number; maxDiff: number } | null;
  };
  /** Threads the wasm backend ran on (1 unless the page is cross-origin isolated). */
  threads: number;
  crossOriginIsolated: boolean;
  /** Calls into the wasm backend object (counted by a proxy around it). */
  wasmCalls: Record<string, number>;
  /** Linear memory the wasm arena has used (0 would mean its kernels never ran). */
  wasmMemoryBytes: number;
  totalMs: number;
}
