import { describe, expect, it } from 'vitest';
import { checkStrata, type StrataSection } from '../../../coordinator/demo/demo-strata.js';
import { comparisonKey, readPhenotypeTable, ReferenceCounts } from '../../../coordinator/demo/plaintext-reference.js';
import { disclosurePolicy } from '../../../coordinator/disclosure/index.js';
import type { AlleleFrequencyRow, GroupMaximaRow } from '../../../coordinator/federation/types.js';
import { faf95 } from '../../../coordinator/stats/index.js';

describe('the demo stratified-AF check against the unsplit input', () => {
  // 6 samples: 3 EUR, 3 EAS; one biallelic record.
  const table = readPhenotypeTable(`sample\tsuper_pop\n${['EUR', 'EUR', 'EUR', 'EAS', 'EAS', 'EAS'].map((p, i) => `s${i}\t${p}`).join('\n')}\n`);
  const samples = Array.from({ length: 6 }, (_, i) => `s${i}`);
  const line = `1\t100\t.\tA\tG\t.\t.\t.\tGT\t${['1/1', '0/1', '0/0', '0/0', '0/0', '1|1'].join('\t')}`;
  const reference = new ReferenceCounts();
  reference.addLine(line);
  const v = { chrom: '1', pos: 100, ref: 'A', alt: 'G' };
  const rows: AlleleFrequencyRow[] = [
    { ...v, strata: { super_pop: 'all' }, ac: 5, an: 12, af: 5 / 12, nhomalt: 2, faf95: faf95(5, 12) },
    { ...v, strata: { super_pop: 'EAS' }, ac: 2, an: 6, af: 2 / 6, nhomalt: 1, faf95: faf95(2, 6) },
    { ...v, strata: { super_pop: 'EUR' }, ac: 3, an: 6, af: 3 / 6, nhomalt: 1, faf95: faf95(3, 6) },
  ];
  const maxima: GroupMaximaRow = { ...v, grpmax: { group: 'EUR', ac: 3, an: 6, af: 0.5, nhomalt: 1 }, faf95_max: { group: 'EUR', faf95: faf95(3, 6) } };
  const section = (shown: AlleleFrequencyRow[], m = maxima): StrataSection => ({ by: ['super_pop'], regions: ['1:1-200'], rows: shown, shown, shownMaxima: [m], excluded: [] });
  const check = (shown: AlleleFrequencyRow[], m = maxima): number => checkStrata(section(shown, m), [{ samples, line }], table, new Set(samples), reference.rows, disclosurePolicy({ k: 1 }), () => {});

  it('accepts the true counts of every stratum and of all samples', () => {
    expect(reference.rows.get(comparisonKey(v))).toMatchObject({ ac: 5, an: 12, nhomalt: 2 });
    expect(check(rows)).toBe(0);
  });

  it('counts a wrong AC, AN, nhomalt or faf95 in any row, the all-sample row included, and a wrong grpmax or faf95_max', () => {
    expect(check([rows[0]!, { ...rows[1]!, ac: 3 }, rows[2]!])).toBe(1);
    expect(check([rows[0]!, { ...rows[1]!, faf95: faf95(3, 6) }, rows[2]!])).toBe(1);
    expect(check(rows, { ...maxima, grpmax: { group: 'EAS', ac: 2, an: 6, af: 2 / 6, nhomalt: 1 } })).toBe(1);
    expect(check(rows, { ...maxima, faf95_max: null })).toBe(1);
    expect(check([{ ...rows[0]!, nhomalt: 3 }, rows[1]!, { ...rows[2]!, an: 4 }])).toBe(2);
    // A row under the wrong stratum: its counts differ, and EUR's grpmax no longer follows from the cells shown.
    expect(check([{ ...rows[1]!, strata: { super_pop: 'AFR' } }])).toBe(2);
  });
});
