// The browser entry point, 'gru-ts/browser' (src/browser.ts → dist/browser.js):
// its import graph, walked statically as a bundler would (type-only imports
// erased), holds no Node module (node:*, fs, path, module, …), no native or
// Node-only package (@resvg/resvg-js, @stdlib/*, csv-parse, …): every bare
// specifier in it must be on the short list of packages known to load in a
// browser. The same walk over the package root must find the Node modules it
// does use, so the check is seen to work. Then the entry is imported through
// the package's "exports" and its WebAssembly path (initWasmBackend) is run.
// Needs the build (dist/, wasm/): npm run build (npm test does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const rel = (f: string): string => relative(root, f);

/** Bare specifiers the browser graph may import: packages that load in a browser as they are. */
const BROWSER_PACKAGES = new Set([
  'onnx-proto', // generated protobufjs code (protobufjs/minimal): plain JS, no Node module needed
  'fflate', // the Keras reader's unzip: plain JS for browsers and Node
  'jsfive', // the Keras reader's HDF5: plain JS (its zlib is pako)
  'wavefile', // WAV decoding (src/data/audio): an ES module for bundlers, no Node module
  'fft.js', // the audio features' FFT: plain CommonJS, no Node module
  'zod', // the model files' metadata schemas (classifierFromBytes checks a classifier's bytes with them): plain ES modules, no Node module
  'd3-scale', // the charts' scales and ticks (src/plot/scale.ts): plain ES modules for browsers, as are the three below
  'd3-format', // tick labels of number axes
  'd3-time', // calendar intervals of date axes
  'd3-time-format', // tick labels of date axes (UTC)
]);

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0]]));

/** Why `spec` may not appear in a browser graph, or null when it may. */
function forbidden(spec: string): string | null {
  if (spec.startsWith('node:')) return 'a Node module';
  if (NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0])) return 'a Node module';
  if (spec.startsWith('@resvg/')) return 'a native Node module';
  if (spec.startsWith('@stdlib/')) return 'a package read from disk through createRequire';
  const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  return BROWSER_PACKAGES.has(pkg) ? null : 'a package not known to load in a browser';
}

