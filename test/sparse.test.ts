// Optional sparsity (issue #6): magnitude pruning, the CSR × dense kernel, the CSR GRU inference path and `gru prune`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Adam,
  CharLM,
  Embedding,
  GRU,
  Linear,
  Module,
  Rng,
  SparseGRU,
  SparseLinear,
  SparsityMask,
  Tensor,
  backward,
  constant,
  csr,
  csrFromDense,
  csrGemmT,
  csrMatmul,
  evaluateForecasterOn,
  keepSparsity,
  loadForecaster,
  loadLM,
  magnitudePrune,
  makeLMBatch,
  noGrad,
  prunableParameters,
  pruneModelFile,
  readModelFile,
  saveForecaster,
  saveLM,
  sum,
  trainForecaster,
  trainLM,
  type FloatArray,
} from '../src/index.js';
import { dailySeries } from './helpers/synthetic.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gru-sparse-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A random (rows × cols) dense matrix with about `density` non-zeros, and some rows left empty. */
function randomSparse(rng: Rng, rows: number, cols: number, density: number, dtype: 'float32' | 'float64' = 'float32'): FloatArray {
  const a = dtype === 'float64' ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    if (rng.uniform() < 0.15) continue; // an empty row
    for (let c = 0; c < cols; c++) if (rng.uniform() < density) a[r * cols + c] = rng.range(-1, 1);
  }
  return a;
}

function randomDense(rng: Rng, n: number, dtype: 'float32' | 'float64' = 'float32'): FloatArray {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.range(-1, 1);
  return a;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Dense reference: y[yOff + n·ldy + (m − r0)] (+)= Σ_k W[m,k] x[xOff + n·ldx + k]. */
function denseGemmT(N: number, W: ArrayLike<number>, K: number, r0: number, r1: number, x: ArrayLike<number>, xOff: number, ldx: number, y: FloatArray, yOff: number, ldy: number, accumulate: boolean): void {
  for (let n = 0; n < N; n++) {
    for (let m = r0; m < r1; m++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += W[m * K + k] * x[xOff + n * ldx + k];
      const i = yOff + n * ldy + (m - r0);
      y[i] = accumulate ? y[i] + s : s;
    }
  }
}

test('csrGemmT equals the dense product on random shapes, densities, row ranges, strides and offsets', () => {
  const rng = new Rng(11);
  let cases = 0;
  for (const density of [0, 0.02, 0.1, 0.3, 0.7, 1]) {
    for (let rep = 0; rep < 12; rep++) {
      const M = 1 + rng.int(40),
        K = 1 + rng.int(40),
        N = 1 + rng.int(13);
      const dtype = rep % 3 === 0 ? 'float64' : 'float32';
      const W = randomSparse(rng, M, K, density, dtype);
      const w = csrFromDense(W, M, K);
      const r0 = rng.int(M),
        r1 = r0 + rng.int(M - r0 + 1);
      const xOff = rng.int(5),
        ldx = K + rng.int(4),
        yOff = rng.int(5),
        ldy = r1 - r0 + rng.int(4);
      const x = randomDense(rng, xOff + N * ldx, dtype);
      const accumulate = rep % 2 === 1;
      const init = randomDense(rng, yOff + N * ldy + 3, dtype);
      const got = init.slice(),
        want = init.slice();
      csrGemmT(N, w, r0, r1, x, xOff, ldx, got, yOff, ldy, accumulate);
      denseGemmT(N, W, K, r0, r1, x, xOff, ldx, want, yOff, ldy, accumulate);
      assert.ok(maxDiff(got, want) <= 1e-5, `density ${density}, M ${M} K ${K} N ${N} rows [${r0}, ${r1}): ${maxDiff(got, want)}`);
      cases++;
    }
  }
  assert.equal(cases, 72);
  // Many rows: x is walked in several cache panels, the last one ragged.
  for (const [N, K, ldx] of [
    [1003, 40, 41],
    [517, 100, 100],
  ]) {
    const M = 23;
    const W = randomSparse(rng, M, K, 0.2);
    const x = randomDense(rng, 3 + N * ldx);
    const got = new Float32Array(N * M),
      want = new Float32Array(N * M);
    csrGemmT(N, csrFromDense(W, M, K), 0, M, x, 3, ldx, got, 0, M, false);
    denseGemmT(N, W, K, 0, M, x, 3, ldx, want, 0, M, false);
    assert.ok(maxDiff(got, want) <= 1e-5, `N ${N}: ${maxDiff(got, want)}`);
  }
});

test('csrGemmT with implicit ones (values null), an all-empty matrix, and checked arguments', () => {
  // values null: every stored entry is 1.
  const w = csr(3, 4, [0, 2, 2, 4], [0, 3, 1, 2], null);
  const x = Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40]);
  const y = new Float32Array(6);
  csrGemmT(2, w, 0, 3, x, 0, 4, y, 0, 3, false);
  assert.deepEqual([...y], [5, 0, 5, 50, 0, 50]);
  // An all-zero matrix: y is overwritten with zeros, or left as it was when accumulating.
  const empty = csrFromDense(new Float32Array(12), 3, 4);
  const y2 = Float32Array.from([7, 7, 7, 7, 7, 7]);
  csrGemmT(2, empty, 0, 3, x, 0, 4, y2, 0, 3, true);
  assert.deepEqual([...y2], [7, 7, 7, 7, 7, 7]);
  csrGemmT(2, empty, 0, 3, x, 0, 4, y2, 0, 3, false);
  assert.deepEqual([...y2], [0, 0, 0, 0, 0, 0]);
  assert.throws(() => csrGemmT(2, w, 1, 4, x, 0, 4, y, 0, 3, false), /weight rows \[1, 4\) must lie in \[0, 3\]/);
  assert.throws(() => csrGemmT(3, w, 0, 3, x, 0, 4, y, 0, 3, false), /x holds 8 values, too few for 3 rows of 4/);
  assert.throws(() => csrGemmT(2, w, 0, 3, x, 0, 4, new Float32Array(5), 0, 3, false), /y holds 5 values, too few for 2 rows of 3/);
  assert.throws(() => csrGemmT(2, w, 0, 3, x, 0, 3, y, 0, 3, false), /ldx \(3\) must be at least the weight's columns \(4\)/);
});

