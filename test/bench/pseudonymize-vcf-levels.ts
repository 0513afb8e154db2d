/**
 * vcf_high_vs_bcftools (issue 13): `pseudonymize vcf --level high` (standard
 * rules + STR and rare-variant masking, BGZF out) on the 2,504-sample 1000G
 * IL2RA window, divided by `bcftools view` piped into `bcftools annotate -x
 * ID -Oz` of the same file to bgzip, measured in the same run. bcftools has
 * no masking of its own: the pair is the cheapest bcftools pass that decodes
 * every record and writes a re-compressed VCF, which is the floor any
 * masking tool pays. Median of 3 (1 with --quick), after one untimed run each.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { generateSiteKey } from '../../node/pseudonymize/site-key.js';
import { pseudonymizeVcfFile } from '../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import type { BenchContext } from './suite.js';

const IL2RA = resolve(import.meta.dirname, '../../../test/fixtures/vcf/1kg_dev/1KGP_hg19_IL2RA_1MB.vcf.gz');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Returns `{ vcf_high_ms, bcftools_view_annotate_ms, vcf_high_vs_bcftools }` (wall-clock milliseconds and their ratio). */
export async function benchVcfLevels(ctx: BenchContext): Promise<{ vcf_high_ms: number; bcftools_view_annotate_ms: number; vcf_high_vs_bcftools: number }> {
  const repeats = ctx.quick ? 1 : 3;
  const key = generateSiteKey();
  const bcftools = (out: string): void => {
    execFileSync('bash', ['-c', `bcftools view --no-version -Ou '${IL2RA}' | bcftools annotate --no-version -x ID -Oz -o '${out}'`], { stdio: 'ignore' });
  };
  await pseudonymizeVcfFile({ input: IL2RA, output: join(ctx.scratch, 'high-warm.vcf.gz'), key, level: 'high' });
  bcftools(join(ctx.scratch, 'bcf-warm.vcf.gz'));
  const ours: number[] = [];
  const theirs: number[] = [];
  let masked = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const r = await pseudonymizeVcfFile({ input: IL2RA, output: join(ctx.scratch, `high-${i}.vcf.gz`), key, level: 'high' });
    ours.push(performance.now() - t0);
    masked = (r.strMasked ?? 0) + (r.rareMasked ?? 0);
    const t1 = performance.now();
    bcftools(join(ctx.scratch, `bcf-${i}.vcf.gz`));
    theirs.push(performance.now() - t1);
  }
  const vcfHigh = median(ours);
  const bcf = median(theirs);
  ctx.log(`  VCF --level high: IL2RA window, ${masked} records masked; ours ${vcfHigh.toFixed(0)} ms; bcftools view | annotate -x ID -Oz ${bcf.toFixed(0)} ms`);
  return { vcf_high_ms: Math.round(vcfHigh), bcftools_view_annotate_ms: Math.round(bcf), vcf_high_vs_bcftools: Math.round((vcfHigh / bcf) * 100) / 100 };
}
