/**
 * The synthetic expression generator (test/bench/synthetic-expression.ts):
 * determinism, count and log-value shapes, planted group and eQTL effects
 * recovered by simple checks (the eQTL on genotypes re-read from the 1000G
 * VCF by a separate, plain string parser), gene placement around the
 * genotyped window, and the split over sites. The R (limma, lm) check is
 * synthetic-expression-r.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifierColumns, parsePhenotypeTable } from '../../node/phenotypes/index.js';
import { logCpm } from '../../proto/expression.js';
import { PRESETS, presetExpression } from './synthetic-expression-cli.js';
import { annotationTsv, assignSites, matrixTsv, phenotypeTsv, truthTsv, writeExpressionFiles, writeSiteFiles } from './synthetic-expression-files.js';
import { DEFAULT_VCF, readPanel } from '../../coordinator/demo/synthetic-expression-genotypes.js';
import { Draws } from '../../coordinator/demo/synthetic-expression-random.js';
import type { SyntheticExpression } from '../../coordinator/demo/synthetic-expression.js';

let data: SyntheticExpression;
let dir: string;

beforeAll(() => {
  data = presetExpression('small');
  dir = mkdtempSync(join(tmpdir(), 'genofed-synexpr-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** edgeR's log-CPM (prior 2) of the pooled counts: genes x samples, row-major. */
function logCpmMatrix(d: SyntheticExpression): Float64Array {
  const n = d.samples.length;
  const lib = Array.from({ length: n }, (_, j) => d.genes.reduce((s, _g, g) => s + d.matrix[g * n + j]!, 0));
  const mean = lib.reduce((a, b) => a + b, 0) / n;
  return Float64Array.from(d.matrix, (c, k) => logCpm(c, lib[k % n]!, mean));
}

