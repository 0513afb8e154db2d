/**
 * The words of the page's disclosure note (coordinator/web/src/note-text.ts,
 * plain functions, no DOM): the remaining budget line for an answer with
 * DP on, with DP off, and with DP on from a coordinator that reports none.
 * The browser test (page.test.ts) sees the DP-off line on the real page.
 */
import { describe, expect, it } from 'vitest';
import { budgetText, noiseText, policyText } from '../../../coordinator/web/src/note-text.js';

const NOISE = { mu: 41.5, sd: Math.sqrt(83) };

describe('the disclosure note\'s words', () => {
  it('with DP on, states the epsilon left as the answer gives it (six decimals at most), and the noise scale', () => {
    expect(budgetText({ noise: NOISE, remainingEpsilon: 7 })).toBe('Remaining privacy budget: epsilon 7 for your token through this coordinator (the smallest over the sites; each query spends its epsilon at every site).');
    expect(budgetText({ noise: NOISE, remainingEpsilon: 0.1 + 0.2 })).toMatch(/^Remaining privacy budget: epsilon 0\.3 for your token/);
    expect(budgetText({ noise: NOISE, remainingEpsilon: 0 })).toMatch(/^Remaining privacy budget: epsilon 0 for your token/);
    expect(noiseText({ noise: NOISE })).toBe('Differential privacy: every count carries Skellam noise with mu = 41.5 (sd = 9.11).');
  });

  it('with DP off, says no budget is spent; with noise but no figure, says it was not reported rather than invent one', () => {
    expect(budgetText({ noise: null, remainingEpsilon: null })).toBe('No privacy budget is spent: differential privacy is off in this network.');
    expect(budgetText({ noise: NOISE, remainingEpsilon: null })).toBe('Remaining privacy budget: not reported by the sites.');
  });

  it('states the small-count policy with k and the rows affected', () => {
    expect(policyText({ policy: { k: 5, smallCounts: 'suppress', roundTo: 5 }, rowsAffected: 3, rules: [] })).toBe('Policy: counts from 1 to 4 (k = 5) are withheld and shown as "<5"; 3 row(s) of this answer affected.');
    expect(policyText({ policy: { k: 10, smallCounts: 'round', roundTo: 10 }, rowsAffected: 0, rules: [] })).toBe('Policy: counts from 1 to 9 (k = 10) are rounded to multiples of 10; 0 row(s) of this answer affected.');
  });
});
