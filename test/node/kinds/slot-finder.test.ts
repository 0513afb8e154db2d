/**
 * Placing a site's rows in a phase-1 union (node/kinds/allele-counts.kind.ts):
 * the forward walk gives every row the slot of its key in the union, across
 * contig spellings; rows that are not an in-order subsequence of the union
 * (a key the union lacks, or another order) are placed by key, and a key the
 * union lacks gets no slot.
 */
import { describe, expect, it } from 'vitest';
import { slotCursor, slotFinder } from '../../../node/kinds/allele-counts.kind.js';

const k = (chrom: string, pos: number, ref: string, alt: string) => ({ chrom, pos, ref, alt });
const union = [k('22', 10, 'A', 'C'), k('22', 10, 'A', 'G'), k('22', 15, 'T', 'TA'), k('22', 20, 'G', 'A'), k('X', 5, 'C', 'T')];

describe('slotFinder', () => {
  it('places an in-order subsequence with one walk, whatever the contig spelling', () => {
    expect(slotFinder(union)([k('chr22', 10, 'A', 'G'), k('chr22', 20, 'G', 'A'), k('chrX', 5, 'C', 'T')])).toEqual([1, 3, 4]);
    expect(slotFinder(union)([])).toEqual([]);
  });

  it('places rows out of order, and leaves a key the union lacks without a slot', () => {
    expect(slotFinder(union)([k('22', 20, 'G', 'A'), k('22', 10, 'A', 'C')])).toEqual([3, 0]);
    expect(slotFinder(union)([k('22', 10, 'A', 'C'), k('22', 12, 'A', 'C'), k('X', 5, 'C', 'T')])).toEqual([0, undefined, 4]);
  });
});

describe('slotCursor (rows one at a time, as a scan finds them)', () => {
  const each = (rows: ReturnType<typeof k>[]): (number | undefined)[] => {
    const next = slotCursor(union);
    return rows.map((r) => next(r.chrom, r.pos, r.ref, r.alt));
  };

  it('walks in order across contig spellings, falls back to keys for rows off the order, and gives no slot to a key the union lacks', () => {
    expect(each([k('chr22', 10, 'A', 'G'), k('chr22', 20, 'G', 'A'), k('chrX', 5, 'C', 'T')])).toEqual([1, 3, 4]);
    expect(each([k('22', 20, 'G', 'A'), k('22', 10, 'A', 'C')])).toEqual([3, 0]);
    expect(each([k('22', 10, 'A', 'C'), k('22', 12, 'A', 'C'), k('X', 5, 'C', 'T')])).toEqual([0, undefined, 4]);
    expect(each([k('22', 15, 'T', 'TA'), k('22', 10, 'A', 'G'), k('22', 20, 'G', 'A'), k('22', 99, 'A', 'T')])).toEqual([2, 1, 3, undefined]);
  });
});
