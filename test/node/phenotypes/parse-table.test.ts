import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identifierColumns, parsePhenotypeTable } from '../../../node/phenotypes/index.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';

const FIX = resolve(import.meta.dirname, '../../fixtures');
const lines = (path: string): string[] => readFileSync(resolve(FIX, path), 'utf8').split('\n');

describe('phenotype tables', () => {
  it('loads the 1000 Genomes panel as is (trailing empty header columns ignored)', async () => {
    const t = await parsePhenotypeTable(lines('panel/integrated_call_samples_v3.20130502.ALL.panel'), { label: 'panel' });
    expect(t.idColumn).toBe('sample');
    expect(t.columns).toEqual([
      { name: 'pop', type: 'categorical' },
      { name: 'super_pop', type: 'categorical' },
      { name: 'gender', type: 'categorical' },
    ]);
    expect(t.ids).toHaveLength(2504);
    expect(new Set(t.values[1])).toEqual(new Set(['AFR', 'AMR', 'EAS', 'EUR', 'SAS']));
  });

  it('infers a number column and honours --id-column on a PLINK phenotype file', async () => {
    const t = await parsePhenotypeTable(lines('panel/gwasexdata_simulated_pheno_1000G_ms1.pheno'), { label: 'pheno', idColumn: 'IID' });
    expect(t.columns).toEqual([{ name: 'FID', type: 'categorical' }, { name: 'PhenoS', type: 'number' }]);
    expect(typeof t.values[1]![0]).toBe('number');
  });

  it('reads quoted CSV, names an unnamed first column, and infers integers', async () => {
    const t = await parsePhenotypeTable(lines('expression/airway_sample_table.csv'), { label: 'airway.csv' });
    expect(t.idColumn).toBe('column1');
    expect(t.columns.find((c) => c.name === 'avgLength')).toEqual({ name: 'avgLength', type: 'integer' });
    expect(t.columns.find((c) => c.name === 'dex')).toEqual({ name: 'dex', type: 'categorical' });
  });

  it('treats NA, empty and . as missing and lets a type override make a numeric-looking column categorical', async () => {
    const t = await parsePhenotypeTable(['id\tage\tcode', 'a\t40\t10', 'b\tNA\t20', 'c\t.\t'], { label: 't', types: { code: 'categorical' } });
    expect(t.columns).toEqual([{ name: 'age', type: 'integer' }, { name: 'code', type: 'categorical' }]);
    expect(t.values).toEqual([[40, null, null], ['10', '20', null]]);
  });

  it('names file and line, never the value, when an override does not fit', async () => {
    const err = await parsePhenotypeTable(['id\tage', 'P1\t40', 'P2\tforty'], { label: 'p.tsv', types: { age: 'integer' } }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'GENOFED_PHENOTYPE_FORMAT', message: 'p.tsv:3: column \'age\' is integer, but this row\'s value is not' });
  });

  it('refuses a duplicate sample id and a ragged row without printing the id', async () => {
    await expect(parsePhenotypeTable(['id\tx', 'SECRET1\t1', 'SECRET1\t2'], { label: 'd' })).rejects.toThrow(/^d:3: sample id appears on an earlier line too$/);
    await expect(parsePhenotypeTable(['id\tx\ty', 'SECRET1\t1'], { label: 'r' })).rejects.toThrow(/^r:2: row has 2 fields, the header has 3$/);
    await expect(parsePhenotypeTable(['id\tx'], { label: 'o', idColumn: 'sample' })).rejects.toThrow(/id column 'sample' is not in the header/);
  });
});

