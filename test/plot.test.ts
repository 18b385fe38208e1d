// SVG charts: well-formed output, escaping, nice/date ticks, gaps, downsampling, heatmap cells, PNG export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downsampleMinMax, formatCompact, heatmap, lineChart, linearAxis, logAxis, stackCharts, svgToPng, timeAxis, toTime, writePicture } from '../src/index.js';

/**
 * A small well-formedness check (Node has no XML parser): every '<' starts
 * a proper tag, comment or declaration; attributes are quoted and free of
 * '<'; every '&' starts an entity; tags balance; there is one root element.
 */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const tagRe = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const text = body.slice(i, lt < 0 ? body.length : lt);
    const amp = text.match(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
    assert.equal(amp, null, `bare & in text near: ${text.slice(0, 60)}`);
    if (stack.length === 0) assert.match(text, /^\s*$/, `text outside the root element: ${text.slice(0, 60)}`);
    if (lt < 0) break;
    if (body.startsWith('<!--', lt)) {
      const end = body.indexOf('-->', lt);
      assert.ok(end > 0, 'unterminated comment');
      i = end + 3;
      continue;
    }
    tagRe.lastIndex = lt;
    const m = tagRe.exec(body);
    assert.ok(m, `malformed tag at ${lt}: ${body.slice(lt, lt + 80)}`);
    const [whole, close, name, attrs, selfClose] = m;
    for (const v of attrs.matchAll(/"([^"]*)"/g)) {
      assert.equal(v[1].match(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/), null, `bare & in attribute ${v[1]}`);
    }
    if (close) {
      assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) {
      roots++;
    }
    i = lt + whole.length;
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
}

/** The d attribute of each series path, by series name (names as escaped in the SVG). */
function linePaths(svg: string): string[] {
  return [...svg.matchAll(/<path class="line" d="([^"]*)"/g)].map((m) => m[1]);
}

/** All y coordinates of a path's points. */
function pathYs(d: string): number[] {
  return [...d.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((m) => Number(m[2]));
}

const close = (a: number[], b: number[]): void => {
  assert.equal(a.length, b.length, `${a} vs ${b}`);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12, `${a} vs ${b}`));
};

const DAY = 86_400_000;
const MINUS = '\u2212'; // d3-format writes negative numbers with a true minus sign

