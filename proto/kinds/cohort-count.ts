/**
 * `cohort-count`: the number of genotyped patients matching a cohort
 * expression, or of its carriers of any of a streamed variant list. The
 * nodes verify the cohort's and the carriers' network sizes, so the count
 * released is 0 or >= k whatever the key holder asks.
 */
import { z } from 'zod';
import { ProtoError } from '../errors.js';
import { blockLayout, type QueryParams } from '../query.js';
import { uniformSensitivity } from '../dp-accounting.js';
import { hex64, parseWith, type QueryKindSpec } from './kind.js';

export interface CohortCountParams extends QueryParams {
  readonly kind: 'cohort-count';
  readonly cohort: string;
  /** Carriers of any of these variants (0: the cohort itself). */
  readonly carrierCount: number;
  /** Hex SHA-256 of the carrier list ('' without one). */
  readonly carriersSha256: string;
}

const schema = z.strictObject({
  kind: z.literal('cohort-count'),
  cohort: z.string().max(10_000),
  carrierCount: z.number().int().min(0),
  carriersSha256: z.union([hex64, z.literal('')]),
}).refine((p) => (p.carrierCount > 0) === (p.carriersSha256 !== ''), { message: 'a carrier list needs its digest, and only then', path: ['carriersSha256'] });

export const cohortCount: QueryKindSpec<CohortCountParams> = {
  kind: 'cohort-count',
  rpc: 'aggregate',
  parse: (raw) => parseWith(schema, raw, 'cohort-count') as CohortCountParams,
  list: (p) => (p.carrierCount > 0 ? { count: p.carrierCount, sha256: p.carriersSha256 } : undefined),
  region: () => undefined,
  cohorts: (p) => (p.cohort.trim() ? [p.cohort] : []),
  populations: (p) => (p.carrierCount > 0 ? [{ label: 'cohort', onSmall: 'refuse' }, { label: 'carriers', onSmall: 'refuse' }] : [{ label: 'cohort', onSmall: 'refuse' }]),
  layout: (_p, slotCount) => blockLayout(['patients'], 1, 0, slotCount),
  // A count of people changes by 1 when one person is added or removed.
  sensitivity: () => uniformSensitivity(1, 1),
  audit: (p) => ({ cohort: p.cohort, carrierCount: p.carrierCount, carriersSha256: p.carriersSha256 }),
  check(p, limits) {
    if (p.carrierCount > limits.maxVariants) throw new ProtoError('GENOFED_BAD_MESSAGE', `cohort-count: carrier list longer than ${limits.maxVariants}`);
  },
  impossible: (_p, totals, samples, slack) => (totals[0]! > samples + slack ? 'count above the samples' : undefined),
};
