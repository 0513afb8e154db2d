/**
 * `node ingest --schema FILE`: the consortium phenotype schema, either a
 * schema JSON (`format: genofed-phenotype-schema`) or a roster file
 * (`{ "roster": {..., "schema": {...}}, "signatures": [...] }`), whose
 * `roster.schema` is used. A roster is read without requiring its
 * signatures here: the schema is what ingest needs, and the node checks
 * the roster itself where it answers queries.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { NodeError } from '../errors.js';
import { parsePhenotypeSchema, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { parseSignedRoster } from '../../proto/roster.js';
import { withOperatorPath } from '../../proto/operator-path.js';

/** Parse the JSON value of a schema or roster file (no I/O); `label` is the file's basename. */
export function phenotypeSchemaOf(raw: unknown, label: string): PhenotypeSchema {
  if (raw !== null && typeof raw === 'object' && 'roster' in raw) {
    return parsePhenotypeSchema(parseSignedRoster(raw, label, { requireSignatures: false }).roster.schema, `${label}: roster.schema`);
  }
  return parsePhenotypeSchema(raw, label);
}

export async function readPhenotypeSchemaFile(path: string): Promise<PhenotypeSchema> {
  const label = basename(path);
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${label}: cannot read schema file`, { cause }), path);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_FORMAT', `${label}: not JSON (expected a genofed-phenotype-schema or a roster file)`), path);
  }
  return phenotypeSchemaOf(raw, label);
}
