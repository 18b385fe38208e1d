/**
 * `npm run bench:seq2seq`: a seq2seq training step on CMUdict (issue #18), the
 * configuration of QUALITY.md's run: 2-layer bi-GRU encoder 256, GRU decoder
 * 256, Bahdanau attention 256, embeddings 64, dropout 0.2, batch 64, Adam.
 * Batches as trainSeq2Seq makes them (shuffled, sorted by source length
 * within chunks of 20 batches).
 *
 * Variants: the decoder as one tape node (attentionDecoder, the default) and
 * the step-by-step loop it replaced (`fusedDecoder = false`: a GRU call, an
 * attention call and a concatenation on the tape per target step). With
 * `--against DIR`, also the training step of another checkout (DIR/src,
 * loaded into this process), e.g. the commit before the change. The
 * variants run interleaved in rounds, so a noisy spell of a shared machine
 * falls on all of them. Reported: median milliseconds per step, the 10th–90th
 * percentile spread, an epoch's time at that rate (1,756 steps: 90% of
 * CMUdict's 124,890 words in batches of 64), and ratios to the first variant.
 *
 *   npm run bench:seq2seq -- [--rounds 8] [--block 6] [--threads N] [--against DIR]
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as thisIndex from '../src/index.js';

type Lib = typeof thisIndex;

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const positiveInt = (name: string, fallback: number): number => {
  const v = opt(name);
  const n = v === undefined ? fallback : Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${name}: expected a positive integer, got ${v}`);
  return n;
};
const rounds = positiveInt('--rounds', 8);
const block = positiveInt('--block', 6);
const threads = opt('--threads') === undefined ? undefined : positiveInt('--threads', 1);
const EPOCH_STEPS = Math.ceil((124890 * 0.9) / 64);

interface Variant {
  name: string;
  /** `block` training steps; returns milliseconds per step. */
  run: () => number;
  times: number[];
}

function variantsOf(lib: Lib, tag: string | null, fusedChoice: boolean[]): Variant[] {
  if (threads !== undefined) lib.backend().setThreads?.(threads);
  const pairs = lib.cmudictPairs();
  const source = lib.Tokenizer.fit(
    pairs.map((p) => p.source),
    { kind: 'char', lowercase: false },
  );
  const target = lib.Tokenizer.fit(
    pairs.map((p) => p.target.join(' ')),
    { kind: 'word', lowercase: false },
  );
  const bs = 64;
  const order = lib.permutation(pairs.length, 1).slice(0, bs * 20 * 4);
  const batches: ReturnType<Lib['makePairBatch']>[] = [];
  for (let c = 0; c < order.length; c += bs * 20) {
    const chunk = order.slice(c, c + bs * 20).sort((a, b) => pairs[a].source.length - pairs[b].source.length);
    for (let i = 0; i < chunk.length; i += bs) {
      const ps = chunk.slice(i, i + bs).map((j) => pairs[j]);
      batches.push(
        lib.makePairBatch(
          ps.map((p) => source.encode(p.source)),
          ps.map((p) => target.encode(p.target.join(' '))),
        ),
      );
    }
  }
  return fusedChoice.map((fused) => {
    const model = new lib.Seq2Seq({ attention: 'bahdanau', embeddingSize: 64, encoderSize: 256, encoderLayers: 2, decoderSize: 256, attentionSize: 256, maxTargetLen: 30, dropout: 0.2 }, source.size, target.size, 0);
    if ('fusedDecoder' in model) (model as { fusedDecoder: boolean }).fusedDecoder = fused;
    model.train();
    const optimizer = new lib.Adam(model.parameters(), { lr: 1.5e-3 });
    let at = 0;
    const steps = (n: number) => {
      for (let i = 0; i < n; i++) {
        optimizer.zeroGrad();
        lib.backward(model.loss(batches[at++ % batches.length]));
        optimizer.step();
      }
    };
    steps(2); // warm-up
    return {
      name: tag ?? (fused ? 'one-node decoder' : 'step loop'),
      times: [],
      run: () => {
        const t0 = performance.now();
        steps(block);
        return (performance.now() - t0) / block;
      },
    };
  });
}

const variants = variantsOf(thisIndex, null, [true, false]);
const against = opt('--against');
if (against) {
  const other = (await import(pathToFileURL(resolve(against, 'src/index.ts')).href)) as Lib;
  variants.push(...variantsOf(other, `the training step of ${against}`, [true]));
}

console.log(`seq2seq training step, CMUdict batches of 64; ${cpus()[0]?.model ?? ''}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}; backend ${thisIndex.backend().name}, ${thisIndex.backend().threads?.() ?? 1} thread(s)`);
for (let r = 0; r < rounds; r++) {
  // The order turns each round, so no variant always runs right after another.
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    v.times.push(v.run());
  }
}
const pct = (t: number[], q: number) => [...t].sort((a, b) => a - b)[Math.min(t.length - 1, Math.floor(q * t.length))];
const base = pct(variants[0].times, 0.5);
console.log(`\n| variant | ms / step (median) | p10–p90 | epoch (${EPOCH_STEPS} steps) | ÷ one-node decoder |`);
console.log('|---|---:|---:|---:|---:|');
for (const v of variants) {
  const m = pct(v.times, 0.5);
  console.log(`| ${v.name} | ${m.toFixed(1)} | ${pct(v.times, 0.1).toFixed(1)}–${pct(v.times, 0.9).toFixed(1)} | ${((m * EPOCH_STEPS) / 60000).toFixed(1)} min | ${(m / base).toFixed(2)} |`);
}
console.log(`\nload at the end ${loadavg()[0].toFixed(2)}`);
