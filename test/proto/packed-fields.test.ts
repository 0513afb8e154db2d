/**
 * Packed answers (proto/query.ts, protocol 7): the width for a bound, the
 * fields per slot, and the round trip that matters: values packed at each
 * site, masked mod t, summed over the sites, unmasked, unpacked, equal the
 * per-value network sums (computed here with plain additions), for widths
 * and site counts at their limits; a total beyond its field is refused.
 */
import { describe, expect, it } from 'vitest';
import { fieldsPerSlot, packBitsFor, packedLayout, packFields, PACKED_SLOT_BITS, unpackFields, blockLayout } from '../../proto/query.js';

const T = 1_073_692_673; // the default preset's plain modulus (a prime above 2^29)

describe('packed fields', () => {
  it('choose the narrowest width whose field holds the largest network total, and pack only when two fit a slot', () => {
    expect(packBitsFor(0)).toBe(1);
    expect(packBitsFor(1)).toBe(1);
    expect(packBitsFor(2)).toBe(2);
    expect(packBitsFor(603)).toBe(10);
    expect(packBitsFor(1023)).toBe(10);
    expect(packBitsFor(1024)).toBe(11);
    expect(packBitsFor(2 ** 14 - 1)).toBe(14);
    expect(packBitsFor(2 ** 14)).toBe(0);
    expect(fieldsPerSlot(10)).toBe(2);
    expect(fieldsPerSlot(9)).toBe(3);
    expect(fieldsPerSlot(0)).toBe(1);
    expect(2 ** PACKED_SLOT_BITS).toBeLessThan(T);
  });

  it('a packed layout holds ceil(values / fields) slots', () => {
    const l = blockLayout(['ac', 'an', 'nhomalt'], 1, 1_000_000, 8192);
    expect(l.ciphertextCount).toBe(367);
    const p = packedLayout(l, 10, 8192);
    expect(p.slots).toBe(1_500_000);
    expect(p.ciphertextCount).toBe(184);
    expect(packedLayout(l, 0, 8192).ciphertextCount).toBe(367);
  });

  it('masked sums of packed values unpack to the network sums (1-40 sites, widths 1-14, random masks mod t)', () => {
    let seed = 3;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    for (let trial = 0; trial < 200; trial++) {
      const sites = 1 + rnd(40);
      const bits = 1 + rnd(14);
      const n = 1 + rnd(50);
      // Each site's share of a field: network totals stay below 2^bits.
      const per = Math.floor((2 ** bits - 1) / sites);
      const values = Array.from({ length: sites }, () => Uint32Array.from({ length: n }, () => rnd(per + 1)));
      const want = Array.from({ length: n }, (_, i) => values.reduce((s, v) => s + v[i]!, 0));
      const packed = values.map((v) => packFields(v, bits));
      // Masks mod t that sum to 0 over the sites.
      const slots = packed[0]!.length;
      const masks = Array.from({ length: sites }, () => Array.from({ length: slots }, () => rnd(T)));
      for (let j = 0; j < slots; j++) masks[sites - 1]![j] = (T - masks.slice(0, -1).reduce((s, m) => (s + m[j]!) % T, 0)) % T;
      const sum = new Float64Array(slots);
      for (let s = 0; s < sites; s++) for (let j = 0; j < slots; j++) sum[j] = (sum[j]! + ((packed[s]![j]! + masks[s]![j]!) % T)) % T;
      expect([...unpackFields(sum, bits, n)]).toEqual(want);
    }
  });

  it('refuse a slot total that is not a sum of in-range fields', () => {
    expect(() => unpackFields(Float64Array.of(2 ** 20), 10, 2)).toThrow(/out of range/);
    expect(() => unpackFields(Float64Array.of(-1), 10, 2)).toThrow(/out of range/);
    expect([...unpackFields(Float64Array.of(3 + 5 * 1024), 10, 2)]).toEqual([3, 5]);
  });
});
