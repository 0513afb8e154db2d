/** Phenotype tables: parsing and typing (the store loads them; see node/store). */
export { parsePhenotypeTable, RESERVED_COLUMN, type PhenotypeTable, type PhenotypeValue, type ParseTableOptions } from './parse-table.js';
