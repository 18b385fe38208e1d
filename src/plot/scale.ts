/**
 * Axes for the SVG charts (linear, logarithmic and date axes: d3-scale's
 * scales and ticks, labels through d3-format and d3-time-format), plus the
 * small text helpers (XML escaping, width estimates) that every chart needs
 * for layout.
 *
 * Browser-safe: no Node imports. All dates are handled in UTC so that a
 * chart renders identically on every machine, whatever its time zone.
 */
import { format } from 'd3-format';
import { scaleLinear, scaleLog, scaleUtc, tickFormat } from 'd3-scale';
import { type TimeInterval, utcDay, utcMillisecond, utcMinute, utcMonday, utcMonth, utcSecond, utcSunday, utcTickInterval, utcYear } from 'd3-time';
import { utcFormat } from 'd3-time-format';

/** Font stack used by every chart; DejaVu Sans ships with most Linux systems and resvg finds it. */
export const FONT_FAMILY = 'DejaVu Sans, Arial, sans-serif';

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for use in SVG element content or attribute values. Also
 * drops the control characters XML 1.0 forbids and replaces lone UTF-16
 * surrogates, either of which would make the whole document unparseable.
 */
export function escapeXml(text: string): string {
  return (
    String(text)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      .replace(/[&<>"']/g, (c) => XML_ESCAPES[c])
  );
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
    else if (ch.charCodeAt(0) > 0x2e80)
      em += 1.0; // CJK and other wide scripts
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
// Numbers

/** SI "G" reads as gigabytes to most people: billions are "B". d3's exponents carry a "+" that says nothing. */
function tidy(label: string): string {
  return label.replace(/G$/, 'B').replace('e+', 'e');
}

/**
 * One number in about `significant` digits: 12345 → "12.3k", 0.25 → "0.25",
 * 0.0015 → "1.5e-3", 2.5e9 → "2.5B". Below 0.01 (and from 1e15) in exponent
 * form; from 1000 with a k, M, B or T suffix.
 */
export function formatCompact(v: number, significant = 3): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(Number(v.toPrecision(significant))); // rounded first, so that 999.96 takes the k form: "1k", not "1000"
  const type = a < 1e-2 || a >= 1e15 ? `.${significant - 1}~e` : a >= 1e3 ? `.${significant}~s` : `.${significant}~r`;
  return tidy(format(type)(v));
}

/**
 * Labels for the ticks of a number axis over [start, stop] with about
 * `count` ticks: exactly the digits the tick step needs ("0.25", "0.5";
 * "10k", "12.5k"; "1e-3", "1.5e-3"), one suffix or exponent form for the
 * whole axis, chosen by its largest value as in {@link formatCompact}.
 */
function numberLabels(start: number, stop: number, count: number): (v: number) => string {
  const m = Math.max(Math.abs(start), Math.abs(stop));
  const type = m > 0 && (m < 1e-2 || m >= 1e15) ? '~e' : m >= 1e3 ? '~s' : '~f';
  const label = tickFormat(start, stop, count, type);
  return (v) => (v === 0 ? '0' : tidy(label(v)));
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

/** [min, max] made drawable: [0, 1] for non-finite ends, ±10% (±1 around 0) for a single value. */
function padDegenerate(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  return [min, max];
}

/**
 * A linear axis over [min, max] placed on pixels `range`, with d3's 1-2-5
 * ticks (0, 20, …, 100 for [0, 97]). `nice` (the default) widens the domain
 * outwards to whole tick steps; a single value is widened so it still gets ticks.
 */
export function linearAxis(min: number, max: number, range: [number, number], opts: AxisOptions = {}): Axis {
  const count = opts.count ?? 5;
  const scale = scaleLinear().domain(padDegenerate(min, max)).range(range);
  if (opts.nice ?? true) scale.nice(count);
  const [d0, d1] = scale.domain();
  const ticks = scale.ticks(count);
  return { kind: 'linear', domain: [d0, d1], range, ticks, labels: ticks.map(numberLabels(d0, d1, count)), map: scale };
}

/** The largest of 1, 2, 5 × 10^k at or below `v` (`up`: the smallest at or above). */
function round125(v: number, up: boolean): number {
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  const eps = 1e-9;
  return (up ? (m <= 1 + eps ? 1 : m <= 2 + eps ? 2 : m <= 5 + eps ? 5 : 10) : m >= 5 - eps ? 5 : m >= 2 - eps ? 2 : 1) * p;
}

/** The leading digit of a power-of-ten multiple: 0.002 → 2. */
function mantissa(v: number): number {
  return Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
}

/**
 * A base-10 logarithmic axis (for loss curves spanning decades). Only
 * positive values make sense; the domain is widened to 1-2-5 values (not to
 * whole decades, which can leave half the plot empty) and the ticks are d3's
 * powers of ten, with 2 and 5 kept over a few decades. Under a factor of 4,
 * where powers would give one tick at most, the ticks are linear ones.
 */
export function logAxis(min: number, max: number, range: [number, number], opts: AxisOptions = {}): Axis {
  const count = opts.count ?? 5;
  if (!(min > 0) || !Number.isFinite(min) || !(max > 0) || !Number.isFinite(max)) {
    min = 1;
    max = 10;
  }
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    min /= Math.sqrt(10);
    max *= Math.sqrt(10);
  }
  const d0 = round125(min, false);
  const d1 = round125(max, true);
  const scale = scaleLog().domain([d0, d1]).range(range);
  const decades = Math.log10(d1 / d0);
  let ticks: number[];
  let labels: string[];
  if (decades < Math.log10(4)) {
    ticks = scaleLinear().domain([d0, d1]).ticks(count);
    labels = ticks.map(numberLabels(d0, d1, count));
  } else {
    const kept = decades <= 2.5 ? [1, 2, 5] : [1];
    ticks = scale.ticks(count).filter((t) => kept.includes(mantissa(t)));
    labels = ticks.map((t) => formatCompact(t, 2));
  }
  return { kind: 'log', domain: [d0, d1], range, ticks, labels, map: scale };
}

// ---------------------------------------------------------------------------
// Dates

const DAY = 86_400_000;

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

/** A label format for every tick, and a shorter one for ticks that share `context` (year or day) with the tick before. */
interface DateLevel {
  /** The unit every tick of the axis falls on for this level to apply. */
  on: TimeInterval;
  context: TimeInterval;
  full: (d: Date) => string;
  short: (d: Date) => string;
}

/** Date label levels, coarsest first; an axis takes the first whose `on` unit all its ticks fall on. */
const DATE_LEVELS: DateLevel[] = [
  { on: utcYear, context: utcYear, full: utcFormat('%Y'), short: utcFormat('%Y') },
  { on: utcMonth, context: utcYear, full: utcFormat('%b %Y'), short: utcFormat('%b') },
  { on: utcDay, context: utcYear, full: utcFormat('%b %-d, %Y'), short: utcFormat('%b %-d') },
  { on: utcMinute, context: utcDay, full: utcFormat('%b %-d %H:%M'), short: utcFormat('%H:%M') },
  { on: utcSecond, context: utcDay, full: utcFormat('%b %-d %H:%M:%S'), short: utcFormat('%H:%M:%S') },
  { on: utcMillisecond, context: utcDay, full: utcFormat('%b %-d %H:%M:%S.%L'), short: utcFormat('%H:%M:%S.%L') },
];
const MIDNIGHT = utcFormat('%b %-d');

const isOn = (interval: TimeInterval, d: Date): boolean => +interval.floor(d) === +d;

/**
 * Labels that show only what changes between ticks: "Jul 2001", "Jan 2002",
 * "Jul"; "Mar 1, 2024", "Mar 2"; "Dec 31 12:00", "18:00", "Jan 1". The year
 * (or, within a day, the date) is named on the first tick and wherever it
 * changes; on an axis of hours a midnight tick is named by its date alone.
 */
function dateLabels(ticks: Date[]): string[] {
  const level = DATE_LEVELS.find((l) => ticks.every((t) => isOn(l.on, t))) ?? DATE_LEVELS[DATE_LEVELS.length - 1];
  const withinDay = level.context === utcDay;
  return ticks.map((t, i) => {
    if (withinDay && isOn(utcDay, t)) return MIDNIGHT(t);
    const fresh = i === 0 || +level.context.floor(t) !== +level.context.floor(ticks[i - 1]);
    return (fresh ? level.full : level.short)(t);
  });
}

/**
 * A date axis over [min, max] (ms since the epoch); the domain is the data
 * range, not widened. Ticks are d3's UTC calendar ticks (minutes, hours,
 * days, weeks, months, quarters, or years in 1-2-5 steps; a 20-year daily
 * series gets January 1st every 5 years), with weeks starting on Monday
 * (ISO 8601) instead of d3's Sunday. UTC throughout, so a chart reads the
 * same whatever the machine's time zone.
 */
export function timeAxis(min: number, max: number, range: [number, number], opts: AxisOptions = {}): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = DAY;
  }
  if (min === max) {
    min -= DAY;
    max += DAY;
  }
  const scale = scaleUtc().domain([min, max]).range(range);
  const interval = utcTickInterval(new Date(min), new Date(max), opts.count ?? 6);
  const dates = interval ? scale.ticks(interval === utcSunday ? utcMonday : interval) : [];
  return { kind: 'time', domain: [min, max], range, ticks: dates.map(Number), labels: dateLabels(dates), map: scale };
}
