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
      // faf95 from R: qgamma(0.05, 2130) / 5008 = 0.41027547791971697
      { chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac: 2130, an: 5008, af: 2130 / 5008, nhomalt: 570, faf95: 0.41027547791971697 },
      { chrom: '1', pos: 10235, ref: 'T', alt: 'TA', ac: 0, an: 0, af: null, nhomalt: 0, faf95: null },
    ])].join('');
    expect(text).toBe(`${AF_TSV_HEADER}\n1\t10177\tA\tAC\t2130\t5008\t0.425319\t570\n1\t10235\tT\tTA\t0\t0\t.\t0\n`);
  });

  it('with strata the columns lead and faf95 (6 significant digits, "." when withheld) ends each line', () => {
    const text = [...afTsv([
      { strata: { super_pop: 'all' }, chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac: 2130, an: 5008, af: 2130 / 5008, nhomalt: 570, faf95: 0.41027547791971697 },
      { strata: { super_pop: 'EUR' }, chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac: '<5', an: 1006, af: null, nhomalt: '<5', faf95: null },
    ], ['super_pop'])].join('');
    expect(text).toBe('super_pop\tchrom\tpos\tref\talt\tac\tan\taf\tnhomalt\tfaf95\nall\t1\t10177\tA\tAC\t2130\t5008\t0.425319\t570\t0.410275\nEUR\t1\t10177\tA\tAC\t<5\t1006\t.\t<5\t.\n');
    expect([...afTsv([], ['super_pop', 'gender'])].join('')).toBe('super_pop\tgender\tchrom\tpos\tref\talt\tac\tan\taf\tnhomalt\tfaf95\n');
  });

  it('the sites line names responding and missing sites with the reason', () => {
    expect(sitesLine({ responding: ['a', 'b'], missing: [{ site: 'c', reason: 'deadline exceeded' }] })).toBe('responding sites: a,b; missing: c (deadline exceeded)');
    expect(sitesLine({ responding: ['a'], missing: [] })).toBe('responding sites: a');
  });
});
