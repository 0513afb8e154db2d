/**
 * `node serve` wiring in one process: the optional HTTP health endpoint
 * answers while serving, the gRPC port refuses connections after close(),
 * and a config pointing at an unreadable key fails naming the field.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkInit, type NetworkLayout } from '../../../coordinator/network/init.js';
import { loadNodeConfig, parseNodeConfig } from '../../../node/server/config.js';
import { startNode } from '../../../node/server/serve.js';
import { ingest } from '../../../node/store/index.js';
import { silent } from '../../coordinator/federation/consortium.js';

const VCF = join(import.meta.dirname, '..', '..', 'fixtures', 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');

describe('node serve', () => {
  let tmp: string;
  let layout: NetworkLayout;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'genofed-serve-'));
    layout = await networkInit({ sites: ['a', 'b', 'c'], out: join(tmp, 'net'), preset: 'test', basePort: 0 });
    await ingest(layout.siteStores.a!, { rawIds: true, vcfs: [VCF] });
  }, 60_000);

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('serves GET /healthz while running and closes both ports on close()', async () => {
    const path = layout.siteConfigs.a!;
    const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    const config = parseNodeConfig({ ...raw, healthHttp: { host: '127.0.0.1', port: 0 } }, dirname(path));
    const node = await startNode(config, { logger: silent });
    const res = await fetch(`http://127.0.0.1:${node.healthPort}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await fetch(`http://127.0.0.1:${node.healthPort}/other`)).status).toBe(404);
    await node.close(0);
    await expect(fetch(`http://127.0.0.1:${node.healthPort}/healthz`)).rejects.toThrow();
  });

  it('fails at start-up naming the config field of a missing key file', async () => {
    const path = layout.siteConfigs.a!;
    const raw = JSON.parse(await readFile(path, 'utf8')) as { tls: Record<string, string> };
    const bad = join(dirname(path), 'bad.json');
    await writeFile(bad, JSON.stringify({ ...raw, tls: { ...raw.tls, key: 'missing.key.pem' } }));
    const config = await loadNodeConfig(bad);
    await expect(startNode(config, { logger: silent })).rejects.toMatchObject({ code: 'GENOFED_CONFIG', message: expect.stringContaining('tls.key') });
  });
});

describe('node serve start-up checks', () => {
  it('refuses a certificate that names another site', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'genofed-serve2-'));
    try {
      const layout = await networkInit({ sites: ['a', 'b'], out: join(tmp, 'net'), preset: 'test', basePort: 0 });
      const path = layout.siteConfigs.a!;
      const raw = JSON.parse(await readFile(path, 'utf8')) as { tls: Record<string, string> };
      const config = parseNodeConfig({ ...raw, tls: { ...raw.tls, cert: '../b/node.crt.pem', key: '../b/node.key.pem' } }, dirname(path));
      await expect(startNode(config, { logger: silent })).rejects.toMatchObject({ code: 'GENOFED_CONFIG', message: expect.stringContaining('tls.cert: not a certificate naming site a') });
      // A roster of two (each could read the other's counts from the total) does not serve either.
      await expect(startNode(await loadNodeConfig(path), { logger: silent })).rejects.toMatchObject({ code: 'GENOFED_ROSTER_NOT_CONFIRMED', message: expect.stringContaining('has 2 members; this node requires at least 3') });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
