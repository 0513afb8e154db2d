/**
 * Large allele-frequency answers stream over REST (issue 11): a real HTTP
 * client (fetch, or node:http for trailers, over a socket) asking
 * `Accept: application/x-ndjson` gets one row object per line in several
 * body chunks, written as the federation releases pieces, then a summary
 * line; `Accept: text/tab-separated-values` gets the CLI's TSV table, the
 * query id, noise and sites in headers and the disclosure note as an HTTP
 * trailer; any other Accept gets the JSON document. A failure before the
 * first row is an ordinary error response; after it, NDJSON ends with an
 * error line (no summary) and TSV is cut (the chunked body never ends).
 * The rows are the JSON form's rows, field for field, written out here by
 * hand.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { answerFormat } from '../../../coordinator/rest/stream-answer.js';
import type { AlleleFrequencyRow } from '../../../coordinator/federation/types.js';
import { AF_NOTE, FakeFederation, auth, tokens } from './fake-federation.js';

const ROWS = 20_000;
let app: FastifyInstance;
let base: string;
const fed = new FakeFederation();

beforeAll(async () => {
  const rows: AlleleFrequencyRow[] = Array.from({ length: ROWS }, (_, i) => (i === 7
    ? { chrom: '22', pos: 100 + i, ref: 'A', alt: 'G', ac: '<5', an: 600, af: null, nhomalt: 0, faf95: null }
    : { chrom: '22', pos: 100 + i, ref: 'A', alt: 'G', ac: i % 50, an: 600, af: (i % 50) / 600, nhomalt: 0, faf95: null }));
  fed.afAnswer = { queryId: 'q-big', rows, groupMaxima: null, sites: { responding: ['a', 'b', 'c'], missing: [] }, disclosure: AF_NOTE, noise: null };
  app = await buildRestApp({ federation: fed, tokens });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
afterAll(async () => {
  await app.close();
});

async function post(accept: string): Promise<{ res: Response; chunks: number; text: string }> {
  const res = await fetch(`${base}/v1/queries/allele-frequency`, { method: 'POST', headers: { ...auth, accept, 'content-type': 'application/json' }, body: JSON.stringify({ region: '22' }) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks += 1;
    text += decoder.decode(value, { stream: true });
  }
  return { res, chunks, text };
}

/** POST over node:http, which exposes trailers and tells a cut chunked body from a complete one. */
function rawPost(accept: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; trailers: Record<string, string | undefined>; text: string; complete: boolean }> {
  const payload = JSON.stringify({ region: '22' });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/v1/queries/allele-frequency`, { method: 'POST', headers: { ...auth, accept, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      const finish = (complete: boolean): void => resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, text, complete });
      res.on('end', () => finish(true));
      res.on('aborted', () => finish(false));
      res.on('error', () => finish(false));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('streamed allele-frequency answers', () => {
  it('NDJSON: one row per line in several chunks, then the summary', async () => {
    const { res, chunks, text } = await post('application/x-ndjson');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('x-genofed-query-id')).toBe('q-big');
    expect(chunks).toBeGreaterThan(1);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines[0]).toEqual({ type: 'row', chrom: '22', pos: 100, ref: 'A', alt: 'G', ac: 0, an: 600, af: 0, nhomalt: 0, faf95: null });
    expect(lines[7]).toEqual({ type: 'row', chrom: '22', pos: 107, ref: 'A', alt: 'G', ac: '<5', an: 600, af: null, nhomalt: 0, faf95: null });
    expect(lines[ROWS - 1]).toMatchObject({ type: 'row', pos: 100 + ROWS - 1, ac: (ROWS - 1) % 50 });
    expect(lines[ROWS]).toEqual({ type: 'summary', queryId: 'q-big', groupMaxima: null, sites: { responding: ['a', 'b', 'c'], missing: [] }, disclosure: AF_NOTE, noise: null, remainingEpsilon: null });
  });

  it('TSV: the CLI table, the summary in headers and the disclosure note as a trailer', async () => {
    const { status, headers, trailers, text, complete } = await rawPost('text/tab-separated-values');
    expect(status).toBe(200);
    expect(complete).toBe(true);
    expect(headers['content-type']).toMatch(/^text\/tab-separated-values/);
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(headers.trailer).toMatch(/x-genofed-disclosure/);
    const lines = text.split('\n');
    expect(lines[0]).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt');
    expect(lines[1]).toBe('22\t100\tA\tG\t0\t600\t0\t0');
    expect(lines[8]).toBe('22\t107\tA\tG\t<5\t600\t.\t0');
    expect(lines).toHaveLength(ROWS + 2); // header, rows, and the empty string after the last '\n'
    expect(JSON.parse(trailers['x-genofed-disclosure']!)).toEqual(AF_NOTE);
    expect(headers['x-genofed-query-id']).toBe('q-big');
    expect(JSON.parse(headers['x-genofed-noise'] as string)).toBeNull();
    expect(JSON.parse(headers['x-genofed-remaining-epsilon'] as string)).toBeNull();
    expect(JSON.parse(headers['x-genofed-sites'] as string)).toEqual({ responding: ['a', 'b', 'c'], missing: [] });
  });

  it('a query refused before its first row is an ordinary error response', async () => {
    fed.failWith = Object.assign(new Error('site b: refused with GENOFED_COHORT_TOO_SMALL'), { code: 'GENOFED_SITE_FAILED', httpStatus: 502 });
    try {
      for (const accept of ['application/x-ndjson', 'text/tab-separated-values']) {
        const { res, text } = await post(accept);
        expect(res.status).toBe(502);
        expect(JSON.parse(text)).toEqual({ error: { code: 'GENOFED_SITE_FAILED', message: 'site b: refused with GENOFED_COHORT_TOO_SMALL' } });
      }
    } finally {
      fed.failWith = null;
    }
  });

  it('a failure after rows were sent: NDJSON ends with an error line and no summary, TSV is cut', async () => {
    fed.failWith = Object.assign(new Error('network total failed decryption or its noise-budget check; nothing (more) released'), { code: 'GENOFED_DECRYPT_FAILED', httpStatus: 502 });
    fed.failAfterPieces = 3;
    try {
      const { res, text } = await post('application/x-ndjson');
      expect(res.status).toBe(200);
      const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(3 * fed.pieceRows + 1);
      expect(lines.slice(0, -1).every((l) => l.type === 'row')).toBe(true);
      expect(lines.at(-1)).toEqual({ type: 'error', error: { code: 'GENOFED_DECRYPT_FAILED', message: 'network total failed decryption or its noise-budget check; nothing (more) released' } });
      const tsv = await rawPost('text/tab-separated-values');
      expect(tsv.status).toBe(200);
      expect(tsv.complete).toBe(false);
      expect(tsv.trailers['x-genofed-disclosure']).toBeUndefined();
      expect(tsv.text.split('\n').length).toBeLessThanOrEqual(3 * fed.pieceRows + 2);
    } finally {
      fed.failWith = null;
      fed.failAfterPieces = undefined;
    }
  });

  it('JSON stays the default, and the rows agree with the NDJSON rows', async () => {
    const json = await post('application/json');
    expect(json.res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(json.text) as { rows: object[] };
    const nd = (await post('application/x-ndjson')).text.trimEnd().split('\n').slice(0, ROWS).map((l) => {
      const { type, ...row } = JSON.parse(l) as Record<string, unknown>;
      expect(type).toBe('row');
      return row;
    });
    expect(nd).toEqual(body.rows);
    expect((await post('*/*')).res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('reads the Accept header in order, skipping q=0', () => {
    expect(answerFormat(undefined)).toBe('json');
    expect(answerFormat('text/tab-separated-values, application/x-ndjson')).toBe('tsv');
    expect(answerFormat('application/x-ndjson;q=0, text/tab-separated-values;q=0.5')).toBe('tsv');
    expect(answerFormat('application/x-ndjson; q=0.0')).toBe('json');
    expect(answerFormat('APPLICATION/X-NDJSON')).toBe('ndjson');
  });
});
