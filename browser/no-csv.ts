// Stands in for csv-parse/sync in the demo's bundle (browser/vite.config.ts aliases it here). The recognizer worker
// imports KeywordStream (src/tasks/classify/stream.ts), which reaches csv-parse through data/frames.ts for
// normalizeFrames alone; csv-parse calls Node's Buffer as it loads, which a browser lacks. Nothing in the page parses CSV.
export function parse(): never {
  throw new Error('CSV parsing is not part of the browser demo');
}
