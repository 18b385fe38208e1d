/** Concatenation along the last axis (leading axes equal). */
import { Tensor, allocateLike, shapeString } from '../../tensor/tensor.js';
import { Var, record, wants } from '../var.js';
import { GruError } from '../../errors.js';

export function concatLast(parts: readonly Var[]): Var {
  const lead = parts[0].shape.slice(0, -1);
  const rows = parts[0].value.size / parts[0].shape[parts[0].shape.length - 1];
  const widths = parts.map((p) => p.shape[p.shape.length - 1]);
  for (const p of parts) {
    if (p.shape.length !== lead.length + 1 || p.shape.slice(0, -1).some((d, i) => d !== lead[i])) {
      throw new GruError('INVALID_ARGUMENT', `concatLast: all parts need leading shape ${shapeString(lead)}, got ${shapeString(p.shape)}`);
    }
  }
  const W = widths.reduce((a, b) => a + b, 0);
  const out = new Var(new Tensor(allocateLike(parts[0].data, rows * W), [...lead, W]));
  let off = 0;
  parts.forEach((p, k) => {
    const w = widths[k];
    for (let r = 0; r < rows; r++) out.data.set(p.data.subarray(r * w, (r + 1) * w), r * W + off);
    off += w;
  });
  record('concatLast', parts, [out], () => {
    if (!out.grad) return;
    const dy = out.grad.data;
    let o = 0;
    parts.forEach((p, k) => {
      const w = widths[k];
      if (wants(p)) {
        const g = p.gradBuffer().data;
        for (let r = 0; r < rows; r++) {
          const gr = r * w,
            yr = r * W + o;
          for (let j = 0; j < w; j++) g[gr + j] += dy[yr + j];
        }
      }
      o += w;
    });
  });
  return out;
}
