/** ONNX Runtime (onnxruntime-node, native CPU) on our exported GRU: inference only. */
import ort from 'onnxruntime-node';
import { GRU, exportGruToOnnx } from '../../src/index.js';
import type { Workload } from '../workloads.js';
import { inputs } from '../workloads.js';
import type { Engine, Step } from './engine.js';

export function onnxRuntimeEngine(threads: number): Engine {
  return {
    name: `onnxruntime ×${threads}`,
    family: `onnxruntime-x${threads}`,
    async prepare(w: Workload): Promise<Step | string> {
      if (w.kind !== 'inference') return 'inference only';
      const gru = new GRU({ inputSize: w.I, hiddenSize: w.H, batchFirst: true, seed: 1 });
      const session = await ort.InferenceSession.create(exportGruToOnnx(gru), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const feeds = { input: new ort.Tensor('float32', inputs(w).x, [w.B, w.T, w.I]) };
      return () => session.run(feeds);
    },
  };
}
