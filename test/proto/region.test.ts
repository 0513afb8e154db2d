import { describe, expect, it } from 'vitest';
import { formatRegion, parseRegion, REGION_END } from '../../proto/region.js';

describe('parseRegion', () => {
  it('parses CHR:START-END as 1-based inclusive', () => {
    expect(parseRegion('chr22:16050000-16060000')).toEqual({ chrom: 'chr22', start: 16_050_000, end: 16_060_000 });
  });
  it('accepts thousands separators in positions', () => {
    expect(parseRegion('1:1,000,000-2,000,000')).toEqual({ chrom: '1', start: 1_000_000, end: 2_000_000 });
  });
  it('reads CHR:POS as a single position and CHR alone as the whole contig', () => {
    expect(parseRegion('X:155')).toEqual({ chrom: 'X', start: 155, end: 155 });
    expect(parseRegion('MT')).toEqual({ chrom: 'MT', start: 1, end: REGION_END });
    expect(parseRegion('7:100-')).toEqual({ chrom: '7', start: 100, end: REGION_END });
  });
  it('keeps contig names that contain colons when a range follows', () => {
    expect(parseRegion('HLA-A*01:01:01:01:5-10')).toEqual({ chrom: 'HLA-A*01:01:01:01', start: 5, end: 10 });
  });
  it('rejects END before START, position 0 and malformed numbers with GENOFED_BAD_REGION', () => {
    for (const bad of ['1:200-100', '1:0-5', '1:12x', '1:1,00-5', '', 'chr 1']) {
      expect(() => parseRegion(bad), bad).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_REGION' }));
    }
  });
  it('formats back to the canonical text', () => {
    expect(formatRegion(parseRegion('2:5-9'))).toBe('2:5-9');
    expect(formatRegion(parseRegion('chrY'))).toBe('chrY');
  });
});
