/**
 * The tabix index written beside a pseudonymized bgzipped VCF
 * (node/pseudonymize/vcf/tabix-index.ts), compared with htslib's own:
 * on copies of the same bytes, one indexed by us and one by `tabix -p vcf`,
 * `bcftools view -r` returns the same records for whole contigs and for
 * regions at every bin level (inside a 16 kb window, across windows,
 * inside a symbolic deletion's INFO END span, past the last record), and
 * `bcftools index -s` / `tabix -l` print the same contigs and counts.
 * Unsorted input gets no index (and no stale one is left). The compiled
 * CLI writes the index beside its output.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTabixIndex } from '../../../node/pseudonymize/vcf/tabix-index.js';
import { FIXTURES, MUST_HAVE_TOOLS, ROOT, has, run } from './tools.js';

const TOOLS = has('bcftools') && has('tabix');
const REAL = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');

describe('tabix index oracles', () => {
  it('finds bcftools and tabix in CI (guard against a silently skipped suite)', () => {
    if (MUST_HAVE_TOOLS) expect(TOOLS).toBe(true);
    else expect(typeof TOOLS).toBe('boolean');
  });
});

/** Records at every bin level: a 300 kb symbolic deletion (INFO END), long REFs across 16 kb windows, positions up to ~2^28, three contigs. */
function syntheticVcf(): string {
  const lines = ['##fileformat=VCFv4.2', '##INFO=<ID=END,Number=1,Type=Integer,Description="End">', '##ALT=<ID=DEL,Description="Deletion">'];
  for (const [c, len] of [['1', 250_000_000], ['2', 243_000_000], ['X', 156_000_000]] as const) lines.push(`##contig=<ID=${c},length=${len}>`);
  lines.push('#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO');
  const recs: [string, number, string, string, string][] = [];
  for (const c of ['1', '2', 'X']) {
    let pos = 1000;
    for (let i = 0; i < 400; i++) {
      pos += 1 + ((i * 7919) % 600_000);
      recs.push([c, pos, 'A', 'G', '.']);
      if (i % 50 === 7) recs.push([c, pos + 1, 'A'.repeat(40_000), 'A', '.']);
      if (i % 97 === 3) recs.push([c, pos + 2, 'C', '<DEL>', `END=${pos + 300_000}`]);
    }
  }
  recs.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : 0));
  for (const [c, p, ref, alt, info] of recs) lines.push(`${c}\t${p}\t.\t${ref}\t${alt}\t.\tPASS\t${info}`);
  return `${lines.join('\n')}\n`;
}

