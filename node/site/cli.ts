/**
 * A hospital's part of the key ceremony: `genofed site init` (its own TLS
 * key + CSR, X25519 and Ed25519 keys, the public file for the roster) and
 * `genofed schema draft` (a schema draft from its own phenotype table).
 * Output: paths and public fingerprints only, never a private key.
 */
import type { Command } from 'commander';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerSiteCommands(program: Command): void {
  const site = program.command('site').description("a hospital's own keys for the consortium (key ceremony: deploy/README.md)");
  site
    .command('init')
    .description('make this site\'s keys on this host: TLS key (ECDSA P-256) + CSR for the CA, X25519 (masks) and Ed25519 (roster signature) keys, and site-public.json for the roster. Private keys are 0600 and never printed; refuses an existing folder')
    .requiredOption('--out <dir>', 'folder to create (must not exist)')
    .requiredOption('--site <id>', 'this site\'s id (1-63 of [a-z0-9._-]): the certificate\'s CN and urn:genofed:site:<id>')
    .requiredOption('--dns <name>', 'DNS name the coordinator reaches this node by (repeatable)', collect, [])
    .option('--ip <address>', 'IP address the coordinator reaches this node by (repeatable)', collect, [])
    .action(async (o: { out: string; site: string; dns: string[]; ip: string[] }) => {
      const { siteInit, SITE_FILES } = await import('./init.js');
      const r = await siteInit({ out: o.out, site: o.site, dns: o.dns, ips: o.ip });
      const w = (s: string): boolean => process.stdout.write(`${s}\n`);
      w(`site ${r.site}: keys written to ${r.dir}`);
      w(`  secret (0600, never leave this host): ${SITE_FILES.tlsKey}, ${SITE_FILES.x25519}, ${SITE_FILES.signing}`);
      w(`  ${SITE_FILES.csr}: send to the CA operator (CN=${r.site}, ${r.subjectAltNames.join(', ')}; sha256 ${r.csrSha256})`);
      w(`  ${SITE_FILES.public}: send to whoever assembles the roster (sha256 ${r.publicFileSha256})`);
      w(`  x25519 key   ${r.x25519Fingerprint}`);
      w(`  signing key  ${r.signingFingerprint}`);
      w('confirm the sha256 of each file with its receiver over a second channel; `genofed roster show` prints these key fingerprints for your site');
    });

  program
    .command('schema')
    .description('the consortium phenotype schema (part of the roster)')
    .command('draft')
    .description('print a draft phenotype schema (JSON) from this site\'s phenotype table: id-like and all-distinct columns left out, few-valued text columns categorical, numbers binned. Review and edit it with the consortium before `genofed roster build --schema`')
    .requiredOption('--table <file>', 'phenotype table (TSV, CSV or whitespace-separated; gzip allowed)')
    .option('--id-column <name>', 'sample-id column (default: the first column); never part of the draft')
    .action(async (o: { table: string; idColumn?: string }) => {
      const { schemaDraft } = await import('./schema-draft.js');
      const schema = await schemaDraft({ table: o.table, ...(o.idColumn !== undefined ? { idColumn: o.idColumn } : {}) });
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}
