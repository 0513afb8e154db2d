/**
 * The demo's case-control association: `association` queries through the
 * REST API as `genofed query assoc --cases EXPR --controls EXPR --region R`
 * sends them. Two contrasts over the same regions: EUR vs EAS, a positive
 * control (allele frequencies differ between continents at most common
 * variants: tiny p and a huge genomic inflation), and a random split of
 * the panel (`demo_arm`, demo-arm.ts), the null (lambda near 1). Each writes
 * its rows to a TSV, prints its top hits and a QQ-style summary, and its
 * printed rows' allele tables are checked against counts of the unsplit input.
 */
import type { ApiClient } from '../client/api-client.js';
import { ASSOC_TSV_HEADER, assocTsvLine, formatStat } from '../client/assoc-command.js';
import { disclosureLine } from '../client/format.js';
import { compileCohort, evaluateCohort } from '../../proto/cohort/index.js';
import { applyAlleleFrequencyPolicy, type DisclosurePolicy } from '../disclosure/index.js';
import type { QueryOutcome } from '../federation/types.js';
import type { AssociationBody, AssociationRow } from '../kinds/association.js';
import { allelicChiSquare, CHI_SQUARE_1DF_MEDIAN, genomicInflation } from '../stats/index.js';
import { DEMO_ARM_COLUMN } from './demo-arm.js';
import { clip, tableLines } from './demo-table.js';
import { comparisonKey, countByGroup, type GroupCounts, type PhenotypeTable, type SampleRecord } from './plaintext-reference.js';

export interface Contrast {
  readonly label: string;
  readonly cases: string;
  readonly controls: string;
  /** Output file in the demo folder. */
  readonly file: string;
  /** Top rows printed. */
  readonly shown: number;
}

export const EUR_VS_EAS: Contrast = { label: 'EUR vs EAS (positive control)', cases: "super_pop = 'EUR'", controls: "super_pop = 'EAS'", file: 'assoc-eur-vs-eas.tsv', shown: 10 };
export const RANDOM_ARMS: Contrast = { label: `random ${DEMO_ARM_COLUMN} A vs B (null)`, cases: `${DEMO_ARM_COLUMN} = 'A'`, controls: `${DEMO_ARM_COLUMN} = 'B'`, file: 'assoc-random-arms.tsv', shown: 5 };

/** True when the table can express the EUR vs EAS contrast (the 1000G panel can). */
export function hasSuperPop(table: PhenotypeTable): boolean {
  const values = new Set([...table.rows.values()].map((r) => r.super_pop));
  return table.columns.some((c) => c.name === 'super_pop') && values.has('EUR') && values.has('EAS');
}

export interface AssociationSection {
  readonly contrast: Contrast;
  readonly regions: readonly string[];
  /** Every row of every region, by p (then chi-square, largest first); rows without p last. */
  readonly rows: readonly AssociationRow[];
  /** Variants with a released allelic chi-square. */
  readonly tested: number;
  /** Genomic inflation over them (coordinator/stats genomicInflation); null when none. */
  readonly lambda: number | null;
  readonly qq: readonly QqPoint[];
  readonly shown: readonly AssociationRow[];
}

export function byP(a: AssociationRow, b: AssociationRow): number {
  if (a.p === null || b.p === null) return a.p === null ? (b.p === null ? 0 : 1) : -1;
  return a.p - b.p || (b.chisq ?? 0) - (a.chisq ?? 0);
}

export async function queryAssociation(api: ApiClient, c: Contrast, regions: readonly string[], guard: <T>(p: Promise<T>) => Promise<T>, signal: AbortSignal, log: (l: string) => void): Promise<AssociationSection> {
  const rows: AssociationRow[] = [];
  for (const region of regions) {
    const answer = await guard(api.post<AssociationBody & QueryOutcome>('/v1/queries/association', { cases: c.cases, controls: c.controls, region }, signal));
    rows.push(...answer.rows);
    log(`demo: association ${c.cases} vs ${c.controls} in ${region}: ${answer.rows.length} rows (query ${answer.queryId})`);
    const note = disclosureLine(answer);
    if (note) log(`demo: ${note}`);
  }
  rows.sort(byP);
  const p = rows.flatMap((r) => (r.p === null ? [] : [r.p]));
  return { contrast: c, regions, rows, tested: p.length, lambda: genomicInflation(rows.map((r) => r.chisq)), qq: qqSummary(p), shown: rows.slice(0, c.shown) };
}

export function assocTsv(rows: readonly AssociationRow[]): string {
  return `${ASSOC_TSV_HEADER}\n${rows.map((r) => `${assocTsvLine(r)}\n`).join('')}`;
}

export interface QqPoint {
  /** Rank among the sorted p-values (1 = smallest). */
  readonly rank: number;
  /** The quantile it stands for (rank / n), or null for rank 1. */
  readonly quantile: number | null;
  /** -log10 of the uniform expectation (rank - 0.5) / n, and of the observed p. */
  readonly expected: number;
  readonly observed: number;
}

