/**
 * Disclosure control on network totals (coordinator/disclosure/): every
 * expected value below is computed by hand from the policy text.
 */
import { describe, expect, it } from 'vitest';
import { CoordinatorError } from '../../../coordinator/errors.js';
import { applyAlleleFrequencyPolicy, applyCohortThreshold, disclosurePolicy, roundToMultiple } from '../../../coordinator/disclosure/index.js';

const row = (ac: number, an: number, nhomalt: number) => ({ chrom: '22', pos: 100, ref: 'A', alt: 'G', ac, an, nhomalt, af: an > 0 ? ac / an : null });

describe('cohort threshold', () => {
  it('releases cohorts of k or more and withholds 0..k-1 as "<k" (default k = 5)', () => {
    expect(applyCohortThreshold(5).count).toBe(5);
    expect(applyCohortThreshold(1234).count).toBe(1234);
    for (const c of [0, 1, 4]) expect(applyCohortThreshold(c).count).toBe('<5');
    const note = applyCohortThreshold(3).disclosure;
    expect(note.rowsAffected).toBe(1);
    expect(note.rules.map((r) => [r.rule, r.action, r.rows])).toEqual([['cohort-below-k', 'suppressed', 1]]);
    expect(applyCohortThreshold(7).disclosure).toEqual({ policy: { k: 5, smallCounts: 'suppress', roundTo: 5 }, rowsAffected: 0, rules: [] });
  });

  it('clamps a negative noisy count to 0 before the threshold and says so', () => {
    const { count, disclosure } = applyCohortThreshold(-3, disclosurePolicy({ k: 10 }));
    expect(count).toBe('<10');
    expect(disclosure.rules.map((r) => r.rule).sort()).toEqual(['cohort-below-k', 'noise-clamped']);
  });

  it('a cohort below k is withheld in round mode too', () => {
    expect(applyCohortThreshold(4, disclosurePolicy({ smallCounts: 'round' })).count).toBe('<5');
  });
});

describe('allele-frequency rows, suppress mode (k = 5)', () => {
  it('withholds AC in 1..4 as "<5" and AF with it; AC 0 and AC >= 5 are released', () => {
    const { rows, disclosure } = applyAlleleFrequencyPolicy([row(0, 2000, 0), row(1, 2000, 0), row(4, 2000, 1), row(5, 2000, 0), row(700, 2000, 100)]);
    expect(rows.map((r) => r.ac)).toEqual([0, '<5', '<5', 5, 700]);
    expect(rows.map((r) => r.af)).toEqual([0, null, null, 5 / 2000, 0.35]);
    expect(rows.map((r) => r.an)).toEqual([2000, 2000, 2000, 2000, 2000]);
    expect(rows[2]!.nhomalt).toBe('<5');
    expect(rows[0]).toMatchObject({ chrom: '22', pos: 100, ref: 'A', alt: 'G' });
    expect(disclosure.rowsAffected).toBe(2);
    expect(disclosure.rules.map((r) => [r.rule, r.action, r.rows])).toEqual([
      ['ac-below-k', 'suppressed', 2],
      ['nhomalt-below-k', 'suppressed', 1],
    ]);
  });

  it('withholds AC when AN-AC is in 1..4 (the few reference alleles would be revealed) as ">AN-5"', () => {
    const { rows } = applyAlleleFrequencyPolicy([row(1997, 2000, 997), row(2000, 2000, 1000)]);
    expect(rows[0]!.ac).toBe('>1995');
    expect(rows[0]!.af).toBeNull();
    // 1,000 individuals, 997 hom-alt: 3 are not, so nhomalt is withheld as ">995".
    expect(rows[0]!.nhomalt).toBe('>995');
    expect(rows[1]).toMatchObject({ ac: 2000, af: 1, nhomalt: 1000 });
  });

  it('withholds the whole row when AN < 2k (fewer than k called individuals)', () => {
    const { rows, disclosure } = applyAlleleFrequencyPolicy([row(3, 8, 1), row(0, 0, 0)]);
    expect(rows[0]).toMatchObject({ ac: '<10', an: '<10', nhomalt: '<5', af: null });
    expect(rows[1]).toMatchObject({ ac: 0, an: 0, nhomalt: 0, af: null });
    expect(disclosure.rules.map((r) => [r.rule, r.rows])).toEqual([['cohort-below-k', 1]]);
  });

  it('never lets AF reveal a withheld AC: every row with AC withheld has AF null', () => {
    const input = Array.from({ length: 300 }, (_, i) => row(i % 13, 2 * (i % 40), Math.floor((i % 13) / 3)));
    const { rows } = applyAlleleFrequencyPolicy(input, disclosurePolicy({ k: 7 }));
    for (const r of rows) {
      if (typeof r.ac === 'string') expect(r.af).toBeNull();
      else if (typeof r.an === 'number' && r.an > 0) expect(r.af).toBe(r.ac / r.an);
    }
    expect(rows.some((r) => typeof r.ac === 'string')).toBe(true);
  });

  it('the annotation carries rule names and row counts, never a count value', () => {
    const { disclosure } = applyAlleleFrequencyPolicy([row(3, 123_456, 1)]);
    const text = JSON.stringify(disclosure);
    expect(text).not.toContain('123456');
    expect(text).not.toMatch(/"ac"|"an"/);
  });
});

