/**
 * Slot alignment helpers of the engine: the union of the sites' keys in a
 * region list is in bcftools order, alias-aware (`chr22` at one site, `22`
 * at another is one slot) and reported as the stores spell the contig when
 * they agree (else as the region does); a requested list
 * keeps its order and asks each key once.
 */
import { describe, expect, it } from 'vitest';
import { unionOfKeys } from '../../../coordinator/federation/engine.js';
import { parseRegions } from '../../../proto/region.js';
import { dedupeKeys } from '../../../coordinator/kinds/allele-frequency.js';

describe('slot alignment', () => {
  it('forms one sorted slot per distinct variant across sites, whatever contig spelling each site uses', () => {
    const a = [{ chrom: 'chr22', pos: 300, ref: 'A', alt: 'G' }, { chrom: 'chr22', pos: 100, ref: 'C', alt: 'T' }];
    const b = [{ chrom: '22', pos: 100, ref: 'C', alt: 'T' }, { chrom: '22', pos: 100, ref: 'C', alt: 'A' }, { chrom: '22', pos: 200, ref: 'G', alt: 'GA' }];
    expect(unionOfKeys([a, b], parseRegions('22'))).toEqual([
      { chrom: '22', pos: 100, ref: 'C', alt: 'A' },
      { chrom: '22', pos: 100, ref: 'C', alt: 'T' },
      { chrom: '22', pos: 200, ref: 'G', alt: 'GA' },
      { chrom: '22', pos: 300, ref: 'A', alt: 'G' },
    ]);
  });

  it('drops keys of another contig a site might send', () => {
    expect(unionOfKeys([[{ chrom: '21', pos: 1, ref: 'A', alt: 'C' }]], parseRegions('chr22'))).toEqual([]);
  });

  it('a region list: regions in the order bcftools prints them, each key once, outside keys dropped; the stores\' spelling when they agree', () => {
    const site = [
      { chrom: 'chr2', pos: 50, ref: 'A', alt: 'G' }, { chrom: 'chr1', pos: 20, ref: 'C', alt: 'T' },
      { chrom: 'chr1', pos: 5, ref: 'A', alt: 'C' }, { chrom: 'chr1', pos: 500, ref: 'G', alt: 'T' }, { chrom: 'chr2', pos: 10, ref: 'T', alt: 'A' },
    ];
    // Regions named 2 first, then 1: bcftools prints contig 2's records first; 1:1-10 and 1:8-30 merge.
    expect(unionOfKeys([site, site.slice(0, 2)], parseRegions('2,1:8-30,1:1-10'))).toEqual([
      { chrom: 'chr2', pos: 10, ref: 'T', alt: 'A' }, { chrom: 'chr2', pos: 50, ref: 'A', alt: 'G' },
      { chrom: 'chr1', pos: 5, ref: 'A', alt: 'C' }, { chrom: 'chr1', pos: 20, ref: 'C', alt: 'T' },
    ]);
    // Sites that disagree on the spelling: the region's is used.
    expect(unionOfKeys([[{ chrom: 'chr1', pos: 5, ref: 'A', alt: 'C' }], [{ chrom: '1', pos: 6, ref: 'A', alt: 'C' }]], parseRegions('1:1-10')).map((k) => k.chrom)).toEqual(['1', '1']);
    expect(unionOfKeys([[{ chrom: 'chr1', pos: 5, ref: 'A', alt: 'C' }]], parseRegions('1:1-10'))[0]!.chrom).toBe('chr1');
  });

  it('keeps a requested list in order and asks a repeated key (alias-aware) once', () => {
    const list = [{ chrom: '1', pos: 5, ref: 'A', alt: 'C' }, { chrom: '1', pos: 2, ref: 'G', alt: 'T' }, { chrom: 'chr1', pos: 5, ref: 'A', alt: 'C' }];
    expect(dedupeKeys(list)).toEqual(list.slice(0, 2));
  });
});
