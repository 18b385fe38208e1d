/**
 * Reference GRU kernel: one direction of one layer over a whole sequence.
 *
 * PyTorch nn.GRU (resetAfter = true), gate order r, z, n:
 *   r = σ(W_r x + b_ir + U_r h + b_hr)
 *   z = σ(W_z x + b_iz + U_z h + b_hz)
 *   n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 * Cho et al. 2014 / ONNX linear_before_reset = 0 (resetAfter = false):
 *   n = tanh(W_n x + b_in + U_n (r ⊙ h) + b_hn)
 *
 * As in cuDNN and ONNX Runtime, the input projection of every step is one
 * large product before the loop; inside the loop only h·Uᵀ and the gate
 * math. Backward collects the per-step gate gradients and forms the weight
 * gradients in one large product at the end. With a precomputed input
 * projection (xProj) the first product is skipped and the last one becomes
 * dXProj += the input-side gate gradients.
 * Legend: T steps, B batch, I input, H hidden; G = 3H gate rows.
 */
import { allocateLike } from '../../tensor/tensor.js';
import type { GruBackwardArgs, GruForwardArgs } from '../backend.js';
import { gemm } from './gemm.js';
import { addBias, addBiasBackward, sigmoid } from './elementwise.js';

/** Is step t inside sequence b? */
function active(lengths: Int32Array | null, b: number, t: number, T: number): boolean {
  return t < (lengths === null ? T : lengths[b]);
}

export function gruForward(a: GruForwardArgs): void {
  const { T, B, I, H, h0, wHh, bHh, lengths, reverse, resetAfter, y, yOff, ldy, hN } = a;
  const ldyT = a.ldyT ?? B * ldy;
  const like = h0; // precision of the scratch
  const G = 3 * H;
  const gates = a.cache?.gates ?? allocateLike(like, T * B * G); // (T, B, 3H): first W x + b_i, then r, z, n
  const hPrev = a.cache?.hPrev ?? null; // (T, B, H)
  const hnSave = a.cache?.hn ?? null; // (T, B, H)
  const h = allocateLike(like, B * H); // (B, H) running state
  const gh = allocateLike(like, B * G); // (B, 3H) U h + b_h for one step
  const rh = allocateLike(like, B * H); // (B, H) r ⊙ h, resetBefore only
  h.set(h0.subarray(0, B * H));

  if (a.xProj) {
    // The caller's gi = x W_ihᵀ + b_ih.
    gates.set(a.xProj.subarray(0, T * B * G));
  } else {
    // gi = x W_ihᵀ + b_ih for all T·B rows at once.
    gemm(false, true, T * B, G, I, 1, a.x, 0, I, a.wIh, 0, I, 0, gates, 0, G);
    if (a.bIh) addBias(gates, a.bIh, T * B, G);
  }

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    if (hPrev) hPrev.set(h, t * B * H);
    if (resetAfter) {
      gh.fill(0);
      if (bHh) addBias(gh, bHh, B, G);
      gemm(false, true, B, G, H, 1, h, 0, H, wHh, 0, H, 1, gh, 0, G);
    } else {
      // Only the r and z rows now; the n rows need r first.
      gh.fill(0);
      if (bHh) addBias(gh, bHh, B, G);
      gemm(false, true, B, 2 * H, H, 1, h, 0, H, wHh, 0, H, 1, gh, 0, G);
      for (let b = 0; b < B; b++) {
        const g = (t * B + b) * G;
        for (let j = 0; j < H; j++) rh[b * H + j] = sigmoid(gates[g + j] + gh[b * G + j]) * h[b * H + j];
      }
      // gh_n = (r ⊙ h) U_nᵀ + b_hn
      gemm(false, true, B, H, H, 1, rh, 0, H, wHh, 2 * H * H, H, 1, gh, 2 * H, G);
    }
    for (let b = 0; b < B; b++) {
      const yRow = t * ldyT + b * ldy + yOff;
      if (!active(lengths, b, t, T)) {
        for (let j = 0; j < H; j++) y[yRow + j] = 0;
        if (hnSave) hnSave.fill(0, (t * B + b) * H, (t * B + b + 1) * H); // the cache is written whole (it may be a reused buffer)
        continue;
      }
      const g = (t * B + b) * G;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gates[g + j] + gh[b * G + j]);
        const z = sigmoid(gates[g + H + j] + gh[b * G + H + j]);
        const n = resetAfter ? Math.tanh(gates[g + 2 * H + j] + r * gh[b * G + 2 * H + j]) : Math.tanh(gates[g + 2 * H + j] + gh[b * G + 2 * H + j]);
        const hj = h[b * H + j];
        const hNew = (1 - z) * n + z * hj;
        gates[g + j] = r;
        gates[g + H + j] = z;
        gates[g + 2 * H + j] = n;
        if (hnSave) hnSave[(t * B + b) * H + j] = resetAfter ? gh[b * G + 2 * H + j] : rh[b * H + j];
        h[b * H + j] = hNew;
        y[yRow + j] = hNew;
      }
    }
  }
  hN.set(h.subarray(0, B * H));
}

