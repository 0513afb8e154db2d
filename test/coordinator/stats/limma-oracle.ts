/**
 * Helpers for the limma comparisons (not a test): R run on several input
 * files, the pasilla count matrix, the exact network sums a federation
 * would produce (quantized as proto/expression.ts, summed in BigInt), and a
 * seeded synthetic expression matrix.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dequantize, EXPR_FRACTION_BITS, logCpm, quantize } from '../../../proto/expression.js';
import { prng } from '../../bench/synthetic-vcf.js';
import { parseR } from './r-oracle.js';

/** One integer step of a sum of products of two quantized values. */
export const SUM_UNIT = 2 ** (-2 * EXPR_FRACTION_BITS);

/** Runs `script` with each text of `files` written to a temporary file, their paths as the arguments; stdout as tab-separated rows. */
export function runRFiles(script: string, files: readonly string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'genofed-limma-'));
  try {
    writeFileSync(join(dir, 'oracle.R'), script);
    const paths = files.map((text, i) => {
      const p = join(dir, `input${i}.tsv`);
      writeFileSync(p, text);
      return p;
    });
    const out = execFileSync('Rscript', ['--vanilla', join(dir, 'oracle.R'), ...paths], { encoding: 'utf8', maxBuffer: 1 << 29, stdio: ['ignore', 'pipe', 'pipe'] });
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.split('\t'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Numeric fields of an R row (NA -> NaN). */
export function numbers(fields: readonly string[]): number[] {
  return fields.map((f) => parseR(f.trim()) ?? Number.NaN);
}

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/expression');
export const PASILLA_COUNTS = join(FIXTURES, 'pasilla_gene_counts.tsv');
export const PASILLA_ANNOTATION = join(FIXTURES, 'pasilla_sample_annotation.csv');

export interface Pasilla {
  genes: string[];
  samples: string[];
  /** genes x samples, gene-major. */
  counts: Float64Array;
  treated: number[];
  singleRead: number[];
}

/** The pasilla counts, with condition from the column name and library type from the annotation ('treated1fb' is column 'treated1'). */
export function loadPasilla(): Pasilla {
  const lines = readFileSync(PASILLA_COUNTS, 'utf8').split('\n').filter((l) => l !== '');
  const samples = lines[0]!.split('\t').slice(1);
  const genes: string[] = [];
  const counts = new Float64Array((lines.length - 1) * samples.length);
  lines.slice(1).forEach((l, g) => {
    const f = l.split('\t');
    genes.push(f[0]!);
    for (let s = 0; s < samples.length; s++) counts[g * samples.length + s] = Number(f[s + 1]);
  });
  const ann = readFileSync(PASILLA_ANNOTATION, 'utf8').split('\n').filter((l) => l !== '').slice(1).map((l) => l.split(',').map((x) => x.replace(/"/g, '')));
  const typeOf = new Map(ann.map((r) => [r[0]!.replace(/fb$/, ''), r[2]!]));
  const singleRead = samples.map((s) => {
    const t = typeOf.get(s);
    if (t === undefined) throw new Error('pasilla: a column has no annotation');
    return t === 'single-read' ? 1 : 0;
  });
  const treated = samples.map((s) => (s.startsWith('treated') ? 1 : 0));
  return { genes, samples, counts, treated, singleRead };
}

/** log-CPM of every count (edgeR cpm(log = TRUE, prior.count = 2) through proto/expression.ts's logCpm), genes x samples. */
export function pasillaLogCpm(d: Pasilla): Float64Array {
  const ns = d.samples.length;
  const lib = d.samples.map((_, s) => {
    let t = 0;
    for (let g = 0; g < d.genes.length; g++) t += d.counts[g * ns + s]!;
    return t;
  });
  const meanLib = lib.reduce((a, b) => a + b, 0) / ns;
  return d.counts.map((c, i) => logCpm(c, lib[i % ns]!, meanLib));
}

/** Exact network sums of a design (samples x p, row-major) and values (genes x samples): quantized, multiplied and summed in BigInt. */
export function exactSums(design: readonly number[][], values: Float64Array, genes: number): { n: number; xtx: bigint[]; xty: bigint[]; yty: bigint[] } {
  const n = design.length;
  const p = design[0]!.length;
  const xq = design.map((row) => row.map((v) => BigInt(quantize(v))));
  const xtx: bigint[] = new Array<bigint>(p * p).fill(0n);
  for (const row of xq) for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) xtx[j * p + k] = xtx[j * p + k]! + row[j]! * row[k]!;
  const xty: bigint[] = new Array<bigint>(genes * p).fill(0n);
  const yty: bigint[] = new Array<bigint>(genes).fill(0n);
  for (let g = 0; g < genes; g++) {
    for (let s = 0; s < n; s++) {
      const y = BigInt(quantize(values[g * n + s]!));
      yty[g] = yty[g]! + y * y;
      for (let j = 0; j < p; j++) if (xq[s]![j] !== 0n) xty[g * p + j] = xty[g * p + j]! + xq[s]![j]! * y;
    }
  }
  return { n, xtx, xty, yty };
}

/** The values the sums stand for (what R is given). */
export function quantized(values: Float64Array): Float64Array {
  return values.map((v) => dequantize(quantize(v)));
}

/** TSV of a genes x samples matrix, values printed so that R reads the same doubles. */
export function matrixTsv(values: Float64Array, samples: number): string {
  const rows: string[] = [];
  for (let g = 0; g < values.length / samples; g++) rows.push(Array.from(values.subarray(g * samples, (g + 1) * samples), String).join('\t'));
  return rows.join('\n') + '\n';
}

export interface Synthetic {
  n: number;
  genes: number;
  group: number[];
  age: number[];
  batch: number[];
  /** genes x samples, already on the quantization grid. */
  values: Float64Array;
  /** Rows that are constant, and rows whose spread is ~1e-6 around a mean of ~20. */
  constantRows: number[];
  tinyRows: number[];
}

/** A seeded log-expression matrix: variance falling with the mean (so the trend matters), group effects in 10% of genes, age and a 3-level batch. */
export function synthetic(genes = 3000, n = 60, seed = 20_250_707): Synthetic {
  const rnd = prng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const group = Array.from({ length: n }, (_, s) => (s % 2 === 0 ? 1 : 0));
  const age = Array.from({ length: n }, () => dequantize(quantize(20 + 60 * rnd())));
  const batch = Array.from({ length: n }, (_, s) => Math.floor(s / 3) % 3);
  const values = new Float64Array(genes * n);
  const constantRows: number[] = [];
  const tinyRows: number[] = [];
  for (let g = 0; g < genes; g++) {
    const row = values.subarray(g * n, (g + 1) * n);
    if (g % 200 === 7) {
      constantRows.push(g);
      row.fill(1 + 12 * rnd());
      continue;
    }
    if (g % 200 === 13) {
      tinyRows.push(g);
      const mean = 19 + rnd();
      for (let s = 0; s < n; s++) row[s] = mean + 1e-6 * normal() + (group[s]! ? 3e-6 : 0);
      continue;
    }
    const mean = 14 * rnd();
    let chi = 0;
    for (let k = 0; k < 8; k++) chi += normal() ** 2;
    const sd = (0.15 + 1.2 * Math.exp(-mean / 2.5)) * Math.sqrt(8 / chi);
    const effect = rnd() < 0.1 ? (rnd() < 0.5 ? -1 : 1) * (0.5 + 2.5 * rnd()) : 0;
    const ageEffect = 0.01 * normal();
    const batchEffect = [0, 0.3 * normal(), 0.3 * normal()];
    for (let s = 0; s < n; s++) row[s] = mean + effect * group[s]! + ageEffect * (age[s]! - 50) + batchEffect[batch[s]!]! + sd * normal();
  }
  return { n, genes, group, age, batch, values: quantized(values), constantRows, tinyRows };
}
