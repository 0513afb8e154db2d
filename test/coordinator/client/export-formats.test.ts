/**
 * The building blocks of the export formats (BGZF blocks, RFC 4180 CSV,
 * VCF INFO keys and header lines) and the CLI's format options against a
 * listening REST app with a scripted federation: CSV for assoc, `query
 * cohort --format tsv` with `text` kept as its alias, afreq refusing
 * strata, VCF on stdout. The real-federation comparisons with bcftools and
 * plink2 are in vcf-export.test.ts. Needs the build for the CLI cases.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bgzf, bgzfSync, BGZF_EOF } from '../../../coordinator/client/bgzf-writer.js';
import { csvField, tsvToCsv } from '../../../coordinator/client/csv.js';
import { afVcf, stratumSuffixes } from '../../../coordinator/client/vcf-export.js';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { has, sh } from '../federation/bcftools-reference.js';
import { FakeFederation, NOTHING_WITHHELD, TOKEN, tokens } from '../rest/fake-federation.js';

const CLI = join(resolve(import.meta.dirname, '../../..'), 'bin', 'genofed.js');

interface Run { code: number; stdout: string; stderr: string }

function genofed(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, GENOFED_TOKEN: TOKEN, GENOFED_COORDINATOR: '' }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The BGZF blocks of a file: each gzip member's BSIZE from its BC extra field. */
function blockSizes(file: Buffer): number[] {
  const sizes: number[] = [];
  for (let at = 0; at < file.length;) {
    expect([file[at], file[at + 1], file[at + 3], file[at + 12], file[at + 13]]).toEqual([0x1f, 0x8b, 4, 0x42, 0x43]);
    const size = file.readUInt16LE(at + 16) + 1;
    sizes.push(size);
    at += size;
  }
  return sizes;
}

describe('the tools these tests read with are available where they must run', () => {
  it('finds bgzip, bcftools and script in CI (guard against silently skipped checks)', () => {
    if (process.env.CI) expect([has('bgzip'), has('bcftools'), has('script')]).toEqual([true, true, true]);
    else expect(typeof has('bgzip')).toBe('boolean');
  });
});

describe('BGZF writer', () => {
  // 300 kB: compressible VCF-like text and incompressible bytes, so blocks are cut mid-line and the stored fallback is used.
  const text = Array.from({ length: 2000 }, (_, i) => `1\t${10000 + i}\t.\tA\tC\t.\tPASS\tAC=${i};AN=5008\n`).join('');
  const noise = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24));

  it('writes gzip members of at most 64 KiB, each with its BC size field, ended by the 28-byte EOF block, that gunzip back to the input', async () => {
    const file = bgzfSync([text, noise.toString('latin1')]);
    const sizes = blockSizes(file);
    expect(sizes.length).toBeGreaterThan(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(65536);
    expect(file.subarray(-28)).toEqual(BGZF_EOF);
    expect(gunzipSync(file)).toEqual(Buffer.concat([Buffer.from(text), Buffer.from(noise.toString('latin1'), 'utf8')]));
    const streamed: Buffer[] = [];
    for await (const b of bgzf([text, noise.toString('latin1')])) streamed.push(b);
    expect(Buffer.concat(streamed)).toEqual(file);
  });

  it.skipIf(!has('bgzip'))('is read by htslib: bgzip -t passes and bgzip -d restores the input', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'genofed-bgzf-'));
    try {
      const path = join(dir, 't.txt.gz');
      await writeFile(path, bgzfSync([text]));
      sh(`bgzip -t '${path}'`);
      expect(sh(`bgzip -dc '${path}'`)).toBe(text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CSV', () => {
  it('quotes only fields holding a comma, a quote or a line break, doubling quotes (RFC 4180), and ends records with CRLF', () => {
    expect(['plain', 'a,b', 'say "hi"', 'two\nlines', '<5', ''].map(csvField)).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '<5', '']);
    expect(tsvToCsv('chrom\tpos\tnote\n1\t10177\tgene A,B\n')).toBe('chrom,pos,note\r\n1,10177,"gene A,B"\r\n');
  });
});

