/**
 * The Store: local aggregate queries over the embedded database (allele
 * counts by cohort and stratum, cohort sizes, variant keys) and the
 * append-only query log. Genotype BLOBs are aggregated in JS in one pass
 * (aggregate.ts); samples, cohorts and strata are selected in SQL.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { NodeError } from '../errors.js';
import { compileCohort, cohortToSql, quoteIdent, type CohortAst, type PhenotypeColumn, type PhenotypeType } from '../../proto/cohort/index.js';
import type { Region } from '../../proto/region.js';
import { normalizeContig, variantMatchKey, type VariantKey } from '../../proto/variant.js';
import { findSchemaColumn, parsePhenotypeSchema, schemaFingerprint, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { countRecord, carrierColumns, decodeTotals, type FileCohort, type StoredRecord } from './aggregate.js';
import { openDatabase } from './database.js';
import { META_SCHEMA, META_SCHEMA_SHA256 } from './schema.js';

export interface StoreSummary {
  samples: number;
  variants: number;
  contigs: string[];
  assembly: string | null;
  phenotypes: { name: string; type: PhenotypeType }[];
  /** Fingerprint of the consortium phenotype schema (null: phenotypes ingested without one). */
  phenotypeSchema: string | null;
}

export interface AlleleCountRow {
  stratum?: string;
  chrom: string;
  pos: number;
  ref: string;
  alt: string;
  ac: number;
  an: number;
  nhomalt: number;
  homRef: number;
  het: number;
  homAlt: number;
  missing: number;
}

export interface AlleleCountQuery {
  region?: Region;
  variants?: VariantKey[];
  cohort?: string | CohortAst;
  /** One or more phenotype columns; a stratum is the values joined by ',' (`EUR,female`), NA when any is missing. */
  by?: string | readonly string[];
}

export interface QueryLogEntry {
  queryId: string;
  kind: string;
  querier: string;
  decision: 'answered' | 'refused';
  reason?: string;
  at: Date;
  details?: object;
}

/** Stratum label of samples with no value in the `by` column. */
export const MISSING_STRATUM = 'NA';

interface Contig { id: number; name: string; norm: string }

/**
 * Whole-store scans of a store whose genotype BLOBs total at most this many
 * bytes are cached in memory after the first one. The cache cannot go stale:
 * while this process holds the DuckDB file no other process can write it,
 * and ingests through this handle refresh the catalog. 256 MiB holds e.g.
 * 2,504 samples x 150k common SNPs (1.25 kB each, dense form). A warm EUR
 * cohort query on IL2RA then skips DuckDB's scan and the BLOB copies.
 */
export const CACHE_BYTES = 256 * 1024 * 1024;

interface CachedRecord { contig: number; pos: number; ref: string; alts: string[]; rec: StoredRecord }

/** What a scan reads: keys only, keys + genotype BLOBs, or keys + the all-sample totals. */
type ScanMode = 'keys' | 'genotypes' | 'totals';

/** Largest variants list asked in one SQL `IN (...)` batch. */
const KEY_BATCH = 1000;

export class Store {
  private contigs: Contig[] = [];
  /** Per file: column -> global sample index. */
  private fileSamples = new Map<number, Int32Array>();
  private phenoColumns: PhenotypeColumn[] = [];
  /** The consortium schema stored at ingest (meta `phenotype_schema`) and its fingerprint. */
  private consortiumSchema: PhenotypeSchema | null = null;
  private schemaSha256: string | null = null;
  private sampleCount = 0;
  /** One file whose records came in store order: scans need no ORDER BY (DuckDB keeps insertion order). */
  private inOrder = false;
  private cacheable = false;
  private cache: CachedRecord[] | null = null;
  private closed = false;
  /**
   * One operation at a time: a DuckDB connection runs one query, and a new
   * query invalidates the previous one's streaming result, so concurrent
   * gRPC requests on one Store are queued here.
   */
  private queue: Promise<unknown> = Promise.resolve();

