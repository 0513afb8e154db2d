/**
 * Downloads. TSV: the whole answer (every row, not only those the table
 * shows), built in the page from the rows it already holds: withheld
 * counts stay as their bound ("<5"), null as NA, the disclosure policy on
 * a leading '#' line so a file that travels on keeps its caveat.
 */
import { ApiError } from './api.js';
import { columnsOf } from './columns.js';
import type { Answer } from './types.js';

export function answerTsv(answer: Answer): string {
  const cols = columnsOf(answer);
  const { k, smallCounts, roundTo } = answer.outcome.disclosure.policy;
  const lines = [`# genofed ${answer.kind} query ${answer.outcome.queryId}; disclosure k=${k} ${smallCounts}${smallCounts === 'round' ? ` to ${roundTo}` : ''}; noise ${answer.outcome.noise ? `mu=${answer.outcome.noise.mu}` : 'none'}`];
  lines.push(cols.map((c) => c.label).join('\t'));
  for (const r of answer.rows) lines.push(cols.map((c) => { const v = c.get(r as never); return v === null || v === undefined ? 'NA' : String(v); }).join('\t'));
  return `${lines.join('\n')}\n`;
}

export function download(answer: Answer): void {
  save(new Blob([answerTsv(answer)], { type: 'text/tab-separated-values' }), `genofed-${answer.kind}-${answer.outcome.queryId}.tsv`);
}

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The sites-only VCF (bgzipped) of an allele-frequency query, written by
 * the coordinator (`?format=vcf.gz`, coordinator/rest/vcf-answer.ts: the
 * file `genofed query af --format vcf` writes) rather than by the page, so
 * there is one VCF writer. A link cannot carry the bearer header, so the
 * page asks with fetch; the query runs again at the sites.
 */
export async function downloadVcf(path: string, body: unknown, token: string): Promise<void> {
  const res = await fetch(`${path}?format=vcf.gz`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, 'the VCF download failed');
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'genofed.vcf.gz';
  save(await res.blob(), name);
}