describe('VCF export', () => {
  const INFO_KEY = /^[A-Za-z_][0-9A-Za-z_.]*$/;

  it('stratum labels become valid, unique INFO key suffixes (other characters as _, a repeat gets _2)', () => {
    const cells = [['EUR', 'female'], ['a-b', 60], ['a_b', 60], ['x y', -5]].map((values) => ({ label: values.join(','), values }));
    const s = stratumSuffixes(cells);
    expect(s).toEqual(['EUR_female', 'a_b_60', 'a_b_60_2', 'x_y__5']);
    for (const x of s) expect(`AC_${x}`).toMatch(INFO_KEY);
  });

  it('the header states the DP noise scale, each withheld stratum cell and a quoted cohort expression; bcftools parses it', async () => {
    const answer = {
      queryId: 'q-1',
      rows: [
        { strata: { gender: 'all' }, chrom: '2', pos: 500, ref: 'G', alt: 'T', ac: 12, an: 40, af: 0.3, nhomalt: 0, faf95: null },
        { strata: { gender: 'all' }, chrom: '2', pos: 100, ref: 'A', alt: 'C', ac: '<5', an: 40, af: null, nhomalt: 0, faf95: null, exists: false },
        { strata: { gender: 'female' }, chrom: '2', pos: 500, ref: 'G', alt: 'T', ac: 10, an: 20, af: 0.5, nhomalt: 0, faf95: null },
        { strata: { gender: 'female' }, chrom: '2', pos: 100, ref: 'A', alt: 'C', ac: 0, an: 20, af: 0, nhomalt: 0, faf95: null },
      ],
      sites: { responding: ['a', 'b', 'c'], missing: [] },
      disclosure: { ...NOTHING_WITHHELD, rules: [{ rule: 'stratum-below-k', action: 'suppressed' as const, rows: 2, reason: 'a stratum of 1..k-1 people', strata: ['male'] }] },
      noise: { mu: 8, sd: 4 },
    };
    const cells = [{ label: 'female', values: ['female'] }, { label: 'male', values: ['male'] }];
    const vcf = [...afVcf(answer, { cells, query: { region: '2', cohort: 'pop = "GBR"', by: ['gender'] }, date: new Date('2026-01-02T00:00:00Z') })].join('');
    expect(vcf).toMatch(/^##fileDate=20260102$/m);
    expect(vcf).toMatch(/^##genofed_disclosure=<K=5,SmallCounts=suppress,RoundTo=5,Noise="Skellam",NoiseMu=8,NoiseSd=4,/m);
    expect(vcf).toMatch(/^##genofed_stratum_withheld=<Stratum=male,Cell="male",/m);
    expect(vcf).toContain('Cohort="pop = \\"GBR\\""');
    const records = vcf.split('\n').filter((l) => l && !l.startsWith('#'));
    // Sorted by position; the withheld cell reads '.' and flags the record; a listed variant no site holds says so.
    expect(records).toEqual([
      '2\t100\t.\tA\tC\t.\twithheld\tAC=.;AN=40;AF=.;nhomalt=0;AC_female=0;AN_female=20;AF_female=0;nhomalt_female=0;AC_male=.;AN_male=.;AF_male=.;nhomalt_male=.;GENOFED_WITHHELD;GENOFED_BOUNDS=AC:<5;GENOFED_NOT_OBSERVED',
      '2\t500\t.\tG\tT\t.\tPASS\tAC=12;AN=40;AF=0.3;nhomalt=0;AC_female=10;AN_female=20;AF_female=0.5;nhomalt_female=0;AC_male=.;AN_male=.;AF_male=.;nhomalt_male=.;GENOFED_WITHHELD',
    ]);
    if (has('bcftools')) { // guarded above: required in CI
      const dir = await mkdtemp(join(tmpdir(), 'genofed-vcf-'));
      try {
        await writeFile(join(dir, 'x.vcf'), vcf);
        expect(sh(`bcftools view --no-version -h '${join(dir, 'x.vcf')}'`)).toContain('##genofed_stratum_withheld=<Stratum=male');
        expect(sh(`bcftools query -f '%POS %AC %AC_male %GENOFED_BOUNDS\\n' '${join(dir, 'x.vcf')}'`)).toBe('100 . . AC:<5\n500 12 . .\n');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('genofed query output formats (CLI against a listening REST API)', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    fed = new FakeFederation();
    fed.runAnswers.association = {
      queryId: 'q-as-1', lambda: 1.02, sites: { responding: ['a', 'b', 'c'], missing: [] }, disclosure: NOTHING_WITHHELD, noise: null, remainingEpsilon: null,
      rows: [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac_cases: 400, an_cases: 1006, ac_controls: '<5', an_controls: 1008, chisq: 245.1, p: 3.1e-55, or: 4.5, or_l95: 3.6, or_u95: 5.7, p_fisher: 2.2e-56, p_trend: null }],
    };
    app = await buildRestApp({ federation: fed, tokens });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'genofed-formats-'));
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('query assoc --format csv prints the TSV columns and values as CSV', async () => {
    const args = ['query', 'assoc', '--coordinator', url, '--cases', 'super_pop=EUR', '--controls', 'super_pop=EAS', '--region', '1'];
    const [tsv, csv] = [await genofed(args), await genofed([...args, '--format', 'csv'])];
    expect([tsv.code, csv.code]).toEqual([0, 0]);
    expect(csv.stdout).toBe(tsv.stdout.replace(/\t/g, ',').replace(/\n/g, '\r\n'));
    expect(csv.stdout.split('\r\n')[1]).toBe('1,10177,A,AC,400,1006,<5,1008,245.1,3.1e-55,4.5,3.6,5.7,2.2e-56,NA');
  });

  it('query cohort --format tsv is the default and prints the count; text is kept as its alias', async () => {
    const base = ['query', 'cohort', '--coordinator', url, '--cohort', 'gender=female'];
    const runs = [await genofed(base), await genofed([...base, '--format', 'tsv']), await genofed([...base, '--format', 'text'])];
    expect(runs.map((r) => [r.code, r.stdout])).toEqual([[0, '263\n'], [0, '263\n'], [0, '263\n']]);
    const bad = await genofed([...base, '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/tsv, text, json/);
  });

  it('query af --format afreq refuses --by (the report has no strata) before any request', async () => {
    const before = fed.afRequests.length;
    const r = await genofed(['query', 'af', '--coordinator', url, '--region', '1', '--by', 'super_pop', '--format', 'afreq']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/GENOFED_USAGE: --format afreq has no strata/);
    expect(fed.afRequests.length).toBe(before);
  });

  it.skipIf(!has('script'))('on a terminal, stderr shows a progress line that is cleared before the answer\'s note; with a pipe it shows none', async () => {
    // util-linux `script` runs the CLI on a pseudo-terminal (stdout and stderr both go to it).
    const cmd = [process.execPath, CLI, 'query', 'cohort', '--coordinator', url, '--cohort', 'gender=female'].map((a) => `'${a}'`).join(' ');
    const tty = await new Promise<string>((done, fail) => {
      execFile('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, GENOFED_TOKEN: TOKEN }, timeout: 60_000 }, (err, stdout) => (err ? fail(err) : done(stdout)));
    });
    expect(tty).toContain('\r\x1b[2Kgenofed: waiting for the sites...');
    expect(tty).toMatch(/\r\x1b\[2K(263\r\n|genofed: query q-c-1)/);
    const piped = await genofed(['query', 'cohort', '--coordinator', url, '--cohort', 'gender=female']);
    expect(piped.stderr).not.toContain('\x1b');
    expect(piped.stderr).toMatch(/^genofed: query q-c-1: responding sites: a,b,c\n$/);
  });

  it('query af --format vcf writes a plain VCF on stdout and the same VCF BGZF-compressed with --out FILE.gz (no partial file left)', async () => {
    const args = ['query', 'af', '--coordinator', url, '--region', '1:10000-20000', '--format', 'vcf'];
    const out = await genofed(args);
    expect(out.code).toBe(0);
    expect(out.stdout.startsWith('##fileformat=VCFv4.3\n')).toBe(true);
    expect(out.stdout).toContain('1\t10352\t.\tT\tTA\t.\twithheld\tAC=.;AN=5008;AF=.;nhomalt=0;GENOFED_WITHHELD;GENOFED_BOUNDS=AC:<5\n');
    const file = join(dir, 'af.vcf.gz');
    const written = await genofed([...args, '--out', file]);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    const strip = (t: string): string => t.replace(/^##genofed_query=.*\n/m, '');
    expect(strip(gunzipSync(await readFile(file)).toString('utf8'))).toBe(strip(out.stdout));
    expect((await readFile(file)).subarray(-28)).toEqual(BGZF_EOF);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).filter((f) => f.includes('.partial-'))).toEqual([]);
  });
});
