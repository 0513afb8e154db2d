/**
 * Slot alignment helpers of the engine: the union of the sites' keys in a
 * region is sorted, alias-aware (`chr22` at one site, `22` at another is
 * one slot) and reported with the region's spelling; a requested list
 * keeps its order and asks each key once.
 */
import { describe, expect, it } from 'vitest';
import { unionOfKeys } from '../../../coordinator/federation/engine.js';
import { dedupeKeys } from '../../../coordinator/kinds/allele-frequency.js';

describe('slot alignment', () => {
  it('forms one sorted slot per distinct variant across sites, whatever contig spelling each site uses', () => {
    const a = [{ chrom: 'chr22', pos: 300, ref: 'A', alt: 'G' }, { chrom: 'chr22', pos: 100, ref: 'C', alt: 'T' }];
    const b = [{ chrom: '22', pos: 100, ref: 'C', alt: 'T' }, { chrom: '22', pos: 100, ref: 'C', alt: 'A' }, { chrom: '22', pos: 200, ref: 'G', alt: 'GA' }];
    expect(unionOfKeys([a, b], '22')).toEqual([
      { chrom: '22', pos: 100, ref: 'C', alt: 'A' },
      { chrom: '22', pos: 100, ref: 'C', alt: 'T' },
      { chrom: '22', pos: 200, ref: 'G', alt: 'GA' },
      { chrom: '22', pos: 300, ref: 'A', alt: 'G' },
    ]);
  });

  it('drops keys of another contig a site might send', () => {
    expect(unionOfKeys([[{ chrom: '21', pos: 1, ref: 'A', alt: 'C' }]], 'chr22')).toEqual([]);
  });

  it('keeps a requested list in order and asks a repeated key (alias-aware) once', () => {
    const list = [{ chrom: '1', pos: 5, ref: 'A', alt: 'C' }, { chrom: '1', pos: 2, ref: 'G', alt: 'T' }, { chrom: 'chr1', pos: 5, ref: 'A', alt: 'C' }];
    expect(dedupeKeys(list)).toEqual(list.slice(0, 2));
  });
});
