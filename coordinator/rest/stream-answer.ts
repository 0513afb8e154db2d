/**
 * Large answers as streams (issue 11): the allele-frequency answer as
 * NDJSON (`Accept: application/x-ndjson`) or as the CLI's TSV table
 * (`Accept: text/tab-separated-values`), written in pieces of ROWS_PER_PIECE
 * rows instead of one JSON document (a 1M-row answer is ~100 MB of JSON
 * built as one string). JSON stays the default for every other Accept.
 *
 * NDJSON: one `{"type":"row", ...}` object per row (the JSON form's row
 * fields), then one `{"type":"summary", queryId, groupMaxima, sites,
 * disclosure, noise[, unresolved]}` line. TSV: the table `genofed query af`
 * prints (header first), and the summary in response headers
 * (`x-genofed-query-id`, `x-genofed-disclosure`, `x-genofed-noise`,
 * `x-genofed-sites`: JSON). Only declared fields leave, as in serialize.ts.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { afTsv } from '../client/format.js';
import type { AlleleFrequencyAnswer } from '../federation/types.js';
import { afRow, afSummary } from './serialize.js';

export type AnswerFormat = 'json' | 'ndjson' | 'tsv';

export const NDJSON = 'application/x-ndjson';
export const TSV = 'text/tab-separated-values';

/** Rows per written piece. */
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

function* ndjsonPieces(a: AlleleFrequencyAnswer): Generator<string> {
  let piece = '';
  for (let i = 0; i < a.rows.length; i++) {
    piece += `${JSON.stringify({ type: 'row', ...afRow(a.rows[i]!) })}\n`;
    if ((i + 1) % ROWS_PER_PIECE === 0) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}${JSON.stringify({ type: 'summary', ...afSummary(a) })}\n`;
}

function* tsvPieces(a: AlleleFrequencyAnswer, by: readonly string[] | undefined, exists: boolean): Generator<string> {
  let piece = '';
  let n = 0;
  for (const line of afTsv(a.rows, by, { exists })) {
    piece += line;
    if (++n % ROWS_PER_PIECE === 0) {
      yield piece;
      piece = '';
    }
  }
  if (piece) yield piece;
}

/** Send the answer in the asked form (JSON: the route's own serializer). */
export function sendAnswer(reply: FastifyReply, a: AlleleFrequencyAnswer, format: AnswerFormat, o: { by?: readonly string[]; exists: boolean }): AlleleFrequencyAnswer | FastifyReply {
  if (format === 'json') return a;
  reply.header('x-genofed-query-id', String(a.queryId));
  if (format === 'ndjson') return reply.type(`${NDJSON}; charset=utf-8`).send(Readable.from(ndjsonPieces(a)));
  const s = afSummary({ ...a, groupMaxima: null });
  reply.header('x-genofed-disclosure', JSON.stringify(s.disclosure));
  reply.header('x-genofed-noise', JSON.stringify(s.noise));
  reply.header('x-genofed-sites', JSON.stringify(s.sites));
  return reply.type(`${TSV}; charset=utf-8`).send(Readable.from(tsvPieces(a, o.by, o.exists)));
}
