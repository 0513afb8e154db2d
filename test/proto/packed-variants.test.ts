/**
 * Packed variant batches (VariantBatch.packed, protocol 5): keys without
 * ids travel as the exact lines the signed list digest hashes, so hashing
 * the received bytes gives the digest of the keys; they decode back to the
 * same keys (indels, long alleles, several contigs, UTF-8 contig names);
 * a lookup's keys with ids stay messages; malformed lines are refused
 * naming the key's number, never its content.
 */
import { describe, expect, it } from 'vitest';
import { packVariantKeys, unpackVariantKeys, variantIdsFromWire, variantsFromWire, variantsToWire } from '../../proto/convert/variants.js';
import { VariantListHasher, variantListDigest } from '../../proto/query.js';

const keys = [
  { chrom: '22', pos: 16050075, ref: 'A', alt: 'G' },
  { chrom: '22', pos: 16050115, ref: 'G', alt: 'A' },
  { chrom: '22', pos: 16050213, ref: 'CTTT', alt: 'C' },
  { chrom: 'chrX', pos: 1, ref: 'A', alt: '<DEL>' },
  { chrom: 'HLA-A*01:01:01:01', pos: 2147483647, ref: 'ACGT'.repeat(100), alt: 'T' },
  { chrom: 'contig_ü', pos: 7, ref: 'N', alt: 'A' },
];

describe('packed variant batches', () => {
  it('round-trip the keys, and their bytes hash to the list digest', () => {
    const batch = variantsToWire(keys);
    expect(batch.variants).toEqual([]);
    expect(variantsFromWire(batch)).toEqual(keys);
    expect(variantIdsFromWire(batch)).toEqual(keys.map(() => ''));
    const h = new VariantListHasher();
    h.updatePacked(batch.packed, keys.length);
    expect(Buffer.from(h.digest()).equals(Buffer.from(variantListDigest(keys)))).toBe(true);
    expect(h.count).toBe(keys.length);
  });

  it('keep keys with rs ids as messages', () => {
    const batch = variantsToWire([{ ...keys[0]!, id: 'rs1' }]);
    expect(batch.packed.length).toBe(0);
    expect(variantIdsFromWire(batch)).toEqual(['rs1']);
  });

  it('refuse malformed lines by key number, without echoing the content', () => {
    const bad = (text: string): unknown => {
      try {
        unpackVariantKeys(Buffer.from(text));
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad('22\t1\tA\tG\n22\t0\tA\tG\n')).toBe('variant batch: packed key 2: POS is not a positive integer');
    expect(bad('22\t1\tA\tG')).toBe('variant batch: packed key 1: no line end');
    expect(bad('22\t1\tA\n')).toBe('variant batch: packed key 1: expected chrom, pos, ref and alt');
    expect(bad('22\t1\tA\tG\tSECRET\n')).toBe('variant batch: packed key 1: expected chrom, pos, ref and alt');
    expect(bad('22\t1\t\tG\n')).toBe('variant batch: packed key 1: an empty field');
    expect(bad('\t1\tA\tG\n')).toBe('variant batch: packed key 1: an empty field');
    expect(bad('22\t1e5\tA\tG\n')).toBe('variant batch: packed key 1: POS is not a positive integer');
    expect(bad('22\t2147483648\tA\tG\n')).toBe('variant batch: packed key 1: POS is not a positive integer');
    expect(() => variantsFromWire({ variants: [{ chrom: '1', pos: 1, ref: 'A', alt: 'C', id: '' }], packed: packVariantKeys(keys), names: [] })).toThrow(/both packed/);
  });
});
