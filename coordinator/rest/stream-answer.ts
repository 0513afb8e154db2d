/**
 * Large answers as streams (issue 11): the allele-frequency answer as
 * NDJSON (`Accept: application/x-ndjson`) or as the CLI's TSV table
 * (`Accept: text/tab-separated-values`), written as the coordinator
 * releases rows (each piece as the sites' chunks complete:
 * Federation.alleleFrequencyStream), instead of one JSON document after
 * the last site. JSON stays the default for every other Accept.
 *
 * The status line waits for the sites' checked headers: a query refused
 * before any row (bad request, a site failing, the size round) is an
 * ordinary error response. Then:
 * - NDJSON: one `{"type":"row", ...}` object per row (the JSON form's row
 *   fields), then one `{"type":"summary", queryId, groupMaxima, sites,
 *   disclosure, noise, remainingEpsilon[, unresolved]}` line. A failure
 *   after rows were sent ends the body with
 *   `{"type":"error","error":{code,message}}` instead of the summary: the
 *   rows before it are not the whole answer.
 * - TSV: the table `genofed query af` prints (header first); headers
 *   `x-genofed-query-id`, `x-genofed-noise`, `x-genofed-remaining-epsilon`,
 *   `x-genofed-sites` (JSON), and the disclosure note, known only after
 *   the last row, as the HTTP trailer `x-genofed-disclosure`. A failure after rows were sent aborts
 *   the response (the chunked body never ends: clients see a cut transfer).
 * Only declared fields leave, as in serialize.ts.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { afTsvRows } from '../client/format.js';
import type { AlleleFrequencyAnswer, AlleleFrequencyRow, RowSink } from '../federation/types.js';
import { toErrorReply } from './error-handler.js';
import { afRow, afSummary, noise, remaining, sites } from './serialize.js';

export type AnswerFormat = 'json' | 'ndjson' | 'tsv';

export const NDJSON = 'application/x-ndjson';
export const TSV = 'text/tab-separated-values';

/** Rows per written piece (a released piece of the engine is cut to this). */
const ROWS_PER_PIECE = 4096;

/**
 * The form an Accept header asks for: the first of NDJSON or TSV it names
 * with a non-zero q (media ranges in the order given), else JSON.
 */
export function answerFormat(accept: string | undefined): AnswerFormat {
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    if (params.some((p) => /^q=0(?:\.0*)?$/.test(p))) continue;
    if (type === NDJSON) return 'ndjson';
    if (type === TSV) return 'tsv';
  }
  return 'json';
}

type Rest = Omit<AlleleFrequencyAnswer, 'rows'>;

/**
 * Run the query with a sink that writes each released piece to the
 * response; resolves with the reply once the headers are sent (the body
 * goes on streaming), or rejects (an ordinary error response) when the
 * query failed before its first row.
 */
export async function streamAnswer(
  reply: FastifyReply,
  format: 'ndjson' | 'tsv',
  run: (sink: RowSink<AlleleFrequencyRow>) => Promise<Rest>,
  o: { by?: readonly string[]; exists: boolean },
): Promise<FastifyReply> {
  const body = new PassThrough();
  const tsv = afTsvRows(o.by, { exists: o.exists });
  let started = false;
  let onStart!: () => void;
  const startedP = new Promise<void>((r) => { onStart = r; });
  let disclosure = '';
  const write = (rows: readonly AlleleFrequencyRow[]): void => {
    for (let i = 0; i < rows.length; i += ROWS_PER_PIECE) {
      let piece = '';
      const end = Math.min(rows.length, i + ROWS_PER_PIECE);
      for (let j = i; j < end; j++) piece += format === 'ndjson' ? `${JSON.stringify({ type: 'row', ...afRow(rows[j]!) })}\n` : tsv.row(rows[j]!);
      body.write(piece);
    }
  };
  const sink: RowSink<AlleleFrequencyRow> = {
    start(info) {
      started = true;
      reply.header('x-genofed-query-id', info.queryId);
      if (format === 'tsv') {
        reply.header('x-genofed-noise', JSON.stringify(noise(info.noise)));
        reply.header('x-genofed-remaining-epsilon', JSON.stringify(remaining(info.remainingEpsilon)));
        reply.header('x-genofed-sites', JSON.stringify(sites(info.sites)));
        reply.trailer('x-genofed-disclosure', (_reply, _payload, done) => done(null, disclosure));
      }
      onStart();
    },
    rows: write,
  };
  const done = run(sink).then(
    (rest) => {
      if (format === 'ndjson') body.end(`${JSON.stringify({ type: 'summary', ...afSummary(rest) })}\n`);
      else {
        disclosure = JSON.stringify(afSummary(rest).disclosure);
        body.end(tsv.end());
      }
    },
    (err: unknown) => {
      if (!started) throw err;
      // Rows are out: the status line cannot change. Say it in the body (NDJSON) or cut the transfer (TSV).
      const e = toErrorReply(err);
      reply.log[e.status >= 500 ? 'error' : 'info']({ err, code: e.code }, 'streamed answer failed after rows were sent');
      if (format === 'ndjson') body.end(`${JSON.stringify({ type: 'error', error: { code: e.code, message: e.message } })}\n`);
      else body.destroy(new Error(`answer incomplete: ${e.code}`));
    },
  );
  await Promise.race([startedP, done]);
  return reply.type(`${format === 'ndjson' ? NDJSON : TSV}; charset=utf-8`).send(body);
}
