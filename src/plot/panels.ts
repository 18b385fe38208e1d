/**
 * Charts stacked into one picture, each in its own panel with its own axes
 * (a loss in its units above a validation metric in its own). Browser-safe.
 */
import { GruError } from '../errors.js';

/** One SVG holding `charts` (SVG strings from lineChart or heatmap) one above the other. */
export function stackCharts(charts: readonly string[]): string {
  const sizes = charts.map((svg) => {
    const m = /^<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
    if (!m) throw new GruError('INVALID_ARGUMENT', 'stackCharts: expected SVG strings with width and height on the root element');
    return { w: Number(m[1]), h: Number(m[2]) };
  });
  const W = Math.max(...sizes.map((s) => s.w));
  const H = sizes.reduce((sum, s) => sum + s.h, 0);
  let y = 0;
  const panels = charts.map((svg, i) => {
    const panel = svg.replace(/^<svg\s/, `<svg x="0" y="${y}" `);
    y += sizes[i].h;
    return panel;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">${panels.join('')}</svg>`;
}
