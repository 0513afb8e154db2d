/**
 * `expression-eqtl`: expression by genotype (cis). For one gene and each
 * listed variant (the phase-1 union of a window around the gene), the
 * regression of the gene's expression (log-CPM with the network mean
 * library size from `expression-scale`, or the values as ingested) on the
 * ALT allele's dosage plus covariates, over the cohort's analysed samples
 * whose genotype at that variant is called (R's lm drops NA rows). Each
 * site sends per variant n, X'X, X'y and y'y (the layout of
 * `expression-de` with one gene), exact, as limbs.
 *
 * What the nodes verify (THREAT-MODEL.md, "Expression by genotype"): every
 * analysed cell (cohort x covariate cell) is 0 or >= k, or the query is
 * refused; per variant, every (genotype class x covariate cell) is 0 or
 * >= k, or that variant is withheld (its block zero at every site); and a
 * variant that a site "thins" is withheld too: a site thins a variant
 * whose carrier, hom-alt or called set differs by 1..k-1 of its patients
 * from that of a variant kept earlier in the list or from a set this
 * coordinator was already answered for (two such variants' sums would
 * subtract to a few patients' expression). Which sites thin is learnt in
 * the size round: an indicator population per variant, summed masked, so
 * the coordinator learns only the union, from the zero blocks.
 */
import { z } from 'zod';
import { ProtoError } from '../errors.js';
import { EXPR_LIMB_COUNTERS } from '../expression.js';
import { checkExpressionDp, designBounds, familiesSensitivity, MAX_EXPR_CLIP, modelFamilies, type DpSumFamily } from '../expression-dp.js';
import { deSumCount, designCells, designColumns, MAX_COVARIATES } from '../expression-design.js';
import type { PhenotypeSchema } from '../phenotype-schema.js';
import { blockLayout, type Population, type QueryParams, type WithholdDecision } from '../query.js';
import { REGION_LIST_MAX } from '../region.js';
import { hex64, parseWith, type QueryKindSpec } from './kind.js';

export interface ExpressionEqtlParams extends QueryParams {
  readonly kind: 'expression-eqtl';
  readonly gene: string;
  /** Cohort expression ('' = every sample with expression values and genotypes). */
  readonly cohort: string;
  readonly covariates: readonly string[];
  readonly values: 'counts' | 'log';
  /** Counts: the network mean library size of the analysed samples; log: 0. */
  readonly meanLibSize: number;
  readonly variantCount: number;
  readonly variantsSha256: string;
  /** The window the list is the union over (phase 1). */
  readonly region: string;
  /** Each site clips y to [-clip, clip] before summing; 0: no clip (DP off only). */
  readonly clip: number;
}

/** The DP families of the released sums (proto/expression-dp.ts): every variant's n, X'X, X'y, y'y. */
export function eqtlFamilies(p: ExpressionEqtlParams, schema: PhenotypeSchema): DpSumFamily[] {
  return modelFamilies(designBounds(designColumns(schema, p.covariates, 'dosage'), schema, 2), p.clip, 1, p.variantCount);
}

/** Genotype classes by ALT dosage: 0, 1, 2 copies. */
export const DOSAGE_CLASSES = 3;

/** Most variants one eQTL query tests (a 2 Mb window of 1000 Genomes holds ~60,000). */
export const MAX_EQTL_VARIANTS = 100_000;

/** Sums per variant: n, the X'X triangle, X'y (p), y'y (expression-de's layout with one gene). */
export function eqtlSumsPerVariant(p: number): number {
  return deSumCount(p, 1);
}

/**
 * Where each population of an eQTL query sits in the list the size round
 * sizes: `V` variant blocks (the called samples of each variant), then the
 * analysed cells, then per variant every (class, cell), then per variant
 * the thinning indicator.
 */
export interface EqtlPopulationIndex {
  readonly variants: number;
  readonly cells: number;
  readonly cellAt: (l: number) => number;
  readonly classCellAt: (v: number, c: number, l: number) => number;
  readonly thinnedAt: (v: number) => number;
  readonly total: number;
}

export function eqtlPopulationIndex(variants: number, cells: number): EqtlPopulationIndex {
  const V = variants;
  const L = cells;
  return {
    variants: V,
    cells: L,
    cellAt: (l) => V + l,
    classCellAt: (v, c, l) => V + L + (v * DOSAGE_CLASSES + c) * L + l,
    thinnedAt: (v) => V + L + V * DOSAGE_CLASSES * L + v,
    total: V + L + V * DOSAGE_CLASSES * L + V,
  };
}

