/**
 * Line charts as self-contained SVG strings: loss curves (train vs
 * validation, optionally log y) and forecast vs actual (dates on x, a
 * shaded prediction band, a marker where the test period starts).
 *
 * Browser-safe: builds a string, touches neither the DOM nor the file system.
 */
import { FONT_FAMILY, escapeXml, fmtCoord, linearAxis, logAxis, nextId, textWidth, titleFontSize, timeAxis, toTime, type Axis } from './scale.js';

/** An x value: a number, a Date, or an ISO 8601 date string. */
export type XValue = number | Date | string;

/** One line. `y` values that are NaN, null or not finite break the line (a gap). */
export interface LineSeries {
  name: string;
  x: readonly XValue[];
  y: readonly (number | null | undefined)[];
  /** Any SVG colour; by default the next colour of {@link PALETTE}. */
  color?: string;
  dashed?: boolean;
  /** Stroke width in px (default 2). */
  lineWidth?: number;
}

/** A shaded region between `lower` and `upper` (e.g. a prediction interval). */
export interface Band {
  x: readonly XValue[];
  lower: readonly (number | null | undefined)[];
  upper: readonly (number | null | undefined)[];
  /** Legend entry; the band is left out of the legend without one. */
  name?: string;
  color?: string;
}

/** A labelled vertical line, e.g. where the test period starts. */
export interface Marker {
  x: XValue;
  label: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly LineSeries[];
  /** Width in px (default 800). */
  width?: number;
  /** Height in px (default 400). */
  height?: number;
  /** Logarithmic y axis; values ≤ 0 are then treated as gaps. */
  logY?: boolean;
  band?: Band;
  markers?: readonly Marker[];
  /**
   * How x values are read. 'auto' (default): dates if any x is a Date or a
   * string, plain numbers otherwise. Use 'date' for numbers that are
   * milliseconds since the epoch.
   */
  xType?: 'auto' | 'number' | 'date';
  /** Force the y axis to include these values (e.g. yMin: 0). */
  yMin?: number;
  yMax?: number;
  /** Show the legend: default when there is more than one entry. */
  legend?: boolean;
  /**
   * Reduce each series to the first, minimum, maximum and last point per
   * pixel column when it has more than two points per column (default true).
   * The drawn picture is the same, the SVG a fraction of the size.
   */
  downsample?: boolean;
}

/** Default series colours (Tableau 10): distinguishable, and print acceptably in greyscale order. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/**
 * Keeps, per run of consecutive points falling in the same pixel column,
 * the first, the lowest, the highest and the last point (the "M4"
 * reduction). A line drawn through what is kept covers exactly the pixels
 * the full line would, so spikes survive while 100k points become ~4 per
 * column. `px` are pixel x positions; returns indices into them, in order.
 */
export function downsampleMinMax(px: readonly number[], ys: readonly number[]): number[] {
  const keep: number[] = [];
  let start = 0;
  const flush = (end: number): void => {
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (ys[i] < ys[lo]) lo = i;
      if (ys[i] > ys[hi]) hi = i;
    }
    const idx = [...new Set([start, lo, hi, end - 1])].sort((a, b) => a - b);
    keep.push(...idx);
  };
  for (let i = 1; i <= px.length; i++) {
    if (i === px.length || Math.floor(px[i]) !== Math.floor(px[start])) {
      flush(i);
      start = i;
    }
  }
  return keep;
}

interface Pt {
  x: number;
  y: number;
}

