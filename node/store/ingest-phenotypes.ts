/**
 * What ingest decides about a phenotype table before and while it replaces
 * the store's (README, "Phenotypes" and "Consortium schema"):
 * - which schema applies: the one given (`--schema`), else the one stored;
 *   a different schema only together with a table to re-ingest under it;
 * - with a schema: only its columns, values generalized (parse-table.ts);
 *   without one: identifier-like columns refused as query columns;
 * - ids must look like pseudonyms unless raw ids were accepted;
 * - a table none of whose ids matches a sample of the store (genotyped, or
 *   with expression values) replaces nothing.
 * Messages name the file, line and column, never an id or a value.
 */
import { NodeError } from '../errors.js';
import { openInput } from '../io/open-input.js';
import { readLines } from '../io/lines.js';
import { identifierColumns, parsePhenotypeTable, type IdentifierColumn, type PhenotypeTable } from '../phenotypes/index.js';
import type { PhenotypeType } from '../../proto/cohort/index.js';
import { schemaFingerprint, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { PSEUDONYM_PATTERN } from '../pseudonymize/pseudonym.js';

/**
 * The schema this ingest applies (null: none), and whether it is new to the
 * store. A schema other than the stored one is refused unless a phenotype
 * table comes with it (re-ingest under the new schema) or the store has no
 * phenotype table yet: otherwise the stored values, binned under the old
 * schema, would be checked against the new one.
 */
export function resolveSchema(store: { readonly schema: PhenotypeSchema | null; readonly schemaSha256: string | null }, given: PhenotypeSchema | undefined, withTable: boolean, storeHasTable: boolean): { schema: PhenotypeSchema | null; isNew: boolean } {
  const stored = store.schema;
  if (!given) return { schema: stored, isNew: false };
  const fp = schemaFingerprint(given);
  const current = store.schemaSha256;
  if (fp === current) return { schema: given, isNew: false };
  if (!withTable && storeHasTable) {
    throw new NodeError('GENOFED_PHENOTYPE_SCHEMA', `the schema given (fingerprint ${fp.slice(0, 16)}) differs from the store's (${current === null ? 'none' : current.slice(0, 16)}); give the phenotype table in the same ingest to re-ingest it under the new schema`);
  }
  return { schema: given, isNew: true };
}

export async function readPhenotypes(path: string, o: { idColumn?: string; types?: Record<string, PhenotypeType>; signal?: AbortSignal }, schema: PhenotypeSchema | null): Promise<PhenotypeTable> {
  const input = await openInput(path);
  async function* text(): AsyncGenerator<string> {
    for await (const line of readLines(input.stream, o.signal)) yield line.bytes.toString('utf8');
  }
  return parsePhenotypeTable(text(), {
    label: input.label,
    ...(o.idColumn !== undefined ? { idColumn: o.idColumn } : {}),
    ...(o.types !== undefined ? { types: o.types } : {}),
    ...(schema ? { schema } : {}),
  });
}

/** Phenotype ids must look like pseudonyms unless raw ids were accepted (a table carries no MAC). */
export function checkPhenotypeIds(table: PhenotypeTable, label: string): void {
  let bad = 0;
  let first = 0;
  table.ids.forEach((id, r) => {
    if (PSEUDONYM_PATTERN.test(id)) return;
    bad++;
    first ||= table.rowLines[r] ?? 0;
  });
  if (bad > 0) {
    throw new NodeError('GENOFED_NOT_PSEUDONYMIZED', `${label}:${first}: ${bad} of ${table.ids.length} sample ids are not genofed pseudonyms; run genofed pseudonymize table on it with the site key first, or pass --raw-ids to ingest raw sample ids deliberately`);
  }
}

/**
 * Without a schema, columns that single people out (identifier-like name,
 * or a distinct value in every row) are refused as query columns, whatever
 * the sample ids: `--raw-ids` says nothing about the phenotype columns.
 */
export function checkIdentifierColumns(table: PhenotypeTable, label: string, _rawIds: boolean): IdentifierColumn[] {
  const found = identifierColumns(table);
  const refused = found;
  if (refused.length > 0) {
    const list = refused.map((f) => `'${f.name}' (${f.reason})`).join(', ');
    throw new NodeError('GENOFED_PHENOTYPE_IDENTIFIER', `${label}: ${refused.length === 1 ? 'column' : 'columns'} ${list} would single people out and cannot be ${refused.length === 1 ? 'a query column' : 'query columns'}; give the consortium schema (--schema FILE: only its columns are stored, numbers binned) or remove ${refused.length === 1 ? 'it' : 'them'} from the table`);
  }
  return [];
}

/**
 * A replacement table none of whose ids is a sample of the store (genotyped,
 * or with expression values; pseudonyms under another key, the wrong id
 * column, an empty table) would leave a store whose every cohort is empty:
 * refused, the transaction rolled back.
 */
export function checkTableMatches(table: PhenotypeTable, label: string, known: ReadonlyMap<string, number>): void {
  if (table.ids.some((id) => known.has(id))) return;
  throw new NodeError('GENOFED_PHENOTYPE_UNMATCHED', `${label}: none of the table's ${table.ids.length} sample ids matches a genotyped sample or an expression-matrix sample of the store or of this ingest; the phenotype table is not replaced (are the table, the VCFs and the matrix pseudonymized with the same site key, and is --id-column right?)`);
}
