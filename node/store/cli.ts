/**
 * `genofed node ingest` and `genofed node query af|cohort`. Implementations
 * load lazily (`await import`) so `genofed --help` stays fast; errors are
 * NodeError/ProtoError and reach bin/report-error.ts unchanged.
 */
import type { Command } from 'commander';
import type { IngestCliOptions } from './cli-run.js';

const TYPES = new Set(['categorical', 'integer', 'number']);

/** The fallback both commands share, in their --help. */
const WHILE_SERVING = `
While \`genofed node serve\` holds the store (DuckDB allows one process), this command
opens the file, finds it locked, and goes through the node's admin socket instead
(admin.sock in the store folder: a Unix socket, mode 0600, this user only; no network
port), with the same output. An ingest through the node is one transaction in its
store queue: queries wait for it; Ctrl-C rolls it back.
`;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerStoreCommands(parent: Command): void {
  parent
    .command('ingest')
    .description('ingest VCFs (plain, gzip or bgzip; 4.0-4.3), a phenotype table and an expression matrix into the store, atomically')
    .requiredOption('--store <dir>', 'store folder (created if absent)')
    .option('--vcf <file>', 'a VCF to ingest (repeatable)', collect, [])
    .option('--phenotypes <file>', 'phenotype table (TSV/CSV; replaces the current one)')
    .option('--id-column <name>', 'sample-id column of the phenotype table (default: the first column)')
    .option('--types <list>', 'column type overrides: col=categorical|integer|number,...')
    .option('--expression <file>', "expression matrix: genes x samples TSV/CSV (gzip accepted), gene id in the first column, sample columns named with the site's pseudonyms (pseudonymize table --matrix); replaces the store's matrix")
    .option('--values <mode>', 'the expression matrix holds raw counts (library sizes and log-CPM computed here) or values already on a log scale (log-intensities, log-CPM: used as they are): counts|log (default counts)')
    .option('--strict', 'treat every VCF specification violation as an error (default: bcftools-like warnings for problems that do not touch genotypes)')
    .option('--key-file <keyfile>', "site key: check that every VCF's sample names are this site's pseudonyms (the ##genofed_pseudonyms MAC written by pseudonymize vcf); required with --vcf unless --raw-ids (tables and matrices carry no MAC: their ids must match the pseudonym pattern)")
    .option('--raw-ids', 'accept raw (not pseudonymized) sample ids deliberately, e.g. public 1000 Genomes data')
    .option('--schema <file>', 'consortium phenotype schema (genofed-phenotype-schema JSON, or a roster file: its roster.schema): only its columns are stored, numbers binned; kept in the store')
    .addHelpText('after', WHILE_SERVING)
    .action(async (opts: IngestCliOptions) => {
      const { runIngest } = await import('./cli-run.js');
      await runIngest(opts);
    });

  const query = parent.command('query').description("the site's own view of what the node would contribute (plaintext, local only)").addHelpText('after', WHILE_SERVING);
  query
    .command('af')
    .description('allele counts and frequencies per variant: chrom pos ref alt ac an af nhomalt')
    .requiredOption('--store <dir>', 'store folder')
    .option('--region <regions>', 'as bcftools -r: CHR, CHR:POS, CHR:START-END or CHR:START- (1-based, inclusive), or a comma-separated list of them; overlaps merged, each record once')
    .option('--regions-file <file>', 'as bcftools -R: BED (.bed/.bed.gz: 0-based half-open) or tab CHR POS / CHR BEG END (1-based inclusive) per line')
    .option('--variants <file>', 'variants file: CHR POS REF ALT, CHR-POS-REF-ALT, CHR:POS:REF:ALT or a dbSNP rs id (rs1234: every ALT allele of its records) per line')
    .option('--cohort <expr>', "cohort expression, e.g. \"super_pop=EUR and gender=female\"")
    .option('--by <column>', 'one row per value of this phenotype column (stratum first)')
    .option('--format <fmt>', 'tsv or json', 'tsv')
    .addHelpText('after', WHILE_SERVING)
    .action(async (opts: { store: string; region?: string; regionsFile?: string; variants?: string; cohort?: string; by?: string; format: string }) => {
      const { runQueryAf } = await import('./cli-run.js');
      await runQueryAf(opts);
    });
  query
    .command('cohort')
    .description('number of genotyped samples matching a cohort expression')
    .requiredOption('--store <dir>', 'store folder')
    .requiredOption('--cohort <expr>', 'cohort expression')
    .option('--format <fmt>', 'tsv or json', 'tsv')
    .addHelpText('after', WHILE_SERVING)
    .action(async (opts: { store: string; cohort: string; format: string }) => {
      const { runQueryCohort } = await import('./cli-run.js');
      await runQueryCohort(opts);
    });
}

export { TYPES as PHENOTYPE_TYPE_NAMES };
