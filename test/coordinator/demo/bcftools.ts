/**
 * bcftools as the independent oracle for the demo and e2e tests:
 * `+fill-tags -t AC,AN,AC_Hom` on the unsplit file, one row per ALT allele,
 * nhomalt = AC_Hom / 2 (diploid; haploid calls are not in AC_Hom).
 */
import { execFileSync } from 'node:child_process';
import { has } from '../../tool-available.js';

export { has };

export interface ToolRow { chrom: string; pos: number; ref: string; alt: string; ac: number; an: number; nhomalt: number }

export function bcftoolsCounts(vcf: string): ToolRow[] {
  const filled = execFileSync('bcftools', ['+fill-tags', vcf, '-Ov', '--', '-t', 'AC,AN,AC_Hom'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const text = execFileSync('bcftools', ['query', '-f', '%CHROM\t%POS\t%REF\t%ALT\t%AC\t%AN\t%AC_Hom\n', '-'], { input: filled, maxBuffer: 1 << 30 }).toString('utf8');
  const rows: ToolRow[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [chrom, pos, ref, alt, ac, an, hom] = line.split('\t') as [string, string, string, string, string, string, string];
    if (alt === '.') continue;
    const alts = alt.split(',');
    const acs = ac.split(',');
    const homs = hom.split(',');
    // fill-tags leaves the tags missing ('.') on a record without GT: no called allele, i.e. 0.
    const num = (v: string | undefined): number => (v === undefined || v === '.' ? 0 : Number(v));
    alts.forEach((a, k) => rows.push({ chrom, pos: Number(pos), ref, alt: a, ac: num(acs[k]), an: num(an), nhomalt: num(homs[k]) / 2 }));
  }
  return rows;
}

export interface ToolGroupRow { chrom: string; pos: number; ref: string; alt: string; groups: Record<string, { ac: number; an: number; nhomalt: number }> }

/**
 * `+fill-tags -S SAMPLES_FILE -t AC,AN,AC_Hom`: the same counts per group
 * (`samplesFile`: sample id, tab, group name per line), one row per ALT allele.
 */
export function bcftoolsGroupCounts(vcf: string, samplesFile: string, groups: readonly string[]): ToolGroupRow[] {
  const filled = execFileSync('bcftools', ['+fill-tags', vcf, '-Ov', '--', '-S', samplesFile, '-t', 'AC,AN,AC_Hom'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const fmt = `%CHROM\t%POS\t%REF\t%ALT${groups.map((g) => `\t%AC_${g}\t%AN_${g}\t%AC_Hom_${g}`).join('')}\n`;
  const text = execFileSync('bcftools', ['query', '-f', fmt, '-'], { input: filled, maxBuffer: 1 << 30 }).toString('utf8');
  const num = (v: string | undefined): number => (v === undefined || v === '.' ? 0 : Number(v));
  const rows: ToolGroupRow[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [chrom, pos, ref, alt, ...tags] = line.split('\t') as [string, string, string, string, ...string[]];
    if (alt === '.') continue;
    alt.split(',').forEach((a, k) => rows.push({
      chrom, pos: Number(pos), ref, alt: a,
      groups: Object.fromEntries(groups.map((g, i) => [g, { ac: num(tags[3 * i]!.split(',')[k]), an: num(tags[3 * i + 1]), nhomalt: num(tags[3 * i + 2]!.split(',')[k]) / 2 }])),
    }));
  }
  return rows;
}
