/**
 * `npm run bench:serve`: `gru serve` under load (autocannon), beside the same
 * model run by ONNX Runtime behind the same server.
 *
 * The model: a text classifier the size of the spam demo (`gru demo
 * classify`: word tokens, embedding 64, a bidirectional GRU of hidden 64,
 * attention pooling, texts cut at 128 tokens, 2 labels) with a 5,000-word
 * vocabulary and random weights (the cost does not depend on them), saved to
 * a model file. Servers, each a child process:
 *
 *   gru-ts        `gru serve MODEL` itself (src/cli/main.ts through tsx): the model
 *                 in a worker thread (the default), and with `--no-worker`
 *   onnxruntime   this script with `--serve-ort MODEL`: the same Fastify
 *                 server, validation, micro-batcher and queue, with the model
 *                 call replaced by onnxruntime-node running the classifier's
 *                 ONNX export (`gru export --onnx`) on the same token ids
 *
 * each with its default threads and with one. Each is loaded by autocannon
 * at several concurrencies (connections, each sending its next request when
 * the last is answered), POSTing texts of 20–60 words from a fixed list of
 * 256. Reported: requests/s, p50 and p99 latency, failed requests (errors,
 * timeouts and any answer other than 200) and the mean batch (requests ÷
 * model calls, from the server's /info); each server must exit 0 on SIGTERM.
 *
 * The load generator runs on the same machine as the server, so both share
 * its cores. Options: --seconds N per point (default 10), --concurrency
 * 1,8,32,128.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import ort from 'onnxruntime-node';
import { Classifier, Rng, Tokenizer, backend, classifierToOnnx, loadClassifier, makeTextBatch, saveClassifier, type TrainedClassifier } from '../src/index.js';
import { serveUntilSignal } from '../src/serve/command.js';
import { createServer } from '../src/serve/server.js';
import { classifyServable, type Classification } from '../src/serve/servables.js';

const VOCAB = 5000;

/** Texts of 20–60 words drawn from a vocabulary of VOCAB words (word i occurs with weight 1/(i+1), as words do). */
function texts(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const weights = Array.from({ length: VOCAB }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w / total));
  const word = () => {
    const u = rng.uniform();
    let lo = 0,
      hi = VOCAB - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return `w${lo}`;
  };
  return Array.from({ length: n }, () => Array.from({ length: 20 + rng.int(41) }, word).join(' '));
}

/** The benchmark's classifier, saved to `path`. */
function makeModel(path: string): void {
  const tokenizer = Tokenizer.fit([...texts(4000, 1), Array.from({ length: VOCAB }, (_, i) => `w${i}`).join(' ')], { kind: 'word', maxSize: VOCAB + 4, minCount: 1 });
  const model = new Classifier(
    {
      labels: ['ham', 'spam'],
      tokenizer: 'word',
      maxLen: 128,
      embeddingSize: 64,
      hiddenSize: 64,
      numLayers: 1,
      bidirectional: true,
      dropout: 0,
      pooling: 'attention',
    },
    tokenizer.size,
    1,
  ).eval();
  saveClassifier({ model, tokenizer }, path);
}

/** The model file's classifier behind the server, its model call made by ONNX Runtime on the classifier's ONNX export. */
async function serveWithOrt(path: string, threads?: number): Promise<void> {
  const c: TrainedClassifier = loadClassifier(path);
  const session = await ort.InferenceSession.create(classifierToOnnx(c), threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {});
  const labels = c.model.config.labels,
    C = labels.length;
  const run = async (batch: string[]): Promise<Classification[]> => {
    // The token ids and lengths classifyTexts gives the GRU, as the export's inputs.
    const b = makeTextBatch(
      batch.map((t) => c.tokenizer!.encode(t, c.model.config.maxLen)),
      null,
    );
    const out = await session.run({
      ids: new ort.Tensor('int64', BigInt64Array.from(Array.from(b.ids, (v) => BigInt(v))), [b.B, b.T]),
      lengths: new ort.Tensor('int64', BigInt64Array.from(Array.from(b.lengths, (v) => BigInt(v))), [b.B]),
    });
    const p = out.probabilities.data as Float32Array;
    return batch.map((_, i) => {
      let best = 0;
      for (let k = 1; k < C; k++) if (p[i * C + k] > p[i * C + best]) best = k;
      return { label: labels[best], probabilities: Object.fromEntries(labels.map((l, k) => [l, p[i * C + k]])) };
    });
  };
  const servable = { ...classifyServable(c, run), engine: `onnxruntime-node ${ort.env.versions.common}${threads ? `, ${threads} thread(s)` : ''}` };
  await serveUntilSignal(createServer(servable), { port: 0, host: '127.0.0.1' }, `classify model ${path} (ONNX Runtime)`);
}

