/**
 * The linear model of the expression kinds, written once for both parties:
 * the design's columns (from the roster's schema and the researcher's
 * covariates), a sample's design row, and the order of the sums a site
 * sends (each as EXPR_LIMBS limbs: proto/expression.ts).
 *
 * Columns: `(Intercept)`, then the term of interest (`group`: 1 for group
 * A, 0 for group B, so its coefficient is A - B; or `dosage` for eQTL),
 * then per covariate: a categorical column as treatment contrasts against
 * its first schema value (`sexmale` for value `male`; R: the factor with
 * levels in schema order, `contr.treatment`), a numeric column as its value
 * (the stored bin lower edge). A sample missing any covariate is left out
 * of the model (R's lm drops such rows).
 */
import { ProtoError } from './errors.js';
import { findSchemaColumn, type PhenotypeSchema } from './phenotype-schema.js';
import { MAX_STRATA_CELLS, strataCells, type Population, type StratumCell } from './query.js';

export const MAX_COVARIATES = 10;

export type DesignSource =
  | { readonly kind: 'intercept' }
  | { readonly kind: 'term' }
  | { readonly kind: 'level'; readonly column: string; readonly value: string }
  | { readonly kind: 'numeric'; readonly column: string };

export interface DesignColumn {
  readonly name: string;
  readonly source: DesignSource;
}

/** The design's columns: intercept, the term (`group` or `dosage`), the covariates' columns. */
export function designColumns(schema: PhenotypeSchema, covariates: readonly string[], term: 'group' | 'dosage'): DesignColumn[] {
  if (covariates.length > MAX_COVARIATES) throw new ProtoError('GENOFED_BAD_COHORT', `covariates: at most ${MAX_COVARIATES}`);
  const out: DesignColumn[] = [{ name: '(Intercept)', source: { kind: 'intercept' } }, { name: term, source: { kind: 'term' } }];
  const seen = new Set<string>();
  for (const name of covariates) {
    const c = findSchemaColumn(schema, name);
    if (!c) throw new ProtoError('GENOFED_BAD_COHORT', `covariates: unknown column '${name}'; the consortium schema has: ${schema.columns.map((x) => x.name).join(', ') || 'no columns'}`);
    if (seen.has(c.name)) throw new ProtoError('GENOFED_BAD_COHORT', `covariates: '${c.name}' is given twice`);
    seen.add(c.name);
    if (c.type === 'categorical') {
      for (const v of c.values.slice(1)) out.push({ name: `${c.name}${v}`, source: { kind: 'level', column: c.name, value: v } });
    } else {
      out.push({ name: c.name, source: { kind: 'numeric', column: c.name } });
    }
  }
  return out;
}

/**
 * A sample's design row (real values; the node quantizes them), or null
 * when a covariate is missing. `term`: 1/0 for group A/B, or the dosage.
 */
export function designRow(columns: readonly DesignColumn[], term: number, value: (column: string) => string | number | null | undefined): Float64Array | null {
  const row = new Float64Array(columns.length);
  for (let j = 0; j < columns.length; j++) {
    const s = columns[j]!.source;
    if (s.kind === 'intercept') row[j] = 1;
    else if (s.kind === 'term') row[j] = term;
    else {
      const v = value(s.column);
      if (v === null || v === undefined || v === '') return null;
      if (s.kind === 'level') row[j] = String(v) === s.value ? 1 : 0;
      else {
        const x = typeof v === 'number' ? v : Number(v);
        if (!Number.isFinite(x)) return null;
        row[j] = x;
      }
    }
  }
  return row;
}

/** Entries of the upper triangle of X'X (i <= j), row by row. */
export function triangleSize(p: number): number {
  return (p * (p + 1)) / 2;
}

/** Index of X'X[i][j] (i <= j) in the triangle. */
export function triangleIndex(i: number, j: number, p: number): number {
  if (i > j) [i, j] = [j, i];
  return i * p - (i * (i - 1)) / 2 + (j - i);
}

/**
 * Differential expression's sums, in slot order (each EXPR_LIMBS limbs):
 * n, the X'X triangle, then per gene (in the signed gene order) X'y
 * (p values) and y'y.
 */
export function deSumCount(p: number, genes: number): number {
  return 1 + triangleSize(p) + genes * (p + 1);
}

/** Index of gene g's first sum (X'y[0]); y'y follows the p X'y sums. */
export function deGeneOffset(p: number, g: number): number {
  return 1 + triangleSize(p) + g * (p + 1);
}

/**
 * The cells of the design: every combination of the covariates' values
 * (categorical: schema values; numeric: bin lower edges), in strataCells
 * order. Every released sum is a linear combination of the per-cell sums
 * within each group (design values are constant in a cell), so when each
 * (group, cell) holds 0 or >= k people network-wide, no released value
 * isolates fewer than k people (THREAT-MODEL.md, "Expression answers").
 * No covariates: one cell, labelled ''.
 */
export function designCells(schema: PhenotypeSchema, covariates: readonly string[]): StratumCell[] {
  if (covariates.length === 0) return [{ label: '', values: [] }];
  const cells = strataCells(schema, covariates);
  if (2 * cells.length > MAX_STRATA_CELLS) throw new ProtoError('GENOFED_BAD_COHORT', `covariates: ${2 * cells.length} group x covariate cells, at most ${MAX_STRATA_CELLS}`);
  return cells;
}

/** The populations the nodes verify: each group, then each (group, cell), all refused when 1..k-1. */
export function designPopulations(schema: PhenotypeSchema, covariates: readonly string[]): Population[] {
  const cells = designCells(schema, covariates);
  const out: Population[] = [{ label: 'group_a', onSmall: 'refuse' }, { label: 'group_b', onSmall: 'refuse' }];
  if (covariates.length === 0) return out;
  for (const g of ['group_a', 'group_b']) for (const c of cells) out.push({ label: `${g} (${c.label})`, onSmall: 'refuse' });
  return out;
}
