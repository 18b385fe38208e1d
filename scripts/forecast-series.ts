/**
 * Real time series that ship on npm, for comparing the default `gru train forecast` with the
 * classical baselines (seasonal naive, linear AR, Holt–Winters) beyond `births`.
 *
 * All come from the devDependency `vega-datasets` (3.2.1; the package is BSD-3-Clause, each file's
 * original source and licence are in its `source` below, as the package's datapackage.json gives
 * them). Nothing is generated: a loader only selects, aggregates and renames.
 *
 * Each `table()` returns columns `date` and one numeric value column (`column`), rows in increasing
 * date order with no gaps at the series' frequency. Dates are `YYYY-MM-DD` (monthly: the 1st;
 * weekly: the Friday that ends the week; yearly: 1 January) or `YYYY-MM-DDTHH:MM` for hourly data.
 *
 *   node --import tsx scripts/forecast-series.ts     prints each series' size, dates and range
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCsv, type Table } from '../src/data/csv.js';
import { industriesTable } from '../src/data/datasets.js';

export type SeriesFrequency = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';

export interface RealSeries {
  name: string;
  frequency: SeriesFrequency;
  /** Season length in steps (1: none). */
  season: number;
  /** Steps ahead to forecast, as usual for the frequency. */
  horizon: number;
  description: string;
  /** Original source and licence, as vega-datasets documents them. */
  source: string;
  table(): Table;
  /** The value column of `table()`. */
  column: string;
  dateColumn: string;
}

/** A long-format table of several series: one row per (series id, date). */
export interface MultiSeries extends RealSeries {
  /** Column naming the series a row belongs to. */
  idColumn: string;
}

const PACKAGE = 'vega-datasets';

/** The installed package's folder. Its `exports` hide package.json, so walk up from the entry. */
function packageDir(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === name) return dir;
    } catch {
      // no package.json here: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = up;
  }
}

const dataFile = (file: string) => readFileSync(join(packageDir(PACKAGE), 'data', file), 'utf8');
const csvFile = (file: string) => parseCsv(dataFile(file), `${PACKAGE}/data/${file}`);
const pad2 = (n: number) => String(n).padStart(2, '0');
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** One column of a parsed table, by name. */
function col(t: Table, name: string): (row: string[]) => string {
  const i = t.columns.indexOf(name);
  if (i < 0) throw new Error(`${t.source}: no column '${name}' (columns: ${t.columns.join(', ')})`);
  return (row) => row[i];
}

/** A two-column table (date, value) from already-ordered [date, value] pairs. */
function dated(source: string, value: string, rows: string[][]): Table {
  return { columns: ['date', value], rows, source };
}

/** Mauna Loa monthly CO2 from May 1964: the record has missing months in 1958 and early 1964. */
function co2Table(): Table {
  const t = csvFile('co2-concentration.csv');
  const date = col(t, 'Date'),
    co2 = col(t, 'CO2');
  return dated(
    t.source,
    'co2',
    t.rows.filter((r) => date(r) >= '1964-05-01').map((r) => [date(r), co2(r)]),
  );
}

interface UnemploymentRecord {
  series: string;
  year: number;
  month: number;
  count: number;
  rate: number;
}

const unemploymentRecords = () => JSON.parse(dataFile('unemployment-across-industries.json')) as UnemploymentRecord[];
const monthOf = (r: UnemploymentRecord) => `${r.year}-${pad2(r.month)}-01`;

/** Unemployed persons (thousands) summed over all 14 industry/class groups, per month. */
function unemployedTotalTable(): Table {
  const total = new Map<string, number>();
  for (const r of unemploymentRecords()) total.set(monthOf(r), (total.get(monthOf(r)) ?? 0) + r.count);
  const rows = [...total].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, v]) => [d, String(v)]);
  return dated(`${PACKAGE}/data/unemployment-across-industries.json`, 'unemployed', rows);
}

