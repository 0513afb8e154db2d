/**
 * The words of the disclosure note (note.ts puts them on the page): plain
 * functions of the answer, no DOM, so a unit test can read them without a
 * browser. The rule behind a withheld cell comes from the note (the API
 * never says which row a rule hit, only how many rows).
 */
import type { DisclosureNote, Outcome } from './types.js';

export function policyText(note: DisclosureNote): string {
  const { k, smallCounts, roundTo } = note.policy;
  if (k <= 1) return `Policy: no small-count rule (k = ${k}); ${note.rowsAffected} row(s) of this answer affected.`;
  const small = smallCounts === 'suppress' ? `are withheld and shown as "<${k}"` : `are rounded to multiples of ${roundTo}`;
  return `Policy: counts from 1 to ${k - 1} (k = ${k}) ${small}; ${note.rowsAffected} row(s) of this answer affected.`;
}

/** Why a value such as "<5" is not a number: the policy and the rules that fired on this answer. */
export function withheldExplanation(value: string, note: DisclosureNote): string {
  const { k } = note.policy;
  const bound = value.startsWith('<')
    ? `Withheld: the network total is below ${value.slice(1)} (counts from 1 to ${k - 1} are not released, k = ${k}).`
    : `Withheld: the network total is above ${value.slice(1)} (released as a bound so that the complementary count, under k = ${k}, cannot be derived).`;
  const rules = note.rules.map((r) => `${r.rule} (${r.action}, ${r.rows} rows): ${r.reason}`);
  return [bound, ...rules].join('\n');
}

export function noiseText(o: Pick<Outcome, 'noise'>): string {
  return o.noise
    ? `Differential privacy: every count carries Skellam noise with mu = ${o.noise.mu} (sd = ${o.noise.sd.toFixed(2)}).`
    : 'No differential-privacy noise: counts are the exact network totals (apart from the policy above).';
}

/**
 * The querier's remaining budget, as the sites signed it (the smallest
 * over them: the network answers only while every site has budget).
 * Budgets are kept in micro-epsilons at the nodes: six decimals say all.
 */
export function budgetText(o: Pick<Outcome, 'noise' | 'remainingEpsilon'>): string {
  if (typeof o.remainingEpsilon === 'number') {
    return `Remaining privacy budget: epsilon ${Number(o.remainingEpsilon.toFixed(6))} for your token through this coordinator (the smallest over the sites; each query spends its epsilon at every site).`;
  }
  return o.noise ? 'Remaining privacy budget: not reported by the sites.' : 'No privacy budget is spent: differential privacy is off in this network.';
}
