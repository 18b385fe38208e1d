/** Reading tables from CSV (csv-parse) and JSONL, with errors that name the row and column. */
import { parse } from 'csv-parse/sync';
import { GruError } from '../errors.js';

/** A table of strings with named columns. */
export interface Table {
  columns: string[];
  rows: string[][];
  /** Where it came from, for messages. */
  source: string;
}

/** Parses CSV text with a header row. */
export function parseCsv(text: string, source = 'CSV'): Table {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: false, bom: true }) as string[][];
  } catch (e) {
    throw new GruError('INVALID_DATA', `${source}: malformed CSV: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new GruError('INVALID_DATA', `${source}: expected a header row and data rows, got an empty file`);
  const [columns, ...rows] = records;
  return { columns, rows, source };
}

/** Parses JSON Lines: one object per line; the columns are the first object's keys. */
export function parseJsonl(text: string, source = 'JSONL'): Table {
  const objects = parseJsonlObjects(text, source).map((o) => o.value);
  const columns = Object.keys(objects[0]);
  const rows = objects.map((o) => columns.map((c) => (o[c] === undefined || o[c] === null ? '' : String(o[c]))));
  return { columns, rows, source };
}

/** The objects of a JSON Lines text, one per non-empty line, each with its 1-based line number; errors name the line. */
export function parseJsonlObjects(text: string, source = 'JSONL'): { line: number; value: Record<string, unknown> }[] {
  const objects: { line: number; value: Record<string, unknown> }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    // Checked first: later steps (String() of a cell, JSON.stringify in a message) recurse.
    if (exceedsDepth(line, MAX_JSONL_DEPTH)) {
      throw new GruError('INVALID_DATA', `${source}: line ${i + 1}: values nest more than ${MAX_JSONL_DEPTH} deep; expected a JSON object of column values`);
    }
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new GruError('INVALID_DATA', `${source}: line ${i + 1} is not valid JSON (${(e as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new GruError('INVALID_DATA', `${source}: line ${i + 1}: expected a JSON object, got ${JSON.stringify(v).slice(0, 40)}`);
    objects.push({ line: i + 1, value: v as Record<string, unknown> });
  });
  if (objects.length === 0) throw new GruError('INVALID_DATA', `${source}: expected JSON objects, one per line, got none`);
  return objects;
}

/** Deepest nesting of arrays/objects accepted in a JSONL line (a table row needs 1 or 2). */
const MAX_JSONL_DEPTH = 128;

/** Whether arrays/objects in JSON text nest deeper than `max`, counted without recursion (brackets inside strings skipped). */
function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > max) return true;
    } else if (c === ']' || c === '}') depth--;
  }
  return false;
}

/** Index of a column; the error lists the columns there are. */
export function columnIndex(t: Table, name: string): number {
  const i = t.columns.indexOf(name);
  if (i < 0) throw new GruError('INVALID_DATA', `${t.source}: no column '${name}'; the columns are: ${t.columns.join(', ')}`);
  return i;
}

/** A column as numbers; an empty cell (a gap) or a non-number is an error naming its row. */
export function numericColumn(t: Table, name: string): Float64Array {
  const c = columnIndex(t, name);
  const out = new Float64Array(t.rows.length);
  t.rows.forEach((r, i) => {
    const cell = r[c];
    if (cell === undefined || cell === '') throw new GruError('INVALID_DATA', `${t.source}: column '${name}' has a gap (empty cell) at data row ${i + 1}; fill or drop it first`);
    const v = Number(cell);
    if (!Number.isFinite(v)) throw new GruError('INVALID_DATA', `${t.source}: column '${name}' must be numeric, got '${cell}' at data row ${i + 1}`);
    out[i] = v;
  });
  return out;
}

/**
 * A date cell as UTC milliseconds, the same whatever the machine's time
 * zone: `2024-01-31`, `2024-01-31T13:45[:30]` or with a space, `2024-01`
 * (the month's first day), `2024` (the year's), `2024-Q3` / `2024Q3` (the
 * quarter's first day), US `1/31/2024` with an optional time; a time with an
 * explicit zone (`…Z`, `…+02:00`) keeps it. NaN when it is none of these.
 */
export function parseDate(cell: string): number {
  const s = cell.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?$/.exec(s);
  if (m) return utc(+m[1], +m[2], +m[3], m[4], m[5], m[6], m[7]);
  if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s))) return utc(+m[3], +m[1], +m[2], m[4], m[5], m[6]);
  if ((m = /^(\d{4})-(\d{2})$/.exec(s))) return utc(+m[1], +m[2], 1);
  if ((m = /^(\d{4})-?Q([1-4])$/i.exec(s))) return utc(+m[1], 3 * +m[2] - 2, 1);
  if ((m = /^(\d{4})$/.exec(s))) return utc(+m[1], 1, 1);
  if (/(Z|[+-]\d{2}:?\d{2})$/i.test(s) && /^\d{4}-\d{2}-\d{2}T/.test(s)) return Date.parse(s);
  return NaN;
}

/** Date.UTC with range checks (Date.UTC would roll 2024-02-31 over into March). */
function utc(y: number, mo: number, d: number, h = '0', mi = '0', sec = '0', frac = ''): number {
  const ms = Date.UTC(y, mo - 1, d, +h, +mi, +sec, frac ? Math.round(Number(frac) * 1000) : 0);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || +h > 23 || +mi > 59 || +sec > 59) return NaN;
  return ms;
}

/** A column as dates (UTC ms), read by {@link parseDate}. */
export function dateColumn(t: Table, name: string): number[] {
  const c = columnIndex(t, name);
  return t.rows.map((r, i) => {
    const cell = r[c] ?? '';
    const ms = parseDate(cell);
    if (!Number.isFinite(ms)) throw new GruError('INVALID_DATA', `${t.source}: column '${name}' must hold dates (2024-01-31, 2024-01-31T13:45, 2024-01, 2024-Q1, 2024 or 1/31/2024), got '${cell}' at data row ${i + 1}`);
    return ms;
  });
}

/** A column as strings. */
export function textColumn(t: Table, name: string): string[] {
  const c = columnIndex(t, name);
  return t.rows.map((r) => r[c] ?? '');
}
