import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparisonKey, readPhenotypeTable, ReferenceCounts, referenceCohortCount } from '../../../coordinator/demo/plaintext-reference.js';
import { vcfLines, vcfSampleIds } from '../../../coordinator/demo/vcf-lines.js';
import { bcftoolsCounts, has } from './bcftools.js';

const FIX = resolve(import.meta.dirname, '../../fixtures');
const FILES = [
  'vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz', // indels, multi-allelic, 2,504 samples
  'vcf/1kg_dev/genotype_plot_chr1_MTHFR_2504.vcf.gz', // symbolic <CN0>, <INS:ME:SVA>
  'vcf/1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chrX.vcf.gz', // pseudo-haploid '0/.'
  'vcf/small_tricky/cyvcf2_test-hemi.vcf', // half-missing and all-missing samples
  'vcf/small_tricky/cyvcf2_test-haploidX.vcf', // haploid GTs
  'vcf/other_real/bio2zarr_NYGC30x_chr22_100samples.vcf.gz', // unphased, missing, multi-allelic, GT:AD:DP:...
];

async function reference(path: string): Promise<ReferenceCounts> {
  const ref = new ReferenceCounts();
  for await (const line of vcfLines(path)) if (line && !line.startsWith('#')) ref.addRecord(line.split('\t'));
  return ref;
}

let compared = 0;

describe.skipIf(!has('bcftools'))('the demo plaintext reference equals bcftools +fill-tags', () => {
  for (const f of FILES) {
    it(`AC, AN and nhomalt of every ALT allele in ${f} equal bcftools' AC, AN and AC_Hom/2`, async () => {
      const mine = await reference(resolve(FIX, f));
      const tool = bcftoolsCounts(resolve(FIX, f));
      expect(tool.length).toBeGreaterThan(0);
      expect(mine.rows.size).toBe(new Set(tool.map(comparisonKey)).size);
      for (const t of tool) {
        const m = mine.rows.get(comparisonKey(t));
        expect(m, `${t.chrom}:${t.pos}`).toBeDefined();
        expect([m!.ac, m!.an, m!.nhomalt], `${t.chrom}:${t.pos} ${t.ref}>${t.alt}`).toEqual([t.ac, t.an, t.nhomalt]);
      }
      compared += tool.length;
    });
  }
});

describe('plaintext reference guard', () => {
  it('in CI bcftools is present, so the differential comparison above really ran', () => {
    if (process.env.CI) expect(has('bcftools')).toBe(true);
    if (has('bcftools')) expect(compared).toBeGreaterThan(5000);
  });
});

describe('plaintext cohort count', () => {
  it('counts genotyped samples of the 1000G panel matching an expression, independently of the store', async () => {
    const table = readPhenotypeTable(readFileSync(resolve(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel'), 'utf8'));
    expect(table.columns).toEqual([
      { name: 'pop', type: 'categorical' }, { name: 'super_pop', type: 'categorical' }, { name: 'gender', type: 'categorical' },
    ]);
    const samples = new Set(await vcfSampleIds(resolve(FIX, FILES[0]!)));
    // Independent count straight from the panel's columns.
    const lines = readFileSync(resolve(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const expected = lines.filter((f) => samples.has(f[0]!) && f[2] === 'EUR' && f[3] === 'female').length;
    expect(expected).toBeGreaterThan(200);
    expect(referenceCohortCount('super_pop=EUR and gender=female', table, samples)).toBe(expected);
    expect(referenceCohortCount('pop in (GBR, FIN)', table, samples)).toBe(lines.filter((f) => samples.has(f[0]!) && (f[1] === 'GBR' || f[1] === 'FIN')).length);
    expect(referenceCohortCount('super_pop=EUR', table, new Set())).toBe(0);
  });
});
