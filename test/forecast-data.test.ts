// Series from tables: dates read in UTC whatever the machine's time zone, every frequency inferred, gaps reported or filled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { seriesFromTable } from '../src/index.js';
import { CASES, table } from './helpers/read-dates.js';

test('dates are read in UTC and every frequency is inferred, the same in UTC, New York and Kolkata', () => {
  const script = fileURLToPath(new URL('./helpers/read-dates.ts', import.meta.url));
  const seen = ['UTC', 'America/New_York', 'Asia/Kolkata'].map((TZ) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, TZ }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n')[0];
  });
  assert.equal(seen[1], seen[0], 'New York reads what UTC reads');
  assert.equal(seen[2], seen[0], 'Kolkata reads what UTC reads');
  const read = JSON.parse(seen[0]) as { name: string; frequency: string; season: number; dates: string[]; next: string }[];
  CASES.forEach((c, i) => {
    assert.equal(read[i].frequency, c.frequency, c.name);
    assert.equal(read[i].season, c.season, c.name);
    assert.equal(read[i].next, c.next, `${c.name}: the date after the last`);
  });
  assert.deepEqual(read[1].dates, ['2023-07-01T00:00', '2023-10-01T00:00', '2024-01-01T00:00', '2024-04-01T00:00']);
  assert.deepEqual(read[5].dates, ['2024-03-09T00:00', '2024-03-10T00:00', '2024-03-11T00:00', '2024-03-12T00:00']);
});

test('missing dates and empty cells are reported with their rows, or filled on request', () => {
  const dates = ['2024-01-01', '2024-01-02', '2024-01-04', '2024-01-05', '2024-01-08'];
  const values = ['10', '20', '40', '', '80'];
  assert.throws(() => seriesFromTable(table(dates, values), { column: 'value' }), /column 'value' has 1 empty cell \(data row 4\); fill them with --fill linear or --fill previous/);
  const full = ['10', '20', '40', '50', '80'];
  assert.throws(
    () => seriesFromTable(table(dates, full), { column: 'value' }),
    /test\.csv: 3 missing dates in a daily series: 2024-01-03 \(after data row 2\), 2024-01-06 \(after data row 4\), 2024-01-07 \(after data row 4\); fill them with --fill linear/,
  );
  const linear = seriesFromTable(table(dates, values), { column: 'value', fill: 'linear' });
  assert.deepEqual(
    linear.dates!.map((d) => new Date(d).toISOString().slice(0, 10)),
    ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-06', '2024-01-07', '2024-01-08'],
  );
  // 10, 20, (30), 40, (empty → 50), (60), (70), 80: linear between known neighbours.
  assert.deepEqual([...linear.values], [10, 20, 30, 40, 50, 60, 70, 80]);
  const previous = seriesFromTable(table(dates, values), { column: 'value', fill: 'previous' });
  assert.deepEqual([...previous.values], [10, 20, 20, 40, 40, 40, 40, 80]);
  assert.throws(() => seriesFromTable(table(['2024-01-01', '2024-01-02', '2024-01-02T12:00', '2024-01-03', '2024-01-04', '2024-01-05']), { column: 'value' }), /dates are not daily: data row 3 is 2024-01-02T12:00/);
  assert.throws(() => seriesFromTable(table(['2024-01-01', '2024-02-30']), { column: 'value' }), /must hold dates .*got '2024-02-30' at data row 2/);
  assert.throws(() => seriesFromTable(table(dates, ['1', 'x', '3', '4', '5']), { column: 'value', fill: 'linear' }), /must be numeric, got 'x' at data row 2/);
});

test('task rejections are GruErrors with a code: bad options INVALID_ARGUMENT, unusable data INVALID_DATA', async () => {
  const { GruError, trainForecaster, trainClassifier } = await import('../src/index.js');
  const rows = Array.from({ length: 200 }, (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10));
  const code = (f: () => unknown, expected: string, pattern: RegExp) => assert.throws(f, (e: unknown) => e instanceof GruError && e.code === expected && pattern.test(e.message));
  code(() => trainForecaster(table(rows), { column: 'value', horizon: 12, testSize: 5 }), 'INVALID_ARGUMENT', /--test-size 5 is shorter than the horizon 12/);
  code(() => trainForecaster(table(rows.slice(0, 30)), { column: 'value', lookback: 14, horizon: 3 }), 'INVALID_DATA', /too few rows for the window: 30 rows/);
  code(() => seriesFromTable(table(['2024-01-02', '2024-01-01']), { column: 'value' }), 'INVALID_DATA', /dates in 'date' must increase/);
  code(
    () =>
      trainClassifier({
        columns: ['text', 'label'],
        rows: [
          ['a b', 'x'],
          ['c d', ''],
        ],
        source: 't',
      }),
    'INVALID_DATA',
    /empty label at data row 2/,
  );
});
