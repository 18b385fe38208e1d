/**
 * Scales and axes for the SVG charts: "nice" 1-2-5 ticks, compact tick
 * labels, logarithmic and calendar (date) axes, plus the small text helpers
 * (XML escaping, width estimates) that every chart needs for layout.
 *
 * Browser-safe: no Node imports. All dates are handled in UTC so that a
 * chart renders identically on every machine, whatever its time zone.
 */

/** Font stack used by every chart; DejaVu Sans ships with most Linux systems and resvg finds it. */
export const FONT_FAMILY = 'DejaVu Sans, Arial, sans-serif';

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for use in SVG element content or attribute values. Also
 * drops the control characters XML 1.0 forbids and replaces lone UTF-16
 * surrogates, either of which would make the whole document unparseable.
 */
export function escapeXml(text: string): string {
  return String(text)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

/**
 * Approximate rendered width of `text` in DejaVu Sans at `fontSize` px.
 * Layout needs a width before anything is rendered (there is no DOM to
 * measure with); per-class advance widths taken from the font keep the
 * estimate within a few percent for labels, which is all layout needs.
 */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) {
    if (/[0-9]/.test(ch)) em += 0.636;
    else if (/[iljt.,:;'|!Ift()[\]]/.test(ch)) em += 0.33;
    else if (ch === ' ') em += 0.318;
    else if (/[mwMW]/.test(ch)) em += 0.95;
    else if (/[A-Z]/.test(ch)) em += 0.72;
    else if (/[a-z]/.test(ch)) em += 0.6;
    else if (ch.charCodeAt(0) > 0x2e80) em += 1.0; // CJK and other wide scripts
    else em += 0.65;
  }
  return em * fontSize;
}

let idCounter = 0;
/** A fresh element id, so several charts inlined into one HTML page do not share clip-path or gradient ids. */
export function nextId(prefix: string): string {
  idCounter = (idCounter + 1) % 1e9;
  return `${prefix}${idCounter}`;
}

/** Font size for a bold title: 16 px, shrunk (to 10 px at least) so a long title still fits the picture's width. */
export function titleFontSize(title: string, width: number): number {
  const natural = textWidth(title, 16) * 1.1; // bold glyphs are ~10% wider
  return Math.max(10, Math.min(16, (16 * (width - 24)) / Math.max(1, natural)));
}

/** Rounds an SVG coordinate to 0.1 px: invisible on screen, and keeps long paths short. */
export function fmtCoord(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

// ---------------------------------------------------------------------------
// Linear ticks

/**
 * The 1-2-5 step (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …) that splits
 * [min, max] into about `count` intervals. Same rule as d3's tickIncrement:
 * the raw step is rounded to whichever of 1, 2, 5, 10 is nearest on a log scale.
 */
export function tickStep(min: number, max: number, count = 5): number {
  const span = Math.abs(max - min);
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const exp = Math.floor(Math.log10(raw));
  const err = raw / 10 ** exp;
  const f = err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.sqrt(2) ? 2 : 1;
  // Dividing by a power of ten (rather than multiplying by 10^-k) keeps
  // steps such as 0.0005 exact to the last bit.
  return exp < 0 ? f / 10 ** -exp : f * 10 ** exp;
}

/** Result of {@link niceTicks}: the domain widened to whole steps, and the ticks in it. */
export interface NiceTicks {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** i·step without the drift of repeated addition (0.1 + 0.2 ≠ 0.3). */
function stepMultiple(i: number, step: number): number {
  if (step < 1) {
    const inv = Math.round(1 / step);
    if (Math.abs(inv - 1 / step) < 1e-9 * inv) return i / inv;
  }
  return i * step;
}

/**
 * Nice ticks covering [min, max]: the domain is widened outwards to
 * multiples of a 1-2-5 step, e.g. [0, 97] → 0, 20, 40, 60, 80, 100.
 * A zero-width range is widened so it still gets ticks.
 */
export function niceTicks(min: number, max: number, count = 5): NiceTicks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) { min = 0; max = 1; }
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  let step = tickStep(min, max, count);
  // Widening can change the best step (d3's nice() loops for the same reason).
  for (let k = 0; k < 3; k++) {
    const s2 = tickStep(Math.floor(min / step) * step, Math.ceil(max / step) * step, count);
    if (s2 === step) break;
    step = s2;
  }
  const i0 = Math.floor(min / step + 1e-9);
  const i1 = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = i0; i <= i1; i++) ticks.push(stepMultiple(i, step) + 0); // + 0 turns -0 into 0
  return { min: ticks[0], max: ticks[ticks.length - 1], step, ticks };
}

