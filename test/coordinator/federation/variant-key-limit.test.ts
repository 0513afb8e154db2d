/**
 * limits.maxVariantKeysPerSite: a node streaming more variant keys than the
 * limit in phase 1 has its stream cancelled and fails with "sent more
 * variant keys than the limit" naming the site (and no key); under the
 * limit every key arrives. Fake nodes over real mTLS (network init layout).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCoordinatorConfig } from '../../../coordinator/config.js';
import { createFederation } from '../../../coordinator/federation/create.js';
import { NodeClient } from '../../../coordinator/federation/node-client.js';
import { networkInit, type NetworkLayout } from '../../../coordinator/network/init.js';
import { FLOOD, startFakeNode, type FakeNode } from './fake-node.js';

const SITES = ['a', 'b', 'c'];
const silent = pino({ level: 'silent' });
const TOTAL = FLOOD.batches * FLOOD.perBatch;
// Not a signed query: the fake node does not look at it.
const UNSIGNED = { envelope: new Uint8Array([1]), signature: new Uint8Array(64) };

describe('variant keys per site (phase 1) are bounded', () => {
  let tmp: string;
  let layout: NetworkLayout;
  const fakes: FakeNode[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'genofed-keylimit-'));
    layout = await networkInit({ sites: SITES, out: join(tmp, 'net'), preset: 'test', basePort: 0 });
  }, 120_000);

  afterAll(async () => {
    for (const f of fakes) await f.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function flood(site: string): Promise<FakeNode> {
    const f = await startFakeNode(layout.dir, site, 'floods-variant-keys');
    fakes.push(f);
    return f;
  }

  async function client(site: string, port: number, maxVariantKeys: number): Promise<NodeClient> {
    const c = join(layout.dir, 'coordinator');
    const [ca, cert, key] = await Promise.all([readFile(join(c, 'ca.crt.pem')), readFile(join(c, 'coordinator.crt.pem')), readFile(join(c, 'coordinator.key.pem'))]);
    return new NodeClient(site, `127.0.0.1:${port}`, { ca, cert, key }, generateKeyPairSync('ed25519').publicKey, { maxVariantKeys });
  }

  it(`cancels a site's stream past the limit (${TOTAL.toLocaleString('en')} keys offered, limit 5,000) and fails that site`, async () => {
    const f = await flood('a');
    const c = await client('a', f.port, 5_000);
    try {
      const err = await c.listVariants(UNSIGNED, 30_000).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'GENOFED_SITE_FAILED', message: 'site a: sent more variant keys than the limit (5000, coordinator config limits.maxVariantKeysPerSite)' });
      await expect.poll(() => f.listVariants.cancelled, { timeout: 10_000 }).toBe(true);
      // Stopped early: the cancellation reached the node before it wrote everything it offered.
      expect(f.listVariants.keysSent).toBeLessThan(TOTAL);
    } finally {
      c.close();
    }
  });

  it('under the limit every key arrives', async () => {
    const f = await flood('b');
    const c = await client('b', f.port, TOTAL);
    try {
      const keys = await c.listVariants(UNSIGNED, 30_000);
      expect(keys).toHaveLength(TOTAL);
      expect(keys.at(-1)).toEqual({ chrom: '1', pos: 1_000_000 + TOTAL - 1, ref: 'A', alt: 'G' });
      expect(f.listVariants.keysSent).toBe(TOTAL);
    } finally {
      c.close();
    }
  });

  it('the config value reaches the engine: a region query fails naming the flooding site', async () => {
    const ports: Record<string, number> = {};
    for (const s of SITES) ports[s] = (await flood(s)).port;
    const raw = JSON.parse(await readFile(layout.coordinatorConfig, 'utf8')) as { sites: { id: string }[] };
    const config = parseCoordinatorConfig({
      ...raw,
      sites: raw.sites.map((s) => ({ id: s.id, address: `127.0.0.1:${ports[s.id]}` })),
      limits: { maxVariantKeysPerSite: 10_000 },
    }, dirname(layout.coordinatorConfig));
    expect(config.limits).toEqual({ maxBodyBytes: 8 * 1024 * 1024, queriesPerMinutePerToken: 60, maxVariantKeysPerSite: 10_000 });
    const federation = await createFederation(config, { logger: silent });
    try {
      const err = await federation.alleleFrequency({ region: '1:1-100000000', querier: 't' }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/^site [abc]: sent more variant keys than the limit \(10000, /) });
    } finally {
      await federation.close();
    }
  }, 60_000);
});
