/** `gru info MODEL`: what a safetensors model file holds. */
import { readSafetensors } from '../io/safetensors-file.js';
import { shapeString } from '../tensor/tensor.js';
import type { Provenance } from '../tasks/model-format.js';

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
    return { gruTs: p.gruTs, created: p.created, ...(Array.isArray(p.command) ? { command: p.command.map(String) } : {}) };
  } catch {
    return null;
  }
}
