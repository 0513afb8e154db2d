/** Shared by the counted kinds: a cohort's sorted member set. */
import { NodeError } from '../errors.js';
import type { ServedStore } from '../server/ports.js';

export async function cohortMembers(store: ServedStore, cohort: string | undefined): Promise<Uint32Array> {
  const m = await store.cohortMembers(cohort);
  if (!(m instanceof Uint32Array)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: unexpected stratified member set');
  return m;
}
