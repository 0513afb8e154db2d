import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePhenotypeTable } from '../../../node/phenotypes/index.js';

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