/** Least-squares slope of y on x. */
function slope(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/** Dosages of one CHR:POS:REF:ALT for `samples`, by plain string parsing of the VCF (independent of readDosages). */
const vcfLines = new Map<string, string[]>();
function dosagesFromVcf(vcf: string, id: string, samples: readonly string[]): number[] {
  let lines = vcfLines.get(vcf);
  if (!lines) vcfLines.set(vcf, (lines = gunzipSync(readFileSync(vcf)).toString('latin1').split('\n')));
  const header = lines.find((l) => l.startsWith('#CHROM'))!.split('\t');
  const [chrom, pos, ref, alt] = id.split(':');
  const line = lines.find((l) => l.startsWith(`${chrom}\t${pos}\t`) && l.split('\t', 5)[3] === ref && l.split('\t', 5)[4] === alt)!;
  const f = line.split('\t');
  return samples.map((s) => f[header.indexOf(s)]!.split(':')[0]!.split(/[|/]/).filter((a) => a === '1').length);
}

describe('synthetic expression data', () => {
  it('is deterministic: the same seed gives the same bytes, another seed other values', () => {
    const again = presetExpression('small');
    expect(matrixTsv(again).equals(matrixTsv(data))).toBe(true);
    expect(truthTsv(again)).toBe(truthTsv(data));
    expect(annotationTsv(again)).toBe(annotationTsv(data));
    expect(phenotypeTsv(again)).toBe(phenotypeTsv(data));
    const a = writeExpressionFiles(join(dir, 'a'), data, { gzip: true });
    const b = writeExpressionFiles(join(dir, 'b'), again, { gzip: true });
    expect(readFileSync(a.matrix).equals(readFileSync(b.matrix))).toBe(true);
    expect(gunzipSync(readFileSync(a.matrix)).equals(matrixTsv(data))).toBe(true);
    const other = presetExpression('small', { seed: 7 });
    expect(matrixTsv(other).equals(matrixTsv(data))).toBe(false);
  });

  it('has the small preset shape: 2,000 genes x 120 real 1000G samples, raw counts that look like RNA-seq', () => {
    const n = data.samples.length;
    expect([data.genes.length, n]).toEqual([PRESETS.small.genes, PRESETS.small.samples]);
    const panel = new Map(readPanel().map((r) => [r.sample, r]));
    expect(data.samples.every((s) => panel.has(s))).toBe(true);
    const text = matrixTsv(data).toString('latin1').trimEnd().split('\n');
    expect(text[0]).toBe(`gene_id\t${data.samples.join('\t')}`);
    expect(text).toHaveLength(data.genes.length + 1);
    for (const line of text.slice(1)) {
      const f = line.split('\t');
      expect(f).toHaveLength(n + 1);
      expect(f.slice(1).every((v) => /^(0|[1-9][0-9]*)$/.test(v))).toBe(true);
    }
    // Library sizes vary ~4-fold (10-40 M scaled to 2,000 genes); few zeros; means spread over decades.
    const lib = Array.from({ length: n }, (_, j) => data.genes.reduce((s, _g, g) => s + data.matrix[g * n + j]!, 0));
    expect(Math.min(...lib)).toBeGreaterThan(2e5);
    expect(Math.max(...lib) / Math.min(...lib)).toBeGreaterThan(2.5);
    const counts = Array.from(data.matrix);
    const zeros = counts.filter((c) => c === 0).length / counts.length;
    expect(zeros).toBeGreaterThan(0.001);
    expect(zeros).toBeLessThan(0.1);
    const means = data.genes.map((_g, g) => counts.slice(g * n, (g + 1) * n).reduce((a, b) => a + b, 0) / n).sort((a, b) => a - b);
    expect(means[Math.floor(means.length / 2)]).toBeGreaterThan(40);
    expect(means[Math.floor(means.length / 2)]).toBeLessThan(250);
    expect(means[means.length - 1]! / means[Math.floor(means.length * 0.05)]!).toBeGreaterThan(1000);
  });

  it('plants 10% DE genes whose group log-ratio has the planted sign and size', () => {
    const n = data.samples.length;
    const l = logCpmMatrix(data);
    const b = data.phenotypes.map((p) => p.group === 'B');
    expect(b.filter(Boolean).length).toBe(n / 2);
    const diff = (g: number): number => {
      let [sa, sb] = [0, 0];
      for (let j = 0; j < n; j++) (b[j] ? (sb += l[g * n + j]!) : (sa += l[g * n + j]!));
      return sb / (n / 2) - sa / (n / 2);
    };
    const de = data.truth.flatMap((t, g) => (t.deLog2fc !== 0 ? [g] : []));
    expect(de.length).toBe(200);
    const fc = de.map((g) => data.truth[g]!.deLog2fc);
    expect(Math.min(...fc.map(Math.abs))).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...fc.map(Math.abs))).toBeLessThanOrEqual(2);
    expect(fc.filter((x) => x > 0).length).toBeGreaterThan(70);
    expect(fc.filter((x) => x < 0).length).toBeGreaterThan(70);
    const large = de.filter((g) => Math.abs(data.truth[g]!.deLog2fc) >= 1);
    expect(large.every((g) => Math.sign(diff(g)) === Math.sign(data.truth[g]!.deLog2fc))).toBe(true);
    // The estimate follows the planted fold change; null genes stay near 0.
    expect(slope(fc, de.map(diff))).toBeGreaterThan(0.8);
    const nullDiffs = data.truth.flatMap((t, g) => (t.deLog2fc === 0 ? [Math.abs(diff(g))] : []));
    expect(nullDiffs.reduce((a, c) => a + c, 0) / nullDiffs.length).toBeLessThan(0.15);
  });

  it('plants cis-eQTL on real genotypes: the slope on the variant dosage has the planted sign', () => {
    const n = data.samples.length;
    const l = logCpmMatrix(data);
    const planted = data.truth.flatMap((t, g) => (t.eqtlVariant ? [g] : []));
    expect(planted.length).toBe(PRESETS.small.eqtlGenes);
    let agree = 0;
    for (const g of planted) {
      const t = data.truth[g]!;
      const dos = dosagesFromVcf(DEFAULT_VCF, t.eqtlVariant, data.samples);
      const maf = dos.reduce((a, c) => a + c, 0) / (2 * n);
      expect(Math.min(maf, 1 - maf)).toBeGreaterThanOrEqual(0.1);
      const s = slope(dos, l.subarray(g * n, (g + 1) * n));
      if (Math.sign(s) === Math.sign(t.eqtlBeta)) agree += 1;
      expect(Math.abs(t.eqtlBeta)).toBeGreaterThanOrEqual(0.3);
    }
    expect(agree).toBe(planted.length);
  });

  it('places genes in genome order, each eQTL gene within 1 Mb of its variant, cis genes near the genotypes and the rest away', () => {
    const ids = data.genes.map((g) => g.id);
    expect(ids[0]).toBe('SYN00001');
    expect(new Set(ids).size).toBe(ids.length);
    expect(data.genes.every((g) => g.start >= 1 && g.end >= g.start)).toBe(true);
    const variants = data.genotypes!.variants;
    const near = (g: { chrom: string; start: number; end: number }): boolean =>
      variants.some((v) => v.chrom === g.chrom && v.pos >= g.start - 1_000_000 && v.pos <= g.end + 1_000_000);
    data.truth.forEach((t, i) => {
      const gene = data.genes[i]!;
      expect(near(gene)).toBe(t.cis);
      if (t.eqtlVariant) {
        const [chrom, pos] = t.eqtlVariant.split(':');
        expect(chrom).toBe(gene.chrom);
        expect(Math.abs(Number(pos) - gene.start)).toBeLessThanOrEqual(1_000_000);
      }
    });
    expect(data.truth.filter((t) => t.cis).length).toBe(PRESETS.small.cisGenes);
    expect(new Set(data.genes.map((g) => g.chrom)).size).toBeGreaterThan(15);
  });

  it('writes a phenotype table the node ingest reads: group, real sex and super_pop, age, batch', async () => {
    const text = phenotypeTsv(data);
    const t = await parsePhenotypeTable(text.split('\n'), { label: 'phenotypes.tsv' });
    expect(t.idColumn).toBe('sample');
    expect(t.columns).toEqual([
      { name: 'group', type: 'categorical' },
      { name: 'sex', type: 'categorical' },
      { name: 'pop', type: 'categorical' },
      { name: 'super_pop', type: 'categorical' },
      { name: 'age', type: 'integer' },
      { name: 'batch', type: 'categorical' },
    ]);
    expect(identifierColumns(t)).toEqual([]);
    const panel = new Map(readPanel().map((r) => [r.sample, r]));
    expect(data.phenotypes.every((p) => p.sex === panel.get(p.sample)!.sex && p.superPop === panel.get(p.sample)!.superPop)).toBe(true);
    expect(new Set(data.phenotypes.map((p) => p.superPop)).size).toBe(5);
  });

  it('splits the samples over sites: disjoint, covering, and every site file is the pooled data restricted to its samples', async () => {
    for (const mode of ['round-robin', 'blocks', 'random'] as const) {
      const a = assignSites(data.samples, 3, mode, 11);
      expect([...a.keys()].sort()).toEqual([...data.samples].sort());
      const sizes = [0, 1, 2].map((s) => [...a.values()].filter((x) => x === s).length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    const folders = writeSiteFiles(join(dir, 'sites'), data, assignSites(data.samples, 3), { vcf: DEFAULT_VCF });
    expect(folders.map((f) => f.split('/').pop())).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    const pooled = matrixTsv(data).toString('latin1').trimEnd().split('\n').map((l) => l.split('\t'));
    const seen: string[] = [];
    for (const folder of folders) {
      const rows = readFileSync(join(folder, 'expression.tsv'), 'latin1').trimEnd().split('\n').map((l) => l.split('\t'));
      const cols = rows[0]!.slice(1);
      seen.push(...cols);
      const at = cols.map((s) => pooled[0]!.indexOf(s));
      rows.forEach((r, i) => expect(r).toEqual([pooled[i]![0], ...at.map((c) => pooled[i]![c])]));
      const pheno = readFileSync(join(folder, 'phenotypes.tsv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split('\t')[0]);
      expect(pheno).toEqual(cols);
      const vcf = gunzipSync(readFileSync(join(folder, 'genotypes.vcf.gz'))).toString('latin1').split('\n');
      const header = vcf.find((l) => l.startsWith('#CHROM'))!.split('\t');
      expect(header.slice(9)).toEqual(cols);
      const id = data.truth.find((t) => t.eqtlVariant)!.eqtlVariant;
      expect(dosagesFromVcf(join(folder, 'genotypes.vcf.gz'), id, cols)).toEqual(dosagesFromVcf(DEFAULT_VCF, id, cols));
    }
    expect(seen.sort()).toEqual([...data.samples].sort());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('has a log-value mode: microarray-like log2 intensities with the same planted truth', () => {
    const log = presetExpression('small', { values: 'log', genes: 500, samples: 60 });
    expect(log.matrix).toBeInstanceOf(Float64Array);
    expect(Math.min(...log.matrix)).toBeGreaterThan(0);
    expect(Math.max(...log.matrix)).toBeLessThan(20);
    const lines = matrixTsv(log).toString('latin1').trimEnd().split('\n').slice(1);
    expect(lines.every((l) => l.split('\t').slice(1).every((v) => /^[0-9]+\.[0-9]{4}$/.test(v)))).toBe(true);
    expect(Number(lines[0]!.split('\t')[1])).toBe(log.matrix[0]);
    const n = log.samples.length;
    const b = log.phenotypes.map((p) => p.group === 'B');
    const de = log.truth.flatMap((t, g) => (Math.abs(t.deLog2fc) >= 1 ? [g] : []));
    expect(de.length).toBeGreaterThan(10);
    for (const g of de) {
      let d = 0;
      for (let j = 0; j < n; j++) d += (b[j] ? 1 : -1) * log.matrix[g * n + j]!;
      expect(Math.sign(d)).toBe(Math.sign(log.truth[g]!.deLog2fc));
    }
  });

  it('draws negative binomial counts with mean mu and variance mu + phi mu^2', () => {
    const d = new Draws(5);
    for (const [mu, phi] of [[3, 0.5], [50, 0.2], [2000, 0.05], [0.5, 3]] as const) {
      const k = 100_000;
      let s = 0;
      let s2 = 0;
      let bad = 0;
      for (let i = 0; i < k; i++) {
        const x = d.negativeBinomial(mu, phi);
        if (!Number.isInteger(x) || x < 0) bad += 1;
        s += x;
        s2 += x * x;
      }
      expect(bad).toBe(0);
      const mean = s / k;
      const variance = s2 / k - mean * mean;
      expect(Math.abs(mean / mu - 1)).toBeLessThan(0.03);
      expect(Math.abs(variance / (mu + phi * mu * mu) - 1)).toBeLessThan(0.1);
    }
  });
});
