import { describe, expect, it } from 'vitest';
import { formatRegion, inRegions, mergeRegions, parseRegion, parseRegions, parseRegionsFile, regionsTest, REGION_END } from '../../proto/region.js';

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

describe('parseRegion is strict', () => {
  it('refuses a non-numeric range after the colon instead of reading it as a contig name, naming what is wrong', () => {
    expect(() => parseRegion('2:abc-def')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_REGION', message: "region '2:abc-def': 'abc-def' after ':' is not POS, START-END or START- (a contig name containing ':' is written in braces, {name})" }));
    expect(() => parseRegion('2:')).toThrow(expect.objectContaining({ message: expect.stringContaining("nothing after ':'") }));
    expect(() => parseRegion('2:-5')).toThrow(expect.objectContaining({ message: expect.stringContaining('START is missing') }));
    expect(() => parseRegion('2:5-3')).toThrow(expect.objectContaining({ message: expect.stringContaining('END is before START') }));
    expect(() => parseRegion(':5-9')).toThrow(expect.objectContaining({ message: expect.stringContaining('contig name is empty') }));
    expect(() => parseRegion('2:1e6')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_REGION' }));
    expect(() => parseRegion(`2:1-${REGION_END + 1}`)).toThrow(expect.objectContaining({ message: expect.stringContaining('END must be from 1') }));
  });
  it('takes a contig name containing a colon in braces, as htslib does', () => {
    expect(parseRegion('{HLA-A*01:01}')).toEqual({ chrom: 'HLA-A*01:01', start: 1, end: REGION_END });
    expect(parseRegion('{HLA-A*01:01}:5-10')).toEqual({ chrom: 'HLA-A*01:01', start: 5, end: 10 });
    expect(formatRegion({ chrom: 'HLA-A*01:01', start: 1, end: REGION_END })).toBe('{HLA-A*01:01}');
    expect(() => parseRegion('{HLA')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_REGION' }));
  });
  it('formats an open end as START-', () => {
    expect(formatRegion(parseRegion('7:100-'))).toBe('7:100-');
  });
});

describe('parseRegions (bcftools -r lists)', () => {
  it('reads each form bcftools takes, separated by commas', () => {
    expect(parseRegions('1:100-200,X,2:5,7:100-')).toEqual([
      { chrom: '1', start: 100, end: 200 },
      { chrom: 'X', start: 1, end: REGION_END },
      { chrom: '2', start: 5, end: 5 },
      { chrom: '7', start: 100, end: REGION_END },
    ]);
  });
  it('keeps thousands separators inside positions apart from list commas', () => {
    expect(parseRegions('1:1,000,000-2,000,000,2:5,000-6,000,X')).toEqual([
      { chrom: '1', start: 1_000_000, end: 2_000_000 },
      { chrom: '2', start: 5_000, end: 6_000 },
      { chrom: 'X', start: 1, end: REGION_END },
    ]);
    expect(parseRegions('1:5-10,12')).toEqual([{ chrom: '1', start: 5, end: 10 }, { chrom: '12', start: 1, end: REGION_END }]);
  });
  it('merges overlapping and adjacent regions per contig (aliases are one contig), contigs in the order first named', () => {
    expect(parseRegions('2:300-400,chr1:50-60,2:100-250,1:55-70,2:200-310,2:401-410')).toEqual([
      { chrom: '2', start: 100, end: 410 },
      { chrom: 'chr1', start: 50, end: 70 },
    ]);
    expect(mergeRegions([{ chrom: 'X', start: 10, end: 20 }, { chrom: 'X', start: 30, end: 40 }])).toHaveLength(2);
  });
  it('names the bad item of a list and what is wrong with it', () => {
    expect(() => parseRegions('1:5-10,2:abc-def')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_REGION', message: expect.stringMatching(/^region list item 2 '2:abc-def': 'abc-def' after ':'/) }));
    expect(() => parseRegions('1:5-10,,2')).toThrow(expect.objectContaining({ message: expect.stringContaining('item 2 is empty') }));
    expect(() => parseRegions('1:5-10,')).toThrow(expect.objectContaining({ message: expect.stringContaining('item 2 is empty') }));
  });
});

describe('parseRegionsFile (bcftools -R)', () => {
  it('reads BED as 0-based half-open, skipping comments, track lines and zero-length intervals', () => {
    const lines = ['track name=genes', '# targets', '1\t99\t200\tGENE1\t0\t+', '1\t150\t300', '2\t0\t1', 'X\t10\t10', ''];
    expect(parseRegionsFile(lines, { label: 'targets.bed' })).toEqual([
      { chrom: '1', start: 100, end: 300 },
      { chrom: '2', start: 1, end: 1 },
    ]);
  });
  it('reads tab CHR POS and CHR BEG END as 1-based inclusive', () => {
    expect(parseRegionsFile(['1\t100', '1\t150', '3 5'], { label: 'sites.tsv' })).toEqual([
      { chrom: '1', start: 100, end: 100 },
      { chrom: '1', start: 150, end: 150 },
      { chrom: '3', start: 5, end: 5 },
    ]);
    expect(parseRegionsFile(['1\t100\t200\textra', '1\t150\t250', '3 5 6'], { label: 'sites.tsv' })).toEqual([
      { chrom: '1', start: 100, end: 250 },
      { chrom: '3', start: 5, end: 6 },
    ]);
    expect(parseRegionsFile(['1\t100\t200'], { label: 'x.txt', format: 'bed' })).toEqual([{ chrom: '1', start: 101, end: 200 }]);
  });
  it('names the file and line of a bad line', () => {
    expect(() => parseRegionsFile(['1\t5\t9', '1\tfive\t9'], { label: 'r.tsv' })).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_REGION', message: 'r.tsv line 2: BEG is not a non-negative integer' }));
    expect(() => parseRegionsFile(['# x', '1\t50\t40'], { label: 'r.bed' })).toThrow(expect.objectContaining({ message: 'r.bed line 2: END is before START' }));
    expect(() => parseRegionsFile(['1\t50'], { label: 'r.bed' })).toThrow(expect.objectContaining({ message: expect.stringMatching(/^r\.bed line 1: a BED line needs/) }));
    expect(() => parseRegionsFile(['1'], { label: 'r.tsv' })).toThrow(expect.objectContaining({ message: expect.stringMatching(/^r\.tsv line 1: expected CHROM POS/) }));
    expect(() => parseRegionsFile(['1\t0'], { label: 'r.tsv' })).toThrow(expect.objectContaining({ message: 'r.tsv line 1: POS must be from 1 to 2147483647' }));
    // bcftools reads every line with the first line's layout and would drop this END silently.
    expect(() => parseRegionsFile(['1\t5', '# x', '1\t7\t9'], { label: 'r.tsv' })).toThrow(expect.objectContaining({ message: 'r.tsv line 3: 3 columns where line 1 had CHROM POS; a regions file is either CHROM POS or CHROM BEG END throughout' }));
  });
});

describe('regionsTest', () => {
  it('answers as inRegions for every contig spelling and both ends', () => {
    const regions = parseRegions('chr22:100-200,X,7:5-5');
    const inside = regionsTest(regions);
    for (const chrom of ['22', 'chr22', 'CHR22', '21', 'X', 'chrX', 'x', '7', 'MT']) {
      for (const pos of [1, 4, 5, 6, 99, 100, 150, 200, 201, 1e9]) {
        expect(inside(chrom, pos), `${chrom}:${pos}`).toBe(inRegions(regions, chrom, pos));
      }
    }
    expect(inside('chr22', 200)).toBe(true);
    expect(inside('22', 201)).toBe(false);
  });
});
