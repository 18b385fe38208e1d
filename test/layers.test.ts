// The line between the core and the application: no module of the core's folders imports the application's,
// and the core's entry (src/core.ts) reaches no Node module. Imports are read from the sources; type-only ones count
// too for the folder rule (a type from the application is still a dependency on it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const CORE = ['tensor', 'kernels', 'autograd', 'nn', 'optim', 'io', 'sparse'];
const APP = ['data', 'train', 'tasks', 'plot', 'cli', 'serve'];

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });

/** The module specifiers of a source file, with whether each is type-only. */
function imports(file: string): { spec: string; typeOnly: boolean }[] {
  const code = readFileSync(file, 'utf8');
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[3], typeOnly: !!m[2] });
  for (const m of code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[1], typeOnly: false });
  for (const m of code.matchAll(/(?<!typeof\s*)\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

const target = (file: string, spec: string): string => resolve(dirname(file), spec).replace(/\.js$/, '.ts');
const folderOf = (path: string): string => relative(src, path).split('/')[0];

test('no module in the core folders imports the application', () => {
  const found = files(src).filter((f) => CORE.includes(folderOf(f)));
  assert.ok(found.length > 40, `${found.length} core modules`);
  const upward = found.flatMap((f) =>
    imports(f)
      .filter((i) => i.spec.startsWith('.') && APP.includes(folderOf(target(f, i.spec))))
      .map((i) => `${relative(src, f)} → ${i.spec}`),
  );
  assert.deepEqual(upward, []);
});

test("the core's entry reaches no Node module and no application folder", () => {
  const seen = new Set<string>();
  const bad: string[] = [];
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const { spec, typeOnly } of imports(file)) {
      if (typeOnly) continue;
      if (spec.startsWith('.')) {
        const t = target(file, spec);
        if (APP.includes(folderOf(t))) bad.push(`${relative(src, file)} → ${spec}`);
        else walk(t);
      } else if (spec.startsWith('node:') || ['fs', 'path', 'os', 'module', 'worker_threads', 'child_process'].includes(spec)) bad.push(`${relative(src, file)} → ${spec}`);
    }
  };
  walk(join(src, 'core.ts'));
  assert.ok(seen.size > 30, `${seen.size} modules reached`);
  assert.deepEqual(bad, []);
  // The walk sees Node modules where there are some: the package root reaches them.
  const root = new Set<string>();
  const nodeIn = (file: string): boolean => {
    if (root.has(file)) return false;
    root.add(file);
    return imports(file).some(({ spec, typeOnly }) => !typeOnly && (spec.startsWith('node:') || (spec.startsWith('.') && nodeIn(target(file, spec)))));
  };
  assert.ok(nodeIn(join(src, 'index.ts')), 'src/index.ts reaches node:fs');
});

test('every rejection in the library is a GruError: no bare Error thrown outside the kernels loaders', () => {
  // The readers, layers, ops, tasks and the CLI throw GruError (with a code) so callers can tell a clean rejection
  // from a bug; io/safetensors-file.ts rewraps foreign errors with the file's path, kept as they came.
  const bare = files(src)
    .filter((f) => !f.includes('/kernels/') && !f.endsWith('safetensors-file.ts'))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((l, i) => (/throw new Error\(/.test(l) ? [`${relative(src, f)}:${i + 1}`] : [])),
    );
  assert.deepEqual(bare, []);
});