test('csrMatmul and SparseLinear equal the dense Linear on any leading shape', () => {
  const rng = new Rng(3);
  const lin = new Linear({ inFeatures: 9, outFeatures: 7, seed: 4 });
  magnitudePrune(lin, { density: 0.4 });
  const x = new Tensor(randomDense(rng, 2 * 5 * 9), [2, 5, 9]);
  const want = noGrad(() => lin.forward(constant(x))).value;
  const got = SparseLinear.fromDense(lin).forward(x);
  assert.deepEqual(got.shape, [2, 5, 7]);
  assert.ok(maxDiff(got.data, want.data) <= 1e-5);
  const w = csrFromDense(lin.weight.data, 7, 9);
  assert.ok(maxDiff(csrMatmul(x, w, lin.bias!.data).data, want.data) <= 1e-5);
  assert.throws(() => csrMatmul(new Tensor(new Float32Array(8), [2, 4]), w), /x must have shape \[\.\.\., 9\] to multiply by the transpose of a 7×9 matrix, got \[2, 4\]/);
  assert.throws(() => csrMatmul(x, w, [1, 2]), /bias must have 7 entries, got 2/);
});

class Toy extends Module {
  readonly embed = this.child('embedding', new Embedding({ numEmbeddings: 20, embeddingDim: 6, seed: 1 }));
  readonly gru = this.child('gru', new GRU({ inputSize: 6, hiddenSize: 8, numLayers: 2, seed: 2 }));
  readonly head = this.child('head', new Linear({ inFeatures: 8, outFeatures: 5, seed: 3 }));
}

const nonZeros = (a: ArrayLike<number>) => Array.from(a).filter((v) => v !== 0).length;

