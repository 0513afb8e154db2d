/**
 * Bad input gets a stable error code naming the file (basename) and the
 * record or line, never its content, and leaves no output file behind
 * (not even the temporary one).
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pseudonymizeAlignment } from '../../../../node/pseudonymize/alignment/index.js';
import { bgzfBlockSize } from '../../../../node/pseudonymize/alignment/bgzf-reader.js';
import { FIXTURES, testKey } from './samtools.js';

const dir = mkdtempSync(join(tmpdir(), 'genofed-aln-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = testKey();
let n = 0;

async function expectRejected(format: 'sam' | 'bam', input: string, code: string, message: RegExp): Promise<void> {
  const sub = join(dir, `case-${n++}`);
  (await import('node:fs')).mkdirSync(sub);
  const output = join(sub, format === 'bam' ? 'out.bam' : 'out.sam');
  const err = await pseudonymizeAlignment({ format, input, output, key, mode: 'default' }).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as { code?: string }).code).toBe(code);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain(dir);
  expect(readdirSync(sub)).toEqual([]);
}

/** Byte offsets where the BGZF blocks of a file start. */
function blockStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let at = 0; at < bytes.length;) {
    starts.push(at);
    at += bgzfBlockSize(bytes, at);
  }
  return starts;
}

describe('malformed alignments', () => {
  it('a BAM without the BGZF EOF block (samtools quickcheck badeof) is refused as truncated', async () => {
    await expectRejected('bam', join(FIXTURES, 'malformed/samtools_1.quickcheck.badeof.bam'), 'GENOFED_INPUT_TRUNCATED', /samtools_1\.quickcheck\.badeof\.bam: BGZF EOF block is missing/);
  });

  it('a BAM with a corrupt header (samtools quickcheck badheader) is refused', async () => {
    await expectRejected('bam', join(FIXTURES, 'malformed/samtools_2.quickcheck.badheader.bam'), 'GENOFED_BAM_FORMAT', /samtools_2\.quickcheck\.badheader\.bam: not a BAM file .*no valid BGZF block header/);
  });

  it('a real BAM cut inside a block is refused as truncated', async () => {
    const bytes = readFileSync(join(FIXTURES, 'bam/vg_NA12878.chr22.tiny.bam'));
    const cut = join(dir, 'cut-inside.bam');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectRejected('bam', cut, 'GENOFED_INPUT_TRUNCATED', /cut-inside\.bam: BGZF data ends inside block \d+/);
  });

  it('a real BAM cut at a block boundary (readable, but shorter) is refused as truncated', async () => {
    const bytes = readFileSync(join(FIXTURES, 'bam/vg_NA12878.chr22.tiny.bam'));
    const starts = blockStarts(bytes);
    const cut = join(dir, 'cut-boundary.bam');
    writeFileSync(cut, bytes.subarray(0, starts[Math.floor(starts.length / 2)]));
    await expectRejected('bam', cut, 'GENOFED_INPUT_TRUNCATED', /cut-boundary\.bam: BGZF EOF block is missing/);
  });

  it('a BAM whose record overruns its block size names the record number', async () => {
    // The uncompressed BAM of a real file with one byte of the last record removed, re-wrapped in BGZF.
    const { gunzipSync } = await import('node:zlib');
    const { bgzfBlock, BGZF_EOF } = await import('../../../../node/io/bgzf-writer.js');
    const raw = gunzipSync(readFileSync(join(FIXTURES, 'bam/htslib_range.bam')));
    const broken = raw.subarray(0, raw.length - 1);
    const path = join(dir, 'short-record.bam');
    const blocks: Buffer[] = [];
    for (let i = 0; i < broken.length; i += 0xff00) blocks.push(bgzfBlock(broken.subarray(i, i + 0xff00)));
    writeFileSync(path, Buffer.concat([...blocks, BGZF_EOF]));
    await expectRejected('bam', path, 'GENOFED_BAM_FORMAT', /short-record\.bam: record 112 is cut short/);
  });

  it('a CRAM is refused with a pointer to samtools view -b', async () => {
    await expectRejected('bam', join(FIXTURES, 'bam/samtools_mpileup.1.cram'), 'GENOFED_CRAM_UNSUPPORTED', /samtools view -b/);
  });

  it('SAM text given as BAM, and BAM given as SAM, are refused', async () => {
    await expectRejected('bam', join(FIXTURES, 'sam/htslib_xx_rg.sam'), 'GENOFED_BAM_FORMAT', /not a BAM file .*not compressed/);
    await expectRejected('sam', join(FIXTURES, 'bam/htslib_range.bam'), 'GENOFED_SAM_FORMAT', /this is a BAM file/);
  });

  it('a SAM line with too few columns names its line number and not its content', async () => {
    const lines = readFileSync(join(FIXTURES, 'sam/htslib_xx_rg.sam'), 'utf8').split('\n');
    const firstRecord = lines.findIndex((l) => l && !l.startsWith('@'));
    lines[firstRecord + 2] = lines[firstRecord + 2]!.split('\t').slice(0, 6).join('\t');
    const path = join(dir, 'short-line.sam');
    writeFileSync(path, lines.join('\n'));
    await expectRejected('sam', path, 'GENOFED_SAM_FORMAT', new RegExp(`short-line\\.sam: line ${firstRecord + 3}: fewer than 11 columns$`));
  });

  it('a missing input is GENOFED_INPUT_NOT_FOUND and the output must differ from the input', async () => {
    await expectRejected('bam', join(dir, 'nope.bam'), 'GENOFED_INPUT_NOT_FOUND', /nope\.bam: cannot open/);
    const p = join(dir, 'same.bam');
    copyFileSync(join(FIXTURES, 'bam/htslib_range.bam'), p);
    const err = await pseudonymizeAlignment({ format: 'bam', input: p, output: p, key, mode: 'default' }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('GENOFED_USAGE');
  });

  it('a BAM with no @SQ targets but only unmapped reads (an unaligned BAM) is processed, as samtools view does', async () => {
    const out = join(dir, 'notargets.out.bam');
    const r = await pseudonymizeAlignment({ format: 'bam', input: join(FIXTURES, 'malformed/samtools_10.quickcheck.notargets.bam'), output: out, key, mode: 'default' });
    expect(r.recordsOut).toBe(40);
    expect(r.readGroupsRewritten).toBe(1);
  });
});
