/**
 * `npm run bench -- --suite pseudonymize [--json] [--quick]`
 *
 * vcf_vs_bcftools: our VCF pseudonymization (sample columns, header rules,
 * ID column, BGZF out) on the 2,504-sample 1000G IL2RA window, divided by
 * the bcftools equivalent measured in the same run: `bcftools reheader -s`
 * (sample names) then `bcftools annotate -x ID -Oz` (the ID column) to a
 * bgzip file. Target <= 1.5. Wall time and CPU time are both reported: the
 * machine is shared, so wall clock is noisy; CPU time is the steadier figure.
 * bam_vs_samtools: the alignment engineer's `benchBam` (test/bench/pseudonymize-bam.ts).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSiteKey } from '../../node/pseudonymize/site-key.js';
import { pseudonymizeVcfFile } from '../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import { benchBam } from './pseudonymize-bam.js';
import type { BenchContext, BenchSuite } from './suite.js';

const VCF = resolve(import.meta.dirname, '../../../test/fixtures/vcf/1kg_dev/1KGP_hg19_IL2RA_1MB.vcf.gz');
const SMALL = resolve(import.meta.dirname, '../../../test/fixtures/vcf/1kg_dev/genotype_plot_chr1_MTHFR_2504.vcf.gz');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

/** Wall and CPU (user + sys of the children) milliseconds of a bash command, via bash's `time`. */
function timeBash(cmd: string): { wallMs: number; cpuMs: number } {
  const out = execFileSync('bash', ['-c', `TIMEFORMAT='%3R %3U %3S'; time ( ${cmd} ) 2>&1 >/dev/null`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [r, u, s] = out.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
  return { wallMs: r * 1000, cpuMs: (u + s) * 1000 };
}

async function benchVcf(ctx: BenchContext): Promise<Record<string, number | string>> {
  const input = ctx.quick ? SMALL : VCF;
  const repeats = ctx.quick ? 1 : 3;
  const key = generateSiteKey();
  const samples = execFileSync('bcftools', ['query', '-l', input], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const rename = join(ctx.scratch, 'rename.txt');
  // bcftools gets a ready-made name map; computing our pseudonyms is part of our time.
  writeFileSync(rename, samples.map((s, i) => `${s}\tS${String(i).padStart(6, '0')}\n`).join(''));
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const theirs: number[] = [];
  const theirsCpu: number[] = [];
  let records = 0;
  // One untimed run each: page cache and JIT warm-up.
  await pseudonymizeVcfFile({ input, output: join(ctx.scratch, 'warm.vcf.gz'), key });
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await pseudonymizeVcfFile({ input, output: join(ctx.scratch, `ours-${i}.vcf.gz`), key });
    ours.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    oursCpu.push((c.user + c.system) / 1000);
    records = report.recordsOut;
    const r = join(ctx.scratch, `reheader-${i}.vcf.gz`);
    const t = timeBash(`bcftools reheader -s '${rename}' -o '${r}' '${input}' && bcftools annotate --no-version -x ID -Oz -o '${join(ctx.scratch, `bcftools-${i}.vcf.gz`)}' '${r}'`);
    theirs.push(t.wallMs);
    theirsCpu.push(t.cpuMs);
  }
  const oursMs = median(ours);
  const bcfMs = median(theirs);
  ctx.log(`  VCF: ${records} records x ${samples.length} samples; ours ${oursMs.toFixed(0)} ms wall / ${median(oursCpu).toFixed(0)} ms CPU; bcftools reheader+annotate ${bcfMs.toFixed(0)} ms wall / ${median(theirsCpu).toFixed(0)} ms CPU; load average ${loadavg()[0]!.toFixed(1)}`);
  return {
    vcf_vs_bcftools: round(oursMs / bcfMs),
    vcf_cpu_vs_bcftools: round(median(oursCpu) / median(theirsCpu)),
    vcf_records: records,
    vcf_samples: samples.length,
    vcf_ours_ms: Math.round(oursMs),
    vcf_bcftools_ms: Math.round(bcfMs),
    vcf_load_average: round(loadavg()[0]!, 1),
  };
}

export const suite: BenchSuite = {
  name: 'pseudonymize',
  description: 'VCF pseudonymization vs bcftools reheader+annotate; BAM pseudonymization vs samtools view -b',
  async run(ctx) {
    const vcf = await benchVcf(ctx);
    const bam = await benchBam(ctx);
    const fastq = await (await import('./pseudonymize-fastq.js')).benchFastq(ctx); // fastq_vs_seqkit (issue 13)
    const vcfHigh = await (await import('./pseudonymize-vcf-levels.js')).benchVcfLevels(ctx); // vcf_high_vs_bcftools (issue 13)
    return { ...vcf, ...bam, ...fastq, ...vcfHigh };
  },
};
