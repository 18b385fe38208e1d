/** TensorFlow.js (wasm SIMD or plain JS cpu backend): Keras GRU with sigmoid gates. tfjs has no reset_after, so it computes the Cho/ONNX-default form (same products, same FLOPs). */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { Workload } from '../workloads.js';
import { flops, inputs } from '../workloads.js';
import type { Engine, Step } from './engine.js';

export function tfjsEngine(backendName: 'wasm' | 'cpu'): Engine {
  let model: tf.LayersModel | null = null;
  const held: tf.Tensor[] = [];
  return {
    name: `tfjs ${backendName}`,
    family: `tfjs-${backendName}`,
    note: backendName === 'wasm' ? 'tfjs wasm runs single-threaded under Node.' : undefined,
    async prepare(w: Workload): Promise<Step | string> {
      if (backendName === 'cpu' && flops(w) > 5e9) return 'skipped: minutes per step';
      await tf.setBackend(backendName);
      await tf.ready();
      const { x, y } = inputs(w);
      const xt = tf.tensor3d(x, [w.B, w.T, w.I]);
      held.push(xt);
      const gru = tf.layers.gru({ units: w.H, inputShape: [w.T, w.I], recurrentActivation: 'sigmoid', returnSequences: w.kind === 'inference' });
      if (w.kind === 'inference') {
        model = tf.sequential({ layers: [gru] });
        return () => {
          const out = model!.predict(xt) as tf.Tensor;
          out.dataSync();
          out.dispose();
        };
      }
      model = tf.sequential({ layers: [gru, tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
      const yt = tf.tensor2d(y, [w.B, 1]);
      held.push(yt);
      return () => model!.trainOnBatch(xt, yt);
    },
    release() {
      model?.dispose();
      model = null;
      for (const t of held.splice(0)) t.dispose();
    },
  };
}
