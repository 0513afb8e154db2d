/**
 * BCF input: the two real .bcf fixtures read directly give the same records
 * (CHROM, POS, ID, REF, ALT, every sample's GT) as their `bcftools view -Ov`
 * text conversion read by the text reader. BCF1 is refused with a hint.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVcf } from '../../../node/vcf/index.js';
import { FIXTURES, has, readAll } from './fixtures.js';

const BCFS = ['vcf/other_real/bio2zarr_CEUTrio.20.21.gatk3.4.g.bcf', 'vcf/other_real/bio2zarr_1kg_2020_chr20_annotations.bcf'].map((p) => join(FIXTURES, p));

describe.skipIf(!has('bcftools'))('BCF2 reader vs the bcftools text conversion', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-bcf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  for (const bcf of BCFS) {
    it(`reads ${basename(bcf)} record for record like its VCF conversion`, async () => {
      const vcf = join(dir, `${basename(bcf)}.vcf`);
      await writeFile(vcf, execFileSync('bcftools', ['view', '-Ov', bcf], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }));
      const a = await readAll(bcf);
      const b = await readAll(vcf);
      expect(a.header.samples).toEqual(b.header.samples);
      expect(a.variants.length).toBe(b.variants.length);
      expect(a.variants.length).toBeGreaterThan(0);
      const strip = (v: (typeof a.variants)[number]): unknown => ({ ...v, line: 0, sample: [...v.sample], offset: [...v.offset], alleles: [...v.alleles] });
      const bad = a.variants.map((v, i) => (JSON.stringify(strip(v)) === JSON.stringify(strip(b.variants[i]!)) ? -1 : i)).filter((i) => i >= 0);
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }
});

describe('BCF1', () => {
  it('is refused with a conversion hint', async () => {
    await expect(readVcf(Readable.from([Buffer.from('BCF\u0004rest-of-file')]), { label: 'old.bcf' })).rejects.toMatchObject({
      code: 'GENOFED_VCF_BCF_UNSUPPORTED',
      message: 'old.bcf: BCF1 input: convert with `bcftools view -Ov`',
    });
  });
});
