/**
 * Click logs for session-based recommendation: reading them (streamed, so a
 * log of tens of millions of clicks never becomes one string), and the
 * preprocessing and time split of GRU4Rec (Hidasi et al. 2016):
 *
 *   1. clicks grouped by session and ordered by time (ties keep file order);
 *   2. sessions shorter than `minSessionLength` (2) dropped;
 *   3. items with fewer than `minItemSupport` (5) clicks dropped;
 *   4. sessions shorter than `minSessionLength` after that dropped again;
 *   5. test: the sessions whose last click lies in the final `testDays`
 *      days (end ≥ tmax − testDays·86400 s); the rest is training;
 *   6. validation: carved from training the same way (its final
 *      `validationDays` days; 0 = none);
 *   7. validation and test clicks on items the training sessions never show
 *      dropped, then their sessions shorter than 2 dropped.
 *
 * Item ids are strings as the log spells them; the vocabulary is the items
 * of the training sessions, most clicked first. Times are seconds.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { GruError } from '../../errors.js';
import { parseDate } from '../../data/csv.js';

/** How to read a log's columns. */
export interface ReadOptions {
  /**
   * A preset: 'gru4rec' (tab-separated, a header, SessionId ItemId Time) or
   * 'yoochoose' (the RecSys Challenge 2015 yoochoose-clicks.dat as
   * published: comma-separated, no header, session, ISO time, item,
   * category). Column and delimiter options override the preset.
   */
  format?: ClickFormat;
  /** A header name, or a column number counted from 1 (then the file has no header). */
  sessionColumn?: string;
  itemColumn?: string;
  timeColumn?: string;
  /** The field separator; default: the preset's, else tab, comma or semicolon, whichever the first line holds. */
  delimiter?: string;
}

export type ClickFormat = 'gru4rec' | 'yoochoose';
export const CLICK_FORMATS: readonly ClickFormat[] = ['gru4rec', 'yoochoose'];

const PRESETS: Record<ClickFormat, { session: string; item: string; time: string; delimiter?: string }> = {
  gru4rec: { session: 'SessionId', item: 'ItemId', time: 'Time' },
  yoochoose: { session: '1', item: '3', time: '2', delimiter: ',' },
};

/** The reading settings after presets and defaults: what a model file records. */
export interface ReadSettings {
  format: ClickFormat;
  columns: { session: string; item: string; time: string };
  /** null: detected from the first line. */
  delimiter: string | null;
}

export function readSettings(o: ReadOptions = {}): ReadSettings {
  const format = o.format ?? 'gru4rec';
  const p = PRESETS[format];
  if (!p) throw new GruError('INVALID_ARGUMENT', `unknown click-log format '${String(format)}': expected one of ${CLICK_FORMATS.join(', ')}`);
  return {
    format,
    columns: { session: o.sessionColumn ?? p.session, item: o.itemColumn ?? p.item, time: o.timeColumn ?? p.time },
    delimiter: o.delimiter ?? p.delimiter ?? null,
  };
}

/** Clicks as read, one per row, in file order: indices into the session and item key tables. */
export interface ClickLog {
  source: string;
  sessionKeys: string[];
  itemKeys: string[];
  session: Int32Array;
  item: Int32Array;
  /** Seconds. */
  time: Float64Array;
  /** Clicks (rows). */
  length: number;
}

/** Builds a {@link ClickLog} row by row, interning session and item ids. */
export class ClickLogBuilder {
  private readonly sessionIndex = new Map<string, number>();
  private readonly itemIndex = new Map<string, number>();
  private readonly sessionKeys: string[] = [];
  private readonly itemKeys: string[] = [];
  private session = new Int32Array(1024);
  private item = new Int32Array(1024);
  private time = new Float64Array(1024);
  private n = 0;

  constructor(readonly source: string) {}

  add(session: string, item: string, time: number): void {
    if (this.n === this.session.length) {
      const grow = <A extends Int32Array | Float64Array>(a: A): A => {
        const b = new (a.constructor as new (n: number) => A)(2 * a.length);
        b.set(a);
        return b;
      };
      this.session = grow(this.session);
      this.item = grow(this.item);
      this.time = grow(this.time);
    }
    this.session[this.n] = intern(this.sessionIndex, this.sessionKeys, session);
    this.item[this.n] = intern(this.itemIndex, this.itemKeys, item);
    this.time[this.n] = time;
    this.n++;
  }

