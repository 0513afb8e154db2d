/**
 * The synthetic expression data as files: the matrix (TSV, `gene_id` then
 * one column per sample; `.gz` for gzip), the truth table, the gene
 * annotation and the phenotype table (TSV, first column `sample`, as the
 * node's phenotype ingest reads it); and a split of the samples over k
 * sites, each with its own matrix, phenotype table and (optionally) its
 * share of the VCF (BGZF; INFO dropped, it describes all 2,504 samples).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assignSamples } from '../../coordinator/demo/split-samples.js';
import { BGZF_BLOCK_INPUT, BGZF_EOF, bgzfBlock } from '../../node/io/bgzf-writer.js';
import { mulberry32 } from '../../coordinator/demo/demo-arm.js';
import { vcfShares } from '../../coordinator/demo/synthetic-expression-genotypes.js';
import type { SyntheticExpression } from '../../coordinator/demo/synthetic-expression.js';

/** Digits of a non-negative integer below 1e15 written at `at`; returns the next offset. */
function writeInt(buf: Buffer, at: number, v: number): number {
  if (v < 10) {
    buf[at] = 48 + v;
    return at + 1;
  }
  let len = 0;
  for (let x = v; x > 0; x = Math.floor(x / 10)) len++;
  for (let i = len - 1, x = v; i >= 0; i--, x = Math.floor(x / 10)) buf[at + i] = 48 + (x % 10);
  return at + len;
}

/** A value already rounded to 4 decimals, written with exactly 4 (e.g. 7.5 -> 7.5000, -0.0001). */
function writeFixed4(buf: Buffer, at: number, v: number): number {
  let q = Math.round(v * 1e4);
  if (q < 0) {
    buf[at++] = 45;
    q = -q;
  }
  at = writeInt(buf, at, Math.floor(q / 1e4));
  buf[at++] = 46;
  const frac = q % 1e4;
  for (let p = 1000; p >= 1; p /= 10) buf[at++] = 48 + (Math.floor(frac / p) % 10);
  return at;
}

/** The matrix as TSV bytes; `columns` (indices into data.samples) selects and orders the sample columns. */
export function matrixTsv(data: SyntheticExpression, columns: readonly number[] = data.samples.map((_, j) => j)): Buffer {
  const n = data.samples.length;
  const parts: Buffer[] = [Buffer.from(`gene_id\t${columns.map((j) => data.samples[j]).join('\t')}\n`)];
  const perValue = data.values === 'counts' ? 11 : 22;
  for (let g = 0; g < data.genes.length; g++) {
    const buf = Buffer.allocUnsafe(16 + columns.length * perValue);
    let at = buf.write(data.genes[g]!.id, 0, 'latin1');
    const row = g * n;
    for (const j of columns) {
      buf[at++] = 9;
      const v = data.matrix[row + j]!;
      at = data.values === 'counts' ? writeInt(buf, at, v) : writeFixed4(buf, at, v);
    }
    buf[at++] = 10;
    parts.push(buf.subarray(0, at));
  }
  return Buffer.concat(parts);
}

const num = (x: number): string => (x === 0 ? '0' : String(Math.round(x * 1e6) / 1e6));

/** gene, de_log2fc (0 if null), eqtl_variant (CHR:POS:REF:ALT or empty), eqtl_beta, then the covariate effects and whether the gene is cis. */
export function truthTsv(data: SyntheticExpression): string {
  const rows = data.truth.map((t) =>
    [t.gene, num(t.deLog2fc), t.eqtlVariant, num(t.eqtlBeta), num(t.sexLog2fc), num(t.ageLog2fcPerYear), num(t.batchLog2fc), t.cis ? 1 : 0].join('\t'),
  );
  return `gene\tde_log2fc\teqtl_variant\teqtl_beta\tsex_log2fc\tage_log2fc_per_year\tbatch_log2fc\tcis\n${rows.join('\n')}\n`;
}

export function annotationTsv(data: SyntheticExpression): string {
  return `gene\tchrom\tstart\tend\n${data.genes.map((g) => `${g.id}\t${g.chrom}\t${g.start}\t${g.end}`).join('\n')}\n`;
}

