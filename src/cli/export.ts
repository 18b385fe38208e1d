/**
 * `gru export MODEL --onnx FILE`: a task model as ONNX, for ONNX Runtime
 * (Python, C++, the browser's onnxruntime-web). A task whose model is more
 * than one graph (seq2seq: encoder and decoder step) writes FILE.<name>.onnx
 * for each. Every file is written atomically (a temporary file, then a rename).
 */
import type { Command } from 'commander';
import onnxProto from 'onnx-proto';
import { TASKS } from '../tasks/index.js';
import { loadTaskModel } from '../tasks/registry.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { GruError } from '../errors.js';

const { onnx } = onnxProto;

/** One graph input or output as the file declares it. */
export interface ExportedValue {
  name: string;
  type: string;
  shape: (number | string)[];
  doc: string;
}

export interface ExportedFile {
  path: string;
  bytes: number;
  inputs: ExportedValue[];
  outputs: ExportedValue[];
}

/** The files `out` becomes for a task's export: out itself, or out.<name>.onnx for each named graph. */
export function exportPaths(out: string, graphs: Uint8Array | Record<string, Uint8Array>): { path: string; bytes: Uint8Array }[] {
  if (graphs instanceof Uint8Array) return [{ path: out, bytes: graphs }];
  const stem = out.replace(/\.onnx$/i, '');
  return Object.entries(graphs).map(([name, bytes]) => ({ path: `${stem}.${name}.onnx`, bytes }));
}

/** Exports the model file `modelPath` to ONNX at `out`; returns what was written. */
export function exportModelToOnnx(modelPath: string, out: string): { task: string; files: ExportedFile[] } {
  const { task, model } = loadTaskModel(TASKS, modelPath);
  if (!task.exportOnnx)
    throw new GruError(
      'UNSUPPORTED',
      `${modelPath}: a '${task.name}' model has no ONNX export (tasks that export: ${TASKS.filter((t) => t.exportOnnx)
        .map((t) => t.name)
        .join(', ')})`,
    );
  const files = exportPaths(out, task.exportOnnx(model));
  for (const f of files) writeFileAtomic(f.path, f.bytes);
  return { task: task.name, files: files.map((f) => ({ path: f.path, bytes: f.bytes.length, ...describeGraph(f.bytes) })) };
}

/** The inputs and outputs an ONNX model declares. */
function describeGraph(bytes: Uint8Array): { inputs: ExportedValue[]; outputs: ExportedValue[] } {
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const type = (t: number | null | undefined) =>
    (onnx.TensorProto.DataType[t ?? 0] ?? 'UNDEFINED')
      .toLowerCase()
      .replace(/^float$/, 'float32')
      .replace(/^double$/, 'float64');
  const value = (v: onnxProto.onnx.IValueInfoProto): ExportedValue => ({
    name: v.name ?? '',
    type: type(v.type?.tensorType?.elemType),
    shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue ?? 0)),
    doc: v.docString ?? '',
  });
  return { inputs: (graph.input ?? []).map(value), outputs: (graph.output ?? []).map(value) };
}

export function exportCommand(program: Command): void {
  program
    .command('export')
    .description('write a model for another runtime: --onnx FILE, an ONNX model for ONNX Runtime (a seq2seq model as FILE.encoder.onnx and FILE.decoder.onnx)')
    .argument('<model>', 'model file')
    .requiredOption('--onnx <file>', 'the ONNX file to write')
    .option('--json', 'print one JSON object')
    .action((path: string, o: { onnx: string; json?: boolean }) => {
      const r = exportModelToOnnx(path, o.onnx);
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      const show = (v: ExportedValue) => `${v.name} ${v.type} [${v.shape.join(', ')}]`;
      for (const f of r.files) {
        console.log(`wrote ${f.path} (${(f.bytes / 1024).toFixed(1)} KiB), a ${r.task} model`);
        console.log(`  inputs:  ${f.inputs.map(show).join(', ')}`);
        console.log(`  outputs: ${f.outputs.map(show).join(', ')}`);
      }
    });
}
