/**
 * Slot alignment helpers of the engine: the union of the sites' keys in a
 * region list is in bcftools order, alias-aware (`chr22` at one site, `22`
 * at another is one slot) and reported as the stores spell the contig when
 * they agree (else as the region does); a requested list
 * keeps its order and asks each key once.
 */
import { describe, expect, it } from 'vitest';
import { unionOfKeys } from '../../../coordinator/federation/engine.js';
import { unionOfPackedKeys, type SiteKeys } from '../../../coordinator/federation/key-union.js';
import { PackedKeyList } from '../../../proto/convert/packed-key-list.js';
import { packVariantKeys, variantsFromWire } from '../../../proto/convert/variants.js';
import { variantListDigestHex } from '../../../proto/query.js';
import { compareVariantKeys, type VariantKey } from '../../../proto/variant.js';
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

  it('equals a set-and-sort union on random site lists, sorted or not, with repeats and keys outside the regions', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const bases = ['A', 'C', 'G', 'T', 'AT', 'GCA'];
    const regions = parseRegions('22:100-400,22:600-900,X');
    for (let trial = 0; trial < 30; trial++) {
      const sites = Array.from({ length: 1 + rnd(5) }, () => {
        const keys = Array.from({ length: rnd(200) }, () => ({ chrom: rnd(2) ? '22' : rnd(2) ? 'chrX' : '21', pos: 1 + rnd(1000), ref: bases[rnd(6)]!, alt: bases[rnd(6)]! }));
        // Honest sites send sorted lists; some trials send them as drawn.
        return rnd(2) ? keys : keys.sort((x, y) => (x.chrom === y.chrom ? 0 : x.chrom < y.chrom ? -1 : 1) || x.pos - y.pos || (x.ref < y.ref ? -1 : x.ref > y.ref ? 1 : 0) || (x.alt < y.alt ? -1 : x.alt > y.alt ? 1 : 0));
      });
      const expected: string[] = [];
      regions.forEach((r) => {
        const inside = new Set<string>();
        for (const k of sites.flat()) {
          const c = k.chrom.replace(/^chr/, '');
          if (c === r.chrom.replace(/^chr/, '') && k.pos >= r.start && k.pos <= r.end) inside.add(`${k.pos}\t${k.ref}\t${k.alt}`);
        }
        const sorted = [...inside].map((x) => x.split('\t')).sort((x, y) => Number(x[0]) - Number(y[0]) || (x[1]! < y[1]! ? -1 : x[1]! > y[1]! ? 1 : 0) || (x[2]! < y[2]! ? -1 : x[2]! > y[2]! ? 1 : 0));
        for (const x of sorted) expected.push(`${c(r.chrom)}:${x.join(':')}`);
      });
      function c(chrom: string): string {
        return chrom.replace(/^chr/, '');
      }
      expect(unionOfKeys(sites, regions).map((k) => `${c(k.chrom)}:${k.pos}:${k.ref}:${k.alt}`)).toEqual(expected);
    }
  });

  it('keeps a requested list in order and asks a repeated key (alias-aware) once', () => {
    const list = [{ chrom: '1', pos: 5, ref: 'A', alt: 'C' }, { chrom: '1', pos: 2, ref: 'G', alt: 'T' }, { chrom: 'chr1', pos: 5, ref: 'A', alt: 'C' }];
    expect(dedupeKeys(list)).toEqual(list.slice(0, 2));
  });
});