test('linear axis: nice 1-2-5 ticks covering the range, exact decimals', () => {
  const a = linearAxis(0, 97, [0, 300]);
  assert.deepEqual(a.ticks, [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(a.domain, [0, 100]);
  assert.equal(a.map(50), 150);
  assert.deepEqual(linearAxis(0, 97, [0, 300], { nice: false }).ticks, [0, 20, 40, 60, 80], 'without nice the domain is the data range');
  assert.deepEqual(linearAxis(0, 1, [0, 1]).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]); // no 0.6000000000000001
  const flat = linearAxis(5, 5, [0, 1]); // a constant series still gets an axis
  assert.ok(flat.domain[0] < 5 && flat.domain[1] > 5 && flat.ticks.length >= 2);
  assert.deepEqual(linearAxis(NaN, Infinity, [0, 1]).domain, [0, 1]);
});

test('linear axis: negative and tiny ranges', () => {
  const neg = linearAxis(-3.2, 7.9, [300, 0]);
  assert.deepEqual(neg.ticks, [-4, -2, 0, 2, 4, 6, 8]);
  assert.deepEqual(neg.labels, [`${MINUS}4`, `${MINUS}2`, '0', '2', '4', '6', '8']);
  assert.equal(neg.map(-4), 300);
  assert.deepEqual(linearAxis(-1, 1, [0, 1]).labels, [`${MINUS}1`, `${MINUS}0.5`, '0', '0.5', '1']);
  const allNeg = linearAxis(-0.93, -0.12, [0, 1]);
  assert.ok(allNeg.ticks.every((t) => t <= 0) && allNeg.labels[0] === `${MINUS}1`, allNeg.labels.join());

  const tiny = linearAxis(0.001, 0.0042, [0, 1]);
  close(tiny.ticks, [0.001, 0.0015, 0.002, 0.0025, 0.003, 0.0035, 0.004, 0.0045]);
  assert.deepEqual(tiny.labels, ['1e-3', '1.5e-3', '2e-3', '2.5e-3', '3e-3', '3.5e-3', '4e-3', '4.5e-3']);
  assert.deepEqual(linearAxis(-2e-5, 3e-5, [0, 1]).labels, [`${MINUS}2e-5`, `${MINUS}1e-5`, '0', '1e-5', '2e-5', '3e-5']);
  // Small but not tiny: fixed decimals, as many as the step needs.
  assert.deepEqual(linearAxis(0.02, 0.021, [0, 1]).labels, ['0.02', '0.0202', '0.0204', '0.0206', '0.0208', '0.021']);
  const narrow = linearAxis(1000.001, 1000.004, [0, 1]);
  assert.equal(new Set(narrow.labels).size, narrow.labels.length, `distinct labels on a narrow range: ${narrow.labels}`);
});

test('tick labels are compact', () => {
  assert.deepEqual(linearAxis(0, 12000, [0, 1]).labels, ['0', '2k', '4k', '6k', '8k', '10k', '12k']);
  assert.deepEqual(linearAxis(0, 12_345_678, [0, 1], { nice: false }).labels, ['0', '2M', '4M', '6M', '8M', '10M', '12M']);
  assert.deepEqual(linearAxis(0, 3e9, [0, 1]).labels, ['0', '0.5B', '1B', '1.5B', '2B', '2.5B', '3B'], 'billions are B, not SI G');
  assert.deepEqual(linearAxis(1e15, 3e15, [0, 1]).labels, ['1e15', '1.5e15', '2e15', '2.5e15', '3e15']);
  assert.equal(formatCompact(12345), '12.3k');
  assert.equal(formatCompact(0.25), '0.25');
  assert.equal(formatCompact(0.0015), '1.5e-3');
  assert.equal(formatCompact(999.96), '1k');
  assert.equal(formatCompact(100, 2), '100');
  assert.equal(formatCompact(-2.5e6), `${MINUS}2.5M`);
  assert.equal(formatCompact(NaN), 'NaN');
});

test('log axis ticks are powers of ten (with 2 and 5 over few decades)', () => {
  const a = logAxis(0.003, 40, [300, 0]);
  assert.deepEqual(a.domain, [0.002, 50]);
  assert.deepEqual(a.labels, ['0.01', '0.1', '1', '10']);
  const b = logAxis(0.06, 2.6, [300, 0]);
  assert.deepEqual(b.labels, ['0.05', '0.1', '0.2', '0.5', '1', '2', '5']);
  assert.ok(Math.abs(b.map(0.05) - 300) < 1e-9 && Math.abs(b.map(5)) < 1e-9);
  assert.deepEqual(logAxis(0.5, 0.9, [0, 1]).labels, ['0.5', '0.6', '0.7', '0.8', '0.9', '1'], 'under a factor of 4: linear ticks');
  assert.deepEqual(logAxis(100, 100, [0, 1]).labels, ['20', '50', '100', '200', '500']);
  assert.deepEqual(logAxis(-1, 0, [0, 1]).domain, [1, 10], 'no positive range: one decade');
});

/** Ticks and labels of a date axis over [a, b] with about `count` ticks. */
const dateAxis = (a: number, b: number, count = 6): { ticks: Date[]; labels: string[] } => {
  const axis = timeAxis(a, b, [0, 800], { count });
  assert.equal(axis.ticks.length, axis.labels.length);
  return { ticks: axis.ticks.map((t) => new Date(t)), labels: axis.labels };
};

test('date axis: ticks on calendar boundaries suited to the span, labels naming what changes', () => {
  // Years: 20 years of daily data get January 1st every 5 years.
  const years = dateAxis(Date.UTC(1969, 0, 1), Date.UTC(1969, 0, 1) + 20 * 365 * DAY);
  assert.deepEqual(years.labels, ['1970', '1975', '1980', '1985']);
  assert.ok(years.ticks.every((d) => d.getUTCMonth() === 0 && d.getUTCDate() === 1 && +d % DAY === 0));
  assert.deepEqual(dateAxis(Date.UTC(1800, 0, 1), Date.UTC(2000, 0, 1), 3).labels, ['1800', '1850', '1900', '1950', '2000']);

  // Months, across a year: the year is named on the first tick and where it changes.
  const months = dateAxis(Date.UTC(2001, 1, 10), Date.UTC(2002, 2, 1), 6);
  assert.deepEqual(months.labels, ['Apr 2001', 'Jul', 'Oct', 'Jan 2002']);
  assert.ok(months.ticks.every((d) => d.getUTCDate() === 1 && +d % DAY === 0));
  const monthly = dateAxis(Date.UTC(2001, 1, 10), Date.UTC(2002, 2, 1), 10).labels;
  assert.deepEqual(monthly.slice(0, 3), ['Mar 2001', 'Apr', 'May']);
  assert.ok(monthly.includes('Jan 2002') && !monthly.includes('Jan'), monthly.join());

  // Weeks start on Monday (ISO 8601), not d3's Sunday.
  const weeks = dateAxis(Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 15));
  assert.deepEqual(weeks.labels, ['Jan 1, 2024', 'Jan 8', 'Jan 15', 'Jan 22', 'Jan 29', 'Feb 5', 'Feb 12']);
  assert.ok(weeks.ticks.every((d) => d.getUTCDay() === 1));

  // Days; across a year end the new year is named.
  assert.deepEqual(dateAxis(Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 6)).labels, ['Mar 1, 2024', 'Mar 2', 'Mar 3', 'Mar 4', 'Mar 5', 'Mar 6']);
  assert.deepEqual(dateAxis(Date.UTC(2023, 11, 29), Date.UTC(2024, 0, 3)).labels, ['Dec 29, 2023', 'Dec 30', 'Dec 31', 'Jan 1, 2024', 'Jan 2', 'Jan 3']);

  // Hours: the date on the first tick and on midnights, the time of day elsewhere.
  assert.deepEqual(dateAxis(Date.UTC(2023, 11, 31, 12), Date.UTC(2024, 0, 2)).labels, ['Dec 31 12:00', '18:00', 'Jan 1', '06:00', '12:00', '18:00', 'Jan 2']);
  assert.deepEqual(dateAxis(Date.UTC(2024, 2, 1, 10), Date.UTC(2024, 2, 1, 11, 30)).labels, ['Mar 1 10:00', '10:15', '10:30', '10:45', '11:00', '11:15', '11:30']);
  assert.deepEqual(dateAxis(Date.UTC(2024, 2, 1, 10), Date.UTC(2024, 2, 1, 10, 0, 40), 4).labels, ['Mar 1 10:00:00', '10:00:15', '10:00:30']);

  // A single instant still gets an axis.
  assert.ok(timeAxis(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1), [0, 1]).ticks.length >= 1);
});

