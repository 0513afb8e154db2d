/**
 * The answer's disclosure note, noise scale and budget, shown beside the
 * results, and the hover text of a withheld cell: the rule comes from the
 * note (the API never says which row a rule hit, only how many rows).
 */
import type { DisclosureNote, Outcome } from './types.js';

const $ = (id: string): HTMLElement => document.getElementById(id)!;

function policyText(note: DisclosureNote): string {
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

export function showNote(o: Outcome): void {
  $('note').hidden = false;
  $('note-policy').textContent = policyText(o.disclosure);
  const list = $('note-rules');
  list.replaceChildren(...o.disclosure.rules.map((r) => {
    const li = document.createElement('li');
    li.textContent = `${r.rule}: ${r.action} in ${r.rows} row(s). ${r.reason}${r.strata?.length ? ` Strata: ${r.strata.join('; ')}.` : ''}`;
    return li;
  }));
  $('note-noise').textContent = o.noise
    ? `Differential privacy: every count carries Skellam noise with mu = ${o.noise.mu} (sd = ${o.noise.sd.toFixed(2)}).`
    : 'No differential-privacy noise: counts are the exact network totals (apart from the policy above).';
  // The REST API does not report a querier's budget (nodes keep it); say so rather than invent one.
  $('note-budget').textContent = 'Remaining privacy budget: not reported by this coordinator.';
}
