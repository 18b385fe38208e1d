/** `gru info MODEL`: what a safetensors model file holds. */
import { readSafetensors } from '../io/safetensors-file.js';
import { shapeString } from '../tensor/tensor.js';

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
    console.log(`  task: ${file.metadata.task} (gru-ts model format ${file.metadata.formatVersion})`);
    if (file.metadata.config) console.log(`  config: ${file.metadata.config}`);
  }
  console.log(`  parameters: ${params.toLocaleString('en-US')} in ${tensors.length} tensors`);
  const meta = Object.entries(file.metadata);
  if (meta.length) {
    console.log('  metadata:');
    for (const [k, v] of meta) console.log(`    ${k}: ${v.length > 200 ? v.slice(0, 200) + '…' : v}`);
  }
  console.log('  tensors:');
  // A loop, not Math.max(...spread): a spread of 200,000 arguments overflows the stack.
  const w = tensors.reduce((m, t) => Math.max(m, t.name.length), 4);
  for (const t of tensors) console.log(`    ${t.name.padEnd(w)}  ${t.dtype.padEnd(7)}  ${shapeString(t.shape)}`);
}
