/**
 * `npm run bench:seq2seq`: a seq2seq training step on CMUdict (issue #18), the
 * configuration of QUALITY.md's run: 2-layer bi-GRU encoder 256, GRU decoder
 * 256, Bahdanau attention 256, embeddings 64, dropout 0.2, batch 64, Adam.
 * Batches as trainSeq2Seq makes them (shuffled, sorted by source length
 * within chunks of 20 batches).
 *
 * Variants: the decoder as one tape node (attentionDecoder, the default), the
 * step-by-step loop it replaced (`fusedDecoder = false`: a GRU call, an
 * attention call and a concatenation on the tape per target step), and the
 * one-node decoder on `--replicas` data-parallel replicas (default 2: this
 * thread and a worker, each computing half of every batch). With
 * `--against DIR`, also the training step of another checkout (DIR/src,
 * loaded into this process), e.g. the commit before the change. The
 * variants run interleaved in rounds, so a noisy spell of a shared machine
 * falls on all of them. Reported: median milliseconds per step, the 10th–90th
 * percentile spread, an epoch's time at that rate (1,756 steps: 90% of
 * CMUdict's 124,890 words in batches of 64), and ratios to the first variant.
 *
 * TensorFlow.js (bench/engines/tfjs-seq2seq.ts): the same model written in tf
 * ops, trained with optimizer.minimize and tf.train.adam on the same batches,
 * on the `wasm` backend (SIMD; setThreadsCount(--threads) is asked, and what
 * it used is printed) and the plain-JS `cpu` backend. It starts from the
 * initial weights of gru-ts's model (seed 0), so before timing the script
 * asserts the same parameter count and the same loss without dropout on a
 * middle-length batch (the 11th), and prints both models' first
 * training-step loss. A tfjs variant runs `--tfjs-block` steps a round
 * (default 1: a step takes seconds), spread over the batches gru-ts's block
 * runs that round. The cpu backend is checked but not timed when that
 * check's forward pass takes over `--cpu-limit` seconds (default 20; on a
 * loaded 2-core machine it took 4–10 s on a batch of source length 8, 18 s
 * on one of length 13, and training steps 10–130 s).
 *
 *   npm run bench:seq2seq -- [--rounds 8] [--block 6] [--threads N] [--against DIR] [--replicas 2]
 *     [--engines one-node,step-loop,replicas,tfjs-wasm,tfjs-cpu] [--tfjs-block 1] [--cpu-limit 20]
 *
 * `--engines` picks the variants (default all); the one-node decoder always
 * runs, as the base of the ratios.
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as thisIndex from '../src/index.js';
import { type TfjsSeq2Seq, tfjsSeq2Seq } from './engines/tfjs-seq2seq.js';
import { seq2seqReplicas } from '../src/tasks/seq2seq/replica.js';
import { opt, positiveInt } from './args.js';

type Lib = typeof thisIndex;

const rounds = positiveInt('--rounds', 8);
const block = positiveInt('--block', 6);
const threads = opt('--threads') === undefined ? undefined : positiveInt('--threads', 1);
const tfjsBlock = positiveInt('--tfjs-block', 1);
const cpuLimit = positiveInt('--cpu-limit', 20);
const ENGINES = ['one-node', 'step-loop', 'replicas', 'tfjs-wasm', 'tfjs-cpu'];
const replicaCount = positiveInt('--replicas', 2);
const engines = new Set((opt('--engines') ?? ENGINES.join(',')).split(',').map((e) => e.trim()));
for (const e of engines) if (!ENGINES.includes(e)) throw new Error(`--engines: unknown ${e}; expected some of ${ENGINES.join(',')}`);
const EPOCH_STEPS = Math.ceil((124890 * 0.9) / 64);

interface Variant {
  name: string;
  /**
   * Round `round`'s training steps, returns milliseconds per step: gru-ts
   * `block` steps, on batches 2 + round·block onwards (after 2 warm-up steps);
   * a tfjs variant `--tfjs-block` steps spread evenly over those same batches
   * (batches are sorted by length within chunks of 20, so the first ones of
   * a block would be the short ones).
   */
  run: (round: number) => number | Promise<number>;
  times: number[];
}