  /** @internal use openStore(). */
  constructor(
    readonly dir: string,
    readonly readOnly: boolean,
    private readonly instance: DuckDBInstance,
    /** @internal the ingest writes through it. */
    readonly connection: DuckDBConnection,
  ) {}

  /** Reload the small tables (after open and after each ingest). */
  async refreshCatalog(): Promise<void> {
    const c = this.connection;
    const contigs = (await c.runAndReadAll('SELECT contig_id, name, norm FROM contigs ORDER BY contig_id')).getRows();
    this.contigs = contigs.map((r) => ({ id: Number(r[0]), name: String(r[1]), norm: String(r[2]) }));
    const fs = (await c.runAndReadAll('SELECT file_id, col, sample_idx FROM file_samples ORDER BY file_id, col')).getRows();
    const byFile = new Map<number, number[]>();
    // Sites-only files (0 samples) still have records: AN 0, AC 0.
    const files = (await c.runAndReadAll('SELECT file_id, sorted FROM files')).getRows();
    for (const r of files) byFile.set(Number(r[0]), []);
    this.inOrder = files.length === 1 && files[0]![1] === true;
    for (const r of fs) {
      const f = Number(r[0]);
      let a = byFile.get(f);
      if (!a) byFile.set(f, (a = []));
      a[Number(r[1])] = Number(r[2]);
    }
    this.fileSamples = new Map([...byFile].map(([f, a]) => [f, Int32Array.from(a)]));
    const meta = new Map((await c.runAndReadAll(`SELECT key, value FROM meta WHERE key IN ('${META_SCHEMA}', '${META_SCHEMA_SHA256}')`)).getRows().map((r) => [String(r[0]), String(r[1])]));
    const schemaJson = meta.get(META_SCHEMA);
    this.consortiumSchema = schemaJson === undefined ? null : parsePhenotypeSchema(JSON.parse(schemaJson), 'stored phenotype schema');
    this.schemaSha256 = this.consortiumSchema ? schemaFingerprint(this.consortiumSchema) : null;
    if (this.schemaSha256 !== (meta.get(META_SCHEMA_SHA256) ?? null)) throw new NodeError('GENOFED_STORE_IO', 'the stored phenotype schema does not match its stored fingerprint');
    const cols = (await c.runAndReadAll('SELECT name, type FROM phenotype_columns ORDER BY position')).getRows();
    this.phenoColumns = cols.map((r) => {
      const col: PhenotypeColumn = { name: String(r[0]), type: String(r[1]) as PhenotypeType };
      // Under a consortium schema every cohort check sees its allowed values and bin edges.
      const s = this.consortiumSchema ? findSchemaColumn(this.consortiumSchema, col.name) : undefined;
      if (!s) return col;
      return s.type === 'categorical' ? { ...col, values: s.values } : { ...col, bins: s.bins };
    });
    this.sampleCount = Number((await c.runAndReadAll('SELECT count(*) FROM samples')).getRows()[0]![0]);
    const blobBytes = Number((await c.runAndReadAll('SELECT coalesce(sum(octet_length(samples) + octet_length(gt)), 0) FROM records')).getRows()[0]![0]);
    this.cacheable = blobBytes <= CACHE_BYTES;
    this.cache = null;
  }

  /** @internal also used by ingestInto, which writes through this connection. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The queryable phenotype columns; under a consortium schema with their allowed values / bin edges. */
  phenotypeColumns(): readonly PhenotypeColumn[] {
    return this.phenoColumns;
  }

  /** SHA-256 (hex) of the consortium phenotype schema the phenotypes were ingested under; null without one. */
  phenotypeSchemaFingerprint(): string | null {
    return this.schemaSha256;
  }

  /** The consortium phenotype schema stored at ingest (`--schema`), or null. */
  phenotypeSchema(): PhenotypeSchema | null {
    return this.consortiumSchema;
  }

  private check(): void {
    if (this.closed) throw new NodeError('GENOFED_STORE_IO', 'store is closed');
  }

