/**
 * The expression query family (issue 12), node side: which expression
 * samples a cohort selects, their library sizes, and the exact sums of the
 * expression kinds (X'X, X'y, y'y over quantized values: proto/expression.ts
 * is the fixed-point contract; expression-sums.ts computes them exactly),
 * and one gene's quantized values per sample (eQTL). No gRPC types; sample
 * indices never leave the node.
 *
 * y is log-CPM for a counts matrix (`logCpm(count, libSize, meanLibSize)`:
 * edgeR's cpm(log = TRUE, prior.count = 2) with the prior scaled by the
 * network's mean library size, so every site computes what the pooled
 * matrix would give) and the stored value for a log matrix.
 */
import { NodeError } from '../errors.js';
import type { CohortAst } from '../../proto/cohort/index.js';
import { logCpm, quantize } from '../../proto/expression.js';
import type { Catalog, ExpressionCatalog } from './catalog.js';
import { DesignSums } from './expression-sums.js';
import { CACHE_BYTES, type QueryContext } from './record-scan.js';
import { cohortMembers } from './cohorts.js';

export interface ExpressionInfo {
  readonly values: 'counts' | 'log';
  readonly genes: number;
  readonly samples: number;
}

export interface ExpressionSumsQuery {
  /** Sorted, distinct store sample indices, each a sample of the matrix (expressionMembers). */
  readonly samples: Uint32Array;
  /** samples x p design matrix, row-major, real values (quantized here). */
  readonly design: Float64Array;
  /** Design columns; needed only when there are no samples (otherwise design.length / samples.length). */
  readonly p?: number;
  /** Genes to sum, in this order (each once; ids the store lacks are left out). Default: every gene, sorted. */
  readonly genes?: readonly string[];
  /** Counts: the network mean library size of the analysed samples (default: the mean over `samples`). Ignored for log values. */
  readonly meanLibSize?: number;
  /** y is clipped to [-clip, clip] before it is quantized (the expression kinds under DP: proto/expression-dp.ts); 0 or absent: no clip. */
  readonly clip?: number;
}

export interface ExpressionSums {
  /** The genes summed: every stored gene in JavaScript string order (`<`), or the requested ones the store holds, in request order. */
  readonly genes: string[];
  readonly n: number;
  readonly p: number;
  /** X'X, p x p row-major, at scale 2^48. */
  readonly xtx: bigint[];
  /** X'y per gene, genes x p (gene-major), at scale 2^48. */
  readonly xty: bigint[];
  /** y'y per gene, at scale 2^48. */
  readonly yty: bigint[];
  /** The mean library size log-CPM was computed with (null: log values). */
  readonly meanLibSize: number | null;
}

/** Genes' values in memory: names sorted, values row-major (genes x the matrix's samples). */
interface LoadedGenes {
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly values: Float64Array;
}

/** Whole matrices kept per catalog snapshot (an ingest replaces the snapshot, so none goes stale). */
const kept = new WeakMap<Catalog, Promise<LoadedGenes>>();
/** Largest list of genes asked in one SQL `IN (...)` batch. */
const GENE_BATCH = 1000;

/** Little-endian doubles can be viewed in place; a big-endian host reads them through a DataView. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

function matrixOf(catalog: Catalog): ExpressionCatalog {
  if (!catalog.expression) throw new NodeError('GENOFED_EXPRESSION_UNAVAILABLE', 'the store holds no expression matrix (genofed node ingest --expression)');
  return catalog.expression;
}

export function expressionInfo(catalog: Catalog): ExpressionInfo | null {
  const e = catalog.expression;
  return e ? { values: e.values, genes: e.genes, samples: e.samples.length } : null;
}

/**
 * Sorted store sample indices of the matrix's samples matching the cohort
 * ('' or undefined: all of them); genotypes not required. With `by`, one
 * set per stratum (labels as cohortMembers gives them: the values joined
 * by ',', proto strataCells' labels under a consortium schema).
 */
export async function expressionMembers(ctx: QueryContext, cohort: string | CohortAst | undefined, by?: string | readonly string[]): Promise<Uint32Array | Map<string, Uint32Array>> {
  matrixOf(ctx.catalog);
  return cohortMembers(ctx, cohort, by, 'expression');
}

/** Position of each requested sample among the matrix's samples (both ascending). */
function positions(e: ExpressionCatalog, samples: Uint32Array): Int32Array {
  const out = new Int32Array(samples.length);
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (i > 0 && s <= samples[i - 1]!) throw new NodeError('GENOFED_QUERY_MALFORMED', 'expression samples must be sorted store sample indices, each once');
    while (j < e.samples.length && e.samples[j]! < s) j++;
    if (j === e.samples.length || e.samples[j] !== s) throw new NodeError('GENOFED_EXPRESSION_UNAVAILABLE', 'a sample given to an expression query has no expression values');
    out[i] = j;
  }
  return out;
}

