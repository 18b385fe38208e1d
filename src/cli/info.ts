/** `gru info MODEL`: what a safetensors model file holds. */
import { readSafetensors } from '../io/safetensors-file.js';
import { shapeString } from '../tensor/tensor.js';
import type { HeldOutMetrics, Provenance } from '../tasks/model-format.js';

/** Control characters (terminal escape sequences among them) shown as \u escapes: a file's strings must not drive the terminal. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function infoCommand(path: string, opts: { json?: boolean }): void {
  const file = readSafetensors(path);
  const tensors = [...file.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape] }));
  let params = 0;
  for (const t of file.tensors.values()) params += t.size;
  if (opts.json) {
    console.log(JSON.stringify({ path, metadata: file.metadata, parameters: params, tensors }));
    return;
  }
  console.log(`${path}`);
  if (file.metadata.format === 'gru-ts') {
    console.log(printable(`  task: ${file.metadata.task} (gru-ts model format ${file.metadata.formatVersion})`));
    if (file.metadata.config) console.log(printable(`  config: ${file.metadata.config}`));
    const made = provenanceOf(file.metadata.provenance);
    if (made) console.log(printable(`  made by: gru-ts ${made.gruTs}, ${made.created}${made.command ? `, ${made.command.join(' ')}` : ''}`));
    if (made?.options)
      console.log(
        printable(
          `  training options: ${Object.entries(made.options)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        ),
      );
    const scores = metricsOf(file.metadata.metrics);
    if (scores) console.log(printable(`  held-out test: ${describeMetrics(scores)}`));
  }
  console.log(`  parameters: ${params.toLocaleString('en-US')} in ${tensors.length} tensors`);
  const meta = Object.entries(file.metadata);
  if (meta.length) {
    console.log('  metadata:');
    for (const [k, v] of meta) console.log(printable(`    ${k}: ${v.length > 200 ? v.slice(0, 200) + '…' : v}`));
  }
  console.log('  tensors:');
  // A loop, not Math.max(...spread): a spread of 200,000 arguments overflows the stack.
  const w = tensors.reduce((m, t) => Math.max(m, t.name.length), 4);
  for (const t of tensors) console.log(printable(`    ${t.name.padEnd(w)}  ${t.dtype.padEnd(7)}  ${shapeString(t.shape)}`));
}

/** A file's provenance entry, or null when it has none or it does not parse (info shows what it can). */
function provenanceOf(entry: string | undefined): Provenance | null {
  if (!entry) return null;
  try {
    const p = JSON.parse(entry) as Provenance;
    if (typeof p.gruTs !== 'string' || typeof p.created !== 'string') return null;
    const options = typeof p.options === 'object' && p.options !== null && !Array.isArray(p.options) ? { options: p.options } : {};
    return { gruTs: p.gruTs, created: p.created, ...(Array.isArray(p.command) ? { command: p.command.map(String) } : {}), ...options };
  } catch {
    return null;
  }
}

/** A file's held-out metrics entry, or null when it has none or it does not parse (loaders check it; info shows what it can). */
function metricsOf(entry: string | undefined): HeldOutMetrics | null {
  if (!entry) return null;
  try {
    const m = JSON.parse(entry) as HeldOutMetrics;
    const numbers = (r: unknown) => typeof r === 'object' && r !== null && Object.values(r).every((v) => typeof v === 'number');
    if (typeof m.examples !== 'number' || !numbers(m.values) || (m.settings !== undefined && !numbers(m.settings))) return null;
    return m;
  } catch {
    return null;
  }
}

/** "accuracy 0.9851, macroF1 0.983 (24 examples)"; settings join the count: "(240 examples; beam 5)". Four significant digits. */
export function describeMetrics(m: HeldOutMetrics): string {
  const entries = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`);
  const scored = [`${m.examples.toLocaleString('en-US')} examples`, ...entries(m.settings ?? {})].join('; ');
  return `${entries(m.values).join(', ')} (${scored})`;
}
