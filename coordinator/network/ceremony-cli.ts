/**
 * The key ceremony's commands on the coordinator side and the roster
 * group every party uses (deploy/README.md walks through them):
 *
 * - `genofed coordinator init --out DIR --id ID [--preset]`
 * - `genofed roster build|show|sign|seal`
 *
 * (A site's `genofed site init` and `schema draft` are in node/site/.)
 * Output: paths, fingerprints and public key fingerprints, never a private
 * key; errors name files by basename.
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import { CoordinatorError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const w = (s: string): boolean => process.stdout.write(`${s}\n`);

async function readRoster(path: string, what: string, requireSignatures: boolean) {
  const [{ readJsonFile }, { parseSignedRoster }] = await Promise.all([import('./files.js'), import('../../proto/roster.js')]);
  return parseSignedRoster(await readJsonFile(path, 'GENOFED_ROSTER_INPUT', what), basename(path), { requireSignatures });
}

export function registerCoordinatorInitCommand(coordinator: Command): void {
  coordinator
    .command('init')
    .description('make the coordinator\'s keys on this host: TLS key (ECDSA P-256) + CSR for the CA, Ed25519 query-signing key, BFV key pair, and coordinator-public.json for the roster. Secret keys are 0600 and never printed; refuses an existing folder')
    .requiredOption('--out <dir>', 'folder to create (must not exist)')
    .requiredOption('--id <id>', 'the coordinator\'s id: its certificate\'s CN and urn:genofed:coordinator:<id>')
    .option('--preset <name>', 'BFV parameters: default (real use) or test (fast, for tests)', 'default')
    .action(async (o: { out: string; id: string; preset: string }) => {
      if (o.preset !== 'default' && o.preset !== 'test') throw new CoordinatorError('GENOFED_USAGE', '--preset: default or test');
      const { coordinatorInit, COORDINATOR_FILES: F } = await import('./coordinator-init.js');
      const r = await coordinatorInit({ out: o.out, id: o.id, preset: o.preset });
      w(`coordinator ${r.id}: keys written to ${r.dir} (BFV preset ${r.preset})`);
      w(`  secret (0600, never leave this host): ${F.tlsKey}, ${F.signing}, ${F.bfvSecret} (the only key that decrypts)`);
      w(`  ${F.csr}: send to the CA operator (CN=${r.id}, URI:urn:genofed:coordinator:${r.id}; sha256 ${r.csrSha256})`);
      w(`  ${F.public}: send to whoever assembles the roster (sha256 ${r.publicFileSha256})`);
      w(`  ${F.bfvPublic}: give to every site with the sealed roster (sha256 ${r.bfvPublicKeySha256})`);
      w(`  signing key  ${r.signingFingerprint}`);
    });
}

export function registerRosterCommands(program: Command): void {
  const roster = program.command('roster').description('the consortium roster: build it from public files, confirm its fingerprint and sign it at each site, seal it (key ceremony: deploy/README.md)');

  roster
    .command('build')
    .description('assemble an unsigned roster from public files only: epoch 1, or --previous\'s epoch + 1. Prints the fingerprint every site must compare and sign')
    .option('--consortium <name>', 'the consortium\'s name (default with --previous: the previous roster\'s)')
    .requiredOption('--coordinator <file>', 'coordinator-public.json (from genofed coordinator init)')
    .requiredOption('--site <file>', 'a site\'s site-public.json (from genofed site init); repeat for every site, at least 3', collect, [])
    .option('--schema <file>', 'the consortium phenotype schema (JSON; genofed schema draft); default: the previous roster\'s, else no phenotype columns')
    .option('--previous <file>', 'the sealed roster this one replaces (a change of membership, keys or schema)')
    .requiredOption('--out <file>', 'unsigned roster to write (must not exist)')
    .action(async (o: { consortium?: string; coordinator: string; site: string[]; schema?: string; previous?: string; out: string }) => {
      const [{ readCoordinatorPublic, readSitePublic }, { buildRoster }, { readJsonFile, writeNewFile }, proto, schemaMod] = await Promise.all([
        import('./ceremony-files.js'), import('./roster.js'), import('./files.js'), import('../../proto/roster.js'), import('../../proto/phenotype-schema.js'),
      ]);
      const previous = o.previous !== undefined ? await readRoster(o.previous, 'previous roster', true) : undefined;
      const consortium = o.consortium ?? previous?.roster.consortium;
      if (consortium === undefined || consortium.trim() === '') throw new CoordinatorError('GENOFED_USAGE', '--consortium: a name for the consortium (required without --previous)');
      const schema = o.schema !== undefined
        ? schemaMod.parsePhenotypeSchema(await readJsonFile(o.schema, 'GENOFED_ROSTER_INPUT', 'schema'), basename(o.schema))
        : previous?.roster.schema ?? schemaMod.EMPTY_SCHEMA;
      const sites = [];
      for (const f of o.site) sites.push({ label: basename(f), site: await readSitePublic(f) });
      const r = buildRoster({
        consortium, coordinator: await readCoordinatorPublic(o.coordinator), sites, schema, issuedAt: new Date().toISOString(),
        ...(previous ? { previous } : {}),
      });
      await writeNewFile(o.out, proto.serializeSignedRoster({ roster: r, signatures: [] }));
      w(`${basename(o.out)}: unsigned roster, epoch ${r.epoch}, ${r.sites.length} sites (${r.sites.map((s) => s.id).join(', ')}), coordinator ${r.coordinator.id}`);
      w(`fingerprint: ${proto.formatFingerprint(proto.rosterFingerprint(r))}`);
      w('send the file to every site; each operator checks it with `genofed roster show`, reads the fingerprint aloud with the other sites over a channel you do not control, and signs with `genofed roster sign`');
    });

  roster
    .command('show')
    .description('print a roster for an operator to confirm: fingerprint, epoch, previous, coordinator, members with short key fingerprints, schema, who signed; with --previous, who joined and who left')
    .requiredOption('--roster <file>', 'a roster file (unsigned, partly or fully signed)')
    .option('--previous <file>', 'the sealed roster this one replaces')
    .action(async (o: { roster: string; previous?: string }) => {
      const { describeRoster } = await import('./roster.js');
      const signed = await readRoster(o.roster, 'roster', false);
      const previous = o.previous !== undefined ? { signed: await readRoster(o.previous, 'previous roster', true), label: basename(o.previous) } : undefined;
      for (const line of describeRoster(signed, basename(o.roster), previous)) w(line);
    });

  roster
    .command('sign')
    .description('this site\'s confirmation: signs the roster only when --fingerprint (typed by the operator after comparing it with the other sites) is the roster\'s fingerprint and --signing-key is the key the roster lists for --site')
    .requiredOption('--roster <file>', 'the unsigned roster')
    .requiredOption('--site <id>', 'this site\'s id')
    .requiredOption('--signing-key <file>', 'this site\'s signing.key.pem (from genofed site init)')
    .requiredOption('--fingerprint <hex>', 'the roster fingerprint as the sites compared it (spaces allowed)')
    .requiredOption('--out <file>', 'signature file to write (must not exist); send it to the roster\'s assembler')
    .action(async (o: { roster: string; site: string; signingKey: string; fingerprint: string; out: string }) => {
      const [{ readFile }, { createPrivateKey }, { confirmAndSign }, { signatureFileText }, { writeNewFile }, { formatFingerprint }] = await Promise.all([
        import('node:fs/promises'), import('node:crypto'), import('./roster.js'), import('./ceremony-files.js'), import('./files.js'), import('../../proto/roster.js'),
      ]);
      const signed = await readRoster(o.roster, 'roster', false);
      const pem = await readFile(o.signingKey).catch((cause: unknown) => {
        throw withOperatorPath(new CoordinatorError('GENOFED_ROSTER_SIGNER', `--signing-key ${basename(o.signingKey)}: cannot read file`, { cause }), o.signingKey);
      });
      let key;
      try {
        key = createPrivateKey(pem);
      } catch (cause) {
        throw withOperatorPath(new CoordinatorError('GENOFED_ROSTER_SIGNER', `--signing-key ${basename(o.signingKey)}: not a private key (PEM)`, { cause }), o.signingKey);
      } finally {
        pem.fill(0);
      }
      const sig = confirmAndSign(signed, basename(o.roster), o.site, key, o.fingerprint);
      await writeNewFile(o.out, signatureFileText(sig));
      w(`${o.site} signed ${basename(o.roster)} (epoch ${signed.roster.epoch}, fingerprint ${formatFingerprint(sig.fingerprint)}) -> ${basename(o.out)}`);
      w('send the signature file to the roster\'s assembler; put this fingerprint into your node config (roster.fingerprint) when the sealed roster arrives');
    });

  roster
    .command('seal')
    .description('put every member\'s signature into the roster; refuses unless every member signed and every signature verifies')
    .requiredOption('--roster <file>', 'the unsigned roster (from roster build)')
    .requiredOption('--signature <file>', 'a signature file from roster sign; repeat for every member', collect, [])
    .requiredOption('--out <file>', 'sealed roster to write (must not exist)')
    .action(async (o: { roster: string; signature: string[]; out: string }) => {
      const [{ sealRoster }, { readSignatureFile }, { writeNewFile }, proto] = await Promise.all([
        import('./roster.js'), import('./ceremony-files.js'), import('./files.js'), import('../../proto/roster.js'),
      ]);
      const unsigned = await readRoster(o.roster, 'roster', false);
      const sigs = [];
      for (const f of o.signature) sigs.push({ label: basename(f), sig: await readSignatureFile(f) });
      const sealed = sealRoster(unsigned, basename(o.roster), sigs);
      await writeNewFile(o.out, proto.serializeSignedRoster(sealed));
      w(`${basename(o.out)}: sealed, epoch ${sealed.roster.epoch}, signed by every member (${sealed.roster.sites.map((s) => s.id).join(', ')})`);
      w(`fingerprint: ${proto.formatFingerprint(proto.rosterFingerprint(sealed.roster))}`);
      w('give it to every site and to the coordinator (with bfv.pk); each site\'s node uses it only with this fingerprint in its own config');
    });
}