/** S&P 500 weekly: the last daily close of each trading week, dated by that week's Friday. */
function sp500WeeklyTable(): Table {
  const t = csvFile('sp500-2000.csv');
  const date = col(t, 'date'),
    close = col(t, 'close');
  const weeks = new Map<string, string>();
  for (const r of t.rows) {
    const ms = Date.parse(`${date(r)}T00:00:00Z`);
    const friday = ms + ((5 - new Date(ms).getUTCDay() + 7) % 7) * 86_400_000;
    weeks.set(isoDay(friday), close(r)); // rows are in date order, so the last one of the week stays
  }
  return dated(
    t.source,
    'close',
    [...weeks].sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** NASA GISTEMP global annual temperature anomaly (°C against 1951–1980). */
function globalTempTable(): Table {
  const t = csvFile('global-temp.csv');
  const year = col(t, 'year'),
    temp = col(t, 'temp');
  return dated(
    t.source,
    'anomaly',
    t.rows.map((r) => [`${year(r)}-01-01`, temp(r)]),
  );
}

/** Daily maximum temperature (°C) of one station in weather.csv ('Seattle' or 'New York'). */
function dailyTempMaxTable(location: string): Table {
  const t = csvFile('weather.csv');
  const loc = col(t, 'location'),
    date = col(t, 'date'),
    tmax = col(t, 'temp_max');
  return dated(
    `${t.source} (${location})`,
    'temp_max',
    t.rows.filter((r) => loc(r) === location).map((r) => [date(r), tmax(r)]),
  );
}

/** Seattle hourly temperature normals (°C), July–December (4,416 hours of the 8,759 in the file). */
function seattleHourlyTable(): Table {
  const t = csvFile('seattle-weather-hourly-normals.csv');
  const date = col(t, 'date'),
    temp = col(t, 'temperature');
  return dated(
    t.source,
    'temperature',
    t.rows.filter((r) => date(r) >= '2010-07-01').map((r) => [date(r).slice(0, 16), temp(r)]),
  );
}

const NOAA = 'NOAA National Climatic Data Center (Climate Data Online); U.S. Government work, public domain';

export const REAL_SERIES: RealSeries[] = [
  {
    name: 'co2',
    frequency: 'monthly',
    season: 12,
    horizon: 12,
    description: 'Atmospheric CO2 at Mauna Loa, monthly mean (ppm), May 1964 – April 2020',
    source: 'Scripps CO2 Program, in-situ record at Mauna Loa Observatory (scrippsco2.ucsd.edu); CC BY 4.0. vega-datasets co2-concentration.csv, column CO2',
    table: co2Table,
    column: 'co2',
    dateColumn: 'date',
  },
  {
    name: 'us-unemployed',
    frequency: 'monthly',
    season: 12,
    horizon: 12,
    description: 'US unemployed persons (thousands, not seasonally adjusted), all industries and classes summed, Jan 2000 – Feb 2010',
    source: 'U.S. Bureau of Labor Statistics, Current Population Survey, Table A-31; U.S. Government work, public domain. vega-datasets unemployment-across-industries.json, column count summed over series',
    table: unemployedTotalTable,
    column: 'unemployed',
    dateColumn: 'date',
  },
  {
    name: 'sp500-weekly',
    frequency: 'weekly',
    season: 52,
    horizon: 13,
    description: 'S&P 500 index, weekly close (last trading day of each week), Jan 2000 – Apr 2020',
    source: 'Yahoo Finance, as vega-datasets states it (no licence stated for the data; the package is BSD-3-Clause). vega-datasets sp500-2000.csv, column close',
    table: sp500WeeklyTable,
    column: 'close',
    dateColumn: 'date',
  },
  {
    name: 'global-temp',
    frequency: 'yearly',
    season: 1,
    horizon: 6,
    description: 'Global land–ocean temperature anomaly (°C against 1951–1980), yearly, 1880 – 2023',
    source: 'NASA Goddard Institute for Space Studies, GISTEMP Land-Ocean Temperature Index; U.S. Government work, public domain. vega-datasets global-temp.csv, column temp',
    table: globalTempTable,
    column: 'anomaly',
    dateColumn: 'date',
  },
  {
    name: 'seattle-temp-max',
    frequency: 'daily',
    season: 7,
    horizon: 7,
    description: 'Seattle daily maximum temperature (°C), 2012 – 2015',
    source: `${NOAA}. vega-datasets weather.csv (location Seattle; same as seattle-weather.csv), column temp_max`,
    table: () => dailyTempMaxTable('Seattle'),
    column: 'temp_max',
    dateColumn: 'date',
  },
  {
    name: 'new-york-temp-max',
    frequency: 'daily',
    season: 7,
    horizon: 7,
    description: 'New York daily maximum temperature (°C), 2012 – 2015',
    source: `${NOAA}. vega-datasets weather.csv (location New York), column temp_max`,
    table: () => dailyTempMaxTable('New York'),
    column: 'temp_max',
    dateColumn: 'date',
  },
  {
    name: 'seattle-hourly-temp',
    frequency: 'hourly',
    season: 24,
    horizon: 24,
    description: 'Seattle hourly temperature climate normals (°C; 1981–2010 averages, dated 2010, local standard time), July – December',
    source: `NOAA NCDC 1981–2010 hourly Climate Normals; U.S. Government work, public domain. vega-datasets seattle-weather-hourly-normals.csv, column temperature`,
    table: seattleHourlyTable,
    column: 'temperature',
    dateColumn: 'date',
  },
];

/** Unemployment in 14 US industries and classes of worker, monthly, long format (14 × 122 rows). */
export const MULTI_SERIES: MultiSeries = {
  name: 'us-unemployed-by-industry',
  frequency: 'monthly',
  season: 12,
  horizon: 12,
  description: 'US unemployed persons (thousands, not seasonally adjusted) in 14 industries and classes of worker, Jan 2000 – Feb 2010',
  source: 'U.S. Bureau of Labor Statistics, Current Population Survey, Table A-31; U.S. Government work, public domain. vega-datasets unemployment-across-industries.json, columns series and count',
  table: () => ({ ...industriesTable(), source: `${PACKAGE}/data/unemployment-across-industries.json` }),
  idColumn: 'series',
  column: 'unemployed',
  dateColumn: 'date',
};

/** Timestamp (ms, UTC) of a `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` date. */
function utc(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/.test(date)) return NaN;
  return Date.parse(date.length === 10 ? `${date}T00:00:00Z` : `${date}:00Z`);
}

/** The date one step after `ms` at a frequency. */
function nextStep(ms: number, f: SeriesFrequency): number {
  const d = new Date(ms);
  const months = { monthly: 1, quarterly: 3, yearly: 12 } as Record<string, number>;
  if (f in months) return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months[f], d.getUTCDate());
  return ms + { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 }[f as 'hourly' | 'daily' | 'weekly'];
}

