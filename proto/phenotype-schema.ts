/**
 * The consortium phenotype schema: the only columns a cohort expression,
 * a stratum or a filtering term may name, with their allowed values
 * (categorical) or bin edges (numeric). It is part of the roster
 * (`roster.ts`), so every site confirms the same schema with the roster's
 * fingerprint, and the coordinator checks expressions against it before
 * any site is asked.
 *
 * Why bins: a numeric column queried at full resolution isolates people
 * (`age = 61` matched one patient in a 2,504-sample panel). Numbers are
 * therefore queryable only at bin edges (`age >= 60 and age < 65`), and the
 * node stores each value as the lower edge of its bin.
 *
 * Why no identifier columns: a column whose values single people out
 * (`patient_id = 100017`) turns a cohort count into a lookup. Names that
 * look like identifiers are refused here (`isIdLikeColumnName`); tables
 * are checked for all-distinct columns at ingest and by `scan`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, type CanonicalValue } from './canonical-json.js';
import type { PhenotypeColumn } from './cohort/ast.js';
import { ProtoError } from './errors.js';

export const SCHEMA_FORMAT = 'genofed-phenotype-schema';

/**
 * Name tokens that mark a direct identifier or a quasi-identifier too fine
 * to query (DESIGN.md; the Korean guideline's identifier list: names,
 * registration numbers, phone, address, e-mail, dates of birth, record numbers).
 */
const ID_TOKENS = new Set([
  'id', 'ids', 'uid', 'uuid', 'guid', 'mrn', 'mrno', 'ssn', 'rrn', 'nin', 'ehr', 'emr',
  'phone', 'tel', 'telephone', 'mobile', 'cellphone', 'fax',
  'name', 'names', 'firstname', 'lastname', 'surname', 'fullname', 'forename', 'initials',
  'birth', 'birthday', 'birthdate', 'dob', 'born',
  'email', 'mail', 'address', 'addr', 'street', 'zip', 'zipcode', 'postcode', 'postal',
  'passport', 'license', 'licence', 'account', 'iban', 'ip', 'url', 'barcode', 'accession',
]);

/**
 * Multi-token identifiers (after tokenizing): `record number`; `sample id` is caught by `id`.
 * `cell` alone is not an identifier token (`cell_type`, `white_cell_count` are
 * phenotypes); `cell phone` / `cell no` are.
 */
const ID_PHRASES: readonly (readonly string[])[] = [['cell', 'phone'], ['cell', 'no'], ['cell', 'number'], ['record', 'number'], ['medical', 'record'], ['case', 'number'], ['patient', 'number'], ['patient', 'no'], ['chart', 'no'], ['chart', 'number'], ['hospital', 'number'], ['registration', 'number'], ['resident', 'number'], ['social', 'security']];

/**
 * Split a column name into lower-case tokens at `_`, `-`, `.`, spaces,
 * digits boundaries and camelCase humps: `patientID` -> patient, id;
 * `date_of_birth` -> date, of, birth; `MRN_no` -> mrn, no.
 */
export function columnNameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])/)
    .map((t) => t.toLowerCase())
    .filter((t) => t.length > 0);
}

const OWNERS = 'patient|sample|subject|person|case|record|member|hospital|chart|donor|specimen|participant';
const SUFFIXES = 'id|no|nr|num|number|code|key';
const ONE_WORD_ID = new RegExp(`^(?:${OWNERS})(?:${SUFFIXES})$`);
const ID_OWNERS = new RegExp(`^(?:${OWNERS})$`);
const ID_SUFFIXES = new RegExp(`^(?:${SUFFIXES})$`);

/** True when a column name looks like an identifier (`*_id`, `mrn_no`, `firstName`, `date_of_birth`, `phone`, ...). */
export function isIdLikeColumnName(name: string): boolean {
  const tokens = columnNameTokens(name);
  if (tokens.some((t) => ID_TOKENS.has(t))) return true;
  // One-word forms: `patientid`, `sampleno`, `mrnno`, `rrnno` (`dob1` is split into dob, 1).
  // Whole tokens only: `dobutamine_dose` is not a date of birth.
  if (tokens.some((t) => ONE_WORD_ID.test(t) || /^(?:mrn|ssn|rrn|dob)(?:no|nr|num|number|id|code)?$/.test(t))) return true;
  // The same as two tokens: `subject_no`, `donorNumber`, `case_no` (as `subjectno` above).
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (ID_OWNERS.test(tokens[i]!) && ID_SUFFIXES.test(tokens[i + 1]!)) return true;
  }
  for (const phrase of ID_PHRASES) {
    for (let i = 0; i + phrase.length <= tokens.length; i++) {
      if (phrase.every((p, j) => tokens[i + j] === p)) return true;
    }
  }
  return false;
}

