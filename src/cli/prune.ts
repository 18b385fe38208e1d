/** `gru prune MODEL --density D --out OUT`: magnitude pruning of a saved model. */
import { InvalidArgumentError, type Command } from 'commander';
import { shapeString } from '../tensor/tensor.js';
import { pruneModelFile } from '../tasks/prune-file.js';

/** Parses a density option: a number in (0, 1]. */
export function densityOption(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n <= 1)) throw new InvalidArgumentError(`expected a density in (0, 1] (the fraction of weights kept), got '${v}'`);
  return n;
}

interface PruneFlags {
  density: number;
  out: string;
  global?: boolean;
  embeddings?: boolean;
  include?: string;
  json?: boolean;
}

/** Adds the `prune` command to the `gru` program. */
export function pruneCommand(program: Command): void {
  program
    .command('prune')
    .description('magnitude-prune the weight matrices of a model to a density (biases and embeddings stay dense)')
    .argument('<model>', 'model file')
    .requiredOption('--density <fraction>', 'fraction of each weight matrix to keep, in (0, 1]', densityOption)
    .requiredOption('--out <file>', 'pruned model file to write')
    .option('--global', 'one magnitude threshold over all matrices instead of one per matrix')
    .option('--embeddings', 'prune embedding tables too')
    .option('--include <names>', 'comma-separated parameter names to prune (default: every weight matrix)')
    .option('--json', 'print one JSON object')
    .action((path: string, f: PruneFlags) => {
      const include =
        f.include === undefined
          ? undefined
          : f.include
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean);
      const r = pruneModelFile(path, f.out, { density: f.density, scope: f.global ? 'global' : 'per-matrix', includeEmbeddings: !!f.embeddings, include });
      if (f.json) {
        console.log(JSON.stringify({ task: r.task, model: f.out, density: f.density, scope: r.sparsity.scope, kept: r.kept, size: r.size, overallDensity: r.sparsity.overallDensity, matrices: r.stats }));
        return;
      }
      console.log(`${path} (${r.task}) → ${f.out}: ${r.sparsity.scope} magnitude pruning to density ${f.density}`);
      const w = Math.max(...r.stats.map((s) => s.name.length), 6);
      const sw = Math.max(...r.stats.map((s) => shapeString(s.shape).length), 5);
      for (const s of r.stats) {
        console.log(`  ${s.name.padEnd(w)}  ${shapeString(s.shape).padEnd(sw)}  ${String(s.kept).padStart(8)} / ${String(s.size).padEnd(8)}  density ${s.density.toFixed(3)}`);
      }
      console.log(`  ${'total'.padEnd(w)}  ${''.padEnd(sw)}  ${String(r.kept).padStart(8)} / ${String(r.size).padEnd(8)}  density ${r.sparsity.overallDensity.toFixed(3)}`);
    });
}
