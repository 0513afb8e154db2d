/**
 * Independent reference for the store's differential tests: AC/AN/nhomalt
 * per (chrom, pos, ref, alt) computed by `bcftools +fill-tags` (optionally
 * on a sample subset via `bcftools view -S`). Not a test file.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { has } from '../../tool-available.js';

export { has };

export interface RefCounts {
  ac: number;
  an: number;
  nhomalt: number;
}

/**
 * Rewrite `vcf` as a minimal VCF that bcftools itself produced from the
 * genotypes it parsed (`bcftools query`): every contig and GT declared, no
 * INFO. Some real fixtures (undeclared contigs, INFO AC/AN of another
 * Number) make `+fill-tags` stop with "Unchecked error"; this keeps the
 * reference computation entirely bcftools' own.
 */
export function bcftoolsMinimalVcf(vcf: string, out: string): void {
  const run = (cmd: string): string => execFileSync('bash', ['-c', `set -o pipefail; ${cmd}`], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  // Read through `bcftools view` once so htslib's own header repairs (a GT
  // used but not declared gets a dummy declaration) apply as in a pipeline.
  const viewed = `${out}.view.vcf`;
  run(`bcftools view --no-version -Ov -o '${viewed}' '${vcf}'`);
  const samples = run(`bcftools query -l '${viewed}'`).split('\n').filter(Boolean);
  // A file without FORMAT/GT (e.g. PL only) has every genotype missing.
  // htslib parses an undeclared GT with a dummy declaration it does not print; declare it (a file with no GT at all then reads as missing '.').
  const text = readFileSync(viewed, 'utf8');
  if (!/^##FORMAT=<ID=GT,/m.test(text)) writeFileSync(viewed, text.replace(/^#CHROM/m, '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n#CHROM'));
  const gts = '[\\t%GT]';
  const body = run(`bcftools query -f '%CHROM\\t%POS\\t.\\t%REF\\t%ALT\\t.\\t.\\t.\\tGT${gts}\\n' '${viewed}'`);
  const contigs: string[] = [];
  const seen = new Set<string>();
  for (const line of body.split('\n')) {
    const c = line.slice(0, line.indexOf('\t'));
    if (c && !seen.has(c)) { seen.add(c); contigs.push(c); }
  }
  const header = ['##fileformat=VCFv4.2', '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ...contigs.map((c) => `##contig=<ID=${c}>`),
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', ...(samples.length ? ['FORMAT', ...samples] : [])].join('\t')];
  const rows = samples.length ? body : body.split('\n').map((l) => l.replace(/\tGT$/, '')).join('\n');
  writeFileSync(out, `${header.join('\n')}\n${rows}`);
}

/**
 * key `chrom\tpos\tref\talt` -> counts, from `bcftools +fill-tags` on the
 * minimal VCF (see bcftoolsMinimalVcf), optionally subset with
 * `bcftools view -S samplesFile --force-samples`. Records with the same key
 * are summed (as the store does).
 */
export function bcftoolsCounts(minimalVcf: string, samplesFile?: string): Map<string, RefCounts> {
  const q = `bcftools +fill-tags -- -t AC,AN,AC_Hom | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\t%AC_Hom\\n'`;
  const subset = samplesFile ? `-S '${samplesFile}' --force-samples` : '';
  const text = execFileSync('bash', ['-c', `set -o pipefail; bcftools view --no-version ${subset} '${minimalVcf}' | ${q}`], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const out = new Map<string, RefCounts>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [chrom, pos, ref, altList, acList, an, homList] = line.split('\t') as [string, string, string, string, string, string, string];
    if (altList === '.') continue;
    const alts = altList.split(',');
    const acs = acList.split(',');
    const homs = homList.split(',');
    alts.forEach((alt, i) => {
      const key = `${chrom}\t${pos}\t${ref}\t${alt}`;
      const prev = out.get(key) ?? { ac: 0, an: 0, nhomalt: 0 };
      const num = (x: string | undefined): number => (x === undefined || x === '.' ? 0 : Number(x));
      out.set(key, { ac: prev.ac + num(acs[i]), an: prev.an + num(an), nhomalt: prev.nhomalt + num(homs[i]) / 2 });
    });
  }
  return out;
}

/** Sample ids of the 1000G panel rows matching `pred` (columns: sample pop super_pop gender). */
export function panelIds(panelText: string, pred: (row: { sample: string; pop: string; super_pop: string; gender: string }) => boolean): string[] {
  const out: string[] = [];
  for (const line of panelText.split('\n').slice(1)) {
    const [sample, pop, super_pop, gender] = line.split('\t');
    if (!sample || !pop || !super_pop || !gender) continue;
    if (pred({ sample, pop, super_pop, gender })) out.push(sample);
  }
  return out;
}
