/** BED regions: 0-based half-open coordinates, merging, and chr-prefix matching. */
import { describe, expect, it } from 'vitest';
import { parseBed } from '../../../node/pseudonymize/bed.js';

describe('BED regions', () => {
  it('treat start as 0-based inclusive and end as exclusive', async () => {
    const bed = await parseBed(['chr1\t100\t200'], 'p.bed');
    expect(bed.contains('chr1', 100)).toBe(false); // 1-based 100 = 0-based 99
    expect(bed.contains('chr1', 101)).toBe(true);
    expect(bed.contains('chr1', 200)).toBe(true);
    expect(bed.contains('chr1', 201)).toBe(false);
    expect(bed.overlaps('chr1', 199, 300)).toBe(true);
    expect(bed.overlaps('chr1', 200, 300)).toBe(false);
    expect(bed.overlaps('chr1', 0, 100)).toBe(false);
  });

  it('match contigs named chr22 and 22, chrM and MT', async () => {
    const bed = await parseBed(['22\t10\t20', 'chrM\t0\t100'], 'p.bed');
    expect(bed.contains('chr22', 15)).toBe(true);
    expect(bed.contains('22', 15)).toBe(true);
    expect(bed.contains('MT', 50)).toBe(true);
    expect(bed.contains('chr2', 15)).toBe(false);
  });

  it('merge overlapping and unsorted intervals and skip headers', async () => {
    const bed = await parseBed(['track name=x', '# c', 'chr1\t50\t60', 'chr1\t10\t30', 'chr1\t25\t40', '1\t39\t45', ''], 'p.bed');
    expect(bed.size).toBe(2);
    expect(bed.contains('chr1', 42)).toBe(true);
    expect(bed.contains('chr1', 47)).toBe(false);
    expect(bed.contains('chr1', 55)).toBe(true);
  });

  it('reject a malformed line with its line number and without its content', async () => {
    await expect(parseBed(['chr1\t1\t5', 'SECRET\tx\t9'], 'p.bed')).rejects.toThrow(/p\.bed: line 2/);
    await expect(parseBed(['SECRET\t9\t1'], 'p.bed')).rejects.not.toThrow(/SECRET/);
    await expect(parseBed(['# only a comment'], 'p.bed')).rejects.toThrow(/no regions/);
  });
});
