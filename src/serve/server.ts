/**
 * The HTTP JSON API of `gru serve`, on Fastify:
 *
 *   POST /predict  one input (the body the model's task takes) → its answer
 *   GET  /info     the task, the model's configuration, an example body, and
 *                  the batching settings and counters
 *   GET  /health   {"status": "ok"}
 *
 * Bodies are checked against the task's JSON Schema before anything runs:
 * a missing field, a wrong type or an unknown field answers 400 with a
 * message naming what was expected and what came. Requests wait for the
 * model in a bounded queue ({@link MicroBatcher}); a full queue answers 503
 * with Retry-After, so an overloaded server sheds load instead of growing
 * its memory and latency without bound. `close()` (and so SIGTERM in
 * `gru serve`) takes no new requests (503) and finishes those in flight.
 */
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { GruError } from '../errors.js';
import { backend } from '../kernels/index.js';
import { MicroBatcher, checkBatchOptions, type BatchOptions } from './batcher.js';
import type { Servable } from './servables.js';

/** Settings of {@link createServer}. */
export interface ServerOptions extends Partial<BatchOptions> {
  /** The largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
}

/** Batching defaults: 64 inputs a call (classifyTexts' own chunk), 1024 waiting, no added wait. */
export const DEFAULT_BATCHING: BatchOptions = { maxBatch: 64, maxQueue: 1024, maxWaitMs: 0 };

/** A server made by {@link createServer}: the Fastify app (listen, close, inject) and its batcher's counters. */
export interface GruServer {
  app: FastifyInstance;
  batcher: MicroBatcher<unknown, unknown>;
  /** Requests being handled now (received, not yet answered). */
  inFlight(): number;
}

/** One validation problem as Ajv reports it (verbose: with the value and its schema). */
interface AjvProblem {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
  parentSchema?: { properties?: Record<string, unknown> };
}

/** What a JSON value is, in words, for "got …". */
function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'number') return `a number (${v})`;
  if (typeof v === 'boolean') return `a boolean (${v})`;
  return 'an object';
}

/** One line for the first validation problem of a body: where, what was expected, what came. */
export function describeProblem(p: AjvProblem, example: Record<string, unknown>): string {
  const path = p.instancePath.slice(1).replace(/\//g, '.');
  const where = path === '' ? 'the body' : `field '${path}'`;
  const like = `a body like ${JSON.stringify(example)}`;
  switch (p.keyword) {
    case 'required':
      return `missing field '${String(p.params.missingProperty)}'${path ? ` in ${where}` : ''}: expected ${like}`;
    case 'additionalProperties': {
      const allowed = Object.keys(p.parentSchema?.properties ?? {});
      return `unknown field '${String(p.params.additionalProperty)}'${path ? ` in ${where}` : ''}: expected ${allowed.length ? `only ${allowed.map((k) => `'${k}'`).join(', ')}` : 'no fields'}`;
    }
    case 'type': {
      const want = [p.params.type].flat().map(String).join(' or ');
      if (path === '') return `expected a JSON object, ${like}; got ${kindOf(p.data)}`;
      return `${where}: expected ${/^[aeiou]/.test(want) ? 'an' : 'a'} ${want}, got ${kindOf(p.data)}`;
    }
    default:
      // Ajv's own words for bounds and lengths ("must NOT have fewer than 1 characters"), with the value that came.
      return `${where} ${p.message ?? `fails '${p.keyword}'`}; got ${kindOf(p.data)}`;
  }
}

/**
 * A Fastify app serving `servable` (not yet listening: call `app.listen`).
 * Micro-batching applies to servables that answer a batch in one call;
 * others get batches of one.
 */
export function createServer(servable: Servable, options: ServerOptions = {}): GruServer {
  const batching = checkBatchOptions({
    maxBatch: servable.batches ? (options.maxBatch ?? DEFAULT_BATCHING.maxBatch) : 1,
    maxQueue: options.maxQueue ?? DEFAULT_BATCHING.maxQueue,
    maxWaitMs: options.maxWaitMs ?? DEFAULT_BATCHING.maxWaitMs,
  });
  const batcher = new MicroBatcher<unknown, unknown>((inputs) => servable.run(inputs), batching);
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1 << 20,
    // Fastify's defaults would turn 5 into "5" and drop unknown fields silently: a client's typo must be an error instead.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, verbose: true, allowUnionTypes: true } },
  });

  let inFlight = 0;
  app.addHook('onRequest', async () => {
    inFlight++;
  });
  app.addHook('onResponse', async () => {
    inFlight--;
  });
  let closing = false;
  // From close() on: batches start at once rather than waiting for more requests.
  app.addHook('preClose', async () => {
    closing = true;
    void batcher.drain();
  });
  // An answer sent while closing ends its connection: a kept-alive one would hold close() until its idle timeout (72 s).
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: describeProblem(err.validation[0] as AjvProblem, servable.example) });
    }
    if (err instanceof GruError && (err.code === 'INVALID_ARGUMENT' || err.code === 'INVALID_DATA')) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: err.message });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own rejections: malformed JSON, a body too large, a content type other than JSON.
      return reply.code(err.statusCode).send({ statusCode: err.statusCode, error: STATUS_CODES[err.statusCode], message: err.message });
    }
    process.stderr.write(`gru serve: internal error: ${err.stack ?? err.message}\n`);
    return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: err.message });
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/info', async () => ({
    task: servable.task,
    engine: servable.engine ?? `gru-ts (${backend().name} backend)`,
    model: servable.info,
    request: { method: 'POST', path: '/predict', example: servable.example },
    batching: { ...batching, ...batcher.stats() },
  }));

  app.post('/predict', { schema: { body: servable.body } }, async (req, reply) => {
    const answer = batcher.offer(servable.prepare(req.body as Record<string, unknown>));
    if (answer === null) {
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({
          statusCode: 503,
          error: 'Service Unavailable',
          message: `the queue is full: ${batching.maxQueue} requests are waiting for the model; try again shortly`,
        });
    }
    return answer;
  });

  return { app, batcher, inFlight: () => inFlight };
}
