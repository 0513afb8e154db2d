/**
 * The consortium phenotype schema (proto/phenotype-schema.ts): which column
 * names count as identifiers, what a valid schema is (distinct values,
 * ascending bins, no identifier column), the fingerprint sites compare, and
 * the value a site stores for a raw table value.
 */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_SCHEMA, SCHEMA_FORMAT, UNIQUE_PER_ROW_MIN_VALUES, binLabel, columnNameTokens, findSchemaColumn, generalizeValue,
  isIdLikeColumnName, parsePhenotypeSchema, schemaColumns, schemaFingerprint, valuesUniquePerRow, type SchemaColumn,
} from '../../proto/phenotype-schema.js';

const ID_LIKE = ['patient_id', 'mrn_no', 'MRN', 'first_name', 'firstName', 'date_of_birth', 'dob', 'phone', 'zip', 'patientId', 'sampleid', 'email'];
const ORDINARY = ['pop', 'super_pop', 'gender', 'age', 'diagnosis', 'case_status', 'bmi', 'smoking', 'sex', 'ancestry', 'batch'];

const raw = (columns: unknown[]): unknown => ({ format: SCHEMA_FORMAT, version: 1, columns });
const AGE = { name: 'age', type: 'integer', bins: [0, 18, 40, 60, 65, 120] };
const POP = { name: 'pop', type: 'categorical', values: ['GBR', 'FIN', 'YRI'] };

describe('identifier-like column names', () => {
  it.each(ID_LIKE)('%s is identifier-like', (name) => {
    expect(isIdLikeColumnName(name)).toBe(true);
  });

  it.each(ORDINARY)('%s is not identifier-like', (name) => {
    expect(isIdLikeColumnName(name)).toBe(false);
  });

  it('also catches record-number phrases and one-word forms, and spares phenotypes that merely contain a token', () => {
    for (const n of ['medical_record_number', 'mrnno', 'mrnNo', 'cell_phone', 'dob1', 'rrnno', 'ssn_2', 'subjectNo', 'subject_no', 'donor_nr', 'case_no', 'Patient.Number']) expect(isIdLikeColumnName(n), n).toBe(true);
    for (const n of ['cell_type', 'white_cell_count', 'dobutamine_dose', 'ldl', 'hba1c']) expect(isIdLikeColumnName(n), n).toBe(false);
  });

  it('splits names at separators, digits and camelCase humps', () => {
    expect(columnNameTokens('patientID')).toEqual(['patient', 'id']);
    expect(columnNameTokens('date_of_birth')).toEqual(['date', 'of', 'birth']);
    expect(columnNameTokens('MRN_no')).toEqual(['mrn', 'no']);
    expect(columnNameTokens('dob1')).toEqual(['dob', '1']);
    expect(columnNameTokens('HTTPServer-name')).toEqual(['http', 'server', 'name']);
  });
});

describe('parsePhenotypeSchema', () => {
  it('accepts ordinary names, freezes the result and keeps the column order', () => {
    const s = parsePhenotypeSchema(raw([POP, AGE, ...ORDINARY.filter((n) => n !== 'pop' && n !== 'age').map((name) => ({ name, type: 'categorical', values: ['a', 'b'] }))]));
    expect(s.columns.map((c) => c.name)).toEqual(['pop', 'age', ...ORDINARY.filter((n) => n !== 'pop' && n !== 'age')]);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.columns[0])).toBe(true);
  });

  it.each(ID_LIKE)('refuses a column named %s, naming it', (name) => {
    expect(() => parsePhenotypeSchema(raw([POP, { name, type: 'categorical', values: ['x'] }]), 'schema.json'))
      .toThrow(expect.objectContaining({ code: 'GENOFED_BAD_SCHEMA', message: `schema.json: columns.1: column '${name}' looks like an identifier and can never be queryable` }));
  });

  it('refuses bins that are not strictly ascending, and non-integer bins of an integer column', () => {
    expect(() => parsePhenotypeSchema(raw([{ ...AGE, bins: [0, 18, 18, 65] }]))).toThrow(/bins of 'age' must be strictly ascending/);
    expect(() => parsePhenotypeSchema(raw([{ ...AGE, bins: [65, 18] }]))).toThrow(/strictly ascending/);
    expect(() => parsePhenotypeSchema(raw([{ ...AGE, bins: [0, 18.5, 65] }]))).toThrow(/bins of integer column 'age' must be integers/);
    expect(parsePhenotypeSchema(raw([{ name: 'bmi', type: 'number', bins: [0, 18.5, 25, 30, 100] }])).columns[0]).toMatchObject({ bins: [0, 18.5, 25, 30, 100] });
    expect(() => parsePhenotypeSchema(raw([{ ...AGE, bins: [60] }]))).toThrow(/field 'columns\.0\.bins'/);
  });

  it('refuses a categorical value listed twice and a column named twice (case-insensitively)', () => {
    expect(() => parsePhenotypeSchema(raw([{ ...POP, values: ['GBR', 'FIN', 'GBR'] }]))).toThrow(/column 'pop' lists a value twice/);
    expect(() => parsePhenotypeSchema(raw([POP, { ...POP, name: 'Pop' }]))).toThrow(/column 'Pop' appears twice/);
  });

  it('refuses unknown fields, a wrong format and a missing type', () => {
    expect(() => parsePhenotypeSchema({ ...(raw([POP]) as object), extra: 1 })).toThrow(/GENOFED_BAD_SCHEMA|unrecognized/i);
    expect(() => parsePhenotypeSchema({ format: 'other', version: 1, columns: [] })).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_SCHEMA', message: expect.stringContaining("field 'format'") }));
    expect(() => parsePhenotypeSchema(raw([{ name: 'pop', values: ['x'] }]))).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_SCHEMA' }));
  });

  it('reads the empty schema', () => {
    expect(parsePhenotypeSchema(JSON.parse(JSON.stringify(EMPTY_SCHEMA)))).toEqual(EMPTY_SCHEMA);
  });
});

