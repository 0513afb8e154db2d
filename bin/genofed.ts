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
    process.exitCode = reportError(err);
  }
}
