/**
 * Independent reference for the federation tests (not a test): per-ALT AC,
 * AN and nhomalt from `bcftools merge` of the sites' shares followed by
 * `bcftools +fill-tags` (sites lacking a record contribute missing
 * genotypes, i.e. nothing to AN - the semantics THREAT-MODEL.md states).
 */
import { execFileSync } from 'node:child_process';
import { has } from '../../tool-available.js';

export { has };

export function sh(cmd: string): string {
  return execFileSync('bash', ['-c', `set -o pipefail; ${cmd}`], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface RefRow { ac: number; an: number; nhomalt: number }

/** key `chrom\tpos\tref\talt` -> counts; `vcfCommand` prints a VCF on stdout. */
export function fillTags(vcfCommand: string): Map<string, RefRow> {
  const text = sh(`${vcfCommand} | bcftools +fill-tags -- -t AC,AN,AC_Hom | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\t%AC_Hom\\n'`);
  const out = new Map<string, RefRow>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [chrom, pos, ref, alts, acs, an, homs] = line.split('\t') as [string, string, string, string, string, string, string];
    const altList = alts.split(',');
    const acList = acs.split(',');
    const homList = homs.split(',');
    altList.forEach((alt, i) => {
      const key = `${chrom}\t${pos}\t${ref}\t${alt}`;
      const prev = out.get(key);
      const row = { ac: Number(acList[i]), an: Number(an), nhomalt: Number(homList[i]) / 2 };
      out.set(key, prev ? { ac: prev.ac + row.ac, an: prev.an + row.an, nhomalt: prev.nhomalt + row.nhomalt } : row);
    });
  }
  return out;
}
