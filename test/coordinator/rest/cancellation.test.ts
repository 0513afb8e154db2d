import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { FakeFederation, auth, tokens } from './fake-federation.js';

describe('REST cancellation signal passed to the engine (over a real socket)', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  let url: string;
  beforeEach(async () => {
    fed = new FakeFederation();
    fed.delayMs = 300;
    app = await buildRestApp({ federation: fed, tokens });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => app.close());

  it('stays un-aborted while the client waits for a slow query (the body having been read is not a disconnect)', async () => {
    const res = await fetch(`${url}/v1/queries/allele-frequency`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ region: '1:1-100' }) });
    expect(res.status).toBe(200);
    expect(fed.signals[0]?.aborted).toBe(false);
  });

  it('is aborted when the client disconnects before the answer', async () => {
    const ac = new AbortController();
    const pending = fetch(`${url}/v1/queries/allele-frequency`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ region: '1:1-100' }), signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(fed.signals[0]?.aborted).toBe(true);
  });
});
