// What a process reads of dates in every frequency; run as a script by test/forecast-data.test.ts under several time zones.
import { advance, seasonOf, seriesFromTable, type Table } from '../../src/index.js';

export const table = (dates: string[], values = dates.map((_, i) => String(i + 1))): Table => ({ columns: ['date', 'value'], rows: dates.map((d, i) => [d, values[i]]), source: 'test.csv' });

/** Each frequency as users write it, with what it must be read as. */
export const CASES: { name: string; dates: string[]; frequency: string; season: number; next: string }[] = [
  { name: 'yearly', dates: ['2019', '2020', '2021', '2022'], frequency: 'yearly', season: 1, next: '2023-01-01T00:00' },
  { name: 'quarterly', dates: ['2023-Q3', '2023-Q4', '2024-Q1', '2024Q2'], frequency: 'quarterly', season: 4, next: '2024-07-01T00:00' },
  { name: 'monthly (YYYY-MM)', dates: ['2023-11', '2023-12', '2024-01', '2024-02'], frequency: 'monthly', season: 12, next: '2024-03-01T00:00' },
  { name: 'monthly (month ends)', dates: ['2023-12-31', '2024-01-31', '2024-02-29', '2024-03-31'], frequency: 'monthly', season: 12, next: '2024-04-30T00:00' },
  { name: 'weekly', dates: ['2024-03-03', '2024-03-10', '2024-03-17', '2024-03-24'], frequency: 'weekly', season: 52, next: '2024-03-31T00:00' },
  { name: 'daily across a DST change (US)', dates: ['3/9/2024', '3/10/2024', '3/11/2024', '3/12/2024'], frequency: 'daily', season: 7, next: '2024-03-13T00:00' },
  { name: 'hourly across a DST change (EU)', dates: ['2024-03-31T00:00', '2024-03-31T01:00', '2024-03-31 02:00', '2024-03-31T03:00'], frequency: 'hourly', season: 24, next: '2024-03-31T04:00' },
  { name: 'every 15 minutes', dates: ['2024-01-01T23:30', '2024-01-01T23:45', '2024-01-02T00:00', '2024-01-02T00:15'], frequency: '15min', season: 96, next: '2024-01-02T00:30' },
];

/** What a process reads of every case, as one JSON string (so two time zones can be compared). */
export function readAll(): string {
  return JSON.stringify(
    CASES.map((c) => {
      const s = seriesFromTable(table(c.dates), { column: 'value' });
      return { name: c.name, frequency: s.frequency, season: seasonOf(s.frequency), dates: s.dates!.map((d) => new Date(d).toISOString().slice(0, 16)), next: new Date(advance(s.dates!.at(-1)!, s.frequency, 1)).toISOString().slice(0, 16) };
    }),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) console.log(readAll());
