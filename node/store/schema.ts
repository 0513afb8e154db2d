/**
 * The store's tables (DuckDB). One row per VCF record in `records`, with its
 * genotypes as two BLOBs (genotype-codec.ts); samples, files and phenotypes
 * in small tables; the expression matrix as one BLOB per gene; an
 * append-only query log.
 */

/** Bumped when a table changes shape; a store of another version is refused. */
export const SCHEMA_VERSION = '2';

export const STORE_FILE = 'store.duckdb';

/**
 * `meta` keys of the consortium phenotype schema (`node ingest --schema`):
 * its canonical JSON and its SHA-256 fingerprint. Absent: phenotypes were
 * ingested without a schema (identifier-like columns refused instead).
 */
export const META_SCHEMA = 'phenotype_schema';
export const META_SCHEMA_SHA256 = 'phenotype_schema_sha256';

/** `meta` key of the expression matrix's values: `counts` or `log` (absent: no matrix). */
export const META_EXPRESSION_VALUES = 'expression_values';

export const DDL = [
  // schema_version, assembly (the build: GRCh37, GRCh38, NCBI36, T2T-CHM13; assembly.ts), phenotype_schema, phenotype_schema_sha256.
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  // Contig order = first appearance (header ##contig order, then records).
  // norm = proto/variant.ts normalizeContig(name): chr22 and 22 are one contig.
  `CREATE TABLE IF NOT EXISTS contigs (contig_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, norm VARCHAR NOT NULL UNIQUE)`,
  // Every store sample identity: genotyped (in file_samples) or with expression values; sample_idx is assigned
  // at first ingest and never renumbered or reused.
  `CREATE TABLE IF NOT EXISTS samples (sample_idx INTEGER PRIMARY KEY, sample_id VARCHAR NOT NULL UNIQUE)`,
  // One row per ingested VCF; sha256 of the file's bytes refuses re-ingest under any name.
  // sorted: its records came in store order (contig_id, pos), so a one-file store is scanned without a sort.
  `CREATE TABLE IF NOT EXISTS files (file_id INTEGER PRIMARY KEY, sha256 VARCHAR NOT NULL UNIQUE, label VARCHAR NOT NULL,
     n_samples INTEGER NOT NULL, n_records BIGINT NOT NULL, ingested_at TIMESTAMP NOT NULL,
     sorted BOOLEAN NOT NULL DEFAULT FALSE)`,
  // Column col of file file_id is sample sample_idx.
  `CREATE TABLE IF NOT EXISTS file_samples (file_id INTEGER NOT NULL, col INTEGER NOT NULL, sample_idx INTEGER NOT NULL)`,
  // Positions each file covers per contig: the double-count check.
  `CREATE TABLE IF NOT EXISTS file_ranges (file_id INTEGER NOT NULL, contig_id INTEGER NOT NULL, min_pos INTEGER NOT NULL, max_pos INTEGER NOT NULL)`,
  // alts: comma-joined ALT alleles as written ('' for ALT '.').
  // totals: the record's counts over all its samples (aggregate.ts encodeTotals), so an AF query
  // without a cohort reads no genotypes.
  `CREATE TABLE IF NOT EXISTS records (file_id INTEGER NOT NULL, contig_id INTEGER NOT NULL, pos INTEGER NOT NULL,
     ref VARCHAR NOT NULL, alts VARCHAR NOT NULL, n_alts SMALLINT NOT NULL, listed INTEGER NOT NULL, gt_format TINYINT NOT NULL,
     samples BLOB NOT NULL, gt BLOB NOT NULL, totals BLOB NOT NULL)`,
  // dbSNP rs ids of the ID column (`rs` + digits, each of a `;` list), one row per (id, record); other ids
  // (local or pseudonymized ones, site-specific and useless across sites) are not stored. Added after
  // schema version 2 without a bump: a store ingested earlier has the table empty (absent when opened read-only).
  `CREATE TABLE IF NOT EXISTS variant_ids (rs VARCHAR NOT NULL, file_id INTEGER NOT NULL, contig_id INTEGER NOT NULL,
     pos INTEGER NOT NULL, ref VARCHAR NOT NULL, alts VARCHAR NOT NULL)`,
  // ##contig lengths, the first one seen per contig (assembly.ts: a file whose length differs is refused).
  // Added after schema version 2 like variant_ids.
  `CREATE TABLE IF NOT EXISTS contig_lengths (contig_id INTEGER PRIMARY KEY, length BIGINT NOT NULL)`,
  // The expression matrix (issue 12; one per store, replaced as a whole by the next --expression): meta
  // `expression_values` = counts | log. expression_samples: one row per matrix sample (a store sample: samples
  // seen only in the matrix get an identity in `samples` too), lib_size = its column sum of counts over every
  // gene (NULL for log values). expression_genes: one row per gene, gene_idx = rank of the id in JavaScript
  // string order; vals = the gene's values as IEEE-754 binary64 little-endian, one per expression sample in
  // ascending sample_idx. Added after schema version 2 like variant_ids.
  `CREATE TABLE IF NOT EXISTS expression_samples (sample_idx INTEGER PRIMARY KEY, lib_size DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS expression_genes (gene_idx INTEGER PRIMARY KEY, gene VARCHAR NOT NULL, vals BLOB NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS phenotype_columns (position INTEGER NOT NULL, name VARCHAR NOT NULL, type VARCHAR NOT NULL)`,
  // The phenotype table itself is (re)created per ingest with typed columns: phenotypes(_genofed_sample, ...).
  `CREATE TABLE IF NOT EXISTS query_log (query_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, querier VARCHAR NOT NULL,
     decision VARCHAR NOT NULL, reason VARCHAR, logged_at TIMESTAMP NOT NULL, details VARCHAR)`,
];
