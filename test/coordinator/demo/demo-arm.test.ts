import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignArms, DEMO_ARM_COLUMN, withDemoArm } from '../../../coordinator/demo/demo-arm.js';
import { readPhenotypeTable } from '../../../coordinator/demo/plaintext-reference.js';
import { draftSchema } from '../../../proto/phenotype-schema.js';

const PANEL = readFileSync(resolve(import.meta.dirname, '../../fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel'), 'utf8');

describe('the demo_arm column (a random split of the panel for the null association)', () => {
  it('splits the 2,504 panel samples into halves of 1,252, the same way on every run, independent of ancestry', () => {
    const table = readPhenotypeTable(withDemoArm(PANEL));
    expect(table.columns.map((c) => c.name)).toEqual(['pop', 'super_pop', 'gender', DEMO_ARM_COLUMN]);
    const rows = [...table.rows.values()];
    expect(rows).toHaveLength(2504);
    expect(rows.filter((r) => r.demo_arm === 'A')).toHaveLength(1252);
    expect(rows.filter((r) => r.demo_arm === 'B')).toHaveLength(1252);
    expect(withDemoArm(PANEL)).toBe(withDemoArm(PANEL));
    // Each super-population is split about evenly (a shuffle, not the panel's population-sorted order).
    for (const pop of ['AFR', 'AMR', 'EAS', 'EUR', 'SAS']) {
      const inPop = rows.filter((r) => r.super_pop === pop);
      const share = inPop.filter((r) => r.demo_arm === 'A').length / inPop.length;
      expect(share, pop).toBeGreaterThan(0.4);
      expect(share, pop).toBeLessThan(0.6);
    }
    // The original columns are untouched (the panel's two trailing empty header columns are trimmed).
    expect(table.rows.get('HG00096')).toMatchObject({ pop: 'GBR', super_pop: 'EUR', gender: 'male' });
  });

  it('drafts into the consortium schema as a categorical column with values A and B', () => {
    const table = readPhenotypeTable(withDemoArm(PANEL));
    const rows = [...table.rows.values()];
    const schema = draftSchema(table.columns.map((c) => ({ name: c.name, values: rows.map((r) => r[c.name] ?? null) })));
    expect(schema.columns.find((c) => c.name === DEMO_ARM_COLUMN)).toEqual({ name: DEMO_ARM_COLUMN, type: 'categorical', values: ['A', 'B'] });
  });

  it('another seed gives another split; odd counts differ by one', () => {
    const ids = Array.from({ length: 11 }, (_, i) => `s${i}`);
    const a = assignArms(ids, 1);
    const b = assignArms(ids, 2);
    expect([...a.values()].filter((x) => x === 'A')).toHaveLength(6);
    expect([...a.entries()]).not.toEqual([...b.entries()]);
  });

  it('refuses a table that already has a demo_arm column', () => {
    expect(() => withDemoArm('sample\tdemo_arm\nx\tA\n')).toThrow(/already has a column 'demo_arm'/);
  });
});