export function gruBackward(a: GruBackwardArgs): void {
  const { T, B, I, H, wHh, lengths, reverse, resetAfter, dy, dyOff, ldy, dhN, cache } = a;
  const ldyT = a.ldyT ?? B * ldy;
  const { gates, hPrev, hn } = cache;
  const like = a.h0; // precision of the scratch
  const G = 3 * H;
  const dgi = allocateLike(like, T * B * G); // (T, B, 3H) gradient of W x + b_i
  const dgh = allocateLike(like, T * B * G); // (T, B, 3H) gradient of U h + b_h (resetBefore: n rows are of U_n(r⊙h) + b_hn)
  let dh = allocateLike(like, B * H); // (B, H) gradient flowing into the state after step t
  let dhNext = allocateLike(like, B * H); // (B, H) … into the state before it
  const drh = allocateLike(like, B * H); // (B, H) gradient of r ⊙ h, resetBefore only
  if (dhN) dh.set(dhN.subarray(0, B * H));

  for (let q = T - 1; q >= 0; q--) {
    const t = reverse ? T - 1 - q : q; // walk the forward order backwards
    const gt = t * B * G;
    for (let b = 0; b < B; b++) {
      if (!active(lengths, b, t, T)) {
        // h passed through unchanged; its output was a constant 0.
        for (let j = 0; j < H; j++) dhNext[b * H + j] = dh[b * H + j];
        continue;
      }
      const g = gt + b * G;
      const c = (t * B + b) * H;
      for (let j = 0; j < H; j++) {
        const r = gates[g + j];
        const z = gates[g + H + j];
        const n = gates[g + 2 * H + j];
        const hp = hPrev[c + j];
        const dOut = dh[b * H + j] + (dy ? dy[t * ldyT + b * ldy + dyOff + j] : 0);
        // h' = (1 − z) n + z h
        const dn = dOut * (1 - z);
        const dzPre = dOut * (hp - n) * z * (1 - z);
        const dnPre = dn * (1 - n * n); // n = tanh(·)
        dgi[g + H + j] = dzPre;
        dgh[g + H + j] = dzPre;
        dgi[g + 2 * H + j] = dnPre;
        dhNext[b * H + j] = dOut * z;
        if (resetAfter) {
          // n = tanh(gi_n + r ⊙ gh_n)
          const drPre = dnPre * hn[c + j] * r * (1 - r);
          dgh[g + 2 * H + j] = dnPre * r;
          dgi[g + j] = drPre;
          dgh[g + j] = drPre;
        } else {
          dgh[g + 2 * H + j] = dnPre; // gh_n = (r ⊙ h) U_nᵀ + b_hn; r's share comes below
        }
      }
    }
    if (!resetAfter) {
      // d(r ⊙ h) = dgh_n U_n, then r = σ(·) and h both receive a share.
      gemm(false, false, B, H, H, 1, dgh, gt + 2 * H, G, wHh, 2 * H * H, H, 0, drh, 0, H);
      for (let b = 0; b < B; b++) {
        if (!active(lengths, b, t, T)) continue;
        const g = gt + b * G;
        const c = (t * B + b) * H;
        for (let j = 0; j < H; j++) {
          const r = gates[g + j];
          const drPre = drh[b * H + j] * hPrev[c + j] * r * (1 - r);
          dgi[g + j] = drPre;
          dgh[g + j] = drPre;
          dhNext[b * H + j] += drh[b * H + j] * r;
        }
      }
      // dh += dgh_{r,z} U_{r,z}
      gemm(false, false, B, H, 2 * H, 1, dgh, gt, G, wHh, 0, H, 1, dhNext, 0, H);
    } else {
      // dh += dgh U   (rows of finished sequences are zero in dgh)
      gemm(false, false, B, H, G, 1, dgh, gt, G, wHh, 0, H, 1, dhNext, 0, H);
    }
    const swap = dh;
    dh = dhNext;
    dhNext = swap;
  }

  if (a.dh0) for (let i = 0; i < B * H; i++) a.dh0[i] += dh[i];
  // Weight gradients over all steps at once: dW_ih += dgiᵀ x, dW_hh += dghᵀ h_prev.
  // Projected input: its gradient is dgi itself (rows of masked steps are zero).
  if (a.xProj) {
    if (a.dXProj) for (let i = 0; i < T * B * G; i++) a.dXProj[i] += dgi[i];
  } else {
    gemm(true, false, G, I, T * B, 1, dgi, 0, G, a.x, 0, I, 1, a.dWIh, 0, I);
    if (a.dBIh) addBiasBackward(a.dBIh, dgi, T * B, G);
    if (a.dx) gemm(false, false, T * B, I, G, 1, dgi, 0, G, a.wIh, 0, I, 1, a.dx, 0, I);
  }
  if (resetAfter) {
    gemm(true, false, G, H, T * B, 1, dgh, 0, G, hPrev, 0, H, 1, a.dWHh, 0, H);
  } else {
    gemm(true, false, 2 * H, H, T * B, 1, dgh, 0, G, hPrev, 0, H, 1, a.dWHh, 0, H);
    gemm(true, false, H, H, T * B, 1, dgh, 2 * H, G, hn, 0, H, 1, a.dWHh, 2 * H * H, H);
  }
  if (a.dBHh) addBiasBackward(a.dBHh, dgh, T * B, G);
}
