/**
 * The answer's disclosure note, noise scale and the querier's remaining
 * budget, shown beside the results (the words: note-text.ts).
 */
import { budgetText, noiseText, policyText } from './note-text.js';
import type { Outcome } from './types.js';

export { withheldExplanation } from './note-text.js';

const $ = (id: string): HTMLElement => document.getElementById(id)!;

export function showNote(o: Outcome): void {
  $('note').hidden = false;
  $('note-policy').textContent = policyText(o.disclosure);
  const list = $('note-rules');
  list.replaceChildren(...o.disclosure.rules.map((r) => {
    const li = document.createElement('li');
    li.textContent = `${r.rule}: ${r.action} in ${r.rows} row(s). ${r.reason}${r.strata?.length ? ` Strata: ${r.strata.join('; ')}.` : ''}`;
    return li;
  }));
  $('note-noise').textContent = noiseText(o);
  $('note-budget').textContent = budgetText(o);
}
