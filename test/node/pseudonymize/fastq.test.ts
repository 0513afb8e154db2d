/**
 * FASTQ pseudonymization (issue 13, deliverable 2) on real reads: the
 * airway pair that `samtools fastq` made from the real BAM, and real reads
 * under Casava 1.8, old Illumina and SRA fastq-dump names. Everything we
 * claim is checked with tools that do not share our parser: gzip + awk for
 * sequence/quality digests and name lines, grep -F for leftover tokens,
 * bgzip/gzip -t for the container, seqkit for counts and ids, samtools for
 * reading the output (import) and for the BAM-pseudonym equality.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeError } from '../../../node/errors.js';
import { pseudonymizeAlignment } from '../../../node/pseudonymize/alignment/index.js';
import { pseudonymizeFastqFiles } from '../../../node/pseudonymize/fastq/pseudonymize-fastq.js';
import { parseReadName, pseudonymizedNameLine, PSEUDONYMIZED_NAME_LINE } from '../../../node/pseudonymize/fastq/read-name.js';
import { SpotPseudonyms } from '../../../node/pseudonymize/fastq/spot-pseudonyms.js';
import { verifyFastq } from '../../../node/pseudonymize/fastq/verify-fastq.js';
import { Pseudonymizer } from '../../../node/pseudonymize/pseudonym.js';
import { scanFile } from '../../../node/pseudonymize/scan.js';
import { testKey } from './alignment/samtools.js';
import { FIXTURES, MUST_HAVE_TOOLS, ROOT, digestOf, has, run } from './tools.js';

const FQ = join(FIXTURES, 'fastq');
const dir = mkdtempSync(join(tmpdir(), 'genofed-fastq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = testKey(3);
const HAS_SEQKIT = has('seqkit');
const HAS_SAMTOOLS = has('samtools');
const HAS_BGZIP = has('bgzip');
const compared = { seqkit: 0, samtools: 0 };

const PAIRS = [
  { name: 'airway (samtools fastq, BGZF, SRA spot names)', r1: 'airway_SRR1039508_subset_R1.fastq.gz', r2: 'airway_SRR1039508_subset_R2.fastq.gz', records: 7097 },
  { name: 'Casava 1.8 with dual-index barcodes (plain)', r1: 'illumina_casava18_R1.fastq', r2: 'illumina_casava18_R2.fastq', records: 200 },
  { name: 'old Illumina #0/1 (plain gzip)', r1: 'illumina_old_R1.fastq.gz', r2: 'illumina_old_R2.fastq.gz', records: 100 },
  { name: 'SRA fastq-dump with the Illumina name in the comment and on the + line', r1: 'sra_fastq_dump_R1.fastq', r2: 'sra_fastq_dump_R2.fastq', records: 100 },
];

/** A shell pipeline over a file, its stdout (the file is passed as $1, never interpolated). */
function sh(script: string, file: string): string {
  const r = run('sh', ['-c', script, 'sh', file]);
  if (r.code !== 0) throw new Error(`sh failed: ${r.stderr}`);
  return r.stdout;
}
/** SHA-256 of sequence and quality lines, in order, by gzip + awk (not our parser). */
const seqQualDigest = (f: string): Promise<{ sha256: string }> => digestOf('sh', ['-c', "gzip -dc -f \"$1\" | awk 'NR%4==2||NR%4==0'", 'sh', f]);
/** Name lines (1st and 3rd of each record) by awk. */
const nameLines = (f: string): string[] => sh("gzip -dc -f \"$1\" | awk 'NR%4==1||NR%4==3'", f).split('\n').filter(Boolean);
/** The 1st line of each record. */
const headers = (f: string): string[] => sh("gzip -dc -f \"$1\" | awk 'NR%4==1'", f).split('\n').filter(Boolean);