const MODEL = { attention: 'bahdanau', embeddingSize: 64, encoderSize: 256, encoderLayers: 2, decoderSize: 256, attentionSize: 256, maxTargetLen: 30, dropout: 0.2 } as const;
const LR = 1.5e-3;

/**
 * The batches every variant trains on, as trainSeq2Seq makes them (bucketed, seed 1): the first 80.
 * Plain data, so another checkout (--against) reads the same ones.
 */
const data = (() => {
  const pairs = thisIndex.cmudictPairs();
  const source = thisIndex.Tokenizer.fit(
    pairs.map((p) => p.source),
    { kind: 'char', lowercase: false },
  );
  const target = thisIndex.Tokenizer.fit(
    pairs.map((p) => p.target.join(' ')),
    { kind: 'word', lowercase: false },
  );
  const batches = thisIndex
    .bucketed([...pairs.keys()], (i) => pairs[i].source.length, 64, 1)
    .slice(0, 80)
    .map((ix) =>
      thisIndex.makePairBatch(
        ix.map((j) => source.encode(pairs[j].source)),
        ix.map((j) => target.encode(pairs[j].target.join(' '))),
      ),
    );
  return { srcVocab: source.size, tgtVocab: target.size, batches };
})();

/** gru-ts's first training-step loss (of the one-node decoder), for the tfjs check. */
let gruTsFirstLoss = Number.NaN;

/** A variant's step: the decoder as one node or the step loop, on one thread's replica or on `replicas` (data parallel). */
interface StepKind {
  fused: boolean;
  replicas: number;
}

function variantsOf(lib: Lib, tag: string | null, kinds: StepKind[]): Variant[] {
  if (threads !== undefined) lib.backend().setThreads?.(threads);
  const { srcVocab, tgtVocab, batches } = data;
  return kinds.map(({ fused, replicas }) => {
    const model = new lib.Seq2Seq(MODEL, srcVocab, tgtVocab, 0);
    if ('fusedDecoder' in model) (model as { fusedDecoder: boolean }).fusedDecoder = fused;
    model.train();
    const optimizer = new lib.Adam(model.parameters(), { lr: LR });
    const parallel = replicas > 1 ? seq2seqReplicas(model, srcVocab, tgtVocab, replicas) : null;
    let at = 0;
    const steps = (n: number) => {
      for (let i = 0; i < n; i++) {
        const batch = batches[at++ % batches.length];
        if (parallel) parallel.lossAndGradient(batch);
        else {
          optimizer.zeroGrad();
          const loss = model.loss(batch);
          if (at === 1 && tag === null && fused) gruTsFirstLoss = loss.value.data[0];
          lib.backward(loss);
        }
        optimizer.step();
      }
    };
    steps(2); // warm-up (and the replicas' start)
    return {
      name: tag ?? (replicas > 1 ? `one-node decoder, ${replicas} replicas (data parallel)` : fused ? 'one-node decoder' : 'step loop'),
      times: [],
      run: () => {
        const t0 = performance.now();
        steps(block);
        return (performance.now() - t0) / block;
      },
    };
  });
}

const variants = variantsOf(thisIndex, null, [{ fused: true, replicas: 1 }, ...(engines.has('step-loop') ? [{ fused: false, replicas: 1 }] : []), ...(engines.has('replicas') ? [{ fused: true, replicas: replicaCount }] : [])]);

/**
 * A tfjs variant: the model built from the initial weights of gru-ts's (seed
 * 0), checked against it (parameter count; loss without dropout on the first
 * batch; first training-step loss), then warmed up. Null (with the reason
 * printed) when the backend is too slow for the run.
 */
