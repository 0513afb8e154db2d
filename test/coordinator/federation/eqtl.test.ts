/**
 * Expression by genotype (cis eQTL) over a real consortium: 4 sites with
 * disjoint 1000 Genomes samples (real IL2RA-window genotypes) and a
 * synthetic count matrix with planted cis effects on those genotypes. Every
 * released variant's slope, SE, t and p equals R's lm(y ~ dosage + sex) on
 * the pooled data (log-CPM quantized at 2^-24, dosages from `bcftools
 * norm -m- | bcftools query`); then, as an attacker holding every answer
 * would check, the nodes' rules: every released variant's genotype class x
 * covariate cells are 0 or >= k network-wide, and no two released variants
 * (within one answer or across answers) have called, carrier or hom-alt
 * sets differing by 1..k-1 people network-wide.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetExpression } from '../../../coordinator/demo/synthetic-expression-presets.js';
import { DEFAULT_VCF } from '../../../coordinator/demo/synthetic-expression-genotypes.js';
import type { SyntheticExpression } from '../../../coordinator/demo/synthetic-expression.js';
import type { EqtlAnswer } from '../../../coordinator/federation/eqtl.js';
import type { Federation } from '../../../coordinator/federation/types.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { assignSites, matrixTsv, writeSiteFiles } from '../../bench/synthetic-expression-files.js';
import { has } from '../../tool-available.js';
import { HAS_R } from '../stats/r-oracle.js';
import { startConsortium, type Consortium } from './consortium.js';

const HAS_TOOLS = HAS_R && has('bcftools');
const K = 5;
const SITES = 4;
const schema = parsePhenotypeSchema({
  format: 'genofed-phenotype-schema', version: 1,
  columns: [
    { name: 'group', type: 'categorical', values: ['A', 'B'] },
    { name: 'sex', type: 'categorical', values: ['female', 'male'] },
  ],
});

const R_LM = String.raw`
suppressPackageStartupMessages(library(edgeR))
args <- commandArgs(TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
sheet <- read.delim(args[2], stringsAsFactors = FALSE)
gt <- read.delim(args[3], header = FALSE, stringsAsFactors = FALSE, colClasses = "character")
gene <- args[4]
samples <- scan(args[5], what = "", quiet = TRUE)
counts <- counts[, sheet$sample]
lc <- cpm(counts, log = TRUE, prior.count = 2)
y <- floor(lc[gene, ] * 2^24 + 0.5) / 2^24
sex <- factor(sheet$sex, levels = c("female", "male"))
f <- function(x) sprintf("%.17g", x)
dos <- function(g) {
  a <- strsplit(g, "[/|]")[[1]]
  if (any(a == ".")) return(NA)
  sum(a == "1")
}
for (i in seq_len(nrow(gt))) {
  g <- unlist(gt[i, 5:ncol(gt)])
  names(g) <- samples
  d <- sapply(g[sheet$sample], dos)
  fit <- summary(lm(y ~ d + sex))$coefficients
  key <- paste(gt[i, 1], gt[i, 2], gt[i, 3], gt[i, 4], sep = ":")
  if ("d" %in% rownames(fit)) writeLines(paste(key, f(fit["d", 1]), f(fit["d", 2]), f(fit["d", 3]), f(fit["d", 4]), sep = "\t"))
  else writeLines(paste(key, "NA", "NA", "NA", "NA", sep = "\t"))
}
`;

interface RRow { slope: number; se: number; t: number; p: number }

describe.skipIf(!HAS_TOOLS)('cis eQTL over the network equals R lm on the pooled data (4 sites, 120 1000G samples, real genotypes)', () => {
  let dir = '';
  let c: Consortium;
  let fed: Federation;
  let data: SyntheticExpression;
  let siteSamples: string[][] = [];
  /** Pooled dosages by CHR:POS:REF:ALT, in `data.samples` order (-1 not called). */
  const dosages = new Map<string, Int8Array>();
  let compared = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-eqtl-'));
    data = presetExpression('small', { genes: 400 });
    const assignment = assignSites(data.samples, SITES, 'random', 7);
    const folders = writeSiteFiles(dir, data, assignment, { vcf: DEFAULT_VCF });
    siteSamples = Array.from({ length: SITES }, (_, i) => data.samples.filter((s) => assignment.get(s) === i));
    const phenotypes: Record<string, string> = {};
    const expression: Record<string, { path: string }> = {};
    const vcfs: Record<string, string[]> = {};
    const bySample = new Map(data.phenotypes.map((p) => [p.sample, p]));
    for (const [i, folder] of folders.entries()) {
      const site = `s${i}`;
      phenotypes[site] = join(folder, 'pheno.tsv');
      await writeFile(phenotypes[site], ['sample\tgroup\tsex', ...siteSamples[i]!.map((s) => `${s}\t${bySample.get(s)!.group}\t${bySample.get(s)!.sex}`)].join('\n') + '\n');
      expression[site] = { path: join(folder, 'expression.tsv') };
      vcfs[site] = [join(folder, 'genotypes.vcf.gz')];
    }
    await writeFile(join(dir, 'pooled.tsv'), matrixTsv(data));
    await writeFile(join(dir, 'sheet.tsv'), ['sample\tsex', ...data.phenotypes.map((p) => `${p.sample}\t${p.sex}`)].join('\n') + '\n');
    await writeFile(join(dir, 'samples.txt'), data.samples.join('\n') + '\n');
    c = await startConsortium({ sites: Object.keys(vcfs), vcfs, schema, phenotypes, expression });
    fed = await c.federationWith();
  }, 180_000);

  afterAll(async () => {
    await fed?.close();
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Split multi-allelic records, the pooled samples' GT strings of the region: CHR POS REF ALT GT... */
  function genotypeTable(region: string): string {
    const path = join(dir, `gt-${region.replace(/[:-]/g, '_')}.tsv`);
    const text = execFileSync('bash', ['-c', `bcftools view -r '${region}' -s "$(paste -sd, '${join(dir, 'samples.txt')}')" '${DEFAULT_VCF}' -Ou | bcftools norm -m- -Ou | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT[\\t%GT]\\n'`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    execFileSync('bash', ['-c', `cat > '${path}'`], { input: text });
    for (const line of text.split('\n').filter(Boolean)) {
      const f = line.split('\t');
      const d = new Int8Array(data.samples.length);
      for (let j = 0; j < data.samples.length; j++) {
        const a = f[4 + j]!.split(/[/|]/);
        d[j] = a.includes('.') ? -1 : a.filter((x) => x === '1').length;
      }
      dosages.set(f.slice(0, 4).join(':'), d);
    }
    return path;
  }

  function rLm(gene: string, region: string): Map<string, RRow | null> {
    const gt = genotypeTable(region);
    execFileSync('bash', ['-c', `cat > '${join(dir, 'lm.R')}'`], { input: R_LM });
    const out = execFileSync('Rscript', ['--vanilla', join(dir, 'lm.R'), join(dir, 'pooled.tsv'), join(dir, 'sheet.tsv'), gt, gene, join(dir, 'samples.txt')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const m = new Map<string, RRow | null>();
    for (const line of out.split('\n').filter(Boolean)) {
      const [key, ...v] = line.split('\t');
      m.set(key!, v[0] === 'NA' ? null : { slope: Number(v[0]), se: Number(v[1]), t: Number(v[2]), p: Number(v[3]) });
    }
    return m;
  }

  function plantedGene(): { gene: string; chrom: string; start: number; end: number; variant: string } {
    const t = data.truth.find((x) => x.eqtlVariant !== '')!;
    const g = data.genes.find((x) => x.id === t.gene)!;
    return { gene: g.id, chrom: g.chrom, start: g.start, end: g.end, variant: t.eqtlVariant };
  }

  /** Network-wide member sets of a variant: called, carriers, hom-alt (sample indices). */
  function sets(key: string): [Set<number>, Set<number>, Set<number>] {
    const d = dosages.get(key)!;
    const called = new Set<number>();
    const carriers = new Set<number>();
    const homAlt = new Set<number>();
    d.forEach((x, j) => {
      if (x < 0) return;
      called.add(j);
      if (x >= 1) carriers.add(j);
      if (x >= 2) homAlt.add(j);
    });
    return [called, carriers, homAlt];
  }

  const xor = (a: Set<number>, b: Set<number>): number => [...a].filter((x) => !b.has(x)).length + [...b].filter((x) => !a.has(x)).length;
  const released = (a: EqtlAnswer): string[] => a.rows.filter((r) => r.note !== 'withheld').map((r) => `${r.chrom}:${r.pos}:${r.ref}:${r.alt}`);

  function assertNoSmallDifferences(keys: readonly string[]): void {
    const all = keys.map(sets);
    const bad: string[] = [];
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) for (let t = 0; t < 3; t++) {
      const d = xor(all[i]![t]!, all[j]![t]!);
      if (d > 0 && d < K && bad.length < 5) bad.push(`${keys[i]} vs ${keys[j]} (set ${t}): ${d}`);
    }
    expect(bad).toEqual([]);
  }

  let first: EqtlAnswer;

  it('every released variant of a planted gene equals R lm(y ~ dosage + sex) on the pooled data (slope, SE, t within 1e-6; p relative 1e-6)', async () => {
    const g = plantedGene();
    first = await fed.eqtl({ querier: 'alice', gene: g.gene, chrom: g.chrom, start: g.start, end: g.end, window: 1_000_000, covariates: ['sex'] });
    expect(first.n).toBe(120);
    expect(first.design).toEqual(['(Intercept)', 'dosage', 'sexmale']);
    const r = rLm(g.gene, first.region);
    // The answer lists every variant of the window (split per ALT), as bcftools norm -m- does.
    expect(new Set(first.rows.map((x) => `${x.chrom}:${x.pos}:${x.ref}:${x.alt}`))).toEqual(new Set(r.keys()));
    const bad: string[] = [];
    let withStats = 0;
    for (const row of first.rows) {
      if (row.note === 'withheld') continue;
      const want = r.get(`${row.chrom}:${row.pos}:${row.ref}:${row.alt}`);
      if (want === null || want === undefined) {
        if (row.note !== 'monomorphic') bad.push(`${row.pos}: R gives NA, we give ${JSON.stringify(row)}`);
        continue;
      }
      withStats += 1;
      const close = (a: number | null, b: number): boolean => a !== null && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
      const closeP = (a: number | null, b: number): boolean => a !== null && Math.abs(a - b) <= Math.max(1e-300, 1e-6 * b);
      if (!close(row.slope, want.slope) || !close(row.se, want.se) || !close(row.t, want.t) || !closeP(row.p, want.p)) {
        if (bad.length < 5) bad.push(`${row.pos}: ${JSON.stringify(row)} vs R ${JSON.stringify(want)}`);
      }
      compared += 1;
    }
    expect(bad).toEqual([]);
    expect(withStats).toBeGreaterThan(20);
    // Positive control: the planted variant, or a released variant in LD with it, is the strongest signal.
    const best = first.rows.find((x) => x.p !== null)!;
    expect(best.p!).toBeLessThan(1e-6);
  }, 240_000);

  it('as the key holder would check: every released variant has each genotype class x sex cell at 0 or >= k, and no two released variants differ by 1..k-1 people', () => {
    expect(first).toBeDefined();
    const keys = released(first);
    const sex = data.phenotypes.map((p) => p.sex);
    for (const key of keys) {
      const d = dosages.get(key)!;
      for (const cls of [0, 1, 2]) for (const s of ['female', 'male']) {
        let n = 0;
        d.forEach((x, j) => { if (x === cls && sex[j] === s) n += 1; });
        expect(n === 0 || n >= K, `${key} dosage ${cls} ${s}: ${n}`).toBe(true);
      }
    }
    assertNoSmallDifferences(keys);
    // Some variants were withheld for it, and the note says why.
    const withheld = first.rows.filter((r) => r.note === 'withheld').length;
    expect(withheld).toBeGreaterThan(0);
    expect(first.disclosure.rules.map((r) => r.rule)).toContain('eqtl-variant-withheld');
  });

  it('a second query over an overlapping window releases no variant that differs by 1..k-1 people from one released before (the nodes thin against their history)', async () => {
    const g = plantedGene();
    const second = await fed.eqtl({ querier: 'bob', gene: g.gene, chrom: g.chrom, start: g.start + 150_000, end: g.end + 150_000, window: 1_000_000, covariates: ['sex'] });
    genotypeTable(second.region);
    const keys = [...new Set([...released(first), ...released(second)])];
    assertNoSmallDifferences(keys);
    expect(released(second).length).toBeGreaterThan(0);
  }, 240_000);

  it('attack: the sites hold a twin of a released variant (same position, another ALT) whose dosages differ in one patient; the two are never both released, though each passes the class rule', async () => {
    const g = plantedGene();
    const keys = released(first);
    const sex = data.phenotypes.map((p) => p.sex);
    const classesOk = (d: Int8Array): boolean => [0, 1, 2].every((cls) => ['female', 'male'].every((s) => {
      let n = 0;
      d.forEach((x, j) => { if (x === cls && sex[j] === s) n += 1; });
      return n === 0 || n >= K;
    }));
    // A released biallelic SNV, and one of site s0's patients with 0|0 there who is not in a class cell of exactly k.
    const site0 = new Set(siteSamples[0]!.map((s) => data.samples.indexOf(s)));
    let target: { key: string; j: number; twin: Int8Array } | undefined;
    for (const key of keys) {
      const [, , ref, alt] = key.split(':');
      if (ref!.length !== 1 || alt!.length !== 1) continue;
      const d = dosages.get(key)!;
      for (const j of site0) {
        if (d[j] !== 0) continue;
        const twin = Int8Array.from(d);
        twin[j] = 1;
        if (classesOk(twin)) { target = { key, j, twin }; break; }
      }
      if (target) break;
    }
    expect(target).toBeDefined();
    const [chrom, pos, ref, alt] = target!.key.split(':') as [string, string, string, string];
    const twinAlt = ['A', 'C', 'G', 'T'].find((b) => b !== ref && b !== alt)!;
    // Every site's VCF gets the twin record right after the original (the data hold both variants); only at s0 does one patient differ.
    const { gunzipSync } = await import('node:zlib');
    const { readFile } = await import('node:fs/promises');
    const vcfs: Record<string, string[]> = {};
    for (const [i, x] of ['a', 'b', 'c', 'd'].entries()) {
      const vcf = gunzipSync(await readFile(join(dir, `hospital-${x}`, 'genotypes.vcf.gz'))).toString('latin1').split('\n');
      const at = vcf.findIndex((l) => { const f = l.split('\t', 5); return f[0] === chrom && f[1] === pos && f[3] === ref && f[4] === alt; });
      expect(at).toBeGreaterThan(0);
      const f = vcf[at]!.split('\t');
      f[2] = '.';
      f[4] = twinAlt;
      if (i === 0) {
        const column = vcf.find((l) => l.startsWith('#CHROM'))!.split('\t').indexOf(data.samples[target!.j]!);
        f[column] = f[column]!.replace(/^0([|/])0/, '0$11');
      }
      vcf.splice(at + 1, 0, f.join('\t'));
      await writeFile(join(dir, `attack-${x}.vcf`), vcf.join('\n'));
      vcfs[`s${i}`] = [join(dir, `attack-${x}.vcf`)];
    }
    const attacked = await startConsortium({
      sites: ['s0', 's1', 's2', 's3'], schema, vcfs,
      phenotypes: Object.fromEntries(['a', 'b', 'c', 'd'].map((x, i) => [`s${i}`, join(dir, `hospital-${x}`, 'pheno.tsv')])),
      expression: Object.fromEntries(['a', 'b', 'c', 'd'].map((x, i) => [`s${i}`, { path: join(dir, `hospital-${x}`, 'expression.tsv') }])),
    });
    const afed = await attacked.federationWith();
    try {
      const answer = await afed.eqtl({ querier: 'mallory', gene: g.gene, chrom: g.chrom, start: g.start, end: g.end, window: 1_000_000, covariates: ['sex'] });
      const out = new Set(released(answer));
      const twinKey = `${chrom}:${pos}:${ref}:${twinAlt}`;
      expect(answer.rows.some((r) => `${r.chrom}:${r.pos}:${r.ref}:${r.alt}` === twinKey)).toBe(true);
      expect(out.has(target!.key) && out.has(twinKey)).toBe(false);
    } finally {
      await afed.close();
      await attacked.close();
    }
  }, 240_000);

  it('the comparisons ran (guard against a silent skip)', () => {
    expect(compared).toBeGreaterThan(20);
  });
});

describe('eQTL test guard', () => {
  it('R and bcftools are present in CI', () => {
    if (process.env.CI) expect(HAS_TOOLS).toBe(true);
    else expect(typeof HAS_TOOLS).toBe('boolean');
  });
});
