import { describe, expect, it } from 'vitest';
import { assignSamples, createVcfSplitter, splitPhenotypes } from '../../../coordinator/demo/split-samples.js';

const VCF = [
  '##fileformat=VCFv4.1',
  '##INFO=<ID=AC,Number=A,Type=Integer,Description="x">',
  '##INFO=<ID=END,Number=1,Type=Integer,Description="x">',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\tS4\tS5',
  '1\t100\t.\tA\tG,T\t.\tPASS\tAC=3,1;END=100;EUR_AF=0.1\tGT\t0|1\t1|1\t0|0\t2|0\t./.',
  '1\t200\t.\tC\t<CN0>\t.\tPASS\tAC=0\tGT:DP\t0|0:5\t0|0:6\t0|0:7\t0|0:8\t0|0:9',
];

describe('splitting a VCF by samples across demo sites', () => {
  it('assigns samples in contiguous blocks of near-equal size, each id once', () => {
    const a = assignSamples(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'a'], 3);
    expect([...a]).toEqual([['a', 0], ['b', 0], ['c', 0], ['d', 1], ['e', 1], ['f', 2], ['g', 2]]);
    expect(() => assignSamples(['a'], 0)).toThrow(RangeError);
  });

  it('gives every site the fixed columns and only its own sample columns, and drops cohort-wide INFO keys', () => {
    const assignment = assignSamples(['S1', 'S2', 'S3', 'S4', 'S5'], 2);
    const stats = { records: 0, alleles: 0 };
    const split = createVcfSplitter(2, assignment, stats, 'x.vcf');
    const out = VCF.map((l, i) => split.line(l, i + 1));
    expect(out[0]).toEqual(['##fileformat=VCFv4.1', '##fileformat=VCFv4.1']);
    expect(out[1]).toEqual([null, null]);
    expect(out[2]![0]).toMatch(/^##INFO=<ID=END/);
    expect(out[3]![0]).toBe('#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3');
    expect(out[3]![1]).toBe('#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS4\tS5');
    expect(out[4]![0]).toBe('1\t100\t.\tA\tG,T\t.\tPASS\tEND=100\tGT\t0|1\t1|1\t0|0');
    expect(out[4]![1]).toBe('1\t100\t.\tA\tG,T\t.\tPASS\tEND=100\tGT\t2|0\t./.');
    expect(out[5]![1]).toBe('1\t200\t.\tC\t<CN0>\t.\tPASS\t.\tGT:DP\t0|0:8\t0|0:9');
    expect(stats).toEqual({ records: 2, alleles: 3 });
    expect(split.columns).toEqual([[9, 10, 11], [12, 13]]);
  });

  it('a sample without a site and a data line before #CHROM are errors that name the column or line, not the id', () => {
    const split = createVcfSplitter(2, new Map([['S1', 0]]), { records: 0, alleles: 0 }, 'x.vcf');
    expect(() => split.line(VCF[3]!, 4)).toThrow(/x\.vcf line 4: sample column 11 has no site/);
    const early = createVcfSplitter(2, new Map(), { records: 0, alleles: 0 }, 'y.vcf');
    expect(() => early.line(VCF[4]!, 2)).toThrow(/y\.vcf line 2: data line before the #CHROM/);
  });

  it('splits a phenotype table by the same assignment, leaving out samples without genotypes and trailing empty columns', () => {
    const text = 'sample\tpop\tsex\t\t\nS1\tGBR\tfemale\nS4\tFIN\tmale\nX9\tYRI\tmale\n';
    const assignment = assignSamples(['S1', 'S2', 'S3', 'S4', 'S5'], 2);
    expect(splitPhenotypes(text, 2, assignment)).toEqual(['sample\tpop\tsex\nS1\tGBR\tfemale\n', 'sample\tpop\tsex\nS4\tFIN\tmale\n']);
  });
});
