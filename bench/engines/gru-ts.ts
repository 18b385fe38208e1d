/** gru-ts on one backend: GRU.forward for inference; GRU → Linear → MSE → Adam for a training step. */
import { Adam, GRU, Linear, Tensor, backend, backward, constant, mseLoss, noGrad, setBackend, sliceRows } from '../../src/index.js';
import type { Workload } from '../workloads.js';
import { flops, inputs } from '../workloads.js';
import type { Engine, Step } from './engine.js';

export function gruTsEngine(backendName: string, threads?: number): Engine {
  let relaxed: boolean | undefined; // the wasm build prepare() found
  return {
    name: `gru-ts ${backendName}${threads ? ` ×${threads}` : ''}`,
    family: `gru-ts-${backendName}`,
    get note() {
      if (backendName !== 'wasm' || threads !== 1 || relaxed === undefined) return undefined;
      return `gru-ts wasm ran its ${relaxed ? 'relaxed-simd build (fused multiply-add; Node 22+ and browsers, Node 20 with --experimental-wasm-relaxed-simd)' : 'plain SIMD build (this Node does not validate relaxed-simd)'}.`;
    },
    async prepare(w: Workload): Promise<Step | string> {
      if (backendName === 'ref' && flops(w) > 5e9) return 'skipped: minutes per step';
      setBackend(backendName);
      if (threads) backend().setThreads?.(threads);
      if (backendName === 'wasm') relaxed = (backend() as { relaxedSimd?: boolean }).relaxedSimd === true;
      const { x, y } = inputs(w);
      // inputs() is batch-major (B, T, I), as the other engines take it.
      const gru = new GRU({ inputSize: w.I, hiddenSize: w.H, batchFirst: true, seed: 1 });
      const xt = new Tensor(x, [w.B, w.T, w.I]);
      if (w.kind === 'inference') {
        gru.eval();
        return () => noGrad(() => gru.forward(xt));
      }
      const head = new Linear({ inFeatures: w.H, outFeatures: 1, seed: 2 });
      const opt = new Adam([...gru.parameters(), ...head.parameters()], { lr: 1e-3 });
      const target = constant(new Tensor(y, [w.B, 1]));
      return () => {
        const { hN } = gru.forward(xt);
        const loss = mseLoss(head.forward(sliceRows(hN, 0, 1, [w.B, w.H])), target);
        opt.zeroGrad();
        backward(loss);
        opt.step();
      };
    },
  };
}
