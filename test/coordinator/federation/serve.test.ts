/**
 * `coordinator serve` wiring in one process: the engine built from the
 * config answers through the REST app on a real socket with a bearer
 * token from the tokens file; close() stops the listener.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../../../coordinator/server/serve.js';
import { silent, startConsortium, type Consortium } from './consortium.js';

const VCF = join(import.meta.dirname, '..', '..', 'fixtures', 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');

describe('coordinator serve', () => {
  let c: Consortium;
  let running: RunningCoordinator;
  let token: string;

  beforeAll(async () => {
    // Three sites: nodes refuse a participant set smaller than 3 (issue 6, masks).
    c = await startConsortium({ sites: ['a', 'b', 'c'], vcfs: { a: [VCF], b: [VCF], c: [VCF] } });
    running = await startCoordinator({ ...c.config, listen: { host: '127.0.0.1', port: 0 } }, silent);
    token = (JSON.parse(await readFile(c.config.tokensFile, 'utf8')) as { token: string }[])[0]!.token;
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    await c?.close();
  });

  it('answers an allele-frequency query over REST with the network totals and the responding sites', async () => {
    const res = await fetch(`http://127.0.0.1:${running.port}/v1/queries/allele-frequency`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ variants: [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: { ac: number; an: number }[]; sites: { responding: string[] } };
    // bcftools +fill-tags on the file: AC 2130, AN 5008 at 1:10177 A>AC; every site holds the whole file.
    expect(body.rows[0]).toMatchObject({ ac: 3 * 2130, an: 3 * 5008 });
    expect(body.sites.responding).toEqual(['a', 'b', 'c']);
  });

  it('refuses a request without a valid token', async () => {
    const res = await fetch(`http://127.0.0.1:${running.port}/v1/queries/cohort-count`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: JSON.stringify({ cohort: "super_pop = 'EUR'" }),
    });
    expect(res.status).toBe(401);
  });

  it('stops listening after close()', async () => {
    const port = running.port;
    await running.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
