/**
 * The researcher page: asks for the bearer token once, loads the
 * phenotype schema and the sites' health, runs the query the form
 * describes (the allele-frequency answer streamed as NDJSON, with a row
 * count as progress), then shows the disclosure note, the plots and the
 * table. `window.Chart` is set so tests and the browser console can read
 * a plot's data with `Chart.getChart(canvas)`.
 */
import { Chart } from 'chart.js';
import './style.css';
import { ApiError, getJson, postJson, postNdjson } from './api.js';
import { download, downloadVcf } from './download.js';
import { showNote } from './note.js';
import { clearPlots, showPlots } from './plots.js';
import { readQuery, showSchema, syncForm } from './query-form.js';
import { showTable } from './results-table.js';
import { currentToken, forgetToken, saveToken } from './token.js';
import type { AfRow, Answer, AssocRow, ExprRow, Outcome, PhenotypeSchema, Sites } from './types.js';

(window as unknown as { Chart: typeof Chart }).Chart = Chart;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
let answer: Answer | null = null;
/** The request behind `answer` (the VCF download asks the coordinator again with it). */
let asked: { path: string; body: unknown } | null = null;
let busy = false;

function status(text: string, kind: 'busy' | 'done' | 'error'): void {
  $('progress').hidden = kind !== 'busy';
  const t = $('status-text');
  t.textContent = text;
  t.className = kind === 'error' ? 'error' : '';
  document.body.dataset.state = kind;
}

function askToken(message = ''): void {
  forgetToken();
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $<HTMLInputElement>('token').focus();
}

/** Every failure: a 401 asks for the token again; others show the API's code and message. */
function failed(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) return askToken('The coordinator does not know this token.');
  status(err instanceof ApiError ? `${err.code}: ${err.message}` : `error: ${(err as Error).message}`, 'error');
}

async function start(token: string): Promise<void> {
  const schema = await getJson<PhenotypeSchema>('/v1/schema', token);
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  showSchema(schema);
  syncForm();
  status('Ready.', 'done');
  document.body.dataset.ready = 'true';
  getJson<{ sites: { site: string; healthy: boolean }[] }>('/v1/sites', token).then((s) => {
    $('sites').textContent = `${s.sites.filter((x) => x.healthy).length} of ${s.sites.length} sites healthy`;
  }, () => { $('sites').textContent = 'site health unknown'; });
}

type Summary = Outcome & { groupMaxima?: unknown };

async function run(token: string): Promise<void> {
  const q = readQuery();
  busy = true;
  $<HTMLButtonElement>('run').disabled = true;
  clearPlots();
  const started = performance.now();
  try {
    if (q.kind === 'allele-frequency') {
      status('Waiting for the sites...', 'busy');
      const { rows, summary } = await postNdjson<AfRow, Summary>(q.path, q.body, token, (n) => status(`Receiving rows: ${n.toLocaleString('en')}...`, 'busy'));
      answer = { kind: q.kind, rows, by: q.by, outcome: summary };
    } else if (q.kind === 'association') {
      status('Waiting for the sites (association)...', 'busy');
      const a = await postJson<Outcome & { rows: AssocRow[]; lambda: number | null }>(q.path, q.body, token);
      answer = { kind: q.kind, rows: a.rows, lambda: a.lambda, outcome: a };
    } else {
      status('Waiting for the sites (expression)...', 'busy');
      const a = await postJson<Outcome & { rows: ExprRow[]; n: number }>(q.path, q.body, token);
      answer = { kind: q.kind, rows: a.rows, n: a.n, outcome: a };
    }
    asked = { path: q.path, body: q.body };
    $('download-vcf').hidden = answer.kind !== 'allele-frequency';
    showNote(answer.outcome);
    showPlots(answer);
    showTable(answer);
    const missing = answer.outcome.sites.missing as Sites['missing'];
    const extra = answer.kind === 'association' && answer.lambda !== null ? `; genomic inflation lambda ${answer.lambda.toFixed(3)}` : '';
    status(`Done: ${answer.rows.length.toLocaleString('en')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s${extra}${missing.length ? `; sites missing: ${missing.map((m) => m.site).join(', ')}` : ''}.`, 'done');
  } finally {
    busy = false;
    $<HTMLButtonElement>('run').disabled = false;
  }
}

function wire(): void {
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $<HTMLInputElement>('token').value.trim();
    saveToken(t);
    $<HTMLInputElement>('token').value = '';
    start(t).catch(failed);
  });
  $('logout').addEventListener('click', () => askToken());
  $('kind').addEventListener('change', syncForm);
  for (const r of document.querySelectorAll('input[name=target]')) r.addEventListener('change', syncForm);
  $('query-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = currentToken();
    if (!token) return askToken();
    if (busy) return;
    run(token).catch(failed);
  });
  $('download-tsv').addEventListener('click', () => { if (answer) download(answer); });
  $('download-vcf').addEventListener('click', () => {
    const token = currentToken();
    if (!token) return askToken();
    if (asked) downloadVcf(asked.path, asked.body, token).catch(failed);
  });
}

wire();
const token = currentToken();
if (token) start(token).catch(failed);
else askToken();
