/**
 * The demo's differential expression (issue 12). The demo sites' samples
 * get a synthetic RNA-seq count matrix (synthetic-expression.ts: negative
 * binomial counts with planted effects between the random `demo_arm`
 * groups and by the panel's gender), split by site with the VCFs and
 * ingested with `--expression`. The researcher asks `demo_arm = 'A'` vs
 * `demo_arm = 'B'` with gender as covariate through the REST API, as
 * `genofed query expr` does; the demo prints a volcano-style summary (genes
 * up and down at 5% FDR, the top genes), how many planted genes it found,
 * and checks every released number against the same model fitted on the
 * plaintext sums of the unsplit matrix.
 */
import type { ApiClient } from '../client/api-client.js';
import { EXPR_TSV_HEADER, exprTsvLine } from '../client/expr-command.js';
import type { DifferentialExpressionAnswer } from '../federation/expression.js';
import { differentialExpressionTable } from '../stats/index.js';
import { EXPR_FRACTION_BITS, logCpm, quantize } from '../../proto/expression.js';
import { DEMO_ARM_COLUMN } from './demo-arm.js';
import { tableLines } from './demo-table.js';
import type { PhenotypeTable } from './plaintext-reference.js';
import { readDosages } from './synthetic-expression-genotypes.js';
import { syntheticExpression, type SyntheticExpression } from './synthetic-expression.js';

export const EXPRESSION_FILE = 'expression-arms.tsv';
export const EXPRESSION_GENES = 4_000;
export const EXPRESSION_SEED = 2012;
export const GROUP_A = `${DEMO_ARM_COLUMN} = 'A'`;
export const GROUP_B = `${DEMO_ARM_COLUMN} = 'B'`;
export const COVARIATE = 'gender';

/** Planted cis-eQTL genes of the demo (of CIS_GENES placed around the genotyped window). */
export const EQTL_GENES = 12;
const CIS_GENES = 40;

/**
 * The demo's matrix over `ids` (in this order): planted effects between the
 * table's demo arms and by its gender column, and, with `genotypesVcf` (a
 * VCF holding every id: the demo's first), cis-eQTL on its real genotypes.
 */
export function demoExpression(ids: readonly string[], table: PhenotypeTable, genotypesVcf?: string): SyntheticExpression {
  const row = (id: string) => table.rows.get(id)!;
  const arms = new Map(ids.map((id) => [id, row(id)[DEMO_ARM_COLUMN] === 'A' ? 'A' as const : 'B' as const]));
  const panel = new Map(ids.map((id) => [id, { sample: id, pop: String(row(id).pop ?? ''), superPop: String(row(id).super_pop ?? ''), sex: row(id).gender === 'male' ? 'male' as const : 'female' as const }]));
  const eqtl = genotypesVcf ? { genes: EQTL_GENES, cisGenes: CIS_GENES, genotypes: readDosages(genotypesVcf, ids) } : undefined;
  return syntheticExpression({ samples: ids, genes: EXPRESSION_GENES, seed: EXPRESSION_SEED, groups: arms, panel, covariates: { sex: 0.05, age: 0, batch: 0 }, ...(eqtl ? { eqtl } : {}) });
}

/** A matrix's columns as TSV (gene id, then the samples in `columns`), counts as integers. */
export function matrixText(data: SyntheticExpression, columns: readonly number[]): string {
  const S = data.samples.length;
  const lines = [['gene_id', ...columns.map((j) => data.samples[j]!)].join('\t')];
  for (let g = 0; g < data.genes.length; g++) {
    const row = [data.genes[g]!.id];
    for (const j of columns) row.push(String(data.matrix[g * S + j]!));
    lines.push(row.join('\t'));
  }
  return `${lines.join('\n')}\n`;
}

export interface ExpressionSection {
  readonly answer: DifferentialExpressionAnswer;
  readonly up: number;
  readonly down: number;
  /** Planted group effects (|log2 FC| > 0) and how many of them are called at 5% FDR. */
  readonly planted: number;
  readonly found: number;
  /** Calls at 5% FDR that are not planted. */
  readonly falseCalls: number;
  /** Released numbers that differ from the plaintext fit. */
  readonly mismatches: number;
}

/**
 * The plaintext reference: the same model on the unsplit matrix, from sums
 * computed here in integers (log-CPM with the mean library size of the
 * analysed samples, quantized as the nodes do), fitted by coordinator/stats.
 */
