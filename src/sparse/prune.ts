/**
 * Magnitude pruning: keep the largest-|w| fraction of a model's weight
 * matrices and set the rest to exactly 0, in place. The module stays a
 * normal dense module (same parameters, same file format); the zeros are
 * what {@link SparseGRU} and {@link csrMatmul} turn into CSR for inference,
 * and what {@link SparsityMask} holds fixed while fine-tuning.
 */
import type { Var } from '../autograd/var.js';
import { Embedding } from '../nn/embedding.js';
import { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { shapeString, type FloatArray } from '../tensor/tensor.js';
import { GruError } from '../errors.js';

/** Options of {@link magnitudePrune}. */
export interface PruneOptions {
  /** Fraction of each pruned matrix's entries to keep, in (0, 1]; 1 keeps everything. */
  density: number;
  /**
   * Names (as in `namedParameters()`, e.g. `gru.weight_hh_l0`) of the
   * matrices to prune. Default: every {@link prunableParameters prunable}
   * matrix. Naming a parameter that does not exist, or one that is not a
   * 2-D matrix (a bias), is an error; naming an embedding prunes it.
   */
  include?: readonly string[];
  /**
   * 'per-matrix' (default): every matrix keeps `density` of its own entries.
   * 'global': one magnitude threshold over all the chosen matrices together,
   * so `density` holds overall and matrices with larger weights keep more.
   */
  scope?: 'per-matrix' | 'global';
  /** Also prune embedding tables when `include` is not given (default false). */
  includeEmbeddings?: boolean;
}

/** What {@link magnitudePrune} did to one matrix. */
export interface PruneStat {
  /** Parameter name, e.g. `gru.weight_ih_l0`. */
  name: string;
  /** [rows, cols]. */
  shape: [number, number];
  /** rows · cols. */
  size: number;
  /** Entries that are non-zero after pruning. */
  kept: number;
  /** kept / size. */
  density: number;
}

/**
 * The weight matrices pruning considers by default, with their names: every
 * 2-D parameter whose own name starts with `weight` (GRU `weight_ih_l*` and
 * `weight_hh_l*`, Linear and attention-pool `weight`), excluding embedding
 * tables unless `includeEmbeddings`. Biases and vectors are never included.
 */
export function prunableParameters(module: Module, o: { includeEmbeddings?: boolean } = {}): [string, Var][] {
  const embeddings = o.includeEmbeddings ? new Set<Var>() : embeddingWeights(module);
  return module.namedParameters().filter(([name, v]) => {
    const own = name.slice(name.lastIndexOf('.') + 1);
    return v.shape.length === 2 && own.startsWith('weight') && !embeddings.has(v);
  });
}

/** The weight Vars of every Embedding reachable from `module`. */
function embeddingWeights(module: Module): Set<Var> {
  const out = new Set<Var>();
  const seen = new Set<unknown>();
  const visit = (o: unknown, depth: number): void => {
    if (o === null || typeof o !== 'object' || seen.has(o) || depth > 64) return;
    seen.add(o);
    if (o instanceof Embedding) out.add(o.weight);
    if (o instanceof Module || Array.isArray(o)) for (const v of Object.values(o)) visit(v, depth + 1);
    else if (o instanceof Map) for (const v of o.values()) visit(v, depth + 1);
  };
  visit(module, 0);
  return out;
}

/**
 * Magnitude pruning in place: of each chosen weight matrix (or, with
 * `scope: 'global'`, of all of them together) keeps the round(density · n)
 * entries of largest |w| (at least one per matrix) and sets the others to 0.
 * Ties at the threshold are broken by position, so the result is
 * deterministic. Returns one {@link PruneStat} per pruned matrix.
 *
 * @example
 * ```ts
 * const stats = magnitudePrune(model, { density: 0.3 });   // GRU and Linear weights, 30% each
 * const sparse = SparseGRU.fromDense(model.gru);            // CSR inference on the pruned weights
 * ```
 */
export function magnitudePrune(module: Module, o: PruneOptions): PruneStat[] {
  const { density } = o;
  if (typeof density !== 'number' || !(density > 0 && density <= 1)) {
    throw new GruError('INVALID_ARGUMENT', `magnitudePrune: density must be a number in (0, 1] (the fraction of weights kept), got ${String(density)}`);
  }
  const scope = o.scope ?? 'per-matrix';
  if (scope !== 'per-matrix' && scope !== 'global') throw new GruError('INVALID_ARGUMENT', `magnitudePrune: scope must be 'per-matrix' or 'global', got '${String(scope)}'`);
  const targets = chooseTargets(module, o);
  if (scope === 'per-matrix') {
    for (const [, v] of targets) keepLargest([v.value.data], density);
  } else {
    keepLargest(
      targets.map(([, v]) => v.value.data),
      density,
    );
  }
  return targets.map(([name, v]) => {
    const data = v.value.data;
    let kept = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) kept++;
    return { name, shape: [v.shape[0], v.shape[1]], size: data.length, kept, density: data.length === 0 ? 0 : kept / data.length };
  });
}

