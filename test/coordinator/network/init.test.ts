/**
 * `network init`: every file the README lists, secrets 0600, configs that
 * pass their own schemas, certificates that name each party and chain to
 * the consortium CA, and nothing left behind when it refuses.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCoordinatorConfig, loadTokens } from '../../../coordinator/config.js';
import { networkInit, type NetworkLayout } from '../../../coordinator/network/init.js';
import { getPreset, readKeyFile } from '../../../crypto/index.js';
import { parseNodePolicy } from '../../../node/privacy/authorization.js';
import { loadNodeConfig } from '../../../node/server/config.js';
import { bfvKeyDigest, parseSignedRoster, publicKeyBase64, rosterFingerprint } from '../../../proto/roster.js';

describe('genofed network init', () => {
  let tmp: string;
  let layout: NetworkLayout;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'genofed-net-'));
    layout = await networkInit({ sites: ['a', 'b', 'c'], out: join(tmp, 'net'), preset: 'test', basePort: 9400 });
  }, 60_000);

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes secrets with mode 0600 and public files readable', async () => {
    const secret = ['ca/ca.key.pem', 'coordinator/coordinator.key.pem', 'coordinator/signing.key.pem', 'coordinator/bfv.sk', 'coordinator/tokens.json', 'sites/a/node.key.pem', 'sites/a/x25519.key.pem', 'sites/a/signing.key.pem'];
    for (const f of secret) expect(((await stat(join(layout.dir, f))).mode & 0o777).toString(8), f).toBe('600');
    for (const f of ['ca/ca.crt.pem', 'coordinator/bfv.pk', 'sites/b/coordinator-bfv.pk', 'sites/c/node.json']) expect((await stat(join(layout.dir, f))).mode & 0o077, f).not.toBe(0);
  });

  it('produces configs that load under their schemas, with the sites at base+1+i', async () => {
    const cc = await loadCoordinatorConfig(layout.coordinatorConfig);
    expect(cc.sites).toEqual([{ id: 'a', address: '127.0.0.1:9401' }, { id: 'b', address: '127.0.0.1:9402' }, { id: 'c', address: '127.0.0.1:9403' }]);
    expect(cc.listen.port).toBe(9400);
    expect((await loadTokens(cc.tokensFile)).map((t) => t.querier)).toEqual(['researcher']);
    const nc = await loadNodeConfig(layout.siteConfigs.b!);
    expect(nc.siteId).toBe('b');
    expect(nc.listen.port).toBe(9402);
    expect(nc.store).toBe(layout.siteStores.b);
    // The BFV key every site encrypts under is the coordinator's public key, under the configured preset.
    const pk = await readKeyFile(nc.coordinator.bfvPublicKey, 'public-key', getPreset('test'));
    expect(Buffer.from(pk).equals(await readFile(join(layout.dir, 'coordinator', 'bfv.pk')))).toBe(true);
  });

  it('writes one roster signed by every site, whose fingerprint every node config confirms, holding each site\'s own public keys, the coordinator\'s keys and the schema', async () => {
    const signed = parseSignedRoster(JSON.parse(await readFile(layout.rosterFile, 'utf8')));
    expect(rosterFingerprint(signed.roster)).toBe(layout.rosterFingerprint);
    expect(signed.roster.sites.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(signed.signatures.map((s) => s.site).sort()).toEqual(['a', 'b', 'c']);
    expect(signed.roster.coordinator.signingKey).toBe(publicKeyBase64(createPrivateKey(await readFile(join(layout.dir, 'coordinator', 'signing.key.pem')))));
    expect(signed.roster.coordinator.bfvPublicKeySha256).toBe(bfvKeyDigest(await readFile(join(layout.dir, 'coordinator', 'bfv.pk'))));
    expect(signed.roster.epoch).toBe(1);
    expect(signed.roster.previous).toBeNull();
    for (const site of ['a', 'b', 'c']) {
      const nc = await loadNodeConfig(layout.siteConfigs[site]!);
      expect(nc.roster.fingerprint).toBe(layout.rosterFingerprint);
      expect(await readFile(nc.roster.file, 'utf8')).toBe(await readFile(layout.rosterFile, 'utf8'));
      const entry = signed.roster.sites.find((s) => s.id === site)!;
      expect(publicKeyBase64(createPrivateKey(await readFile(nc.keys.x25519)))).toBe(entry.x25519);
      expect(publicKeyBase64(createPrivateKey(await readFile(nc.keys.signing)))).toBe(entry.signingKey);
      expect(nc.privacy.minCohortSize).toBe(5);
      expect(nc.privacy.roster).toEqual({ minSites: 3, minMembershipIntervalHours: 24 });
      expect(nc.privacy.dp.enabled).toBe(false);
      expect(nc.privacy.budget.totalEpsilon).toBe(10);
      expect(nc.privacy.differencing.k).toBe(5);
      const policy = parseNodePolicy(JSON.parse(await readFile(nc.privacy.policyFile!, 'utf8')), ['variant-keys', 'allele-counts', 'cohort-count']);
      expect(policy.coordinators).toEqual([{ coordinatorId: 'coordinator', allowedKinds: ['variant-keys', 'allele-counts', 'cohort-count'], maxQueriesPerHour: 600 }]);
    }
    // The private keys differ per site.
    const keys = await Promise.all(['a', 'b', 'c'].map((s) => readFile(join(layout.dir, 'sites', s, 'x25519.key.pem'), 'utf8')));
    expect(new Set(keys).size).toBe(3);
    expect((await loadCoordinatorConfig(layout.coordinatorConfig)).roster).toBe(join(layout.dir, 'coordinator', 'roster.json'));
  });

  it('issues certificates that chain to the CA and name each party by CN and URI', async () => {
    const ca = new X509Certificate(await readFile(join(layout.dir, 'ca', 'ca.crt.pem')));
    expect(ca.ca).toBe(true);
    const site = new X509Certificate(await readFile(join(layout.dir, 'sites', 'b', 'node.crt.pem')));
    expect(site.verify(ca.publicKey)).toBe(true);
    expect(site.subject).toBe('CN=b');
    expect(site.subjectAltName).toContain('URI:urn:genofed:site:b');
    expect(site.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(site.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    const coord = new X509Certificate(await readFile(join(layout.dir, 'coordinator', 'coordinator.crt.pem')));
    expect(coord.verify(ca.publicKey)).toBe(true);
    expect(coord.subjectAltName).toBe('URI:urn:genofed:coordinator:coordinator');
    expect(coord.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
  });

  it('refuses an existing output folder and bad site ids, leaving nothing behind', async () => {
    const out = join(tmp, 'exists');
    await mkdir(out);
    await expect(networkInit({ sites: ['a'], out, preset: 'test' })).rejects.toMatchObject({ code: 'GENOFED_OUTPUT_EXISTS' });
    await expect(networkInit({ sites: ['a', 'A b'], out: join(tmp, 'bad'), preset: 'test' })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    await expect(networkInit({ sites: ['a', 'a'], out: join(tmp, 'dup'), preset: 'test' })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    expect((await readdir(tmp)).sort()).toEqual(['exists', 'net']);
  });
});
