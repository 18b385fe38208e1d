/**
 * brain.js 2.0 beta, recurrent.GRUTimeStep. It runs one sequence at a time
 * and predicts the next step (no batch, no Dense head): inference runs the
 * B sequences one after another; its training step is one iteration over B
 * sequences — a similar amount of work, not the same model.
 */
import brain from 'brain.js';
import type { Workload } from '../workloads.js';
import { flops, inputs } from '../workloads.js';
import type { Engine, Step } from './engine.js';

export function brainEngine(): Engine {
  return {
    name: 'brain.js',
    family: 'brain.js',
    note: 'brain.js: one sequence at a time, predicts the next step; its training step is not the same model.',
    async prepare(w: Workload): Promise<Step | string> {
      if (flops(w) > 5e9) return 'skipped: minutes per step';
      const { x } = inputs(w);
      const seqs = Array.from({ length: w.B }, (_, b) => Array.from({ length: w.T }, (_, t) => Array.from(x.subarray((b * w.T + t) * w.I, (b * w.T + t + 1) * w.I))));
      const net = new brain.recurrent.GRUTimeStep({ inputSize: w.I, hiddenLayers: [w.H], outputSize: w.I });
      net.train([seqs[0].slice(0, 2)], { iterations: 1, log: false }); // builds the network
      if (w.kind === 'inference')
        return () => {
          for (const s of seqs) net.run(s);
        };
      return () => net.train(seqs, { iterations: 1, log: false });
    },
  };
}
