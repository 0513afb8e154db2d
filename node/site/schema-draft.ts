/**
 * `genofed schema draft --table FILE`: a first draft of the consortium's
 * phenotype schema from a site's own phenotype table (proto's
 * `draftSchema`: identifier-like names and all-distinct columns left out,
 * few-valued text columns categorical, numbers binned). A site runs it,
 * because the table is patient-level data that stays at the site; the
 * consortium edits the draft, agrees on it, and passes the file to
 * `genofed roster build --schema`, so every site confirms it with the
 * roster's fingerprint.
 *
 * The table is read with the node's phenotype parser (TSV, CSV or
 * whitespace; `node/phenotypes/`); the sample-id column is never part of
 * the draft, and messages name the file and line, never a value.
 */
import { draftSchema, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { openInput } from '../io/open-input.js';
import { readLines } from '../io/lines.js';
import { parsePhenotypeTable } from '../phenotypes/index.js';

export interface SchemaDraftOptions {
  readonly table: string;
  /** The sample-id column (default: the first column). */
  readonly idColumn?: string;
  readonly signal?: AbortSignal;
}

export async function schemaDraft(o: SchemaDraftOptions): Promise<PhenotypeSchema> {
  const input = await openInput(o.table);
  async function* text(): AsyncGenerator<string> {
    for await (const line of readLines(input.stream, o.signal)) yield line.bytes.toString('utf8');
  }
  const table = await parsePhenotypeTable(text(), {
    label: input.label,
    ...(o.idColumn !== undefined ? { idColumn: o.idColumn } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return draftSchema(table.columns.map((c, i) => ({ name: c.name, values: table.values[i]! })));
}