// ---------------------------------------------------------------------------
// Number formatting

/** Trims trailing zeros after a decimal point: "1.50" → "1.5", "2.00" → "2". */
function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

const SUFFIXES: [number, string][] = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'k']];

/** How many decimals `x` needs to be written exactly (x is a tick step: 0.25 → 2). */
function decimalsOf(x: number): number {
  x = Math.abs(x);
  for (let d = 0; d < 15; d++) {
    const s = x * 10 ** d;
    if (Math.abs(s - Math.round(s)) < 1e-6 * Math.max(1, s)) return d;
  }
  return 15;
}

/** "1.5e-3" rather than JavaScript's "1.5e-3"/"1.5e+3" mix: no plus sign, trimmed mantissa. */
function expString(v: number, digits: number): string {
  const [m, e] = v.toExponential(Math.max(0, Math.min(digits, 8))).split('e');
  return `${trimZeros(m)}e${e.replace('+', '')}`;
}

/**
 * Compact human formatting of one number with about `significant` digits:
 * 12345 → "12.3k", 0.25 → "0.25", 0.0015 → "1.5e-3", 2.5e6 → "2.5M".
 */
export function formatCompact(v: number, significant = 3): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const r = Number(v.toPrecision(significant)); // round first: 999.96 must become "1k", not "1000"
  const a = Math.abs(r);
  if (a < 1e-2 || a >= 1e15) return expString(r, significant - 1);
  for (const [unit, sfx] of SUFFIXES) {
    if (a >= unit) return trimZeros((r / unit).toPrecision(significant)) + sfx;
  }
  return trimZeros(r.toPrecision(significant));
}

/**
 * Formatter for the ticks of one axis with spacing `step`: every label shows
 * exactly the digits the step needs, so neighbouring labels differ visibly
 * ("0.25", "0.5", "0.75"; "10k", "12.5k"; "1e-3", "1.5e-3").
 * Axes whose ticks are all tiny (< 0.01) use exponent form throughout.
 */
export function tickFormatter(step: number, ticks: readonly number[]): (v: number) => string {
  const maxAbs = ticks.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
  const stepExp = Math.floor(Math.log10(Math.abs(step) || 1) + 1e-9);
  if (maxAbs > 0 && (maxAbs < 1e-2 || maxAbs >= 1e15)) {
    return (v) => {
      if (Math.abs(v) < Math.abs(step) * 1e-6) return '0';
      return expString(v, Math.floor(Math.log10(Math.abs(v)) + 1e-9) - stepExp);
    };
  }
  return (v) => {
    if (Math.abs(v) < Math.abs(step) * 1e-6) return '0';
    const a = Math.abs(v);
    for (const [unit, sfx] of SUFFIXES) {
      if (a >= unit) return trimZeros((v / unit).toFixed(decimalsOf(step / unit))) + sfx;
    }
    return trimZeros(v.toFixed(decimalsOf(step)));
  };
}

// ---------------------------------------------------------------------------
// Axes

/** A positioned axis: maps data values to pixels and carries its ticks and labels. */
export interface Axis {
  kind: 'linear' | 'log' | 'time';
  /** Data values at the two ends of the axis. */
  domain: [number, number];
  /** Pixel positions of domain[0] and domain[1] (y axes run downwards: [bottom, top]). */
  range: [number, number];
  ticks: number[];
  labels: string[];
  /** Data value → pixel. */
  map(v: number): number;
}

/** Options shared by the axis constructors. */
export interface AxisOptions {
  /** Rough number of ticks wanted. */
  count?: number;
  /** Widen the domain to whole tick steps (good for y axes); else the data range is the domain. */
  nice?: boolean;
}

function padDegenerate(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  return [min, max];
}

/** A linear axis over [min, max] placed on pixels `range`. */
export function linearAxis(min: number, max: number, range: [number, number], opts: AxisOptions = {}): Axis {
  const count = opts.count ?? 5;
  [min, max] = padDegenerate(min, max);
  const nt = niceTicks(min, max, count);
  const domain: [number, number] = opts.nice === false ? [min, max] : [nt.min, nt.max];
  const eps = nt.step * 1e-9;
  const ticks = nt.ticks.filter((t) => t >= domain[0] - eps && t <= domain[1] + eps);
  const fmt = tickFormatter(nt.step, ticks);
  const [d0, d1] = domain;
  const [r0, r1] = range;
  return {
    kind: 'linear', domain, range, ticks, labels: ticks.map(fmt),
    map: (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0),
  };
}