const columnName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/, 'a column name is 1-63 of [A-Za-z0-9_.-], starting with a letter');

const categorical = z.strictObject({
  name: columnName,
  type: z.literal('categorical'),
  /** Every value a site may hold in this column (missing values are always allowed). */
  values: z.array(z.string().min(1).max(100)).min(1).max(1000),
  description: z.string().max(500).optional(),
});

const numeric = z.strictObject({
  name: columnName,
  type: z.enum(['integer', 'number']),
  /** Ascending bin edges: bin i is [edges[i], edges[i+1]); values outside [first, last) are refused at ingest. */
  bins: z.array(z.number().finite()).min(2).max(1001),
  description: z.string().max(500).optional(),
});

export const phenotypeSchemaSchema = z.strictObject({
  format: z.literal(SCHEMA_FORMAT),
  version: z.literal(1),
  columns: z.array(z.discriminatedUnion('type', [categorical, numeric])).max(200),
});

export type SchemaColumn = z.infer<typeof categorical> | z.infer<typeof numeric>;
export interface PhenotypeSchema {
  readonly format: typeof SCHEMA_FORMAT;
  readonly version: 1;
  readonly columns: readonly SchemaColumn[];
}

/** A schema with no columns: genotype-only consortia (no cohort expressions, no strata). */
export const EMPTY_SCHEMA: PhenotypeSchema = Object.freeze({ format: SCHEMA_FORMAT, version: 1, columns: Object.freeze([]) as readonly SchemaColumn[] });

function invalid(label: string, what: string): never {
  throw new ProtoError('GENOFED_BAD_SCHEMA', `${label}: ${what}`);
}

/**
 * Validate a parsed JSON value as a phenotype schema: structure, unique
 * names (case-insensitively: cohort expressions resolve names that way),
 * no identifier-like name, distinct categorical values, strictly ascending
 * integer-valued edges for integer columns. The result is frozen.
 */