describe('allele-frequency rows, round mode', () => {
  it('rounds small counts to the nearest multiple of roundTo (k = 5: 1,2 -> 0; 3,4 -> 5) and recomputes AF', () => {
    expect([1, 2, 3, 4, 7, 8].map((v) => roundToMultiple(v, 5))).toEqual([0, 0, 5, 5, 5, 10]);
    const policy = disclosurePolicy({ smallCounts: 'round' });
    const { rows, disclosure } = applyAlleleFrequencyPolicy([row(2, 1000, 0), row(3, 1000, 1), row(998, 1000, 498), row(40, 1000, 2)], policy);
    expect(rows.map((r) => r.ac)).toEqual([0, 5, 1000, 40]);
    expect(rows.map((r) => r.af)).toEqual([0, 0.005, 1, 0.04]);
    // nhomalt 1 -> 0; 498 of 500 -> 2 non-hom-alt -> rounded to 0 -> 500; 2 -> 0.
    expect(rows.map((r) => r.nhomalt)).toEqual([0, 0, 500, 0]);
    expect(disclosure.rules.find((r) => r.rule === 'ref-count-below-k')).toMatchObject({ action: 'rounded', rows: 1 });
  });

  it('rounds to a roundTo other than k', () => {
    const { rows } = applyAlleleFrequencyPolicy([row(4, 1000, 0)], disclosurePolicy({ k: 5, smallCounts: 'round', roundTo: 10 }));
    expect(rows[0]!.ac).toBe(0);
  });
});

describe('noisy totals and policy validation', () => {
  it('clamps noisy totals into range (AC < 0, AC > AN, nhomalt > AC/2) before the rules', () => {
    const { rows, disclosure } = applyAlleleFrequencyPolicy([row(-2, 1000, 0), row(1003, 1000, 400), row(20, 1000, 15)]);
    expect(rows.map((r) => r.ac)).toEqual([0, 1000, 20]);
    expect(rows.map((r) => r.nhomalt)).toEqual([0, 400, 10]);
    expect(disclosure.rules.find((r) => r.rule === 'noise-clamped')).toMatchObject({ action: 'clamped', rows: 3 });
  });

  it('refuses an invalid policy with GENOFED_CONFIG naming the field', () => {
    for (const [literal, field] of [
      [{ k: 0 }, 'disclosure.k'],
      [{ k: 2.5 }, 'disclosure.k'],
      [{ roundTo: -1 }, 'disclosure.roundTo'],
      [{ smallCounts: 'hide' as 'round' }, 'disclosure.smallCounts'],
    ] as const) {
      let err: unknown;
      try {
        disclosurePolicy(literal);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CoordinatorError);
      expect((err as CoordinatorError).code).toBe('GENOFED_CONFIG');
      expect((err as Error).message).toContain(field);
    }
  });
});
