/**
 * `scan`: what it detects (resident registration numbers with a plausible
 * date, denylisted strings, read-name patterns, barcode tags, identifying
 * header fields), that it reports kinds and locations but never the value,
 * and that on every real SAM/BAM it finds the identifiers in the input and
 * nothing in the pseudonymized output (the VCFs are covered in
 * vcf-roundtrip.test.ts, next to their outputs).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudonymizeAlignment } from '../../../node/pseudonymize/alignment/index.js';
import { RRN_PATTERN, scanFile } from '../../../node/pseudonymize/scan.js';
import { pseudonym } from '../../../node/pseudonymize/pseudonym.js';
import { generateSiteKey } from '../../../node/pseudonymize/site-key.js';
import { FIXTURES, alignmentFixtures } from './tools.js';

const key = generateSiteKey();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-scan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('detectors', () => {
  it('match resident registration numbers only with a plausible birth date', () => {
    expect(RRN_PATTERN.test('900101-1234567')).toBe(true);
    expect(RRN_PATTERN.test('0512314234567')).toBe(true);
    expect(RRN_PATTERN.test('901301-1234567')).toBe(false); // month 13
    expect(RRN_PATTERN.test('900132-1234567')).toBe(false); // day 32
    expect(RRN_PATTERN.test('900101-5234567')).toBe(false); // 5 is not a Korean-national code 1-4
    expect(RRN_PATTERN.test('19900101-1234567')).toBe(false); // part of a longer number
  });

  it('find RRNs, paths, dates and denylisted ids in a table, by location and never by value', async () => {
    const f = join(dir, 'pheno.tsv');
    await writeFile(f, 'id\tname\tnote\tcode\nPT-77\tKim\t900101-1234567\t12\nPT-78\tLee\t/mnt/hospital/x.txt\t7\nPT-79\tPark\t2023-01-05\tMRN0042\n');
    const r = await scanFile(f, { denylist: ['MRN0042', 'PT-78', '# comment'] });
    expect(r.format).toBe('table');
    expect(r.findings.map((x) => [x.kind, x.where])).toEqual([
      ['column name suggesting a direct identifier', 'column 1 (id)'],
      ['column name suggesting a direct identifier', 'column 2 (name)'],
      ['resident registration number', 'line 2, column 3'],
      ['denylisted string', 'line 3, column 1'],
      ['path', 'line 3, column 3'],
      ['date', 'line 4, column 3'],
    ]);
    expect(r.findings.find((x) => x.kind === 'denylisted string')?.count).toBe(2);
    expect(JSON.stringify(r)).not.toMatch(/900101|Kim|PT-7|MRN|hospital|2023/);
  });

  it('list each identifier-like table column by name, and all-distinct columns of at least 10 rows, never a value', async () => {
    const f = join(dir, 'export.csv');
    const rows = Array.from({ length: 12 }, (_, i) => [`S${i}`, ['GBR', 'FIN', 'YRI'][i % 3], 100_001 + i, `0101234${String(5000 + i)}`, (50 + i * 0.37).toFixed(2), 30 + (i % 4), ['Kim', 'Lee', 'Park'][i % 3]].join(','));
    await writeFile(f, ['sample,pop,patient_id,tel_no,lab_value,age,firstName', ...rows].join('\n') + '\n');
    const r = await scanFile(f);
    expect(r.findings.map((x) => [x.kind, x.where, x.count])).toEqual([
      ['column with a distinct value in every row (identifier; at least 10 rows)', 'column 1 (sample)', 1],
      ['column name suggesting a direct identifier', 'column 3 (patient_id)', 1],
      ['column name suggesting a direct identifier', 'column 4 (tel_no)', 1],
      ['column with a distinct value in every row (identifier; at least 10 rows)', 'column 5 (lab_value)', 1],
      ['column name suggesting a direct identifier', 'column 7 (firstName)', 1],
    ]);
    expect(JSON.stringify(r)).not.toMatch(/10000|0101234|Kim|S11|50\.37/);
    // The same table with the sample ids pseudonymized: that column is not a finding; 9 rows are too few to judge.
    const g = join(dir, 'export-9.csv');
    await writeFile(g, ['sample,pop,lab_value', ...Array.from({ length: 9 }, (_, i) => `${pseudonym(key, 'sample', `S${i}`)},GBR,${i}`)].join('\n') + '\n');
    expect((await scanFile(g)).findings).toEqual([]);
  });

  it('find Illumina read names, barcode tags and identifying @RG fields in SAM', async () => {
    const f = join(dir, 'x.sam');
    await writeFile(f, [
      '@HD\tVN:1.6',
      '@SQ\tSN:chr1\tLN:1000\tUR:file:///refs/hg38.fa',
      '@RG\tID:run7\tSM:PT-0001\tPU:H7KL2.1\tDT:2024-01-15',
      '@PG\tID:bwa\tPN:bwa\tCL:bwa mem /data/PT-0001_R1.fq.gz',
      '@CO\tcollected at Seoul',
      'A00123:8:H7KL2DRXX:1:1101:10000:1000\t0\tchr1\t10\t60\t4M\t*\t0\t0\tACGT\tFFFF\tRG:Z:run7\tBC:Z:ACGTACGT',
      '',
    ].join('\n'));
    const r = await scanFile(f, { denylist: ['PT-0001'] });
    expect(r.format).toBe('sam');
    const kinds = r.findings.map((x) => x.kind);
    for (const k of ['@SQ UR (path)', '@RG ID that is not a pseudonym', '@RG SM that is not a pseudonym', '@RG PU (identifying field)', '@RG DT (identifying field)', '@PG CL (command line)', '@CO comment', 'Illumina read name', 'tag BC (barcode/UMI)', 'denylisted string', 'date in a header line', 'path in a header line']) {
      expect(kinds, k).toContain(k);
    }
    expect(JSON.stringify(r)).not.toMatch(/PT-0001|A00123|ACGTACGT|Seoul|run7/);
  });
});

describe('scan on every real SAM and BAM', () => {
  // This file carries no identifier a scanner could see: simulated read names, no @RG/@PG/@CO.
  const NOTHING_TO_FIND = new Set(['pysam_example_unmapped_reads_no_sq.sam']);
  for (const f of alignmentFixtures()) {
    it(`finds the identifiers in ${relative(FIXTURES, f)} and nothing after pseudonymization`, async () => {
      const format = f.endsWith('.bam') ? 'bam' : 'sam';
      const out = join(dir, `${basename(f)}.pseudo.${format}${f.endsWith('.gz') ? '.gz' : ''}`);
      await pseudonymizeAlignment({ format, input: f, output: out, key, mode: 'default' });
      const before = await scanFile(f);
      const after = await scanFile(out);
      expect(before.format).toBe(format);
      if (!NOTHING_TO_FIND.has(basename(f))) expect(before.findings.length).toBeGreaterThan(0);
      expect(after.findings).toEqual([]);
    }, 60_000);
  }
});