/** sample, group, sex, pop, super_pop, age, batch; `columns` as in matrixTsv. */
export function phenotypeTsv(data: SyntheticExpression, columns: readonly number[] = data.samples.map((_, j) => j)): string {
  const rows = columns.map((j) => {
    const p = data.phenotypes[j]!;
    return [p.sample, p.group, p.sex, p.pop || 'NA', p.superPop || 'NA', p.age, p.batch].join('\t');
  });
  return `sample\tgroup\tsex\tpop\tsuper_pop\tage\tbatch\n${rows.join('\n')}\n`;
}

export interface WrittenFiles {
  readonly matrix: string;
  readonly truth: string;
  readonly genes: string;
  readonly phenotypes: string;
}

/** DIR/expression.tsv[.gz], truth.tsv, genes.tsv, phenotypes.tsv. */
export function writeExpressionFiles(dir: string, data: SyntheticExpression, options: { gzip?: boolean } = {}): WrittenFiles {
  mkdirSync(dir, { recursive: true });
  const files = {
    matrix: join(dir, options.gzip ? 'expression.tsv.gz' : 'expression.tsv'),
    truth: join(dir, 'truth.tsv'),
    genes: join(dir, 'genes.tsv'),
    phenotypes: join(dir, 'phenotypes.tsv'),
  };
  const m = matrixTsv(data);
  writeFileSync(files.matrix, options.gzip ? gzipSync(m) : m);
  writeFileSync(files.truth, truthTsv(data));
  writeFileSync(files.genes, annotationTsv(data));
  writeFileSync(files.phenotypes, phenotypeTsv(data));
  return files;
}

export type SplitMode = 'round-robin' | 'blocks' | 'random';

/**
 * Site (0..sites-1) of every sample, disjoint and covering: `round-robin`
 * in sample order (every site gets a similar population mix), `blocks`
 * (contiguous blocks, as the demo splits VCFs: 1000G order gives sites
 * different population mixes), `random` (a seeded shuffle dealt round robin).
 */
export function assignSites(samples: readonly string[], sites: number, mode: SplitMode = 'round-robin', seed = 1): Map<string, number> {
  if (!Number.isInteger(sites) || sites < 1) throw new RangeError('sites must be a positive integer');
  if (mode === 'blocks') return assignSamples(samples, sites);
  const order = [...samples];
  if (mode === 'random') {
    const rand = mulberry32(seed);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  return new Map(order.map((s, i) => [s, i % sites]));
}

/** The demo's site names: hospital-a, hospital-b, ... (hospital-27, ... above 26). */
export function siteName(i: number, sites: number): string {
  return sites <= 26 ? `hospital-${String.fromCharCode(97 + i)}` : `hospital-${i + 1}`;
}

function bgzf(data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let at = 0; at < data.length; at += BGZF_BLOCK_INPUT) blocks.push(bgzfBlock(data.subarray(at, at + BGZF_BLOCK_INPUT)));
  return Buffer.concat([...blocks, BGZF_EOF]);
}

/**
 * Per site DIR/<site>/expression.tsv[.gz] and phenotypes.tsv (the site's
 * samples in pooled order), and with `vcf` genotypes.vcf.gz: the VCF's
 * columns of the site's samples. Returns the site folders.
 */
export function writeSiteFiles(dir: string, data: SyntheticExpression, assignment: ReadonlyMap<string, number>, options: { gzip?: boolean; vcf?: string } = {}): string[] {
  const sites = Math.max(...assignment.values()) + 1;
  const columns: number[][] = Array.from({ length: sites }, () => []);
  data.samples.forEach((s, j) => {
    const site = assignment.get(s);
    if (site === undefined) throw new RangeError('writeSiteFiles: a sample has no site');
    columns[site]!.push(j);
  });
  const folders = columns.map((_, i) => join(dir, siteName(i, sites)));
  folders.forEach((folder, i) => {
    mkdirSync(folder, { recursive: true });
    const m = matrixTsv(data, columns[i]);
    writeFileSync(join(folder, options.gzip ? 'expression.tsv.gz' : 'expression.tsv'), options.gzip ? gzipSync(m) : m);
    writeFileSync(join(folder, 'phenotypes.tsv'), phenotypeTsv(data, columns[i]));
  });
  if (options.vcf) {
    const shares = vcfShares(options.vcf, columns.map((c) => c.map((j) => data.samples[j]!)));
    folders.forEach((folder, i) => writeFileSync(join(folder, 'genotypes.vcf.gz'), bgzf(shares[i]!)));
  }
  return folders;
}
