/**
 * Cochran-Armitage trend test: PLINK's numbers, undefined cases, symmetries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trendTest, type GenotypeCounts } from '../../../coordinator/stats/index.js';

const g = (homRef: number, het: number, homAlt: number): GenotypeCounts => ({ homRef, het, homAlt });
const rel = (x: number, y: number): number => (x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));

describe('Cochran-Armitage trend test', () => {
  it('gives PLINK --model TREND 13.86 (p 0.0001967) on 1000G rs367896724, EUR cases 138/322/43 vs EAS controls 201/267/36', () => {
    const r = trendTest({ cases: g(138, 322, 43), controls: g(201, 267, 36) })!;
    expect([r.chisq.toPrecision(4), r.p.toPrecision(4)]).toEqual(['13.86', '0.0001967']);
  });

  it('gives 7.385 for all-ALT cases against controls 3/2/1 (PLINK synthetic)', () => {
    expect(trendTest({ cases: g(0, 0, 6), controls: g(3, 2, 1) })!.chisq.toPrecision(4)).toBe('7.385');
  });

  it('is null with no cases or no controls, or when every called sample has the same genotype', () => {
    expect(trendTest({ cases: g(0, 0, 0), controls: g(3, 2, 1) })).toBeNull();
    expect(trendTest({ cases: g(0, 6, 0), controls: g(0, 6, 0) })).toBeNull();
    expect(trendTest({ cases: g(5, 0, 0), controls: g(7, 0, 0) })).toBeNull();
  });

  it('is unchanged by swapping cases with controls or REF with ALT scoring, and gives p in [0, 1]', () => {
    const n = fc.integer({ min: 0, max: 3000 });
    fc.assert(
      fc.property(n, n, n, n, n, n, (a, b, c, d, e, f) => {
        const r = trendTest({ cases: g(a, b, c), controls: g(d, e, f) });
        if (r === null) return;
        expect(r.p).toBeGreaterThanOrEqual(0);
        expect(r.p).toBeLessThanOrEqual(1);
        expect(rel(trendTest({ cases: g(d, e, f), controls: g(a, b, c) })!.chisq, r.chisq)).toBeLessThan(1e-13);
        expect(rel(trendTest({ cases: g(c, b, a), controls: g(f, e, d) })!.chisq, r.chisq)).toBeLessThan(1e-13);
      }),
    );
  });
});
