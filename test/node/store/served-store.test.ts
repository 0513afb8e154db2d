/**
 * The node service uses the store only through node/server/ports.ts
 * (ServedStore): the Store keeps every method of that port with a
 * compatible signature (checked by the compiler here) and at run time.
 */
import { describe, expect, it } from 'vitest';
import type { ServedStore } from '../../../node/server/ports.js';
import { Store } from '../../../node/store/index.js';

/** Compiles only while a Store is a ServedStore. */
export const asServed = (s: Store): ServedStore => s;

describe('Store and the ServedStore port', () => {
  it('has every ServedStore method', () => {
    const methods: (keyof ServedStore)[] = ['summary', 'describe', 'alleleCounts', 'alleleCountsEach', 'cohortCount', 'variantKeys', 'variantKeyList', 'appendQueryLog', 'hasQueryId', 'cohortMembers', 'carrierMembers', 'phenotypeSchemaFingerprint', 'close'];
    for (const m of methods) expect(typeof Store.prototype[m], m).toBe('function');
  });
});
