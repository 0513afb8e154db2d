/** --regions keeps exactly the records `samtools view -L` keeps (htslib's bam_endpos rule). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pseudonymizeAlignment, verifyAlignment } from '../../../../node/pseudonymize/alignment/index.js';
import { parseBed } from '../../../../node/pseudonymize/bed.js';
import { FIXTURES, HAS_SAMTOOLS, samtools, testKey } from './samtools.js';

const dir = mkdtempSync(join(tmpdir(), 'genofed-aln-bed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = testKey();

const cases = [
  { file: 'bam/vg_NA12878.chr22.tiny.bam', format: 'bam', bed: ['q\t1000\t2000', 'q\t5000\t5100', 'q\t9000\t9001'] },
  { file: 'bam/samtools_mpileup.1.bam', format: 'bam', bed: ['17\t1000\t1300', '17\t3000\t3050'] },
  { file: 'bam/htslib_range.bam', format: 'bam', bed: ['CHROMOSOME_I\t900\t1000', 'CHROMOSOME_II\t0\t2000', 'CHROMOSOME_V\t0\t100000'] },
  { file: 'sam/htslib_ce_1000.sam', format: 'sam', bed: ['CHROMOSOME_I\t40\t60', 'CHROMOSOME_I\t150\t151', 'CHROMOSOME_II\t100\t300'] },
  { file: 'sam/bcftools_mpileup.1.sam', format: 'sam', bed: ['17\t1000\t1300', '17\t3000\t3050'] },
] as const;

describe.skipIf(!HAS_SAMTOOLS)('--regions', () => {
  for (const c of cases) {
    it(`${c.file}: keeps the records samtools view -L keeps, in order, and verify agrees`, async () => {
      const bedPath = join(dir, `${c.format}-${c.bed.length}.bed`);
      writeFileSync(bedPath, `${c.bed.join('\n')}\n`);
      const input = join(FIXTURES, c.file);
      const out = join(dir, `out-${c.file.replace('/', '-')}`);
      const regions = await parseBed([...c.bed], 'panel.bed');
      const r = await pseudonymizeAlignment({ format: c.format, input, output: out, key, mode: 'default', regions });
      const expected = samtools('view', '-L', bedPath, input).split('\n').filter(Boolean);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(r.recordsIn);
      expect(r.recordsOut).toBe(expected.length);
      expect(r.recordsOutsideRegions).toBe(r.recordsIn - expected.length);
      const got = samtools('view', out).split('\n').filter(Boolean);
      expect(got.map((l) => l.split('\t').slice(1, 9).join('\t'))).toEqual(expected.map((l) => l.split('\t').slice(1, 9).join('\t')));
      const checks = await verifyAlignment({ format: c.format, original: input, pseudonymized: out, key, regions });
      expect(checks.filter((x) => !x.ok)).toEqual([]);
      // Without the regions, the verifier sees missing records.
      const without = await verifyAlignment({ format: c.format, original: input, pseudonymized: out });
      expect(without.find((x) => x.name === 'record count')?.ok).toBe(false);
    });
  }
});
