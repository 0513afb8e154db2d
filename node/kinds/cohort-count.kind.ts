/** Cohort counts at the node: the cohort's members, and its carriers of the streamed list. */
import { cohortCount, type CohortCountParams } from '../../proto/kinds/cohort-count.js';
import { keysOf, type CountedNodeKind } from './kind.js';
import { cohortMembers } from './members.js';

export const kind: CountedNodeKind<CohortCountParams> = {
  spec: cohortCount,
  async members(store, p, _schema, carriers) {
    const cohort = await cohortMembers(store, p.cohort === '' ? undefined : p.cohort);
    return p.carrierCount > 0 ? [cohort, await store.carrierMembers(p.cohort, keysOf(carriers))] : [cohort];
  },
  // The count released is the size of the last population: the cohort, or its carriers.
  count: async (_store, _p, _schema, _list, members) => Uint32Array.of(members[members.length - 1]!.length),
};