/** Tokens of the original names an attacker could link on: instrument, run accession, flowcell, barcodes. */
function nameTokens(lines: string[]): Set<string> {
  const out = new Set<string>();
  for (const l of lines) for (const t of l.replace(/^[@+]/, '').split(/[\s:#/.+=_]+/)) if (t.length >= 4 && /[A-Za-z]/.test(t)) out.add(t);
  return out;
}

async function pseudonymizePair(r1: string, r2: string, tag: string): Promise<{ o1: string; o2: string }> {
  const o1 = join(dir, `${tag}_R1.out.fastq.gz`);
  const o2 = join(dir, `${tag}_R2.out.fastq.gz`);
  await pseudonymizeFastqFiles({ input: join(FQ, r1), input2: join(FQ, r2), output: o1, output2: o2, key, overwrite: true });
  return { o1, o2 };
}

describe('paired FASTQ round trip on every fixture pair', () => {
  for (const [i, p] of PAIRS.entries()) {
    it(`${p.name}: sequences and qualities identical (gzip + awk digest), names replaced, mates paired, verify passes`, async () => {
      const { o1, o2 } = await pseudonymizePair(p.r1, p.r2, `rt${i}`);
      for (const [orig, out] of [[p.r1, o1], [p.r2, o2]] as const) {
        expect((await seqQualDigest(out)).sha256).toBe((await seqQualDigest(join(FQ, orig))).sha256);
        const outNames = nameLines(out);
        expect(outNames.length).toBe(2 * p.records);
        // Every name line is a pseudonym (+ mate suffix / Casava flags), every + line bare.
        outNames.forEach((l, k) => (k % 2 ? expect(l).toBe('+') : expect(l).toMatch(PSEUDONYMIZED_NAME_LINE)));
        // grep -F: no token of the original names (instrument, flowcell, SRR accession, barcodes) in the output's name lines.
        const tokens = [...nameTokens(nameLines(join(FQ, orig)))];
        expect(tokens.length).toBeGreaterThan(0);
        const tokenFile = join(dir, `tokens${i}.txt`);
        writeFileSync(tokenFile, `${tokens.join('\n')}\n`);
        const grep = run('sh', ['-c', "gzip -dc \"$1\" | awk 'NR%4==1||NR%4==3' | grep -c -F -f \"$2\"", 'sh', out, tokenFile]);
        expect(grep.stdout.trim()).toBe('0');
        // The container: gzip and bgzip accept it.
        expect(run('gzip', ['-t', out]).code).toBe(0);
        if (HAS_BGZIP) expect(run('bgzip', ['-t', out]).code).toBe(0);
      }
      // Mates: the same pseudonym at every record, mate numbers as in the input.
      const h1 = headers(o1);
      const h2 = headers(o2);
      const base = (l: string): string => l.split(' ')[0]!.replace(/[/.][12]$/, '');
      expect(h1.map(base)).toEqual(h2.map(base));
      // The input's mate number, read independently: `/1` on the name, `.1` after an SRA spot, or the Casava comment's first field.
      const inputMate = (l: string): string => /^@\S*\/([12])(?:\s|$)/.exec(l)?.[1] ?? /^@[SED]RR\d+\.\d+\.([12])(?:\s|$)/.exec(l)?.[1] ?? /^@\S+\s([1-4]):[YN]:/.exec(l)?.[1] ?? '';
      const outputMate = (l: string): string => /^@[a-z2-7]{26}[/.]([12])/.exec(l)?.[1] ?? / ([1-4]):[YN]:\d+$/.exec(l)?.[1] ?? '';
      expect(h1.map(outputMate)).toEqual(headers(join(FQ, p.r1)).map(inputMate));
      expect(h2.map(outputMate)).toEqual(headers(join(FQ, p.r2)).map(inputMate));
      const checks = await verifyFastq({ original: join(FQ, p.r1), original2: join(FQ, p.r2), pseudonymized: o1, pseudonymized2: o2, key });
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.map((c) => c.name)).toContain('deterministic with the key');
      expect(JSON.stringify(checks)).not.toMatch(/SRR1039508|H5KJ2DSXX|HWUSI|C0TBFACXX|ACGTACGT/);
    }, 60_000);
  }

  it.skipIf(!HAS_SEQKIT)('seqkit counts the same records and reads only pseudonyms as ids', async () => {
    for (const [i, p] of PAIRS.entries()) {
      const { o1 } = await pseudonymizePair(p.r1, p.r2, `sk${i}`);
      const stats = (f: string): string => run('seqkit', ['stats', '-T', f]).stdout.split('\n')[1]!.split('\t').slice(1).join('\t');
      expect(stats(o1)).toBe(stats(join(FQ, p.r1)));
      const ids = run('seqkit', ['seq', '-n', '-i', o1]).stdout.split('\n').filter(Boolean);
      expect(ids.length).toBe(p.records);
      for (const id of ids) expect(id).toMatch(/^[a-z2-7]{26}(?:[/.][12])?$/);
      compared.seqkit++;
    }
  }, 60_000);

  it.skipIf(!HAS_SAMTOOLS)('samtools import reads the pseudonymized pair as paired reads', async () => {
    const p = PAIRS[0]!;
    const { o1, o2 } = await pseudonymizePair(p.r1, p.r2, 'imp');
    const bam = join(dir, 'imported.bam');
    expect(run('samtools', ['import', '-1', o1, '-2', o2, '-o', bam]).code).toBe(0);
    const flagstat = run('samtools', ['flagstat', bam]).stdout;
    expect(flagstat).toMatch(new RegExp(`^${2 * p.records} \\+ 0 in total`));
    expect(flagstat).toMatch(new RegExp(`${p.records} \\+ 0 read1`));
    compared.samtools++;
  });
});

describe('pseudonyms', () => {
  it.skipIf(!HAS_SAMTOOLS)("a read's FASTQ pseudonym equals its BAM QNAME pseudonym under the same key (samtools view of both BAMs)", async () => {
    const bam = join(FIXTURES, 'bam', 'airway_SRR1039508_subset.bam');
    const pbam = join(dir, 'airway.pseudonymized.bam');
    await pseudonymizeAlignment({ format: 'bam', input: bam, output: pbam, key, mode: 'default' });
    // Same record order in both BAMs (our rewrite keeps it): record i's original and pseudonymized QNAME.
    const qnames = (f: string): string[] => run('samtools', ['view', '-F', '0x900', f]).stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!);
    const before = qnames(bam);
    const after = qnames(pbam);
    expect(after.length).toBe(before.length);
    const p = PAIRS[0]!;
    const { o1 } = await pseudonymizePair(p.r1, p.r2, 'bameq');
    const fastqNames = headers(join(FQ, p.r1)).map((l) => l.slice(1));
    const fastqPseudonyms = headers(o1).map((l) => l.slice(1));
    const fromFastq = new Map(fastqNames.map((n, k) => [n, fastqPseudonyms[k]!]));
    let matched = 0;
    before.forEach((n, k) => {
      const fq = fromFastq.get(n);
      if (fq === undefined) return;
      expect(fq).toBe(after[k]);
      matched++;
    });
    expect(matched).toBe(2 * p.records);
    compared.samtools++;
  }, 60_000);

  it('the same input and key give byte-identical outputs; another key gives other names', async () => {
    const p = PAIRS[1]!;
    const a = await pseudonymizePair(p.r1, p.r2, 'det-a');
    const b = await pseudonymizePair(p.r1, p.r2, 'det-b');
    expect(readFileSync(a.o1).equals(readFileSync(b.o1))).toBe(true);
    expect(readFileSync(a.o2).equals(readFileSync(b.o2))).toBe(true);
    const other = join(dir, 'other-key.fastq.gz');
    await pseudonymizeFastqFiles({ input: join(FQ, p.r1), output: other, key: testKey(4) });
    const mine = new Set(headers(a.o1));
    expect(headers(other).filter((h) => mine.has(h))).toEqual([]);
  });

  it('the name line keeps the mate in the input form and the Casava flags without the barcode', () => {
    const line = (s: string): string => {
      const b = Buffer.from(s, 'latin1');
      return pseudonymizedNameLine('p'.repeat(26), b, parseReadName(b)!);
    };
    const p = 'p'.repeat(26);
    expect(line('@A00123:8:H5KJ2DSXX:1:1101:10004:1000 2:Y:0:ACGTACGT+TTGCAAGG')).toBe(`@${p} 2:Y:0`);
    expect(line('@HWUSI-EAS100R:6:73:941:1973#0/1')).toBe(`@${p}/1`);
    expect(line('@SRR1039508.1 HWI-ST177:290:C0TBFACXX:8:1101:1430:2181 length=63')).toBe(`@${p}`);
    expect(line('@SRR1039508.7.2 HWI-ST177:290:C0TBFACXX:8:1101:1430:2181 length=63')).toBe(`@${p}.2`);
    // A spot whose number ends in 1 or 2 is not a mate suffix.
    expect(line('@SRR1039508.12')).toBe(`@${p}`);
    const n = parseReadName(Buffer.from('@HWUSI-EAS100R:6:73:941:1973#0/2'))!;
    expect(Buffer.from('@HWUSI-EAS100R:6:73:941:1973#0/2').toString('latin1', n.baseStart, n.baseEnd)).toBe('HWUSI-EAS100R:6:73:941:1973#0');
  });

  it('the FASTQ fast path computes the keyed read pseudonym of Pseudonymizer, also for names over 255 bytes', () => {
    const spots = new SpotPseudonyms(key);
    const slow = new Pseudonymizer(key, 'read');
    const out = Buffer.alloc(26);
    for (const n of ['HWUSI-EAS100R:6:73:941:1973#0', 'SRR1039508.4342210', 'x', `m64011_190830_220126/${'7'.repeat(300)}/ccs`]) {
      const b = Buffer.from(`@${n} 1:N:0`);
      spots.write(b, 1, 1 + n.length, out, 0);
      expect(out.toString('latin1')).toBe(slow.pseudonymOfBytes(Buffer.from(n)));
      expect(out.toString('latin1')).toBe(slow.pseudonym(n));
    }
    spots.dispose();
  });

  it('single-end input gives a single output with the same pseudonyms as R1 of the pair', async () => {
    const p = PAIRS[2]!;
    const single = join(dir, 'single.fastq.gz');
    const report = await pseudonymizeFastqFiles({ input: join(FQ, p.r1), output: single, key });
    expect(report.paired).toBe(false);
    expect(report.records).toBe(p.records);
    const { o1 } = await pseudonymizePair(p.r1, p.r2, 'se');
    expect(headers(single)).toEqual(headers(o1));
    expect((await verifyFastq({ original: join(FQ, p.r1), pseudonymized: single, key })).every((c) => c.ok)).toBe(true);
  });
});

describe('inputs: plain, gzip and BGZF give the same output', () => {
  it('a BGZF and a plain-gzip copy of the Casava pair give the bytes the plain pair gives', async () => {
    const p = PAIRS[1]!;
    const plain = await pseudonymizePair(p.r1, p.r2, 'in-plain');
    const gz1 = join(dir, 'casava_R1.fastq.gz');
    const gz2 = join(dir, 'casava_R2.fastq.gz');
    writeFileSync(gz1, gzipSync(readFileSync(join(FQ, p.r1))));
    writeFileSync(gz2, gzipSync(readFileSync(join(FQ, p.r2))));
    const o1 = join(dir, 'in-gz_R1.fastq.gz');
    const o2 = join(dir, 'in-gz_R2.fastq.gz');
    const report = await pseudonymizeFastqFiles({ input: gz1, input2: gz2, output: o1, output2: o2, key });
    expect(report.compression).toEqual(['gzip', 'gzip']);
    expect(readFileSync(o1).equals(readFileSync(plain.o1))).toBe(true);
    // CRLF line ends (a file that passed through Windows) give the same LF output.
    const crlf = join(dir, 'casava_crlf_R1.fastq');
    writeFileSync(crlf, readFileSync(join(FQ, p.r1), 'latin1').replace(/\n/g, '\r\n'), 'latin1');
    const oc = join(dir, 'in-crlf_R1.fastq.gz');
    await pseudonymizeFastqFiles({ input: crlf, output: oc, key });
    expect(sh('gzip -dc "$1"', oc)).toBe(sh('gzip -dc "$1"', plain.o1));
    if (HAS_BGZIP) {
      const bg = join(dir, 'casava_R1.bgzf.fastq.gz');
      writeFileSync(bg, execFileSync('bgzip', ['-c', join(FQ, p.r1)]));
      const ob = join(dir, 'in-bgzf_R1.fastq.gz');
      const r = await pseudonymizeFastqFiles({ input: bg, output: ob, key });
      expect(r.compression).toEqual(['bgzf']);
      const single = join(dir, 'in-plain-single.fastq.gz');
      await pseudonymizeFastqFiles({ input: join(FQ, p.r1), output: single, key });
      expect(readFileSync(ob).equals(readFileSync(single))).toBe(true);
    }
  });
});

/** The error a call throws (fails the test when it does not throw). */
async function errorOf(p: Promise<unknown>): Promise<NodeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NodeError);
    return err as NodeError;
  }
  throw new Error('expected an error');
}