describe.skipIf(!TOOLS)('tabix index of a bgzipped VCF', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-tbi-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Ours on `ours.vcf.gz`, htslib's on a byte copy; returns both paths. */
  async function indexBoth(src: string, name: string): Promise<[string, string]> {
    const ours = join(dir, `${name}.ours.vcf.gz`);
    const theirs = join(dir, `${name}.htslib.vcf.gz`);
    copyFileSync(src, ours);
    copyFileSync(src, theirs);
    expect(await writeTabixIndex(ours)).toEqual({ written: `${ours}.tbi` });
    expect(run('tabix', ['-f', '-p', 'vcf', theirs]).code).toBe(0);
    return [ours, theirs];
  }

  function sameRegions(ours: string, theirs: string, regions: readonly string[]): number {
    let records = 0;
    for (const r of regions) {
      const a = run('bcftools', ['view', '--no-version', '-H', '-r', r, ours]);
      const b = run('bcftools', ['view', '--no-version', '-H', '-r', r, theirs]);
      expect(a.code, `${r}: ${a.stderr}`).toBe(0);
      expect(a.stdout, r).toBe(b.stdout);
      records += b.stdout.split('\n').filter(Boolean).length;
    }
    return records;
  }

  it('on synthetic records at every bin level, with INFO END spans: the same records as htslib\'s index for every region', async () => {
    const plain = join(dir, 'syn.vcf');
    writeFileSync(plain, syntheticVcf());
    const gz = join(dir, 'syn.vcf.gz');
    expect(run('bcftools', ['view', '--no-version', '-Oz', '-o', gz, plain]).code).toBe(0);
    const [ours, theirs] = await indexBoth(gz, 'syn');
    const regions = ['1', '2', 'X', '1:1-1000', '2:5000-5000', 'X:1-100000000'];
    // Windows and bins of every size: 1 bp, 16 kb, 128 kb, 1 Mb, 8 Mb, 64 Mb, at offsets spread over each contig.
    for (const c of ['1', '2', 'X']) for (const size of [1, 16_384, 131_072, 1 << 20, 1 << 23, 1 << 26]) for (const k of [1, 3, 7, 11]) {
      const beg = 1 + ((k * 9_999_991 + size) % 120_000_000);
      regions.push(`${c}:${beg}-${beg + size - 1}`);
    }
    expect(sameRegions(ours, theirs, regions)).toBeGreaterThan(3000);
    // Inside a deletion's END span but past its REF: found only through the END-based interval.
    const del = run('bcftools', ['query', '-i', 'ALT="<DEL>"', '-f', '%CHROM\t%POS\t%INFO/END\n', theirs]).stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(del.length).toBeGreaterThan(10);
    for (const [c, p, end] of del.slice(0, 6)) {
      const mid = Math.floor((Number(p) + Number(end)) / 2);
      const r = `${c}:${mid}-${mid}`;
      expect(run('bcftools', ['view', '--no-version', '-H', '-r', r, ours]).stdout, r).toContain(`\t${p}\t`);
    }
    expect(run('bcftools', ['index', '-s', ours]).stdout).toBe(run('bcftools', ['index', '-s', theirs]).stdout);
    expect(run('tabix', ['-l', ours]).stdout).toBe('1\n2\nX\n');
  });

  it('on real 1000 Genomes records (indels, multi-allelic, 2,504 samples per line): the same records and stats as htslib', async () => {
    const [ours, theirs] = await indexBoth(REAL, 'real');
    const regions = ['1', '1:10000-10500', '1:15000-40000', '1:50000-50100', '1:59000-70000', '1:100000-200000'];
    expect(sameRegions(ours, theirs, regions)).toBeGreaterThan(1000);
    expect(run('bcftools', ['index', '-s', ours]).stdout).toBe(run('bcftools', ['index', '-s', theirs]).stdout);
    expect(run('bcftools', ['index', '-s', ours]).stdout).toMatch(/^1\t\.\t1042\n$|^1\t[0-9]+\t1042\n$/);
  });

  it('writes no index for unsorted records and removes a stale one of the same name', async () => {
    const plain = join(dir, 'unsorted.vcf');
    writeFileSync(plain, '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t500\t.\tA\tG\t.\t.\t.\n1\t100\t.\tA\tG\t.\t.\t.\n');
    const gz = join(dir, 'unsorted.vcf.gz');
    expect(run('bcftools', ['view', '--no-version', '-Oz', '-o', gz, plain]).code).toBe(0);
    writeFileSync(`${gz}.tbi`, 'stale');
    expect(await writeTabixIndex(gz)).toEqual({ skipped: 'records are not sorted by position (sort the input, e.g. bcftools sort)' });
    expect(existsSync(`${gz}.tbi`)).toBe(false);
  });

  it('genofed pseudonymize vcf writes the index beside a bgzipped output and says so (compiled CLI)', async () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    const cli = (args: string[]): Promise<{ code: number; stderr: string }> => new Promise((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'genofed.js'), ...args], { cwd: dir, timeout: 120_000 }, (err, _out, stderr) => resolve({ code: err ? 1 : 0, stderr }));
    });
    expect((await cli(['key', 'generate', '--out', 'tbi.key'])).code).toBe(0);
    const r = await cli(['pseudonymize', 'vcf', '--in', REAL, '--out', 'pseudo.vcf.gz', '--key-file', 'tbi.key']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('index: pseudo.vcf.gz.tbi\n');
    const out = join(dir, 'pseudo.vcf.gz');
    expect(run('bcftools', ['index', '-s', out]).stdout).toMatch(/\t1042\n$/);
    expect(run('bcftools', ['view', '--no-version', '-H', '-r', '1:10000-10500', out]).stdout.split('\n').filter(Boolean).length)
      .toBe(run('bcftools', ['view', '--no-version', '-H', '-r', '1:10000-10500', REAL]).stdout.split('\n').filter(Boolean).length);
  });
});
