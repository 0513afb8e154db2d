/**
 * VCF guideline levels (issue 13): `high` masks exactly the sites the
 * reference tool's rules select (labhai/VCF-Anonymization,
 * vcf_anonymizer.py), checked against an oracle written HERE from that
 * tool's source (not from node/pseudonymize/vcf/level-rules.ts) over what
 * `bcftools query` prints, with `bcftools +fill-tags` giving the genotype
 * AC/AN for records without INFO frequencies; the outputs are read by
 * bcftools view, index and +fill-tags; `verify vcf --level` passes on them
 * and names the position of a tampered site.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vcfLevelOpts } from '../../../node/pseudonymize/cli-run.js';
import { generateSiteKey } from '../../../node/pseudonymize/site-key.js';
import { maskStrAllele, strRule, levelOptions } from '../../../node/pseudonymize/vcf/level-rules.js';
import { pseudonymizeVcfFile } from '../../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import { verifyVcf } from '../../../node/pseudonymize/vcf/verify-vcf.js';
import { FIXTURES, MUST_HAVE_TOOLS, has, run } from './tools.js';

const key = generateSiteKey();
const BCFTOOLS = has('bcftools');
let compared = 0;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-vcf-levels-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const V = join(FIXTURES, 'vcf');
/** Real files: INFO AF (Number=1, values of exactly 0.01) + GL Number=G; AC/AN/AF with 1,320 indels and long STR indels; no INFO at all (MAF from genotypes) with STRs; single sample. */
const FILES = [
  join(V, 'other_real/VariantAnnotation_chr22_1000G_phase1_5samples.vcf.gz'),
  join(V, '1kg_dev/shapeit4_reference_chr20_300EUR.vcf.gz'),
  join(V, '1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chr2.vcf.gz'),
  join(V, '1kg_dev/genotype_plot_chr1_MTHFR_2504.vcf.gz'),
  join(V, 'single_sample/CanDIG_NA18537_chr21_1Mb.vcf.gz'),
  join(V, 'other_real/VariantAnnotation_hapmap_exome_chr22.vcf.gz'),
];

// ---- Oracle: the reference tool's rules, re-written from vcf_anonymizer.py ----
/** build_str_patterns + mask_str: first motif length (1..6) whose `([ACGT]{k})\1{6,}` matches decides the motif; every `(motif){7,}` run is masked. */
function oracleStr(alt: string): string | null {
  for (let k = 1; k <= 6; k++) {
    const m = new RegExp(`([ACGT]{${k}})\\1{6,}`).exec(alt);
    if (!m) continue;
    const motif = m[1]!;
    return alt.replace(new RegExp(`(${motif}){7,}`, 'g'), (seg) => {
      if (k === 1) return 'N'.repeat(seg.length);
      let out = '';
      for (let i = 0; i < seg.length; i += k) out += seg.slice(i, i + k) === motif ? motif[0] + 'N'.repeat(k - 1) : seg.slice(i, i + k);
      return out;
    });
  }
  return null;
}
/** _to_float on pysam values: Type=Float INFO values are float32 in htslib. */
const toFloat = (s: string, f32: boolean): number | null => (s === '.' || s === '' || Number.isNaN(Number(s)) ? null : f32 ? Math.fround(Number(s)) : Number(s));
/** site_maf_from_info over the text bcftools prints ('.' = absent); types: Type per INFO id. */
function oracleMaf(maf: string, af: string, ac: string, an: string, types: Map<string, string>): number | null {
  const fromAfs = (afs: number[]): number => {
    const ref = Math.max(0, 1 - afs.reduce((a, b) => a + b, 0));
    return Math.min(ref, ...afs);
  };
  if (maf !== '.') return toFloat(maf.split(',')[0]!, types.get('MAF') === 'Float');
  const afs = af === '.' ? [] : af.split(',').map((x) => toFloat(x, types.get('AF') === 'Float')).filter((x): x is number => x !== null);
  if (afs.length) return fromAfs(afs);
  if (ac !== '.' && an !== '.') {
    const n = Number(an);
    if (!n || n <= 0) return null;
    const acs = ac.split(',').filter((x) => x !== '.').map(Number);
    if (acs.length) return fromAfs(acs.map((a) => a / n));
  }
  return null;
}

