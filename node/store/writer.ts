/**
 * The store's writer API: the operations ingest performs, each one named
 * (add a file, its samples, its records, replace the phenotype table or
 * the expression matrix, ...)
 * instead of SQL through a shared connection. A StoreWriter exists only
 * inside `Store.withWriteTransaction`, which queues it behind running
 * queries, wraps it in one DuckDB transaction (all or nothing) and re-reads
 * the catalog after COMMIT; it refuses use after the transaction ends.
 */
import type { DuckDBAppender, DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { NodeError } from '../errors.js';
import { RESERVED_COLUMN, type PhenotypeTable } from '../phenotypes/index.js';
import { quoteIdent, type PhenotypeType } from '../../proto/cohort/index.js';
import { canonicalJson, type CanonicalValue } from '../../proto/canonical-json.js';
import { schemaFingerprint, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { buildOfName, type Build } from './assembly.js';
import type { Catalog } from './catalog.js';
import type { EncodedGenotypes } from './genotype-codec.js';
import { META_EXPRESSION_VALUES, META_SCHEMA, META_SCHEMA_SHA256 } from './schema.js';

/** One VCF record as stored: its key, its encoded genotypes and its all-sample totals. */
export interface RecordRow {
  readonly fileId: number;
  readonly contigId: number;
  readonly pos: number;
  readonly ref: string;
  readonly alts: readonly string[];
  readonly genotypes: EncodedGenotypes;
  /** aggregate.ts encodeTotals over all the file's samples. */
  readonly totals: Uint8Array;
  /** The record's dbSNP rs ids (ID column entries matching `rs` + digits); other ids are not stored. */
  readonly rsIds?: readonly string[];
}

/** Appends records (one row per VCF record, and one per rs id of it); `close()` flushes. */
export interface RecordAppender {
  append(row: RecordRow): void;
  close(): void;
}

/** What the store holds before this transaction's writes: ingest's starting point. */
export interface StoreState {
  /** Sample id -> store sample index (ids never leave the node). */
  readonly samples: Map<string, number>;
  /** Normalized contig name -> contig id. */
  readonly contigs: Map<string, number>;
  readonly nextFileId: number;
  readonly hasPhenotypeTable: boolean;
  /** The store's build (meta `assembly`, as assembly.ts names builds; an older store's name mapped), or null. */
  readonly assembly: Build | null;
  /** Normalized contig name -> recorded ##contig length. */
  readonly contigLengths: Map<string, number>;
}

async function scalar(c: DuckDBConnection, sql: string, params: DuckDBValue[] = []): Promise<number> {
  const v = (await c.runAndReadAll(sql, params)).getRows()[0]?.[0];
  return v === null || v === undefined ? 0 : Number(v);
}

async function tableExists(c: DuckDBConnection, name: string): Promise<boolean> {
  return (await scalar(c, `SELECT count(*) FROM information_schema.tables WHERE table_name = ?`, [name])) > 0;
}

export class StoreWriter {
  private open = true;

  /** @param catalog the snapshot before this transaction (the stored schema, for ingest's decisions). */
  constructor(private readonly c: DuckDBConnection, readonly catalog: Catalog) {}

  private conn(): DuckDBConnection {
    if (!this.open) throw new NodeError('GENOFED_STORE_IO', 'store writer used after its transaction ended');
    return this.c;
  }

  /** @internal Store.withWriteTransaction ends the writer with the transaction. */
  end(): void {
    this.open = false;
  }

  async state(): Promise<StoreState> {
    const c = this.conn();
    const samples = new Map<string, number>();
    for (const r of (await c.runAndReadAll('SELECT sample_id, sample_idx FROM samples')).getRows()) samples.set(String(r[0]), Number(r[1]));
    const contigs = new Map<string, number>();
    for (const r of (await c.runAndReadAll('SELECT norm, contig_id FROM contigs')).getRows()) contigs.set(String(r[0]), Number(r[1]));
    const contigLengths = new Map<string, number>();
    for (const r of (await c.runAndReadAll('SELECT c.norm, l.length FROM contig_lengths l JOIN contigs c USING (contig_id)')).getRows()) contigLengths.set(String(r[0]), Number(r[1]));
    const assembly = (await c.runAndReadAll(`SELECT value FROM meta WHERE key = 'assembly'`)).getRows()[0]?.[0];
    return {
      samples,
      contigs,
      nextFileId: await scalar(c, 'SELECT coalesce(max(file_id) + 1, 0) FROM files'),
      hasPhenotypeTable: await tableExists(c, 'phenotypes'),
      assembly: assembly === undefined || assembly === null ? null : buildOfName(String(assembly)),
      contigLengths,
    };
  }

  /** True when a file with this content id (SHA-256) was already ingested. */
  async hasContent(contentId: string): Promise<boolean> {
    return (await scalar(this.conn(), 'SELECT count(*) FROM files WHERE sha256 = ?', [contentId])) > 0;
  }

  async addContig(id: number, name: string, norm: string): Promise<void> {
    await this.conn().run('INSERT INTO contigs VALUES (?, ?, ?)', [id, name, norm]);
  }

  /** Register a VCF (its record count and order are set by finishFile). */
  async addFile(fileId: number, contentId: string, label: string, nSamples: number): Promise<void> {
    await this.conn().run(`INSERT INTO files VALUES (?, ?, ?, ?, 0, now(), FALSE)`, [fileId, contentId, label, nSamples]);
  }

  /** Record the store's build (meta `assembly`; ingest checks every file against it first). */
  async setAssembly(build: Build): Promise<void> {
    await this.conn().run(`INSERT INTO meta VALUES ('assembly', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [build]);
  }

  /** Record a contig's ##contig length (the first one seen). */
  async addContigLength(contigId: number, length: number): Promise<void> {
    await this.conn().run('INSERT INTO contig_lengths VALUES (?, ?) ON CONFLICT DO NOTHING', [contigId, length]);
  }

  /**
   * The file's columns: `columns[col]` is the store sample index of column
   * col; `fresh` are samples new to the store (index, id).
   */
  async addFileSamples(fileId: number, columns: readonly number[], fresh: readonly (readonly [number, string])[]): Promise<void> {
    const c = this.conn();
    const app = await c.createAppender('file_samples');
    try {
      columns.forEach((idx, col) => {
        app.appendInteger(fileId);
        app.appendInteger(col);
        app.appendInteger(idx);
        app.endRow();
      });
    } finally {
      app.closeSync();
    }
    await this.addSamples(fresh);
  }

  /** New store sample identities (index, id): a VCF's new samples, or an expression matrix's. */
  async addSamples(fresh: readonly (readonly [number, string])[]): Promise<void> {
    if (fresh.length === 0) return;
    const sapp = await this.conn().createAppender('samples');
    try {
      for (const [idx, id] of fresh) {
        sapp.appendInteger(idx);
        sapp.appendVarchar(id);
        sapp.endRow();
      }
    } finally {
      sapp.closeSync();
    }
  }

  /**
   * Replace the expression matrix as a whole (schema.ts has the layout):
   * `columns[s]` is the store sample index of matrix column s (distinct,
   * identities already added); `rows[g][s]` the value of gene `genes[g]`;
   * `libSizes[s]` (counts) the column's library size. Stored with genes in
   * JavaScript string order and each gene's values in ascending store
   * sample order.
   */
  async replaceExpression(m: { values: 'counts' | 'log'; columns: readonly number[]; genes: readonly string[]; rows: readonly Float64Array[]; libSizes: Float64Array | null }): Promise<void> {
    const c = this.conn();
    await c.run('DELETE FROM expression_genes');
    await c.run('DELETE FROM expression_samples');
    await c.run(`INSERT INTO meta VALUES ('${META_EXPRESSION_VALUES}', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [m.values]);
    // order[k]: the matrix column stored at position k (ascending store sample index).
    const order = m.columns.map((_, s) => s).sort((a, b) => m.columns[a]! - m.columns[b]!);
    const sapp = await c.createAppender('expression_samples');
    try {
      for (const s of order) {
        sapp.appendInteger(m.columns[s]!);
        if (m.libSizes) sapp.appendDouble(m.libSizes[s]!);
        else sapp.appendNull();
        sapp.endRow();
      }
    } finally {
      sapp.closeSync();
    }
    const geneOrder = m.genes.map((_, g) => g).sort((a, b) => (m.genes[a]! < m.genes[b]! ? -1 : m.genes[a]! > m.genes[b]! ? 1 : 0));
    const gapp = await c.createAppender('expression_genes');
    try {
      geneOrder.forEach((g, rank) => {
        const row = m.rows[g]!;
        const bytes = Buffer.allocUnsafe(order.length * 8);
        for (let k = 0; k < order.length; k++) bytes.writeDoubleLE(row[order[k]!]!, k * 8);
        gapp.appendInteger(rank);
        gapp.appendVarchar(m.genes[g]!);
        gapp.appendBlob(bytes);
        gapp.endRow();
      });
    } finally {
      gapp.closeSync();
    }
  }

  async records(): Promise<RecordAppender> {
    const app: DuckDBAppender = await this.conn().createAppender('records');
    const ids: DuckDBAppender = await this.conn().createAppender('variant_ids');
    return {
      append: (r) => {
        for (const rs of r.rsIds ?? []) {
          ids.appendVarchar(rs);
          ids.appendInteger(r.fileId);
          ids.appendInteger(r.contigId);
          ids.appendInteger(r.pos);
          ids.appendVarchar(r.ref);
          ids.appendVarchar(r.alts.join(','));
          ids.endRow();
        }
        app.appendInteger(r.fileId);
        app.appendInteger(r.contigId);
        app.appendInteger(r.pos);
        app.appendVarchar(r.ref);
        app.appendVarchar(r.alts.join(','));
        app.appendSmallInt(r.alts.length);
        app.appendInteger(r.genotypes.listed);
        app.appendTinyInt(r.genotypes.format);
        app.appendBlob(r.genotypes.samples);
        app.appendBlob(r.genotypes.gt);
        app.appendBlob(r.totals);
        app.endRow();
      },
      close: () => {
        try {
          app.closeSync();
        } finally {
          ids.closeSync();
        }
      },
    };
  }

  /**
   * Finish a file: its record count, whether its records came in store
   * order, and the positions it covers per contig (`ranges`: contig id ->
   * [min, max]).
   */
  async finishFile(fileId: number, records: number, sorted: boolean, ranges: ReadonlyMap<number, readonly [number, number]>): Promise<void> {
    const c = this.conn();
    await c.run('UPDATE files SET n_records = ?, sorted = ? WHERE file_id = ?', [records, sorted, fileId]);
    const app = await c.createAppender('file_ranges');
    try {
      for (const [contig, [lo, hi]] of ranges) {
        app.appendInteger(fileId);
        app.appendInteger(contig);
        app.appendInteger(lo);
        app.appendInteger(hi);
        app.endRow();
      }
    } finally {
      app.closeSync();
    }
  }

  /**
   * The double-count check: another file sharing a sample has records in
   * an overlapping range of a shared contig.
   */
  async sharesSamplesOnOverlappingRange(fileId: number): Promise<boolean> {
    return (await scalar(this.conn(), `
      SELECT count(*) FROM file_ranges n JOIN file_ranges o
        ON o.contig_id = n.contig_id AND o.file_id <> n.file_id AND o.min_pos <= n.max_pos AND n.min_pos <= o.max_pos
      WHERE n.file_id = ? AND EXISTS (
        SELECT 1 FROM file_samples a JOIN file_samples b ON a.sample_idx = b.sample_idx
        WHERE a.file_id = n.file_id AND b.file_id = o.file_id)`, [fileId])) > 0;
  }

  /** Replace the phenotype table as a whole (typed columns). */
  async replacePhenotypes(table: PhenotypeTable): Promise<void> {
    const c = this.conn();
    await c.run('DROP TABLE IF EXISTS phenotypes');
    await c.run('DELETE FROM phenotype_columns');
    const sqlType = (t: PhenotypeType): string => (t === 'integer' ? 'BIGINT' : t === 'number' ? 'DOUBLE' : 'VARCHAR');
    const cols = table.columns.map((col) => `, ${quoteIdent(col.name)} ${sqlType(col.type)}`);
    await c.run(`CREATE TABLE phenotypes (${RESERVED_COLUMN} VARCHAR NOT NULL${cols.join('')})`);
    for (let i = 0; i < table.columns.length; i++) {
      await c.run('INSERT INTO phenotype_columns VALUES (?, ?, ?)', [i, table.columns[i]!.name, table.columns[i]!.type]);
    }
    const app = await c.createAppender('phenotypes');
    try {
      for (let r = 0; r < table.ids.length; r++) {
        app.appendVarchar(table.ids[r]!);
        table.columns.forEach((col, ci) => {
          const v = table.values[ci]![r];
          if (v === null || v === undefined) app.appendNull();
          else if (col.type === 'integer') app.appendBigInt(BigInt(v));
          else if (col.type === 'number') app.appendDouble(v as number);
          else app.appendVarchar(String(v));
        });
        app.endRow();
      }
    } finally {
      app.closeSync();
    }
  }

  /** Record the consortium schema (canonical JSON) and its fingerprint in `meta`. */
  async setPhenotypeSchema(schema: PhenotypeSchema): Promise<void> {
    const upsert = 'INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value';
    const c = this.conn();
    await c.run(upsert, [META_SCHEMA, canonicalJson(schema as unknown as CanonicalValue)]);
    await c.run(upsert, [META_SCHEMA_SHA256, schemaFingerprint(schema)]);
  }

  /**
   * The figures of an ingest report, as they stand in this transaction:
   * genotyped samples (`samples`), phenotype rows and the genotyped samples
   * that have one; the expression matrix's samples, those without genotypes
   * and those without a phenotype row.
   */
  async counts(): Promise<{ samples: number; phenotypeRows: number; samplesWithPhenotypes: number; expressionSamples: number; expressionWithoutGenotypes: number; expressionWithoutPhenotypes: number }> {
    const c = this.conn();
    const genotyped = 'SELECT DISTINCT sample_idx FROM file_samples';
    const samples = await scalar(c, `SELECT count(*) FROM (${genotyped})`);
    const expressionSamples = await scalar(c, 'SELECT count(*) FROM expression_samples');
    const expressionWithoutGenotypes = await scalar(c, `SELECT count(*) FROM expression_samples WHERE sample_idx NOT IN (${genotyped})`);
    if (!(await tableExists(c, 'phenotypes'))) return { samples, phenotypeRows: 0, samplesWithPhenotypes: 0, expressionSamples, expressionWithoutGenotypes, expressionWithoutPhenotypes: expressionSamples };
    const withPhenotypes = `SELECT s.sample_idx FROM samples s JOIN phenotypes p ON p.${RESERVED_COLUMN} = s.sample_id`;
    return {
      samples,
      phenotypeRows: await scalar(c, 'SELECT count(*) FROM phenotypes'),
      samplesWithPhenotypes: await scalar(c, `SELECT count(*) FROM (${withPhenotypes}) WHERE sample_idx IN (${genotyped})`),
      expressionSamples,
      expressionWithoutGenotypes,
      expressionWithoutPhenotypes: await scalar(c, `SELECT count(*) FROM expression_samples WHERE sample_idx NOT IN (${withPhenotypes})`),
    };
  }

  /** Sample ids of the stored phenotype table (the expression matrix's link check); empty without one. */
  async phenotypeIds(): Promise<Set<string>> {
    const c = this.conn();
    if (!(await tableExists(c, 'phenotypes'))) return new Set();
    return new Set((await c.runAndReadAll(`SELECT ${RESERVED_COLUMN} FROM phenotypes`)).getRows().map((r) => String(r[0])));
  }
}