function eqtlPopulations(p: ExpressionEqtlParams, schema: PhenotypeSchema): Population[] {
  const cells = designCells(schema, p.covariates);
  const ix = eqtlPopulationIndex(p.variantCount, cells.length);
  const out: Population[] = [];
  for (let v = 0; v < ix.variants; v++) out.push({ label: `variant ${v + 1}`, onSmall: 'withhold' });
  for (const c of cells) out.push({ label: c.label ? `analysed cell (${c.label})` : 'analysed samples', onSmall: 'refuse', sizeOnly: true });
  for (let v = 0; v < ix.variants; v++) for (let k = 0; k < DOSAGE_CLASSES; k++) for (const c of cells) out.push({ label: `variant ${v + 1} dosage ${k}${c.label ? ` (${c.label})` : ''}`, onSmall: 'withhold', sizeOnly: true });
  for (let v = 0; v < ix.variants; v++) out.push({ label: `variant ${v + 1} thinned`, onSmall: 'withhold', sizeOnly: true });
  return out;
}

/**
 * Every node decides the same from the same network sizes: an analysed
 * cell of 1..k-1 refuses the query; a variant is withheld when its called
 * samples, or one of its (class, cell) populations, number 1..k-1, or when
 * any site thinned it. No withheld mass here: no block covers all samples
 * (each variant's block is over its own called samples, verified itself).
 */
export function eqtlWithhold(p: ExpressionEqtlParams, schema: PhenotypeSchema, sizes: readonly number[], k: number): WithholdDecision {
  const L = designCells(schema, p.covariates).length;
  const ix = eqtlPopulationIndex(p.variantCount, L);
  if (sizes.length !== ix.total) return { refuse: 'population list' };
  const small = (n: number): boolean => n > 0 && n < k;
  for (let l = 0; l < L; l++) if (small(sizes[ix.cellAt(l)]!)) return { refuse: L === 1 ? 'analysed samples' : 'analysed cell' };
  const withheld: number[] = [];
  for (let v = 0; v < ix.variants; v++) {
    let out = small(sizes[v]!) || sizes[ix.thinnedAt(v)]! > 0;
    for (let c = 0; !out && c < DOSAGE_CLASSES; c++) for (let l = 0; !out && l < L; l++) out = small(sizes[ix.classCellAt(v, c, l)]!);
    if (out) withheld.push(v);
  }
  return { withheld };
}

const schema = z.strictObject({
  kind: z.literal('expression-eqtl'),
  gene: z.string().min(1).max(200),
  cohort: z.string().max(10_000),
  covariates: z.array(z.string().min(1).max(63)).max(MAX_COVARIATES),
  values: z.enum(['counts', 'log']),
  meanLibSize: z.number().finite().min(0),
  variantCount: z.number().int().min(1).max(MAX_EQTL_VARIANTS),
  variantsSha256: hex64,
  region: z.string().min(1).max(REGION_LIST_MAX),
  clip: z.number().finite().min(0).max(MAX_EXPR_CLIP),
}).refine((p) => (p.values === 'counts') === (p.meanLibSize > 0), { message: 'a mean library size with counts, and only then', path: ['meanLibSize'] });

export const expressionEqtl: QueryKindSpec<ExpressionEqtlParams> = {
  kind: 'expression-eqtl',
  rpc: 'aggregate',
  parse: (raw) => parseWith(schema, raw, 'expression-eqtl') as ExpressionEqtlParams,
  list: (p) => ({ count: p.variantCount, sha256: p.variantsSha256 }),
  region: (p) => p.region,
  cohorts: (p) => (p.cohort.trim() ? [p.cohort] : []),
  populations: eqtlPopulations,
  withhold: eqtlWithhold,
  layout: (p, slotCount, s) => blockLayout(EXPR_LIMB_COUNTERS, p.variantCount, eqtlSumsPerVariant(designColumns(s, p.covariates, 'dosage').length), slotCount),
  sensitivity: (p, _layout, schema) => familiesSensitivity(eqtlFamilies(p, schema)),
  dpNoise: 'sums',
  audit: (p) => ({ gene: p.gene, cohort: p.cohort, covariates: [...p.covariates], values: p.values, meanLibSize: p.meanLibSize, variantCount: p.variantCount, variantsSha256: p.variantsSha256, region: p.region, clip: p.clip }),
  check(p, limits) {
    if (p.variantCount > limits.maxVariants) throw new ProtoError('GENOFED_BAD_MESSAGE', `expression-eqtl: variant count must be 1..${limits.maxVariants}`);
    designColumns(limits.schema, p.covariates, 'dosage');
    designCells(limits.schema, p.covariates);
    if (limits.dpEpsilon > 0) checkExpressionDp('expression-eqtl', p.clip, eqtlFamilies(p, limits.schema), limits.dpEpsilon);
  },
  impossible: () => undefined,
};
