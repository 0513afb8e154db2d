/**
 * Parse a phenotype table (TSV, CSV or whitespace-separated, e.g. the 1000
 * Genomes panel `sample pop super_pop gender`, PLINK `.pheno`, a hospital's
 * CSV export) into typed columns. No I/O: takes lines. Column types are
 * inferred (integer, number, else categorical) and may be overridden.
 * Errors name the file's basename, the line and the kind of problem, never a
 * sample id or value.
 */
import { NodeError } from '../errors.js';
import type { PhenotypeColumn, PhenotypeType } from '../../proto/cohort/index.js';
import { generalizeValue, type PhenotypeSchema } from '../../proto/phenotype-schema.js';

export type PhenotypeValue = string | number | null;

export interface PhenotypeTable {
  /** Name of the id column as written in the header. */
  readonly idColumn: string;
  /** Phenotype columns (the id column excluded), in file order. */
  readonly columns: readonly PhenotypeColumn[];
  /** Sample ids in row order (pseudonyms; never logged). */
  readonly ids: readonly string[];
  /** values[c][r]: column-major, null for missing. */
  readonly values: readonly (readonly PhenotypeValue[])[];
  /** 1-based line number of each row, for messages that point at a row. */
  readonly rowLines: readonly number[];
  /** With a consortium schema: the table's other columns (not the id column), which are not kept. */
  readonly notStored: readonly string[];
}

export interface ParseTableOptions {
  /** File basename for messages. */
  readonly label: string;
  /** Sample-id column name; default the first column. */
  readonly idColumn?: string;
  /** Type overrides by column name. */
  readonly types?: Readonly<Record<string, PhenotypeType>>;
  /**
   * Consortium schema (proto/phenotype-schema.ts): keep only its columns,
   * with its types, allowed values and bins (numbers become the lower edge
   * of their bin); a missing schema column or a value outside the schema
   * is GENOFED_PHENOTYPE_SCHEMA naming file, line and column.
   */
  readonly schema?: PhenotypeSchema;
  /**
   * Default true (ingest never changes it): every row needs a sample id,
   * and no id may repeat. `pseudonymize table` with several id columns
   * (a pedigree, whose family and parent ids repeat by design) validates
   * the rest of the table here with false; ingest then names its id column.
   */
  readonly checkIds?: boolean;
  readonly signal?: AbortSignal;
}

/** Tokens read as missing: empty, NA (R), '.' (VCF/PLINK), -9 is NOT (it is a valid integer). */
const MISSING = new Set(['', 'NA', 'N/A', '.', 'NaN', 'nan', 'null', 'NULL']);
const INT_RE = /^[+-]?[0-9]+$/;
const NUM_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Reserved: the store's own id column in the phenotype table. */
export const RESERVED_COLUMN = '_genofed_sample';

type Splitter = (line: string, lineNo: number) => string[];

function fail(label: string, line: number, problem: string): never {
  throw new NodeError('GENOFED_PHENOTYPE_FORMAT', line > 0 ? `${label}:${line}: ${problem}` : `${label}: ${problem}`);
}

/** RFC 4180 fields: quotes around a field, doubled quotes inside. */
function csvSplitter(label: string): Splitter {
  return (line, lineNo) => {
    const out: string[] = [];
    let i = 0;
    for (;;) {
      if (line[i] === '"') {
        let v = '';
        i++;
        for (;;) {
          if (i >= line.length) fail(label, lineNo, 'unterminated quoted field');
          if (line[i] === '"') {
            if (line[i + 1] === '"') { v += '"'; i += 2; continue; }
            i++;
            break;
          }
          v += line[i++];
        }
        out.push(v);
        if (i < line.length && line[i] !== ',') fail(label, lineNo, 'text after a closing quote');
      } else {
        const j = line.indexOf(',', i);
        out.push((j < 0 ? line.slice(i) : line.slice(i, j)).trim());
        i = j < 0 ? line.length : j;
      }
      if (i >= line.length) return out;
      i++; // skip ','
      if (i === line.length) { out.push(''); return out; }
    }
  };
}

function chooseSplitter(header: string, label: string): Splitter {
  if (header.includes('\t')) return (l) => l.split('\t').map((f) => f.trim());
  if (header.includes(',')) return csvSplitter(label);
  return (l) => l.trim().split(/\s+/);
}

function inferType(values: readonly (string | null)[]): PhenotypeType {
  let allInt = true;
  let allNum = true;
  let any = false;
  for (const v of values) {
    if (v === null) continue;
    any = true;
    if (allInt && !(INT_RE.test(v) && Number.isSafeInteger(Number(v)))) allInt = false;
    if (allNum && !NUM_RE.test(v)) allNum = false;
    if (!allNum) return 'categorical';
  }
  if (!any) return 'categorical';
  return allInt ? 'integer' : 'number';
}