describe('packed phase-1 union (issue 11: the coordinator holds keys as packed lines)', () => {
  const toSite = (keys: readonly VariantKey[], rnd: (n: number) => number): SiteKeys => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < keys.length;) {
      const n = 1 + rnd(40);
      chunks.push(packVariantKeys(keys.slice(i, i + n)));
      i += n;
    }
    return { chunks, count: keys.length, contigs: new Set(keys.map((k) => k.chrom)) };
  };

  it('equals the object union on random site lists (sorted, unsorted, aliased contigs), and says when a list was out of order', () => {
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const bases = ['A', 'C', 'G', 'T', 'AT', 'GCA'];
    const regions = parseRegions('22:100-400,22:600-900,X,1:5-60');
    let fellBack = 0;
    let inOrder = 0;
    for (let trial = 0; trial < 60; trial++) {
      const sites = Array.from({ length: 1 + rnd(5) }, () => {
        const spell = rnd(2) ? 'chr' : '';
        const keys = Array.from({ length: rnd(300) }, () => ({ chrom: spell + ['22', 'X', '21', '1'][rnd(4)]!, pos: 1 + rnd(1000), ref: bases[rnd(6)]!, alt: bases[rnd(6)]! }));
        if (!rnd(3)) return keys;
        // As an honest node sends them: region by region (the merged regions' order), sorted within each.
        const merged = [...regions];
        const regionOf = (k: VariantKey): number => merged.findIndex((r) => r.chrom.replace(/^chr/, '') === k.chrom.replace(/^chr/, '') && k.pos >= r.start && k.pos <= r.end);
        return keys.filter((k) => regionOf(k) >= 0).sort((x, y) => regionOf(x) - regionOf(y) || compareVariantKeys(x, y));
      });
      const union = unionOfPackedKeys(sites.map((k) => toSite(k, rnd)), regions);
      const want = unionOfKeys(sites, regions);
      expect(Array.from({ length: union.list.length }, (_, i) => union.list.at(i))).toEqual(want);
      expect(union.list.digestHex()).toBe(variantListDigestHex(want));
      if (union.inOrder) inOrder++;
      else fellBack++;
    }
    // Both paths ran.
    expect(inOrder).toBeGreaterThan(5);
    expect(fellBack).toBeGreaterThan(5);
  });

  it('equals the object union when sites share most keys (ties taken in one step), in order, whatever each site spells the contig', () => {
    let seed = 29;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const bases = ['A', 'C', 'G', 'T', 'AT'];
    const regions = parseRegions('22:1-500,X');
    let shared = 0;
    for (let trial = 0; trial < 40; trial++) {
      // One pool of keys; each site holds most of it (as sites of one consortium do), sorted region by region.
      const pool = Array.from({ length: 50 + rnd(200) }, () => ({ contig: ['22', 'X'][rnd(2)]!, pos: 1 + rnd(500), ref: bases[rnd(5)]!, alt: bases[rnd(5)]! }));
      const regionOf = (k: VariantKey): number => (k.chrom.replace(/^chr/, '') === '22' ? 0 : 1);
      const sites = Array.from({ length: 2 + rnd(4) }, () => {
        const spell = rnd(3) === 0 ? 'chr' : '';
        return pool.filter(() => rnd(10) < 8).map((x) => ({ chrom: spell + x.contig, pos: x.pos, ref: x.ref, alt: x.alt }))
          .sort((x, y) => regionOf(x) - regionOf(y) || compareVariantKeys(x, y));
      });
      const union = unionOfPackedKeys(sites.map((k) => toSite(k, rnd)), regions);
      const want = unionOfKeys(sites, regions);
      expect(union.inOrder).toBe(true);
      expect([...union.list]).toEqual(want);
      expect(union.list.digestHex()).toBe(variantListDigestHex(want));
      shared += sites[0]!.length + sites[1]!.length - want.length;
    }
    // Keys held by two sites or more were merged (the tie path ran).
    expect(shared).toBeGreaterThan(1000);
  });

  it('merges sorted lists byte by byte, and a list with a non-ASCII allele through the object union (same result)', () => {
    const regions = parseRegions('22');
    const k = (pos: number, ref: string, alt: string): VariantKey => ({ chrom: '22', pos, ref, alt });
    const a = [k(5, 'A', 'C'), k(5, 'A', 'CA'), k(7, 'G', 'T')];
    const b = [k(5, 'A', 'C'), k(5, 'AT', 'A'), k(9, 'C', 'G')];
    const ascii = unionOfPackedKeys([a, b].map((x) => toSite(x, () => 0)), regions);
    expect(ascii.inOrder).toBe(true);
    expect([...ascii.list]).toEqual(unionOfKeys([a, b], regions));
    const c = [k(5, 'A', 'C'), k(6, 'A', 'Cé')];
    const other = unionOfPackedKeys([a, c].map((x) => toSite(x, () => 0)), regions);
    expect(other.inOrder).toBe(false);
    expect([...other.list]).toEqual(unionOfKeys([a, c], regions));
  });

  it('a packed list reads back, hashes and batches like the keys it holds', () => {
    const keys = Array.from({ length: 25_000 }, (_, i) => ({ chrom: 'chr7', pos: 1000 + i, ref: i % 7 ? 'A' : 'ACGT', alt: i % 5 ? 'G' : 'T' }));
    const list = PackedKeyList.from(keys);
    expect(list.length).toBe(keys.length);
    for (const i of [0, 1, 9_999, 10_000, 24_999]) expect(list.at(i)).toEqual(keys[i]);
    expect(list.at(25_000)).toBeUndefined();
    expect(list.digestHex()).toBe(variantListDigestHex(keys));
    expect(list.wireBatches().flatMap((b) => variantsFromWire(b))).toEqual(keys);
    expect([...list]).toEqual(keys);
  });
});
