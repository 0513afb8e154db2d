/**
 * Commands a hospital runs: `node ingest|query|serve`, `key`,
 * `pseudonymize`, `verify`, `scan`, `audit`, and its part of the key
 * ceremony: `site init`, `schema draft`. Each area registers its own
 * subcommands; implementations load lazily.
 */
import type { Command } from 'commander';
import { registerStoreCommands } from './store/cli.js';
import { registerServerCommands } from './server/cli.js';
import { registerPseudonymizeCommands } from './pseudonymize/cli.js';
import { registerAuditCommands } from './audit/cli.js';
import { registerSiteCommands } from './site/cli.js';

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('hospital node: ingest data into the local store, query it, serve encrypted aggregates');
  registerStoreCommands(node);
  registerServerCommands(node);
  registerPseudonymizeCommands(program);
  registerAuditCommands(program);
  registerSiteCommands(program);
}
