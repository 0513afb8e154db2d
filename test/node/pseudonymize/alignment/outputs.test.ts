/**
 * Output form and side outputs: compression follows the input (gzip/BGZF
 * SAM -> BGZF, plain -> plain, BAM -> BGZF with the EOF block), the
 * re-identification map gets read groups, samples and libraries (not read
 * names), progress is reported, and the report holds counts only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pseudonymizeAlignment } from '../../../../node/pseudonymize/alignment/index.js';
import { BGZF_EOF } from '../../../../node/io/bgzf-writer.js';
import { detectCompression } from '../../../../node/io/open-input.js';
import { MapCollector } from '../../../../node/pseudonymize/reid-map.js';
import { Pseudonymizer } from '../../../../node/pseudonymize/pseudonym.js';
import { execFileSync } from 'node:child_process';
import { verifyAlignment } from '../../../../node/pseudonymize/alignment/index.js';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { BgzfSink } from '../../../../node/pseudonymize/alignment/bgzf-sink.js';
import { FIXTURES, HAS_SAMTOOLS, samtools, testKey } from './samtools.js';

const dir = mkdtempSync(join(tmpdir(), 'genofed-aln-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = testKey();

describe('alignment outputs', () => {
  it('gzip SAM in gives BGZF SAM out; plain SAM stays plain; BAM ends with the BGZF EOF block', async () => {
    const gz = join(dir, 'ex1.sam.gz');
    await pseudonymizeAlignment({ format: 'sam', input: join(FIXTURES, 'sam/samtools_ex1.sam.gz'), output: gz, key, mode: 'default' });
    expect(await detectCompression(join(FIXTURES, 'sam/samtools_ex1.sam.gz'))).toBe('gzip');
    expect(await detectCompression(gz)).toBe('bgzf');
    const plain = join(dir, 'xx.sam');
    await pseudonymizeAlignment({ format: 'sam', input: join(FIXTURES, 'sam/htslib_xx_rg.sam'), output: plain, key, mode: 'default' });
    expect(await detectCompression(plain)).toBe('none');
    expect(readFileSync(plain, 'utf8')).toMatch(/^@HD\tVN:1\.4\tSO:coordinate\n/);
    const bam = join(dir, 'range.bam');
    await pseudonymizeAlignment({ format: 'bam', input: join(FIXTURES, 'bam/htslib_range.bam'), output: bam, key, mode: 'default' });
    const bytes = readFileSync(bam);
    expect(bytes.subarray(bytes.length - 28).equals(BGZF_EOF)).toBe(true);
  });

  it('the map receives read groups, samples and libraries with their pseudonyms, and no read names', async () => {
    const map = new MapCollector();
    const out = join(dir, 'mp1.bam');
    const r = await pseudonymizeAlignment({ format: 'bam', input: join(FIXTURES, 'bam/samtools_mpileup.1.bam'), output: out, key, mode: 'default', map });
    const entries = map.sortedEntries();
    const byType = (t: string) => entries.filter((e) => e.idType === t);
    expect(byType('readgroup').length).toBe(53);
    expect(r.readGroupsRewritten).toBe(53);
    expect(byType('sample').map((e) => e.original)).toEqual(['HG00100']);
    expect(byType('sample')[0]!.pseudonym).toBe(new Pseudonymizer(key, 'sample').pseudonym('HG00100'));
    expect(byType('library').length).toBeGreaterThan(0);
    expect(byType('read')).toEqual([]);
  });

  it('an RG:Z value that no @RG line declares is rewritten with the same function and counted', async () => {
    const map = new MapCollector();
    const r = await pseudonymizeAlignment({ format: 'bam', input: join(FIXTURES, 'bam/bcftools_mpileup.4.bam'), output: join(dir, 'mp4.bam'), key, mode: 'default', map });
    expect(r.undeclaredReadGroups).toBe(1);
    expect(r.readGroupsRewritten).toBe(2);
    const undeclared = map.sortedEntries().find((e) => e.idType === 'readgroup' && e.original === 'ERR999999');
    expect(undeclared?.pseudonym).toBe(new Pseudonymizer(key, 'readgroup').pseudonym('ERR999999'));
  });

  it('reports progress up to the file size, and the report carries counts and the key id only', async () => {
    const seen: Array<[number, number]> = [];
    const input = join(FIXTURES, 'bam/airway_SRR1039508_subset.bam');
    const r = await pseudonymizeAlignment({ format: 'bam', input, output: join(dir, 'airway.bam'), key, mode: 'default', onProgress: (a, b) => seen.push([a, b]) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]![0]).toBe(seen[seen.length - 1]![1]);
    expect(r.keyId).toBe(key.keyId);
    expect(r.recordsIn).toBe(14282);
    expect(r.headerLinesDropped).toEqual({});
    // STAR writes its command line twice: CL and a user tag cl (both dropped by the allow-list).
    expect(r.headerFieldsDropped).toEqual({ 'PG.CL': 1, 'PG.cl': 1 });
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/SRR1039508|airway|\/|fastq/);
  });

  it.skipIf(!HAS_SAMTOOLS)('a header-only BAM (no records) is rewritten and verifies', async () => {
    const input = join(dir, 'header-only.bam');
    execFileSync('samtools', ['view', '--no-PG', '-H', '-b', '-o', input, join(FIXTURES, 'bam/samtools_mpileup.2.bam')]);
    const out = join(dir, 'header-only.out.bam');
    const r = await pseudonymizeAlignment({ format: 'bam', input, output: out, key, mode: 'default' });
    expect(r.recordsIn).toBe(0);
    expect(samtools('view', '-c', out).trim()).toBe('0');
    expect(samtools('view', '-H', '--no-PG', out)).toMatch(/^@RG\tID:[a-z2-7]{26}\tLB:[a-z2-7]{26}\tSM:[a-z2-7]{26}\tPI:510\tPL:ILLUMINA$/m);
    const checks = await verifyAlignment({ format: 'bam', original: input, pseudonymized: out, key });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('the BGZF sink gives the same bytes with 1 or 3 deflate workers, and they inflate to the input', async () => {
    const data = gunzipSync(readFileSync(join(FIXTURES, 'bam/airway_SRR1039508_subset.bam')));
    const run = async (workers: number): Promise<Buffer> => {
      const out = new PassThrough();
      const parts: Buffer[] = [];
      out.on('data', (c: Buffer) => parts.push(c));
      const sink = new BgzfSink(out, workers);
      // Uneven writes and an early block flush, as the BAM writer does after the header.
      await sink.write(data.subarray(0, 1000));
      await sink.flushBlock();
      for (let at = 1000; at < data.length; at += 77777) await sink.write(data.subarray(at, Math.min(data.length, at + 77777)));
      await sink.end();
      return Buffer.concat(parts);
    };
    const one = await run(1);
    const three = await run(3);
    expect(one.equals(three)).toBe(true);
    expect(gunzipSync(one).equals(data)).toBe(true);
    expect(one.subarray(one.length - 28).equals(BGZF_EOF)).toBe(true);
  });
});
