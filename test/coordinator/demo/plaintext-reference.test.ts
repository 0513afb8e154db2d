import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparisonKey, countByGroup, readPhenotypeTable, ReferenceCounts, referenceCohortCount, type GroupCounts } from '../../../coordinator/demo/plaintext-reference.js';
import { recordsAt, vcfLines, vcfSampleIds } from '../../../coordinator/demo/vcf-lines.js';
import { bcftoolsCounts, bcftoolsGroupCounts, has } from './bcftools.js';

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
  for await (const line of vcfLines(path)) if (line && !line.startsWith('#')) ref.addLine(line);
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

describe.skipIf(!has('bcftools'))('the demo plaintext reference on hand-made edge cases', () => {
  it('GT in a later FORMAT position, multi-digit allele indices, haploid, half-missing and no-GT samples match bcftools', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'genofed-ref-'));
    try {
      const alts = Array.from({ length: 11 }, (_, i) => 'ACGT'[i % 4]!.repeat(i + 2)).join(',');
      const vcf = [
        '##fileformat=VCFv4.2',
        '##contig=<ID=chr2>',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\ts4\ts5',
        'chr2\t10\t.\tA\tG,T\t.\t.\t.\tDP:GT\t3:0/1\t4:2/2\t5:1\t.:./1\t7:.',
        `chr2\t20\t.\tA\t${alts}\t.\t.\t.\tGT:DP\t11|11:1\t10/11:2\t0|11\t1/1:3\t./.`,
        'chr2\t30\t.\tC\tT\t.\t.\t.\tDP\t1\t2\t3\t4\t5',
        '',
      ].join('\n');
      const file = join(dir, 'edge.vcf');
      await writeFile(file, vcf);
      const mine = await reference(file);
      const tool = bcftoolsCounts(file);
      expect(tool).toHaveLength(14);
      for (const t of tool) expect([mine.rows.get(comparisonKey(t))?.ac, mine.rows.get(comparisonKey(t))?.an, mine.rows.get(comparisonKey(t))?.nhomalt], `${t.pos} ${t.alt}`).toEqual([t.ac, t.an, t.nhomalt]);
      expect(mine.rows.get(comparisonKey({ chrom: 'chr2', pos: 10, ref: 'A', alt: 'T' }))).toMatchObject({ ac: 2, an: 6, nhomalt: 1 });
      compared += tool.length;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!has('bcftools'))('the demo per-group plaintext count equals bcftools +fill-tags -S', () => {
  it('AC, AN and nhomalt of each super-population, for every ALT allele of the beacon file (indels, multi-allelic), equal AC_<pop>, AN_<pop>, AC_Hom_<pop>/2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'genofed-groups-'));
    try {
      const vcf = resolve(FIX, FILES[0]!);
      const panel = readFileSync(resolve(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
      const pops = ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'];
      const popOf = new Map(panel.map((f) => [f[0]!, pops.indexOf(f[2]!)]));
      const groupsFile = join(dir, 'groups.txt');
      await writeFile(groupsFile, panel.map((f) => `${f[0]}\t${f[2]}\n`).join(''));
      const tool = bcftoolsGroupCounts(vcf, groupsFile, pops);
      // Every record, through the same reader the demo uses (recordsAt), counted per group.
      const mine = new Map<string, GroupCounts[]>();
      for (const rec of await recordsAt([vcf], new Set(tool.map((t) => t.pos)))) for (const [k, c] of countByGroup(rec, pops.length, (id) => popOf.get(id) ?? -1)) mine.set(k, c);
      let n = 0;
      for (const t of tool) {
        const got = mine.get(comparisonKey(t));
        expect(got, `${t.pos} ${t.alt}`).toBeDefined();
        pops.forEach((p, g) => expect(got![g], `${t.pos} ${t.alt} ${p}`).toEqual(t.groups[p]));
        n += 1;
      }
      expect(n).toBe(1044);
      compared += n;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
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
