/**
 * One GRU layer (one or two directions) over a whole sequence as a single
 * tape node: forward runs the fused kernel per direction and keeps its
 * cache; backward runs the fused backward kernel.
 */
import { Tensor, allocateLike } from '../../tensor/tensor.js';
import { backend, gruCacheSizes, type GruCache } from '../../kernels/index.js';
import { Var, record, wants } from '../var.js';

/** Parameters of one direction, PyTorch layout. */
export interface GruDirectionParams {
  wIh: Var; // (3H, I)
  wHh: Var; // (3H, H)
  bIh: Var | null; // (3H)
  bHh: Var | null; // (3H)
}

export interface GruLayerOptions {
  resetAfter: boolean;
  lengths: Int32Array | null;
}

/**
 * x (T, B, I), h0 (D, B, H) or null for zeros, one parameter set per
 * direction (D = 1 or 2; the second runs in reverse) →
 * y (T, B, D·H) with directions concatenated on the last axis, hN (D, B, H).
 * The caller has validated shapes and lengths.
 */
export function gruLayer(x: Var, h0: Var | null, dirs: readonly GruDirectionParams[], opts: GruLayerOptions): { y: Var; hN: Var } {
  const [T, B, I] = x.shape;
  const D = dirs.length;
  const H = dirs[0].wHh.shape[1];
  const k = backend();
  const like = x.data;
  const y = new Var(new Tensor(allocateLike(like, T * B * D * H), [T, B, D * H]));
  const hN = new Var(new Tensor(allocateLike(like, D * B * H), [D, B, H]));
  const h0Data = h0 ? h0.data : allocateLike(like, D * B * H);
  const inputs = [x, h0, ...dirs.flatMap((p) => [p.wIh, p.wHh, p.bIh, p.bHh])];
  const training = inputs.some(wants);
  const sizes = gruCacheSizes({ T, B, I, H });
  const caches: GruCache[] = [];

  for (let d = 0; d < D; d++) {
    const p = dirs[d];
    const cache = training
      ? { gates: allocateLike(like, sizes.gates), hPrev: allocateLike(like, sizes.hPrev), hn: allocateLike(like, sizes.hn) }
      : null;
    if (cache) caches.push(cache);
    k.gruForward({
      T, B, I, H,
      wIh: p.wIh.data, wHh: p.wHh.data, bIh: p.bIh?.data ?? null, bHh: p.bHh?.data ?? null,
      reverse: d === 1, resetAfter: opts.resetAfter, lengths: opts.lengths,
      y: y.data, yOff: d * H, ldy: D * H,
      hN: hN.data.subarray(d * B * H, (d + 1) * B * H),
      x: x.data, h0: h0Data.subarray(d * B * H, (d + 1) * B * H),
      cache,
    });
  }

  record('gruLayer', inputs, [y, hN], () => {
    if (!y.grad && !hN.grad) return;
    for (let d = 0; d < D; d++) {
      const p = dirs[d];
      const slice = (v: Var | null) => (wants(v) ? v.gradBuffer().data.subarray(d * B * H, (d + 1) * B * H) : null);
      k.gruBackward({
        T, B, I, H,
        wIh: p.wIh.data, wHh: p.wHh.data, bIh: p.bIh?.data ?? null, bHh: p.bHh?.data ?? null,
        reverse: d === 1, resetAfter: opts.resetAfter, lengths: opts.lengths,
        dx: wants(x) ? x.gradBuffer().data : null,
        dh0: slice(h0),
        dWIh: p.wIh.gradBuffer().data,
        dWHh: p.wHh.gradBuffer().data,
        dBIh: p.bIh ? p.bIh.gradBuffer().data : null,
        dBHh: p.bHh ? p.bHh.gradBuffer().data : null,
        dy: y.grad?.data ?? null, dyOff: d * H, ldy: D * H,
        dhN: hN.grad ? hN.grad.data.subarray(d * B * H, (d + 1) * B * H) : null,
        x: x.data, h0: h0Data.subarray(d * B * H, (d + 1) * B * H),
        cache: caches[d],
      });
    }
  });
  return { y, hN };
}