/** Files in the scratch folder whose name starts with `prefix` (outputs and their temporaries). */
const leftovers = (prefix: string): string[] => readdirSync(dir).filter((f) => f.startsWith(prefix) || f.startsWith(`.${prefix}`));

describe('errors name the file and record, never the data, and leave nothing behind', () => {
  const casava = PAIRS[1]!;
  const text1 = readFileSync(join(FQ, casava.r1), 'latin1');
  const text2 = readFileSync(join(FQ, casava.r2), 'latin1');
  const lines2 = text2.split('\n');
  const SECRET = /A00123|H5KJ2DSXX|ACGTACGT|TTGCAAGG|GTTGCTGATTTC/;

  async function failing(tag: string, r1: string, r2: string): Promise<NodeError> {
    const i1 = join(dir, `${tag}-in_R1.fastq`);
    const i2 = join(dir, `${tag}-in_R2.fastq`);
    writeFileSync(i1, r1, 'latin1');
    writeFileSync(i2, r2, 'latin1');
    const err = await errorOf(pseudonymizeFastqFiles({ input: i1, input2: i2, output: join(dir, `${tag}-out_R1.fastq.gz`), output2: join(dir, `${tag}-out_R2.fastq.gz`), key }));
    expect(err.message).not.toMatch(SECRET);
    expect(err.message).not.toContain(dir);
    expect(leftovers(`${tag}-out`)).toEqual([]);
    return err;
  }

  it('a truncated record (file cut inside record 200) is GENOFED_INPUT_TRUNCATED naming file and record', async () => {
    const cut = lines2.slice(0, 798).join('\n');
    const err = await failing('trunc', text1, `${cut}\n`);
    expect(err.code).toBe('GENOFED_INPUT_TRUNCATED');
    expect(err.message).toMatch(/^trunc-in_R2\.fastq: record 200 /);
  });

  it('mates whose names differ (R2 lost its record 3) are an error at record 3', async () => {
    const dropped = [...lines2.slice(0, 8), ...lines2.slice(12)].join('\n');
    const err = await failing('mismatch', text1, dropped);
    expect(err.code).toBe('GENOFED_INPUT_FORMAT');
    expect(err.message).toMatch(/^mismatch-in_R2\.fastq: record 3: read name does not match its mate in mismatch-in_R1\.fastq/);
  });

  it('a pair with different record counts is an error naming the longer file and the record without a mate', async () => {
    const shorter = `${lines2.slice(0, 796).join('\n')}\n`;
    const err = await failing('count', text1, shorter);
    expect(err.code).toBe('GENOFED_INPUT_FORMAT');
    expect(err.message).toBe('count-in_R1.fastq: record 200 has no mate: count-in_R2.fastq ends after 199 records');
  });

  it('a quality line shorter than its sequence, and a multi-line record, are GENOFED_INPUT_FORMAT', async () => {
    const l1 = text1.split('\n');
    l1[4 * 9 + 3] = l1[4 * 9 + 3]!.slice(1);
    expect((await failing('qual', l1.join('\n'), text2)).message).toBe('qual-in_R1.fastq: record 10: quality length differs from sequence length');
    const l2 = text1.split('\n');
    l2.splice(4 * 4 + 2, 0, 'ACGT');
    expect((await failing('multi', l2.join('\n'), text2)).message).toMatch(/^multi-in_R1\.fastq: record 5: third line does not start with '\+'/);
  });

  it('a truncated gzip member and a BGZF file without its EOF block are refused', async () => {
    const gz = readFileSync(join(FQ, 'illumina_old_R1.fastq.gz'));
    const cutGz = join(dir, 'cutgz.fastq.gz');
    writeFileSync(cutGz, gz.subarray(0, gz.length - 100));
    const e1 = await errorOf(pseudonymizeFastqFiles({ input: cutGz, output: join(dir, 'cutgz-out.fastq.gz'), key }));
    expect(e1.code).toBe('GENOFED_INPUT_TRUNCATED');
    expect(leftovers('cutgz-out')).toEqual([]);
    const bgzf = readFileSync(join(FQ, 'airway_SRR1039508_subset_R1.fastq.gz'));
    const noEof = join(dir, 'noeof.fastq.gz');
    writeFileSync(noEof, bgzf.subarray(0, bgzf.length - 28));
    const e2 = await errorOf(pseudonymizeFastqFiles({ input: noEof, output: join(dir, 'noeof-out.fastq.gz'), key }));
    expect(e2.code).toBe('GENOFED_INPUT_TRUNCATED');
    expect(e2.message).toMatch(/^noeof\.fastq\.gz: /);
    expect(leftovers('noeof-out')).toEqual([]);
  });

  it('existing outputs are refused without overwrite, and an output may not be an input', async () => {
    const o1 = join(dir, 'exists_R1.fastq.gz');
    const o2 = join(dir, 'exists_R2.fastq.gz');
    writeFileSync(o2, 'keep me');
    const e = await errorOf(pseudonymizeFastqFiles({ input: join(FQ, casava.r1), input2: join(FQ, casava.r2), output: o1, output2: o2, key }));
    expect(e.code).toBe('GENOFED_OUTPUT_EXISTS');
    expect(existsSync(o1)).toBe(false);
    expect(readFileSync(o2, 'utf8')).toBe('keep me');
    const copy = join(dir, 'same.fastq');
    copyFileSync(join(FQ, casava.r1), copy);
    expect((await errorOf(pseudonymizeFastqFiles({ input: copy, output: copy, key, overwrite: true }))).code).toBe('GENOFED_USAGE');
    expect((await errorOf(pseudonymizeFastqFiles({ input: copy, input2: join(FQ, casava.r2), output: o1, key }))).code).toBe('GENOFED_USAGE');
  });
});

