/**
 * `genofed query expr --group-a EXPR --group-b EXPR [--covariates COL,...]
 * [--genes FILE] [--trend] [--clip C]`: differential expression across the network.
 * TSV columns `gene logfc ave_expr t p adj_p`, sorted by p, full precision
 * (shortest round-trip decimals); JSON with `--format json`. The model, the
 * prior and the disclosure note go to stderr.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { parseCohort } from '../../proto/cohort/index.js';
import { CoordinatorError } from '../errors.js';
import type { DifferentialExpressionAnswer } from '../federation/expression.js';
import type { DeRow } from '../stats/index.js';
import { common, type QueryCommonOptions } from './cli.js';
import { disclosureLine, sitesLine } from './format.js';
import { csvSync } from './csv.js';
import { waitingFor } from './progress.js';
import { withOperatorPath } from '../../proto/operator-path.js';

export interface QueryExprOptions extends QueryCommonOptions {
  groupA: string;
  groupB: string;
  covariates?: string;
  genes?: string;
  trend?: boolean;
  clip?: string;
  format: 'tsv' | 'csv' | 'json';
}

/** `--clip`: a non-negative number (the coordinator checks its range and whether DP needs one). */
export function parseClip(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const c = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(c) && c >= 0)) throw new CoordinatorError('GENOFED_USAGE', `--clip: a non-negative number, got '${text}'`);
  return c;
}

/** The DP line of an expression answer's stderr (null with DP off). */
export function dpLine(dp: { clip: number; epsilonPerRound: number; sums: readonly { sum: string; sd: number }[] } | null): string | null {
  if (!dp) return null;
  return `DP on: values clipped to [-${dp.clip}, ${dp.clip}], epsilon ${dp.epsilonPerRound} per round (2 rounds); noise sd per network sum: ${dp.sums.map((s) => `${s.sum} ${s.sd.toPrecision(3)}`).join(', ')}`;
}

export const EXPR_TSV_HEADER = 'gene\tlogfc\tave_expr\tt\tp\tadj_p';

export function exprTsvLine(r: DeRow): string {
  return [r.gene, r.logfc, r.ave_expr, r.t, r.p, r.adj_p].map(String).join('\t');
}

/** Gene ids, one per line (first whitespace-separated field; `#` comments and blank lines skipped). */
export async function readGenesFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `--genes: cannot read ${basename(path)}`, { cause }), path);
  }
  const genes: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const g = line.trim().split(/\s+/)[0] ?? '';
    if (g && !g.startsWith('#')) genes.push(g);
  }
  if (genes.length === 0) throw new CoordinatorError('GENOFED_USAGE', `--genes: ${path} names no gene`);
  return genes;
}

export async function runQueryExpr(o: QueryExprOptions): Promise<void> {
  const { client, writeOut } = await import('./query-commands.js');
  parseCohort(o.groupA);
  parseCohort(o.groupB);
  const covariates = o.covariates ? o.covariates.split(',').map((c) => c.trim()).filter(Boolean) : [];
  const genes = o.genes !== undefined ? await readGenesFile(o.genes) : undefined;
  const clip = parseClip(o.clip);
  const answer = await waitingFor(client(o).post<DifferentialExpressionAnswer>('/v1/queries/expression', {
    groupA: o.groupA, groupB: o.groupB, ...(covariates.length ? { covariates } : {}), ...(genes ? { genes } : {}), ...(o.trend ? { trend: true } : {}),
    ...(clip !== undefined ? { clip } : {}),
  }));
  if (o.format === 'json') await writeOut([`${JSON.stringify(answer)}\n`]);
  else {
    const table = [`${EXPR_TSV_HEADER}\n`, ...answer.rows.map((r) => `${exprTsvLine(r)}\n`)];
    await writeOut(o.format === 'csv' ? csvSync(table) : table);
  }
  const up = answer.rows.filter((r) => r.adj_p < 0.05 && r.logfc > 0).length;
  const down = answer.rows.filter((r) => r.adj_p < 0.05 && r.logfc < 0).length;
  process.stderr.write(`genofed: query ${answer.queryId}: ${answer.rows.length} genes (${answer.values === 'counts' ? 'log-CPM' : 'log values'}), n = ${answer.n}, model ~ ${answer.design.slice(1).join(' + ')}; ${up} up and ${down} down at 5% FDR; ${sitesLine(answer.sites)}\n`);
  if (answer.genesNotAtEverySite > 0) process.stderr.write(`genofed: ${answer.genesNotAtEverySite} genes not held by every site were not tested\n`);
  const dp = dpLine(answer.dp);
  if (dp) process.stderr.write(`genofed: ${dp}; ${answer.dp!.genesNotFitted.length} genes not fitted (noisy residual variance <= 0)\n`);
  const note = disclosureLine(answer);
  if (note) process.stderr.write(`genofed: ${note}\n`);
}

export function registerExprCommand(query: Command): void {
  common(query.command('expr'))
    .description('differential expression across the network, group A vs group B: limma moderated t on log-CPM (counts) or log values, from encrypted network sums; sorted by p')
    .requiredOption('--group-a <expr>', "cohort expression of group A, e.g. 'condition=treated'")
    .requiredOption('--group-b <expr>', "cohort expression of group B (disjoint from A), e.g. 'condition=untreated'")
    .option('--covariates <cols>', 'schema columns added to the model, comma-separated')
    .option('--genes <file>', 'test only the gene ids in this file, one per line')
    .option('--trend', 'limma eBayes(trend = TRUE): prior variance follows average expression')
    .option('--clip <c>', 'every site clips each value to [-c, c] before summing (default 16 when the network has DP on, none otherwise)')
    .addOption(new Option('--format <format>', 'output format: TSV, CSV (RFC 4180, the same columns) or JSON').choices(['tsv', 'csv', 'json']).default('tsv'))
    .action(async (opts: QueryExprOptions) => runQueryExpr(opts));
}
