/**
 * Charts as self-contained SVG strings (loss curves, forecasts, attention
 * maps, confusion matrices) and PNG export. scale.ts, line-chart.ts and
 * heatmap.ts are browser-safe; png.ts needs Node.
 */
export * from './scale.js';
export * from './line-chart.js';
export * from './heatmap.js';
export * from './panels.js';
export * from './png.js';
