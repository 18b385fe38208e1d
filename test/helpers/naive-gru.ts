/**
 * An independent float64 GRU written straight from the equations, one
 * scalar at a time, with nested plain arrays: the recomputation the kernels
 * are compared against. It shares no code with src/kernels.
 */
export interface NaiveWeights {
  wIh: number[][]; // [3H][I]
  wHh: number[][]; // [3H][H]
  bIh: number[] | null;
  bHh: number[] | null;
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** One step for one sequence: returns h'. */
export function naiveCell(x: number[], h: number[], w: NaiveWeights, resetAfter: boolean): number[] {
  const H = h.length;
  const dot = (row: number[], v: number[]) => row.reduce((s, a, i) => s + a * v[i], 0);
  const bi = (k: number) => (w.bIh ? w.bIh[k] : 0);
  const bh = (k: number) => (w.bHh ? w.bHh[k] : 0);
  const r: number[] = [],
    z: number[] = [];
  for (let j = 0; j < H; j++) {
    r.push(sig(dot(w.wIh[j], x) + bi(j) + dot(w.wHh[j], h) + bh(j)));
    z.push(sig(dot(w.wIh[H + j], x) + bi(H + j) + dot(w.wHh[H + j], h) + bh(H + j)));
  }
  const rh = h.map((v, j) => r[j] * v);
  const out: number[] = [];
  for (let j = 0; j < H; j++) {
    const k = 2 * H + j;
    const n = resetAfter ? Math.tanh(dot(w.wIh[k], x) + bi(k) + r[j] * (dot(w.wHh[k], h) + bh(k))) : Math.tanh(dot(w.wIh[k], x) + bi(k) + dot(w.wHh[k], rh) + bh(k));
    out.push((1 - z[j]) * n + z[j] * h[j]);
  }
  return out;
}

/**
 * A whole multi-layer (bi)directional GRU over x[t][b][i] with PyTorch's
 * packed-sequence semantics for lengths. weights[layer][direction].
 * Returns output[t][b][D·H] and hN[layer·D + d][b][H].
 */
export function naiveGru(x: number[][][], h0: number[][][] | null, weights: NaiveWeights[][], H: number, resetAfter: boolean, lengths: number[] | null): { output: number[][][]; hN: number[][][] } {
  const T = x.length,
    B = x[0].length;
  const D = weights[0].length;
  let input = x;
  const hN: number[][][] = [];
  weights.forEach((dirs, l) => {
    const out = Array.from({ length: T }, () => Array.from({ length: B }, () => new Array(D * H).fill(0)));
    dirs.forEach((w, d) => {
      const last: number[][] = [];
      for (let b = 0; b < B; b++) {
        const L = lengths ? lengths[b] : T;
        let h = h0 ? h0[l * D + d][b].slice() : new Array(H).fill(0);
        const steps = [...Array(L).keys()];
        if (d === 1) steps.reverse();
        for (const t of steps) {
          h = naiveCell(input[t][b], h, w, resetAfter);
          for (let j = 0; j < H; j++) out[t][b][d * H + j] = h[j];
        }
        last.push(h);
      }
      hN.push(last);
    });
    input = out;
  });
  return { output: input, hN };
}