export function plaintextTable(data: SyntheticExpression, arm: ReadonlyMap<string, string>, gender: ReadonlyMap<string, string>, dummyLevel: string) {
  const S = data.samples.length;
  const used = data.samples.map((s, j) => ({ s, j })).filter(({ s }) => (arm.get(s) === 'A' || arm.get(s) === 'B') && (gender.get(s) === 'male' || gender.get(s) === 'female'));
  const lib = used.map(({ j }) => {
    let t = 0;
    for (let g = 0; g < data.genes.length; g++) t += data.matrix[g * S + j]!;
    return t;
  });
  const mean = lib.reduce((a, b) => a + b, 0) / used.length;
  // Design: intercept, group (A = 1), the gender dummy the network's design names (gendermale: female is the schema's first value).
  const rows = used.map(({ s }) => [1, arm.get(s) === 'A' ? 1 : 0, gender.get(s) === dummyLevel ? 1 : 0].map((x) => BigInt(quantize(x))));
  const p = 3;
  const xtx = new Array<bigint>(p * p).fill(0n);
  for (const r of rows) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) xtx[a * p + b]! += r[a]! * r[b]!;
  const xty = new Array<bigint>(data.genes.length * p).fill(0n);
  const yty = new Array<bigint>(data.genes.length).fill(0n);
  for (let g = 0; g < data.genes.length; g++) {
    used.forEach(({ j }, i) => {
      const y = BigInt(quantize(logCpm(data.matrix[g * S + j]!, lib[i]!, mean)));
      for (let a = 0; a < p; a++) xty[g * p + a]! += rows[i]![a]! * y;
      yty[g]! += y * y;
    });
  }
  const genes = data.genes.map((x) => x.id);
  const order = genes.map((_, g) => g).sort((x, y) => (genes[x]! < genes[y]! ? -1 : 1));
  return differentialExpressionTable({
    n: used.length, xtx, unit: 2 ** (-2 * EXPR_FRACTION_BITS),
    xty: order.flatMap((g) => xty.slice(g * p, g * p + p)), yty: order.map((g) => yty[g]!),
  }, { genes: order.map((g) => genes[g]!), coefficient: 1, trend: false });
}

export async function queryExpression(api: ApiClient, guard: <T>(p: Promise<T>) => Promise<T>, log: (l: string) => void): Promise<DifferentialExpressionAnswer> {
  const answer = await guard(api.post<DifferentialExpressionAnswer>('/v1/queries/expression', { groupA: GROUP_A, groupB: GROUP_B, covariates: [COVARIATE] }));
  log(`demo: differential expression ${GROUP_A} vs ${GROUP_B} (+ ${COVARIATE}): ${answer.rows.length} genes, n = ${answer.n}, from ${answer.sites.responding.join(', ')} (query ${answer.queryId})`);
  return answer;
}

export function checkExpression(answer: DifferentialExpressionAnswer, data: SyntheticExpression, arm: ReadonlyMap<string, string>, gender: ReadonlyMap<string, string>): ExpressionSection {
  const reference = new Map(plaintextTable(data, arm, gender, (answer.design[2] ?? '').slice(COVARIATE.length)).rows.map((r) => [r.gene, r]));
  let mismatches = 0;
  for (const r of answer.rows) {
    const want = reference.get(r.gene);
    // The same integer sums reach the same code: equal to the last bit.
    if (!want || want.logfc !== r.logfc || want.t !== r.t || want.p !== r.p || want.adj_p !== r.adj_p || want.ave_expr !== r.ave_expr) mismatches += 1;
  }
  if (answer.rows.length !== reference.size) mismatches += Math.abs(answer.rows.length - reference.size);
  const truth = new Map(data.truth.map((t) => [t.gene, t.deLog2fc]));
  const called = answer.rows.filter((r) => r.adj_p < 0.05);
  const planted = data.truth.filter((t) => t.deLog2fc !== 0).length;
  return {
    answer, mismatches, planted,
    up: called.filter((r) => r.logfc > 0).length,
    down: called.filter((r) => r.logfc < 0).length,
    found: called.filter((r) => (truth.get(r.gene) ?? 0) !== 0).length,
    falseCalls: called.filter((r) => (truth.get(r.gene) ?? 0) === 0).length,
  };
}

export function expressionTsv(answer: DifferentialExpressionAnswer): string {
  return `${EXPR_TSV_HEADER}\n${answer.rows.map((r) => `${exprTsvLine(r)}\n`).join('')}`;
}

/** The volcano-style summary: counts at 5% FDR, the planted recovery, the top genes. */
export function printExpression(x: ExpressionSection, log: (l: string) => void, shown = 8): void {
  const a = x.answer;
  log(`demo: expression: ${x.up} genes up and ${x.down} down in A vs B at 5% FDR (BH) of ${a.rows.length}; model ~ ${a.design.slice(1).join(' + ')}, limma prior df ${a.dfPrior === null ? 'Inf' : a.dfPrior.toFixed(2)}`);
  log(`demo: expression: ${x.found} of the ${x.planted} planted genes found, ${x.falseCalls} calls not planted (${(100 * x.falseCalls / Math.max(1, x.up + x.down)).toFixed(1)}% false discovery)`);
  const f = (v: number, d: number): string => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(d));
  // p below the smallest double prints as a bound; ties (p = 0) shown by |t|.
  const pv = (p: number): string => (p === 0 ? '<1e-308' : p.toExponential(2));
  const top = [...a.rows].sort((x, y) => x.p - y.p || Math.abs(y.t) - Math.abs(x.t)).slice(0, shown);
  for (const line of tableLines(['gene', 'logFC', 'AveExpr', 't', 'P', 'adj.P'], top.map((r) => [r.gene, f(r.logfc, 2), f(r.ave_expr, 2), f(r.t, 2), pv(r.p), pv(r.adj_p)]))) log(line);
}