export function parsePhenotypeSchema(raw: unknown, label = 'phenotype schema'): PhenotypeSchema {
  const r = phenotypeSchemaSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    invalid(label, `field '${issue.path.join('.') || '(top level)'}': ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const [i, c] of r.data.columns.entries()) {
    const folded = c.name.toLowerCase();
    if (seen.has(folded)) invalid(label, `columns.${i}: column '${c.name}' appears twice (names are compared case-insensitively)`);
    seen.add(folded);
    if (isIdLikeColumnName(c.name)) invalid(label, `columns.${i}: column '${c.name}' looks like an identifier and can never be queryable`);
    if (c.type === 'categorical') {
      if (new Set(c.values).size !== c.values.length) invalid(label, `columns.${i}: column '${c.name}' lists a value twice`);
    } else {
      for (let j = 1; j < c.bins.length; j++) {
        if (!(c.bins[j]! > c.bins[j - 1]!)) invalid(label, `columns.${i}: bins of '${c.name}' must be strictly ascending`);
      }
      if (c.type === 'integer' && !c.bins.every((b) => Number.isSafeInteger(b))) invalid(label, `columns.${i}: bins of integer column '${c.name}' must be integers`);
    }
  }
  return deepFreeze({ format: SCHEMA_FORMAT, version: 1, columns: r.data.columns }) as PhenotypeSchema;
}

/** SHA-256 (hex) of the schema's canonical JSON: sites compare schemas by it. */
export function schemaFingerprint(schema: PhenotypeSchema): string {
  return createHash('sha256').update(canonicalJson(schema as unknown as CanonicalValue)).digest('hex');
}

/** The columns as the cohort checker sees them (allowed values and bin edges carried along). */
export function schemaColumns(schema: PhenotypeSchema): PhenotypeColumn[] {
  return schema.columns.map((c) => (c.type === 'categorical' ? { name: c.name, type: c.type, values: c.values } : { name: c.name, type: c.type, bins: c.bins }));
}

/** Find a column: exact name first, then a unique case-insensitive match (as cohort expressions do). */
export function findSchemaColumn(schema: PhenotypeSchema, name: string): SchemaColumn | undefined {
  return schema.columns.find((c) => c.name === name) ?? (() => {
    const f = schema.columns.filter((c) => c.name.toLowerCase() === name.toLowerCase());
    return f.length === 1 ? f[0] : undefined;
  })();
}

/** A plain decimal (the phenotype table parser's number syntax). */
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * The value a site stores for a raw table value: a categorical value must
 * be one of the schema's; a number is replaced by the lower edge of its
 * bin (an integer column takes integers only; text must be a plain
 * decimal). `undefined` when the value is not allowed (the caller names
 * file, line and column; never the value).
 */
export function generalizeValue(column: SchemaColumn, value: string | number): string | number | undefined {
  if (column.type === 'categorical') {
    const s = String(value);
    return column.values.includes(s) ? s : undefined;
  }
  // Text is read as a plain decimal only: Number('') is 0 and Number('0x3C') is 60.
  if (typeof value === 'string' && !DECIMAL.test(value)) return undefined;
  const x = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(x)) return undefined;
  if (column.type === 'integer' && !Number.isSafeInteger(x)) return undefined;
  const b = column.bins;
  if (x < b[0]! || x >= b[b.length - 1]!) return undefined;
  let lo = 0;
  let hi = b.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x >= b[mid]!) lo = mid;
    else hi = mid;
  }
  return b[lo]!;
}

/**
 * A first draft of a schema from a table's columns, for a consortium to
 * edit and agree on (the demo uses it on the 1000G panel): identifier-like
 * names and columns whose values are all distinct are left out; text
 * columns with at most `maxValues` distinct values become categorical;
 * numeric columns get `bins` equal-width bins over their range (rounded
 * outwards to integers for integer columns). Never a substitute for the
 * consortium's own review.
 */
export function draftSchema(columns: readonly { name: string; values: readonly (string | number | null)[] }[], options: { maxValues?: number; bins?: number } = {}): PhenotypeSchema {
  const maxValues = options.maxValues ?? 100;
  const out: SchemaColumn[] = [];
  for (const c of columns) {
    if (isIdLikeColumnName(c.name) || !/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/.test(c.name)) continue;
    const present = c.values.filter((v): v is string | number => v !== null && v !== '');
    const distinct = [...new Set(present.map(String))];
    if (present.length === 0 || (present.length >= 10 && distinct.length === present.length)) continue;
    const numeric = present.every((v) => typeof v === 'number' || /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(v));
    if (numeric && distinct.length > Math.min(maxValues, 20)) {
      const xs = present.map(Number);
      const integer = xs.every((x) => Number.isSafeInteger(x));
      const lo = Math.floor(Math.min(...xs));
      const hi = Math.max(...xs);
      const n = options.bins ?? 10;
      const width = integer ? Math.max(1, Math.ceil((hi + 1 - lo) / n)) : (hi - lo) / n || 1;
      const bins = Array.from({ length: n + 1 }, (_, i) => (integer ? lo + i * width : lo + i * width));
      if (!integer) bins[n] = hi + width * 1e-9 + Number.EPSILON;
      out.push({ name: c.name, type: integer ? 'integer' : 'number', bins });
    } else if (distinct.length <= maxValues) {
      out.push({ name: c.name, type: 'categorical', values: distinct.sort() });
    }
  }
  return parsePhenotypeSchema({ format: SCHEMA_FORMAT, version: 1, columns: out });
}

/**
 * Fewest non-missing values for the all-distinct test below. A floor, not a
 * significance test: 10 ages drawn uniformly from 80 years are all distinct
 * about 56% of the time, so a tiny table can trip it; in a real phenotype
 * table (hundreds of rows; 2,504 in the 1000 Genomes panel) only values
 * that are per person stay all distinct.
 */
export const UNIQUE_PER_ROW_MIN_VALUES = 10;

/**
 * True when a column singles people out by its values: at least
 * UNIQUE_PER_ROW_MIN_VALUES non-missing values (null/undefined are
 * missing), all distinct (a record number, a phone number, a continuous
 * measurement at full precision). Ingest refuses such a column as a query
 * column, `scan` reports it and `pseudonymize table` drops numeric ones.
 */
export function valuesUniquePerRow(values: Iterable<string | number | null | undefined>): boolean {
  const seen = new Set<string | number>();
  let n = 0;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    n++;
    if (seen.has(v)) return false;
    seen.add(v);
  }
  return n >= UNIQUE_PER_ROW_MIN_VALUES;
}

/** Human-readable bin label `[60, 65)`. */
export function binLabel(column: SchemaColumn & { bins: readonly number[] }, lowerEdge: number): string {
  const i = column.bins.indexOf(lowerEdge);
  return i >= 0 && i + 1 < column.bins.length ? `[${lowerEdge}, ${column.bins[i + 1]})` : String(lowerEdge);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
