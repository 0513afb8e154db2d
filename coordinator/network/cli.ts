/**
 * `genofed network init --sites a,b,c --out DIR`: a test/demo consortium on
 * one machine (see README.md for the files and who keeps each).
 */
import type { Command } from 'commander';
import { CoordinatorError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535 - 1000) throw new CoordinatorError('GENOFED_USAGE', '--base-port: an integer from 0 to 64535');
  return n;
}

export function registerNetworkCommands(program: Command): void {
  const network = program.command('network').description('consortium set-up');
  network
    .command('init')
    .description('TESTS AND DEMOS ONLY: create a consortium on one machine (CA, certificates, coordinator BFV and signing keys, every site\'s keys, the roster signed by every site, one config per component). One process makes every party\'s private keys here; a real consortium runs the key ceremony instead (genofed site init / coordinator init / roster build|sign|seal, deploy/README.md)')
    .requiredOption('--sites <ids>', 'comma-separated site ids, e.g. a,b,c')
    .requiredOption('--out <dir>', 'output folder (must not exist)')
    .option('--host <host>', 'host every component listens on', '127.0.0.1')
    .option('--base-port <n>', 'REST API port; site i listens on base+1+i; 0 = ephemeral ports', port, 7400)
    .option('--preset <name>', 'BFV parameters: default (real use) or test (fast, for tests)', 'default')
    .option('--coordinator-id <id>', 'coordinator identity in certificates and configs', 'coordinator')
    .option('--days <n>', 'certificate lifetime in days', (v) => Number(v), 365)
    .option('--queriers <names>', 'comma-separated researcher names that get a bearer token', 'researcher')
    .option('--schema <file>', 'consortium phenotype schema (JSON, format genofed-phenotype-schema) for the roster; default: no phenotype columns')
    .action(async (o: { sites: string; out: string; host: string; basePort: number; preset: string; coordinatorId: string; days: number; queriers: string; schema?: string }) => {
      if (o.preset !== 'default' && o.preset !== 'test') throw new CoordinatorError('GENOFED_USAGE', '--preset: default or test');
      if (!Number.isInteger(o.days) || o.days < 1 || o.days > 3650) throw new CoordinatorError('GENOFED_USAGE', '--days: an integer from 1 to 3650');
      const { networkInit } = await import('./init.js');
      let schema;
      if (o.schema !== undefined) {
        const { readFile } = await import('node:fs/promises');
        const { basename } = await import('node:path');
        const { parsePhenotypeSchema } = await import('../../proto/phenotype-schema.js');
        const schemaPath = o.schema;
        const label = basename(schemaPath);
        const text = await readFile(o.schema, 'utf8').catch((cause: unknown) => {
          throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `--schema: cannot read ${label}`, { cause }), schemaPath);
        });
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch (cause) {
          throw new CoordinatorError('GENOFED_USAGE', `--schema: ${label} is not valid JSON`, { cause });
        }
        schema = parsePhenotypeSchema(raw, label);
      }
      const layout = await networkInit({
        ...(schema ? { schema } : {}),
        sites: o.sites.split(',').map((s) => s.trim()).filter(Boolean),
        out: o.out,
        host: o.host,
        basePort: o.basePort,
        preset: o.preset,
        coordinatorId: o.coordinatorId,
        days: o.days,
        queriers: o.queriers.split(',').map((s) => s.trim()).filter(Boolean),
      });
      process.stdout.write(`consortium written to ${layout.dir}\n`);
      process.stdout.write(`  coordinator config: ${layout.coordinatorConfig}\n`);
      for (const [id, p] of Object.entries(layout.siteConfigs)) process.stdout.write(`  site ${id} config: ${p} (store: ${layout.siteStores[id]})\n`);
      process.stdout.write(`  roster: ${layout.rosterFile} (fingerprint ${layout.rosterFingerprint}, signed by every site)\n`);
      process.stdout.write('secret files (mode 0600): ca/ca.key.pem, coordinator/{coordinator.key.pem,signing.key.pem,bfv.sk,tokens.json}, sites/*/{node.key.pem,x25519.key.pem,signing.key.pem}\n');
      process.stdout.write('for tests and demos only: this one process made every party\'s keys (deploy/README.md has the real key ceremony)\n');
    });
}
