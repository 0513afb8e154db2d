/**
 * Large allele-frequency answers stream over REST (issue 11): a real HTTP
 * client (fetch over a socket) asking `Accept: application/x-ndjson` gets
 * one row object per line in several body chunks, then a summary line;
 * `Accept: text/tab-separated-values` gets the CLI's TSV table and the
 * summary in headers; any other Accept gets the JSON document. The rows
 * are the JSON form's rows, field for field, written out here by hand.
 */
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
    expect(lines[ROWS]).toEqual({ type: 'summary', queryId: 'q-big', groupMaxima: null, sites: { responding: ['a', 'b', 'c'], missing: [] }, disclosure: AF_NOTE, noise: null });
  });

  it('TSV: the CLI table with the summary in headers', async () => {
    const { res, chunks, text } = await post('text/tab-separated-values');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/tab-separated-values/);
    expect(chunks).toBeGreaterThan(1);
    const lines = text.split('\n');
    expect(lines[0]).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt');
    expect(lines[1]).toBe('22\t100\tA\tG\t0\t600\t0\t0');
    expect(lines[8]).toBe('22\t107\tA\tG\t<5\t600\t.\t0');
    expect(lines).toHaveLength(ROWS + 2); // header, rows, and the empty string after the last '\n'
    expect(JSON.parse(res.headers.get('x-genofed-disclosure')!)).toEqual(AF_NOTE);
    expect(JSON.parse(res.headers.get('x-genofed-noise')!)).toBeNull();
    expect(JSON.parse(res.headers.get('x-genofed-sites')!)).toEqual({ responding: ['a', 'b', 'c'], missing: [] });
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
