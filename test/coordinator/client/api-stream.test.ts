/**
 * The API client's streamed allele-frequency answer against a plain HTTP
 * server scripting the NDJSON body: rows come out one by one across body
 * chunks that split lines anywhere; the summary is available after the
 * rows; a body cut before its summary line, a line that is not JSON, an
 * error line after some rows, and an error status each fail with a
 * genofed error, not a partial answer.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../coordinator/client/api-client.js';

let server: Server;
let url = '';
let script: { status: number; type: string; pieces: string[] } = { status: 200, type: 'application/x-ndjson', pieces: [] };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      void (async () => {
        res.writeHead(script.status, { 'content-type': script.type });
        for (const p of script.pieces) {
          res.write(p);
          await new Promise((r) => setTimeout(r, 5));
        }
        res.end();
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const row = (pos: number): string => JSON.stringify({ type: 'row', chrom: '1', pos, ref: 'A', alt: 'C', ac: 1, an: 10, af: 0.1, nhomalt: 0, faf95: null });
const summary = JSON.stringify({ type: 'summary', queryId: 'q1', groupMaxima: null, sites: { responding: ['a'], missing: [] }, disclosure: { policy: { k: 5, smallCounts: 'suppress', roundTo: 5 }, rowsAffected: 0, rules: [] }, noise: null });

async function collect(): Promise<{ rows: unknown[]; summary: () => unknown }> {
  const s = new ApiClient({ url, token: 't' }).alleleFrequencyStream({ region: '1' });
  const rows: unknown[] = [];
  for await (const r of s.rows) rows.push(r);
  return { rows, summary: s.summary };
}

describe('ApiClient.alleleFrequencyStream', () => {
  it('yields rows across chunks that split lines, then gives the summary', async () => {
    const body = `${row(1)}\n${row(2)}\n${row(3)}\n${summary}\n`;
    script = { status: 200, type: 'application/x-ndjson', pieces: [body.slice(0, 7), body.slice(7, 150), body.slice(150)] };
    const got = await collect();
    expect(got.rows.map((r) => (r as { pos: number }).pos)).toEqual([1, 2, 3]);
    expect(got.rows[0]).not.toHaveProperty('type');
    expect(got.summary()).toMatchObject({ queryId: 'q1', sites: { responding: ['a'] } });
  });

  it('fails when the body ends before the summary, or a line is not JSON', async () => {
    script = { status: 200, type: 'application/x-ndjson', pieces: [`${row(1)}\n${row(2)}\n`] };
    const cut = await collect();
    expect(cut.rows).toHaveLength(2);
    expect(() => cut.summary()).toThrow(expect.objectContaining({ code: 'GENOFED_API_RESPONSE' }));
    script = { status: 200, type: 'application/x-ndjson', pieces: [`${row(1)}\n{"type":"row",\n`] };
    await expect(collect()).rejects.toMatchObject({ code: 'GENOFED_API_RESPONSE' });
  });

  it('fails on the error line a coordinator writes when the answer fails after some rows, naming its code', async () => {
    script = { status: 200, type: 'application/x-ndjson', pieces: [`${row(1)}\n`, `${JSON.stringify({ type: 'error', error: { code: 'GENOFED_DECRYPT_FAILED', message: 'nothing (more) released' } })}\n`] };
    const rows: unknown[] = [];
    const s = new ApiClient({ url, token: 't' }).alleleFrequencyStream({ region: '1' });
    await expect((async () => { for await (const r of s.rows) rows.push(r); })()).rejects.toMatchObject({ code: 'GENOFED_API_RESPONSE', message: expect.stringContaining('GENOFED_DECRYPT_FAILED') });
    expect(rows).toHaveLength(1);
  });

  it('reports an error status with the coordinator\'s code', async () => {
    script = { status: 400, type: 'application/json', pieces: [JSON.stringify({ error: { code: 'GENOFED_BAD_COHORT', message: 'unknown column' } })] };
    await expect(collect()).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT' });
  });
});