test("date axis: UTC whatever the machine's time zone", () => {
  const spans: [number, number][] = [
    [Date.UTC(2023, 11, 31, 12), Date.UTC(2024, 0, 2)],
    [Date.UTC(2001, 1, 10), Date.UTC(2002, 2, 1)],
    [Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 15)],
  ];
  const read = ([a, b]: [number, number]): [number[], string[]] => {
    const axis = timeAxis(a, b, [0, 1]);
    return [axis.ticks, axis.labels];
  };
  const utc = spans.map(read);
  const saved = process.env.TZ;
  try {
    for (const zone of ['Pacific/Chatham', 'America/St_Johns', 'Asia/Kathmandu']) {
      process.env.TZ = zone; // Node reads TZ again when it changes
      assert.notEqual(new Date(Date.UTC(2024, 0, 1)).getHours(), 0, `${zone} is not UTC`);
      spans.forEach((span, i) => assert.deepEqual(read(span), utc[i], zone));
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
  // Zone-less ISO date-times are UTC too.
  assert.equal(toTime('2001-03-05T12:00'), Date.UTC(2001, 2, 5, 12));
  assert.equal(toTime('2001-03-05'), Date.UTC(2001, 2, 5));
});

test('line chart: well-formed, titled, legend names, escaped text', () => {
  const x = [1, 2, 3, 4, 5];
  const svg = lineChart({
    title: 'Loss <train> & "val"',
    xLabel: 'epoch',
    yLabel: "it's loss",
    series: [
      { name: 'train', x, y: [3, 2, 1.5, 1.2, 1] },
      { name: 'a<b & "c"', x, y: [3.2, 2.5, 2, 1.9, 1.95], dashed: true },
    ],
  });
  assertWellFormed(svg);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"'));
  assert.ok(svg.includes('Loss &lt;train&gt; &amp; &quot;val&quot;'));
  assert.ok(svg.includes('>train<'));
  assert.ok(svg.includes('a&lt;b &amp; &quot;c&quot;'));
  assert.ok(!svg.includes('a<b'));
  assert.ok(svg.includes('it&apos;s loss'));
  assert.ok(svg.includes('font-family="DejaVu Sans, Arial, sans-serif"'));
  assert.ok(svg.includes('stroke-dasharray'));
  assert.equal(linePaths(svg).length, 2);
  // Control characters, which XML forbids, are dropped rather than breaking the document.
  assertWellFormed(lineChart({ title: 'bad\u0001char \uD800', series: [{ name: '\u0007', x, y: x }] }));
});

test('line chart: NaN/null break the line; lone points become dots; constant and single-point series render', () => {
  const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const svg = lineChart({ series: [{ name: 'gappy', x, y: [1, 2, NaN, 3, 4, null, Infinity, 5, 6, 7] }] });
  assertWellFormed(svg);
  const [d] = linePaths(svg);
  assert.equal((d.match(/M/g) ?? []).length, 3, d);

  const lone = lineChart({ series: [{ name: 'lone', x: [0, 1, 2, 3, 4], y: [1, NaN, 2, NaN, 3] }] });
  assert.equal(linePaths(lone).length, 0);
  assert.equal((lone.match(/class="dot"/g) ?? []).length, 3);

  const single = lineChart({ title: 'one', series: [{ name: 'single', x: [3], y: [42] }] });
  assertWellFormed(single);
  assert.equal((single.match(/class="dot"/g) ?? []).length, 1);
  assert.ok(!single.includes('NaN'));

  const constant = lineChart({ series: [{ name: 'c', x, y: x.map(() => 0.5) }] });
  assertWellFormed(constant);
  assert.ok(!constant.includes('NaN') && !constant.includes('Infinity'));
  assert.ok(new Set(pathYs(linePaths(constant)[0])).size === 1);

  const empty = lineChart({ series: [] });
  assertWellFormed(empty);
  assert.ok(!empty.includes('NaN'));

  assert.throws(() => lineChart({ series: [{ name: 'bad', x: [1, 2], y: [1] }] }), RangeError);
});

test('line chart: log y treats non-positive values as gaps', () => {
  const x = [1, 2, 3, 4, 5, 6];
  const svg = lineChart({ logY: true, series: [{ name: 'loss', x, y: [2, 0.5, 0, 0.1, 0.05, 0.02] }] });
  assertWellFormed(svg);
  assert.equal((linePaths(svg)[0].match(/M/g) ?? []).length, 2);
  assert.ok(!svg.includes('NaN'));
});

test('line chart: dates on x, band, marker', () => {
  const dates = Array.from({ length: 20 * 365 }, (_, i) => new Date(Date.UTC(1969, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
  const y = dates.map((_, i) => 9000 + 500 * Math.sin(i / 58));
  const svg = lineChart({
    title: 'births',
    series: [
      { name: 'actual', x: dates, y },
      { name: 'forecast', x: dates.slice(-100), y: y.slice(-100), dashed: true },
    ],
    band: { x: dates.slice(-100), lower: y.slice(-100).map((v) => v - 100), upper: y.slice(-100).map((v) => v + 100), name: '90% interval' },
    markers: [{ x: dates[dates.length - 100], label: 'test <period>' }],
  });
  assertWellFormed(svg);
  for (const year of ['1970', '1980']) assert.ok(svg.includes(`>${year}</text>`), year);
  assert.ok(!/>(Jan|Jul)\b/.test(svg), 'a 20-year axis is labelled in years');
  assert.ok(svg.includes('class="band"'));
  assert.ok(svg.includes('class="marker"'));
  assert.ok(svg.includes('test &lt;period&gt;'));
  assert.ok(svg.includes('90% interval'));
});

test('line chart: NaN gaps in a dated series and in its band; x tick labels do not overlap', () => {
  const dates = Array.from({ length: 400 }, (_, i) => new Date(Date.UTC(2019, 0, 1) + i * DAY));
  const y = dates.map((_, i) => 9000 + 300 * Math.sin(i / 15));
  y[50] = NaN;
  y[51] = NaN;
  y[200] = NaN;
  const lower = y.map((v) => v - 100);
  const upper = y.map((v) => v + 100);
  const svg = lineChart({ series: [{ name: 'actual', x: dates, y }], band: { x: dates, lower, upper, name: 'band' }, width: 640 });
  assertWellFormed(svg);
  assert.ok(!svg.includes('NaN'));
  assert.equal((linePaths(svg)[0].match(/M/g) ?? []).length, 3, 'two gaps: three runs');
  const band = /<path class="band" d="([^"]*)"/.exec(svg)?.[1] ?? '';
  assert.equal((band.match(/Z/g) ?? []).length, 3, 'the band breaks where the series does');
  // The x tick labels (the centred texts without a class), left to right: each clear of the next.
  const xLabels = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">([^<]*)<\/text>/g)].map((m) => ({ x: Number(m[1]), text: m[2] }));
  assert.ok(xLabels.length >= 3, xLabels.map((l) => l.text).join());
  assert.equal(xLabels[0].text, 'Jan 2019');
  assert.ok(
    xLabels.some((l) => l.text === 'Jan 2020'),
    xLabels.map((l) => l.text).join(),
  );
  for (let i = 1; i < xLabels.length; i++) assert.ok(xLabels[i].x - xLabels[i - 1].x > 30, `${xLabels[i - 1].text} and ${xLabels[i].text} overlap`);
});

test('downsampling keeps spikes and keeps the SVG small', () => {
  const n = 100_000;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((i) => Math.sin(i / 3000) + 0.2 * Math.sin(i * 1.7));
  y[12_345] = 25;
  y[67_890] = -30;
  const series = [{ name: 'spiky', x, y }];
  const small = lineChart({ series });
  const full = lineChart({ series, downsample: false });
  assertWellFormed(small);
  assert.ok(small.length < 200_000, `${small.length} bytes`);
  assert.ok(full.length > 5 * small.length);
  const ys = pathYs(linePaths(small)[0]);
  const fullYs = pathYs(linePaths(full)[0]);
  assert.equal(Math.min(...ys), Math.min(...fullYs)); // the +25 spike (top of the picture)
  assert.equal(Math.max(...ys), Math.max(...fullYs)); // the −30 spike (bottom)

  // The reduction itself: first, min, max and last of each pixel column, in order.
  const px = [0.1, 0.5, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 2.5];
  const py = [5, 9, 3, 7, 5, 2, 6, 4, 6];
  assert.deepEqual(downsampleMinMax(px, py), [0, 1, 2, 3, 5, 7, 8]);
  assert.deepEqual(downsampleMinMax([0, 0.2, 0.4, 0.6, 0.8], [3, 1, 9, 2, 4]), [0, 1, 2, 4]);
});

test('heatmap: one cell per value, labels, colour bar, values in small grids', () => {
  const rows = [...'phone'];
  const cols = ['F', 'OW1', 'N', '<eos>'];
  const values = rows.map((_, r) => cols.map((_, c) => (r === c ? 0.8 : 0.05)));
  const svg = heatmap({ title: 'attention & alignment', rows, cols, values, xLabel: 'output', yLabel: 'source', colorScale: 'viridis' });
  assertWellFormed(svg);
  assert.equal((svg.match(/<rect class="cell"/g) ?? []).length, rows.length * cols.length);
  assert.ok(svg.includes('&lt;eos&gt;'));
  assert.ok(svg.includes('attention &amp; alignment'));
  assert.ok(svg.includes('linearGradient'));
  assert.ok(svg.includes('>0.80</text>'), 'values printed in a small grid');
  assert.ok(!heatmap({ rows, cols, values, showValues: false }).includes('>0.80</text>'));

  const counts = heatmap({
    rows: ['ham', 'spam'],
    cols: ['ham', 'spam'],
    values: [
      [930, 12],
      [25, 410],
    ],
    colorScale: 'blues',
  });
  assertWellFormed(counts);
  assert.ok(counts.includes('>930</text>') && counts.includes('>12</text>'));
  // Colours from rates, text from counts.
  const rates = heatmap({
    rows: ['ham', 'spam'],
    cols: ['ham', 'spam'],
    values: [
      [0.9872, 0.0128],
      [0.0575, 0.9425],
    ],
    cellLabels: [
      ['930', '12'],
      ['25', '410'],
    ],
  });
  assertWellFormed(rates);
  assert.ok(rates.includes('>930</text>') && !rates.includes('>0.99</text>'));
  assert.ok(rates.includes('ham × spam: 12 (0.01)'));
  assert.throws(() => heatmap({ rows: ['a'], cols: ['x'], values: [[1]], cellLabels: [['1', '2']] }), RangeError);

  const big = Array.from({ length: 30 }, (_, r) => Array.from({ length: 40 }, (_, c) => ((r * c) % 7) / 7));
  const bigSvg = heatmap({ rows: big.map((_, i) => `r${i}`), cols: big[0].map((_, i) => `c${i}`), values: big });
  assertWellFormed(bigSvg);
  assert.equal((bigSvg.match(/<rect class="cell"/g) ?? []).length, 30 * 40);
  assert.ok(!bigSvg.includes('class="values"'), 'no numbers in tiny cells');

  const huge = Array.from({ length: 100 }, (_, r) => Array.from({ length: 100 }, (_, c) => Math.sin(r / 9) * Math.cos(c / 7)));
  const hugeSvg = heatmap({ rows: huge.map((_, i) => `${i}`), cols: huge.map((_, i) => `${i}`), values: huge, min: -1, max: 1 });
  assertWellFormed(hugeSvg);
  assert.ok(hugeSvg.length < 400_000, `${hugeSvg.length} bytes`);

  assert.throws(() => heatmap({ rows: ['a'], cols: ['x', 'y'], values: [[1]] }), RangeError);
  assertWellFormed(heatmap({ rows: ['a'], cols: ['x'], values: [[NaN]] }));
});

test('PNG export: signature and requested width; writePicture writes atomically', () => {
  const svg = lineChart({ title: 'png', series: [{ name: 's', x: [0, 1, 2], y: [1, 3, 2] }] });
  const png = svgToPng(svg, { width: 400 });
  assert.deepEqual([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assert.equal(String.fromCharCode(...png.slice(12, 16)), 'IHDR');
  assert.equal(view.getUint32(16), 400);
  assert.equal(view.getUint32(20), 200); // aspect ratio kept
  assert.equal(new DataView(svgToPng(svg).buffer).getUint32(16), 800);

  const dir = mkdtempSync(join(tmpdir(), 'gru-plot-'));
  try {
    const paths = writePicture(join(dir, 'sub', 'chart.svg'), svg, true);
    assert.deepEqual(paths, [join(dir, 'sub', 'chart.svg'), join(dir, 'sub', 'chart.png')]);
    assert.equal(readFileSync(paths[0], 'utf8'), svg);
    assert.equal(readFileSync(paths[1])[1], 0x50);
    assert.deepEqual(readdirSync(join(dir, 'sub')).sort(), ['chart.png', 'chart.svg'], 'no temporary files left');
    assert.deepEqual(writePicture(join(dir, 'only'), svg, false), [join(dir, 'only.svg')]);
    assert.ok(!existsSync(join(dir, 'only.png')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stackCharts: panels one above the other, each keeping its own axes; the picture as tall as their sum', () => {
  const a = lineChart({ title: 'A', series: [{ name: 'a', x: [1, 2], y: [0, 1] }], xType: 'number', height: 300 });
  const b = lineChart({ title: 'B', series: [{ name: 'b', x: [1, 2], y: [100, 200] }], xType: 'number', height: 250, width: 600 });
  const svg = stackCharts([a, b]);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="550" viewBox="0 0 800 550"/);
  assert.match(svg, /<svg x="0" y="0" xmlns[^>]*height="300"/);
  assert.match(svg, /<svg x="0" y="300" xmlns[^>]*height="250"/);
  assert.ok(svg.includes('>200<') && svg.includes('>1<'), 'each panel keeps its own y axis labels');
  assert.throws(() => stackCharts(['<g/>']), /expected SVG strings with width and height/);
});
