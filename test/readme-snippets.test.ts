// The README's examples run as written. Every ```ts block is written to a
// temporary folder (its `gru-ts` imports pointed at src/index.ts and
// src/browser.ts) and run with Node and tsx; it must exit 0. The folder
// holds the files the README's story names (model.safetensors from PyTorch,
// a Keras file, an ONNX export, a keyword model and a clip, a small name
// model), nothing more. A block the README marks
// `<!-- snippet: no-run: REASON -->` right before it (browser-only code) is
// checked instead: every name it imports from gru-ts is exported there, and
// every gru-ts wasm file it imports is built. The ```sh blocks are checked, not run (training
// takes minutes): every `gru …` line names a subcommand that exists, and
// every flag it uses is listed by that subcommand's --help. And the Node
// version the README asks for is package.json's `engines`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GRU } from '../src/nn/gru.js';
import { writeSafetensors } from '../src/io/safetensors-file.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Classifier } from '../src/tasks/classify/model.js';
import { saveClassifier } from '../src/tasks/classify/task.js';
import { saveLM, trainLM } from '../src/tasks/lm/task.js';
import { DEFAULT_AUDIO_FRONT_END } from '../src/data/audio-folder.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const cli = join(root, 'dist/cli/main.js');

interface Block {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The reason given in a `<!-- snippet: no-run: … -->` comment right before the fence. */
  noRun?: string;
}

/** The fenced blocks of a Markdown text (indented ones in list items too, their indentation removed). */
function fencedBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
    if (j === lines.length) throw new Error(`README.md:${i + 1}: a code fence that never closes`);
    const marker = /^\s*<!--\s*snippet:\s*no-run:?\s*(.*?)\s*-->\s*$/.exec(lines[i - 1] ?? '');
    out.push({
      lang: open[2],
      code: lines
        .slice(i + 1, j)
        .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
        .join('\n'),
      line: i + 1,
      ...(marker ? { noRun: marker[1] } : {}),
    });
    i = j;
  }
  return out;
}

const blocks = fencedBlocks(readme);
const tsBlocks = blocks.filter((b) => b.lang === 'ts');

// ------------------------------------------------------------------ the ts blocks run

