#!/usr/bin/env node
/**
 * The `gru` command. Errors print as one line and exit 1; `--debug` shows
 * the stack.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { mkdirSync } from 'node:fs';
import { infoCommand } from './info.js';
import { pruneCommand } from './prune.js';
import { importCommand } from '../tasks/keras/command.js';
import { exportCommand } from './export.js';
import { serveCommand } from '../serve/command.js';
import { TASKS } from '../tasks/index.js';
import { addTaskOptions, findTask, loadTaskModel, type EvalFlags, type PredictFlags } from '../tasks/registry.js';
import { recordCommandLine } from '../tasks/model-format.js';
import { SPLIT_CHOICES, type SplitChoice } from '../tasks/training-data.js';
import { oneOf } from './options.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('gru')
    .description('Train and run GRU sequence models')
    .version(pkg.version)
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const train = program.command('train').description(`train a model: ${TASKS.map((t) => t.name).join(', ')}`);
  for (const t of TASKS) t.addTrainCommand(train);

  const evaluate = program
    .command('eval')
    .description('score a model on data: by default the held-out test split of its training data (recomputed from the model file), every row of any other data')
    .argument('<model>', 'model file')
    .option('--data <name|file>', 'dataset name or file (default: the training data the model file names)')
    .option('--split <which>', `test (the held-out rows of the training data) or all (every row)`, oneOf<SplitChoice>(SPLIT_CHOICES))
    .option('--json', 'print one JSON object');
  addTaskOptions(evaluate, TASKS, (t) => t.evalOptions);
  evaluate.action((path: string, flags: EvalFlags) => {
    const { task, model } = loadTaskModel(TASKS, path);
    task.evaluate(model, flags);
  });

  const predict = program.command('predict').description('run a model: forecast after --input, classify or map --text, or generate text').argument('<model>', 'model file').option('--json', 'print one JSON object');
  addTaskOptions(predict, TASKS, (t) => t.predictOptions);
  predict.action((path: string, flags: PredictFlags) => {
    const { task, model } = loadTaskModel(TASKS, path);
    task.predict(model, flags);
  });

  program
    .command('info')
    .description('show what a model file (.safetensors) holds: task, configuration, tensors')
    .argument('<model>', 'path to a .safetensors file')
    .option('--json', 'print one JSON object')
    .action((model: string, opts: { json?: boolean }) => infoCommand(model, opts));

  pruneCommand(program);
  importCommand(program);
  exportCommand(program);
  serveCommand(program);

  const demos = TASKS.filter((t) => t.demo);
  program
    .command('demo')
    .description(`train a small model on data that ships with gru-ts and show the results: ${demos.map((t) => `${t.name} (${t.demo!.summary})`).join(', ')}`)
    .argument('[task]', demos.map((t) => t.name).join(', '), 'forecast')
    .option('--out <dir>', 'where to write the model and pictures', 'gru-demo')
    .option('--png', 'also write PNG pictures')
    .action((name: string, o: { out: string; png?: boolean }) => {
      const task = findTask(demos, name, 'demo');
      mkdirSync(o.out, { recursive: true });
      task.demo!.run(o);
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  recordCommandLine(['gru', ...argv.slice(2)]);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed its message
    if (argv.includes('--debug')) console.error(e);
    else console.error(`gru: ${describeError(e)}`);
    return 1;
  }
}

/** What a system call's error code means, in words. */
const ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  EBUSY: 'the file is busy',
};

/**
 * One line for an error: a GruError's message as it is; a system call's
 * error (errno) in words with the path; running out of memory as what to
 * make smaller.
 */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const errno = e as NodeJS.ErrnoException & { dest?: string };
  if (typeof errno.code === 'string' && typeof errno.syscall === 'string' && /^E[A-Z]+$/.test(errno.code)) {
    const verb = ({ open: 'open', read: 'read', write: 'write', rename: 'replace', unlink: 'remove', mkdir: 'create', scandir: 'list', stat: 'find' } as Record<string, string>)[errno.syscall] ?? errno.syscall;
    const where = errno.path ? ` ${errno.path}${errno.dest ? ` → ${errno.dest}` : ''}` : '';
    return `cannot ${verb}${where}: ${ERRNO[errno.code] ?? errno.message} (${errno.code})`;
  }
  if (e instanceof RangeError && /Invalid typed array length|Array buffer allocation failed|Invalid array length|Array buffer allocation/.test(e.message)) {
    return `not enough memory for this model or batch (${e.message}); choose a smaller --hidden, --layers, --embedding, --batch-size or --max-len`;
  }
  return e.message;
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
