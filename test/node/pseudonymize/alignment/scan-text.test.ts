/** alignmentScanText renders BAM exactly as `samtools view -h` does, so scan patterns work alike on SAM and BAM. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alignmentScanText } from '../../../../node/pseudonymize/alignment/index.js';
import { alignmentFixtures, FIXTURES, HAS_SAMTOOLS, samtools } from './samtools.js';

const dir = mkdtempSync(join(tmpdir(), 'genofed-aln-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(path: string): Promise<Array<{ text: string; where: string }>> {
  const out: Array<{ text: string; where: string }> = [];
  for await (const x of alignmentScanText(path)) out.push(x);
  return out;
}

describe.skipIf(!HAS_SAMTOOLS)('alignmentScanText', () => {
  for (const fx of alignmentFixtures().filter((f) => f.format === 'bam')) {
    it(`${fx.name}: header lines and records equal samtools view -h --no-PG, line for line`, async () => {
      const got = await collect(fx.path);
      const want = samtools('view', '-h', '--no-PG', fx.path).split('\n').filter(Boolean);
      expect(got.map((x) => x.text)).toEqual(want);
    });
  }

  it('every aux type (A c C s S i I f Z H B arrays) of htslib auxf#values renders as samtools renders it from BAM', async () => {
    const bam = join(dir, 'auxf.bam');
    execFileSync('samtools', ['view', '--no-PG', '-b', '-o', bam, join(FIXTURES, 'sam/htslib_auxf_values.sam')]);
    const got = await collect(bam);
    expect(got.map((x) => x.text)).toEqual(samtools('view', '-h', '--no-PG', bam).split('\n').filter(Boolean));
  });

  it('says where each line is by header line or record number only', async () => {
    const got = await collect(join(FIXTURES, 'sam/htslib_xx_rg.sam'));
    const header = got.filter((x) => x.where.startsWith('header line'));
    expect(header.length).toBeGreaterThan(3);
    expect(got.filter((x) => /^record \d+$/.test(x.where)).length).toBe(6);
    expect(got[got.length - 1]!.where).toBe('record 6');
  });
});
