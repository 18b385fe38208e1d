/**
 * One GRU layer (one or two directions) over a whole sequence as a single
 * tape node: forward runs the fused kernel per direction and keeps its
 * cache (in buffers of the tape's pool, ../pool.ts, given back once backward
 * has read them); backward runs the fused backward kernel.
 */
import { Tensor, allocateLike, type FloatArray } from '../../tensor/tensor.js';
import { backend, gruCacheSizes, type GruBackwardInput, type GruCache, type GruInput } from '../../kernels/index.js';
import { Var, needsGrad, record, wants } from '../var.js';
import { tapeBuffers } from '../pool.js';
import type { SparseProjector } from './sparse-projection.js';

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
  /**
   * Checkpointed BPTT: keep only the state at every k-th step and recompute
   * each k-step segment's cache in backward, so the cache takes
   * O(T/k + k) states instead of O(T) (k ≈ √T is the sweet spot). Gradients
   * equal the full path's. 0 or undefined: keep everything.
   */
  checkpoint?: number;
  /**
   * Sparse input: per direction, a projector of the CSR steps through that
   * direction's W_ih and b_ih. x is then ignored (pass shape [T, B, 0]); each
   * segment's projection is computed when the kernel needs it (and again in
   * backward when checkpointing), so no (T, B, 3H) projection is kept, and
   * W_ih gets a sparse gradient.
   */
  sparse?: readonly SparseProjector[];
  /** Write y batch-first, (B, T, D·H), rather than time-major (the kernels take y's strides, so no transpose). */
  batchFirst?: boolean;
}

/**
 * x (T, B, I), h0 (D, B, H) or null for zeros, one parameter set per
 * direction (D = 1 or 2; the second runs in reverse) →
 * y (T, B, D·H) — (B, T, D·H) with `batchFirst` — with directions
 * concatenated on the last axis, hN (D, B, H).
 * The caller has validated shapes and lengths.
 */
