/**
 * PNG export and writing pictures to disk. Kept apart from the SVG builders
 * because it needs Node (node:fs and the native @resvg/resvg-js renderer):
 * bundling line-chart.ts or heatmap.ts for a browser must not pull these in.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { writeFileAtomic } from '../io/atomic-file.js';

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Output width in px; the height follows the SVG's aspect ratio. Default: the SVG's own width. */
  width?: number;
}

/** Reads the width attribute of the root `<svg>` element, if it is a plain number. */
function svgWidth(svg: string): number | undefined {
  const m = /<svg\b[^>]*?\swidth="([\d.]+)(px)?"/.exec(svg);
  return m ? Number(m[1]) : undefined;
}

/**
 * Renders an SVG string to PNG bytes with resvg. System fonts are loaded and
 * DejaVu Sans is the fallback, matching the font stack the charts ask for,
 * so text renders even where Arial is missing. Ask for e.g. `width: 1600`
 * for a sharp image on high-density screens.
 */
export function svgToPng(svg: string, opts: PngOptions = {}): Uint8Array {
  const width = Math.round(opts.width ?? svgWidth(svg) ?? 800);
  if (!(width > 0)) throw new RangeError(`svgToPng: width must be positive, got ${opts.width}`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  const png = resvg.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/**
 * Writes `svg` to `path` (".svg" is added, or replaces a ".png" ending) and,
 * when `png` is true, the rendered PNG beside it with the same base name.
 * Parent directories are created. Each file is written atomically.
 * Returns the paths written, SVG first.
 */
export function writePicture(path: string, svg: string, png: boolean, opts: PngOptions = {}): string[] {
  const base = path.replace(/\.(svg|png)$/i, '');
  const svgPath = `${base}.svg`;
  mkdirSync(dirname(svgPath), { recursive: true });
  writeFileAtomic(svgPath, svg);
  const written = [svgPath];
  if (png) {
    const pngPath = `${base}.png`;
    writeFileAtomic(pngPath, svgToPng(svg, opts));
    written.push(pngPath);
  }
  return written;
}