/** Every module specifier a bundler would follow from `code`: static imports and re-exports (not type-only), import('…'), require('…'). */
function specifiers(code: string, file: string): string[] {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isExportDeclaration(n) && !n.isTypeOnly && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.arguments.length >= 1 && ts.isStringLiteralLike(n.arguments[0]) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))) {
      out.push(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const transpiled = new Map<string, string>();

/** TypeScript as a bundler sees it: transpiled one file at a time, so imports used only as types are gone. */
function loadTs(file: string): string {
  let js = transpiled.get(file);
  if (js === undefined) {
    js = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    transpiled.set(file, js);
  }
  return js;
}

interface Graph {
  /** Modules reached, each with the chain of imports from the entry. */
  modules: Map<string, string[]>;
  /** Bare and built-in specifiers, each with the chain that imports it. */
  external: { spec: string; chain: string[] }[];
  /** Relative specifiers that name no file. */
  unresolved: string[];
}

/** Walks the relative imports from `entry`; `.js` specifiers resolve to `.ts` files when `source` is set. */
function walk(entry: string, source: boolean): Graph {
  const g: Graph = { modules: new Map(), external: [], unresolved: [] };
  const visit = (file: string, chain: string[]): void => {
    if (g.modules.has(file)) return;
    g.modules.set(file, chain);
    const code = source ? loadTs(file) : readFileSync(file, 'utf8');
    for (const spec of specifiers(code, file)) {
      if (!spec.startsWith('.') && !spec.startsWith('/')) {
        g.external.push({ spec, chain: [...chain, rel(file)] });
        continue;
      }
      let target = resolve(dirname(file), spec);
      if (source && target.endsWith('.js') && existsSync(target.replace(/\.js$/, '.ts'))) target = target.replace(/\.js$/, '.ts');
      if (!existsSync(target)) {
        g.unresolved.push(`${spec} (from ${rel(file)})`);
        continue;
      }
      visit(target, [...chain, rel(file)]);
    }
  };
  visit(entry, []);
  return g;
}

/** The forbidden imports of a graph, one line each with the chain that leads to it. */
function violations(g: Graph): string[] {
  return g.external.flatMap(({ spec, chain }) => {
    const why = forbidden(spec);
    return why ? [`${spec} (${why}): ${chain.join(' → ')}`] : [];
  });
}

const srcEntry = resolve(root, 'src/browser.ts');
const distEntry = resolve(root, 'dist/browser.js');

test('browser entry: the import graph of src/browser.ts holds no Node module or Node-only package', () => {
  const g = walk(srcEntry, true);
  assert.deepEqual(g.unresolved, []);
  assert.ok(g.modules.size > 40, `only ${g.modules.size} modules reached: the walk is broken`);
  assert.deepEqual(violations(g), [], 'modules a browser cannot load');
  // What the entry must reach: the kernels registry with both wasm loaders, autograd, layers, ONNX.
  for (const m of ['src/kernels/index.ts', 'src/kernels/wasm/index.ts', 'src/kernels/wasm/threads.ts', 'src/kernels/wasm/backend.ts', 'src/nn/gru.ts', 'src/io/onnx-export.ts', 'src/plot/line-chart.ts']) {
    assert.ok(g.modules.has(resolve(root, m)), `${m} is not in the browser graph`);
  }
});

test('browser entry: the kernels registry imports nothing outside the package (no Node module, even lazily by name)', () => {
  const g = walk(resolve(root, 'src/kernels/index.ts'), true);
  assert.deepEqual(g.unresolved, []);
  assert.deepEqual(
    g.external.map((e) => `${e.spec}: ${e.chain.join(' → ')}`),
    [],
  );
});

test('browser entry: the built dist/browser.js graph holds no Node module or Node-only package', () => {
  assert.ok(existsSync(distEntry), `${distEntry} is not built: npm run build`);
  const g = walk(distEntry, false);
  assert.deepEqual(g.unresolved, []);
  assert.ok(g.modules.size > 40, `only ${g.modules.size} modules reached: the walk is broken`);
  assert.deepEqual(violations(g), [], 'modules a browser cannot load');
});

test('browser entry: the same walk over the package root finds its Node modules (the check can fail)', () => {
  const found = violations(walk(resolve(root, 'src/index.ts'), true)).map((v) => v.split(' ')[0]);
  for (const spec of ['node:fs', 'node:module', 'node:path', '@resvg/resvg-js', 'csv-parse/sync']) {
    assert.ok(found.includes(spec), `${spec} not found in the root's graph: ${[...new Set(found)].join(', ')}`);
  }
  // The demo data sets are development dependencies, located by name when asked for: no static import of them.
  assert.ok(!found.some((s) => s.startsWith('@stdlib/')), 'no @stdlib data set imported by the package root');
  // Types naming Node modules are erased, as in a bundler; value imports, re-exports and import() are kept.
  assert.deepEqual(specifiers(loadTs(resolve(root, 'src/kernels/wasm/threads.ts')), 'threads.js'), ['./backend.js', '../../errors.js']);
  assert.deepEqual(specifiers("import type { A } from 'node:fs'; import { b } from 'node:os'; export * from 'fs'; const p = import('node:path');", 'x.js'), ['node:os', 'fs', 'node:path']);
});

test("browser entry: 'gru-ts/browser' and 'gru-ts/wasm/gru.wasm' resolve through the package's exports", async () => {
  assert.equal(fileURLToPath(import.meta.resolve('gru-ts/browser')), distEntry);
  assert.equal(fileURLToPath(import.meta.resolve('gru-ts/wasm/gru.wasm')), resolve(root, 'wasm/gru.wasm'));
  const browser: Record<string, unknown> = await import('gru-ts/browser');
  const full: Record<string, unknown> = await import('gru-ts');
  for (const name of [
    'Tensor',
    'GRU',
    'AttentionGRU',
    'Linear',
    'Adam',
    'backward',
    'initWasmBackend',
    'initThreadedWasmBackend',
    'registerBackend',
    'setBackend',
    'backendNames',
    'parseSafetensors',
    'serializeSafetensors',
    'exportGruToOnnx',
    'importOnnxGru',
    'lineChart',
    'heatmap',
    'Tokenizer',
    'Classifier',
    'CharLM',
    'Seq2Seq',
  ]) {
    assert.ok(name in browser, `'gru-ts/browser' does not export ${name}`);
  }
  for (const name of ['readSafetensors', 'writeSafetensors', 'svgToPng', 'writePicture', 'loadTable', 'readModelFile', 'fit', 'parseCsv']) {
    assert.ok(!(name in browser), `'gru-ts/browser' exports the Node-only ${name}`);
  }
  // The browser entry is a subset of the root, plus the WebAssembly loaders the root leaves to Node.
  const extra = Object.keys(browser).filter((k) => !(k in full));
  assert.deepEqual(
    extra.filter((k) => !['initWasmBackend', 'initThreadedWasmBackend', 'instantiateWasmBackend', 'WasmOutOfMemory'].includes(k)),
    [],
  );
});

test('browser entry: initWasmBackend from bytes, registered, gives the GRU outputs of ref', async () => {
  const m = await import('gru-ts/browser');
  const bytes = readFileSync(resolve(root, 'wasm/gru.wasm'));
  const wasm = await m.initWasmBackend(bytes);
  const name = 'wasm-from-bytes';
  m.registerBackend({ ...wasm, name });
  assert.ok(m.backendNames().includes(name));
  const before = m.backend().name;
  const run = (b: string): Float32Array => {
    m.setBackend(b);
    const gru = new m.GRU({ inputSize: 3, hiddenSize: 5, seed: 1 });
    const x = m.Tensor.zeros([6, 2, 3]);
    const rng = new m.Rng(2);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.range(-1, 1);
    return Float32Array.from(m.noGrad(() => gru.forward(x)).output.data);
  };
  try {
    const a = run(name),
      r = run('ref');
    for (let i = 0; i < r.length; i++) assert.ok(Math.abs(a[i] - r[i]) <= 1e-5, `output[${i}]: ${a[i]} vs ${r[i]}`);
  } finally {
    m.setBackend(before);
  }
});
