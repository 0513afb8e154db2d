/**
 * `genofed query af|cohort`: the researcher's command line over the
 * coordinator's REST API. Options are registered here; the implementation
 * loads lazily so `genofed --help` stays fast.
 */
import { Option, type Command } from 'commander';
import { registerAssocCommand } from './assoc-command.js';
import { registerExprCommand } from './expr-command.js';
import { registerEqtlCommand } from './eqtl-command.js';

export interface QueryCommonOptions {
  coordinator?: string;
  token?: string;
  timeout?: string;
}

export interface QueryAfOptions extends QueryCommonOptions {
  region?: string;
  regionsFile?: string;
  variants?: string;
  cohort?: string;
  by?: string;
  grpmaxExclude?: string;
  format: 'tsv' | 'csv' | 'wide' | 'json' | 'vcf' | 'afreq';
  out?: string;
}

export interface QuerySchemaOptions extends QueryCommonOptions {
  format: 'text' | 'json';
}

export interface QueryCohortOptions extends QueryCommonOptions {
  cohort: string;
  carriersOf?: string;
  /** `text` is the old name of `tsv` (kept as an alias); `node query cohort` says `tsv`. */
  format: 'tsv' | 'text' | 'json';
}

/** The options every query command shares (coordinator URL, token, timeout). */
export function common(cmd: Command): Command {
  return cmd
    .addOption(new Option('--coordinator <url>', 'coordinator REST URL, e.g. https://coordinator.example.org:7400').env('GENOFED_COORDINATOR'))
    .addOption(new Option('--token <token>', 'bearer token (prefer the GENOFED_TOKEN environment variable: it stays out of shell history)').env('GENOFED_TOKEN'))
    .option('--timeout <seconds>', 'give up after this many seconds', '600');
}

export function registerQueryCommands(parent: Command): void {
  const query = parent.command('query').description('ask the network (through the coordinator) for allele frequencies or cohort sizes');

  common(query.command('af'))
    .description('network-wide AC, AN, AF and nhomalt per variant (one row per ALT allele)')
    .option('--region <regions>', 'every variant in regions as bcftools -r takes them: CHR:START-END, CHR:POS, CHR (a whole contig), comma-separated (1-based, inclusive)')
    .option('--regions-file <file>', 'as bcftools -R: BED (.bed/.bed.gz: 0-based half-open) or tab CHR POS / CHR BEG END (1-based inclusive) per line')
    .option('--variants <file>', 'a file of variants, one per line: CHR POS REF ALT, CHR-POS-REF-ALT, CHR:POS:REF:ALT, or a dbSNP rs id (rs1234: every ALT allele the records carry for it)')
    .option('--cohort <expr>', "restrict to patients matching a phenotype expression, e.g. 'super_pop=EUR and gender=female' (columns: genofed query schema)")
    .option('--by <columns>', 'stratify by up to 3 schema columns, comma-separated (e.g. super_pop,gender): all-sample rows, then one row per variant and combination')
    .option('--grpmax-exclude <groups>', "with --by: values of the first --by column left out of grpmax and faf95_max, comma-separated (default gnomAD's: ami,asj,fin,mid,oth,remaining; 'none' for none)")
    .addOption(new Option('--format <format>', 'output format: long TSV, CSV (RFC 4180, the long table), wide TSV (with --by; one line per variant, AC_EUR_female style), JSON, sites-only VCF (INFO AC AN AF nhomalt, per stratum AC_EUR ...), PLINK 2 .afreq (no --by)').choices(['tsv', 'csv', 'wide', 'json', 'vcf', 'afreq']).default('tsv'))
    .option('--out <file>', 'write to this file instead of stdout (BGZF-compressed when it ends in .gz, so `bcftools index` takes a VCF; replaced only when the whole answer arrived)')
    .action(async (opts: QueryAfOptions) => {
      const { runQueryAf } = await import('./query-commands.js');
      await runQueryAf(opts);
    });

  registerAssocCommand(query);
  registerExprCommand(query);
  registerEqtlCommand(query);

  common(query.command('schema'))
    .description('the consortium phenotype schema: the columns, types, values or bins cohort expressions and --by may use, and the grammar')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: QuerySchemaOptions) => {
      const { runQuerySchema } = await import('./query-commands.js');
      await runQuerySchema(opts);
    });

  common(query.command('cohort'))
    .description('number of patients across the network matching a phenotype expression')
    .requiredOption('--cohort <expr>', "phenotype expression, e.g. 'super_pop=EUR and gender=female'")
    .option('--carriers-of <file|keys>', 'count only carriers of any of these variants: a variants file, or comma-separated CHR-POS-REF-ALT keys')
    .addOption(new Option('--format <format>', 'output format: tsv (the count alone; `text` is accepted as its old name) or json').choices(['tsv', 'text', 'json']).default('tsv'))
    .action(async (opts: QueryCohortOptions) => {
      const { runQueryCohort } = await import('./query-commands.js');
      await runQueryCohort(opts);
    });
}
