/**
 * `--sanitize --reference` (issue 13, deliverable 3): reads reverted to the
 * reference, BAMboozle-style. Real data: samtools' mpileup.{1,2,3}.bam
 * (1000 Genomes reads of HG00100-HG00102) and their reference window
 * (GRCh37 17:1-4200). Judged by bcftools (no variant called), samtools
 * depth (equal on kept reads), samtools calmd (NM/MD) and quickcheck; the
 * pure rules are checked on CIGARs worked out by hand.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pseudonymizeAlignment, verifyAlignment } from '../../../../node/pseudonymize/alignment/index.js';
import { contigFromFasta, FaiBuilder, parseFai, ReferenceFasta } from '../../../../node/pseudonymize/alignment/reference-fasta.js';
import { calmdTags, coveredBlocks, formatCigar, parseCigarText, planSanitized, type SanitizePlan } from '../../../../node/pseudonymize/alignment/sanitize.js';
import { sanitizeOpts } from '../../../../node/pseudonymize/cli-run.js';
import { has } from '../tools.js';
import { FIXTURES, HAS_SAMTOOLS, quickcheck, samtools, testKey } from './samtools.js';

const dir = mkdtempSync(join(tmpdir(), 'genofed-sanitize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = testKey();
const REF = join(FIXTURES, 'ref/mpileup.ref.fa');
const bam = (i: number): string => join(FIXTURES, `bam/samtools_mpileup.${i}.bam`);
const HAS_BCFTOOLS = has('bcftools');
const TOOLS = HAS_SAMTOOLS && HAS_BCFTOOLS;
/** Comparisons with samtools/bcftools that ran: the guard at the end fails if none did while the tools are there (or in CI). */
let compared = 0;

const plan = (cigar: string, seqLength: number): SanitizePlan => {
  const p = planSanitized(parseCigarText(cigar)!, seqLength);
  if (typeof p === 'string') throw new Error(p);
  return p;
};

describe('sanitize rules on hand-worked CIGARs', () => {
  it('soft clips and insertions leave SEQ/QUAL, deletions become M with the quality of the base before them', () => {
    // 3S 4M 2I 3M 2D 2M 1S: query 15 bases; aligned at q 3-6, 9-11, 12-13; output 4+3+2+2 = 11 bases.
    const p = plan('3S4M2I3M2D2M1S', 15);
    expect(formatCigar(p.cigar)).toBe('11M');
    expect(Array.from(p.qualFrom)).toEqual([3, 4, 5, 6, 9, 10, 11, 11, 11, 12, 13]);
    expect(p.refSpan).toBe(11);
    expect([p.softClipped, p.inserted, p.deleted]).toEqual([4, 2, 2]);
  });

  it('a leading deletion takes the first aligned base quality; N skips are kept and merged; H and P are removed', () => {
    const p = plan('2H2D3M1P100N1N2=1X', 6);
    expect(formatCigar(p.cigar)).toBe('5M101N3M');
    expect(Array.from(p.qualFrom)).toEqual([0, 0, 0, 1, 2, 3, 4, 5]);
    expect(p.refSpan).toBe(109);
  });

  it('a mapped record with no aligned base, or whose CIGAR disagrees with SEQ, is not sanitized', () => {
    expect(planSanitized(parseCigarText('10S')!, 10)).toBe('no-aligned-base');
    expect(planSanitized(parseCigarText('10M')!, 11)).toBe('query-length-mismatch');
    expect(typeof planSanitized(parseCigarText('10M')!, 0)).toBe('object'); // SEQ '*': no length to check
  });

  it('MD and NM follow samtools calmd: a reference N is a mismatch, N skips add nothing', () => {
    const contig = Buffer.from('ACGTNACGTACGT');
    expect(calmdTags(Buffer.from('ACGTNACG'), parseCigarText('8M')!, contig, 0)).toEqual({ md: '4N3', nm: 1 });
    // 3M at 0-2 (ACG), 5N skips 3-7, 2M at 8-9 (TA).
    expect(calmdTags(Buffer.from('ACGTA'), parseCigarText('3M5N2M')!, contig, 0)).toEqual({ md: '5', nm: 0 });
  });

  it('covered blocks merge M and D and leave N as a gap (what depth counts with deletions included)', () => {
    expect(coveredBlocks(parseCigarText('5S10M2D3M4N5M')!, 100)).toEqual([100, 115, 119, 124]);
    expect(coveredBlocks(parseCigarText('15M4N5M')!, 100)).toEqual([100, 115, 119, 124]);
  });
});

