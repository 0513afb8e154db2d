/**
 * The `.bai` written beside a pseudonymized BAM
 * (node/pseudonymize/alignment/bam-index.ts), compared with samtools' own:
 * on byte copies of every BAM fixture, one indexed by us and one by
 * `samtools index`, `samtools idxstats` prints the same per-contig mapped,
 * unmapped and unplaced counts, and `samtools view` returns the same
 * records for whole contigs and for windows of 1 bp to 8 Mb spread over
 * each contig and 1 bp just past a 16 kb boundary a read spans. A BAM samtools refuses to index (unsorted) gets none from us
 * either. The compiled CLI writes the index beside its BAM output.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBamIndex } from '../../../node/pseudonymize/alignment/bam-index.js';
import { FIXTURES, MUST_HAVE_TOOLS, ROOT, has, run } from './tools.js';

const SAMTOOLS = has('samtools');
const BAMS = readdirSync(join(FIXTURES, 'bam')).filter((f) => f.endsWith('.bam')).sort();

describe('bam index oracle', () => {
  it('finds samtools in CI (guard against a silently skipped suite)', () => {
    if (MUST_HAVE_TOOLS) expect(SAMTOOLS).toBe(true);
    else expect(typeof SAMTOOLS).toBe('boolean');
  });
});

describe.skipIf(!SAMTOOLS)('bam index of a coordinate-sorted BAM', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-bai-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('on every BAM fixture: the same idxstats and the same records per region as samtools index, or no index where samtools refuses', async () => {
    expect(BAMS.length).toBeGreaterThanOrEqual(5);
    let indexed = 0;
    let records = 0;
    let spanning = 0;
    let refused = 0;
    // And a name-sorted copy, which neither may index.
    const byName = join(dir, 'by-name.bam');
    expect(run('samtools', ['sort', '-n', '-o', byName, join(FIXTURES, 'bam', 'vg_NA12878.chr22.tiny.bam')]).code).toBe(0);
    for (const f of [...BAMS.map((b) => join(FIXTURES, 'bam', b)), byName]) {
      const ours = join(dir, `ours-${f.split('/').pop()}`);
      const theirs = join(dir, `theirs-${f.split('/').pop()}`);
      copyFileSync(f, ours);
      copyFileSync(f, theirs);
      const outcome = await writeBamIndex(ours);
      if (run('samtools', ['index', theirs]).code !== 0) {
        expect(outcome, f).toEqual({ skipped: 'the BAM is not sorted by coordinate (samtools sort)' });
        expect(existsSync(`${ours}.bai`)).toBe(false);
        refused += 1;
        continue;
      }
      expect(outcome, f).toEqual({ written: `${ours}.bai` });
      indexed += 1;
      const stats = run('samtools', ['idxstats', ours]).stdout;
      expect(stats, f).toBe(run('samtools', ['idxstats', theirs]).stdout);
      const regions: string[] = [];
      for (const line of stats.split('\n').filter((l) => l && !l.startsWith('*'))) {
        const [name, len, mapped, unmapped] = line.split('\t');
        if (Number(mapped) + Number(unmapped) === 0) continue;
        regions.push(name!);
        for (const size of [1, 16_384, 131_072, 1 << 20, 1 << 23]) for (const k of [1, 2, 5]) {
          const beg = 1 + ((k * 7_654_321 + size) % Math.max(1, Number(len) - size));
          regions.push(`${name}:${beg}-${beg + size - 1}`);
        }
      }
      // Reads that cross a 16 kb window boundary (spliced RNA-seq reads span kilobases): a 1 bp region just past the
      // boundary finds them only if their span (CIGAR M D N = X) went into the bins and the linear index.
      const crossing: string[] = [];
      for (const line of run('samtools', ['view', '-F', '4', theirs]).stdout.split('\n')) {
        const t = line.split('\t');
        if (t.length < 6 || t[5] === '*') continue;
        let span = 0;
        for (const m of t[5]!.matchAll(/([0-9]+)([MIDNSHP=X])/g)) if ('MDN=X'.includes(m[2]!)) span += Number(m[1]);
        const beg = Number(t[3]) - 1;
        const boundary = (Math.floor(beg / 16_384) + 1) * 16_384;
        if (beg + span > boundary && crossing.length < 40) crossing.push(`${t[2]}:${boundary + 1}-${boundary + 1}`);
      }
      regions.push(...crossing);
      spanning += crossing.length;
      for (const r of regions) {
        const a = run('samtools', ['view', ours, r]);
        expect(a.code, `${f} ${r}: ${a.stderr}`).toBe(0);
        expect(a.stdout, `${f} ${r}`).toBe(run('samtools', ['view', theirs, r]).stdout);
        records += a.stdout.split('\n').filter(Boolean).length;
      }
    }
    expect(indexed).toBeGreaterThanOrEqual(4);
    expect(records).toBeGreaterThan(1000);
    expect(spanning).toBeGreaterThan(20);
    expect(refused).toBe(1);
  });

  it('genofed pseudonymize bam writes the index beside its output and says so (compiled CLI)', async () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    const cli = (args: string[]): Promise<{ code: number; stderr: string }> => new Promise((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'genofed.js'), ...args], { cwd: dir, timeout: 120_000 }, (err, _out, stderr) => resolve({ code: err ? 1 : 0, stderr }));
    });
    expect((await cli(['key', 'generate', '--out', 'bai.key'])).code).toBe(0);
    const src = join(FIXTURES, 'bam', 'vg_NA12878.chr22.tiny.bam');
    const r = await cli(['pseudonymize', 'bam', '--in', src, '--out', 'pseudo.bam', '--key-file', 'bai.key']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('index: pseudo.bam.bai\n');
    const out = join(dir, 'pseudo.bam');
    expect(run('samtools', ['idxstats', out]).stdout).toBe(run('samtools', ['idxstats', src]).stdout);
  });
});
