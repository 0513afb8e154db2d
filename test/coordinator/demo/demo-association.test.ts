import { describe, expect, it } from 'vitest';
import { checkAssociation, qqSummary, type AssociationSection } from '../../../coordinator/demo/demo-association.js';
import { readPhenotypeTable } from '../../../coordinator/demo/plaintext-reference.js';
import { disclosurePolicy } from '../../../coordinator/disclosure/index.js';
import type { AssociationRow } from '../../../coordinator/kinds/association.js';
import { allelicChiSquare } from '../../../coordinator/stats/index.js';

describe('the demo QQ summary', () => {
  it('at rank 1 and at the 0.1%, 1%, 10% and 50% quantiles, expected -log10((rank - 0.5) / n) against the observed p', () => {
    const n = 2000;
    const uniform = Array.from({ length: n }, (_, i) => (i + 0.5) / n).reverse();
    const qq = qqSummary(uniform);
    expect(qq.map((q) => [q.rank, q.quantile])).toEqual([[1, null], [2, 0.001], [20, 0.01], [200, 0.1], [1000, 0.5]]);
    for (const q of qq) expect(q.observed).toBeCloseTo(q.expected, 12);
    expect(qqSummary([])).toEqual([]);
    // Fewer tests than 1/quantile: the small quantiles fall on rank 1 and are listed once.
    expect(qqSummary([0.5, 0.01, 0.2]).map((q) => q.rank)).toEqual([1, 2]);
    expect(qqSummary([0]).at(0)?.observed).toBe(Infinity);
  });
});

describe('the demo association check against the unsplit input', () => {
  // 8 samples: 4 EUR (cases), 4 EAS (controls); one biallelic record.
  const table = readPhenotypeTable(`sample\tsuper_pop\n${['EUR', 'EUR', 'EUR', 'EUR', 'EAS', 'EAS', 'EAS', 'EAS'].map((p, i) => `s${i}\t${p}`).join('\n')}\n`);
  const samples = Array.from({ length: 8 }, (_, i) => `s${i}`);
  const gts = ['1/1', '1/1', '0/1', '1/1', '0/0', '0/0', '0/1', './.'];
  const records = [{ samples, line: `1\t100\t.\tA\tG\t.\t.\t.\tGT\t${gts.join('\t')}` }];
  const genotyped = new Set(samples);
  const policy = disclosurePolicy({ k: 1 });
  const t = { caseA1: 7, caseA2: 1, controlA1: 1, controlA2: 5 };
  const chi = allelicChiSquare(t)!;
  const row: AssociationRow = { chrom: '1', pos: 100, ref: 'A', alt: 'G', ac_cases: 7, an_cases: 8, ac_controls: 1, an_controls: 6, chisq: chi.chisq, p: chi.p, or: null, or_l95: null, or_u95: null, p_fisher: null, p_trend: null };
  const section = (shown: AssociationRow): AssociationSection => ({
    contrast: { label: 'test', cases: 'super_pop = EUR', controls: 'super_pop = EAS', file: 'x.tsv', shown: 1 },
    regions: ['1:1-200'], rows: [shown], tested: 1, lambda: null, qq: [], shown: [shown],
  });
  const check = (shown: AssociationRow, p = policy): { bad: number; lines: string[] } => {
    const lines: string[] = [];
    return { bad: checkAssociation(section(shown), records, table, genotyped, p, (l) => lines.push(l)), lines };
  };

  it('accepts the true allele table and chi-square', () => {
    expect(check(row)).toEqual({ bad: 0, lines: [] });
  });

  it('counts and names a wrong allele count, a wrong chi-square and a row missing from the input', () => {
    const wrongAc = check({ ...row, ac_controls: 2 });
    expect(wrongAc.bad).toBe(1);
    expect(wrongAc.lines[0]).toMatch(/MISMATCH test 1:100 A>G: federated allele table 7\/8 vs 2\/6, plaintext 7\/8 vs 1\/6/);
    expect(check({ ...row, chisq: chi.chisq * 1.001 }).bad).toBe(1);
    expect(check({ ...row, alt: 'T' }).lines[0]).toMatch(/no plaintext count/);
  });

  it('under k = 3 the released table carries the same bounds, and the chi-square must be withheld (a cell is 1..2)', () => {
    const k3 = disclosurePolicy({ k: 3 });
    const released = { ...row, ac_cases: '>5', ac_controls: '<3', chisq: null, p: null };
    expect(check(released, k3)).toEqual({ bad: 0, lines: [] });
    expect(check({ ...released, chisq: chi.chisq }, k3).bad).toBe(1);
    expect(check({ ...released, ac_controls: 1 }, k3).bad).toBe(1);
  });
});
