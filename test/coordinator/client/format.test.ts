import { describe, expect, it } from 'vitest';
import { AF_TSV_HEADER, afTsv, formatAf, sitesLine } from '../../../coordinator/client/format.js';

describe('query output formats', () => {
  it('the TSV header is exactly chrom pos ref alt ac an af nhomalt, tab-separated', () => {
    expect(AF_TSV_HEADER.split('\t')).toEqual(['chrom', 'pos', 'ref', 'alt', 'ac', 'an', 'af', 'nhomalt']);
  });

  it('AF has 6 significant digits like bcftools %g, and is "." when AN is 0', () => {
    expect(formatAf(2130 / 5008, 5008)).toBe('0.425319');
    expect(formatAf(1 / 5008, 5008)).toBe('0.000199681');
    expect(formatAf(1, 10)).toBe('1');
    expect(formatAf(0, 10)).toBe('0');
    expect(formatAf(0.5, 4)).toBe('0.5');
    expect(formatAf(null, 0)).toBe('.');
    expect(formatAf(0, 0)).toBe('.');
  });

  it('one TSV line per row, header first, every line newline-terminated', () => {
    const text = [...afTsv([
      { chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac: 2130, an: 5008, af: 2130 / 5008, nhomalt: 570 },
      { chrom: '1', pos: 10235, ref: 'T', alt: 'TA', ac: 0, an: 0, af: null, nhomalt: 0 },
    ])].join('');
    expect(text).toBe(`${AF_TSV_HEADER}\n1\t10177\tA\tAC\t2130\t5008\t0.425319\t570\n1\t10235\tT\tTA\t0\t0\t.\t0\n`);
  });

  it('the sites line names responding and missing sites with the reason', () => {
    expect(sitesLine({ responding: ['a', 'b'], missing: [{ site: 'c', reason: 'deadline exceeded' }] })).toBe('responding sites: a,b; missing: c (deadline exceeded)');
    expect(sitesLine({ responding: ['a'], missing: [] })).toBe('responding sites: a');
  });
});
