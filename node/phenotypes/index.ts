/** Phenotype tables: parsing and typing (the store loads them; see node/store). */
export { parsePhenotypeTable, RESERVED_COLUMN, type PhenotypeTable, type PhenotypeValue, type ParseTableOptions } from './parse-table.js';
/** Columns that single people out (no consortium schema): refused as query columns at ingest. */
export { identifierColumns, type IdentifierColumn, type IdentifierReason } from './identifiers.js';
/** `--schema FILE`: a phenotype schema JSON or a roster file's `roster.schema`. */
export { phenotypeSchemaOf, readPhenotypeSchemaFile } from './schema-file.js';