function chooseTargets(module: Module, o: PruneOptions): [string, Var][] {
  if (o.include === undefined) return prunableParameters(module, o);
  if (o.include.length === 0) throw new GruError('INVALID_ARGUMENT', 'magnitudePrune: include is empty; leave it out to prune every weight matrix');
  const all = new Map(module.namedParameters());
  const out: [string, Var][] = [];
  for (const name of new Set(o.include)) {
    const v = all.get(name);
    if (!v) {
      const names = prunableParameters(module, { includeEmbeddings: true }).map(([n]) => n);
      throw new GruError('INVALID_ARGUMENT', `magnitudePrune: no parameter named '${name}'; the weight matrices are: ${names.join(', ')}`);
    }
    if (v.shape.length !== 2) throw new GruError('INVALID_ARGUMENT', `magnitudePrune: '${name}' is not a 2-D weight matrix (shape ${shapeString(v.shape)}); biases and vectors are not pruned`);
    out.push([name, v]);
  }
  return out;
}

/**
 * Zeroes all but the round(density · total) largest-|w| entries across the
 * arrays (at least one). The threshold is the k-th largest magnitude; entries
 * above it stay, entries equal to it stay in order of position until k are kept.
 */
function keepLargest(arrays: FloatArray[], density: number): void {
  let total = 0;
  for (const a of arrays) total += a.length;
  if (total === 0 || density >= 1) return;
  const k = Math.min(total, Math.max(1, Math.round(density * total)));
  const mags = new Float64Array(total);
  let p = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) mags[p++] = Math.abs(a[i]);
  mags.sort();
  const threshold = mags[total - k];
  let above = 0;
  for (let i = total - k; i < total; i++) if (mags[i] > threshold) above++;
  let tiesLeft = k - above;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const m = Math.abs(a[i]);
      if (m > threshold) continue;
      if (m === threshold && tiesLeft > 0) {
        tiesLeft--;
        continue;
      }
      a[i] = 0;
    }
  }
}

/**
 * The zero pattern of pruned matrices, to keep it while fine-tuning: call
 * {@link SparsityMask.apply} after every optimizer step (or wrap the
 * optimizer with {@link keepSparsity}) and pruned weights stay exactly 0.
 */
export class SparsityMask {
  private constructor(private readonly entries: { name: string; param: Var; keep: Uint8Array }[]) {}

  /**
   * Records which entries of the named parameters are non-zero now
   * (default: every {@link prunableParameters prunable} matrix).
   */
  static fromModule(module: Module, names?: readonly string[]): SparsityMask {
    const all = new Map(module.namedParameters());
    const chosen =
      names === undefined
        ? prunableParameters(module)
        : names.map((n) => {
            const v = all.get(n);
            if (!v) throw new GruError('INVALID_ARGUMENT', `SparsityMask: no parameter named '${n}'`);
            return [n, v] as [string, Var];
          });
    return new SparsityMask(
      chosen.map(([name, param]) => {
        const d = param.value.data;
        const keep = new Uint8Array(d.length);
        for (let i = 0; i < d.length; i++) keep[i] = d[i] !== 0 ? 1 : 0;
        return { name, param, keep };
      }),
    );
  }

  /** Names of the masked parameters. */
  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** Sets every masked-out entry back to 0 (reads the parameters' current values, so it survives loadStateDict). */
  apply(): void {
    for (const { param, keep } of this.entries) {
      const d = param.value.data;
      for (let i = 0; i < d.length; i++) if (keep[i] === 0) d[i] = 0;
    }
  }
}

/**
 * Makes `optimizer.step()` re-apply `mask` after every update (e.g. Adam's
 * momentum would otherwise revive pruned weights), so training through
 * `fit` fine-tunes at a fixed sparsity pattern. Returns the same optimizer.
 */
export function keepSparsity<O extends Optimizer>(optimizer: O, mask: SparsityMask): O {
  const step = optimizer.step.bind(optimizer);
  optimizer.step = () => {
    step();
    mask.apply();
  };
  return optimizer;
}