/** Starts a server child and resolves with its address once it listens. */
function startServer(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m) resolve({ child, url: m[0] });
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${out}`)));
  });
}

/** Closes a server child with SIGTERM; resolves with its exit code. */
function stopServer(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

interface Point {
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  meanBatch: number;
}

/** A latency in autocannon's whole milliseconds; 0 is under one. */
const ms = (v: number) => (v === 0 ? '< 1' : String(v));

async function info(url: string): Promise<{ engine: string; batching: { requests: number; batches: number } }> {
  return (await fetch(`${url}/info`)).json() as Promise<{ engine: string; batching: { requests: number; batches: number } }>;
}

/** One load run: `concurrency` connections for `seconds`, bodies cycling through `bodies`. */
async function load(url: string, concurrency: number, seconds: number, bodies: string[]): Promise<Point> {
  const before = (await info(url)).batching;
  let next = 0;
  const r = await autocannon({
    url: `${url}/predict`,
    connections: concurrency,
    duration: seconds,
    timeout: 30,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  });
  const after = (await info(url)).batching;
  return {
    concurrency,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failed: r.errors + r.timeouts + r.non2xx,
    meanBatch: (after.requests - before.requests) / Math.max(1, after.batches - before.batches),
  };
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const ortModel = arg('--serve-ort');
  if (ortModel) return serveWithOrt(ortModel, arg('--threads') ? Number(arg('--threads')) : undefined);
  const seconds = Number(arg('--seconds') ?? 10);
  const concurrencies = (arg('--concurrency') ?? '1,8,32,128').split(',').map(Number);

  const dir = mkdtempSync(join(tmpdir(), 'gru-bench-serve-'));
  try {
    const model = join(dir, 'classifier.safetensors');
    makeModel(model);
    const bodies = texts(256, 2).map((text) => JSON.stringify({ text }));
    // Each engine with its default threads and with one (the load generator needs a core too).
    const gru = ['src/cli/main.ts', 'serve', model, '--port', '0'],
      onnx = ['bench/serve.ts', '--serve-ort', model];
    const engines: { args: string[]; env: Record<string, string> }[] = [
      { args: gru, env: {} },
      { args: gru, env: { GRU_TS_THREADS: '1' } },
      { args: [...gru, '--no-worker'], env: {} },
      { args: onnx, env: {} },
      { args: [...onnx, '--threads', '1'], env: {} },
    ];
    const load0 = loadavg()[0];
    const rows: string[] = [];
    let failedAll = 0;
    for (const e of engines) {
      const { child, url } = await startServer(e.args, e.env);
      const engine = `${(await info(url)).engine}${e.env.GRU_TS_THREADS ? `, GRU_TS_THREADS=${e.env.GRU_TS_THREADS}` : ''}${e.args.includes('--no-worker') ? ' (--no-worker: on the event loop)' : ''}`;
      await load(url, 8, 2, bodies); // warm-up
      for (const c of concurrencies) {
        const p = await load(url, c, seconds, bodies);
        failedAll += p.failed;
        rows.push(`| ${engine} | ${c} | ${Math.round(p.rps)} | ${ms(p.p50)} | ${ms(p.p99)} | ${p.failed} | ${p.meanBatch.toFixed(1)} |`);
        console.error(rows.at(-1));
      }
      const code = await stopServer(child);
      if (code !== 0) throw new Error(`${engine}: the server exited ${code} on SIGTERM, not 0`);
    }
    console.log(
      `gru serve under load: a text classifier (vocabulary ${VOCAB}, embedding 64, bidirectional GRU hidden 64, attention pooling), texts of 20–60 words; ${seconds} s per point; autocannon on the same machine (${cpus().length} cores, ${cpus()[0]?.model.trim()}), Node ${process.version}; the gru-ts server's default backend ${backend().name}; load average ${load0.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after; latencies in whole milliseconds, as autocannon records them`,
    );
    console.log('| server | concurrency | requests/s | p50 ms | p99 ms | failed | mean batch |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(r);
    console.log(failedAll === 0 ? 'no failed request; both servers exited 0 on SIGTERM' : `${failedAll} FAILED requests`);
    if (failedAll > 0) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
