/** `gru info MODEL`: what a safetensors model file holds. */
import { readSafetensors } from '../io/safetensors-file.js';
import { shapeString } from '../tensor/tensor.js';

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