test('magnitudePrune per matrix: exact counts, the largest |w| kept, biases and embeddings untouched', () => {
  const m = new Toy();
  const before = m.stateDict();
  assert.deepEqual(
    prunableParameters(m).map(([n]) => n),
    ['gru.weight_ih_l0', 'gru.weight_hh_l0', 'gru.weight_ih_l1', 'gru.weight_hh_l1', 'head.weight'],
  );
  const stats = magnitudePrune(m, { density: 0.3 });
  assert.deepEqual(
    stats.map((s) => s.name),
    prunableParameters(m).map(([n]) => n),
  );
  const after = m.stateDict();
  for (const s of stats) {
    const w = after[s.name].data,
      w0 = before[s.name].data;
    assert.deepEqual(s.shape, [...after[s.name].shape]);
    assert.equal(s.kept, Math.round(0.3 * s.size), s.name);
    assert.equal(s.kept, nonZeros(w));
    assert.ok(Math.abs(s.density - s.kept / s.size) < 1e-12);
    // Every kept weight is at least as large as every pruned one, and kept weights are unchanged.
    let minKept = Infinity,
      maxPruned = 0;
    for (let i = 0; i < w.length; i++) {
      if (w[i] !== 0) {
        assert.equal(w[i], w0[i]);
        minKept = Math.min(minKept, Math.abs(w0[i]));
      } else maxPruned = Math.max(maxPruned, Math.abs(w0[i]));
    }
    assert.ok(minKept >= maxPruned, `${s.name}: kept ${minKept} < pruned ${maxPruned}`);
  }
  for (const name of ['embedding.weight', 'gru.bias_ih_l0', 'gru.bias_hh_l1', 'head.bias']) assert.deepEqual(after[name].data, before[name].data, name);
  // Pruning again to a higher density keeps what is there; density 1 changes nothing.
  const again = magnitudePrune(m, { density: 1 });
  assert.deepEqual(
    again.map((s) => s.kept),
    stats.map((s) => s.kept),
  );
});

test('magnitudePrune: global scope, embeddings on request, include, and clear errors', () => {
  const m = new Toy();
  const g = magnitudePrune(m, { density: 0.25, scope: 'global' });
  const kept = g.reduce((a, s) => a + s.kept, 0),
    size = g.reduce((a, s) => a + s.size, 0);
  assert.equal(kept, Math.round(0.25 * size));
  assert.ok(new Set(g.map((s) => s.density.toFixed(3))).size > 1, 'global pruning gives matrices different densities');

  const e = new Toy();
  const withEmb = magnitudePrune(e, { density: 0.5, includeEmbeddings: true });
  assert.equal(withEmb[0].name, 'embedding.weight');
  assert.equal(withEmb[0].kept, 60);

  const only = new Toy();
  const one = magnitudePrune(only, { density: 0.1, include: ['gru.weight_hh_l1'] });
  assert.deepEqual(
    one.map((s) => [s.name, s.kept]),
    [['gru.weight_hh_l1', Math.round(0.1 * 24 * 8)]],
  );
  assert.equal(nonZeros(only.head.weight.data), 40, 'other matrices untouched');
  // Tiny densities still keep one weight per matrix.
  assert.equal(magnitudePrune(new Toy(), { density: 1e-9, include: ['head.weight'] })[0].kept, 1);

  for (const bad of [0, -0.1, 1.5, NaN, Infinity]) {
    assert.throws(() => magnitudePrune(new Toy(), { density: bad }), /density must be a number in \(0, 1\] \(the fraction of weights kept\), got/);
  }
  assert.throws(() => magnitudePrune(new Toy(), { density: '0.5' as unknown as number }), /density must be a number in \(0, 1\]/);
  assert.throws(() => magnitudePrune(new Toy(), { density: 0.5, include: ['gru.weight_hh_l9'] }), /no parameter named 'gru\.weight_hh_l9'; the weight matrices are: embedding\.weight, gru\.weight_ih_l0, .*head\.weight/);
  assert.throws(() => magnitudePrune(new Toy(), { density: 0.5, include: ['head.bias'] }), /'head\.bias' is not a 2-D weight matrix \(shape \[5\]\)/);
  assert.throws(() => magnitudePrune(new Toy(), { density: 0.5, include: [] }), /include is empty/);
  assert.throws(() => magnitudePrune(new Toy(), { density: 0.5, scope: 'layer' as never }), /scope must be 'per-matrix' or 'global'/);
});