  finish(): ClickLog {
    const n = this.n;
    return { source: this.source, sessionKeys: this.sessionKeys, itemKeys: this.itemKeys, session: this.session.slice(0, n), item: this.item.slice(0, n), time: this.time.slice(0, n), length: n };
  }
}

function intern(index: Map<string, number>, keys: string[], key: string): number {
  let i = index.get(key);
  if (i === undefined) {
    i = keys.length;
    index.set(key, i);
    keys.push(key);
  }
  return i;
}

/**
 * A time cell in seconds: a number is Unix time in seconds (in milliseconds
 * when above 10^11, i.e. past the year 5000 as seconds), anything else an
 * ISO date-time (UTC unless it names a zone). NaN when it is neither.
 */
export function parseTime(cell: string): number {
  const s = cell.trim();
  if (s !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    return Math.abs(v) > 1e11 ? v / 1000 : v;
  }
  // The common case (yoochoose): 2014-04-07T10:51:09.277Z, which Date.parse reads exactly.
  if (s.length >= 20 && s.charCodeAt(s.length - 1) === 90 /* Z */ && s.charCodeAt(10) === 84 /* T */ && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) return ms / 1000;
  }
  return parseDate(s) / 1000;
}

/** Reads lines of delimited text into a {@link ClickLog}; feed it lines, then call `finish`. */
class LineReader {
  private builder: ClickLogBuilder;
  private line = 0;
  private cols: { session: number; item: number; time: number; width: number } | null = null;
  private delimiter: string | null;

  constructor(
    private readonly settings: ReadSettings,
    readonly source: string,
  ) {
    this.builder = new ClickLogBuilder(source);
    this.delimiter = settings.delimiter;
  }

  push(raw: string): void {
    this.line++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    if (this.cols === null) {
      this.delimiter ??= text.includes('\t') ? '\t' : text.includes(',') ? ',' : text.includes(';') ? ';' : '\t';
      const { columns } = this.settings;
      const specs = [columns.session, columns.item, columns.time];
      const numbered = specs.map((s) => /^\d+$/.test(s));
      if (numbered.every(Boolean)) {
        const [session, item, time] = specs.map((s) => Number(s) - 1);
        if ([session, item, time].some((c) => c < 0)) throw this.bad(`column numbers count from 1, got ${specs.join(', ')}`);
        this.cols = { session, item, time, width: Math.max(session, item, time) + 1 };
      } else {
        // A header: the named columns must be there.
        const header = text.split(this.delimiter).map((h) => h.trim());
        const find = (spec: string, role: string, flag: string) => {
          const i = /^\d+$/.test(spec) ? Number(spec) - 1 : header.indexOf(spec);
          if (i < 0 || i >= header.length) {
            throw this.bad(`no ${role} column '${spec}' in the header (${header.map((h) => `'${h}'`).join(', ')}); name it with ${flag}, or give the log's format with --format ${CLICK_FORMATS.join('|')}`);
          }
          return i;
        };
        const session = find(columns.session, 'session', '--session-column');
        const item = find(columns.item, 'item', '--item-column');
        const time = find(columns.time, 'time', '--time-column');
        this.cols = { session, item, time, width: Math.max(session, item, time) + 1 };
        return;
      }
    }
    const f = text.split(this.delimiter!);
    const c = this.cols;
    if (f.length < c.width) {
      throw this.bad(`expected at least ${c.width} fields separated by ${JSON.stringify(this.delimiter)}, got ${f.length}: ${clip(text)}`);
    }
    const session = f[c.session].trim(),
      item = f[c.item].trim();
    if (session === '' || item === '') throw this.bad(`empty ${session === '' ? 'session' : 'item'} id: ${clip(text)}`);
    const time = parseTime(f[c.time]);
    if (!Number.isFinite(time)) {
      throw this.bad(`time ${JSON.stringify(f[c.time].slice(0, 40))} is neither Unix seconds nor an ISO date-time (such as 2014-04-07T10:51:09.277Z)`);
    }
    this.builder.add(session, item, time);
  }

  finish(): ClickLog {
    const log = this.builder.finish();
    if (log.length === 0) throw new GruError('INVALID_DATA', `${this.source}: no clicks in it`);
    return log;
  }

  private bad(message: string): GruError {
    return new GruError('INVALID_DATA', `${this.source}, line ${this.line}: ${message}`);
  }
}

const clip = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** Parses a click log held in a string. */
export function parseClicks(text: string, o: ReadOptions | ReadSettings = {}, source = 'clicks'): ClickLog {
  const r = new LineReader(isSettings(o) ? o : readSettings(o), source);
  for (const line of text.split('\n')) r.push(line);
  return r.finish();
}

