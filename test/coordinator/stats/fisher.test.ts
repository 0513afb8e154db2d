/**
 * Fisher's exact test: known values, an exact brute force (BigInt binomials
 * over the whole support) for small tables, and symmetries (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fisherExact, type AlleleTable } from '../../../coordinator/stats/index.js';

const t = (caseA1: number, caseA2: number, controlA1: number, controlA2: number): AlleleTable => ({ caseA1, caseA2, controlA1, controlA2 });
const rel = (x: number, y: number): number => (x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));

function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** R's definition over every table with the observed margins, probabilities from exact integers. */
function bruteForce({ caseA1: a, caseA2: b, controlA1: c, controlA2: d }: AlleleTable): number {
  const r1 = a + b;
  const r2 = c + d;
  const c1 = a + c;
  const den = Number(choose(r1 + r2, c1));
  const prob = (x: number): number => Number(choose(r1, x) * choose(r2, c1 - x)) / den;
  const observed = prob(a) * (1 + 1e-7);
  let p = 0;
  for (let x = Math.max(0, c1 - r2); x <= Math.min(r1, c1); x++) if (prob(x) <= observed) p += prob(x);
  return Math.min(1, p);
}

describe('Fisher exact test, two-sided', () => {
  it("gives Fisher's tea-tasting p of 0.4857 (R: fisher.test(matrix(c(3, 1, 1, 3), 2)))", () => {
    expect(rel(fisherExact(t(3, 1, 1, 3)), 0.4857142857142857)).toBeLessThan(1e-14);
  });

  it('gives 1 when the margins allow a single table (a zero margin, the empty table) and when the observed table is the mode', () => {
    expect(fisherExact(t(0, 0, 0, 0))).toBe(1);
    expect(fisherExact(t(0, 12, 0, 12))).toBe(1);
    expect(fisherExact(t(12, 0, 12, 0))).toBe(1);
    expect(fisherExact(t(3, 0, 0, 0))).toBe(1);
    expect(fisherExact(t(6, 6, 6, 6))).toBe(1);
  });

  it('matches PLINK on its synthetic zero-cell tables (0.001346, 0.09317, 7.396e-07)', () => {
    expect(fisherExact(t(12, 0, 4, 8)).toPrecision(4)).toBe('0.001346');
    expect(fisherExact(t(0, 12, 4, 8)).toPrecision(4)).toBe('0.09317');
    expect(fisherExact(t(0, 12, 12, 0)).toPrecision(4)).toBe('7.396e-7');
  });

  it('equals the exact brute force over the whole support on small tables, to 1e-12', () => {
    const small = fc.integer({ min: 0, max: 30 });
    fc.assert(
      fc.property(small, small, small, small, (a, b, c, d) => {
        const tab = t(a, b, c, d);
        expect(rel(fisherExact(tab), bruteForce(tab))).toBeLessThan(1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('is the same for swapped groups, swapped alleles and the transposed table, and lies in [0, 1] (0 only below ~1e-308)', () => {
    const n = fc.integer({ min: 0, max: 3000 });
    fc.assert(
      fc.property(n, n, n, n, (a, b, c, d) => {
        const p = fisherExact(t(a, b, c, d));
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        for (const q of [fisherExact(t(c, d, a, b)), fisherExact(t(b, a, d, c)), fisherExact(t(a, c, b, d))]) {
          if (p < 1e-290) expect(q).toBeLessThan(1e-290); // subnormal range: no relative precision left
          else expect(rel(p, q)).toBeLessThan(1e-12);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact without overflow at gnomAD scale (10^5 alleles a group)', () => {
    const p = fisherExact(t(2000, 98_000, 2300, 97_700));
    // R: fisher.test(matrix(c(2000, 2300, 98000, 97700), 2))$p.value = 4.002282e-06
    expect(p.toPrecision(7)).toBe('0.000004002282');
    expect(rel(p, fisherExact(t(2300, 97_700, 2000, 98_000)))).toBeLessThan(1e-12);
  });
});