describe('verify fastq detects what it claims to', () => {
  const p = PAIRS[3]!;
  /** Rewrite one decompressed output line and gzip it back. */
  async function tampered(tag: string, edit: (lines: string[]) => void): Promise<{ o1: string; o2: string; t1: string }> {
    const { o1, o2 } = await pseudonymizePair(p.r1, p.r2, tag);
    const lines = sh('gzip -dc "$1"', o1).split('\n');
    edit(lines);
    const t1 = join(dir, `${tag}-tampered.fastq.gz`);
    writeFileSync(t1, gzipSync(Buffer.from(lines.join('\n'), 'latin1')));
    return { o1, o2, t1 };
  }
  const failed = async (t1: string, o2: string, withKey = true): Promise<string[]> =>
    (await verifyFastq({ original: join(FQ, p.r1), original2: join(FQ, p.r2), pseudonymized: t1, pseudonymized2: o2, key: withKey ? key : undefined })).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);

  it('one changed base is reported at its record', async () => {
    const { o2, t1 } = await tampered('base', (l) => { l[4 * 41 + 1] = `N${l[4 * 41 + 1]!.slice(1)}`; });
    const f = await failed(t1, o2, false);
    expect(f.join('\n')).toMatch(/sequences and qualities \(base-tampered\.fastq\.gz\): first difference at record 42/);
  });

  it('an original name left on a + line, or as a name, fails the name and leftover checks', async () => {
    const orig = readFileSync(join(FQ, p.r1), 'latin1').split('\n');
    const { o2, t1 } = await tampered('left', (l) => { l[4 * 7 + 2] = orig[4 * 7 + 2]!; });
    const f = await failed(t1, o2, false);
    expect(f.some((x) => x.startsWith('name lines (left-tampered.fastq.gz)'))).toBe(true);
    expect(f.some((x) => x.startsWith('no original name token left') && /first at record 8/.test(x))).toBe(true);
    expect(f.join('\n')).not.toMatch(/SRR1039508|HWI-ST177|C0TBFACXX/);
  });

  it('mates that no longer share a pseudonym fail "mates pair"; a wrong pseudonym fails the keyed check', async () => {
    const { o2, t1 } = await tampered('mate', (l) => { l[0] = `@${'a'.repeat(26)}${l[0]!.slice(27)}`; });
    const f = await failed(t1, o2);
    expect(f.some((x) => x.startsWith('mates pair') && /first at record 1/.test(x))).toBe(true);
    expect(f.some((x) => x.startsWith('keyed pseudonyms'))).toBe(true);
  });

  it('an output missing its last record fails the record count', async () => {
    const { o2, t1 } = await tampered('short', (l) => { l.splice(l.length - 5, 4); });
    const f = await failed(t1, o2, false);
    expect(f.some((x) => x.startsWith('record count') && /99 of 100/.test(x))).toBe(true);
  });

  it('an output cut inside its last record fails "parses", naming the file and the record', async () => {
    const { o2, t1 } = await tampered('cut', (l) => { l.splice(l.length - 3, 3); });
    const f = await failed(t1, o2, false);
    expect(f).toEqual(['parses: cut-tampered.fastq.gz: record 100 is incomplete (file truncated)']);
  });
});

