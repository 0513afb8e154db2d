/**
 * The nodes' withholding rule (proto/query.ts populationsToWithhold), by
 * hand-worked cases: a cell of 1..k-1 is withheld, and more cells (smallest
 * first) until the cohort minus the released cells is 0 or >= k people.
 */
import { describe, expect, it } from 'vitest';
import { populationsToWithhold, type Population } from '../../proto/query.js';

const cohort: Population = { label: 'cohort', onSmall: 'refuse' };
const cell = (label: string): Population => ({ label, onSmall: 'withhold' });
const rest: Population = { label: 'cohort members in no stratum', onSmall: 'withhold', sizeOnly: true };
const pops = [cohort, cell('A'), cell('B'), cell('C'), rest];

describe('populationsToWithhold (k = 5)', () => {
  it('withholds nothing when every cell is 0 or >= k and no one is outside the cells', () => {
    expect(populationsToWithhold(pops, [30, 10, 20, 0, 0], 5)).toEqual({ withheld: [] });
  });

  it('a cell of 3 is withheld together with the next smallest non-empty cell (3 + 10 >= 5)', () => {
    expect(populationsToWithhold(pops, [33, 3, 20, 10, 0], 5)).toEqual({ withheld: [1, 3] });
  });

  it('two small cells that already make k together are enough on their own', () => {
    expect(populationsToWithhold(pops, [32, 2, 3, 27, 0], 5)).toEqual({ withheld: [1, 2] });
  });

  it('2 people outside every cell (size-only) withhold the smallest cell; empty cells are skipped; ties go to the lower index', () => {
    expect(populationsToWithhold(pops, [42, 20, 0, 20, 2], 5)).toEqual({ withheld: [1] });
    expect(populationsToWithhold(pops, [32, 25, 0, 5, 2], 5)).toEqual({ withheld: [3] });
  });

  it('k or more people outside the cells need nothing withheld; a small cohort refuses, naming it', () => {
    expect(populationsToWithhold(pops, [35, 10, 10, 10, 5], 5)).toEqual({ withheld: [] });
    expect(populationsToWithhold(pops, [4, 2, 2, 0, 0], 5)).toEqual({ refuse: 'cohort' });
  });

  it('when every cell is withheld the loop stops (the all-sample block is the cohort itself)', () => {
    expect(populationsToWithhold([cohort, cell('A'), rest], [6, 2, 4], 5)).toEqual({ withheld: [1] });
    // (Only reachable without a verified cohort: with one, the cells plus the remainder are the cohort, >= k.)
    expect(populationsToWithhold([cell('A'), cell('B'), rest], [2, 0, 1], 5)).toEqual({ withheld: [0] });
    expect(populationsToWithhold([cohort, cell('A'), cell('B'), rest], [4, 3, 0, 1], 2)).toEqual({ withheld: [1] });
  });

  it('a size list that does not match the populations refuses', () => {
    expect(populationsToWithhold(pops, [30, 10], 5)).toEqual({ refuse: 'population list' });
  });
});
