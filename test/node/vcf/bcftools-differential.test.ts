/**
 * Differential against bcftools: AC (per ALT), AN, and the AC_Hom / AC_Het /
 * AC_Hemi of `bcftools +fill-tags` recomputed in plain TypeScript from our
 * sparse records, for every variant of every real VCF fixture. nhomalt is
 * checked as AC_Hom / 2 on records without polyploid calls. Records with a
 * call of ploidy > 2 are compared with `bcftools view -s` recalculation
 * (bcf_calc_ac, all alleles), because +fill-tags reads only the first and
 * last allele of such calls (see node/vcf/README.md).
 */
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { has, readAll, realVcfs, siteCounts } from './fixtures.js';

const BCFTOOLS = has('bcftools');
/** htslib 1.16 cannot parse this valid VCF 4.4 file (PROVENANCE.md). */
const BCFTOOLS_CANNOT_READ = new Set(['htslib_vcf44_1.vcf']);

function bcftools(args: string[], input?: string): string {
  return execFileSync('bcftools', args, { input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] }).toString('utf8');
}

describe('guard', () => {
  it('bcftools is present when running in CI', () => {
    if (process.env.CI) expect(BCFTOOLS).toBe(true);
    else expect(typeof BCFTOOLS).toBe('boolean');
  });
});

describe.skipIf(!BCFTOOLS)('AC/AN/AC_Hom/AC_Het/AC_Hemi equal bcftools +fill-tags', () => {
  const files = realVcfs().filter((f) => !BCFTOOLS_CANNOT_READ.has(basename(f)));
  for (const file of files) {
    it(`matches on every variant of ${basename(file)}`, async () => {
      const { header, variants } = await readAll(file);
      let filled: string[] = [];
      try {
        filled = execFileSync('sh', ['-c', 'set -o pipefail 2>/dev/null; bcftools +fill-tags -Ou "$1" -- -t AC,AN,AC_Hom,AC_Het,AC_Hemi 2>/dev/null | bcftools query -f "%CHROM\\t%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\t%AC_Hom\\t%AC_Het\\t%AC_Hemi\\n"', 'sh', file], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] })
          .toString('utf8').split('\n').filter(Boolean);
      } catch {
        filled = [];
      }
      if (filled.length !== variants.length) {
        // +fill-tags aborts on headers lacking a FORMAT/GT or INFO definition
        // (htslib 1.16 "Unchecked error"); let bcftools query decode the GTs
        // instead and count those (htslib's GT parser vs our scanner).
        filled = gtQueryCounts(file, header.samples.length);
      }
      expect(variants.length).toBe(filled.length);
      const n = header.samples.length;
      const polyploid: number[] = [];
      const bad: string[] = [];
      variants.forEach((v, i) => {
        const c = siteCounts(v, n);
        const cols = filled[i]!.split('\t');
        const num = (s: string | undefined): number[] => (s === undefined || s === '.' ? new Array<number>(v.alts.length).fill(0) : s.split(',').map(Number));
        const alts = v.alts.length;
        if (`${cols[0]}:${cols[1]}:${cols[2]}` !== `${v.chrom}:${v.pos}:${v.ref}`) bad.push(`line ${v.line}: key`);
        if (c.maxPloidy > 2) {
          polyploid.push(i);
          return;
        }
        const want = { ac: num(cols[4]), an: cols[5] === '.' ? 0 : Number(cols[5]), hom: num(cols[6]), het: num(cols[7]), hemi: num(cols[8]) };
        const got = { ac: c.ac, an: c.an, hom: c.acHom, het: c.acHet, hemi: c.acHemi };
        if (alts === 0) {
          if ((cols[5] === '.' ? 0 : Number(cols[5])) !== got.an) bad.push(`line ${v.line}: AN`);
          return;
        }
        if (JSON.stringify(want) !== JSON.stringify(got)) bad.push(`line ${v.line}`);
        if (c.nhomalt.some((h, a) => 2 * h !== c.acHom[a])) bad.push(`line ${v.line}: nhomalt`);
      });
      if (polyploid.length > 0) {
        // bcf_calc_ac (bcftools view with a sample list recomputes INFO/AC,AN over all alleles).
        const recalc = execFileSync('sh', ['-c', 'bcftools view -Ou -s "$2" "$1" 2>/dev/null | bcftools query -f "%AC\\t%AN\\n"', 'sh', file, header.samples.join(',')], { maxBuffer: 1 << 30 })
          .toString('utf8').split('\n');
        for (const i of polyploid) {
          const v = variants[i]!;
          const c = siteCounts(v, n);
          const [ac, an] = recalc[i]!.split('\t');
          if (`${c.ac.join(',') || '.'}\t${c.an}` !== `${ac}\t${an}`) bad.push(`line ${v.line}: polyploid AC/AN`);
        }
      }
      expect(bad.slice(0, 10)).toEqual([]);
    });
  }
});

/** Fallback: `bcftools query '[%GT]'` decoded by htslib, counted with the +fill-tags rules, in the same column layout. */
function gtQueryCounts(file: string, nSamples: number): string[] {
  const query = (format: string): string[] => execFileSync('sh', ['-c', `bcftools query -f "${format}" "$1" 2>/dev/null`, 'sh', file], { maxBuffer: 1 << 30 })
    .toString('utf8').split('\n').filter(Boolean);
  let out: string[];
  try {
    out = query('%CHROM\\t%POS\\t%REF\\t%ALT[\\t%GT]\\n');
  } catch {
    // No GT defined anywhere in the file: bcftools has no genotype to count (AN 0).
    out = query('%CHROM\\t%POS\\t%REF\\t%ALT\\n');
  }
  return out.map((row) => {
    const cols = row.split('\t');
    const nAlt = cols[3] === '.' ? 0 : cols[3]!.split(',').length;
    const z = (): number[] => new Array<number>(nAlt).fill(0);
    const ac = z(); const hom = z(); const het = z(); const hemi = z();
    let an = 0;
    for (const gt of cols.slice(4, 4 + nSamples)) {
      const al = gt.split(/[/|]/).map((a) => (a === '.' || a === '' ? -1 : Number(a)));
      for (const a of al) if (a >= 0) { an += 1; if (a > 0) ac[a - 1]! += 1; }
      const called = [al[0]!, ...(al.length > 1 ? [al[al.length - 1]!] : [])].filter((a) => a >= 0);
      if (called.length === 1 && called[0]! > 0) hemi[called[0]! - 1]! += 1;
      if (called.length === 2) {
        const [a, b] = called as [number, number];
        if (a === b) { if (a > 0) hom[a - 1]! += 2; } else { if (a > 0) het[a - 1]! += 1; if (b > 0) het[b - 1]! += 1; }
      }
    }
    return [cols[0], cols[1], cols[2], cols[3], ac.join(','), an, hom.join(','), het.join(','), hemi.join(',')].join('\t');
  });
}
