/**
 * Commands of the coordinator and of researchers: `coordinator serve`,
 * `network init`, `query af|cohort`, `demo`.
 */
import type { Command } from 'commander';
import { registerCoordinatorServerCommands } from './server/cli.js';
import { registerNetworkCommands } from './network/cli.js';
import { registerQueryCommands } from './client/cli.js';
import { registerDemoCommand } from './demo/cli.js';

export function registerCoordinatorCommands(program: Command): void {
  const coordinator = program.command('coordinator').description('coordinator: fan queries out to the nodes, add ciphertexts, decrypt network totals');
  registerCoordinatorServerCommands(coordinator);
  registerNetworkCommands(program);
  registerQueryCommands(program);
  registerDemoCommand(program);
}