describe('phenotype tables under a consortium schema', () => {
  const schema = parsePhenotypeSchema({
    format: 'genofed-phenotype-schema', version: 1,
    columns: [
      { name: 'super_pop', type: 'categorical', values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] },
      { name: 'bmi', type: 'number', bins: [10, 18.5, 25, 30, 60] },
    ],
  });

  it('keeps the schema columns of the 1000G panel (matched case-insensitively) and names the others', async () => {
    const panel = lines('panel/integrated_call_samples_v3.20130502.ALL.panel');
    const withBmi = panel.map((l, i) => (l === '' ? l : `${l.replace(/\t+$/, '')}\t${i === 0 ? 'BMI' : (17 + (i % 20)).toFixed(1)}`));
    const t = await parsePhenotypeTable(withBmi, { label: 'panel', schema });
    expect(t.columns).toEqual([
      { name: 'super_pop', type: 'categorical', values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] },
      { name: 'bmi', type: 'number', bins: [10, 18.5, 25, 30, 60] },
    ]);
    expect(t.notStored).toEqual(['pop', 'gender']);
    expect(t.values[1]!.slice(0, 4)).toEqual([10, 18.5, 18.5, 18.5]); // 18.0, 19.0, 20.0, 21.0 -> lower bin edges
    expect(new Set(t.values[1])).toEqual(new Set([10, 18.5, 25, 30]));
  });

  it('keeps missing values missing and never reads a column the schema does not have', async () => {
    const t = await parsePhenotypeTable(['id,super_pop,bmi,free_text', 'a,EUR,NA,"anything, at all"', 'b,,31.5,'], { label: 't.csv', schema });
    expect(t.values).toEqual([['EUR', null], [null, 30]]);
    expect(t.notStored).toEqual(['free_text']);
  });

  it('refuses a missing, ambiguous or retyped schema column, and a value outside the schema by line and column only', async () => {
    await expect(parsePhenotypeTable(['id\tsuper_pop', 'a\tEUR'], { label: 'm.tsv', schema })).rejects.toMatchObject({ code: 'GENOFED_PHENOTYPE_SCHEMA', message: "m.tsv:1: column 'bmi' of the consortium schema is missing from the table" });
    await expect(parsePhenotypeTable(['id\tSuper_Pop\tSUPER_POP\tbmi', 'a\tEUR\tEUR\t20'], { label: 'a.tsv', schema })).rejects.toThrow("a.tsv:1: columns 'Super_Pop' and 'SUPER_POP' both match the consortium schema column 'super_pop'");
    await expect(parsePhenotypeTable(['id\tsuper_pop\tbmi', 'a\tEUR\t20'], { label: 'o.tsv', schema, types: { bmi: 'categorical' } })).rejects.toThrow(/column 'bmi' is number in the consortium schema; --types cannot make it categorical/);
    for (const [row, col] of [['b\tEUROPE\t20', 'super_pop'], ['b\tEUR\t61.5e1', 'bmi'], ['b\tEUR\t0x14', 'bmi'], ['b\tEUR\t9.99', 'bmi']] as const) {
      const err = await parsePhenotypeTable(['id\tsuper_pop\tbmi', 'a\tEUR\t20', row], { label: 'v.tsv', schema }).then(() => new Error('accepted'), (e: Error) => e);
      expect(err).toMatchObject({ code: 'GENOFED_PHENOTYPE_SCHEMA', message: `v.tsv:3: column '${col}' holds a value outside the consortium schema` });
      expect(err.message).not.toContain(row.split('\t')[col === 'bmi' ? 2 : 1]!);
    }
  });
});

describe('identifier columns (no schema)', () => {
  it('names identifier-like names and all-distinct columns of at least 10 values, and nothing in the 1000G panel', async () => {
    const panel = await parsePhenotypeTable(lines('panel/integrated_call_samples_v3.20130502.ALL.panel'), { label: 'panel' });
    expect(identifierColumns(panel)).toEqual([]);
    const rows = Array.from({ length: 12 }, (_, i) => `S${i}\t${i % 3}\t${1000 + i}\t${i < 9 ? 'x' : 'NA'}\tKim${i}`);
    const t = await parsePhenotypeTable(['id\tgroup\tvisit\trare\tfirstName', ...rows], { label: 't' });
    expect(identifierColumns(t)).toEqual([
      { name: 'visit', reason: 'a distinct value in every row' },
      { name: 'firstName', reason: 'identifier-like name' },
    ]);
  });
});