test('SparsityMask with keepSparsity: fine-tuning with Adam keeps pruned weights at exactly 0', () => {
  const m = new Toy();
  magnitudePrune(m, { density: 0.2 });
  const mask = SparsityMask.fromModule(m);
  const zerosBefore = m.head.weight.data.length - nonZeros(m.head.weight.data);
  const opt = keepSparsity(new Adam(m.parameters(), { lr: 0.05 }), mask);
  for (let s = 0; s < 3; s++) {
    const x = m.embed.forward([1, 2, 3, 4, 5, 6], [3, 2]);
    const loss = sum(m.head.forward(m.gru.forward(x).output));
    opt.zeroGrad();
    backward(loss);
    opt.step();
  }
  assert.equal(m.head.weight.data.length - nonZeros(m.head.weight.data), zerosBefore);
  const kept = magnitudePrune(m, { density: 1 });
  for (const s of kept) assert.equal(s.kept, Math.round(0.2 * s.size), s.name);
  assert.throws(() => SparsityMask.fromModule(m, ['nope']), /no parameter named 'nope'/);
});

const gruConfigs = [
  { name: '1 layer, reset after', o: { inputSize: 5, hiddenSize: 7 }, T: 6, B: 3 },
  { name: '1 layer, reset before, no bias', o: { inputSize: 5, hiddenSize: 7, resetAfter: false, bias: false }, T: 4, B: 2 },
  { name: '2 layers bidirectional, lengths and h0', o: { inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true }, T: 7, B: 5, lengths: [7, 3, 1, 5, 6], h0: true },
  { name: '2 layers bidirectional, reset before, batchFirst, lengths', o: { inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, resetAfter: false, batchFirst: true }, T: 5, B: 4, lengths: [2, 5, 4, 1] },
  { name: '3 layers batchFirst, h0, float64', o: { inputSize: 6, hiddenSize: 9, numLayers: 3, batchFirst: true, dtype: 'float64' as const }, T: 5, B: 9, h0: true },
  { name: '1 layer, B=1 single step with h0', o: { inputSize: 8, hiddenSize: 16 }, T: 1, B: 1, h0: true },
];

for (const c of gruConfigs) {
  test(`SparseGRU equals the dense GRU on pruned weights: ${c.name}`, () => {
    for (const density of [1, 0.5, 0.2, 0.05]) {
      const rng = new Rng(7);
      const gru = new GRU({ ...c.o, seed: 5 }).eval();
      magnitudePrune(gru, { density });
      const sparse = SparseGRU.fromDense(gru);
      const dtype = c.o.dtype ?? 'float32';
      const { inputSize: I, hiddenSize: H } = c.o;
      const D = c.o.bidirectional ? 2 : 1,
        L = c.o.numLayers ?? 1;
      const xShape = c.o.batchFirst ? [c.B, c.T, I] : [c.T, c.B, I];
      const x = new Tensor(randomDense(rng, c.T * c.B * I, dtype), xShape);
      const opts = {
        ...(c.lengths ? { lengths: c.lengths } : {}),
        ...(c.h0 ? { h0: new Tensor(randomDense(rng, L * D * c.B * H, dtype), [L * D, c.B, H]) } : {}),
      };
      const want = noGrad(() => gru.forward(x, opts));
      const got = sparse.forward(x, opts);
      assert.deepEqual(got.output.shape, want.output.shape);
      assert.deepEqual(got.hN.shape, want.hN.shape);
      assert.equal(got.output.dtype, dtype);
      assert.ok(maxDiff(got.output.data, want.output.data) <= 1e-5, `density ${density} output: ${maxDiff(got.output.data, want.output.data)}`);
      assert.ok(maxDiff(got.hN.data, want.hN.data) <= 1e-5, `density ${density} hN: ${maxDiff(got.hN.data, want.hN.data)}`);
      for (const mtx of sparse.matrices()) assert.equal(mtx.nnz, Math.max(1, Math.round(density * mtx.size)), mtx.name);
    }
  });
}

