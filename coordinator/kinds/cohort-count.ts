/** Cohort counts at the coordinator: a cohort (and carriers of a list) -> the released count. */
import { cohortCount as spec, type CohortCountParams } from '../../proto/kinds/cohort-count.js';
import { variantListDigestHex } from '../../proto/query.js';
import { applyCohortThreshold } from '../disclosure/index.js';
import type { CohortCountAnswer, CohortCountRequest } from '../federation/types.js';
import { dedupeKeys } from './allele-frequency.js';
import type { CoordinatorKind } from './kind.js';

type Body = Pick<CohortCountAnswer, 'count'> & { readonly disclosure: NonNullable<CohortCountAnswer['disclosure']> };

export const cohortCount: CoordinatorKind<CohortCountRequest, Body> = {
  spec,
  plan: (req) => ({ variants: dedupeKeys(req.carriersOf ?? []) }),
  params: (req, carriers): CohortCountParams => ({
    kind: 'cohort-count', cohort: req.cohort, carrierCount: carriers.length, carriersSha256: carriers.length ? variantListDigestHex(carriers) : '',
  }),
  empty: (_req, ctx) => applyCohortThreshold(0, ctx.policy),
  answer: (totals, { ctx }) => applyCohortThreshold(totals[0]!, ctx.policy),
};
