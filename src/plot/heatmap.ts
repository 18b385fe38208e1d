/**
 * Heatmaps as self-contained SVG strings: attention maps (source letters ×
 * output phonemes) and confusion matrices (counts or rates, values printed in
 * the cells when the grid is small), with a colour bar.
 *
 * Browser-safe: builds a string, touches neither the DOM nor the file system.
 */
import { FONT_FAMILY, escapeXml, fmtCoord, formatCompact, linearAxis, nextId, textWidth, titleFontSize } from './scale.js';

/** Colour scale names understood by {@link heatmap}. */
export type ColorScaleName = 'blues' | 'viridis';

/**
 * Colour stops, low to high. Blues is ColorBrewer's sequential "Blues"
 * (white for 0 suits sparse attention and confusion matrices); viridis is
 * matplotlib's perceptually uniform map, readable by colour-blind viewers.
 */
export const COLOR_SCALES: Record<ColorScaleName, readonly string[]> = {
  blues: ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'],
  viridis: ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'],
};

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function hex(c: [number, number, number]): string {
  return (
    '#' +
    c
      .map((v) =>
        Math.round(Math.max(0, Math.min(255, v)))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')
  );
}

/** Colour at position `t` ∈ [0, 1] of a scale, interpolated linearly between its stops. */
export function colorAt(scale: ColorScaleName, t: number): string {
  const stops = COLOR_SCALES[scale];
  const u = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const a = rgb(stops[i]);
  const b = rgb(stops[i + 1]);
  return hex([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
}

/** Relative luminance (sRGB, WCAG): decides whether a cell's number is printed dark or light. */
function luminance(color: string): number {
  const lin = rgb(color).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

/** Options of {@link heatmap}. */
export interface HeatmapOptions {
  title?: string;
  /** Row labels, top to bottom (e.g. source letters, or true classes). */
  rows: readonly string[];
  /** Column labels, left to right (e.g. output phonemes, or predicted classes). */
  cols: readonly string[];
  /** values[r][c]; NaN/null cells are drawn grey and empty. */
  values: readonly (readonly (number | null | undefined)[])[];
  xLabel?: string;
  yLabel?: string;
  /** Default 'blues'. */
  colorScale?: ColorScaleName;
  /**
   * Print each value in its cell. Default: when cells are big enough to read
   * (≥ 22 px) and there are at most 625 of them.
   */
  showValues?: boolean;
  /** How cell values are printed; default two decimals for values up to 10, else compact integers. */
  valueFormat?: (v: number) => string;
  /**
   * Text to print in each cell instead of the formatted value (rows × cols),
   * e.g. raw counts while the colours show row-normalised rates.
   */
  cellLabels?: readonly (readonly string[])[];
  /** Value mapped to the lowest colour; default min(0, smallest value). */
  min?: number;
  /** Value mapped to the highest colour; default max(1, largest value). */
  max?: number;
  /** Caption beside the colour bar. */
  colorBarLabel?: string;
  /** Width in px (default 800). */
  width?: number;
  /** Height in px (default 400). */
  height?: number;
  /** Square cells (default true); false stretches the grid to fill the picture. */
  square?: boolean;
}

/** Grids with more cells than this are drawn as merged runs rather than one <rect> per cell. */
const COMPACT_ABOVE = 2500;
const TICK_FONT = 12;
const LABEL_FONT = 13;
const TITLE_FONT = 16;

/**
 * Draws a heatmap of `values` (rows × cols) as a standalone SVG document:
 * one `<rect class="cell">` per value (grids over 2500 cells: merged
 * same-colour runs, to keep the file small), row labels on the left, column labels
 * below (rotated when they do not fit), a colour bar on the right. All text
 * is XML-escaped. Throws if `values` is not rows.length × cols.length.
 *
 * @example
 * heatmap({ title: 'Attention', rows: [...'phone'], cols: ['F', 'OW1', 'N'], values: attn, colorScale: 'viridis' });
 */
export function heatmap(opts: HeatmapOptions): string {
  const W = opts.width ?? 800;
  const H = opts.height ?? 400;
  const { rows, cols, values } = opts;
  const scale = opts.colorScale ?? 'blues';
  if (values.length !== rows.length) throw new RangeError(`heatmap: ${rows.length} row labels but ${values.length} rows of values`);
  values.forEach((r, i) => {
    if (r.length !== cols.length) throw new RangeError(`heatmap: row ${i} has ${r.length} values, expected ${cols.length}`);
  });
  if (opts.cellLabels) {
    const cl = opts.cellLabels;
    if (cl.length !== rows.length || cl.some((r) => r.length !== cols.length)) {
      throw new RangeError(`heatmap: cellLabels must be ${rows.length} × ${cols.length}, like values`);
    }
  }
  const nR = rows.length;
  const nC = cols.length;

  let dMin = Infinity,
    dMax = -Infinity;
  let allInts = true;
  for (const r of values)
    for (const v of r) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (v < dMin) dMin = v;
      if (v > dMax) dMax = v;
      if (!Number.isInteger(v)) allInts = false;
    }
  if (dMin === Infinity) {
    dMin = 0;
    dMax = 1;
  }
  const vMin = opts.min ?? Math.min(0, dMin);
  let vMax = opts.max ?? Math.max(1, dMax);
  if (vMax <= vMin) vMax = vMin + 1;
  const fmtValue = opts.valueFormat ?? (allInts ? (v: number) => (Math.abs(v) >= 1e4 ? formatCompact(v) : String(v)) : vMax <= 10 && vMin >= -10 ? (v: number) => v.toFixed(2) : (v: number) => formatCompact(v));

  // Colour bar ticks, for its label width.
  const cb = linearAxis(vMin, vMax, [0, 1], { count: 5, nice: false }); // map: value → share of the bar's height
  const cbLabelW = Math.max(0, ...cb.labels.map((s) => textWidth(s, TICK_FONT)));
  const cbRight = 16 + 14 + 6 + cbLabelW + (opts.colorBarLabel ? 6 + LABEL_FONT + 4 : 0) + 12;

  const top = 12 + (opts.title ? TITLE_FONT + 16 : 4);
  const yTitleW = opts.yLabel ? LABEL_FONT + 12 : 0;
  const bottomTitle = opts.xLabel ? LABEL_FONT + 14 : 0;

  // Cell size depends on the space the labels take, which depends on their
  // font size and on whether column labels must be rotated, both of which
  // depend on the cell size. Start from the full font, shrink it to fit the
  // cells (not below 9 px: thin rows get every k-th label instead), and
  // iterate until the font size settles.
  const layout = (font: number) => {
    const rowLabelW = Math.max(0, ...rows.map((s) => textWidth(s, font)));
    const colLabelW = Math.max(0, ...cols.map((s) => textWidth(s, font)));
    const fit = (rotated: boolean) => {
      const colLabelH = rotated ? colLabelW + 10 : font + 10;
      const availW = W - 12 - yTitleW - rowLabelW - 8 - cbRight;
      const availH = H - top - colLabelH - bottomTitle - 8;
      let cw = Math.max(1, availW / Math.max(1, nC));
      let ch = Math.max(1, availH / Math.max(1, nR));
      if (opts.square ?? true) cw = ch = Math.min(cw, ch, 80); // beyond 80 px a cell is just a big block
      return { cw, ch, colLabelH, availH, rotated, rowLabelW, font, colFont: font };
    };
    const flat = fit(false);
    if (colLabelW + 6 <= flat.cw) return flat;
    // Slightly too wide: a smaller font for the column labels reads better
    // than rotating them (rotation also costs height, hence cell size).
    const colFont = Math.floor(((flat.cw - 6) / colLabelW) * font * 2) / 2;
    return colFont >= Math.min(10, font) ? { ...flat, colFont } : fit(true);
  };
  let L = layout(TICK_FONT);
  for (let k = 0; k < 4; k++) {
    const font = Math.round(Math.max(9, Math.min(TICK_FONT, Math.min(L.cw, L.ch) * 0.9)) * 2) / 2;
    if (font === L.font) break;
    L = layout(font);
  }
  const { rotated, rowLabelW, font: labelFont, colFont } = L;
  // White hairlines separate cells when there is room. Without them,
  // neighbouring cells must meet on whole pixels, or antialiasing leaves
  // light seams between them: snap the cell size (and below, the origin).
  const gap = Math.min(L.cw, L.ch) >= 12 ? 1 : 0;
  const snap = !gap && Math.min(L.cw, L.ch) >= 1;
  const cw = snap ? Math.floor(L.cw) : L.cw;
  const ch = snap ? Math.floor(L.ch) : L.ch;
  const gridW = cw * nC;
  const gridH = ch * nR;
  // Centre the whole group (labels + grid + colour bar) horizontally.
  const groupW = yTitleW + rowLabelW + 8 + gridW + cbRight;
  const gx0 = Math.max(12 + yTitleW + rowLabelW + 8, (W - groupW) / 2 + yTitleW + rowLabelW + 8);
  // Capped square cells can leave spare height: centre vertically too.
  const gy0 = top + Math.max(0, (L.availH - gridH) / 2);
  const gx = snap ? Math.round(gx0) : gx0;
  const gy = snap ? Math.round(gy0) : gy0;

  const rowStride = Math.max(1, Math.ceil((labelFont + 1) / ch)); // thin rows: label every k-th
  const colStride = rotated ? Math.max(1, Math.ceil((labelFont + 1) / cw)) : 1;
  const showValues = opts.showValues ?? (Math.min(cw, ch) >= 22 && nR * nC <= 625);
  const cellText = (r: number, c: number): string | undefined => {
    if (opts.cellLabels) return opts.cellLabels[r][c];
    const v = values[r][c];
    return typeof v === 'number' && Number.isFinite(v) ? fmtValue(v) : undefined;
  };
  const longest = opts.cellLabels ? Math.max(1, ...opts.cellLabels.flatMap((r) => r.map((t) => t.length))) : fmtValue(vMax).length;
  const valueFont = Math.max(7, Math.min(12, ch * 0.4, cw / Math.max(3, longest * 0.65)));

  const out: string[] = [];
  const gradId = nextId('gru-plot-grad-');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT_FAMILY}" role="img">`);
  if (opts.title) out.push(`<title>${escapeXml(opts.title)}</title>`);
  const stops = COLOR_SCALES[scale];
  out.push(`<defs><linearGradient id="${gradId}" x1="0" y1="1" x2="0" y2="0">${stops.map((c, i) => `<stop offset="${+(i / (stops.length - 1)).toFixed(4)}" stop-color="${c}"/>`).join('')}</linearGradient></defs>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);

  const texts: string[] = [];
  const cellColor = (v: number | null | undefined, levels: number): string => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '#eeeeee';
    const t = (v - vMin) / (vMax - vMin);
    return colorAt(scale, levels ? Math.round(Math.max(0, Math.min(1, t)) * (levels - 1)) / (levels - 1) : t);
  };
  const cellStyle = gap ? ' stroke="#ffffff" stroke-width="1"' : snap ? ' shape-rendering="crispEdges"' : '';
  if (nR * nC <= COMPACT_ABOVE) {
    // One <rect> per cell, with a tooltip (<title>) a browser shows on hover.
    out.push(`<g class="cells"${cellStyle}>`);
    for (let r = 0; r < nR; r++) {
      for (let c = 0; c < nC; c++) {
        const v = values[r][c];
        const ok = typeof v === 'number' && Number.isFinite(v);
        const color = cellColor(v, 0);
        const x = gx + c * cw;
        const y = gy + r * ch;
        const text = cellText(r, c);
        const shown = ok ? fmtValue(v as number) : 'n/a';
        const tip = `<title>${escapeXml(`${rows[r]} × ${cols[c]}: ${opts.cellLabels && text !== undefined && text !== shown ? `${text} (${shown})` : shown}`)}</title>`;
        out.push(`<rect class="cell" x="${fmtCoord(x)}" y="${fmtCoord(y)}" width="${fmtCoord(cw)}" height="${fmtCoord(ch)}" fill="${color}">${tip}</rect>`);
        if (showValues && text) {
          const ink = luminance(color) > 0.35 ? '#222222' : '#ffffff';
          texts.push(`<text x="${fmtCoord(x + cw / 2)}" y="${fmtCoord(y + ch / 2 + valueFont * 0.36)}" fill="${ink}">${escapeXml(text)}</text>`);
        }
      }
    }
    out.push('</g>');
  } else {
    // Big grids: colours quantised to 256 levels (indistinguishable by eye),
    // horizontal runs of one colour merged, one <path> per colour. A 100×100
    // map of smooth data shrinks from ~800 KB of <rect>s to ~250 KB.
    const byColor = new Map<string, string[]>();
    for (let r = 0; r < nR; r++) {
      const y = fmtCoord(gy + r * ch);
      for (let c = 0; c < nC; ) {
        const color = cellColor(values[r][c], 256);
        let c1 = c + 1;
        while (c1 < nC && cellColor(values[r][c1], 256) === color) c1++;
        const x0 = gx + c * cw;
        const w = fmtCoord(gx + c1 * cw - x0);
        let runs = byColor.get(color);
        if (!runs) byColor.set(color, (runs = []));
        runs.push(`M${fmtCoord(x0)} ${y}h${w}v${fmtCoord(ch)}h-${w}z`);
        c = c1;
      }
    }
    out.push(`<g class="cells"${cellStyle}>`);
    for (const [color, runs] of byColor) out.push(`<path class="cell-runs" fill="${color}" d="${runs.join('')}"/>`);
    out.push('</g>');
  }
  // A hairline frame: pale cells would otherwise fade into the background.
  out.push(`<rect x="${fmtCoord(gx)}" y="${fmtCoord(gy)}" width="${fmtCoord(gridW)}" height="${fmtCoord(gridH)}" fill="none" stroke="#c8c8c8" stroke-width="1"/>`);
  if (texts.length) out.push(`<g class="values" font-size="${fmtCoord(valueFont)}" text-anchor="middle">`, ...texts, '</g>');

  // Row and column labels.
  out.push(`<g class="labels" font-size="${fmtCoord(labelFont)}" fill="#333333">`);
  for (let r = 0; r < nR; r += rowStride) {
    out.push(`<text x="${fmtCoord(gx - 6)}" y="${fmtCoord(gy + (r + 0.5) * ch + labelFont * 0.35)}" text-anchor="end">${escapeXml(rows[r])}</text>`);
  }
  for (let c = 0; c < nC; c += colStride) {
    const x = gx + (c + 0.5) * cw;
    if (rotated) {
      const y = gy + gridH + 6;
      out.push(`<text x="${fmtCoord(x + labelFont * 0.35)}" y="${fmtCoord(y)}" text-anchor="end" transform="rotate(-90 ${fmtCoord(x + labelFont * 0.35)} ${fmtCoord(y)})">${escapeXml(cols[c])}</text>`);
    } else {
      const size = colFont !== labelFont ? ` font-size="${fmtCoord(colFont)}"` : '';
      out.push(`<text x="${fmtCoord(x)}" y="${fmtCoord(gy + gridH + 6 + labelFont)}" text-anchor="middle"${size}>${escapeXml(cols[c])}</text>`);
    }
  }
  out.push('</g>');

  // Axis titles.
  if (opts.xLabel) {
    out.push(`<text class="x-label" x="${fmtCoord(gx + gridW / 2)}" y="${fmtCoord(gy + gridH + L.colLabelH + LABEL_FONT + 4)}" font-size="${LABEL_FONT}" fill="#222222" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  }
  if (opts.yLabel) {
    const x = gx - 8 - rowLabelW - 10;
    const y = gy + gridH / 2;
    out.push(`<text class="y-label" x="${fmtCoord(x)}" y="${fmtCoord(y)}" font-size="${LABEL_FONT}" fill="#222222" text-anchor="middle" transform="rotate(-90 ${fmtCoord(x)} ${fmtCoord(y)})">${escapeXml(opts.yLabel)}</text>`);
  }
  if (opts.title) {
    out.push(`<text class="title" x="${fmtCoord(W / 2)}" y="${12 + TITLE_FONT}" font-size="${fmtCoord(titleFontSize(opts.title, W))}" font-weight="bold" fill="#222222" text-anchor="middle">${escapeXml(opts.title)}</text>`);
  }

  // Colour bar.
  const bx = gx + gridW + 16;
  out.push(`<g class="colorbar">`);
  out.push(`<rect x="${fmtCoord(bx)}" y="${fmtCoord(gy)}" width="14" height="${fmtCoord(gridH)}" fill="url(#${gradId})" stroke="#999999" stroke-width="0.5"/>`);
  out.push(`<g font-size="${TICK_FONT}" fill="#444444">`);
  cb.ticks.forEach((t, i) => {
    const y = gy + gridH - cb.map(t) * gridH;
    out.push(`<line x1="${fmtCoord(bx + 14)}" y1="${fmtCoord(y)}" x2="${fmtCoord(bx + 18)}" y2="${fmtCoord(y)}" stroke="#444444" stroke-width="1"/>`);
    out.push(`<text x="${fmtCoord(bx + 21)}" y="${fmtCoord(y + TICK_FONT * 0.35)}">${escapeXml(cb.labels[i])}</text>`);
  });
  out.push('</g>');
  if (opts.colorBarLabel) {
    const x = bx + 14 + 6 + cbLabelW + 8 + LABEL_FONT / 2;
    const y = gy + gridH / 2;
    out.push(`<text x="${fmtCoord(x)}" y="${fmtCoord(y)}" font-size="${LABEL_FONT}" fill="#222222" text-anchor="middle" transform="rotate(-90 ${fmtCoord(x)} ${fmtCoord(y)})">${escapeXml(opts.colorBarLabel)}</text>`);
  }
  out.push('</g>');

  out.push('</svg>');
  return out.join('\n');
}
