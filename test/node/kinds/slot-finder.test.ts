/**
 * Placing a site's rows in a phase-1 union (node/kinds/slot-cursor.ts):
 * the forward walk gives every row the slot of its key in the union, across
 * contig spellings; rows that are not an in-order subsequence of the union
 * (a key the union lacks, or another order) are placed by key, and a key the
 * union lacks gets no slot.
 */
import { describe, expect, it } from 'vitest';
import { slotCursor, slotFinder } from '../../../node/kinds/slot-cursor.js';
import { PackedKeyList } from '../../../proto/convert/packed-key-list.js';
import type { KeyList } from '../../../proto/variant.js';

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

describe.each([
  ['keys', (): KeyList => union],
  ['a packed union, walked in place', (): KeyList => PackedKeyList.from(union)],
])('slotCursor over %s (rows one at a time, as a scan finds them)', (_name, list) => {
  const each = (rows: ReturnType<typeof k>[]): (number | undefined)[] => {
    const next = slotCursor(list());
    return rows.map((r) => next(r.chrom, r.pos, r.ref, r.alt));
  };

  it('walks in order across contig spellings, falls back to keys for rows off the order, and gives no slot to a key the union lacks', () => {
    expect(each([k('chr22', 10, 'A', 'G'), k('chr22', 20, 'G', 'A'), k('chrX', 5, 'C', 'T')])).toEqual([1, 3, 4]);
    expect(each([k('22', 20, 'G', 'A'), k('22', 10, 'A', 'C')])).toEqual([3, 0]);
    expect(each([k('22', 10, 'A', 'C'), k('22', 12, 'A', 'C'), k('X', 5, 'C', 'T')])).toEqual([0, undefined, 4]);
    expect(each([k('22', 15, 'T', 'TA'), k('22', 10, 'A', 'G'), k('22', 20, 'G', 'A'), k('22', 99, 'A', 'T')])).toEqual([2, 1, 3, undefined]);
    // A prefix of an allele is another allele (T vs TA), and a near miss in each field finds nothing.
    expect(each([k('22', 15, 'T', 'T'), k('22', 15, 'T', 'TA')])).toEqual([undefined, 2]);
    expect(each([k('22', 10, 'A', 'T'), k('22', 10, 'C', 'G'), k('23', 10, 'A', 'C')])).toEqual([undefined, undefined, undefined]);
  });
});

describe('slotCursor: a packed union equals the key list on random unions and row streams', () => {
  it('gives every row the same slot (300 trials: subsequences, shuffled rows, keys the union lacks, multi-base and non-ASCII alleles)', () => {
    let seed = 7;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const alleles = ['A', 'C', 'G', 'T', 'AC', 'ACG', 'TT', '<DEL>', 'AÉ'];
    for (let trial = 0; trial < 300; trial++) {
      const keys = new Map<string, ReturnType<typeof k>>();
      for (let i = 0; i < 1 + rnd(40); i++) {
        const key = k(rnd(2) ? '22' : 'chr22', 1 + rnd(30), alleles[rnd(alleles.length)]!, alleles[rnd(alleles.length)]!);
        keys.set(`${key.pos}\t${key.ref}\t${key.alt}`, key);
      }
      const sorted = [...keys.values()].sort((a, b) => a.pos - b.pos || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0) || (a.alt < b.alt ? -1 : a.alt > b.alt ? 1 : 0));
      const u = sorted.map((x) => k('22', x.pos, x.ref, x.alt));
      let rows = u.filter(() => rnd(3) > 0).map((x) => k(rnd(2) ? 'chr22' : '22', x.pos, x.ref, x.alt));
      if (rnd(4) === 0) rows.splice(rnd(rows.length + 1), 0, k('22', 1 + rnd(30), 'G', 'GGG'));
      if (rnd(4) === 0) rows = rows.reverse();
      const viaKeys = slotCursor(u);
      const viaPacked = slotCursor(PackedKeyList.from(u));
      for (const r of rows) expect(viaPacked(r.chrom, r.pos, r.ref, r.alt)).toBe(viaKeys(r.chrom, r.pos, r.ref, r.alt));
    }
  });
});
