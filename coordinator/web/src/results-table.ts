/**
 * The results table: every column of the answer, sortable by a header
 * button (keyboard: Tab to it, Enter or Space), withheld counts shown as
 * the API's bound ("<5") with the rule on hover. Each cell keeps the raw
 * API value in `data-value` (tests compare it with the REST answer).
 * The DOM holds at most MAX_SHOWN rows: the whole answer is in the download.
 */
import { columnsOf, display, isWithheld, type Column } from './columns.js';
import { withheldExplanation } from './note.js';
import type { Answer } from './types.js';

/** 2,000 rows keep sorting and re-rendering under ~50 ms; the MTHFR window by super_pop has ~26,000. */
const MAX_SHOWN = 2000;

let current: { answer: Answer; cols: Column[]; order: number[]; sortBy: number; dir: 1 | -1 } | null = null;

/** Numbers sort by value; withheld bounds, NA and text after them (text among itself). */
function compare(a: unknown, b: unknown): number {
  const na = typeof a === 'number';
  const nb = typeof b === 'number';
  if (na && nb) return a - b;
  if (na !== nb) return na ? -1 : 1;
  return String(a ?? '').localeCompare(String(b ?? ''), undefined, { numeric: true });
}

export function showTable(answer: Answer): void {
  const cols = columnsOf(answer);
  current = { answer, cols, order: answer.rows.map((_, i) => i), sortBy: -1, dir: 1 };
  render();
}

function sort(col: number): void {
  if (!current) return;
  current.dir = current.sortBy === col ? (current.dir === 1 ? -1 : 1) : 1;
  current.sortBy = col;
  const get = current.cols[col]!.get;
  const rows = current.answer.rows as never[];
  const dir = current.dir;
  // Missing values stay last in both directions; ties keep the API's order (stable sort).
  current.order.sort((i, j) => {
    const a = get(rows[i]!);
    const b = get(rows[j]!);
    const ma = typeof a !== 'number' && (a === null || a === undefined || isWithheld(a));
    const mb = typeof b !== 'number' && (b === null || b === undefined || isWithheld(b));
    if (ma !== mb) return ma ? 1 : -1;
    return dir * compare(a, b);
  });
  render();
  document.querySelector<HTMLButtonElement>(`#results-table th:nth-child(${col + 1}) button`)?.focus();
}

function render(): void {
  if (!current) return;
  const { answer, cols, order, sortBy, dir } = current;
  const table = document.getElementById('results-table') as HTMLTableElement;
  const head = document.createElement('tr');
  cols.forEach((c, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.setAttribute('aria-sort', i === sortBy ? (dir === 1 ? 'ascending' : 'descending') : 'none');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = c.label + (i === sortBy ? (dir === 1 ? ' \u25b2' : ' \u25bc') : '');
    b.addEventListener('click', () => sort(i));
    th.append(b);
    head.append(th);
  });
  table.tHead!.replaceChildren(head);
  const body = document.createDocumentFragment();
  const note = answer.outcome.disclosure;
  for (const idx of order.slice(0, MAX_SHOWN)) {
    const row = answer.rows[idx]!;
    const tr = document.createElement('tr');
    for (const c of cols) {
      const v = c.get(row as never);
      const td = document.createElement('td');
      td.textContent = display(v, c.stat === true);
      td.dataset.value = JSON.stringify(v ?? null);
      if (isWithheld(v)) {
        td.className = 'withheld';
        td.title = withheldExplanation(v, note);
        td.tabIndex = 0;
      }
      tr.append(td);
    }
    body.append(tr);
  }
  table.tBodies[0]!.replaceChildren(body);
  const shown = Math.min(MAX_SHOWN, answer.rows.length);
  document.getElementById('results-info')!.textContent = `${answer.rows.length.toLocaleString('en')} rows (query ${answer.outcome.queryId}; sites ${answer.outcome.sites.responding.join(', ')})` +
    (shown < answer.rows.length ? `; the table shows the first ${shown.toLocaleString('en')} in this order, the download has all.` : '.');
  document.getElementById('results')!.hidden = false;
}
