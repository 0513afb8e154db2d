/**
 * `allele-counts`: AC, AN and nhomalt of every listed variant (slot i =
 * variant i), for the cohort (all genotyped samples when empty), then for
 * each cell of the strata columns (the roster schema's values). The list
 * is a researcher's (looked up) or a phase-1 union over `region` (one
 * region scan, placed by key).
 */
import { z } from 'zod';
import { ProtoError } from '../errors.js';
import type { PhenotypeSchema } from '../phenotype-schema.js';
import { blockLayout, strataCells, type QueryParams } from '../query.js';
import { REGION_LIST_MAX } from '../region.js';
import { uniformSensitivity } from '../dp-accounting.js';
import { hex64, parseWith, type QueryKindSpec } from './kind.js';

export interface AlleleCountsParams extends QueryParams {
  readonly kind: 'allele-counts';
  /** Cohort expression ('' = all genotyped samples). */
  readonly cohort: string;
  readonly variantCount: number;
  readonly variantsSha256: string;
  /** Stratification columns of the roster's schema ([] = none). */
  readonly strata: readonly string[];
  /** The region the list is the union over (phase 1), or '' for a researcher's list. */
  readonly region: string;
}

/** Per variant, in slot order. */
export const ALLELE_COUNTERS = Object.freeze(['ac', 'an', 'nhomalt']);
/**
 * Over a researcher's list, a fourth counter: 1 at each site that holds the
 * record, so the network total says whether any site observed it (`exists`)
 * rather than leaving an unknown variant looking like missing data (AN 0).
 * A region's union holds only observed keys, so region queries need none.
 */
export const LIST_COUNTERS = Object.freeze(['ac', 'an', 'nhomalt', 'sites']);

/** Whether the answer carries the `sites` counter (a researcher's list, not a phase-1 union). */
export function withSites(p: AlleleCountsParams): boolean {
  return p.region === '';
}

const schema = z.strictObject({
  kind: z.literal('allele-counts'),
  cohort: z.string().max(10_000),
  variantCount: z.number().int().min(0),
  variantsSha256: hex64,
  strata: z.array(z.string().min(1).max(63)).max(3),
  // A region list (proto/region.ts canonicalRegions), or '' for a researcher's list.
  region: z.string().max(REGION_LIST_MAX),
});

function cells(p: AlleleCountsParams, s: PhenotypeSchema): number {
  return p.strata.length > 0 ? strataCells(s, p.strata).length : 0;
}

export const alleleCounts: QueryKindSpec<AlleleCountsParams> = {
  kind: 'allele-counts',
  rpc: 'aggregate',
  parse: (raw) => parseWith(schema, raw, 'allele-counts') as AlleleCountsParams,
  list: (p) => ({ count: p.variantCount, sha256: p.variantsSha256 }),
  region: (p) => p.region || undefined,
  cohorts: (p) => (p.cohort.trim() ? [p.cohort] : []),
  // A stratum cell under k is withheld (its block zero everywhere), with more cells when needed so that
  // the cohort minus the released cells is 0 or >= k people (proto/query.ts populationsToWithhold);
  // a cohort under k refuses the query.
  populations: (p, s) => [
    { label: 'cohort', onSmall: 'refuse' },
    ...(p.strata.length
      ? [...strataCells(s, p.strata).map((c) => ({ label: c.label, onSmall: 'withhold' as const })), { label: 'cohort members in no stratum', onSmall: 'withhold' as const, sizeOnly: true as const }]
      : []),
  ],
  layout: (p, slotCount, s) => blockLayout(withSites(p) ? LIST_COUNTERS : ALLELE_COUNTERS, 1 + cells(p, s), p.variantCount, slotCount),
  // AC and AN of a diploid site change by <= 2 when one person is added or removed.
  sensitivity: (_p, layout) => uniformSensitivity(2, layout.valueCount),
  // AC, AN <= 2 per person (diploid; nhomalt <= 1); `sites` is 1 per site.
  fieldBound: (p) => ({ perPerson: 2, perSite: withSites(p) ? 1 : 0 }),
  audit: (p) => ({ cohort: p.cohort, variantCount: p.variantCount, variantsSha256: p.variantsSha256, strata: [...p.strata], region: p.region }),
  check(p, limits) {
    if (p.variantCount < 1 || p.variantCount > limits.maxVariants) throw new ProtoError('GENOFED_BAD_MESSAGE', `allele-counts: variant count must be 1..${limits.maxVariants}`);
    const values = (1 + cells(p, limits.schema)) * p.variantCount;
    if (values > limits.maxVariants * 3) throw new ProtoError('GENOFED_BAD_MESSAGE', `allele-counts: variants x strata cells exceed ${limits.maxVariants} (limits.maxVariants)`);
  },
  impossible(p, totals, samples, slack) {
    const n = withSites(p) ? 4 : 3;
    for (let i = 0; i + 2 < totals.length; i += n) {
      const ac = totals[i]!;
      const an = totals[i + 1]!;
      const nhomalt = totals[i + 2]!;
      if (an > 2 * samples + slack) return 'AN above 2 x samples';
      if (ac > an + slack) return 'AC above AN';
      if (nhomalt > ac + slack) return 'nhomalt above AC';
    }
    return undefined;
  },
};
