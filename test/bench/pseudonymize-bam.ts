/**
 * BAM pseudonymization against `samtools view -b` rewriting the same BAM
 * (issue 5 target: bam_vs_samtools <= 2.0), in the same run.
 *
 * Input: the 3,333 records of test/fixtures/bam/vg_NA12878.chr22.tiny.bam
 * replicated 100x (10x with --quick) with distinct read names (suffix _k),
 * written once by samtools. Each side runs REPEATS times; the median wall
 * time is compared, and so is process CPU time (ours: process.cpuUsage,
 * which includes the deflate workers; samtools: the shell's `times` for its
 * child), because on a shared machine wall time is mostly other people's load.
 * Outputs are checked: same record count, and samtools reads ours.
 */
import { execFileSync, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { pseudonymizeAlignment } from '../../node/pseudonymize/alignment/index.js';
import { generateSiteKey } from '../../node/pseudonymize/site-key.js';
import type { BenchContext, BenchSuite } from './suite.js';

const SOURCE = resolve(import.meta.dirname, '../../../test/fixtures/bam/vg_NA12878.chr22.tiny.bam');
const SOURCE_TS = resolve(import.meta.dirname, '../fixtures/bam/vg_NA12878.chr22.tiny.bam');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 2): number => Number(x.toFixed(d));

async function sourcePath(): Promise<string> {
  // From dist/test/bench the fixtures are three levels up; from the TS source two.
  return stat(SOURCE).then(() => SOURCE, () => SOURCE_TS);
}

/** Replicate the records `copies` times with distinct names into a BAM written by samtools. */
async function buildBam(source: string, copies: number, out: string): Promise<number> {
  const header = execFileSync('samtools', ['view', '-H', '--no-PG', source], { maxBuffer: 1 << 26 }).toString();
  const records = execFileSync('samtools', ['view', source], { maxBuffer: 1 << 28 }).toString().split('\n').filter(Boolean);
  const child = spawn('samtools', ['view', '--no-PG', '-b', '-o', out, '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const done = new Promise<void>((res, rej) => child.on('close', (code) => (code === 0 ? res() : rej(new Error(`samtools exited ${code}`)))));
  const write = (s: string): Promise<void> => new Promise((res) => (child.stdin.write(s) ? res() : child.stdin.once('drain', res)));
  await write(header);
  for (let k = 1; k <= copies; k++) {
    const chunk: string[] = [];
    for (const r of records) {
      const tab = r.indexOf('\t');
      chunk.push(`${r.slice(0, tab)}_${k}${r.slice(tab)}`);
    }
    await write(`${chunk.join('\n')}\n`);
  }
  child.stdin.end();
  await done;
  return records.length * copies;
}

/** Wall and child CPU time of `samtools view -b -o out in` (POSIX `times` prints the children's user+sys). */
function timeSamtools(input: string, out: string): { wallMs: number; cpuMs: number } {
  const t0 = performance.now();
  const text = execFileSync('sh', ['-c', 'samtools view --no-PG -b -o "$2" "$1" && times', 'sh', input, out]).toString();
  const wallMs = performance.now() - t0;
  const lines = text.trim().split('\n');
  const secs = (lines[lines.length - 1] ?? '').match(/(\d+)m([\d.]+)s/g) ?? [];
  const cpuMs = secs.reduce((acc, s) => {
    const m = s.match(/(\d+)m([\d.]+)s/)!;
    return acc + (Number(m[1]) * 60 + Number(m[2])) * 1000;
  }, 0);
  return { wallMs, cpuMs };
}

export async function benchBam(ctx: BenchContext): Promise<{
  bam_vs_samtools: number;
  bam_cpu_vs_samtools: number;
  bam_records: number;
  bam_input_mb: number;
  bam_ours_ms: number;
  bam_samtools_ms: number;
  bam_ours_records_per_s: number;
  bam_load_average: number;
}> {
  const copies = ctx.quick ? 10 : 100;
  const repeats = ctx.quick ? 1 : 3;
  const big = join(ctx.scratch, 'replicated.bam');
  const records = await buildBam(await sourcePath(), copies, big);
  const inputMb = (await stat(big)).size / 1e6;
  ctx.log(`  BAM: ${records} records (${copies}x vg NA12878 tiny), ${inputMb.toFixed(1)} MB`);
  const key = generateSiteKey();
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const theirs: number[] = [];
  const theirsCpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const out = join(ctx.scratch, `ours-${i}.bam`);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await pseudonymizeAlignment({ format: 'bam', input: big, output: out, key, mode: 'default' });
    ours.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    oursCpu.push((c.user + c.system) / 1000);
    if (report.recordsOut !== records) throw new Error('bench: record count mismatch');
    const s = timeSamtools(big, join(ctx.scratch, `samtools-${i}.bam`));
    theirs.push(s.wallMs);
    theirsCpu.push(s.cpuMs);
  }
  const check = Number(execFileSync('samtools', ['view', '-c', join(ctx.scratch, 'ours-0.bam')]).toString().trim());
  if (check !== records) throw new Error('bench: samtools does not read our output fully');
  const oursMs = median(ours);
  const samMs = median(theirs);
  ctx.log(`  ours ${oursMs.toFixed(0)} ms wall / ${median(oursCpu).toFixed(0)} ms CPU; samtools view -b ${samMs.toFixed(0)} ms wall / ${median(theirsCpu).toFixed(0)} ms CPU; load average ${loadavg()[0]!.toFixed(1)} on this machine`);
  return {
    bam_vs_samtools: round(oursMs / samMs),
    bam_cpu_vs_samtools: round(median(oursCpu) / median(theirsCpu)),
    bam_records: records,
    bam_input_mb: round(inputMb, 1),
    bam_ours_ms: Math.round(oursMs),
    bam_samtools_ms: Math.round(samMs),
    bam_ours_records_per_s: Math.round(records / (oursMs / 1000)),
    bam_load_average: round(loadavg()[0]!, 1),
  };
}

/** Standalone suite (`--suite pseudonymize-bam`); the `pseudonymize` suite calls benchBam too. */
export const suite: BenchSuite = {
  name: 'pseudonymize-bam',
  description: 'BAM pseudonymization vs samtools view -b on a replicated real BAM',
  run: (ctx) => benchBam(ctx),
};