describe('scan recognises FASTQ', () => {
  it('raw FASTQ gives Illumina, SRA, barcode and + line findings; the pseudonymized files give none', async () => {
    const kinds = async (f: string): Promise<string[]> => (await scanFile(f)).findings.map((x) => x.kind).sort();
    const casava = await scanFile(join(FQ, PAIRS[1]!.r1));
    expect(casava.format).toBe('fastq');
    expect(casava.findings.find((x) => x.kind === 'Illumina read name')?.count).toBe(200);
    expect(casava.findings.find((x) => x.kind === 'index barcode in a Casava comment')?.count).toBe(200);
    expect(await kinds(join(FQ, 'illumina_old_R1.fastq.gz'))).toEqual(['Illumina read name']);
    expect(await kinds(join(FQ, PAIRS[3]!.r1))).toEqual(['Illumina read name in a comment', 'SRA run read name', "read name repeated on the '+' line"].sort());
    expect(await kinds(join(FQ, PAIRS[0]!.r1))).toEqual(['SRA run read name']);
    expect(JSON.stringify(casava)).not.toMatch(/A00123|H5KJ2DSXX|ACGTACGT/);
    for (const [i, p] of PAIRS.entries()) {
      const { o1, o2 } = await pseudonymizePair(p.r1, p.r2, `scan${i}`);
      for (const o of [o1, o2]) {
        const r = await scanFile(o);
        expect(r.format).toBe('fastq');
        expect(r.findings, basename(o)).toEqual([]);
      }
    }
  });
});