describe('reference FASTA', () => {
  it('the index built while streaming equals the .fai samtools faidx wrote, and contigs come out upper-cased', async () => {
    const b = new FaiBuilder('mpileup.ref.fa');
    const raw = readFileSync(REF);
    for (let i = 0; i < raw.length; i += 1000) b.push(raw.subarray(i, i + 1000));
    expect(b.finish()).toEqual(parseFai(readFileSync(`${REF}.fai`, 'latin1'), 'mpileup.ref.fa.fai'));
    const multi = join(dir, 'multi.fa');
    writeFileSync(multi, '>a desc\nacgtn\nAC\n>b\nNNNNNNNN\nGG\n');
    const ref = await ReferenceFasta.open(multi); // no .fai: indexed in memory
    expect((await ref.contig('a')).toString()).toBe('ACGTNAC');
    expect((await ref.contig('b')).toString()).toBe('NNNNNNNNGG');
    await ref.close();
    expect(contigFromFasta(Buffer.from('AC\n>x'), { name: 'a', length: 4, offset: 0, lineBases: 2, lineBytes: 3 })).toBeNull();
  });

  it.skipIf(!HAS_SAMTOOLS)('a contig read through the .fai equals samtools faidx output', async () => {
    const ref = await ReferenceFasta.open(REF);
    const ours = (await ref.contig('17')).toString();
    await ref.close();
    const theirs = samtools('faidx', REF, '17').split('\n').slice(1).join('').toUpperCase();
    expect(ours).toBe(theirs);
    compared++;
  });
});