  summary(): Promise<StoreSummary> {
    return this.exclusive(() => this.summaryNow());
  }

  private async summaryNow(): Promise<StoreSummary> {
    this.check();
    const c = this.connection;
    // Distinct keys: one per (contig, pos, ref, alt) over all files.
    const variants = Number((await c.runAndReadAll(
      `SELECT count(*) FROM (SELECT DISTINCT contig_id, pos, ref, unnest(string_split(alts, ',')) AS alt FROM records WHERE n_alts > 0)`,
    )).getRows()[0]![0]);
    const assemblyRow = (await c.runAndReadAll(`SELECT value FROM meta WHERE key = 'assembly'`)).getRows()[0];
    return {
      samples: this.sampleCount,
      variants,
      contigs: this.contigs.map((x) => x.name),
      assembly: assemblyRow ? String(assemblyRow[0]) : null,
      phenotypes: this.phenoColumns.map((p) => ({ name: p.name, type: p.type })),
      phenotypeSchema: this.schemaSha256,
    };
  }

  /**
   * Samples of the cohort (all genotyped samples when none) with their
   * stratum index; strata sorted (numerically for numeric columns).
   */
  private async selectSamples(cohort: string | CohortAst | undefined, by: string | readonly string[] | undefined): Promise<{ stratumOf: Map<number, number>; strata: string[] }> {
    const schema = this.phenoColumns;
    const params: DuckDBValue[] = [];
    let where = '';
    if (cohort !== undefined && !(typeof cohort === 'string' && cohort.trim() === '')) {
      const compiled = cohortToSql(compileCohort(cohort, schema), { columnSql: (n) => `p.${quoteIdent(n)}` });
      where = `WHERE ${compiled.sql}`;
      params.push(...compiled.params);
    }
    const byNames = by === undefined ? [] : typeof by === 'string' ? [by] : [...by];
    const byCols = byNames.map((name) => {
      const col = schema.find((c) => c.name === name) ?? schema.find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (!col) {
        throw new NodeError('GENOFED_USAGE', `--by: unknown phenotype column '${name}'; known columns: ${schema.map((c) => c.name).join(', ') || 'none (no phenotypes loaded)'}`);
      }
      return col;
    });
    const hasPhenotypes = schema.length > 0;
    const join = hasPhenotypes ? 'LEFT JOIN phenotypes p ON p._genofed_sample = s.sample_id' : '';
    const stratumSql = byCols.length ? byCols.map((c) => `p.${quoteIdent(c.name)}`).join(', ') : 'NULL';
    const rows = (await this.connection.runAndReadAll(`SELECT s.sample_idx, ${stratumSql} FROM samples s ${join} ${where}`, params)).getRows();
    const stratumOf = new Map<number, number>();
    if (byCols.length === 0) {
      for (const r of rows) stratumOf.set(Number(r[0]), 0);
      return { stratumOf, strata: [''] };
    }
    const plain = (v: DuckDBValue): number | string | null => (v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as number | string));
    // Sort key per stratum: each column's value (numbers numerically), NA last.
    const values = new Map<string, (number | string)[] | null>();
    const labelOf = (r: DuckDBValue[]): string => {
      const vs = byCols.map((_, i) => plain(r[i + 1]!));
      if (vs.some((v) => v === null)) {
        if (!values.has(MISSING_STRATUM)) values.set(MISSING_STRATUM, null);
        return MISSING_STRATUM;
      }
      const label = vs.join(',');
      if (!values.has(label)) values.set(label, vs as (number | string)[]);
      return label;
    };
    const labels = rows.map(labelOf);
    const strata = [...values.keys()].sort((a, b) => {
      const x = values.get(a)!;
      const y = values.get(b)!;
      if (x === null) return 1;
      if (y === null) return -1;
      for (let i = 0; i < x.length; i++) {
        const p = x[i]!;
        const q = y[i]!;
        if (typeof p === 'number' && typeof q === 'number') { if (p !== q) return p - q; continue; }
        const ps = String(p);
        const qs = String(q);
        if (ps !== qs) return ps < qs ? -1 : 1;
      }
      return 0;
    });
    const index = new Map(strata.map((st, i) => [st, i]));
    rows.forEach((r, i) => stratumOf.set(Number(r[0]), index.get(labels[i]!)!));
    return { stratumOf, strata };
  }

  /** Per file: column -> stratum (-1 outside the cohort), samples per stratum, cohort members. */
  private fileStrata(stratumOf: Map<number, number>, nStrata: number): Map<number, FileCohort> {
    const out = new Map<number, FileCohort>();
    for (const [fileId, cols] of this.fileSamples) {
      const s = new Int32Array(cols.length);
      const inFile = new Int32Array(nStrata);
      const members: number[] = [];
      const memberStratum: number[] = [];
      for (let i = 0; i < cols.length; i++) {
        const st = stratumOf.get(cols[i]!);
        s[i] = st ?? -1;
        if (st !== undefined) {
          inFile[st]!++;
          members.push(i);
          memberStratum.push(st);
        }
      }
      out.set(fileId, { stratumOf: s, inFile, members: Int32Array.from(members), memberStratum: Int32Array.from(memberStratum) });
    }
    return out;
  }

  private contigIdsFor(chrom: string): number[] {
    const norm = normalizeContig(chrom);
    return this.contigs.filter((c) => c.norm === norm).map((c) => c.id);
  }

  /**
   * Stream the records selected by `where` in store order (contig, pos),
   * calling `each` per record.
   */
  private async scanRecords(where: string, params: DuckDBValue[], mode: ScanMode, each: (contig: number, pos: number, ref: string, alts: string[], rec: StoredRecord) => void): Promise<void> {
    if (where === 'TRUE' && mode === 'genotypes' && this.cacheable) {
      if (!this.cache) {
        const all: CachedRecord[] = [];
        await this.scanDatabase(where, params, 'genotypes', (contig, pos, ref, alts, rec) => all.push({ contig, pos, ref, alts, rec }));
        this.cache = all;
      }
      for (const r of this.cache) each(r.contig, r.pos, r.ref, r.alts, r.rec);
      return;
    }
    await this.scanDatabase(where, params, mode, each);
  }

  private async scanDatabase(where: string, params: DuckDBValue[], mode: ScanMode, each: (contig: number, pos: number, ref: string, alts: string[], rec: StoredRecord) => void): Promise<void> {
    const extra = mode === 'genotypes' ? ', listed, gt_format, samples, gt' : mode === 'totals' ? ', totals' : '';
    const result = await this.connection.stream(`SELECT file_id, contig_id, pos, ref, alts, n_alts${extra} FROM records WHERE n_alts > 0 AND (${where})${this.inOrder ? '' : ' ORDER BY contig_id, pos, file_id'}`, params);
    const empty = new Uint8Array(0);
    const width = mode === 'genotypes' ? 10 : mode === 'totals' ? 7 : 6;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const v = Array.from({ length: width }, (_, i) => chunk.getColumnVector(i));
      for (let j = 0; j < chunk.rowCount; j++) {
        const g = mode === 'genotypes';
        const rec: StoredRecord = {
          fileId: v[0]!.getItem(j) as number,
          nAlts: v[5]!.getItem(j) as number,
          listed: g ? (v[6]!.getItem(j) as number) : 0,
          format: g ? (v[7]!.getItem(j) as number) : 0,
          samples: g ? (v[8]!.getItem(j) as { bytes: Uint8Array }).bytes : empty,
          gt: g ? (v[9]!.getItem(j) as { bytes: Uint8Array }).bytes : empty,
          ...(mode === 'totals' ? { totals: (v[6]!.getItem(j) as { bytes: Uint8Array }).bytes } : {}),
        };
        each(v[1]!.getItem(j) as number, v[2]!.getItem(j) as number, v[3]!.getItem(j) as string, (v[4]!.getItem(j) as string).split(','), rec);
      }
    }
  }

  private regionWhere(region: Region): { where: string; params: DuckDBValue[] } {
    const ids = this.contigIdsFor(region.chrom);
    if (ids.length === 0) return { where: 'FALSE', params: [] };
    return { where: `contig_id IN (${ids.join(',')}) AND pos BETWEEN ? AND ?`, params: [region.start, region.end] };
  }

  alleleCounts(q: AlleleCountQuery): Promise<AlleleCountRow[]> {
    return this.exclusive(() => this.alleleCountsNow(q));
  }

  private async alleleCountsNow(q: AlleleCountQuery): Promise<AlleleCountRow[]> {
    this.check();
    if (q.region && q.variants) throw new NodeError('GENOFED_USAGE', 'give either a region or a variants list, not both');
    const noCohort = q.cohort === undefined || (typeof q.cohort === 'string' && q.cohort.trim() === '');
    // Every sample, no strata: the totals computed at ingest answer it without reading genotypes.
    const mode: ScanMode = noCohort && q.by === undefined ? 'totals' : 'genotypes';
    const { stratumOf, strata } = await this.selectSamples(q.cohort, q.by);
    const S = strata.length;
    const files = this.fileStrata(stratumOf, S);
    const withStratum = q.by !== undefined;
    // Rows keyed by variant; each holds S stratum slots.
    type Acc = { chrom: string; pos: number; ref: string; alt: string; c: Int32Array };
    const F = 7; // ac an nhomalt homRef het homAlt missing
    const add = (acc: Acc, counts: ReturnType<typeof countRecord>, a: number): void => {
      const A1 = counts.nAlts + 1;
      for (let s = 0; s < S; s++) {
        const o = s * F;
        const i = s * A1 + a;
        acc.c[o]! += counts.ac[i]!;
        acc.c[o + 1]! += counts.an[s]!;
        acc.c[o + 2]! += counts.nhomalt[i]!;
        acc.c[o + 3]! += counts.homRef[s]!;
        acc.c[o + 4]! += counts.het[i]!;
        acc.c[o + 5]! += counts.homAlt[i]!;
        acc.c[o + 6]! += counts.missing[s]!;
      }
    };
    const ordered: Acc[] = [];
    const wanted = q.variants ? new Map<string, Acc>() : null;
    if (q.variants) {
      for (const k of q.variants) {
        const key = variantMatchKey(k);
        if (!wanted!.has(key)) wanted!.set(key, { chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt, c: new Int32Array(S * F) });
      }
    }
    // Records of one (contig, pos) are grouped so keys present in several files merge.
    let group = new Map<string, Acc>();
    let groupPos = -1;
    let groupContig = -1;
    const flush = (): void => {
      if (group.size === 0) return;
      const accs = [...group.values()].sort((x, y) => (x.ref < y.ref ? -1 : x.ref > y.ref ? 1 : x.alt < y.alt ? -1 : x.alt > y.alt ? 1 : 0));
      ordered.push(...accs);
      group = new Map();
    };
    const onRecord = (contig: number, pos: number, ref: string, alts: string[], rec: StoredRecord): void => {
      const f = files.get(rec.fileId);
      if (!f) return;
      const name = this.contigs[contig]?.name ?? String(contig);
      let counts: ReturnType<typeof countRecord> | null = null;
      for (let a = 1; a <= alts.length; a++) {
        const alt = alts[a - 1]!;
        let acc: Acc | undefined;
        if (wanted) {
          acc = wanted.get(variantMatchKey({ chrom: name, pos, ref, alt }));
          if (!acc) continue;
        } else {
          if (contig !== groupContig || pos !== groupPos) { flush(); groupContig = contig; groupPos = pos; }
          const key = `${ref}\t${alt}`;
          acc = group.get(key);
          if (!acc) group.set(key, (acc = { chrom: name, pos, ref, alt, c: new Int32Array(S * F) }));
        }
        counts ??= rec.totals ? decodeTotals(rec.totals, rec.nAlts) : countRecord(rec, f);
        add(acc, counts, a);
      }
    };
    if (q.variants) {
      await this.scanKeyPositions(q.variants, mode, onRecord);
    } else {
      const { where, params } = q.region ? this.regionWhere(q.region) : { where: 'TRUE', params: [] };
      await this.scanRecords(where, params, mode, onRecord);
      flush();
    }
    const accs = wanted ? q.variants!.map((k) => wanted.get(variantMatchKey(k))!) : ordered;
    const rows: AlleleCountRow[] = [];
    for (let s = 0; s < S; s++) {
      for (const acc of accs) {
        const o = s * F;
        const row: AlleleCountRow = {
          chrom: acc.chrom, pos: acc.pos, ref: acc.ref, alt: acc.alt,
          ac: acc.c[o]!, an: acc.c[o + 1]!, nhomalt: acc.c[o + 2]!,
          homRef: acc.c[o + 3]!, het: acc.c[o + 4]!, homAlt: acc.c[o + 5]!, missing: acc.c[o + 6]!,
        };
        rows.push(withStratum ? { stratum: strata[s]!, ...row } : row);
      }
    }
    return rows;
  }

  cohortCount(cohort: string | CohortAst, options: { carriersOf?: VariantKey[] } = {}): Promise<number> {
    return this.exclusive(() => this.cohortCountNow(cohort, options));
  }

  private async cohortCountNow(cohort: string | CohortAst, options: { carriersOf?: VariantKey[] }): Promise<number> {
    this.check();
    if (!options.carriersOf) return (await this.selectSamples(cohort, undefined)).stratumOf.size;
    return (await this.carrierMembersNow(cohort, options.carriersOf)).length;
  }

  /**
   * Sorted store sample indices of the cohort's members carrying at least
   * one ALT allele of any of `carriersOf` (the population a cohort count
   * with carriers counts; the size round verifies its network size and the
   * differencing guard records it).
   */
  carrierMembers(cohort: string | CohortAst, carriersOf: VariantKey[]): Promise<Uint32Array> {
    return this.exclusive(() => this.carrierMembersNow(cohort, carriersOf));
  }

  private async carrierMembersNow(cohort: string | CohortAst, carriersOf: VariantKey[]): Promise<Uint32Array> {
    this.check();
    const { stratumOf } = await this.selectSamples(cohort, undefined);
    const wanted = new Set(carriersOf.map(variantMatchKey));
    const carriers = new Set<number>();
    await this.scanKeyPositions(carriersOf, 'genotypes', (contig, pos, ref, alts, rec) => {
      const cols = this.fileSamples.get(rec.fileId);
      if (!cols) return;
      const name = this.contigs[contig]?.name ?? '';
      alts.forEach((alt, i) => {
        if (!wanted.has(variantMatchKey({ chrom: name, pos, ref, alt }))) return;
        carrierColumns(rec, i + 1, (col) => {
          const idx = cols[col]!;
          if (stratumOf.has(idx)) carriers.add(idx);
        });
      });
    });
    return Uint32Array.from(carriers).sort();
  }

  /**
   * Scan the records at the positions of `keys` (every contig alias of each
   * key), in batches of KEY_BATCH positions per contig; callers match
   * REF/ALT themselves.
   */
  private async scanKeyPositions(keys: readonly VariantKey[], mode: ScanMode, each: (contig: number, pos: number, ref: string, alts: string[], rec: StoredRecord) => void): Promise<void> {
    const byContig = new Map<number, Set<number>>();
    for (const k of keys) {
      for (const id of this.contigIdsFor(k.chrom)) {
        let s = byContig.get(id);
        if (!s) byContig.set(id, (s = new Set()));
        s.add(k.pos);
      }
    }
    for (const [id, posSet] of byContig) {
      const all = [...posSet];
      for (let i = 0; i < all.length; i += KEY_BATCH) {
        const part = all.slice(i, i + KEY_BATCH);
        await this.scanRecords(`contig_id = ${id} AND pos IN (${part.map(() => '?').join(',')})`, part, mode, each);
      }
    }
  }

  /**
   * Sorted, distinct store sample indices (the samples table's row id:
   * assigned at first ingest, never renumbered or reused) matching the
   * cohort ('' or undefined: every genotyped sample); with `by`, one set per
   * stratum. For the differencing guard (node/privacy); never leaves the node.
   */
  cohortMembers(cohort?: string | CohortAst, options: { by?: string | readonly string[] } = {}): Promise<Uint32Array | Map<string, Uint32Array>> {
    return this.exclusive(async () => {
      this.check();
      const { stratumOf, strata } = await this.selectSamples(cohort, options.by);
      const lists: number[][] = strata.map(() => []);
      for (const [idx, s] of stratumOf) lists[s]!.push(idx);
      const sets = lists.map((l) => Uint32Array.from(l).sort());
      if (options.by === undefined) return sets[0]!;
      return new Map(strata.map((name, i) => [name, sets[i]!]));
    });
  }

  variantKeys(region: Region): Promise<VariantKey[]> {
    return this.exclusive(() => this.variantKeysNow(region));
  }

  private async variantKeysNow(region: Region): Promise<VariantKey[]> {
    this.check();
    const { where, params } = this.regionWhere(region);
    const out: VariantKey[] = [];
    const seen = new Set<string>();
    let groupKey = '';
    let group: VariantKey[] = [];
    const flush = (): void => {
      group.sort((x, y) => (x.ref < y.ref ? -1 : x.ref > y.ref ? 1 : x.alt < y.alt ? -1 : x.alt > y.alt ? 1 : 0));
      out.push(...group);
      group = [];
      seen.clear();
    };
    await this.scanRecords(where, params, 'keys', (contig, pos, ref, alts) => {
      const gk = `${contig}:${pos}`;
      if (gk !== groupKey) { flush(); groupKey = gk; }
      const chrom = this.contigs[contig]?.name ?? String(contig);
      for (const alt of alts) {
        const k = `${ref}\t${alt}`;
        if (seen.has(k)) continue;
        seen.add(k);
        group.push({ chrom, pos, ref, alt });
      }
    });
    flush();
    return out;
  }

  appendQueryLog(entry: QueryLogEntry): Promise<void> {
    return this.exclusive(() => this.appendQueryLogNow(entry));
  }

  private async appendQueryLogNow(entry: QueryLogEntry): Promise<void> {
    this.check();
    if (this.readOnly) throw new NodeError('GENOFED_STORE_READ_ONLY', 'cannot append to the query log of a store opened read-only');
    await this.connection.run(
      `INSERT INTO query_log VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP, ?)`,
      [entry.queryId, entry.kind, entry.querier, entry.decision, entry.reason ?? null, entry.at.toISOString().replace('Z', ''), entry.details === undefined ? null : JSON.stringify(entry.details)],
    );
  }

  hasQueryId(id: string): Promise<boolean> {
    return this.exclusive(() => this.hasQueryIdNow(id));
  }

  private async hasQueryIdNow(id: string): Promise<boolean> {
    this.check();
    const rows = (await this.connection.runAndReadAll('SELECT 1 FROM query_log WHERE query_id = ? LIMIT 1', [id])).getRows();
    return rows.length > 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue; // let queued operations finish first
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * Open (or with `create`, create) the store in `dir`. DuckDB allows one
 * read-write process per file, and no reader while it holds it (README,
 * "Concurrency"): GENOFED_STORE_LOCKED then.
 */
export async function openStore(dir: string, options: { readOnly?: boolean; create?: boolean } = {}): Promise<Store> {
  const readOnly = options.readOnly ?? false;
  const { instance, connection } = await openDatabase(dir, { readOnly, create: options.create ?? false });
  const store = new Store(dir, readOnly, instance, connection);
  try {
    await store.refreshCatalog();
  } catch (cause) {
    await store.close();
    throw new NodeError('GENOFED_STORE_IO', 'cannot read the store catalog', { cause });
  }
  return store;
}
