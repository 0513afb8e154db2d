import { describe, expect, it } from 'vitest';
import { isRsId, normalizeContig, parseRsId, parseVariantItems, parseVariantKey, parseVariantList, variantKeyString, variantMatchKey } from '../../proto/variant.js';

describe('variant keys', () => {
  it('parses the three accepted forms to the same key', () => {
    const want = { chrom: '22', pos: 16050075, ref: 'A', alt: 'G' };
    expect(parseVariantKey('22 16050075 A G')).toEqual(want);
    expect(parseVariantKey('22\t16050075\tA\tG')).toEqual(want);
    expect(parseVariantKey('22-16050075-A-G')).toEqual(want);
    expect(parseVariantKey('22:16050075:A:G')).toEqual(want);
  });
  it('keeps symbolic alleles and contig names with dashes', () => {
    expect(parseVariantKey('1-11722145-T-<CN0>')).toEqual({ chrom: '1', pos: 11722145, ref: 'T', alt: '<CN0>' });
    expect(parseVariantKey('1:5:A:<INS:ME:SVA>')).toEqual({ chrom: '1', pos: 5, ref: 'A', alt: '<INS:ME:SVA>' });
    expect(parseVariantKey('HLA-DRB1-10-A-C')).toEqual({ chrom: 'HLA-DRB1', pos: 10, ref: 'A', alt: 'C' });
  });
  it('has a canonical chrom-pos-ref-alt string', () => {
    expect(variantKeyString({ chrom: 'chrX', pos: 5, ref: 'AT', alt: 'A' })).toBe('chrX-5-AT-A');
  });
  it('treats chr22 and 22, chrM, M and MT as the same contig, in one rule', () => {
    expect(normalizeContig('chr22')).toBe(normalizeContig('22'));
    expect(normalizeContig('chrM')).toBe('MT');
    expect(normalizeContig('MT')).toBe('MT');
    expect(normalizeContig('chrx')).toBe('X');
    expect(normalizeContig('GL000191.1')).toBe('GL000191.1');
    expect(variantMatchKey({ chrom: 'chr1', pos: 1, ref: 'A', alt: 'C' })).toBe(variantMatchKey({ chrom: '1', pos: 1, ref: 'A', alt: 'C' }));
  });
  it('reports the line number of a bad line in a variants file', () => {
    const text = '# header\n22 1 A G\n\n22 x A G\n';
    expect(() => parseVariantList(text, 'list.txt')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_VARIANT', message: expect.stringContaining('list.txt line 4') }));
    expect(parseVariantList('22 1 A G\n22-2-C-T\n', 'l')).toHaveLength(2);
  });
  it('rejects position 0 and non-base REF alleles', () => {
    expect(() => parseVariantKey('1 0 A G')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_VARIANT' }));
    expect(() => parseVariantKey('1 5 <DEL> G')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_VARIANT' }));
  });
});

describe('rs ids in a variants file', () => {
  it('reads rs id lines as their own kind, mixed with keys, in file order, canonical lowercase', () => {
    expect(parseVariantItems('# list\nrs429358\n19-44908822-C-T\nRS7412\n')).toEqual([
      { kind: 'rsid', rsId: 'rs429358' },
      { kind: 'key', key: { chrom: '19', pos: 44908822, ref: 'C', alt: 'T' } },
      { kind: 'rsid', rsId: 'rs7412' },
    ]);
  });
  it('refuses malformed rs ids and names the line', () => {
    expect(() => parseVariantItems('rs12\nrs\n', 'l.txt')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_VARIANT', message: expect.stringContaining('l.txt line 2') }));
    expect(() => parseRsId('rs012')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_VARIANT' }));
    expect(isRsId('rs12x')).toBe(false);
  });
  it('keeps the key-only list parser for federated queries, refusing an rs id with what to do instead', () => {
    expect(() => parseVariantList('22 1 A G\nrs123\n', 'q.txt')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_VARIANT', message: 'q.txt line 2: an rs id is not accepted here; name the variant as CHR-POS-REF-ALT (genofed node query af resolves rs ids locally)' }));
  });
});