describe.skipIf(!TOOLS)('sanitized mpileup BAMs (samtools, bcftools)', () => {
  const calls = (path: string): number => {
    const vcf = execFileSync('sh', ['-c', 'bcftools mpileup -f "$1" "$2" 2>/dev/null | bcftools call -mv 2>/dev/null', 'sh', REF, path]).toString();
    return vcf.split('\n').filter((l) => l && !l.startsWith('#')).length;
  };

  it.each([[1, 9], [2, 7], [3, 11]])('mpileup.%i.bam: %i variants called on the original, none on the sanitized file; quickcheck, depth and calmd agree', async (i, before) => {
    const out = join(dir, `s${i}.bam`);
    const report = await pseudonymizeAlignment({ format: 'bam', input: bam(i), output: out, key, mode: 'default', sanitize: { reference: REF } });
    expect(quickcheck(out)).toBe(true);
    expect(calls(bam(i))).toBe(before);
    expect(calls(out)).toBe(0);
    // Depth on kept reads: the original without unmapped/secondary/supplementary (-F 0x904), deletions counted (-J), as the sanitized reads fill them.
    const kept = join(dir, `kept${i}.bam`);
    samtools('view', '-F', '0x904', '-b', '-o', kept, bam(i));
    const depthBefore = samtools('depth', '-J', kept);
    expect(depthBefore.length).toBeGreaterThan(1000);
    expect(samtools('depth', out)).toBe(depthBefore);
    // calmd recomputes MD/NM from the reference: it changes nothing, and NM is 0 on every record.
    const records = samtools('view', out);
    const calmd = samtools('calmd', out, REF).split('\n').filter((l) => l && !l.startsWith('@')).join('\n');
    expect(calmd).toBe(records.trimEnd());
    const lines = records.trimEnd().split('\n');
    expect(lines.every((l) => /\tNM:i:0(\t|$)/.test(l) && /^\d+M$/.test(l.split('\t')[5]!))).toBe(true);
    expect(lines.some((l) => /\t(MC|XA|SA|OQ|BQ|XC|AS):/.test(l))).toBe(false);
    // Counts only; the unmapped reads samtools counts are the ones dropped.
    expect(report.recordsOut).toBe(Number(samtools('view', '-c', '-F', '0x904', bam(i)).trim()));
    expect(report.sanitize?.recordsDropped.unmapped).toBe(Number(samtools('view', '-c', '-f', '4', bam(i)).trim()));
    expect(report.sanitize?.reference).toBe('mpileup.ref.fa');
    // verify --sanitize: every check passes, with the key (determinism included) and without.
    for (const k of [key, undefined]) {
      const checks = await verifyAlignment({ format: 'bam', original: bam(i), pseudonymized: out, key: k, sanitize: { reference: REF } });
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.filter((c) => c.name.startsWith('sanitized:'))).toHaveLength(5);
    }
    compared++;
  });

  it('SAM text is sanitized like BAM: the same records, and no variant called', async () => {
    const out = join(dir, 's1.sam');
    await pseudonymizeAlignment({ format: 'sam', input: join(FIXTURES, 'sam/bcftools_mpileup.1.sam'), output: out, key, mode: 'default', sanitize: { reference: REF } });
    expect(calls(out)).toBe(0);
    // The SAM fixture declares only @SQ 17, so mates on other contigs differ from the BAM's: compare FLAG..CIGAR, SEQ, QUAL and tags (RG aside).
    const sorted = (p: string): string[] => samtools('view', p).trimEnd().split('\n').map((l) => {
      const f = l.split('\t');
      return [...f.slice(1, 6), ...f.slice(9, 11), ...f.slice(11).filter((t) => !t.startsWith('RG:'))].join('\t');
    }).sort();
    expect(sorted(out)).toEqual(sorted(join(dir, 's1.bam')));
    const checks = await verifyAlignment({ format: 'sam', original: join(FIXTURES, 'sam/bcftools_mpileup.1.sam'), pseudonymized: out, key, sanitize: { reference: REF } });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    compared++;
  });

  it('unmapped, secondary and supplementary records are dropped by default and kept when asked (unmapped unchanged)', async () => {
    // mpileup.2 has 2 unmapped reads; mark two mapped reads secondary (0x100) and supplementary (0x800) to have all three kinds.
    const text = samtools('view', '-h', '--no-PG', bam(2)).split('\n');
    let marked = 0;
    const edited = text.map((l) => {
      if (!l || l.startsWith('@') || marked >= 2) return l;
      const f = l.split('\t');
      if (Number(f[1]) & 4) return l;
      f[1] = String(Number(f[1]) | (marked++ === 0 ? 0x100 : 0x800));
      return f.join('\t');
    });
    const input = join(dir, 'flags.sam');
    writeFileSync(input, edited.join('\n'));
    const dropped = await pseudonymizeAlignment({ format: 'sam', input, output: join(dir, 'flags-default.sam'), key, mode: 'default', sanitize: { reference: REF } });
    expect(dropped.sanitize?.recordsDropped).toEqual({ unmapped: 2, secondary: 1, supplementary: 1, noAlignedBase: 0 });
    expect(dropped.recordsOut).toBe(233 - 4);
    const keepAll = { reference: REF, keepUnmapped: true, keepSecondary: true, keepSupplementary: true };
    const out = join(dir, 'flags-kept.sam');
    const kept = await pseudonymizeAlignment({ format: 'sam', input, output: out, key, mode: 'default', sanitize: keepAll });
    expect(kept.recordsOut).toBe(233);
    expect(kept.sanitize?.unmappedKept).toBe(2);
    const seqOf = (p: string, flag: number): string[] => samtools('view', '-f', String(flag), p).trimEnd().split('\n').map((l) => l.split('\t')[9]!);
    expect(seqOf(out, 4)).toEqual(seqOf(input, 4));
    expect(calls(join(dir, 'flags-default.sam'))).toBe(0);
    const checks = await verifyAlignment({ format: 'sam', original: input, pseudonymized: out, key, sanitize: keepAll });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    compared++;
  });

  it('verify --sanitize fails on an output that was only pseudonymized, naming positions and never bases', async () => {
    const plain = join(dir, 'plain2.bam');
    await pseudonymizeAlignment({ format: 'bam', input: bam(2), output: plain, key, mode: 'default' });
    const checks = await verifyAlignment({ format: 'bam', original: bam(2), pseudonymized: plain, sanitize: { reference: REF } });
    const failed = new Map(checks.filter((c) => !c.ok).map((c) => [c.name, c]));
    expect([...failed.keys()]).toEqual(expect.arrayContaining([
      'sanitized: no unmapped, secondary, supplementary records left',
      'sanitized: every base of every mapped record equals the reference',
      'sanitized: CIGAR has only M and N (no clip, insertion, deletion or padding)',
    ]));
    const bases = failed.get('sanitized: every base of every mapped record equals the reference')!;
    expect(bases.unmaskedPositions?.[0]).toMatch(/^17:\d+$/);
    for (const c of checks) expect(`${c.detail ?? ''} ${(c.unmaskedPositions ?? []).join(' ')}`).not.toMatch(/[ACGTN]{8}/);
    compared++;
  });
});