function logFloor125(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  return (m >= 5 - 1e-9 ? 5 : m >= 2 - 1e-9 ? 2 : 1) * p;
}

function logCeil125(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  return (m <= 1 + 1e-9 ? 1 : m <= 2 + 1e-9 ? 2 : m <= 5 + 1e-9 ? 5 : 10) * p;
}

/**
 * A base-10 logarithmic axis (for loss curves spanning decades). Only
 * positive values make sense; the domain is widened to 1-2-5 values and the
 * ticks are powers of ten, with 2 and 5 added when there are few decades and
 * every k-th power kept when there are many.
 */
export function logAxis(min: number, max: number, range: [number, number], opts: AxisOptions = {}): Axis {
  const count = opts.count ?? 5;
  if (!(min > 0) || !Number.isFinite(min) || !(max > 0) || !Number.isFinite(max)) { min = 1; max = 10; }
  if (min > max) [min, max] = [max, min];
  if (min === max) { min /= Math.sqrt(10); max *= Math.sqrt(10); }
  const d0 = logFloor125(min);
  const d1 = logCeil125(max);
  const lo = Math.log10(d0);
  const hi = Math.log10(d1);
  const decades = hi - lo;
  let ticks: number[] = [];
  let labels: string[];
  if (decades < Math.log10(4)) {
    // Less than a factor of 4: powers of ten would give one tick at most.
    const nt = niceTicks(d0, d1, count);
    ticks = nt.ticks.filter((t) => t >= d0 * (1 - 1e-9) && t <= d1 * (1 + 1e-9) && t > 0);
    labels = ticks.map(tickFormatter(nt.step, ticks));
  } else {
    const k = Math.max(1, Math.ceil(decades / count));
    const mantissas = decades <= 2.5 ? [1, 2, 5] : [1];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      if (k > 1 && e % k !== 0) continue;
      for (const m of mantissas) {
        const t = e < 0 ? m / 10 ** -e : m * 10 ** e;
        if (t >= d0 * (1 - 1e-9) && t <= d1 * (1 + 1e-9)) ticks.push(t);
      }
    }
    labels = ticks.map((t) => formatCompact(t, 2));
  }
  const [r0, r1] = range;
  return {
    kind: 'log', domain: [d0, d1], range, ticks, labels,
    map: (v) => r0 + ((Math.log10(v) - lo) / (hi - lo)) * (r1 - r0),
  };
}

// ---------------------------------------------------------------------------
// Dates

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Calendar unit that a date axis's ticks fall on. */
export type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** Candidate tick intervals, finest first: [unit, how many units, rough length in ms]. */
const INTERVALS: [TimeUnit, number, number][] = [
  ['minute', 1, MINUTE], ['minute', 5, 5 * MINUTE], ['minute', 15, 15 * MINUTE], ['minute', 30, 30 * MINUTE],
  ['hour', 1, HOUR], ['hour', 3, 3 * HOUR], ['hour', 6, 6 * HOUR], ['hour', 12, 12 * HOUR],
  ['day', 1, DAY], ['day', 2, 2 * DAY], ['week', 1, WEEK], ['week', 2, 2 * WEEK],
  ['month', 1, 30.4 * DAY], ['month', 2, 60.9 * DAY], ['month', 3, 91.3 * DAY], ['month', 6, 182.6 * DAY],
  ['year', 1, 365.25 * DAY],
];

/**
 * Converts an x value to milliseconds since the epoch: numbers pass through,
 * Dates give their time, strings are parsed as ISO 8601. A date-time string
 * without a zone ("2001-03-05T12:00") is read as UTC, not local time, so
 * output does not depend on the machine's time zone. Unparseable → NaN.
 */
export function toTime(x: number | Date | string): number {
  if (typeof x === 'number') return x;
  if (x instanceof Date) return x.getTime();
  const s = String(x).trim();
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) return Date.parse(s.replace(' ', 'T') + 'Z');
  return Date.parse(s);
}

