#!/usr/bin/env node
/**
 * The `gru` command. Errors print as one line and exit 1; `--debug` shows
 * the stack.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { infoCommand } from './info.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('gru')
    .description('Train and run GRU sequence models')
    .version(pkg.version)
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('info')
    .description('show what a model file (.safetensors) holds: metadata, tensors, GRU configuration')
    .argument('<model>', 'path to a .safetensors file')
    .option('--json', 'print one JSON object')
    .action((model: string, opts: { json?: boolean }) => infoCommand(model, opts));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed its message
    if (argv.includes('--debug')) console.error(e);
    else console.error(`gru: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
