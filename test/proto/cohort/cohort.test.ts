/**
 * Cohort expressions: grammar, type checking, and the SQL compiler checked
 * against the independent row evaluator on random expressions and rows
 * (DuckDB runs the SQL; fast-check generates the cases).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCohort, cohortToSql, compileCohort, evaluateCohort, parseCohort, type PhenotypeColumn } from '../../../proto/cohort/index.js';

const SCHEMA: PhenotypeColumn[] = [
  { name: 'pop', type: 'categorical' },
  { name: 'super_pop', type: 'categorical' },
  { name: 'gender', type: 'categorical' },
  { name: 'age', type: 'integer' },
  { name: 'bmi', type: 'number' },
];

describe('cohort grammar', () => {
  it('binds and tighter than or, and not tightest', () => {
    expect(parseCohort('a=1 or b=2 and not c=3')).toEqual({
      kind: 'or',
      left: { kind: 'compare', column: 'a', op: '=', value: { text: '1', quoted: false, at: 3 }, at: 1 },
      right: {
        kind: 'and',
        left: { kind: 'compare', column: 'b', op: '=', value: { text: '2', quoted: false, at: 10 }, at: 8 },
        right: { kind: 'not', expr: { kind: 'compare', column: 'c', op: '=', value: { text: '3', quoted: false, at: 22 }, at: 20 } },
      },
    });
  });
  it('accepts in-lists, not in, quoted values, parentheses and case-insensitive keywords', () => {
    const ast = parseCohort("(pop IN (GBR, 'FIN') AND NOT gender = \"male\") or pop not in (YRI)");
    expect(ast.kind).toBe('or');
  });
  it('reports the column of a syntax error', () => {
    expect(() => parseCohort('pop = ')).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_COHORT', message: expect.stringContaining('column 7') }));
    expect(() => parseCohort('pop in (GBR')).toThrow(/expected ',' or '\)'/);
    expect(() => parseCohort('(pop=GBR')).toThrow(/expected '\)'/);
    expect(() => parseCohort('pop ~ GBR')).toThrow(/unexpected character '~'/);
  });
});

describe('cohort type check', () => {
  it('names an unknown column and lists the known ones', () => {
    expect(() => compileCohort('ancestry=EUR', SCHEMA)).toThrow(/column 1: unknown column 'ancestry'; known columns: pop, super_pop, gender, age, bmi/);
  });
  it('refuses ordering comparisons on categorical columns and text on numeric ones', () => {
    expect(() => compileCohort('pop<GBR', SCHEMA)).toThrow(/categorical/);
    expect(() => compileCohort('age>=forty', SCHEMA)).toThrow(/'forty' is not an integer/);
    expect(() => compileCohort('age=4.5', SCHEMA)).toThrow(/not an integer/);
    expect(() => compileCohort("bmi<'30'", SCHEMA)).toThrow(/quoted/);
  });
  it('types values by column: numbers for integer and number columns, text for categorical', () => {
    expect(compileCohort('age>=40 and bmi<27.5 and pop=123', SCHEMA)).toEqual({
      kind: 'and',
      left: { kind: 'and', left: { kind: 'compare', column: 'age', type: 'integer', op: '>=', value: 40 }, right: { kind: 'compare', column: 'bmi', type: 'number', op: '<', value: 27.5 } },
      right: { kind: 'compare', column: 'pop', type: 'categorical', op: '=', value: '123' },
    });
  });
  it('binds values as parameters, never as SQL text', () => {
    const sql = cohortToSql(compileCohort("pop='x'' OR 1=1 --'", SCHEMA));
    expect(sql.sql).toBe('("pop" = ?)');
    expect(sql.params).toEqual(["x' OR 1=1 --"]);
  });
});

describe('cohort type check under a consortium schema (values and bins)', () => {
  const BINNED: PhenotypeColumn[] = [
    { name: 'pop', type: 'categorical', values: ['GBR', 'FIN', 'YRI'] },
    { name: 'age', type: 'integer', bins: [0, 18, 40, 60, 65, 120] },
  ];
  const EDGES = '0, 18, 40, 60, 65, 120';

  it.each([
    ['age = 61', "column 'age' is binned: use >= or < with a bin edge (" + EDGES + "), not '='"],
    ['age > 60', "column 'age' is binned: use >= or < with a bin edge (" + EDGES + "), not '>'"],
    ['age in (60)', "column 'age' is binned: use >= and < with bin edges (" + EDGES + '), not in (...)'],
    ['age >= 61', "column 'age': 61 is not a bin edge; edges: " + EDGES],
    ['age != 60', "column 'age' is binned: use >= or < with a bin edge (" + EDGES + "), not '!='"],
  ])('refuses %s, naming the column and the edges', (text, message) => {
    expect(() => compileCohort(text, BINNED)).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_COHORT', message: expect.stringContaining(message) }));
  });

  it('accepts a range at bin edges', () => {
    expect(compileCohort('age >= 60 and age < 65', BINNED)).toEqual({
      kind: 'and',
      left: { kind: 'compare', column: 'age', type: 'integer', op: '>=', value: 60 },
      right: { kind: 'compare', column: 'age', type: 'integer', op: '<', value: 65 },
    });
    expect(compileCohort('not (age < 18) and pop in (GBR, FIN)', BINNED).kind).toBe('and');
  });

  it('refuses a categorical value outside the schema, naming it and listing the allowed ones', () => {
    expect(() => compileCohort("pop = 'XYZ'", BINNED)).toThrow("cohort expression column 7: column 'pop': value 'XYZ' is not in the consortium schema; allowed: GBR, FIN, YRI");
    expect(() => compileCohort('pop in (GBR, XYZ)', BINNED)).toThrow(/value 'XYZ' is not in the consortium schema/);
    expect(compileCohort("pop != 'YRI'", BINNED)).toEqual({ kind: 'compare', column: 'pop', type: 'categorical', op: '!=', value: 'YRI' });
  });

  it('lists long edge lists shortened', () => {
    const many: PhenotypeColumn[] = [{ name: 'age', type: 'integer', bins: Array.from({ length: 30 }, (_, i) => i * 5) }];
    expect(() => compileCohort('age = 3', many)).toThrow(/bin edge \(0, 5, 10, 15, 20, 25, \.\.\., 135, 140, 145\)/);
  });
});

describe('SQL compiler agrees with the row evaluator (three-valued logic)', () => {
  const POPS = ['GBR', 'FIN', 'YRI', 'CHB'];
  const GENDERS = ['male', 'female'];
  let db: DuckDBInstance;
  const rows = Array.from({ length: 60 }, (_, i) => ({
    id: i,
    pop: i % 7 === 0 ? null : POPS[i % 4]!,
    super_pop: i % 5 === 0 ? null : ['EUR', 'AFR', 'EAS'][i % 3]!,
    gender: i % 11 === 0 ? null : GENDERS[i % 2]!,
    age: i % 9 === 0 ? null : 20 + ((i * 7) % 60),
    bmi: i % 13 === 0 ? null : 18 + ((i * 3) % 17) / 2,
  }));
  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run('CREATE TABLE p (id INTEGER, pop VARCHAR, super_pop VARCHAR, gender VARCHAR, age BIGINT, bmi DOUBLE)');
    for (const r of rows) await c.run('INSERT INTO p VALUES (?, ?, ?, ?, ?, ?)', [r.id, r.pop, r.super_pop, r.gender, r.age, r.bmi]);
    c.closeSync();
  });
  afterAll(() => db?.closeSync());

  const leaf = fc.oneof(
    fc.tuple(fc.constantFrom('pop', 'gender'), fc.constantFrom('=', '!='), fc.constantFrom(...POPS, ...GENDERS)).map(([c, o, v]) => `${c}${o}${v}`),
    fc.tuple(fc.constantFrom('age'), fc.constantFrom('<', '<=', '>', '>=', '=', '!='), fc.integer({ min: 15, max: 85 })).map(([c, o, v]) => `${c}${o}${v}`),
    fc.tuple(fc.constantFrom('bmi'), fc.constantFrom('<', '>='), fc.double({ min: 17, max: 28, noNaN: true })).map(([c, o, v]) => `${c}${o}${v.toFixed(2)}`),
    fc.subarray(POPS, { minLength: 1 }).map((vs) => `pop in (${vs.join(',')})`),
  );
  const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.tuple(tie('e'), fc.constantFrom('and', 'or'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`), tie('e').map((a) => `not ${a}`)),
  })).e;

  it('selects exactly the rows the evaluator selects, for 200 random expressions', async () => {
    const c = await db.connect();
    try {
      await fc.assert(
        fc.asyncProperty(expr, async (text) => {
          const checked = checkCohort(parseCohort(text), SCHEMA);
          const { sql, params } = cohortToSql(checked);
          const got = (await c.runAndReadAll(`SELECT id FROM p WHERE ${sql} ORDER BY id`, params)).getRows().map((r) => Number(r[0]));
          const want = rows.filter((r) => evaluateCohort(checked, r)).map((r) => r.id);
          expect(got).toEqual(want);
        }),
        { numRuns: 200 },
      );
    } finally {
      c.closeSync();
    }
  });
});
