/**
 * Which samples a query counts: the cohort expression compiled to a
 * parameterized SQL WHERE over the phenotype table (proto/cohort), and the
 * stratum of each selected sample under `by`; then, per file, which of its
 * columns are in which stratum (what aggregate.ts counts over).
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { NodeError } from '../errors.js';
import { compileCohort, cohortToSql, quoteIdent, type CohortAst } from '../../proto/cohort/index.js';
import type { FileCohort } from './aggregate.js';
import type { Catalog } from './catalog.js';

/** Stratum label of samples with no value in the `by` column. */
export const MISSING_STRATUM = 'NA';

export interface SampleSelection {
  /** Store sample index -> stratum index, for every selected sample. */
  readonly stratumOf: Map<number, number>;
  /** Stratum labels in output order ([''] without `by`). */
  readonly strata: string[];
}

/** True for an absent or blank cohort: every sample of the population (genotyped, or with expression values). */
export function isEveryone(cohort: string | CohortAst | undefined): boolean {
  return cohort === undefined || (typeof cohort === 'string' && cohort.trim() === '');
}

/**
 * Disjoint groups given as cohort expressions (case-control: cases, then
 * controls): stratum i is group i (labels '0', '1', ...); a sample matching
 * several groups counts in the first only (callers that need disjoint
 * groups check that first).
 */
export async function selectGroups(c: DuckDBConnection, catalog: Catalog, groups: readonly string[]): Promise<SampleSelection> {
  const stratumOf = new Map<number, number>();
  for (const [i, g] of groups.entries()) {
    const sel = await selectSamples(c, catalog, g, undefined);
    for (const idx of sel.stratumOf.keys()) if (!stratumOf.has(idx)) stratumOf.set(idx, i);
  }
  return { stratumOf, strata: groups.map((_, i) => String(i)) };
}

/**
 * Which samples a cohort is drawn from: `genotyped` (the samples of the VCF
 * files: every genotype query) or `expression` (the samples of the
 * expression matrix, genotyped or not: the expression queries).
 */
export type Population = 'genotyped' | 'expression';

/**
 * Samples of the cohort (all samples of the population when none) with
 * their stratum index; strata sorted (numerically for numeric columns), NA
 * last.
 */
export async function selectSamples(c: DuckDBConnection, catalog: Catalog, cohort: string | CohortAst | undefined, by: string | readonly string[] | undefined, population: Population = 'genotyped'): Promise<SampleSelection> {
  const schema = catalog.phenotypeColumns;
  const params: DuckDBValue[] = [];
  // The samples table also holds samples known only from an expression matrix (none when there is no matrix:
  // a matrix is replaced, never removed, so every identity of a store without one is genotyped).
  const conditions = population === 'genotyped' && catalog.expression !== null ? ['s.sample_idx IN (SELECT sample_idx FROM file_samples)'] : [];
  if (!isEveryone(cohort)) {
    const compiled = cohortToSql(compileCohort(cohort!, schema), { columnSql: (n) => `p.${quoteIdent(n)}` });
    conditions.push(`(${compiled.sql})`);
    params.push(...compiled.params);
  }
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const from = population === 'expression' ? 'expression_samples e JOIN samples s USING (sample_idx)' : 'samples s';
  const byNames = by === undefined ? [] : typeof by === 'string' ? [by] : [...by];
  const byCols = byNames.map((name) => {
    const col = schema.find((x) => x.name === name) ?? schema.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!col) {
      throw new NodeError('GENOFED_USAGE', `--by: unknown phenotype column '${name}'; known columns: ${schema.map((x) => x.name).join(', ') || 'none (no phenotypes loaded)'}`);
    }
    return col;
  });
  const join = schema.length > 0 ? 'LEFT JOIN phenotypes p ON p._genofed_sample = s.sample_id' : '';
  const stratumSql = byCols.length ? byCols.map((x) => `p.${quoteIdent(x.name)}`).join(', ') : 'NULL';
  const rows = (await c.runAndReadAll(`SELECT s.sample_idx, ${stratumSql} FROM ${from} ${join} ${where}`, params)).getRows();
  const stratumOf = new Map<number, number>();
  if (byCols.length === 0) {
    for (const r of rows) stratumOf.set(Number(r[0]), 0);
    return { stratumOf, strata: [''] };
  }
  const plain = (v: DuckDBValue): number | string | null => (v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as number | string));
  // Sort key per stratum: each column's value (numbers numerically), NA last.
  const values = new Map<string, (number | string)[] | null>();
  const labelOf = (r: DuckDBValue[]): string => {
    const vs = byCols.map((_, i) => plain(r[i + 1]!));
    if (vs.some((v) => v === null)) {
      if (!values.has(MISSING_STRATUM)) values.set(MISSING_STRATUM, null);
      return MISSING_STRATUM;
    }
    const label = vs.join(',');
    if (!values.has(label)) values.set(label, vs as (number | string)[]);
    return label;
  };
  const labels = rows.map(labelOf);
  const strata = [...values.keys()].sort((a, b) => {
    const x = values.get(a)!;
    const y = values.get(b)!;
    if (x === null) return 1;
    if (y === null) return -1;
    for (let i = 0; i < x.length; i++) {
      const p = x[i]!;
      const q = y[i]!;
      if (typeof p === 'number' && typeof q === 'number') { if (p !== q) return p - q; continue; }
      const ps = String(p);
      const qs = String(q);
      if (ps !== qs) return ps < qs ? -1 : 1;
    }
    return 0;
  });
  const index = new Map(strata.map((st, i) => [st, i]));
  rows.forEach((r, i) => stratumOf.set(Number(r[0]), index.get(labels[i]!)!));
  return { stratumOf, strata };
}

