/**
 * The non-validator files of test/fixtures/malformed, read as `node ingest`
 * reads them (lenient: strict=false): each is rejected with the expected code
 * and line, or accepted with its problems counted as warnings (decision
 * table in node/vcf/README.md). Also: truncated gzip/BGZF input, BCF, and
 * the privacy rule that messages carry no data.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVcf, readVcfFile } from '../../../node/vcf/index.js';
import { FIXTURES } from './fixtures.js';

async function drain(path: string, strict = false): Promise<{ records: number; warnings: string[] }> {
  const r = await readVcfFile(path, { strict });
  let records = 0;
  for await (const b of r.variants()) records += b.length;
  return { records, warnings: r.warnings().map((w) => w.problem) };
}

const REJECTED: [file: string, code: string, line: RegExp][] = [
  ['cyvcf2_empty.vcf', 'GENOFED_VCF_HEADER', /^cyvcf2_empty\.vcf: file is empty/],
  ['cyvcf2_test-invalid-header.vcf', 'GENOFED_VCF_HEADER', /^cyvcf2_test-invalid-header\.vcf:2: .*empty name/],
  ['VariantAnnotation_fewer-FORMAT-than-GENO.vcf', 'GENOFED_VCF_GENOTYPE', /^VariantAnnotation_fewer-FORMAT-than-GENO\.vcf:12: .*more sub-fields/],
  ['VariantAnnotation_no_GENO_row.vcf', 'GENOFED_VCF_RECORD', /^VariantAnnotation_no_GENO_row\.vcf:11: FORMAT key 1 is empty/],
  ['VariantAnnotation_VarScan_header.vcf', 'GENOFED_VCF_RECORD', /^VariantAnnotation_VarScan_header\.vcf:21: record has 1 columns/],
  ['htslib_noroundtrip.vcf', 'GENOFED_VCF_RECORD', /^htslib_noroundtrip\.vcf:6: FORMAT key 2 repeats/],
  ['cyvcf2_test.warnings.vcf.gz', 'GENOFED_VCF_GENOTYPE', /^cyvcf2_test\.warnings\.vcf\.gz:30: .*allele index out of range/],
];

const ACCEPTED: [file: string, records: number, warning: RegExp][] = [
  ['uwgac_chrX_old_FILTER_NA_undefined.vcf.gz', 1120, /FILTER value is not declared/],
  ['genotype_plot_example_multi_AF_count_mismatch.vcf.gz', 4296, /has 2 values where its Number requires 1/],
  ['cyvcf2_no-seq-names.vcf', 1, /CHROM is not declared/],
  ['VariantAnnotation_missing-FORMAT-metadata-elt.vcf', 3, /FORMAT key is not declared/],
  ['VariantAnnotation_unspecified_INFO_FORMAT_fields.vcf', 5, /INFO key is not declared/],
  ['VariantAnnotation_buffer_realloc.vcf', 2, /FILTER value is not declared/],
  ['VariantAnnotation_negative_FORMAT_Number.vcf', 5, /Number is not an integer/],
  ['pysam_example_badcomments.vcf.gz', 5, /differs from the Number\/Type/],
];

describe('malformed/ files, lenient mode (node ingest default)', () => {
  for (const [file, code, message] of REJECTED) {
    it(`rejects ${file} with ${code} naming the line`, async () => {
      await expect(drain(join(FIXTURES, 'malformed', file))).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    });
  }
  for (const [file, records, warning] of ACCEPTED) {
    it(`accepts ${file} (${records} records) and counts the problem as a warning`, async () => {
      const r = await drain(join(FIXTURES, 'malformed', file));
      expect(r.records).toBe(records);
      expect(r.warnings.some((w) => warning.test(w))).toBe(true);
    });
  }
  it('strict mode rejects the files lenient mode accepts with warnings, except undeclared-only ones', async () => {
    // Undeclared INFO/FORMAT/FILTER keys are warnings in both modes (the
    // vcf-validator's passed_* files use undeclared keys), so buffer_realloc passes.
    await expect(drain(join(FIXTURES, 'malformed', 'VariantAnnotation_buffer_realloc.vcf'), true)).resolves.toMatchObject({ records: 2 });
    for (const [file] of ACCEPTED.filter(([f]) => f !== 'VariantAnnotation_buffer_realloc.vcf')) {
      await expect(drain(join(FIXTURES, 'malformed', file), true), file).rejects.toMatchObject({ code: expect.stringMatching(/^GENOFED_VCF_/) });
    }
  });
});

describe('inputs that are not plain VCF', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-vcf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a truncated BGZF file fails with GENOFED_INPUT_TRUNCATED', async () => {
    const whole = await readFile(join(FIXTURES, 'vcf/1kg_dev/1KGP_hg19_CFTR_1MB.vcf.gz'));
    const cut = join(dir, 'cut.vcf.gz');
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(drain(cut)).rejects.toMatchObject({ code: 'GENOFED_INPUT_TRUNCATED', message: expect.stringMatching(/^cut\.vcf\.gz: .*truncated/) });
  });

  it('a BGZF file cut exactly at a block boundary (no EOF block) fails with GENOFED_INPUT_TRUNCATED', async () => {
    const whole = await readFile(join(FIXTURES, 'vcf/1kg_dev/1KGP_hg19_CFTR_1MB.vcf.gz'));
    let end = 0;
    for (let block = 0; block < 3; block++) end += whole.readUInt16LE(end + 16) + 1; // BSIZE + 1
    const cut = join(dir, 'blocks.vcf.gz');
    await writeFile(cut, whole.subarray(0, end));
    await expect(drain(cut)).rejects.toMatchObject({ code: 'GENOFED_INPUT_TRUNCATED', message: 'blocks.vcf.gz: BGZF input has no EOF block (truncated at a block boundary)' });
  });

  it('a truncated plain gzip file fails with GENOFED_INPUT_TRUNCATED', async () => {
    const whole = await readFile(join(FIXTURES, 'vcf/1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chr1.vcf.gz'));
    const cut = join(dir, 'cut2.vcf.gz');
    await writeFile(cut, whole.subarray(0, whole.length - 100));
    await expect(drain(cut)).rejects.toMatchObject({ code: 'GENOFED_INPUT_TRUNCATED' });
  });

  it('a truncated BCF file fails with GENOFED_INPUT_TRUNCATED or a BCF truncation error', async () => {
    const whole = await readFile(join(FIXTURES, 'vcf/other_real/bio2zarr_CEUTrio.20.21.gatk3.4.g.bcf'));
    const cut = join(dir, 'cut.bcf');
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(drain(cut)).rejects.toMatchObject({ code: expect.stringMatching(/^GENOFED_(INPUT_TRUNCATED|VCF_RECORD)$/) });
  });

  it('error messages name the file and line but never a sample id or genotype', async () => {
    const vcf = '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tPATIENT_KIM_0042\n1\t5\t.\tA\tC\t.\t.\t.\tGT\t0/7\n';
    const r = await readVcf(Readable.from([Buffer.from(vcf)]), { label: 'x.vcf' });
    const err = await (async () => {
      try {
        for await (const _ of r.variants());
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).toBe('x.vcf:3: sample column 1: GT allele index out of range (the record has 2 alleles)');
    expect(err?.message).not.toContain('PATIENT');
    expect(err?.message).not.toContain('0/7');
  });
});