/** Reads a click log file in chunks of `chunkBytes` (files far larger than a string can hold read the same way). */
export function readClicks(path: string, o: ReadOptions | ReadSettings = {}, chunkBytes = 1 << 24): ClickLog {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new GruError('INVALID_ARGUMENT', `cannot read click log '${path}': expected a readable CSV/TSV file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  const r = new LineReader(isSettings(o) ? o : readSettings(o), path);
  const buf = Buffer.allocUnsafe(chunkBytes);
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      const chunk = rest + decoder.decode(buf.subarray(0, n), { stream: n > 0 });
      const lines = chunk.split('\n');
      rest = n > 0 ? lines.pop()! : '';
      for (const line of lines) r.push(line);
      if (n === 0) break;
    }
    if (rest !== '') r.push(rest);
  } finally {
    closeSync(fd);
  }
  return r.finish();
}

function isSettings(o: ReadOptions | ReadSettings): o is ReadSettings {
  return 'columns' in o;
}

// ------------------------------------------------------------ preprocessing

/** Sessions as item sequences: session s holds items[offsets[s] .. offsets[s+1]), in time order. */
export interface Sessions {
  /** Session ids as the log spells them. */
  keys: string[];
  offsets: Int32Array;
  /** Item indices (into the vocabulary, or into the log's item keys before it exists). */
  items: Int32Array;
  times: Float64Array;
}

/** The settings of the preprocessing and split; a model file records them. */
export interface PreprocessOptions {
  /** Shortest session kept (default 2). */
  minSessionLength?: number;
  /** Fewest clicks an item needs to be kept (default 5). */
  minItemSupport?: number;
  /** The test sessions are those ending in the final this many days (default 1). */
  testDays?: number;
  /** Validation sessions: those of the training part ending in its final this many days (default: testDays; 0: no validation). */
  validationDays?: number;
}

export type PreprocessSettings = Required<PreprocessOptions>;

export function preprocessSettings(o: PreprocessOptions = {}): PreprocessSettings {
  const s = { minSessionLength: o.minSessionLength ?? 2, minItemSupport: o.minItemSupport ?? 5, testDays: o.testDays ?? 1, validationDays: o.validationDays ?? o.testDays ?? 1 };
  if (!(Number.isInteger(s.minSessionLength) && s.minSessionLength >= 2))
    throw new GruError('INVALID_ARGUMENT', `minSessionLength must be an integer ≥ 2 (a session needs a click to predict from and one to predict), got ${s.minSessionLength}`);
  if (!(Number.isInteger(s.minItemSupport) && s.minItemSupport >= 1)) throw new GruError('INVALID_ARGUMENT', `minItemSupport must be a positive integer, got ${s.minItemSupport}`);
  if (!(s.testDays > 0 && Number.isFinite(s.testDays))) throw new GruError('INVALID_ARGUMENT', `testDays must be a positive number, got ${s.testDays}`);
  if (!(s.validationDays >= 0 && Number.isFinite(s.validationDays))) throw new GruError('INVALID_ARGUMENT', `validationDays must be a number ≥ 0, got ${s.validationDays}`);
  return s;
}

/** What preprocessing kept and dropped, for the report. */
export interface PreprocessCounts {
  clicks: number;
  sessions: number;
  items: number;
  /** Sessions dropped as too short before the item filter. */
  shortSessions: number;
  /** Items dropped for too few clicks, and their clicks. */
  rareItems: number;
  rareItemClicks: number;
  /** Sessions dropped as too short after the item filter. */
  shortAfterItemFilter: number;
  /** Validation and test clicks dropped because training never shows their item. */
  unseenValidationClicks: number;
  unseenTestClicks: number;
}

/** A log split as GRU4Rec splits it. */
export interface SessionSplit {
  /** Item ids of the training sessions, most clicked first; model item i is items[i]. */
  items: string[];
  /** Training clicks per item (same order). */
  popularity: Float64Array;
  train: Sessions;
  validation: Sessions;
  test: Sessions;
  counts: PreprocessCounts;
  settings: PreprocessSettings;
  /**
   * The preprocessed clicks as rows ordered by session end time (then start
   * time, session id, click time): the test sessions are the final
   * `testRows` rows. Their SHA-256 is `fingerprint`.
   */
  rows: number;
  testRows: number;
  fingerprint: string;
}

const DAY = 86_400;

/**
 * GRU4Rec's preprocessing and split of a click log (see the file comment).
 * Throws a GruError naming what is missing when a part comes out empty.
 */
export function splitSessions(log: ClickLog, o: PreprocessOptions = {}): SessionSplit {
  const settings = preprocessSettings(o);
  const all = groupSessions(log);
  const counts: PreprocessCounts = {
    clicks: log.length,
    sessions: all.keys.length,
    items: log.itemKeys.length,
    shortSessions: 0,
    rareItems: 0,
    rareItemClicks: 0,
    shortAfterItemFilter: 0,
    unseenValidationClicks: 0,
    unseenTestClicks: 0,
  };
  const long = filterSessions(all, () => true, settings.minSessionLength);
  counts.shortSessions = all.keys.length - long.keys.length;
  const support = new Float64Array(log.itemKeys.length);
  for (const i of long.items) support[i]++;
  for (let i = 0; i < support.length; i++) {
    if (support[i] > 0 && support[i] < settings.minItemSupport) {
      counts.rareItems++;
      counts.rareItemClicks += support[i];
    }
  }
  const kept = filterSessions(long, (i) => support[i] >= settings.minItemSupport, settings.minSessionLength);
  counts.shortAfterItemFilter = long.keys.length - kept.keys.length;
  if (kept.keys.length === 0) {
    throw new GruError(
      'INVALID_DATA',
      `${log.source}: no session is left after preprocessing (${log.length} clicks in ${all.keys.length} sessions; sessions need ${settings.minSessionLength} clicks on items clicked at least ${settings.minItemSupport} times): lower --min-item-support, or give more clicks`,
    );
  }

  const [trainFull, test] = splitByEnd(kept, settings.testDays);
  if (trainFull.keys.length === 0) throw new GruError('INVALID_DATA', `${log.source}: every session ends in the final ${settings.testDays} day(s), leaving none to train on; lower --test-days`);
  if (test.keys.length === 0) throw new GruError('INVALID_DATA', `${log.source}: no session ends in the final ${settings.testDays} day(s)`);
  const [train, validationRaw] = settings.validationDays > 0 ? splitByEnd(trainFull, settings.validationDays) : [trainFull, emptySessions()];
  if (train.keys.length === 0)
    throw new GruError('INVALID_DATA', `${log.source}: every training session ends in the final ${settings.validationDays} day(s) before the test days, leaving none to train on; lower --validation-days (0: no validation)`);

  // The vocabulary: training items, most clicked first (ties by id).
  const pop = new Float64Array(log.itemKeys.length);
  for (const i of train.items) pop[i]++;
  const order = [...pop.keys()].filter((i) => pop[i] > 0).sort((a, b) => pop[b] - pop[a] || cmp(log.itemKeys[a], log.itemKeys[b]));
  const index = new Int32Array(log.itemKeys.length).fill(-1);
  order.forEach((i, k) => (index[i] = k));
  const known = (i: number) => index[i] >= 0;
  const validation = filterSessions(validationRaw, known, 2);
  const testKept = filterSessions(test, known, 2);
  counts.unseenValidationClicks = countUnknown(validationRaw, known);
  counts.unseenTestClicks = countUnknown(test, known);
  if (testKept.keys.length === 0) throw new GruError('INVALID_DATA', `${log.source}: no test session keeps 2 clicks on items seen in training`);

  // Rows for the fingerprint: sessions by end time; test sessions last.
  const ordered = [...kept.keys.keys()].sort((a, b) => endOf(kept, a) - endOf(kept, b) || kept.times[kept.offsets[a]] - kept.times[kept.offsets[b]] || cmp(kept.keys[a], kept.keys[b]));
  const h = new ChunkedFingerprint();
  for (const s of ordered) {
    for (let j = kept.offsets[s]; j < kept.offsets[s + 1]; j++) {
      h.add(kept.keys[s]);
      h.add(log.itemKeys[kept.items[j]]);
      h.add(String(kept.times[j]));
    }
  }
  const reindex = (s: Sessions): Sessions => ({ ...s, items: s.items.map((i) => index[i]) });
  return {
    items: order.map((i) => log.itemKeys[i]),
    popularity: Float64Array.from(order, (i) => pop[i]),
    train: reindex(train),
    validation: reindex(validation),
    test: reindex(testKept),
    counts,
    settings,
    rows: kept.items.length,
    testRows: test.items.length,
    fingerprint: h.digest(),
  };
}

/**
 * training-data.ts's `fingerprint` of a sequence of fields (SHA-256 of
 * each field as `length:field`), fed to the hash in large pieces: the same
 * bytes, so the same digest, for logs of tens of millions of fields.
 */
class ChunkedFingerprint {
  private readonly hash = createHash('sha256');
  private parts: string[] = [];
  private size = 0;

  add(field: string): void {
    this.parts.push(`${field.length}:`, field);
    if ((this.size += field.length + 8) > 1 << 20) this.flush();
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    this.hash.update(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const endOf = (s: Sessions, k: number) => s.times[s.offsets[k + 1] - 1];

/** Clicks grouped by session (sessions in order of first appearance), each in time order (ties keep file order). */
export function groupSessions(log: ClickLog): Sessions {
  const S = log.sessionKeys.length;
  const offsets = new Int32Array(S + 1);
  for (let r = 0; r < log.length; r++) offsets[log.session[r] + 1]++;
  for (let s = 0; s < S; s++) offsets[s + 1] += offsets[s];
  const fill = offsets.slice(0, S);
  const rows = new Int32Array(log.length);
  for (let r = 0; r < log.length; r++) rows[fill[log.session[r]]++] = r;
  for (let s = 0; s < S; s++) {
    const part = rows.subarray(offsets[s], offsets[s + 1]);
    let sorted = true;
    for (let j = 1; j < part.length && sorted; j++) sorted = log.time[part[j - 1]] <= log.time[part[j]];
    if (!sorted) part.set(Int32Array.from(part).sort((a, b) => log.time[a] - log.time[b] || a - b));
  }
  return { keys: log.sessionKeys.slice(), offsets, items: rows.map((r) => log.item[r]), times: Float64Array.from(rows, (r) => log.time[r]) };
}

/** The sessions' clicks on items `keep` accepts; sessions left with fewer than `minLength` clicks dropped. */
export function filterSessions(s: Sessions, keep: (item: number) => boolean, minLength: number): Sessions {
  const keys: string[] = [];
  const offsets: number[] = [0];
  const items: number[] = [];
  const times: number[] = [];
  for (let k = 0; k < s.keys.length; k++) {
    let n = 0;
    for (let j = s.offsets[k]; j < s.offsets[k + 1]; j++) if (keep(s.items[j])) n++;
    if (n < minLength) continue;
    for (let j = s.offsets[k]; j < s.offsets[k + 1]; j++) {
      if (!keep(s.items[j])) continue;
      items.push(s.items[j]);
      times.push(s.times[j]);
    }
    keys.push(s.keys[k]);
    offsets.push(items.length);
  }
  return { keys, offsets: Int32Array.from(offsets), items: Int32Array.from(items), times: Float64Array.from(times) };
}

function countUnknown(s: Sessions, known: (item: number) => boolean): number {
  let n = 0;
  for (const i of s.items) if (!known(i)) n++;
  return n;
}

/** [sessions ending before tmax − days, sessions ending at or after it]; tmax is the last click's time. */
function splitByEnd(s: Sessions, days: number): [Sessions, Sessions] {
  let tmax = -Infinity;
  for (const t of s.times) if (t > tmax) tmax = t;
  const cut = tmax - days * DAY;
  const late = new Set<number>();
  for (let k = 0; k < s.keys.length; k++) if (endOf(s, k) >= cut) late.add(k);
  return [pick(s, (k) => !late.has(k)), pick(s, (k) => late.has(k))];
}

function pick(s: Sessions, keep: (k: number) => boolean): Sessions {
  const ks = [...s.keys.keys()].filter(keep);
  const offsets = new Int32Array(ks.length + 1);
  ks.forEach((k, i) => (offsets[i + 1] = offsets[i] + s.offsets[k + 1] - s.offsets[k]));
  const items = new Int32Array(offsets[ks.length]);
  const times = new Float64Array(offsets[ks.length]);
  ks.forEach((k, i) => {
    items.set(s.items.subarray(s.offsets[k], s.offsets[k + 1]), offsets[i]);
    times.set(s.times.subarray(s.offsets[k], s.offsets[k + 1]), offsets[i]);
  });
  return { keys: ks.map((k) => s.keys[k]), offsets, items, times };
}

function emptySessions(): Sessions {
  return { keys: [], offsets: new Int32Array(1), items: new Int32Array(0), times: new Float64Array(0) };
}

/** Session k's items as an array. */
export function sessionItems(s: Sessions, k: number): Int32Array {
  return s.items.subarray(s.offsets[k], s.offsets[k + 1]);
}

/** Number of sessions. */
export function sessionCount(s: Sessions): number {
  return s.keys.length;
}

/** Predictions a set of sessions asks for: one per click but the last of each session. */
export function predictionCount(s: Sessions): number {
  return s.items.length - s.keys.length;
}
