#!/usr/bin/env node
/**
 * The `genofed` command: one small entry that checks the runtime and
 * dispatches to the command modules of `node/` and `coordinator/`.
 * Command modules register their options here and load their
 * implementation lazily, so `genofed --help` starts fast.
 */
import { Command, CommanderError } from 'commander';
import { registerNodeCommands } from '../node/cli.js';
import { registerCoordinatorCommands } from '../coordinator/cli.js';
import { attachTypedPath } from '../proto/operator-path.js';
import { reportError } from './report-error.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `genofed: Node ${process.versions.node} is too old; Node 22 or newer is required (node-seal 7's WebAssembly needs it).\n` +
      'Run it through npm (npx genofed, npm run ...), which uses the Node 24 installed in node_modules.\n',
  );
  process.exit(1);
}

const program = new Command('genofed')
  .description('Privacy-preserving federated analysis of clinical genomes: pseudonymize, ingest, and answer encrypted aggregate queries.')
  .version('0.1.0')
  .exitOverride();

registerNodeCommands(program);
registerCoordinatorCommands(program);
usageErrorsPointToHelp(program, 'genofed');

// The files and folders the operator typed for the command being run: an error that names one by its basename gets the path
// as typed beside it, on this terminal only (proto/operator-path.ts).
let typed: string[] = [];
program.hook('preAction', (_program, action) => {
  typed = typedPaths(action);
});

/**
 * The values of a command's file and folder options (placeholders such as
 * `<file>`, `<dir>`, `<keyfile>`, `<fasta>`, `<bed>`) and file arguments,
 * in declaration order.
 */
function typedPaths(cmd: Command): string[] {
  const out: string[] = [];
  const opts = cmd.opts();
  for (const o of cmd.options) {
    if (!/<(?:[a-z]*file|dir|fasta|bed)\b[^>]*>/.test(o.flags)) continue;
    const v = opts[o.attributeName()] as unknown;
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string') out.push(x);
  }
  cmd.registeredArguments.forEach((a, i) => {
    const v = cmd.processedArgs[i] as unknown;
    if (/file/.test(a.name()) && typeof v === 'string') out.push(v);
  });
  return out;
}

/**
 * A wrong flag prints commander's one error line and a pointer to the
 * command's own help, not the whole help (which buried the line that
 * matters): on every command of the tree, since each keeps its own copy of
 * the setting.
 */
function usageErrorsPointToHelp(cmd: Command, path: string): void {
  cmd.showHelpAfterError(`(see ${path} --help)`);
  for (const sub of cmd.commands) usageErrorsPointToHelp(sub, `${path} ${sub.name()}`);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; usage errors exit 2 (already printed).
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(attachTypedPath(err, typed));
  }
}