test('SparseGRU reused across calls of other sizes and element types gives the dense results each time', () => {
  const rng = new Rng(21);
  const gru = new GRU({ inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true, batchFirst: true, seed: 8 }).eval();
  magnitudePrune(gru, { density: 0.4 });
  const sparse = SparseGRU.fromDense(gru);
  for (const [B, T, dtype] of [
    [3, 5, 'float32'],
    [7, 2, 'float32'],
    [1, 6, 'float64'],
    [4, 1, 'float32'],
    [3, 5, 'float64'],
    [9, 9, 'float32'],
  ] as const) {
    const x = new Tensor(randomDense(rng, B * T * 4, dtype), [B, T, 4]);
    const lengths = Array.from({ length: B }, (_, b) => 1 + ((b * 5) % T));
    const want = noGrad(() => gru.forward(x, { lengths }));
    const got = sparse.forward(x, { lengths });
    assert.ok(maxDiff(got.output.data, want.output.data) <= 1e-5, `B ${B} T ${T} ${dtype}`);
    assert.ok(maxDiff(got.hN.data, want.hN.data) <= 1e-5, `B ${B} T ${T} ${dtype}`);
  }
});

test('SparseGRU: input, h0 and lengths are checked as in GRU; mismatched CSR weights are refused', () => {
  const s = SparseGRU.fromDense(new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2 }));
  assert.throws(() => s.forward(Tensor.zeros([5, 2, 4])), /input must have shape \[T, B, 3\], got \[5, 2, 4\]/);
  assert.throws(() => s.forward(Tensor.zeros([2, 3, 3]), { h0: Tensor.zeros([1, 3, 4]) }), /h0 must have shape \[2, 3, 4\]/);
  assert.throws(() => s.forward(Tensor.zeros([4, 2, 3]), { lengths: [4, 0] }), /lengths\[1\] must be an integer in \[1, 4\], got 0/);
  const x = Tensor.zeros([2, 1, 3]);
  x.data[1] = NaN;
  assert.throws(() => s.forward(x), /expected finite numbers, got NaN/);
  const p = s.layers[0][0];
  assert.throws(() => new SparseGRU({ inputSize: 3, hiddenSize: 4, numLayers: 1, bidirectional: false, batchFirst: false, resetAfter: true }, [[{ ...p, wHh: p.wIh }]]), /layer 0 W_hh must be 12×4, got 12×3/);
});

test('a pruned char LM: logits through SparseGRU + SparseLinear equal the dense model', () => {
  const lm = new CharLM({ embeddingSize: 6, hiddenSize: 12, numLayers: 2, dropout: 0, maxLen: 10 }, 15, 3).eval();
  magnitudePrune(lm, { density: 0.3 });
  const batch = makeLMBatch([[3, 4, 5], [6, 7, 8, 9, 10, 11], [12]]);
  const want = noGrad(() => lm.forward(batch)).value;
  const emb = noGrad(() => lm.embed.forward(batch.ids, [batch.B, batch.T])).value;
  const got = SparseLinear.fromDense(lm.head).forward(SparseGRU.fromDense(lm.gru).forward(emb, { lengths: batch.lengths }).output);
  assert.ok(maxDiff(got.data, want.data) <= 1e-5);
});

// ---- the command line ----

const texts = [
  'anna',
  'bob',
  'carla',
  'dave',
  'emma',
  'fred',
  'gina',
  'hank',
  'iris',
  'jack',
  'kate',
  'liam',
  'mona',
  'nick',
  'olga',
  'paul',
  'rosa',
  'sam',
  'tina',
  'vera',
  'walt',
  'zoe',
  'amy',
  'ben',
  'cleo',
  'dan',
  'eve',
  'finn',
  'gus',
  'hugo',
  'ida',
  'jon',
  'kim',
  'lou',
  'max',
  'ned',
  'otto',
  'pia',
  'quin',
  'ray',
];
const textFile = join(dir, 'names.txt');
writeFileSync(textFile, texts.join('\n') + '\n');
const lmModel = join(dir, 'lm.safetensors');
saveLM(trainLM(texts, { epochs: 1, hiddenSize: 16, embeddingSize: 8, batchSize: 8 }), lmModel);