/** Library sizes (counts: column sums over every gene, computed at ingest) of sorted store samples, and their sum. */
export function libSizes(catalog: Catalog, samples: Uint32Array): { libSizes: Float64Array; sum: number } {
  const e = matrixOf(catalog);
  if (!e.libSizes) throw new NodeError('GENOFED_EXPRESSION_UNAVAILABLE', 'the expression matrix holds log values, which have no library sizes');
  const pos = positions(e, samples);
  const out = new Float64Array(pos.length);
  let sum = 0;
  for (let i = 0; i < pos.length; i++) sum += out[i] = e.libSizes[pos[i]!]!;
  return { libSizes: out, sum };
}

/** Copy a BLOB of little-endian doubles into values[offset..). */
function readDoubles(bytes: Uint8Array, values: Float64Array, offset: number, count: number): void {
  if (bytes.length !== count * 8) throw new NodeError('GENOFED_STORE_IO', 'a stored expression row has the wrong length');
  if (LITTLE_ENDIAN) {
    new Uint8Array(values.buffer, values.byteOffset + offset * 8, count * 8).set(bytes);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let k = 0; k < count; k++) values[offset + k] = view.getFloat64(k * 8, true);
}

/**
 * Read gene rows: the whole matrix (`where` empty: each row placed at its
 * gene_idx, so no ORDER BY and its sort), or the rows `where` selects, in
 * gene_idx order.
 */
async function readGenes(ctx: QueryContext, e: ExpressionCatalog, where: string, params: string[], expected: number): Promise<LoadedGenes> {
  const width = e.samples.length;
  const whole = where === '';
  const names: string[] = whole ? new Array<string>(expected) : [];
  const values = new Float64Array(expected * width);
  let count = 0;
  const result = await ctx.connection.stream(`SELECT gene_idx, gene, vals FROM expression_genes${where}${whole ? '' : ' ORDER BY gene_idx'}`, params);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const ix = chunk.getColumnVector(0);
    const g = chunk.getColumnVector(1);
    const v = chunk.getColumnVector(2);
    for (let j = 0; j < chunk.rowCount; j++) {
      const at = whole ? (ix.getItem(j) as number) : count;
      if (count === expected || !(at >= 0 && at < expected) || (whole && names[at] !== undefined)) throw new NodeError('GENOFED_STORE_IO', 'the stored expression matrix does not match its catalog');
      readDoubles((v.getItem(j) as { bytes: Uint8Array }).bytes, values, at * width, width);
      names[at] = g.getItem(j) as string;
      count++;
    }
  }
  if (whole && count !== expected) throw new NodeError('GENOFED_STORE_IO', 'the stored expression matrix does not match its catalog');
  return { names, index: new Map(names.map((name, i) => [name, i])), values: count === expected ? values : values.subarray(0, count * width) };
}

/**
 * The genes a query needs: the whole matrix, kept per catalog snapshot
 * when it fits CACHE_BYTES; a larger one is read per query (only the
 * requested genes when a list is given).
 */
async function loadGenes(ctx: QueryContext, wanted: readonly string[] | undefined): Promise<LoadedGenes> {
  const e = matrixOf(ctx.catalog);
  const hit = kept.get(ctx.catalog);
  if (hit) return hit;
  const bytes = e.genes * e.samples.length * 8;
  if (bytes <= CACHE_BYTES) {
    const p = readGenes(ctx, e, '', [], e.genes);
    kept.set(ctx.catalog, p);
    p.catch(() => { if (kept.get(ctx.catalog) === p) kept.delete(ctx.catalog); });
    return p;
  }
  if (!wanted) return readGenes(ctx, e, '', [], e.genes);
  const distinct = [...new Set(wanted)];
  const parts: LoadedGenes[] = [];
  for (let i = 0; i < distinct.length; i += GENE_BATCH) {
    const part = distinct.slice(i, i + GENE_BATCH);
    parts.push(await readGenes(ctx, e, ` WHERE gene IN (${part.map(() => '?').join(',')})`, part, part.length));
  }
  const names = parts.flatMap((x) => [...x.names]);
  const values = new Float64Array(names.length * e.samples.length);
  let at = 0;
  for (const x of parts) { values.set(x.values, at); at += x.values.length; }
  return { names, index: new Map(names.map((name, i) => [name, i])), values };
}

/** Every gene id of the matrix, in JavaScript string order. */
export async function expressionGenes(ctx: QueryContext): Promise<string[]> {
  matrixOf(ctx.catalog);
  const hit = kept.get(ctx.catalog);
  if (hit) return [...(await hit).names];
  return (await ctx.connection.runAndReadAll('SELECT gene FROM expression_genes ORDER BY gene_idx')).getRows().map((r) => String(r[0]));
}

function quantizeOrRefuse(x: number, what: string): number {
  try {
    return quantize(x);
  } catch (cause) {
    throw new NodeError('GENOFED_QUERY_MALFORMED', `${what} is not finite or outside the fixed-point range (|x| < 2^29)`, { cause });
  }
}