describe('refusals', () => {
  it('a reference without the contig the reads use, or too short for them, is GENOFED_REFERENCE naming the contig; no output is left', async () => {
    const other = join(dir, 'other.fa');
    writeFileSync(other, '>chrX\nACGT\n');
    const out = join(dir, 'refused.bam');
    await expect(pseudonymizeAlignment({ format: 'bam', input: bam(3), output: out, key, mode: 'default', sanitize: { reference: other } }))
      .rejects.toMatchObject({ code: 'GENOFED_REFERENCE', message: expect.stringMatching(/^other\.fa: has no contig named 17,/) });
    const short = join(dir, 'short.fa');
    writeFileSync(short, `>17\n${'A'.repeat(1000)}\n`);
    await expect(pseudonymizeAlignment({ format: 'bam', input: bam(3), output: out, key, mode: 'default', sanitize: { reference: short } }))
      .rejects.toMatchObject({ code: 'GENOFED_REFERENCE', message: expect.stringMatching(/^short\.fa: .*record \d+ on contig 17 runs past the end/) });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).some((n) => n.startsWith('.refused.bam.tmp'))).toBe(false);
  });

  it('--sanitize is refused (GENOFED_USAGE) on vcf, table and fastq, without --reference, and --reference without --sanitize', () => {
    for (const f of ['vcf', 'table', 'fastq']) expect(() => sanitizeOpts(f, { sanitize: true, reference: REF })).toThrow(expect.objectContaining({ code: 'GENOFED_USAGE' }));
    expect(() => sanitizeOpts('bam', { sanitize: true })).toThrow(expect.objectContaining({ code: 'GENOFED_USAGE' }));
    expect(() => sanitizeOpts('bam', { reference: REF })).toThrow(expect.objectContaining({ code: 'GENOFED_USAGE' }));
    expect(() => sanitizeOpts('sam', { keepUnmapped: true })).toThrow(expect.objectContaining({ code: 'GENOFED_USAGE' }));
    expect(sanitizeOpts('vcf', {})).toBeUndefined();
    expect(sanitizeOpts('bam', { sanitize: true, reference: REF, keepSecondary: true })).toEqual({ reference: REF, keepUnmapped: false, keepSecondary: true, keepSupplementary: false });
  });
});

describe('tool guard', () => {
  it('the samtools/bcftools comparisons ran (they may skip only where the tools are absent, never in CI)', () => {
    if (process.env.CI || TOOLS) expect(compared).toBeGreaterThanOrEqual(7);
    else expect(compared).toBe(0);
  });
});