interface Expected { pos: string; kind: 'str' | 'rare' | null; alt: string }

/** What the reference rules do to each record, from bcftools' own reading of the file (plus genotype AC/AN where INFO has no frequency). */
function oracle(file: string): Expected[] {
  const header = run('bcftools', ['view', '-h', file]).stdout;
  const types = new Map([...header.matchAll(/^##INFO=<ID=([^,]+),Number=[^,]+,Type=(\w+)/gm)].map((m) => [m[1]!, m[2]!]));
  const has = (id: string): boolean => types.has(id);
  const fmt = ['%CHROM:%POS', '%ALT', has('MAF') ? '%INFO/MAF' : '.', has('AF') ? '%INFO/AF' : '.', has('AC') ? '%INFO/AC' : '.', has('AN') ? '%INFO/AN' : '.'].join('\t');
  const rows = run('bcftools', ['query', '-f', `${fmt}\n`, file]).stdout.trimEnd().split('\n');
  // Genotype AC/AN: bcftools +fill-tags on the file with INFO removed (so nothing from INFO is reused).
  const stripped = join(dir, `noinfo-${basename(file)}`);
  expect(run('bcftools', ['annotate', '--no-version', '-x', 'INFO', '-Oz', '-o', stripped, file]).code).toBe(0);
  const gt = run('bash', ['-c', `bcftools +fill-tags '${stripped}' -- -t AC,AN | bcftools query -f '%AC\\t%AN\\n'`]).stdout.trimEnd().split('\n');
  expect(gt.length).toBe(rows.length);
  return rows.map((row, i) => {
    const [pos, alt, maf, af, ac, an] = row.split('\t') as [string, string, string, string, string, string];
    if (alt.split(',').every((a) => a === '.')) return { pos, kind: null, alt };
    const masked = alt.split(',').map((a) => oracleStr(a));
    if (masked.some((m) => m !== null)) return { pos, kind: 'str', alt: alt.split(',').map((a, j) => masked[j] ?? a).join(',') };
    let m = oracleMaf(maf, af, ac, an, types);
    if (m === null) {
      const [gac, gan] = gt[i]!.split('\t') as [string, string];
      m = oracleMaf('.', '.', gac, gan, new Map());
    }
    return m !== null && m < 0.01 ? { pos, kind: 'rare', alt: '.' } : { pos, kind: null, alt };
  });
}

describe('VCF level rules on hand-made examples from the reference tool', () => {
  it('masks a 1 bp run with N and keeps the first base of each 2-6 bp unit', () => {
    const rule = strRule(levelOptions({ level: 'high' }));
    expect(maskStrAllele('AAAAAAAAT', rule)).toBe('NNNNNNNNT');
    expect(maskStrAllele('GACACACACACACACT', rule)).toBe('GANANANANANANANT');
    expect(maskStrAllele('TAAAAAAT', rule)).toBeNull(); // 6 repeats: below 7
    expect(maskStrAllele('CAGCAGCAGCAGCAGCAGCAGCAG', rule)).toBe('CNNCNNCNNCNNCNNCNNCNNCNN');
    expect(maskStrAllele('aaaaaaaaaa', rule)).toBeNull(); // upper-case ACGT only, as the reference pattern
  });
});

describe('VCF --level high on real files', () => {
  it.each(FILES)('masks exactly the sites the reference rules select, and bcftools view, index and +fill-tags accept %s', async (file) => {
    if (!BCFTOOLS) {
      expect(MUST_HAVE_TOOLS).toBe(false);
      return;
    }
    const out = join(dir, `high-${basename(file)}`);
    const report = await pseudonymizeVcfFile({ input: file, output: out, key, level: 'high' });
    const expected = oracle(file);
    const got = run('bcftools', ['query', '-f', '%CHROM:%POS\t%ALT\n', out]).stdout.trimEnd().split('\n');
    expect(got.length).toBe(expected.length);
    const wrong = expected.filter((e, i) => got[i] !== `${e.pos}\t${e.alt}`).map((e) => e.pos);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(report.strMasked).toBe(expected.filter((e) => e.kind === 'str').length);
    expect(report.rareMasked).toBe(expected.filter((e) => e.kind === 'rare').length);
    // Rare-masked genotypes call no ALT allele (no digit 1-9 in any GT), and AN (called alleles) is the original's everywhere.
    const rareGts = run('bash', ['-c', `bcftools query -i 'ALT="."' -f '[%GT\\t]\\n' '${out}' | grep -c '[1-9]' || true`]).stdout.trim();
    expect(rareGts).toBe('0');
    // bcftools accepts the output: view, index (BGZF; a file without ##contig lines needs it), +fill-tags with no allele error.
    expect(run('bcftools', ['view', '-Ov', '-o', '/dev/null', out]).code).toBe(0);
    expect(run('bcftools', ['index', '-f', out]).code).toBe(0);
    const an = (f: string): string => run('bash', ['-c', `bcftools +fill-tags '${f}' -- -t AN | bcftools query -f '%AN\\n'`]).stdout;
    expect(an(out)).not.toBe('');
    expect(an(out)).toBe(an(file));
    const ft = run('bcftools', ['+fill-tags', out, '-Ov', '-o', '/dev/null', '--', '-t', 'all']);
    expect(ft.code).toBe(0);
    expect(ft.stderr).not.toMatch(/Incorrect allele|\[E::/);
    // verify vcf --level high passes.
    const checks = await verifyVcf({ original: file, pseudonymized: out, key, level: 'high' });
    expect(checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    compared++;
  }, 120_000);

  it('covers STR and rare targets, and rare sites whose MAF comes only from the genotypes', async () => {
    if (!BCFTOOLS) return;
    const counts = await Promise.all(FILES.slice(1, 3).map(async (f) => pseudonymizeVcfFile({ input: f, output: join(dir, `count-${basename(f)}`), key, level: 'high' })));
    expect(counts[0]!.strMasked).toBeGreaterThan(0);
    expect(counts[0]!.rareMasked).toBeGreaterThan(1000);
    expect(counts[1]!.rareFromGenotypes).toBeGreaterThan(0); // no INFO at all in this file
    compared++;
  }, 60_000);

  it('verify names the CHROM:POS of a rare site left unmasked and of a changed non-target, never a value', async () => {
    const file = FILES[0]!;
    const out = join(dir, 'tamper-src.vcf.gz');
    await pseudonymizeVcfFile({ input: file, output: out, key, level: 'high' });
    const lines = gunzipSync(await readFile(out)).toString('utf8').split('\n');
    const rareAt = lines.findIndex((l) => !l.startsWith('#') && l.split('\t')[4] === '.');
    const commonAt = lines.findIndex((l, i) => i > rareAt && !l.startsWith('#') && l.split('\t')[4] !== '.');
    const orig = gunzipSync(await readFile(file)).toString('utf8').split('\n');
    const origRare = orig.find((l) => l.startsWith(lines[rareAt]!.split('\t').slice(0, 2).join('\t') + '\t'))!;
    lines[rareAt] = lines[rareAt]!.split('\t').map((c, i) => (i === 4 ? origRare.split('\t')[4]! : c)).join('\t');
    const cols = lines[commonAt]!.split('\t');
    cols[5] = '99';
    lines[commonAt] = cols.join('\t');
    const tampered = join(dir, 'tampered.vcf');
    await writeFile(tampered, lines.join('\n'));
    const checks = await verifyVcf({ original: file, pseudonymized: tampered, key, level: 'high', useBcftools: false });
    const rare = checks.find((c) => c.name.includes('rare target'))!;
    const other = checks.find((c) => c.name.includes('not a target'))!;
    const pos = (l: string): string => l.split('\t').slice(0, 2).join(':');
    expect(rare.ok).toBe(false);
    expect(rare.unmaskedPositions).toContain(pos(lines[rareAt]!));
    expect(other.ok).toBe(false);
    expect(other.unmaskedPositions).toEqual([pos(lines[commonAt]!)]);
    expect(JSON.stringify(checks)).not.toContain(origRare.split('\t')[4]! + '\t');
  }, 60_000);
});

describe('VCF --level low', () => {
  it('writes ##cmdline=. and a ##reference= without a path, leaves records unchanged, and verify passes', async () => {
    // No public fixture has a ##cmdline line (Strelka/Manta write one): insert one into a real file.
    const src = gunzipSync(await readFile(FILES[1]!)).toString('utf8').split('\n');
    src.splice(1, 0, '##cmdline=/home/drkim/strelka/configureStrelka.py --tumorBam /data/PT-0001.bam', '##reference=file:///data/refs/custom_build.fa');
    const input = join(dir, 'with-cmdline.vcf');
    await writeFile(input, src.join('\n'));
    const out = join(dir, 'low.vcf');
    const report = await pseudonymizeVcfFile({ input, output: out, key, level: 'low' });
    expect(report.level).toBe('low');
    const text = await readFile(out, 'utf8');
    const meta = text.split('\n').filter((l) => l.startsWith('##'));
    expect(meta.filter((l) => l.startsWith('##cmdline'))).toEqual(['##cmdline=.']);
    expect(meta.filter((l) => l.startsWith('##reference'))).toEqual(['##reference=.']);
    expect(text).not.toContain('drkim');
    expect(text).not.toContain('custom_build');
    const checks = await verifyVcf({ original: input, pseudonymized: out, key, level: 'low' });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    expect(checks.find((c) => c.name.startsWith('low: reference verifier header rules'))?.masked).toBe(2);
    if (BCFTOOLS) {
      const q = (f: string): string => run('bcftools', ['query', '-f', '%CHROM\t%POS\t%REF\t%ALT\t%INFO[\t%GT]\n', f]).stdout;
      expect(q(out)).toBe(q(input));
      compared++;
    }
  }, 60_000);
});

describe('level flags', () => {
  it('are refused for other formats and --maf without --level high, with GENOFED_USAGE', () => {
    expect(() => vcfLevelOpts('table', { level: 'high' })).toThrow(expect.objectContaining({ code: 'GENOFED_USAGE' }));
    expect(() => vcfLevelOpts('bam', { maf: '0.05' })).toThrow(expect.objectContaining({ code: 'GENOFED_USAGE' }));
    expect(() => vcfLevelOpts('vcf', { level: 'low', maf: '0.05' })).toThrow(expect.objectContaining({ code: 'GENOFED_USAGE' }));
    expect(() => vcfLevelOpts('vcf', { level: 'high', strMotif: '3-2' })).toThrow(expect.objectContaining({ code: 'GENOFED_USAGE' }));
    expect(vcfLevelOpts('vcf', { level: 'high', maf: '0.05', strMinRepeat: '5', strMotif: '2-4' })).toEqual({ level: 'high', maf: 0.05, strMinRepeat: 5, strMotif: [2, 4] });
    expect(vcfLevelOpts('table', {}).level).toBe('standard');
  });
});

describe('tool guard', () => {
  it('compared the outputs with bcftools (fails when every bcftools comparison was skipped)', () => {
    expect(compared, 'every bcftools comparison was skipped (is bcftools installed?)').toBeGreaterThan(FILES.length);
  });
});