describe('schemaFingerprint', () => {
  it('does not depend on the key order of the objects, and changes with any value', () => {
    const a = parsePhenotypeSchema(raw([POP, AGE]));
    const b = parsePhenotypeSchema({ columns: [{ values: POP.values, type: 'categorical', name: 'pop' }, { bins: AGE.bins, name: 'age', type: 'integer' }], version: 1, format: SCHEMA_FORMAT });
    expect(schemaFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(schemaFingerprint(b)).toBe(schemaFingerprint(a));
    expect(schemaFingerprint(parsePhenotypeSchema(raw([POP, { ...AGE, bins: [0, 18, 40, 60, 66, 120] }])))).not.toBe(schemaFingerprint(a));
    expect(schemaFingerprint(parsePhenotypeSchema(raw([AGE, POP])))).not.toBe(schemaFingerprint(a)); // column order is part of the schema
  });
});

describe('generalizeValue', () => {
  const s = parsePhenotypeSchema(raw([POP, AGE, { name: 'bmi', type: 'number', bins: [10, 18.5, 25, 30, 60] }]));
  const age = findSchemaColumn(s, 'age')!;
  const bmi = findSchemaColumn(s, 'BMI')!;
  const pop = findSchemaColumn(s, 'pop')!;

  it('keeps an allowed categorical value and refuses any other', () => {
    expect(generalizeValue(pop, 'FIN')).toBe('FIN');
    expect(generalizeValue(pop, 'fin')).toBeUndefined();
    expect(generalizeValue(pop, 'XYZ')).toBeUndefined();
  });

  it('stores a number as the lower edge of its bin; the last edge is outside', () => {
    expect([0, 17, 18, 39, 40, 61, 64, 65, 119].map((x) => generalizeValue(age, x))).toEqual([0, 0, 18, 18, 40, 60, 60, 65, 65]);
    expect(generalizeValue(age, 120)).toBeUndefined();
    expect(generalizeValue(age, -1)).toBeUndefined();
    expect(generalizeValue(age, '61')).toBe(60);
    expect([18.4, 18.5, 24.99, 29.9, 59.9].map((x) => generalizeValue(bmi, x))).toEqual([10, 18.5, 18.5, 25, 30]);
  });

  it('refuses text that is not a plain decimal, and a fraction in an integer column', () => {
    for (const v of ['', ' ', '0x3C', 'sixty', 'NaN', 'Infinity']) expect(generalizeValue(age, v), JSON.stringify(v)).toBeUndefined();
    expect(generalizeValue(age, 61.5)).toBeUndefined();
    expect(generalizeValue(bmi, '22.5')).toBe(18.5);
  });

  it('labels a bin by its edges', () => {
    expect(binLabel(age as SchemaColumn & { bins: number[] }, 60)).toBe('[60, 65)');
  });

  it('carries values and bins to the cohort checker', () => {
    expect(schemaColumns(s)).toEqual([
      { name: 'pop', type: 'categorical', values: ['GBR', 'FIN', 'YRI'] },
      { name: 'age', type: 'integer', bins: [0, 18, 40, 60, 65, 120] },
      { name: 'bmi', type: 'number', bins: [10, 18.5, 25, 30, 60] },
    ]);
  });
});

describe('valuesUniquePerRow', () => {
  const ids = Array.from({ length: UNIQUE_PER_ROW_MIN_VALUES }, (_, i) => 100_000 + i);
  it('is true for at least 10 non-missing values, all distinct, missing ones ignored', () => {
    expect(valuesUniquePerRow(ids)).toBe(true);
    expect(valuesUniquePerRow([...ids.map(String), null, null])).toBe(true);
  });
  it('is false for a repeated value or fewer than 10 values', () => {
    expect(valuesUniquePerRow([...ids, ids[0]!])).toBe(false);
    expect(valuesUniquePerRow(ids.slice(1))).toBe(false);
    expect(valuesUniquePerRow([...ids.slice(1), null])).toBe(false);
  });
});