async function tfjsVariant(backend: 'wasm' | 'cpu'): Promise<Variant | null> {
  const { srcVocab, tgtVocab, batches } = data;
  const ref = new thisIndex.Seq2Seq(MODEL, srcVocab, tgtVocab, 0);
  const gruTsCount = ref.parameters().reduce((n, p) => n + p.value.size, 0);
  const init = new Map(ref.namedParameters().map(([n, p]) => [n, { data: Float32Array.from(p.value.data), shape: p.shape }]));
  const m: TfjsSeq2Seq = await tfjsSeq2Seq(
    backend,
    { srcVocab, tgtVocab, embeddingSize: MODEL.embeddingSize, encoderSize: MODEL.encoderSize, encoderLayers: MODEL.encoderLayers, decoderSize: MODEL.decoderSize, attentionSize: MODEL.attentionSize, dropout: MODEL.dropout, lr: LR },
    { threads, init },
  );
  const name = `tfjs ${backend}${backend === 'wasm' ? ` (${m.threadsUsed} thread${m.threadsUsed === 1 ? '' : 's'})` : ''}`;
  console.log(`${name}: ${m.parameterCount.toLocaleString('en')} trainable parameters, gru-ts ${gruTsCount.toLocaleString('en')}`);
  if (m.parameterCount !== gruTsCount) throw new Error(`${name}: ${m.parameterCount} parameters, gru-ts has ${gruTsCount}`);
  ref.eval();
  // A middle-length batch of the first chunk (the first ones are the shortest).
  const check = batches[10 % batches.length];
  const refLoss = thisIndex.noGrad(() => ref.loss(check).value.data[0]);
  const t0 = performance.now();
  const evalLoss = m.evalLoss(check);
  const forwardMs = performance.now() - t0;
  console.log(
    `${name}: loss without dropout on batch 11 (source length ${check.S}) ${evalLoss.toFixed(6)}, gru-ts ${refLoss.toFixed(6)} (same weights; ln V = ${Math.log(tgtVocab).toFixed(4)}); that forward pass ${(forwardMs / 1000).toFixed(1)} s`,
  );
  if (!(Math.abs(evalLoss - refLoss) <= 1e-4 * Math.max(1, Math.abs(refLoss)))) throw new Error(`${name}: loss ${evalLoss} differs from gru-ts's ${refLoss}`);
  if (backend === 'cpu' && forwardMs > cpuLimit * 1000) {
    console.log(`${name}: not timed, a forward pass took ${(forwardMs / 1000).toFixed(0)} s (over --cpu-limit ${cpuLimit} s), and a training step takes several times that`);
    m.dispose();
    return null;
  }
  const t1 = performance.now();
  const first = m.trainStep(batches[0]);
  console.log(`${name}: first training-step loss ${first.toFixed(4)}, gru-ts ${gruTsFirstLoss.toFixed(4)} (dropout masks differ); that step ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  if (!(Math.abs(first - gruTsFirstLoss) < 0.1)) throw new Error(`${name}: first-step loss ${first} is not near gru-ts's ${gruTsFirstLoss}`);
  m.trainStep(batches[1]); // the second warm-up step, as gru-ts's
  return {
    name,
    times: [],
    run: async (round) => {
      await m.activate(); // this backend current, its tensors moved here: outside the time
      const start = performance.now();
      for (let i = 0; i < tfjsBlock; i++) m.trainStep(batches[(2 + round * block + Math.floor(((i + 0.5) * block) / tfjsBlock)) % batches.length]);
      return (performance.now() - start) / tfjsBlock;
    },
  };
}
for (const backend of ['wasm', 'cpu'] as const) {
  if (!engines.has(`tfjs-${backend}`)) continue;
  const v = await tfjsVariant(backend);
  if (v) variants.push(v);
}
const usesTfjs = variants.some((v) => v.name.startsWith('tfjs'));
const tensorsBefore = usesTfjs ? tf.memory().numTensors : 0;

const against = opt('--against');
if (against) {
  const other = (await import(pathToFileURL(resolve(against, 'src/index.ts')).href)) as Lib;
  variants.push(...variantsOf(other, `the training step of ${against}`, [{ fused: true, replicas: 1 }]));
}

console.log(`seq2seq training step, CMUdict batches of 64; ${cpus()[0]?.model ?? ''}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}; backend ${thisIndex.backend().name}, ${thisIndex.backend().threads?.() ?? 1} thread(s)`);
for (let r = 0; r < rounds; r++) {
  // The order turns each round, so no variant always runs right after another.
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    v.times.push(await v.run(r));
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
if (usesTfjs) {
  console.log(
    `tfjs ${tf.version.tfjs}: a tfjs variant runs ${tfjsBlock} step(s) a round; tensors held before the rounds ${tensorsBefore}, after ${tf.memory().numTensors}. tfjs-backend-wasm reports no thread support under Node (its WASM_HAS_MULTITHREAD_SUPPORT is false there), so it runs the single-threaded SIMD binary whatever --threads asks.`,
  );
}
