/**
 * The store's catalog: the small tables every query consults (contigs, which
 * store sample each file column is, phenotype columns, the consortium
 * schema, the sample count, the expression matrix's samples and library
 * sizes), read once after open and after each ingest
 * into an immutable snapshot. Query families take a snapshot; a write
 * through the Store replaces it, never edits it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { NodeError } from '../errors.js';
import type { PhenotypeColumn, PhenotypeType } from '../../proto/cohort/index.js';
import { findSchemaColumn, parsePhenotypeSchema, schemaFingerprint, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { normalizeContig } from '../../proto/variant.js';
import { buildOfName } from './assembly.js';
import { META_EXPRESSION_VALUES, META_SCHEMA, META_SCHEMA_SHA256 } from './schema.js';

export interface Contig {
  readonly id: number;
  /** As first written in a VCF. */
  readonly name: string;
  /** proto/variant.ts normalizeContig(name): the alias-free comparison key. */
  readonly norm: string;
}

export interface StoreSummary {
  samples: number;
  variants: number;
  contigs: string[];
  assembly: string | null;
  phenotypes: { name: string; type: PhenotypeType }[];
  /** Fingerprint of the consortium phenotype schema (null: phenotypes ingested without one). */
  phenotypeSchema: string | null;
}

/** The expression matrix's small part (expression.ts loads the values when a query needs them). */
export interface ExpressionCatalog {
  readonly values: 'counts' | 'log';
  /** Store sample indices of the matrix's samples, ascending: the order of every gene's values. */
  readonly samples: Uint32Array;
  /** Counts: each sample's library size (column sum over every gene), in `samples` order; log: null. */
  readonly libSizes: Float64Array | null;
  readonly genes: number;
}

export interface Catalog {
  readonly contigs: readonly Contig[];
  /** Per file: column -> store sample index (sites-only files map to an empty array). */
  readonly fileSamples: ReadonlyMap<number, Int32Array>;
  /** Query columns; under a consortium schema with their allowed values / bin edges. */
  readonly phenotypeColumns: readonly PhenotypeColumn[];
  /** The consortium schema stored at ingest (meta `phenotype_schema`) and its fingerprint. */
  readonly schema: PhenotypeSchema | null;
  readonly schemaSha256: string | null;
  /** Genotyped samples (distinct store samples of the VCF files); expression-only samples are not counted. */
  readonly sampleCount: number;
  /** The expression matrix, or null (none ingested, or a store from before expression tables opened read-only). */
  readonly expression: ExpressionCatalog | null;
  /** One file whose records came in store order: scans need no ORDER BY (DuckDB keeps insertion order). */
  readonly inOrder: boolean;
  /** Bytes of every record's genotype BLOBs (the record cache's size test). */
  readonly genotypeBytes: number;
  /** The rs-id table exists (a store created before it, opened read-only, lacks it). */
  readonly hasVariantIds: boolean;
}

async function rows(c: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await c.runAndReadAll(sql)).getRows() as unknown[][];
}

