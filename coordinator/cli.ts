/**
 * Commands of the coordinator and of researchers: `coordinator serve`,
 * the key ceremony's `coordinator init` and `roster build|show|sign|seal`
 * (a site's part is in node/site/), `network init` (tests and demos),
 * `query af|cohort`, `demo`.
 */
import type { Command } from 'commander';
import { registerCoordinatorServerCommands } from './server/cli.js';
import { registerNetworkCommands } from './network/cli.js';
import { registerCoordinatorInitCommand, registerRosterCommands } from './network/ceremony-cli.js';
import { registerQueryCommands } from './client/cli.js';
import { registerDemoCommand } from './demo/cli.js';

export function registerCoordinatorCommands(program: Command): void {
  const coordinator = program.command('coordinator').description('coordinator: fan queries out to the nodes, add ciphertexts, decrypt network totals');
  registerCoordinatorInitCommand(coordinator);
  registerCoordinatorServerCommands(coordinator);
  registerRosterCommands(program);
  registerNetworkCommands(program);
  registerQueryCommands(program);
  registerDemoCommand(program);
}