function gru(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function oneLineError(r: { code: number | null; err: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.match(r.err, pattern);
  assert.equal(r.err.trim().split('\n').length, 1, `one line, no stack: ${r.err}`);
}

test('gru prune writes a loadable pruned model, records the density and prints each matrix', () => {
  const out = join(dir, 'lm.pruned.safetensors');
  const r = gru('prune', lmModel, '--density', '0.3', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\(lm\) → .*lm\.pruned\.safetensors: per-matrix magnitude pruning to density 0\.3/);
  assert.match(r.out, /gru\.weight_ih_l0 +\[48, 8\] +115 \/ 384 +density 0\.299/);
  assert.match(r.out, /gru\.weight_hh_l0 +\[48, 16\] +230 \/ 768 +density 0\.299/);
  assert.match(r.out, /head\.weight +\[\d+, 16\] .*density 0\.(29|30)\d/);
  assert.match(r.out, /total .*density 0\.(29|30)\d/);
  assert.doesNotMatch(r.out, /embedding|bias/);

  const f = readModelFile(out, 'lm');
  const sp = f.meta.sparsity as { method: string; density: number; scope: string; overallDensity: number; matrices: Record<string, number> };
  assert.equal(sp.method, 'magnitude');
  assert.equal(sp.density, 0.3);
  assert.equal(sp.scope, 'per-matrix');
  assert.deepEqual(Object.keys(sp.matrices), ['gru.weight_ih_l0', 'gru.weight_hh_l0', 'head.weight']);
  const pruned = loadLM(out);
  assert.equal(nonZeros((pruned.model.gru as GRU).layers[0][0].wHh.data), 230);
  assert.deepEqual(pruned.model.embed.weight.data, loadLM(lmModel).model.embed.weight.data);

  const e = gru('eval', out, '--data', textFile, '--json');
  assert.equal(e.code, 0, e.err);
  assert.ok(JSON.parse(e.out).metrics.bitsPerChar > 0);
  const p = gru('predict', out, '--count', '2', '--json');
  assert.equal(p.code, 0, p.err);
  assert.equal(JSON.parse(p.out).samples.length, 2);

  const j = gru('prune', out, '--density', '0.5', '--global', '--out', join(dir, 'g.safetensors'), '--json');
  assert.equal(j.code, 0, j.err);
  const jj = JSON.parse(j.out);
  assert.equal(jj.scope, 'global');
  assert.equal(jj.matrices.length, 3);
  assert.ok(jj.overallDensity <= 0.301, 'already pruned further than asked: nothing comes back');
});

test('gru prune: bad density, unknown parameter, missing --out are one-line errors', () => {
  const out = join(dir, 'x.safetensors');
  for (const d of ['0', '1.5', '-0.2', 'abc', '']) {
    oneLineError(gru('prune', lmModel, '--density', d, '--out', out), /expected a density in \(0, 1\] \(the fraction of weights kept\), got '/);
  }
  oneLineError(gru('prune', lmModel, '--density', '0.5', '--out', out, '--include', 'gru.weight_xx'), /no parameter named 'gru\.weight_xx'; the weight matrices are: embedding\.weight, gru\.weight_ih_l0/);
  oneLineError(gru('prune', lmModel, '--density', '0.5', '--out', out, '--include', 'head.bias'), /'head\.bias' is not a 2-D weight matrix/);
  oneLineError(gru('prune', lmModel, '--density', '0.5'), /required option '--out <file>' not specified/);
  oneLineError(gru('prune', join(dir, 'nope.safetensors'), '--density', '0.5', '--out', out), /cannot open .*nope\.safetensors: no such file or directory \(ENOENT\)/);
});

test('pruneModelFile on a forecaster: the pruned file still evaluates, close to the dense one at density 0.7', () => {
  const table = dailySeries(200);
  const model = join(dir, 'f.safetensors'),
    out = join(dir, 'f.pruned.safetensors');
  const r = trainForecaster(table, { column: 'value', epochs: 2, hiddenSize: 8, headSize: 8, lookback: 14, horizon: 3, testSize: 28 });
  saveForecaster(r.model, model);
  const res = pruneModelFile(model, out, { density: 0.7 });
  assert.equal(res.task, 'forecast');
  assert.deepEqual(
    res.stats.map((s) => s.name),
    ['gru.weight_ih_l0', 'gru.weight_hh_l0', 'state_head.weight', 'step_head.weight', 'out.weight', 'highway.weight'],
  );
  const dense = evaluateForecasterOn(loadForecaster(model), table).metrics.mae;
  const sparse = evaluateForecasterOn(loadForecaster(out), table).metrics.mae;
  assert.ok(Number.isFinite(sparse) && sparse < 3 * dense + 1, `pruned MAE ${sparse} vs dense ${dense}`);
});