/** Expected vs observed -log10 p at rank 1 and at the 0.1%, 1%, 10% and 50% quantiles (ranks ceil(q n)). */
export function qqSummary(p: readonly number[], quantiles: readonly number[] = [0.001, 0.01, 0.1, 0.5]): QqPoint[] {
  const n = p.length;
  if (n === 0) return [];
  const sorted = [...p].sort((a, b) => a - b);
  const points: QqPoint[] = [];
  const at = (rank: number, quantile: number | null): void => {
    if (points.some((x) => x.rank === rank)) return;
    points.push({ rank, quantile, expected: -Math.log10((rank - 0.5) / n), observed: -Math.log10(sorted[rank - 1]!) });
  };
  at(1, null);
  for (const q of quantiles) at(Math.min(n, Math.max(1, Math.ceil(q * n))), q);
  return points.sort((a, b) => a.rank - b.rank);
}

/** -log10 p with 2 decimals; p below the smallest double reads `>307`. */
function minusLog10(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '>307';
}

export function printTopHits(s: AssociationSection, log: (l: string) => void): void {
  const c = s.contrast;
  log('');
  log(`== association, ${c.label}: cases ${c.cases}, controls ${c.controls} (${s.regions.join(', ')}): top ${s.shown.length} of ${s.rows.length} variants by p (all in ${c.file})`);
  const cols = ['chrom', 'pos', 'ref', 'alt', 'ac_cases', 'an_cases', 'ac_controls', 'an_controls', 'chisq', 'p', 'or', 'p_fisher', 'p_trend'];
  const cell = (r: AssociationRow): string[] => [r.chrom, String(r.pos), clip(r.ref), clip(r.alt), String(r.ac_cases), String(r.an_cases), String(r.ac_controls), String(r.an_controls), ...[r.chisq, r.p, r.or, r.p_fisher, r.p_trend].map(formatStat)];
  for (const l of tableLines(cols, s.shown.map(cell))) log(l);
}

export function printQq(s: AssociationSection, log: (l: string) => void): void {
  log(`  QQ, ${s.contrast.label}: ${s.tested} variants tested (allelic chi-square released; the other ${s.rows.length - s.tested} are monomorphic in both groups or have a table cell withheld by disclosure control)`);
  log(`  genomic inflation lambda = median chi-square / ${CHI_SQUARE_1DF_MEDIAN.toFixed(7)} = ${s.lambda === null ? 'NA' : s.lambda.toFixed(3)}`);
  const rows = s.qq.map((q) => [String(q.rank), q.quantile === null ? 'top' : String(q.quantile), q.expected.toFixed(2), minusLog10(q.observed)]);
  for (const l of tableLines(['rank', 'quantile', 'expected -log10 p', 'observed -log10 p'], rows)) log(l);
}

/**
 * Mismatches between the printed rows' allele tables (AC and AN of cases
 * and of controls, as released) and counts of the unsplit input for the
 * same two cohorts (the shared evaluator on the phenotype table, not the
 * stores' SQL) under the same disclosure policy; and each released
 * chi-square against the one recomputed from the plaintext table (withheld
 * exactly when a plaintext cell is 1..k-1). Shows up to 5.
 */
export function checkAssociation(
  s: AssociationSection, records: readonly SampleRecord[], table: PhenotypeTable, genotyped: ReadonlySet<string>, policy: DisclosurePolicy, log: (l: string) => void,
): number {
  const cases = compileCohort(s.contrast.cases, table.columns);
  const controls = compileCohort(s.contrast.controls, table.columns);
  const groupOf = (id: string): number => {
    const row = table.rows.get(id);
    if (!row || !genotyped.has(id)) return -1;
    return evaluateCohort(cases, row) ? 0 : evaluateCohort(controls, row) ? 1 : -1;
  };
  const counts = new Map<string, GroupCounts[]>();
  for (const rec of records) for (const [key, c] of countByGroup(rec, 2, groupOf)) counts.set(key, c);
  const small = (x: number): boolean => x > 0 && x < policy.k;
  let bad = 0;
  const show = (l: string): void => {
    if (bad <= 5) log(`demo: MISMATCH ${l}`);
  };
  for (const r of s.shown) {
    const what = `${s.contrast.label} ${r.chrom}:${r.pos} ${r.ref}>${r.alt}`;
    const c = counts.get(comparisonKey(r));
    if (!c) {
      bad += 1;
      show(`${what}: no plaintext count for this row`);
      continue;
    }
    const [ca, co] = applyAlleleFrequencyPolicy(c, policy).rows;
    const t = { caseA1: c[0]!.ac, caseA2: c[0]!.an - c[0]!.ac, controlA1: c[1]!.ac, controlA2: c[1]!.an - c[1]!.ac };
    const chisq = Object.values(t).some(small) ? null : (allelicChiSquare(t)?.chisq ?? null);
    const same = chisq === null || r.chisq === null ? chisq === r.chisq : Math.abs(chisq - r.chisq) <= 1e-9 * Math.max(1, chisq);
    if (ca!.ac !== r.ac_cases || ca!.an !== r.an_cases || co!.ac !== r.ac_controls || co!.an !== r.an_controls) {
      bad += 1;
      show(`${what}: federated allele table ${r.ac_cases}/${r.an_cases} vs ${r.ac_controls}/${r.an_controls}, plaintext ${ca!.ac}/${ca!.an} vs ${co!.ac}/${co!.an}`);
    } else if (!same) {
      bad += 1;
      show(`${what}: chi-square ${formatStat(r.chisq)}, from the plaintext table ${formatStat(chisq)}`);
    }
  }
  return bad;
}