/**
 * Problems with a series' table (none: an empty list): date format, values not numbers, dates
 * not exactly one step apart. For a MultiSeries, checked within each series id.
 */
export function checkSeries(s: RealSeries | MultiSeries, t: Table = s.table()): string[] {
  const problems: string[] = [];
  const date = col(t, s.dateColumn),
    value = col(t, s.column);
  const id = 'idColumn' in s ? col(t, s.idColumn) : () => '';
  t.rows.forEach((r, i) => {
    const ms = utc(date(r));
    if (!Number.isFinite(ms)) problems.push(`row ${i + 1}: date '${date(r)}' is not YYYY-MM-DD${s.frequency === 'hourly' ? 'THH:MM' : ''}`);
    if (value(r) === '' || !Number.isFinite(Number(value(r)))) problems.push(`row ${i + 1}: value '${value(r)}' is not a number`);
    const prev = t.rows[i - 1];
    if (prev && id(prev) === id(r) && nextStep(utc(date(prev)), s.frequency) !== ms) problems.push(`row ${i + 1}: ${date(r)} is not one ${s.frequency} step after ${date(prev)}`);
  });
  return problems;
}

/** One line per series: rows, first and last date, value range, problems. */
function summary(s: RealSeries | MultiSeries): string {
  const t = s.table();
  const date = col(t, s.dateColumn),
    value = col(t, s.column);
  const v = t.rows.map((r) => Number(value(r)));
  const dates = t.rows.map(date).sort();
  const ids = 'idColumn' in s ? ` ${new Set(t.rows.map(col(t, s.idColumn))).size} series,` : '';
  const problems = checkSeries(s, t);
  return `${s.name} (${s.frequency}, season ${s.season}, horizon ${s.horizon}):${ids} ${t.rows.length} rows, ${dates[0]} .. ${dates[dates.length - 1]}, ${s.column} ${Math.min(...v)} .. ${Math.max(...v)}${problems.length ? `; ${problems.length} problems: ${problems.slice(0, 3).join('; ')}` : ''}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const s of [...REAL_SERIES, MULTI_SERIES]) console.log(summary(s));
}
