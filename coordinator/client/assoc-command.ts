/**
 * `genofed query assoc --cases EXPR --controls EXPR (--region R | --variants FILE)`:
 * case-control association across the network. TSV columns `chrom pos ref
 * alt ac_cases an_cases ac_controls an_controls chisq p or or_l95 or_u95
 * p_fisher p_trend`, sorted by p; statistics with 4 significant digits as
 * PLINK prints them (JSON keeps full precision), `NA` where PLINK prints NA
 * or disclosure control withholds them; counts withheld as `<5`. The
 * genomic inflation and the disclosure note go to stderr.
 */
import { Option, type Command } from 'commander';
import { parseCohort } from '../../proto/cohort/index.js';
import { CoordinatorError } from '../errors.js';
import type { QueryOutcome } from '../federation/types.js';
import type { AssociationBody, AssociationRow } from '../kinds/association.js';
import { common, type QueryCommonOptions } from './cli.js';
import { disclosureLine, sitesLine } from './format.js';
import { csvSync } from './csv.js';
import { waitingFor } from './progress.js';

export interface QueryAssocOptions extends QueryCommonOptions {
  cases: string;
  controls: string;
  region?: string;
  regionsFile?: string;
  variants?: string;
  format: 'tsv' | 'csv' | 'json';
}

export const ASSOC_TSV_HEADER = 'chrom\tpos\tref\talt\tac_cases\tan_cases\tac_controls\tan_controls\tchisq\tp\tor\tor_l95\tor_u95\tp_fisher\tp_trend';

/** 4 significant digits (PLINK's default), NA for null. */
export function formatStat(x: number | null): string {
  if (x === null) return 'NA';
  if (x === 0) return '0';
  return Number(x.toPrecision(4)).toString();
}

export function assocTsvLine(r: AssociationRow): string {
  return [r.chrom, r.pos, r.ref, r.alt, r.ac_cases, r.an_cases, r.ac_controls, r.an_controls, ...[r.chisq, r.p, r.or, r.or_l95, r.or_u95, r.p_fisher, r.p_trend].map(formatStat)].join('\t');
}

export async function runQueryAssoc(o: QueryAssocOptions): Promise<void> {
  const { client, oneScope, readVariantItemsFile, regionOption, unresolvedLine, writeOut } = await import('./query-commands.js');
  oneScope(o);
  const region = await regionOption(o);
  parseCohort(o.cases);
  parseCohort(o.controls);
  const variants = o.variants !== undefined ? await readVariantItemsFile(o.variants) : undefined;
  const answer = await waitingFor(client(o).post<AssociationBody & QueryOutcome>('/v1/queries/association', {
    cases: o.cases, controls: o.controls, ...(region !== undefined ? { region } : {}), ...(variants ? { variants } : {}),
  }));
  if (o.format === 'json') await writeOut([`${JSON.stringify(answer)}\n`]);
  else {
    const table = [`${ASSOC_TSV_HEADER}\n`, ...answer.rows.map((r) => `${assocTsvLine(r)}\n`)];
    await writeOut(o.format === 'csv' ? csvSync(table) : table);
  }
  process.stderr.write(`genofed: query ${answer.queryId}: ${answer.rows.length} rows; genomic inflation lambda ${answer.lambda === null ? 'NA' : answer.lambda.toFixed(3)}; ${sitesLine(answer.sites)}\n`);
  const missing = unresolvedLine(answer.unresolved);
  if (missing) process.stderr.write(`genofed: ${missing}\n`);
  const note = disclosureLine(answer);
  if (note) process.stderr.write(`genofed: ${note}\n`);
}

export function registerAssocCommand(query: Command): void {
  common(query.command('assoc'))
    .description('case-control association per variant across the network: allelic chi-square, odds ratio with 95% CI, Fisher and trend p, sorted by p')
    .requiredOption('--cases <expr>', "cohort expression of the cases, e.g. 'super_pop=EUR'")
    .requiredOption('--controls <expr>', "cohort expression of the controls (disjoint from the cases), e.g. 'super_pop=EAS'")
    .option('--region <regions>', 'every variant in regions as bcftools -r takes them: CHR:START-END, CHR:POS, CHR, comma-separated (1-based, inclusive)')
    .option('--regions-file <file>', 'as bcftools -R: BED (.bed/.bed.gz) or tab CHR POS / CHR BEG END per line')
    .option('--variants <file>', 'a file of variants, one per line: CHR POS REF ALT, CHR-POS-REF-ALT, CHR:POS:REF:ALT, or a dbSNP rs id (rs1234)')
    .addOption(new Option('--format <format>', 'output format: TSV, CSV (RFC 4180, the same columns) or JSON').choices(['tsv', 'csv', 'json']).default('tsv'))
    .action(async (opts: QueryAssocOptions) => runQueryAssoc(opts));
}
