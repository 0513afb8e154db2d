/** Shared by the counted kinds: a cohort's sorted member set. */
import { NodeError } from '../errors.js';
import type { ServedStore } from '../server/ports.js';

export async function cohortMembers(store: ServedStore, cohort: string | undefined): Promise<Uint32Array> {
  const m = await store.cohortMembers(cohort);
  if (!(m instanceof Uint32Array)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: unexpected stratified member set');
  return m;
}

/** Whether two sorted member sets share a sample (groups that must be disjoint). */
export function overlap(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) return true;
    if (a[i]! < b[j]!) i++;
    else j++;
  }
  return false;
}
