/**
 * `association`: case-control association per listed variant. For the
 * cases and for the controls (two cohorts of the roster's schema, disjoint:
 * every node checks its own samples), the counts of the 2x2 allele table
 * (AC, AN) and of the 2x3 genotype table (carriers of 0, 1, 2 copies of the
 * ALT allele: hom_ref, het, hom_alt, as the store classifies genotypes per
 * ALT). The nodes verify both groups' network sizes (>= k each); the
 * coordinator computes the statistics from the network totals.
 */
import { z } from 'zod';
import { ProtoError } from '../errors.js';
import { blockLayout, type QueryParams } from '../query.js';
import { REGION_LIST_MAX } from '../region.js';
import { uniformSensitivity } from '../dp-accounting.js';
import { hex64, parseWith, type QueryKindSpec } from './kind.js';

export interface AssociationParams extends QueryParams {
  readonly kind: 'association';
  readonly cases: string;
  readonly controls: string;
  readonly variantCount: number;
  readonly variantsSha256: string;
  /** The region the list is the union over (phase 1), or '' for a researcher's list. */
  readonly region: string;
}

/** Per variant and group, in slot order; block 0 the cases, block 1 the controls. */
export const ASSOCIATION_COUNTERS = Object.freeze(['ac', 'an', 'hom_ref', 'het', 'hom_alt']);

const schema = z.strictObject({
  kind: z.literal('association'),
  cases: z.string().min(1).max(10_000),
  controls: z.string().min(1).max(10_000),
  variantCount: z.number().int().min(0),
  variantsSha256: hex64,
  region: z.string().max(REGION_LIST_MAX),
});

export const association: QueryKindSpec<AssociationParams> = {
  kind: 'association',
  rpc: 'aggregate',
  parse: (raw) => parseWith(schema, raw, 'association') as AssociationParams,
  list: (p) => ({ count: p.variantCount, sha256: p.variantsSha256 }),
  region: (p) => p.region || undefined,
  cohorts: (p) => [p.cases, p.controls],
  populations: () => [{ label: 'cases', onSmall: 'refuse' }, { label: 'controls', onSmall: 'refuse' }],
  layout: (p, slotCount) => blockLayout(ASSOCIATION_COUNTERS, 2, p.variantCount, slotCount),
  // One person changes AC and AN by <= 2 and one genotype class by 1: 2 bounds every count.
  sensitivity: (_p, layout) => uniformSensitivity(2, layout.valueCount),
  // AC, AN <= 2 per person; each genotype class <= 1.
  fieldBound: () => ({ perPerson: 2, perSite: 0 }),
  audit: (p) => ({ cases: p.cases, controls: p.controls, variantCount: p.variantCount, variantsSha256: p.variantsSha256, region: p.region }),
  check(p, limits) {
    if (p.variantCount < 1 || p.variantCount > limits.maxVariants) throw new ProtoError('GENOFED_BAD_MESSAGE', `association: variant count must be 1..${limits.maxVariants}`);
  },
  impossible(_p, totals, samples, slack) {
    for (let i = 0; i + 4 < totals.length; i += 5) {
      const [ac, an, homRef, het, homAlt] = [totals[i]!, totals[i + 1]!, totals[i + 2]!, totals[i + 3]!, totals[i + 4]!];
      if (an > 2 * samples + slack) return 'AN above 2 x samples';
      if (ac > an + slack) return 'AC above AN';
      if (homRef + het + homAlt > samples + 3 * slack) return 'genotypes above the samples';
    }
    return undefined;
  },
};
