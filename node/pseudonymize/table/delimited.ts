/**
 * A small RFC 4180 reader/writer for phenotype tables and expression
 * matrices (tab or comma separated). Quoted fields may hold the delimiter,
 * `""` and newlines. Which fields were quoted is remembered so that
 * unchanged fields are written back the same way (R's write.csv quotes
 * strings, not numbers). Parsing does no I/O.
 */
import { NodeError } from '../../errors.js';

export interface Row {
  fields: string[];
  quoted: boolean[];
  /** 1-based line number where the row starts. */
  line: number;
}

export interface Table {
  delimiter: string;
  /** '\r\n' when the first line ended so, else '\n'. */
  eol: string;
  rows: Row[];
}

/** Tab when the first line has more tabs than commas outside quotes; else comma. */
export function sniffDelimiter(text: string): string {
  const firstLine = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length);
  let tabs = 0;
  let commas = 0;
  let inQuotes = false;
  for (const c of firstLine) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && c === '\t') tabs++;
    else if (!inQuotes && c === ',') commas++;
  }
  return tabs >= commas && tabs > 0 ? '\t' : ',';
}

/** Parse delimited text. Errors name `label` and the line, never the content. */
export function parseDelimited(text: string, label: string, delimiter = sniffDelimiter(text)): Table {
  const rows: Row[] = [];
  const eol = /\r\n/.test(text.slice(0, (text.indexOf('\n') + 1) || text.length)) ? '\r\n' : '\n';
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const row: Row = { fields: [], quoted: [], line };
    for (;;) {
      let value = '';
      let quoted = false;
      if (text[i] === '"') {
        quoted = true;
        i++;
        const start = line;
        for (;;) {
          if (i >= n) throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${start}: unterminated quoted field`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${line}: characters after a closing quote`);
        }
      } else {
        let j = i;
        while (j < n && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') j++;
        value = text.slice(i, j);
        if (value.includes('"') && delimiter === ',') throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${line}: quote inside an unquoted field`);
        i = j;
      }
      row.fields.push(value);
      row.quoted.push(quoted);
      if (i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    // A blank line (one empty unquoted field) ends nothing and is skipped.
    if (!(row.fields.length === 1 && row.fields[0] === '' && !row.quoted[0])) rows.push(row);
  }
  return { delimiter, eol, rows };
}

function needsQuotes(value: string, delimiter: string): boolean {
  return value.includes(delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r');
}

/** One row back to text (without the line end). */
export function formatRow(fields: readonly string[], quoted: readonly boolean[], delimiter: string): string {
  return fields.map((f, k) => (quoted[k] || needsQuotes(f, delimiter) ? `"${f.replace(/"/g, '""')}"` : f)).join(delimiter);
}

export function formatTable(table: Table): string {
  return table.rows.map((r) => formatRow(r.fields, r.quoted, table.delimiter) + table.eol).join('');
}
