/**
 * `genofed query eqtl --gene G [--window 1000000] (--annotation FILE |
 * --gene-region CHR:START-END) [--cohort EXPR] [--covariates COL,...]`:
 * cis expression by genotype across the network. TSV columns `chrom pos
 * ref alt n af slope se t p note`, sorted by p (withheld and monomorphic
 * variants last, with the reason in `note`); JSON with `--format json`.
 * The model and the disclosure note go to stderr.
 */
import { Option, type Command } from 'commander';
import { parseCohort } from '../../proto/cohort/index.js';
import { CoordinatorError } from '../errors.js';
import type { EqtlAnswer } from '../federation/eqtl.js';
import type { EqtlRow } from '../kinds/expression-eqtl.js';
import { common, type QueryCommonOptions } from './cli.js';
import { disclosureLine, sitesLine } from './format.js';
import { csvSync } from './csv.js';
import { waitingFor } from './progress.js';
import { dpLine, parseClip } from './expr-command.js';
import { geneSpanFromFile, parseGeneRegion } from './gene-annotation.js';

export interface QueryEqtlOptions extends QueryCommonOptions {
  gene: string;
  window: string;
  annotation?: string;
  geneRegion?: string;
  cohort?: string;
  covariates?: string;
  clip?: string;
  format: 'tsv' | 'csv' | 'json';
}

export const EQTL_TSV_HEADER = 'chrom\tpos\tref\talt\tn\taf\tslope\tse\tt\tp\tnote';

const cell = (x: number | string | null): string => (x === null ? 'NA' : String(x));

export function eqtlTsvLine(r: EqtlRow): string {
  return [r.chrom, r.pos, r.ref, r.alt, r.n, r.af, r.slope, r.se, r.t, r.p, r.note ?? ''].map(cell).join('\t');
}

export async function runQueryEqtl(o: QueryEqtlOptions): Promise<void> {
  const { client, writeOut } = await import('./query-commands.js');
  if ((o.annotation === undefined) === (o.geneRegion === undefined)) throw new CoordinatorError('GENOFED_USAGE', 'give exactly one of --annotation FILE (GTF, BED or gene/chrom/start/end TSV) and --gene-region CHR:START-END');
  const window = Number(o.window.replace(/,/g, ''));
  if (!Number.isInteger(window) || window < 0) throw new CoordinatorError('GENOFED_USAGE', `--window: a number of bases, got '${o.window}'`);
  if (o.cohort) parseCohort(o.cohort);
  const span = o.annotation !== undefined ? await geneSpanFromFile(o.annotation, o.gene) : parseGeneRegion(o.geneRegion!);
  const covariates = o.covariates ? o.covariates.split(',').map((c) => c.trim()).filter(Boolean) : [];
  const clip = parseClip(o.clip);
  const answer = await waitingFor(client(o).post<EqtlAnswer>('/v1/queries/eqtl', {
    gene: o.gene, chrom: span.chrom, start: span.start, end: span.end, window, ...(o.cohort ? { cohort: o.cohort } : {}), ...(covariates.length ? { covariates } : {}),
    ...(clip !== undefined ? { clip } : {}),
  }));
  if (o.format === 'json') await writeOut([`${JSON.stringify(answer)}\n`]);
  else {
    const table = [`${EQTL_TSV_HEADER}\n`, ...answer.rows.map((r) => `${eqtlTsvLine(r)}\n`)];
    await writeOut(o.format === 'csv' ? csvSync(table) : table);
  }
  const tested = answer.rows.filter((r) => r.p !== null).length;
  const withheld = answer.rows.filter((r) => r.note === 'withheld').length;
  process.stderr.write(`genofed: query ${answer.queryId}: ${o.gene} in ${answer.region}: ${answer.rows.length} variants, ${tested} tested, ${withheld} withheld by the nodes; n = ${answer.n} (${answer.values === 'counts' ? 'log-CPM' : 'log values'}), model ~ ${answer.design.slice(1).join(' + ')}; ${sitesLine(answer.sites)}\n`);
  const dp = dpLine(answer.dp);
  if (dp) process.stderr.write(`genofed: ${dp}; ${answer.rows.filter((r) => r.note === 'noise').length} variants without a model under the noise (note noise)\n`);
  const note = disclosureLine(answer);
  if (note) process.stderr.write(`genofed: ${note}\n`);
}

export function registerEqtlCommand(query: Command): void {
  common(query.command('eqtl'))
    .description('cis eQTL across the network: per variant within --window of the gene, lm(expression ~ dosage + covariates) from encrypted network sums; sorted by p')
    .requiredOption('--gene <id>', 'gene id as in the sites\' expression matrices')
    .option('--window <bases>', 'bases on each side of the gene (Matrix eQTL cisDist)', '1000000')
    .option('--annotation <file>', 'where the gene lies: GTF, BED or a gene/chrom/start/end TSV (read here; only the coordinates are sent)')
    .option('--gene-region <region>', 'where the gene lies, CHR:START-END (1-based), instead of --annotation')
    .option('--cohort <expr>', "restrict to patients matching a phenotype expression, e.g. 'super_pop=EUR'")
    .option('--covariates <cols>', 'schema columns added to the model, comma-separated')
    .option('--clip <c>', 'every site clips each value to [-c, c] before summing (default 16 when the network has DP on, none otherwise)')
    .addOption(new Option('--format <format>', 'output format: TSV, CSV (RFC 4180, the same columns) or JSON').choices(['tsv', 'csv', 'json']).default('tsv'))
    .action(async (opts: QueryEqtlOptions) => runQueryEqtl(opts));
}
