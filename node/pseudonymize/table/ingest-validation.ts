/**
 * A table is checked with ingest's own parsers before anything else reads
 * it (issue 13, deliverable 5): `pseudonymize table`, `verify table` (the
 * original) and `scan` call this, so a table `node ingest` would reject
 * (ragged row, repeated header name, missing or repeated sample id, a
 * quoted field left open) fails at the first step with ingest's code and
 * its `<file>:<line>: <problem>` message, not after the pseudonymized copy
 * was shipped.
 * - a table: `parsePhenotypeTable` (node/phenotypes), with the person
 *   column (the only id column, default the first) as ingest's id column;
 *   with several id columns (a pedigree: family and parent ids repeat by
 *   design) the id checks are left to ingest, which names one column;
 * - `--matrix`: `parseExpressionMatrix` (node/expression). Ingest reads a
 *   matrix as counts or as log values (`--values`), which pseudonymize
 *   does not know: the matrix must parse one way or the other; when it
 *   parses neither way, the counts error is raised (a negative value: the
 *   log error, since counts cannot be negative).
 * Lines are split as ingest's `readLines` splits them (LF, CR trimmed).
 */
import { parseExpressionMatrix } from '../../expression/index.js';
import { parsePhenotypeTable } from '../../phenotypes/index.js';

/** The text as the lines ingest's `readLines` yields (no empty line after a final newline). */
export function ingestLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export interface IngestValidationOptions {
  /** File basename for messages. */
  label: string;
  idColumns?: readonly string[];
  matrix?: boolean;
}

/** Throws ingest's NodeError (GENOFED_PHENOTYPE_FORMAT / GENOFED_EXPRESSION_FORMAT) when ingest would reject the table. */
export async function validateTableAsIngest(text: string, o: IngestValidationOptions): Promise<void> {
  const lines = ingestLines(text);
  if (o.matrix) {
    try {
      await parseExpressionMatrix(lines, { label: o.label, values: 'counts' });
    } catch (countsError) {
      try {
        await parseExpressionMatrix(lines, { label: o.label, values: 'log' });
      } catch (logError) {
        throw /negative count/.test((countsError as Error).message) ? logError : countsError;
      }
    }
    return;
  }
  const ids = o.idColumns ?? [];
  try {
    await parsePhenotypeTable(lines, { label: o.label, ...(ids.length === 1 ? { idColumn: ids[0]! } : {}), checkIds: ids.length <= 1 });
  } catch (err) {
    // An --id-column not in the header is a usage error the pseudonymizer raises itself (GENOFED_USAGE);
    // parsePhenotypeTable looks for it only after every row passed, so nothing else is skipped.
    if (ids.length === 1 && (err as Error).message.endsWith(`id column '${ids[0]}' is not in the header`)) return;
    throw err;
  }
}