/** Result of {@link timeTicks}. */
export interface TimeTicks {
  unit: TimeUnit;
  /** Number of units between ticks (e.g. 3 months, 5 years). */
  step: number;
  ticks: number[];
  labels: string[];
}

/** Ticks at calendar boundaries for `unit`×`step` within [min, max]. */
function calendarTicks(min: number, max: number, unit: TimeUnit, step: number): number[] {
  const out: number[] = [];
  const cap = 10_000; // a guard, never reached by intervals chosen in timeTicks
  if (unit === 'minute' || unit === 'hour' || unit === 'day') {
    // UTC midnight is a multiple of every such interval since the epoch.
    const ms = (unit === 'minute' ? MINUTE : unit === 'hour' ? HOUR : DAY) * step;
    for (let t = Math.ceil(min / ms) * ms; t <= max && out.length < cap; t += ms) out.push(t);
  } else if (unit === 'week') {
    const monday = 4 * DAY; // 1970-01-05 was a Monday; weeks start on Mondays (ISO 8601)
    const ms = WEEK * step;
    for (let t = monday + Math.ceil((min - monday) / ms) * ms; t <= max && out.length < cap; t += ms) out.push(t);
  } else if (unit === 'month') {
    const d = new Date(min);
    let m = Math.ceil((d.getUTCFullYear() * 12 + d.getUTCMonth()) / step) * step;
    for (;;) {
      const t = Date.UTC(Math.floor(m / 12), m % 12, 1);
      if (t > max || out.length >= cap) break;
      if (t >= min) out.push(t);
      m += step;
    }
  } else {
    let y = Math.ceil(new Date(min).getUTCFullYear() / step) * step;
    for (;;) {
      const t = Date.UTC(y, 0, 1);
      if (t > max || out.length >= cap) break;
      if (t >= min) out.push(t);
      y += step;
    }
  }
  return out;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Labels showing only what changes between ticks, with the year where it first appears or changes. */
function timeLabels(ticks: number[], unit: TimeUnit): string[] {
  let prevYear = NaN;
  let prevDay = NaN;
  return ticks.map((t) => {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    const mon = MONTHS[d.getUTCMonth()];
    const day = Math.floor(t / DAY);
    const newYear = y !== prevYear;
    const newDay = day !== prevDay;
    prevYear = y;
    prevDay = day;
    switch (unit) {
      case 'year':
        return String(y);
      case 'month':
        return newYear || d.getUTCMonth() === 0 ? `${mon} ${y}` : mon;
      case 'week':
      case 'day':
        return newYear ? `${mon} ${d.getUTCDate()}, ${y}` : `${mon} ${d.getUTCDate()}`;
      default: {
        const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
        if (t % DAY === 0) return `${mon} ${d.getUTCDate()}`; // midnight: the date says it all
        return newDay ? `${mon} ${d.getUTCDate()} ${hm}` : hm;
      }
    }
  });
}

/**
 * Date ticks for [min, max] (ms since the epoch, UTC) at sensible calendar
 * boundaries: the finest of minutes, hours, days, Monday-weeks, months
 * (1, 2, 3, 6) or years (1-2-5 multiples) giving at most about `count` ticks.
 * A 20-year daily series gets ticks on January 1st every 5 years.
 */
export function timeTicks(min: number, max: number, count = 6): TimeTicks {
  if (min > max) [min, max] = [max, min];
  const span = max - min;
  let unit: TimeUnit = 'year';
  let step = 0;
  for (const [u, s, ms] of INTERVALS) {
    if (span / ms <= count) { unit = u; step = s; break; }
  }
  if (step === 0) step = Math.max(1, tickStep(0, span / (365.25 * DAY), count));
  let ticks = calendarTicks(min, max, unit, step);
  if (ticks.length === 0) ticks = [min]; // span shorter than the interval and no boundary inside
  return { unit, step, ticks, labels: timeLabels(ticks, unit) };
}

/** A date axis over [min, max] (ms since the epoch); the domain is the data range, not widened. */
export function timeAxis(min: number, max: number, range: [number, number], opts: AxisOptions = {}): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max)) { min = 0; max = DAY; }
  if (min === max) { min -= DAY; max += DAY; }
  const tt = timeTicks(min, max, opts.count ?? 6);
  const [r0, r1] = range;
  return {
    kind: 'time', domain: [min, max], range, ticks: tt.ticks, labels: tt.labels,
    map: (v) => r0 + ((v - min) / (max - min)) * (r1 - r0),
  };
}
