/**
 * coordinator/stats against PLINK 1.9 on the counts PLINK itself used
 * (test/coordinator/stats/plink-reference.ts): on the 1000 Genomes chr1
 * window with EUR as cases and EAS as controls, and on a synthetic VCF whose
 * records are the zero-cell, missing-genotype and multi-allelic cases.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allelicChiSquare, alleleTableFromGenotypes, fisherExact, oddsRatio, trendTest } from '../../../coordinator/stats/index.js';
import { has } from '../../tool-available.js';
import { agreesWithPrinted, plinkReference, type PlinkReference, type PlinkVariant } from './plink-reference.js';

const FIX = resolve(import.meta.dirname, '../../fixtures');
const VCF = join(FIX, 'vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel');
const HAS_PLINK = has('plink1.9');
let compared = 0;

function superPop(name: string): string[] {
  return readFileSync(PANEL, 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((f) => f[2] === name)
    .map((f) => f[0]!);
}

/** Each statistic of ours next to what PLINK printed; returns the mismatches (variant keys and values only). */
function mismatches(v: PlinkVariant): string[] {
  const chi = allelicChiSquare(v.alleles);
  const or = oddsRatio(v.alleles);
  const trend = trendTest(v.genotypes);
  const pairs: [string, number | null, string][] = [
    ['CHISQ', chi?.chisq ?? null, v.assoc.chisq],
    ['P', chi?.p ?? null, v.assoc.p],
    ['OR', or?.or ?? null, v.assoc.or],
    ['SE', or?.se ?? null, v.assoc.se],
    ['L95', or?.lower ?? null, v.assoc.l95],
    ['U95', or?.upper ?? null, v.assoc.u95],
    ['FISHER_P', fisherExact(v.alleles), v.fisher.p],
    ['FISHER_OR', or?.or ?? null, v.fisher.or],
    ['TREND_CHISQ', trend?.chisq ?? null, v.trend.chisq],
    ['TREND_P', trend?.p ?? null, v.trend.p],
  ];
  compared++;
  return pairs.filter(([, ours, printed]) => !agreesWithPrinted(ours, printed)).map(([name, ours, printed]) => `${v.key} ${name}: ours ${ours} plink ${printed}`);
}

describe.skipIf(!HAS_PLINK)('coordinator/stats equal PLINK 1.9 on 1000 Genomes (cases EUR, controls EAS)', () => {
  let ref: PlinkReference;
  beforeAll(async () => {
    ref = await plinkReference({ vcf: VCF, cases: superPop('EUR'), controls: superPop('EAS') });
  });

  it('PLINK analysed the 503 EUR cases and 504 EAS controls on the 1,040 biallelic records (2 multi-allelic skipped)', () => {
    expect(ref.cases).toBe(503);
    expect(ref.controls).toBe(504);
    expect(ref.skippedMultiallelic).toBe(2);
    expect(ref.variants.size).toBe(1040);
    expect(ref.variants.get('1:10177:A:AC')?.alleles).toEqual({ caseA1: 408, caseA2: 598, controlA1: 339, controlA2: 669 });
  });

  it('the allele counts PLINK tested are its genotype counts, two alleles per called sample', () => {
    for (const v of ref.variants.values()) expect(alleleTableFromGenotypes(v.genotypes)).toEqual(v.alleles);
  });

  it('chi-square, p, OR, SE, L95, U95, Fisher p and trend equal PLINK on every variant to the 4 digits it prints', () => {
    const bad = [...ref.variants.values()].flatMap(mismatches);
    expect(bad).toEqual([]);
  });

  it('the window exercises the zero-cell paths: NA chi-square, NA OR, OR 0 with inf/nan bounds, Fisher p of 1', () => {
    const vs = [...ref.variants.values()];
    expect(vs.filter((v) => v.assoc.chisq === 'NA').length).toBeGreaterThan(100);
    expect(vs.filter((v) => v.assoc.or === 'NA' && v.assoc.chisq !== 'NA').length).toBeGreaterThan(10);
    expect(vs.filter((v) => v.assoc.or === '0' && v.assoc.u95 === 'nan').length).toBeGreaterThan(10);
    expect(vs.filter((v) => Number(v.assoc.p) < 1e-50).length).toBeGreaterThan(5);
  });
});