/**
 * Counts below this take their quantized log-CPM from a table built per
 * query (SMALL_COUNTS x samples calls of logCpm) instead of one logCpm per
 * cell: Math.log2 was two thirds of a warm 20,000 x 300 query, and most
 * counts of an RNA-seq matrix are zero or small. The table holds logCpm's
 * own results, so the values are the same bits.
 */
const SMALL_COUNTS = 256;

/** The quantizer of y: clipped to [-clip, clip] first when clip > 0. */
function yQuantizer(clip: number | undefined): (x: number) => number {
  if (clip === undefined || clip === 0) return quantize;
  if (!(clip > 0) || !Number.isFinite(clip)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'the clip must be a positive finite number');
  return (x) => quantize(x > clip ? clip : x < -clip ? -clip : x);
}

/** How y is made from a stored value for the selected samples: log-CPM (counts) or the value itself (log), clipped when asked. */
function yMaker(e: ExpressionCatalog, pos: Int32Array, meanLibSize: number | undefined, clip?: number): { make: (row: Float64Array, out: Float64Array) => void; mean: number | null } {
  const n = pos.length;
  const q = yQuantizer(clip);
  if (!e.libSizes) {
    return { mean: null, make: (row, out) => { for (let i = 0; i < n; i++) out[i] = q(row[pos[i]!]!); } };
  }
  const lib = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += lib[i] = e.libSizes[pos[i]!]!;
  const mean = meanLibSize ?? (n > 0 ? sum / n : 1);
  if (!(Number.isFinite(mean) && mean > 0)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'the mean library size must be a positive finite number');
  const table = new Float64Array(n * SMALL_COUNTS);
  for (let i = 0; i < n; i++) for (let c = 0; c < SMALL_COUNTS; c++) table[i * SMALL_COUNTS + c] = q(logCpm(c, lib[i]!, mean));
  return {
    mean,
    make: (row, out) => {
      for (let i = 0; i < n; i++) {
        const c = row[pos[i]!]!;
        // (c | 0) === c: a small non-negative integer (counts are >= 0); expected counts such as 2.5 are computed.
        out[i] = c < SMALL_COUNTS && (c | 0) === c ? table[i * SMALL_COUNTS + c]! : q(logCpm(c, lib[i]!, mean));
      }
    },
  };
}

/**
 * X'X, X'y and y'y over the given samples, exactly, every value (each y
 * and each design entry) quantized first (proto/expression.ts).
 */
export async function expressionSums(ctx: QueryContext, q: ExpressionSumsQuery): Promise<ExpressionSums> {
  const e = matrixOf(ctx.catalog);
  const n = q.samples.length;
  const p = q.p ?? (n > 0 ? q.design.length / n : Number.NaN);
  if (!Number.isInteger(p) || p < 1 || q.design.length !== n * p) throw new NodeError('GENOFED_QUERY_MALFORMED', 'expression sums: the design must hold samples x p values (p >= 1)');
  const pos = positions(e, q.samples);
  const xq = new Float64Array(n * p);
  for (let i = 0; i < xq.length; i++) xq[i] = quantizeOrRefuse(q.design[i]!, `design entry (row ${Math.floor(i / p) + 1}, column ${(i % p) + 1})`);
  const design = new DesignSums(xq, n, p);
  const loaded = await loadGenes(ctx, q.genes);
  let rows: number[];
  if (q.genes) {
    const seen = new Set<string>();
    rows = [];
    for (const g of q.genes) {
      const r = loaded.index.get(g);
      if (r === undefined || seen.has(g)) continue;
      seen.add(g);
      rows.push(r);
    }
  } else rows = loaded.names.map((_, i) => i);
  const { make, mean } = yMaker(e, pos, q.meanLibSize, q.clip);
  const width = e.samples.length;
  const xty = new Array<bigint>(rows.length * p);
  const yty = new Array<bigint>(rows.length);
  const y = new Float64Array(n);
  const scratch: Float64Array[] = [];
  rows.forEach((r, gi) => {
    make(loaded.values.subarray(r * width, (r + 1) * width), y);
    yty[gi] = design.gene(y, xty, gi * p, scratch);
  });
  return { genes: rows.map((r) => loaded.names[r]!), n, p, xtx: design.xtx, xty, yty, meanLibSize: mean };
}

/** One gene's quantized y per sample (the order of `samples`), or null when the store lacks the gene. */
export async function expressionValues(ctx: QueryContext, gene: string, samples: Uint32Array, options: { meanLibSize?: number; clip?: number } = {}): Promise<Float64Array | null> {
  const e = matrixOf(ctx.catalog);
  const pos = positions(e, samples);
  const loaded = await loadGenes(ctx, [gene]);
  const r = loaded.index.get(gene);
  if (r === undefined) return null;
  const out = new Float64Array(samples.length);
  yMaker(e, pos, options.meanLibSize, options.clip).make(loaded.values.subarray(r * e.samples.length, (r + 1) * e.samples.length), out);
  return out;
}