export async function parsePhenotypeTable(lines: AsyncIterable<string> | Iterable<string>, options: ParseTableOptions): Promise<PhenotypeTable> {
  const { label } = options;
  let split: Splitter | null = null;
  let names: string[] = [];
  let headerLine = 0;
  const raw: (string | null)[][] = [];
  const lineOf: number[] = [];
  let lineNo = 0;
  for await (const text of lines) {
    lineNo++;
    options.signal?.throwIfAborted();
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.trim() === '') continue;
    if (!split) {
      // '#'-prefixed header line (e.g. '#sample\tpop') is the header.
      const header = line.startsWith('#') ? line.slice(1) : line;
      split = chooseSplitter(header, label);
      names = split(header, lineNo);
      headerLine = lineNo;
      // Trailing unnamed columns (the 1000G panel header ends in two tabs) are dropped.
      while (names.length > 0 && names[names.length - 1] === '') names.pop();
      names = names.map((n, i) => (n === '' ? `column${i + 1}` : n));
      if (names.length < 1) fail(label, lineNo, 'header has no column names');
      const seen = new Set<string>();
      for (const n of names) {
        if (seen.has(n)) fail(label, lineNo, `column name '${n}' appears twice in the header`);
        if (n === RESERVED_COLUMN) fail(label, lineNo, `column name '${RESERVED_COLUMN}' is reserved`);
        seen.add(n);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const fields = split(line, lineNo);
    while (fields.length > names.length && fields[fields.length - 1] === '') fields.pop();
    if (fields.length !== names.length) {
      fail(label, lineNo, `row has ${fields.length} fields, the header has ${names.length}`);
    }
    raw.push(fields.map((f) => (MISSING.has(f) ? null : f)));
    lineOf.push(lineNo);
  }
  if (!split) fail(label, 0, 'file is empty (no header line)');

  const idName = options.idColumn ?? names[0]!;
  const idIndex = names.indexOf(idName);
  if (idIndex < 0) fail(label, headerLine, `id column '${idName}' is not in the header`);
  for (const name of Object.keys(options.types ?? {})) {
    if (!names.includes(name) || name === idName) fail(label, headerLine, `type override for '${name}', which is not a phenotype column of this file`);
  }

  const ids: string[] = [];
  const seenIds = new Set<string>();
  for (let r = 0; r < raw.length && options.checkIds !== false; r++) {
    const id = raw[r]![idIndex];
    if (id === null || id === undefined) fail(label, lineOf[r]!, 'sample id is missing');
    if (seenIds.has(id)) fail(label, lineOf[r]!, 'sample id appears on an earlier line too');
    seenIds.add(id);
    ids.push(id);
  }

  if (options.schema) return applySchema(options.schema, { label, names, idIndex, headerLine, raw, lineOf, ids, types: options.types });

  const columns: PhenotypeColumn[] = [];
  const values: PhenotypeValue[][] = [];
  names.forEach((name, c) => {
    if (c === idIndex) return;
    const col = raw.map((row) => row[c] ?? null);
    const type = options.types?.[name] ?? inferType(col);
    const typed: PhenotypeValue[] = col.map((v, r) => {
      if (v === null || type === 'categorical') return v;
      const ok = type === 'integer' ? INT_RE.test(v) && Number.isSafeInteger(Number(v)) : NUM_RE.test(v);
      if (!ok) fail(label, lineOf[r]!, `column '${name}' is ${type}, but this row's value is not`);
      return Number(v);
    });
    columns.push({ name, type });
    values.push(typed);
  });
  return { idColumn: idName, columns, ids, values, rowLines: lineOf, notStored: [] };
}

function failSchema(label: string, line: number, problem: string): never {
  throw new NodeError('GENOFED_PHENOTYPE_SCHEMA', line > 0 ? `${label}:${line}: ${problem}` : `${label}: ${problem}`);
}

/**
 * With a consortium schema: every schema column must be in the table (exact
 * name, else one case-insensitive match), only schema columns are kept (in
 * schema order, under the schema's names), categorical values must be
 * allowed ones and numbers become the lower edge of their bin. Other
 * columns are not read at all: their names go to `notStored`.
 */
function applySchema(
  schema: PhenotypeSchema,
  t: { label: string; names: readonly string[]; idIndex: number; headerLine: number; raw: readonly (readonly (string | null)[])[]; lineOf: readonly number[]; ids: string[]; types: Readonly<Record<string, PhenotypeType>> | undefined },
): PhenotypeTable {
  const { label, names, idIndex, headerLine } = t;
  const used = new Set<number>();
  const columns: PhenotypeColumn[] = [];
  const values: PhenotypeValue[][] = [];
  for (const col of schema.columns) {
    let c = names.indexOf(col.name);
    if (c < 0) {
      const folded = names.flatMap((n, i) => (n.toLowerCase() === col.name.toLowerCase() ? [i] : []));
      if (folded.length > 1) failSchema(label, headerLine, `columns ${folded.map((i) => `'${names[i]}'`).join(' and ')} both match the consortium schema column '${col.name}'`);
      c = folded[0] ?? -1;
    }
    if (c < 0) failSchema(label, headerLine, `column '${col.name}' of the consortium schema is missing from the table`);
    if (c === idIndex) failSchema(label, headerLine, `the sample-id column cannot be the consortium schema column '${col.name}'`);
    const override = t.types?.[names[c]!];
    if (override !== undefined && override !== col.type) failSchema(label, headerLine, `column '${col.name}' is ${col.type} in the consortium schema; --types cannot make it ${override}`);
    used.add(c);
    values.push(t.raw.map((row, r) => {
      const v = row[c] ?? null;
      if (v === null) return null;
      const g = generalizeValue(col, v);
      // Never the value: it may be the very identifier the schema keeps out.
      if (g === undefined) failSchema(label, t.lineOf[r]!, `column '${col.name}' holds a value outside the consortium schema`);
      return g;
    }));
    columns.push(col.type === 'categorical' ? { name: col.name, type: col.type, values: col.values } : { name: col.name, type: col.type, bins: col.bins });
  }
  const notStored = names.filter((_, i) => i !== idIndex && !used.has(i));
  return { idColumn: names[idIndex]!, columns, ids: t.ids, values, rowLines: t.lineOf, notStored };
}
