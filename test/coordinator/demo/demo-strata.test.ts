import { describe, expect, it } from 'vitest';
import { checkStrata, type StrataSection } from '../../../coordinator/demo/demo-strata.js';
import { comparisonKey, readPhenotypeTable, ReferenceCounts } from '../../../coordinator/demo/plaintext-reference.js';
import { disclosurePolicy } from '../../../coordinator/disclosure/index.js';
import type { AlleleFrequencyRow } from '../../../coordinator/federation/types.js';

describe('the demo stratified-AF check against the unsplit input', () => {
  // 6 samples: 3 EUR, 3 EAS; one biallelic record.
  const table = readPhenotypeTable(`sample\tsuper_pop\n${['EUR', 'EUR', 'EUR', 'EAS', 'EAS', 'EAS'].map((p, i) => `s${i}\t${p}`).join('\n')}\n`);
  const samples = Array.from({ length: 6 }, (_, i) => `s${i}`);
  const line = `1\t100\t.\tA\tG\t.\t.\t.\tGT\t${['1/1', '0/1', '0/0', '0/0', '0/0', '1|1'].join('\t')}`;
  const reference = new ReferenceCounts();
  reference.addLine(line);
  const v = { chrom: '1', pos: 100, ref: 'A', alt: 'G' };
  const rows: AlleleFrequencyRow[] = [
    { ...v, strata: { super_pop: 'all' }, ac: 5, an: 12, af: 5 / 12, nhomalt: 2 },
    { ...v, strata: { super_pop: 'EAS' }, ac: 2, an: 6, af: 2 / 6, nhomalt: 1 },
    { ...v, strata: { super_pop: 'EUR' }, ac: 3, an: 6, af: 3 / 6, nhomalt: 1 },
  ];
  const section = (shown: AlleleFrequencyRow[]): StrataSection => ({ by: ['super_pop'], regions: ['1:1-200'], rows: shown, shown });
  const check = (shown: AlleleFrequencyRow[]): number => checkStrata(section(shown), [{ samples, line }], table, new Set(samples), reference.rows, disclosurePolicy({ k: 1 }), () => {});

  it('accepts the true counts of every stratum and of all samples', () => {
    expect(reference.rows.get(comparisonKey(v))).toMatchObject({ ac: 5, an: 12, nhomalt: 2 });
    expect(check(rows)).toBe(0);
  });

  it('counts a wrong AC, AN or nhomalt in any row, the all-sample row included', () => {
    expect(check([rows[0]!, { ...rows[1]!, ac: 3 }, rows[2]!])).toBe(1);
    expect(check([{ ...rows[0]!, nhomalt: 3 }, rows[1]!, { ...rows[2]!, an: 4 }])).toBe(2);
    expect(check([{ ...rows[1]!, strata: { super_pop: 'AFR' } }])).toBe(1);
  });
});