/** Genotypes of 6 cases then 6 controls per record (synthetic ids, no real sample). */
const SYNTHETIC: [string, string, string[]][] = [
  ['caseRef0', 'G', ['1/1', '1/1', '1/1', '1/1', '1/1', '1/1', '0/1', '0/0', '0/0', '1/1', '0/0', '0/1']],
  ['controlRef0', 'G', ['0/1', '0/0', '0/0', '1/1', '0/0', '0/1', '1/1', '1/1', '1/1', '1/1', '1/1', '1/1']],
  ['caseAlt0', 'G', ['0/0', '0/0', '0/0', '0/0', '0/0', '0/0', '0/1', '0/0', '0/0', '1/1', '0/0', '0/1']],
  ['controlAlt0', 'G', ['0/1', '0/0', '0/0', '1/1', '0/0', '0/1', '0/0', '0/0', '0/0', '0/0', '0/0', '0/0']],
  ['allHet', 'G', Array<string>(12).fill('0/1')],
  ['monomorphicAlt', 'G', Array<string>(12).fill('1/1')],
  ['separated', 'G', [...Array<string>(6).fill('0/0'), ...Array<string>(6).fill('1/1')]],
  ['missing', 'G', ['./.', '0/1', '1/1', '0/0', './.', '0/1', '0/0', './.', '0/1', '0/0', '0/0', '0/1']],
  ['halfCall', 'G', ['0/.', '0/1', '1/1', '0/0', './.', '0/1', '0/0', './.', '0/1', '0/0', '0/0', '0/1']],
  ['triallelic', 'G,T', ['0/2', '0/2', '2/2', '0/0', '0/1', '0/2', '0/2', '0/0', '0/0', '0/0', '0/0', '0/0']],
];
const SAMPLES = Array.from({ length: 12 }, (_, i) => `S${String(i + 1).padStart(2, '0')}`);

describe.skipIf(!HAS_PLINK)('PLINK 1.9 zero cells, missing genotypes and multi-allelic records (synthetic VCF)', () => {
  let dir = '';
  let skip: PlinkReference;
  let keep: PlinkReference;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-plink-syn-'));
    const vcf = join(dir, 'syn.vcf');
    const header = ['##fileformat=VCFv4.2', '##contig=<ID=1,length=1000000>', '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">', ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...SAMPLES].join('\t')];
    const body = SYNTHETIC.map(([id, alt, gts], i) => ['1', String(100 * (i + 1)), id, 'A', alt, '.', 'PASS', '.', 'GT', ...gts].join('\t'));
    await writeFile(vcf, `${[...header, ...body].join('\n')}\n`);
    const lists = { vcf, cases: SAMPLES.slice(0, 6), controls: SAMPLES.slice(6) };
    skip = await plinkReference(lists);
    keep = await plinkReference({ ...lists, multiallelic: 'most-common-alt' });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = (r: PlinkReference, key: string): PlinkVariant => {
    const v = r.variants.get(key);
    expect(v, key).toBeDefined();
    return v!;
  };

  it('every synthetic record agrees with PLINK to its printed digits, in both multi-allelic modes', () => {
    expect([...skip.variants.values(), ...keep.variants.values()].flatMap(mismatches)).toEqual([]);
  });

  it('OR is NA when case REF or control ALT is 0, and 0 with SE inf, L95 0, U95 nan when case ALT or control REF is 0', () => {
    for (const key of ['1:100:A:G', '1:400:A:G']) expect(get(skip, key).assoc).toMatchObject({ or: 'NA', se: 'NA', l95: 'NA', u95: 'NA' });
    for (const key of ['1:200:A:G', '1:300:A:G', '1:700:A:G']) expect(get(skip, key).assoc).toMatchObject({ or: '0', se: 'inf', l95: '0', u95: 'nan' });
    expect(oddsRatio({ caseA1: 12, caseA2: 0, controlA1: 4, controlA2: 8 })).toBeNull();
    expect(oddsRatio({ caseA1: 4, caseA2: 8, controlA1: 12, controlA2: 0 })).toEqual({ or: 0, se: Infinity, lower: 0, upper: Number.NaN });
  });

  it('a monomorphic table has NA chi-square and trend and Fisher p 1; heterozygotes only have NA trend but a chi-square of 0', () => {
    expect(get(skip, '1:600:A:G')).toMatchObject({ assoc: { chisq: 'NA', p: 'NA' }, fisher: { p: '1' }, trend: { chisq: 'NA' } });
    expect(get(skip, '1:500:A:G')).toMatchObject({ assoc: { chisq: '0', p: '1' }, trend: { chisq: 'NA', p: 'NA' } });
  });

  it('missing genotypes and half-calls are left out of the counts', () => {
    const expected = { cases: { homRef: 1, het: 2, homAlt: 1 }, controls: { homRef: 3, het: 2, homAlt: 0 } };
    expect(get(skip, '1:800:A:G').genotypes).toEqual(expected);
    expect(get(skip, '1:900:A:G').genotypes).toEqual(expected);
  });

  it("a multi-allelic record is skipped by default; with 'most-common-alt' PLINK keeps the commoner ALT and makes genotypes with the other missing", () => {
    expect(skip.skippedMultiallelic).toBe(1);
    expect([...skip.variants.keys()].some((k) => k.startsWith('1:1000:'))).toBe(false);
    expect(keep.skippedMultiallelic).toBe(0);
    // T (6 copies) beats G (1 copy): the case '0/1' carrying G is missing, not REF.
    expect(get(keep, '1:1000:A:T').genotypes).toEqual({ cases: { homRef: 1, het: 3, homAlt: 1 }, controls: { homRef: 5, het: 1, homAlt: 0 } });
  });
});

describe('PLINK comparison guard', () => {
  it('the PLINK comparison ran (plink1.9 must be installed in CI)', () => {
    if (process.env.CI) expect(HAS_PLINK).toBe(true);
    if (HAS_PLINK) expect(compared).toBeGreaterThan(1000);
  });
});
