/**
 * CSV (RFC 4180) forms of the CLI's tables, made from the TSV lines the
 * commands already write so both always carry the same columns and values:
 * fields joined by `,`, a field holding `,`, `"`, CR or LF quoted with `"`
 * doubled, records ended by CRLF (the RFC's line break; R, pandas and
 * spreadsheets read it). The TSV fields never hold a tab, so splitting
 * on tabs is exact.
 */

/** Why: RFC 4180 section 2 rules 5-7: quote only where a reader needs it. */
export function csvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Why: a piece of TSV (whole lines, each ending in '\n') as the same records in CSV. */
export function tsvToCsv(piece: string): string {
  let out = '';
  for (const line of piece.split('\n')) {
    if (line === '') continue;
    out += `${line.split('\t').map(csvField).join(',')}\r\n`;
  }
  return out;
}

/** Why: a streamed TSV table (the long `query af`) as CSV, piece by piece. */
export async function* csvAsync(pieces: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const p of pieces) yield tsvToCsv(p);
}

/** Why: the same over a table held whole (assoc, expr, eqtl, wide). */
export function* csvSync(pieces: Iterable<string>): Generator<string> {
  for (const p of pieces) yield tsvToCsv(p);
}