/** Splits points into runs of usable values; anything non-finite (or ≤ 0 on a log axis) ends a run. */
function segments(xs: number[], ys: readonly (number | null | undefined)[], logY: boolean): Pt[][] {
  const out: Pt[][] = [];
  let cur: Pt[] = [];
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    const ok = typeof y === 'number' && Number.isFinite(y) && Number.isFinite(xs[i]) && (!logY || y > 0);
    if (ok) cur.push({ x: xs[i], y: y as number });
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

function checkLengths(what: string, x: readonly unknown[], ...ys: (readonly unknown[])[]): void {
  for (const y of ys) {
    if (y.length !== x.length) throw new RangeError(`lineChart: ${what} has ${x.length} x values but ${y.length} y values`);
  }
}

const TICK_FONT = 12;
const LABEL_FONT = 13;
const TITLE_FONT = 16;
const LEGEND_FONT = 12;

/**
 * Draws a line chart as a standalone SVG document (UTF-8 text, no external
 * fonts or CSS): axes, gridlines, tick labels, legend, axis titles, an
 * optional shaded band and vertical markers. NaN/null y values break the
 * line; an isolated point is drawn as a dot; very long series are reduced
 * per pixel column (see {@link downsampleMinMax}); all text is XML-escaped.
 *
 * @example
 * lineChart({ title: 'Loss', xLabel: 'epoch', yLabel: 'loss', logY: true,
 *   series: [{ name: 'train', x: epochs, y: train }, { name: 'validation', x: epochs, y: val, dashed: true }] });
 */
export function lineChart(opts: LineChartOptions): string {
  const W = opts.width ?? 800;
  const H = opts.height ?? 400;
  const logY = opts.logY ?? false;
  const series = opts.series ?? [];
  const band = opts.band;
  const markers = opts.markers ?? [];

  series.forEach((s) => checkLengths(`series "${s.name}"`, s.x, s.y));
  if (band) checkLengths('band', band.x, band.lower, band.upper);

  const isDate = opts.xType === 'date' || (opts.xType !== 'number' && [...series.map((s) => s.x[0]), band?.x[0], ...markers.map((m) => m.x)].some((v) => v instanceof Date || typeof v === 'string'));
  const toX = (v: XValue): number => (isDate ? toTime(v) : typeof v === 'number' ? v : NaN);

  // Data in numbers, split into drawable runs.
  const lines = series.map((s, i) => ({
    s,
    color: s.color ?? PALETTE[i % PALETTE.length],
    segs: segments(s.x.map(toX), s.y, logY),
  }));
  const bandSegs: { x: number; lo: number; hi: number }[][] = [];
  if (band) {
    const bx = band.x.map(toX);
    let cur: { x: number; lo: number; hi: number }[] = [];
    for (let i = 0; i < bx.length; i++) {
      const lo = band.lower[i];
      const hi = band.upper[i];
      const ok = typeof lo === 'number' && typeof hi === 'number' && Number.isFinite(lo) && Number.isFinite(hi) && Number.isFinite(bx[i]) && (!logY || (lo > 0 && hi > 0));
      if (ok) cur.push({ x: bx[i], lo: Math.min(lo, hi), hi: Math.max(lo, hi) });
      else if (cur.length) {
        bandSegs.push(cur);
        cur = [];
      }
    }
    if (cur.length) bandSegs.push(cur);
  }
  const markerXs = markers.map((m) => ({ m, x: toX(m.x) })).filter((m) => Number.isFinite(m.x));

  // Extents.
  let xMin = Infinity,
    xMax = -Infinity,
    yMin = Infinity,
    yMax = -Infinity;
  const seeX = (x: number): void => {
    if (x < xMin) xMin = x;
    if (x > xMax) xMax = x;
  };
  const seeY = (y: number): void => {
    if (y < yMin) yMin = y;
    if (y > yMax) yMax = y;
  };
  for (const l of lines)
    for (const seg of l.segs)
      for (const p of seg) {
        seeX(p.x);
        seeY(p.y);
      }
  for (const seg of bandSegs)
    for (const p of seg) {
      seeX(p.x);
      seeY(p.lo);
      seeY(p.hi);
    }
  for (const m of markerXs) seeX(m.x);
  if (opts.yMin !== undefined && (!logY || opts.yMin > 0)) seeY(opts.yMin);
  if (opts.yMax !== undefined && (!logY || opts.yMax > 0)) seeY(opts.yMax);

  // Legend entries, laid out in rows above the plot so they never hide data.
  type Entry = { label: string; color: string; kind: 'line' | 'dashed' | 'band' };
  const entries: Entry[] = lines.map((l) => ({ label: l.s.name, color: l.color, kind: l.s.dashed ? 'dashed' : 'line' }));
  if (band?.name) entries.push({ label: band.name, color: band.color ?? '#4e79a7', kind: 'band' });
  const showLegend = opts.legend ?? entries.length > 1;

  const top0 = 12 + (opts.title ? TITLE_FONT + 12 : 0);
  const left0 = 12 + (opts.yLabel ? LABEL_FONT + 10 : 0);
  const legendItems: { e: Entry; x: number; row: number }[] = [];
  let legendRows = 0;
  if (showLegend && entries.length) {
    const maxRowW = W - left0 - 24;
    let x = 0;
    legendRows = 1;
    for (const e of entries) {
      // A name wider than a whole row is shortened with an ellipsis rather than run off the picture.
      const maxText = Math.max(40, maxRowW - 48);
      if (textWidth(e.label, LEGEND_FONT) > maxText) {
        let t = e.label;
        while (t.length > 1 && textWidth(t + '…', LEGEND_FONT) > maxText) t = t.slice(0, -1);
        e.label = t + '…';
      }
      const w = 28 + textWidth(e.label, LEGEND_FONT) + 20;
      if (x > 0 && x + w > maxRowW) {
        legendRows++;
        x = 0;
      }
      legendItems.push({ e, x, row: legendRows - 1 });
      x += w;
    }
  }
  const LEGEND_ROW = 20;
  const top = top0 + legendRows * LEGEND_ROW + (legendRows ? 6 : 4);
  const bottom = H - (8 + TICK_FONT + 8 + (opts.xLabel ? LABEL_FONT + 10 : 0) + 4);

  // y axis first: its label widths decide the left margin.
  const yCount = Math.max(2, Math.round((bottom - top) / 55));
  const yAxis: Axis = logY ? logAxis(yMin, yMax, [bottom, top], { count: yCount }) : linearAxis(yMin, yMax, [bottom, top], { count: yCount, nice: true });
  const yLabelW = Math.max(0, ...yAxis.labels.map((s) => textWidth(s, TICK_FONT)));
  const left = Math.round(left0 + yLabelW + 10);

  // x axis: fewer ticks until the labels no longer collide.
  const makeX = (right: number, count: number): Axis => (isDate ? timeAxis(xMin, xMax, [left, right], { count }) : linearAxis(xMin, xMax, [left, right], { count, nice: false }));
  let right = W - 20;
  let xCount = Math.max(2, Math.round((right - left) / (isDate ? 95 : 80)));
  let xAxis = makeX(right, xCount);
  for (let guard = 0; guard < 20; guard++) {
    const lastW = xAxis.labels.length ? textWidth(xAxis.labels[xAxis.labels.length - 1], TICK_FONT) : 0;
    const lastPos = xAxis.ticks.length ? xAxis.map(xAxis.ticks[xAxis.ticks.length - 1]) : 0;
    const overhang = lastPos + lastW / 2 - (W - 6);
    if (overhang > 0 && right - overhang > left + 50) {
      right -= overhang;
      xAxis = makeX(right, xCount);
    }
    let collide = false;
    for (let i = 1; i < xAxis.ticks.length; i++) {
      const gap = xAxis.map(xAxis.ticks[i]) - xAxis.map(xAxis.ticks[i - 1]);
      if (gap < (textWidth(xAxis.labels[i], TICK_FONT) + textWidth(xAxis.labels[i - 1], TICK_FONT)) / 2 + 12) collide = true;
    }
    if (!collide || xCount <= 2) break;
    xCount--;
    xAxis = makeX(right, xCount);
  }

  const out: string[] = [];
  const clipId = nextId('gru-plot-clip-');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT_FAMILY}" role="img">`);
  if (opts.title) out.push(`<title>${escapeXml(opts.title)}</title>`);
  out.push(`<defs><clipPath id="${clipId}"><rect x="${left}" y="${fmtCoord(top)}" width="${fmtCoord(right - left)}" height="${fmtCoord(bottom - top)}"/></clipPath></defs>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);

  // Gridlines under everything else.
  out.push('<g class="grid" stroke="#e6e6e6" stroke-width="1" shape-rendering="crispEdges">');
  for (const t of yAxis.ticks) {
    const y = Math.round(yAxis.map(t)) + 0.5;
    out.push(`<line x1="${left}" y1="${y}" x2="${fmtCoord(right)}" y2="${y}"/>`);
  }
  for (const t of xAxis.ticks) {
    const x = Math.round(xAxis.map(t)) + 0.5;
    out.push(`<line x1="${x}" y1="${fmtCoord(top)}" x2="${x}" y2="${fmtCoord(bottom)}"/>`);
  }
  out.push('</g>');

  const X = (v: number): string => fmtCoord(xAxis.map(v));
  const Y = (v: number): string => fmtCoord(yAxis.map(v));
  const plotW = right - left;
  const reduce = opts.downsample ?? true;

  // Band.
  if (bandSegs.length) {
    const color = band?.color ?? '#4e79a7';
    let d = '';
    for (let seg of bandSegs) {
      if (reduce && seg.length > 2 * plotW) {
        // Envelope per pixel column: widest extent, so the reduced band still covers the full one.
        const cols = new Map<number, { x0: number; x1: number; lo: number; hi: number }>();
        const order: number[] = [];
        for (const p of seg) {
          const c = Math.floor(xAxis.map(p.x));
          const b = cols.get(c);
          if (!b) {
            cols.set(c, { x0: p.x, x1: p.x, lo: p.lo, hi: p.hi });
            order.push(c);
          } else {
            b.x1 = p.x;
            b.lo = Math.min(b.lo, p.lo);
            b.hi = Math.max(b.hi, p.hi);
          }
        }
        seg = order.flatMap((c) => {
          const b = cols.get(c)!;
          return [
            { x: b.x0, lo: b.lo, hi: b.hi },
            { x: b.x1, lo: b.lo, hi: b.hi },
          ];
        });
      }
      if (seg.length === 1) seg = [{ ...seg[0], x: seg[0].x }, { ...seg[0] }];
      d += `M${seg.map((p) => `${X(p.x)} ${Y(p.hi)}`).join('L')}L${seg
        .slice()
        .reverse()
        .map((p) => `${X(p.x)} ${Y(p.lo)}`)
        .join('L')}Z`;
    }
    out.push(`<path class="band" d="${d}" fill="${escapeXml(color)}" fill-opacity="0.18" stroke="none" clip-path="url(#${clipId})"/>`);
  }

  // Series.
  for (const l of lines) {
    const width = l.s.lineWidth ?? 2;
    const color = escapeXml(l.color);
    let d = '';
    const dots: Pt[] = [];
    for (const seg of l.segs) {
      if (seg.length === 1) {
        dots.push(seg[0]);
        continue;
      }
      let pts = seg;
      if (reduce && seg.length > 2 * plotW) {
        const px = seg.map((p) => xAxis.map(p.x));
        pts = downsampleMinMax(
          px,
          seg.map((p) => p.y),
        ).map((i) => seg[i]);
      }
      let prev = '';
      let first = true;
      for (const p of pts) {
        const c = `${X(p.x)} ${Y(p.y)}`;
        if (c === prev) continue; // same point after rounding: no need to repeat it
        d += (first ? 'M' : 'L') + c;
        prev = c;
        first = false;
      }
    }
    out.push(`<g class="series" data-name="${escapeXml(l.s.name)}" clip-path="url(#${clipId})">`);
    if (d) {
      const dash = l.s.dashed ? ` stroke-dasharray="${fmtCoord(width * 3)} ${fmtCoord(width * 2)}"` : '';
      out.push(`<path class="line" d="${d}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" stroke-linecap="round"${dash}/>`);
    }
    // A lone point has no line to draw; a dot keeps it visible.
    const r = l.segs.length === 1 && dots.length === 1 ? width * 1.75 : width * 1.25;
    for (const p of dots) out.push(`<circle class="dot" cx="${X(p.x)}" cy="${Y(p.y)}" r="${fmtCoord(r)}" fill="${color}"/>`);
    out.push('</g>');
  }

  // Markers: a dashed vertical line, label on a white box just inside the top.
  for (const { m, x } of markerXs) {
    const px = Math.round(xAxis.map(x)) + 0.5;
    out.push(`<line class="marker" x1="${px}" y1="${fmtCoord(top)}" x2="${px}" y2="${fmtCoord(bottom)}" stroke="#555555" stroke-width="1.2" stroke-dasharray="4 3"/>`);
    if (m.label) {
      const tw = textWidth(m.label, 11);
      const onLeft = px + 6 + tw > right - 4; // near the right edge: put the label left of the line
      const tx = onLeft ? px - 6 : px + 6;
      const bx = onLeft ? tx - tw - 3 : tx - 3;
      out.push(`<rect x="${fmtCoord(bx)}" y="${fmtCoord(top + 4)}" width="${fmtCoord(tw + 6)}" height="16" fill="#ffffff" fill-opacity="0.85"/>`);
      out.push(`<text x="${fmtCoord(tx)}" y="${fmtCoord(top + 16)}" font-size="11" fill="#444444" text-anchor="${onLeft ? 'end' : 'start'}">${escapeXml(m.label)}</text>`);
    }
  }

  // Axes and tick labels.
  out.push(`<g class="axes" stroke="#444444" stroke-width="1" shape-rendering="crispEdges">`);
  const yb = Math.round(bottom) + 0.5;
  out.push(`<line x1="${left - 0.5}" y1="${yb}" x2="${fmtCoord(right)}" y2="${yb}"/>`);
  out.push(`<line x1="${left - 0.5}" y1="${fmtCoord(top)}" x2="${left - 0.5}" y2="${yb}"/>`);
  for (const t of xAxis.ticks) {
    const x = Math.round(xAxis.map(t)) + 0.5;
    out.push(`<line x1="${x}" y1="${yb}" x2="${x}" y2="${yb + 5}"/>`);
  }
  for (const t of yAxis.ticks) {
    const y = Math.round(yAxis.map(t)) + 0.5;
    out.push(`<line x1="${left - 5.5}" y1="${y}" x2="${left - 0.5}" y2="${y}"/>`);
  }
  out.push('</g>');
  out.push(`<g class="tick-labels" font-size="${TICK_FONT}" fill="#444444">`);
  xAxis.ticks.forEach((t, i) => {
    out.push(`<text x="${X(t)}" y="${fmtCoord(yb + 7 + TICK_FONT)}" text-anchor="middle">${escapeXml(xAxis.labels[i])}</text>`);
  });
  yAxis.ticks.forEach((t, i) => {
    out.push(`<text x="${left - 9}" y="${fmtCoord(yAxis.map(t) + TICK_FONT * 0.35)}" text-anchor="end">${escapeXml(yAxis.labels[i])}</text>`);
  });
  out.push('</g>');

  // Titles.
  if (opts.xLabel) {
    out.push(`<text class="x-label" x="${fmtCoord((left + right) / 2)}" y="${H - 8}" font-size="${LABEL_FONT}" fill="#222222" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  }
  if (opts.yLabel) {
    const cy = fmtCoord((top + bottom) / 2);
    out.push(`<text class="y-label" x="${12 + LABEL_FONT - 2}" y="${cy}" font-size="${LABEL_FONT}" fill="#222222" text-anchor="middle" transform="rotate(-90 ${12 + LABEL_FONT - 2} ${cy})">${escapeXml(opts.yLabel)}</text>`);
  }
  if (opts.title) {
    out.push(`<text class="title" x="${fmtCoord(W / 2)}" y="${12 + TITLE_FONT}" font-size="${fmtCoord(titleFontSize(opts.title, W))}" font-weight="bold" fill="#222222" text-anchor="middle">${escapeXml(opts.title)}</text>`);
  }

  // Legend.
  if (legendItems.length) {
    out.push(`<g class="legend" font-size="${LEGEND_FONT}" fill="#222222">`);
    for (const { e, x, row } of legendItems) {
      const lx = left + x;
      const ly = top0 + row * LEGEND_ROW + 10;
      if (e.kind === 'band') {
        out.push(`<rect x="${fmtCoord(lx)}" y="${fmtCoord(ly - 6)}" width="22" height="12" fill="${escapeXml(e.color)}" fill-opacity="0.25"/>`);
      } else {
        const dash = e.kind === 'dashed' ? ' stroke-dasharray="6 4"' : '';
        out.push(`<line x1="${fmtCoord(lx)}" y1="${fmtCoord(ly)}" x2="${fmtCoord(lx + 22)}" y2="${fmtCoord(ly)}" stroke="${escapeXml(e.color)}" stroke-width="2.5"${dash}/>`);
      }
      out.push(`<text x="${fmtCoord(lx + 28)}" y="${fmtCoord(ly + LEGEND_FONT * 0.35)}">${escapeXml(e.label)}</text>`);
    }
    out.push('</g>');
  }

  out.push('</svg>');
  return out.join('\n');
}