/** Read the catalog tables into a snapshot. */
export async function loadCatalog(c: DuckDBConnection): Promise<Catalog> {
  const contigs = (await rows(c, 'SELECT contig_id, name, norm FROM contigs ORDER BY contig_id'))
    .map((r) => ({ id: Number(r[0]), name: String(r[1]), norm: String(r[2]) }));
  const byFile = new Map<number, number[]>();
  // Sites-only files (0 samples) still have records: AN 0, AC 0.
  const files = await rows(c, 'SELECT file_id, sorted FROM files');
  for (const r of files) byFile.set(Number(r[0]), []);
  for (const r of await rows(c, 'SELECT file_id, col, sample_idx FROM file_samples ORDER BY file_id, col')) {
    const f = Number(r[0]);
    let a = byFile.get(f);
    if (!a) byFile.set(f, (a = []));
    a[Number(r[1])] = Number(r[2]);
  }
  const meta = new Map((await rows(c, `SELECT key, value FROM meta WHERE key IN ('${META_SCHEMA}', '${META_SCHEMA_SHA256}')`)).map((r) => [String(r[0]), String(r[1])]));
  const schemaJson = meta.get(META_SCHEMA);
  const schema = schemaJson === undefined ? null : parsePhenotypeSchema(JSON.parse(schemaJson), 'stored phenotype schema');
  const schemaSha256 = schema ? schemaFingerprint(schema) : null;
  if (schemaSha256 !== (meta.get(META_SCHEMA_SHA256) ?? null)) throw new NodeError('GENOFED_STORE_IO', 'the stored phenotype schema does not match its stored fingerprint');
  const phenotypeColumns = (await rows(c, 'SELECT name, type FROM phenotype_columns ORDER BY position')).map((r): PhenotypeColumn => {
    const col: PhenotypeColumn = { name: String(r[0]), type: String(r[1]) as PhenotypeType };
    // Under a consortium schema every cohort check sees its allowed values and bin edges.
    const s = schema ? findSchemaColumn(schema, col.name) : undefined;
    if (!s) return col;
    return s.type === 'categorical' ? { ...col, values: s.values } : { ...col, bins: s.bins };
  });
  const sampleCount = Number((await rows(c, 'SELECT count(DISTINCT sample_idx) FROM file_samples'))[0]![0]);
  const genotypeBytes = Number((await rows(c, 'SELECT coalesce(sum(octet_length(samples) + octet_length(gt)), 0) FROM records'))[0]![0]);
  const hasVariantIds = Number((await rows(c, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'variant_ids'`))[0]![0]) > 0;
  return {
    contigs,
    fileSamples: new Map([...byFile].map(([f, a]) => [f, Int32Array.from(a)])),
    phenotypeColumns,
    schema,
    schemaSha256,
    sampleCount,
    expression: await loadExpressionCatalog(c),
    inOrder: files.length === 1 && files[0]![1] === true,
    genotypeBytes,
    hasVariantIds,
  };
}

async function loadExpressionCatalog(c: DuckDBConnection): Promise<ExpressionCatalog | null> {
  const values = (await rows(c, `SELECT value FROM meta WHERE key = '${META_EXPRESSION_VALUES}'`))[0]?.[0];
  if (values === undefined) return null;
  if (values !== 'counts' && values !== 'log') throw new NodeError('GENOFED_STORE_IO', 'the stored expression matrix has an unknown values mode');
  const samples = await rows(c, 'SELECT sample_idx, lib_size FROM expression_samples ORDER BY sample_idx');
  const genes = Number((await rows(c, 'SELECT count(*) FROM expression_genes'))[0]![0]);
  return {
    values,
    samples: Uint32Array.from(samples, (r) => Number(r[0])),
    libSizes: values === 'counts' ? Float64Array.from(samples, (r) => Number(r[1])) : null,
    genes,
  };
}

/** Store contig ids of a contig name, with the chr/MT alias rule (proto/variant.ts). */
export function contigIdsFor(catalog: Catalog, chrom: string): number[] {
  const norm = normalizeContig(chrom);
  return catalog.contigs.filter((c) => c.norm === norm).map((c) => c.id);
}

/** The contig's name as the VCFs wrote it. */
export function contigName(catalog: Catalog, id: number): string {
  return catalog.contigs[id]?.name ?? String(id);
}

/** The summary() figures that need the database (distinct keys, assembly); the rest is the snapshot. */
export async function summarize(c: DuckDBConnection, catalog: Catalog): Promise<StoreSummary> {
  // Distinct keys: one per (contig, pos, ref, alt) over all files (a scan of every record).
  const variants = Number((await rows(c,
    `SELECT count(*) FROM (SELECT DISTINCT contig_id, pos, ref, unnest(string_split(alts, ',')) AS alt FROM records WHERE n_alts > 0)`,
  ))[0]![0]);
  const d = await describe(c, catalog);
  return {
    samples: d.samples,
    variants,
    contigs: d.contigs,
    assembly: d.assembly,
    phenotypes: catalog.phenotypeColumns.map((p) => ({ name: p.name, type: p.type })),
    phenotypeSchema: catalog.schemaSha256,
  };
}

/** The summary without counting records: samples and contigs of the snapshot, the assembly from `meta`. */
export async function describe(c: DuckDBConnection, catalog: Catalog): Promise<{ samples: number; contigs: string[]; assembly: string | null }> {
  const assemblyRow = (await rows(c, `SELECT value FROM meta WHERE key = 'assembly'`))[0];
  return {
    samples: catalog.sampleCount,
    contigs: catalog.contigs.map((x) => x.name),
    // A store ingested before builds were recorded may hold a reference name (hs37d5): report its build.
    assembly: assemblyRow ? buildOfName(String(assemblyRow[0])) ?? String(assemblyRow[0]) : null,
  };
}