describe('genofed pseudonymize fastq / verify fastq (compiled CLI)', () => {
  const CLI = join(ROOT, 'bin', 'genofed.js');
  const genofed = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  it('pseudonymizes a pair, verifies it (exit 0, JSON), and prints no name or path', async () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    expect((await genofed(['key', 'generate', '--out', 'fq.key'])).code).toBe(0);
    const p = PAIRS[1]!;
    const r = await genofed(['pseudonymize', 'fastq', '--in', join(FQ, p.r1), '--in2', join(FQ, p.r2), '--out', 'c_R1.fq.gz', '--out2', 'c_R2.fq.gz', '--key-file', 'fq.key', '--report', 'c.report.json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'c.report.json'), 'utf8')) as { records: number; paired: boolean; casavaCommentsReduced: number };
    expect(report).toMatchObject({ records: 200, paired: true, casavaCommentsReduced: 400 });
    const v = await genofed(['verify', 'fastq', '--original', join(FQ, p.r1), '--original2', join(FQ, p.r2), '--pseudonymized', 'c_R1.fq.gz', '--pseudonymized2', 'c_R2.fq.gz', '--key-file', 'fq.key', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect((JSON.parse(v.stdout) as { ok: boolean }).ok).toBe(true);
    const again = await genofed(['pseudonymize', 'fastq', '--in', join(FQ, p.r1), '--in2', join(FQ, p.r2), '--out', 'c_R1.fq.gz', '--out2', 'c_R2.fq.gz', '--key-file', 'fq.key']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/GENOFED_OUTPUT_EXISTS|already exists/);
    const s = await genofed(['scan', join(FQ, p.r1)]);
    expect(s.code).toBe(1);
    for (const out of [r, v, again, s]) expect(out.stdout + out.stderr).not.toMatch(/A00123|H5KJ2DSXX|ACGTACGT|\/fixtures\//);
  }, 120_000);
});

it('the seqkit and samtools comparisons ran wherever the tools are required', () => {
  if (MUST_HAVE_TOOLS) {
    expect(HAS_SEQKIT, 'CI must have seqkit').toBe(true);
    expect(HAS_SAMTOOLS, 'CI must have samtools').toBe(true);
  }
  // Vitest runs the tests of a file in order, so the counts are final here; with neither tool nothing was compared, and that fails.
  if (HAS_SEQKIT) expect(compared.seqkit).toBe(PAIRS.length);
  if (HAS_SAMTOOLS) expect(compared.samtools).toBe(2);
  expect(compared.seqkit + compared.samtools, 'every seqkit/samtools comparison was skipped').toBeGreaterThan(0);
});