let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gru-readme-'));
  // Bare imports other than gru-ts (onnxruntime-node, node:…) resolve as they would in a project that installed gru-ts.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // "Load weights trained in PyTorch": a state dict with the gru. prefix and another module's key.
  const gru = new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 3 });
  const weights: Record<string, Tensor> = { 'head.weight': Tensor.zeros([2, 8]) };
  for (const [k, v] of Object.entries(gru.stateDict())) weights[`gru.${k}`] = v;
  writeSafetensors(join(dir, 'model.safetensors'), weights, {});
  // "Keras models in": an embedding, a masked bidirectional GRU and a GRU, as Keras 3 saved it.
  copyFileSync(join(root, 'test/fixtures/keras/embedding_mask_bidirectional.keras'), join(dir, 'sentiment.keras'));
  // "ONNX": torch.onnx.export's file of a two-layer GRU tagger (inputs x, h0; outputs logp, hN).
  copyFileSync(join(root, 'test/fixtures/onnx-graph/tagger.onnx'), join(dir, 'tagger.onnx'));
  // Streaming: a keyword classifier of the audio front end (untrained: the snippet shows the calls, not the words) and a WAV clip.
  const features = DEFAULT_AUDIO_FRONT_END.numMels;
  const kws = new Classifier(
    {
      labels: ['no', 'yes'],
      frames: { features, mean: new Array(features).fill(0), std: new Array(features).fill(1) },
      audio: { ...DEFAULT_AUDIO_FRONT_END, windowFrames: 98 },
      maxLen: 1000,
      embeddingSize: features,
      hiddenSize: 8,
      numLayers: 1,
      bidirectional: false,
      dropout: 0,
    },
    0,
    1,
  );
  saveClassifier({ model: kws }, join(dir, 'kws.safetensors'));
  copyFileSync(join(root, 'test/fixtures/audio/pcm16-mono.wav'), join(dir, 'clip.wav'));
  // Pruning: the names model `gru prune names.safetensors` starts from (a small one).
  const names = Array.from({ length: 40 }, (_, i) => ['anna', 'bob', 'otto', 'eve'][i % 4]);
  saveLM(trainLM(names, { hiddenSize: 8, embeddingSize: 4, epochs: 1, batchSize: 16 }), join(dir, 'names.safetensors'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** The snippet with its `gru-ts` and `gru-ts/browser` imports pointed at the sources. */
function pointedAtSources(code: string): string {
  const entry = (sub: string | undefined) => pathToFileURL(join(root, 'src', sub === '/browser' ? 'browser.ts' : 'index.ts')).href;
  return code.replace(/(\bfrom\s*|\bimport\s*\(\s*)(['"])gru-ts(\/browser)?\2/g, (_m, lead: string, q: string, sub: string | undefined) => `${lead}${q}${entry(sub)}${q}`);
}

/** Runs a file with Node and tsx in `cwd`; resolves with its exit code and output (killed after `ms`). */
function runTs(file: string, cwd: string, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

test('the README has ts snippets, each marked no-run only with a reason', () => {
  assert.ok(tsBlocks.length >= 10, `found ${tsBlocks.length} ts blocks`);
  for (const b of blocks.filter((x) => x.noRun !== undefined)) {
    assert.equal(b.lang, 'ts', `README.md:${b.line}: a no-run marker belongs before a ts block`);
    assert.ok(b.noRun!.length >= 10, `README.md:${b.line}: a no-run marker says why`);
  }
  assert.ok(tsBlocks.filter((b) => b.noRun === undefined).length >= tsBlocks.length - 3, 'at most three ts blocks are not run');
});

for (const b of tsBlocks) {
  const first = b.code.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('import')) ?? '';
  if (b.noRun) {
    test(`README.md:${b.line} (a page's code, run in Chromium by test/browser.test.ts) imports what gru-ts has`, async () => {
      for (const m of b.code.matchAll(/import\s+(?:\{([^}]*)\}|(\w+))\s+from\s+'(gru-ts[^']*)'/g)) {
        const [, names, , from] = m;
        if (names) {
          const entry = from === 'gru-ts/browser' ? 'src/browser.ts' : from === 'gru-ts' ? 'src/index.ts' : null;
          assert.ok(entry, `README.md:${b.line}: named imports from '${from}'`);
          const exported = await import(pathToFileURL(join(root, entry)).href);
          for (const name of names
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean))
            assert.ok(name in exported, `README.md:${b.line}: '${name}' is not exported by ${from}`);
        } else {
          const wasm = /^gru-ts\/(wasm\/[\w-]+\.wasm)\?url$/.exec(from);
          assert.ok(wasm, `README.md:${b.line}: a default import from '${from}'`);
          assert.ok(existsSync(join(root, wasm[1])), `README.md:${b.line}: ${wasm[1]} is not built`);
        }
      }
    });
    continue;
  }
  test(`README.md:${b.line} runs (${first.trim().slice(0, 60)})`, async () => {
    const file = join(dir, `snippet-${b.line}.mts`);
    writeFileSync(file, pointedAtSources(b.code));
    // Generous: the slowest snippet trains a 14-series forecaster (about 20 s on an idle core).
    const r = await runTs(file, dir, 240_000);
    assert.equal(r.signal, null, `README.md:${b.line}: killed after 240 s\n${r.out}`);
    assert.equal(r.code, 0, `README.md:${b.line}: the snippet failed:\n${r.out}`);
  });
}

test('a snippet that throws fails its run', async () => {
  const file = join(dir, 'throws.mts');
  writeFileSync(file, pointedAtSources(`import { GRU } from 'gru-ts';\nnew GRU({ inputSize: 0, hiddenSize: 4 });\n`));
  const r = await runTs(file, dir, 60_000);
  assert.notEqual(r.code, 0, r.out);
  assert.match(r.out, /GruError/);
});

test('pointedAtSources rewrites gru-ts imports only', () => {
  const out = pointedAtSources(`import { GRU } from 'gru-ts';\nimport { x } from "gru-ts/browser";\nimport ort from 'onnxruntime-node';\nconst m = await import('gru-ts');`);
  const lines = out.split('\n');
  assert.match(lines[0], /from 'file:\/\/.*\/src\/index\.ts';$/);
  assert.match(lines[1], /from "file:\/\/.*\/src\/browser\.ts";$/);
  assert.equal(lines[2], `import ort from 'onnxruntime-node';`);
  assert.match(lines[3], /import\('file:\/\/.*\/src\/index\.ts'\)/);
});

test('fencedBlocks: languages, lines, indented blocks and no-run markers', () => {
  const md = ['# t', '```sh', 'gru info m', '```', '- item', '  ```ts', '  const a = 1;', '    const b = 2;', '  ```', '<!-- snippet: no-run: needs a browser page -->', '```ts', 'x', '```'].join('\n');
  assert.deepEqual(fencedBlocks(md), [
    { lang: 'sh', code: 'gru info m', line: 2 },
    { lang: 'ts', code: 'const a = 1;\n  const b = 2;', line: 6 },
    { lang: 'ts', code: 'x', line: 11, noRun: 'needs a browser page' },
  ]);
});

// ------------------------------------------------------------------ the sh blocks parse

/** Shell words of a line: quotes removed, a trailing `# comment` dropped (a # starting a word outside quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '',
    quote = '',
    inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = '';
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in: ${line}`);
  if (inWord) words.push(cur);
  return words;
}

/** The `gru` command lines of the sh (and unlabelled) blocks, with their README lines. */
function gruLines(): { line: number; words: string[] }[] {
  const out: { line: number; words: string[] }[] = [];
  for (const b of blocks.filter((x) => x.lang === 'sh' || x.lang === '')) {
    b.code.split('\n').forEach((text, k) => {
      const words = shellWords(text);
      const at = words[0] === 'npx' ? 1 : 0;
      if (words[at] === 'gru') out.push({ line: b.line + 1 + k, words: words.slice(at + 1) });
    });
  }
  return out;
}

interface Help {
  code: number | null;
  /** The long flags of its option lines (commander's: two spaces, then the flags). */
  flags: Set<string>;
  /** The subcommands of its command lines. */
  commands: Set<string>;
}

const helps = new Map<string, Help>();

/** What `gru <command…> --help` lists. */
function helpOf(command: string[]): Help {
  const key = command.join(' ');
  let h = helps.get(key);
  if (!h) {
    const r = spawnSync(process.execPath, [cli, ...command, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
    const section = (name: string) => r.stdout.split(/\n(?=\S)/).find((part) => part.startsWith(`${name}:`)) ?? '';
    const flags = new Set([...section('Options').matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]));
    const commands = new Set([...section('Commands').matchAll(/^ {2}([\w-]+)/gm)].map((m) => m[1]));
    h = { code: r.status, flags, commands };
    helps.set(key, h);
  }
  return h;
}

/** Why `gru <command…>` is not a command, or null when it is (commander's --help of an unknown subcommand prints its parent's help). */
function notACommand(command: string[]): string | null {
  for (let k = 0; k < command.length; k++) {
    if (!helpOf(command.slice(0, k)).commands.has(command[k])) return `gru ${command.slice(0, k + 1).join(' ')} is not a command`;
  }
  return helpOf(command).code === 0 ? null : `gru ${command.join(' ')} --help exits ${helpOf(command).code}`;
}

/** Commands with subcommands named by their second word. */
const GROUPS = new Set(['train']);

test('every gru line of the sh blocks names a subcommand that exists and flags it lists', () => {
  const lines = gruLines();
  assert.ok(lines.length >= 20, `found ${lines.length} gru lines`);
  const problems: string[] = [];
  const global = helpOf([]).flags;
  for (const { line, words } of lines) {
    // `[--text "Ma"]` in the README marks an optional part.
    const plain = words.map((w) => w.replace(/^\[|\]$/g, ''));
    const command = GROUPS.has(plain[0]) ? plain.slice(0, 2) : plain.slice(0, 1);
    const why = notACommand(command);
    if (why) {
      problems.push(`README.md:${line}: ${why}`);
      continue;
    }
    const help = helpOf(command);
    for (const w of plain.slice(command.length)) {
      const flag = w.split('=')[0];
      if (flag.startsWith('--') && !help.flags.has(flag) && !global.has(flag)) problems.push(`README.md:${line}: gru ${command.join(' ')} has no option ${flag}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the flag check sees a flag that does not exist, and a subcommand that does not', () => {
  assert.ok(helpOf(['train', 'forecast']).flags.has('--lookback'));
  assert.ok(!helpOf(['train', 'forecast']).flags.has('--lookahead'));
  assert.ok(helpOf(['predict']).flags.has('--input'));
  assert.equal(notACommand(['train', 'nonsense']), 'gru train nonsense is not a command');
  assert.equal(notACommand(['evaluate']), 'gru evaluate is not a command');
  assert.equal(notACommand(['train', 'lm']), null);
  assert.equal(notACommand(['info']), null);
  assert.deepEqual(shellWords(`gru predict m --text "WIN a # FREE" --json   # a comment`), ['gru', 'predict', 'm', '--text', 'WIN a # FREE', '--json']);
});

test("the README's Node version is package.json's engines", () => {
  const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const min = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(engines);
  assert.ok(min, `engines.node is a lower bound: ${engines}`);
  const asked = [...readme.matchAll(/Node(?:\.js)? (\d+(?:\.\d+)*) or newer/g)].map((m) => m[1]);
  assert.ok(asked.length > 0, 'the README says which Node it needs');
  assert.deepEqual([...new Set(asked)], [min[1]]);
});