/** Selections kept per catalog snapshot (a write replaces the snapshot, so they cannot go stale). */
const SELECTIONS_KEPT = 32;
const kept = new WeakMap<Catalog, Map<string, Promise<SampleSelection & { files: Map<number, FileCohort> }>>>();

/**
 * selectSamples (or selectGroups) and fileStrata, remembered per catalog
 * snapshot and request: a repeated cohort query skips its SQL (~1.5 ms of
 * a ~10 ms warm cohort query on IL2RA). The phenotype and sample tables
 * change only through the store's writes, which replace the snapshot. The
 * most recent SELECTIONS_KEPT requests are kept; a failed selection is
 * not. Callers must not change what they get.
 */
export function selectionFor(c: DuckDBConnection, catalog: Catalog, q: { cohort?: string | CohortAst | undefined; by?: string | readonly string[] | undefined; groups?: readonly string[] | undefined }): Promise<SampleSelection & { files: Map<number, FileCohort> }> {
  // A cohort AST is plain data: its JSON names it as well as the text does.
  const key = JSON.stringify([q.cohort ?? null, q.by ?? null, q.groups ?? null]);
  let m = kept.get(catalog);
  if (!m) kept.set(catalog, (m = new Map()));
  const hit = m.get(key);
  if (hit) {
    // Most recently used last.
    m.delete(key);
    m.set(key, hit);
    return hit;
  }
  const p = (async () => {
    const sel = q.groups ? await selectGroups(c, catalog, q.groups) : await selectSamples(c, catalog, q.cohort, q.by);
    return { ...sel, files: fileStrata(catalog, sel.stratumOf, sel.strata.length) };
  })();
  m.set(key, p);
  p.catch(() => { if (m.get(key) === p) m.delete(key); });
  if (m.size > SELECTIONS_KEPT) m.delete(m.keys().next().value!);
  return p;
}

/** Per file: column -> stratum (-1 outside the cohort), samples per stratum, cohort members. */
export function fileStrata(catalog: Catalog, stratumOf: Map<number, number>, nStrata: number): Map<number, FileCohort> {
  const out = new Map<number, FileCohort>();
  for (const [fileId, cols] of catalog.fileSamples) {
    const s = new Int32Array(cols.length);
    const inFile = new Int32Array(nStrata);
    const members: number[] = [];
    const memberStratum: number[] = [];
    for (let i = 0; i < cols.length; i++) {
      const st = stratumOf.get(cols[i]!);
      s[i] = st ?? -1;
      if (st !== undefined) {
        inFile[st]!++;
        members.push(i);
        memberStratum.push(st);
      }
    }
    out.set(fileId, { stratumOf: s, inFile, members: Int32Array.from(members), memberStratum: Int32Array.from(memberStratum) });
  }
  return out;
}
