/**
 * The node's side of packed answers (node/server/packing.ts): every node
 * derives the same width from the signed parameters and the verified
 * network sizes; no packing with noise, for a kind without a field bound,
 * or under a plain modulus too small for a packed slot; a value above what
 * this site's population allows refuses the query instead of carrying into
 * the next field.
 */
import { describe, expect, it } from 'vitest';
import { checkOwnFields, packBitsOf } from '../../../node/server/packing.js';
import { alleleCounts, type AlleleCountsParams } from '../../../proto/kinds/allele-counts.js';
import { association } from '../../../proto/kinds/association.js';
import { cohortCount } from '../../../proto/kinds/cohort-count.js';
import type { QueryParams } from '../../../proto/query.js';

const T = 1_073_692_673n;
const region: AlleleCountsParams = { kind: 'allele-counts', cohort: '', variantCount: 2, variantsSha256: '0'.repeat(64), strata: [], region: '22' };
const list: AlleleCountsParams = { ...region, region: '' };

describe('packBitsOf', () => {
  it('takes the width from the largest block\'s network total (2 per person, plus 1 per site for a list\'s sites counter)', () => {
    expect(packBitsOf(alleleCounts, region, [7512], 1, 3, false, T)).toBe(14); // 2 x 7,512 = 15,024 < 2^14
    expect(packBitsOf(alleleCounts, region, [300], 1, 3, false, T)).toBe(10); // 600 < 1,024
    expect(packBitsOf(alleleCounts, list, [511], 1, 3, false, T)).toBe(11); // 1,022 + 3 = 1,025 >= 1,024
    expect(packBitsOf(alleleCounts, region, [100, 4000, 20], 3, 3, false, T)).toBe(13); // the largest block decides
    // Association's blocks are cases and controls.
    expect(packBitsOf(association, { kind: 'association' } as unknown as QueryParams, [60, 600], 2, 4, false, T)).toBe(11);
  });

  it('does not pack with noise, for a kind without a field bound, above two fields, or under a small plain modulus', () => {
    expect(packBitsOf(alleleCounts, region, [300], 1, 3, true, T)).toBe(0);
    expect(packBitsOf(cohortCount, { kind: 'cohort-count' } as unknown as QueryParams, [300], 1, 3, false, T)).toBe(0);
    expect(packBitsOf(alleleCounts, region, [8192], 1, 3, false, T)).toBe(0); // 16,384 needs 15 bits: one per slot
    expect(packBitsOf(alleleCounts, region, [300], 1, 3, false, 2n ** 29n - 3n)).toBe(0);
    // A block without a verified size: no packing.
    expect(packBitsOf(alleleCounts, region, [300], 2, 3, false, T)).toBe(0);
  });
});

describe('checkOwnFields', () => {
  const members = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

  it('returns this site\'s largest value (at least 1) when every block keeps to its bound', () => {
    expect(checkOwnFields(alleleCounts, region, Uint32Array.of(3, 10, 1, 0, 10, 0), 1, [members(5)])).toBe(10);
    expect(checkOwnFields(alleleCounts, region, new Uint32Array(6), 2, [members(5), members(0)])).toBe(1);
  });

  it('refuses a value above 2 per person of its own block (it would carry into the next field)', () => {
    expect(() => checkOwnFields(alleleCounts, region, Uint32Array.of(3, 11, 1), 1, [members(5)])).toThrow(expect.objectContaining({ code: 'GENOFED_QUERY_MALFORMED' }));
    // Block 2 has 2 members: AN 5 is more than they can carry, though block 1 could.
    expect(() => checkOwnFields(alleleCounts, region, Uint32Array.of(0, 10, 0, 0, 5, 0), 2, [members(5), members(2)])).toThrow(/exceeds/);
  });
});
