/**
 * `variant-keys`: phase 1 of a region query. Each site lists its variant
 * keys in the region (no counts; revealed to the coordinator only, which
 * forms their sorted union: THREAT-MODEL.md, "Slot alignment").
 */
import { z } from 'zod';
import { ProtoError } from '../errors.js';
import type { QueryParams } from '../query.js';
import { parseRegions, REGION_LIST_MAX } from '../region.js';
import { LISTING_SPEC, parseWith, type QueryKindSpec } from './kind.js';

export interface VariantKeysParams extends QueryParams {
  readonly kind: 'variant-keys';
  /** A region list (proto/region.ts canonicalRegions): `CHR:START-END,...`, 1-based inclusive. */
  readonly region: string;
}

const schema = z.strictObject({ kind: z.literal('variant-keys'), region: z.string().min(1).max(REGION_LIST_MAX) });

export const variantKeys: QueryKindSpec<VariantKeysParams> = {
  kind: 'variant-keys',
  ...LISTING_SPEC,
  parse: (raw) => parseWith(schema, raw, 'variant-keys'),
  region: (p) => p.region,
  audit: (p) => ({ region: p.region }),
  check(p) {
    try {
      parseRegions(p.region);
    } catch (cause) {
      throw new ProtoError('GENOFED_BAD_REGION', 'variant-keys: the region does not parse', { cause });
    }
  },
};