export function gruLayer(x: Var, h0: Var | null, dirs: readonly GruDirectionParams[], opts: GruLayerOptions): { y: Var; hN: Var } {
  const [T, B, I] = x.shape;
  const D = dirs.length;
  const H = dirs[0].wHh.shape[1];
  const k = backend();
  const like = x.data;
  const C = D * H;
  // Row (t, b) of y starts at t·ldyT + b·ldy.
  const [ldy, ldyT] = opts.batchFirst ? [T * C, C] : [C, B * C];
  const y = new Var(new Tensor(allocateLike(like, T * B * C), opts.batchFirst ? [B, T, C] : [T, B, C]));
  const hN = new Var(new Tensor(allocateLike(like, D * B * H), [D, B, H]));
  const h0Data = h0 ? h0.data : allocateLike(like, D * B * H);
  const sparse = opts.sparse ?? null;
  const G = 3 * H;
  const inputs = [sparse ? null : x, h0, ...dirs.flatMap((p) => [p.wIh, p.wHh, p.bIh, p.bHh])];
  const training = needsGrad(inputs);
  const seg = opts.checkpoint && opts.checkpoint > 0 && opts.checkpoint < T ? opts.checkpoint : T;
  const checkpointing = seg < T;
  // Segments [a, b) of the time axis; one segment when not checkpointing.
  const segments: [number, number][] = [];
  for (let a = 0; a < T; a += seg) segments.push([a, Math.min(T, a + seg)]);
  const localLengths = ([a, b]: [number, number]) => {
    if (!opts.lengths) return null;
    return Int32Array.from(opts.lengths, (L) => Math.max(0, Math.min(L, b) - a));
  };
  // A cache recomputed in backward: borrowed from the pool (the kernels overwrite every element), given back at once.
  const newCache = (n: number): GruCache => {
    const s = gruCacheSizes({ T: n, B, I, H });
    return { gates: tapeBuffers.take(like, s.gates), hPrev: tapeBuffers.take(like, s.hPrev), hn: tapeBuffers.take(like, s.hn) };
  };
  const giveCache = (c: GruCache) => {
    tapeBuffers.give(c.gates);
    tapeBuffers.give(c.hPrev);
    tapeBuffers.give(c.hn);
  };
  const mode = (p: GruDirectionParams, d: number, [a, b]: [number, number]) => ({
    T: b - a,
    B,
    I,
    H,
    wHh: p.wHh.data,
    bHh: p.bHh?.data ?? null,
    reverse: d === 1,
    resetAfter: opts.resetAfter,
    lengths: localLengths([a, b]),
  });
  // Sparse input: the projection of segment [a, b) of direction d (a scratch of the largest segment).
  const scratch = sparse ? allocateLike(like, seg * B * G) : null;
  const dScratch = sparse && training ? allocateLike(like, seg * B * G) : null;
  const project = (d: number, [a, b]: [number, number], fill = true) => {
    const out = scratch!.subarray(0, (b - a) * B * G);
    if (fill) sparse![d].forward(a * B, b * B, out);
    return out;
  };
  const xs = ([a, b]: [number, number]) => x.data.subarray(a * B * I, b * B * I);
  // The kernels' input side: x and W_ih, or (sparse) the projection.
  const input = (p: GruDirectionParams, d: number, sg: [number, number], fill = true): GruInput => (sparse ? { xProj: project(d, sg, fill) } : { x: xs(sg), wIh: p.wIh.data, bIh: p.bIh?.data ?? null });
  // Per direction: the state entering each segment (checkpointing, or no saved set) and the whole cache (not).
  const entry: FloatArray[][] = [];
  const caches: (GruCache | null)[] = [];
  // Without checkpointing, the caches of all directions are one set saved in the pool (see ../pool.ts):
  // null when the pool says to save nothing, and then backward recomputes them as checkpointing does.
  const sizes = gruCacheSizes({ T, B, I, H });
  const saved =
    training && !checkpointing
      ? tapeBuffers.save(
          like,
          dirs.flatMap(() => [sizes.gates, sizes.hPrev, sizes.hn]),
          caches,
        )
      : null;

  for (let d = 0; d < D; d++) {
    const p = dirs[d];
    const order = d === 1 ? [...segments].reverse() : segments;
    let h: FloatArray = h0Data.subarray(d * B * H, (d + 1) * B * H);
    const starts: FloatArray[] = [];
    const cache = saved ? { gates: saved[3 * d], hPrev: saved[3 * d + 1], hn: saved[3 * d + 2] } : null;
    caches.push(cache);
    for (const sg of order) {
      starts[segments.indexOf(sg)] = h;
      const next = allocateLike(like, B * H);
      k.gruForward({ ...mode(p, d, sg), ...input(p, d, sg), y: y.data.subarray(sg[0] * ldyT), yOff: d * H, ldy, ldyT, hN: next, h0: h, cache });
      h = next;
    }
    entry.push(starts);
    hN.data.set(h, d * B * H);
  }

  const back = () => {
    if (!y.grad && !hN.grad) return;
    for (let d = 0; d < D; d++) {
      const p = dirs[d];
      const order = d === 1 ? [...segments].reverse() : segments;
      let dh: FloatArray | null = hN.grad ? hN.grad.data.subarray(d * B * H, (d + 1) * B * H) : null;
      for (let s = order.length - 1; s >= 0; s--) {
        const sg = order[s];
        const i = segments.indexOf(sg);
        let cache = caches[d];
        const recomputed = !cache;
        // Backward reads the cache, not the projection: recompute it only to rebuild a cache.
        const inp = input(p, d, sg, !cache);
        if (!cache) {
          // Recompute this segment's cache from the state that entered it.
          cache = newCache(sg[1] - sg[0]);
          const yScratch = tapeBuffers.take(like, (sg[1] - sg[0]) * B * H);
          k.gruForward({ ...mode(p, d, sg), ...inp, y: yScratch, yOff: 0, ldy: H, hN: allocateLike(like, B * H), h0: entry[d][i], cache });
          tapeBuffers.give(yScratch);
        }
        const dhPrev = allocateLike(like, B * H);
        // The input side's gradients: dx, dW_ih, db_ih, or (sparse) the projection's, scattered into W_ih's by the projector.
        const dXProj = inp.xProj ? dScratch!.subarray(0, inp.xProj.length).fill(0) : null;
        const dInput: GruBackwardInput = inp.xProj
          ? { xProj: inp.xProj, dXProj }
          : {
              x: inp.x,
              wIh: inp.wIh,
              bIh: inp.bIh,
              dx: wants(x) ? x.gradBuffer().data.subarray(sg[0] * B * I, sg[1] * B * I) : null,
              dWIh: p.wIh.gradBuffer().data,
              dBIh: p.bIh ? p.bIh.gradBuffer().data : null,
            };
        k.gruBackward({
          ...mode(p, d, sg),
          ...dInput,
          dh0: dhPrev,
          dWHh: p.wHh.gradBuffer().data,
          dBHh: p.bHh ? p.bHh.gradBuffer().data : null,
          dy: y.grad ? y.grad.data.subarray(sg[0] * ldyT) : null,
          dyOff: d * H,
          ldy,
          ldyT,
          dhN: dh,
          h0: entry[d][i],
          cache,
        });
        if (dXProj) sparse![d].backward(sg[0] * B, sg[1] * B, dXProj);
        if (recomputed) giveCache(cache);
        dh = dhPrev;
      }
      sparse?.[d].finish();
      if (wants(h0) && dh) {
        const g = h0.gradBuffer().data;
        for (let j = 0; j < B * H; j++) g[d * B * H + j] += dh[j];
      }
    }
    // The saved set goes back to the pool: nothing reads it after this. A later
    // backward through this node (an output this one did not reach) finds no
    // cache and recomputes it.
    if (saved && caches[0]) {
      caches.fill(null);
      tapeBuffers.release(caches, saved);
    }
  };
  record('gruLayer', inputs, [y, hN], back);
  return { y, hN };
}
