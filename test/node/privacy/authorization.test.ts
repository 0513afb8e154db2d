/**
 * Node-side authorization and rate limits: a coordinator certificate not in
 * the policy is refused, a kind the policy does not allow is refused, and
 * a querier over its hourly or daily rate is refused until the window has
 * passed (injected clock), also across a node restart. Certificates are
 * real (consortium CA + leaf from `network init`'s PKI code) and one is
 * taken from a real mTLS handshake, as the gRPC service will see it.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, createLeaf, type PemPair } from '../../../coordinator/network/pki.js';
import { coordinatorUri, siteUri } from '../../../proto/convert/identity.js';
import { authorize, parseNodePolicy, type PeerCertificateLike } from '../../../node/privacy/authorization.js';
import { PrivacyLedger } from '../../../node/privacy/budget-ledger.js';
import { DAY_MS, HOUR_MS, RateLimiter, slidingWindow } from '../../../node/privacy/rate-limit.js';

let ca: Awaited<ReturnType<typeof createCa>>;
let coord1: PemPair;
let coord2: PemPair;
let site: PemPair;
let dir: string;

/** The fields node's TLS reports for a peer, from a PEM (independent of the code under test). */
function peerOf(pem: string): PeerCertificateLike {
  const x = new X509Certificate(pem);
  return { raw: x.raw, subject: { CN: /CN=([^\n,]+)/.exec(x.subject)![1]! }, subjectaltname: x.subjectAltName ?? '' };
}

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256; // 'AB:CD:...' as OpenSSL prints it
}

beforeAll(async () => {
  ca = await createCa('test consortium CA', 2);
  coord1 = await createLeaf(ca, { commonName: 'coord-1', uri: coordinatorUri('coord-1'), usage: 'client', days: 1 });
  coord2 = await createLeaf(ca, { commonName: 'coord-2', uri: coordinatorUri('coord-2'), usage: 'client', days: 1 });
  site = await createLeaf(ca, { commonName: 'site-a', uri: siteUri('site-a'), dns: ['localhost'], ips: ['127.0.0.1'], usage: 'server', days: 1 });
  dir = await mkdtemp(join(tmpdir(), 'genofed-authz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The kinds a node answers (node/kinds registry). */
const KINDS = ['variant-keys', 'allele-counts', 'cohort-count'];

describe('node policy', () => {
  it('validates at start-up and names the bad field', () => {
    expect(() => parseNodePolicy({ coordinators: [{ coordinatorId: 'c', allowedKinds: ['allele-frequency'] }] }, KINDS)).toThrow(/policy\.coordinators\.0\.allowedKinds: 'allele-frequency' is not a query kind this node answers/);
    expect(() => parseNodePolicy({ coordinators: [{ allowedKinds: ['cohort-count'] }] }, KINDS)).toThrow(/certificateFingerprint or coordinatorId/);
    expect(() => parseNodePolicy({ coordinators: [{ certificateFingerprint: 'abc', allowedKinds: ['cohort-count'] }] }, KINDS)).toThrow(/certificateFingerprint/);
    expect(() => parseNodePolicy({ coordinators: [{ coordinatorId: 'c', allowedKinds: ['cohort-count'], maxQueriesPerHour: 0 }] }, KINDS)).toThrow(/maxQueriesPerHour/);
    expect(() => parseNodePolicy({ coordinators: [{ coordinatorId: 'c', allowedKinds: ['cohort-count'], extra: 1 }] }, KINDS)).toThrow(/GENOFED_CONFIG|extra|Unrecognized/i);
    const p = parseNodePolicy({ coordinators: [{ coordinatorId: 'c', allowedKinds: ['cohort-count'] }] }, KINDS);
    expect(Object.isFrozen(p) && Object.isFrozen(p.coordinators[0])).toBe(true);
  });

  it('admits a coordinator pinned by the SHA-256 of its certificate (OpenSSL colon form) for its allowed kinds', () => {
    const policy = parseNodePolicy({ coordinators: [{ certificateFingerprint: fingerprint(coord1.certPem), allowedKinds: ['variant-keys', 'allele-counts'], maxQueriesPerHour: 5, maxQueriesPerDayPerResearcher: 20 }] }, KINDS);
    const a = authorize(policy, peerOf(coord1.certPem), 'allele-counts');
    expect(a.coordinator).toBe(fingerprint(coord1.certPem).replaceAll(':', '').toLowerCase());
    expect(a.limits).toEqual({ perHour: 5, perDay: undefined, perHourPerResearcher: undefined, perDayPerResearcher: 20 });
  });

  it('refuses a certificate that is not in the policy, even one signed by the same consortium CA', () => {
    const policy = parseNodePolicy({ coordinators: [{ certificateFingerprint: fingerprint(coord1.certPem), allowedKinds: ['allele-counts'] }, { coordinatorId: 'coord-1', allowedKinds: ['cohort-count'] }] }, KINDS);
    expect(() => authorize(policy, peerOf(coord2.certPem), 'allele-counts')).toThrow(expect.objectContaining({ code: 'GENOFED_CALLER_NOT_IN_POLICY', grpcStatus: 7 }));
    expect(() => authorize(policy, undefined, 'allele-counts')).toThrow(expect.objectContaining({ code: 'GENOFED_CALLER_NOT_IN_POLICY' }));
    // A site certificate does not name a coordinator: refused by the id rule too.
    expect(() => authorize(policy, peerOf(site.certPem), 'cohort-count')).toThrow(expect.objectContaining({ code: 'GENOFED_CALLER_NOT_IN_POLICY' }));
  });

  it('refuses a query kind the policy does not allow that coordinator', () => {
    const policy = parseNodePolicy({ coordinators: [{ coordinatorId: 'coord-1', allowedKinds: ['cohort-count'] }] }, KINDS);
    expect(authorize(policy, peerOf(coord1.certPem), 'cohort-count').coordinator).toBe('coord-1');
    expect(() => authorize(policy, peerOf(coord1.certPem), 'allele-counts')).toThrow(expect.objectContaining({ code: 'GENOFED_KIND_NOT_ALLOWED' }));
  });

  it('requires both the pin and the id when a rule gives both', () => {
    const policy = parseNodePolicy({ coordinators: [{ certificateFingerprint: fingerprint(coord1.certPem), coordinatorId: 'coord-2', allowedKinds: ['cohort-count'] }] }, KINDS);
    expect(() => authorize(policy, peerOf(coord1.certPem), 'cohort-count')).toThrow(expect.objectContaining({ code: 'GENOFED_CALLER_NOT_IN_POLICY' }));
    expect(() => authorize(policy, peerOf(coord2.certPem), 'cohort-count')).toThrow(expect.objectContaining({ code: 'GENOFED_CALLER_NOT_IN_POLICY' }));
  });

  it('authorizes the peer certificate object of a real mTLS handshake', async () => {
    const policy = parseNodePolicy({ coordinators: [{ certificateFingerprint: fingerprint(coord1.certPem), coordinatorId: 'coord-1', allowedKinds: ['allele-counts'] }] }, KINDS);
    const server = createServer({ cert: site.certPem, key: site.keyPem, ca: ca.pem.certPem, requestCert: true, rejectUnauthorized: true });
    const seen = new Promise<PeerCertificate>((resolve) => server.on('secureConnection', (s) => { resolve(s.getPeerCertificate()); s.end(); }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca: ca.pem.certPem, cert: coord1.certPem, key: coord1.keyPem, servername: 'localhost' });
      client.on('error', () => undefined);
      const peer = await seen;
      client.destroy();
      expect(authorize(policy, peer, 'allele-counts').coordinator).toBe('coord-1');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('rate limit', () => {
  const q = { coordinator: 'coord-1', researcher: 'alice' };

  it('refuses the query over the hourly rate, then allows it once the hour since the oldest has passed', async () => {
    let now = Date.UTC(2026, 0, 1, 12);
    await mkdir(join(dir, 'h'));
    const limiter = new RateLimiter(new PrivacyLedger(join(dir, 'h')), { now: () => now });
    for (let i = 0; i < 3; i++) {
      await limiter.admit(q, { perHour: 3 });
      now += 60_000;
    }
    await expect(limiter.admit(q, { perHour: 3 })).rejects.toMatchObject({ code: 'GENOFED_RATE_LIMITED', grpcStatus: 8 });
    // The window is the coordinator's: another researcher name it asserts shares it.
    await expect(limiter.admit({ ...q, researcher: 'bob' }, { perHour: 3 })).rejects.toMatchObject({ code: 'GENOFED_RATE_LIMITED', message: expect.stringContaining('coordinator') });
    // Another coordinator (key holder) has its own.
    await limiter.admit({ ...q, coordinator: 'coord-2' }, { perHour: 3 });
    now = Date.UTC(2026, 0, 1, 12) + HOUR_MS - 1;
    await expect(limiter.admit(q, { perHour: 3 })).rejects.toMatchObject({ code: 'GENOFED_RATE_LIMITED' });
    now = Date.UTC(2026, 0, 1, 12) + HOUR_MS + 1;
    await expect(limiter.admit(q, { perHour: 3 })).resolves.toBeUndefined();
  });

  it('limits each researcher beneath the coordinator: a refusal by either counts nothing', async () => {
    const now = Date.UTC(2026, 0, 3, 12);
    await mkdir(join(dir, 'p'));
    const limiter = new RateLimiter(new PrivacyLedger(join(dir, 'p')), { now: () => now });
    const limits = { perHour: 3, perHourPerResearcher: 2, perDayPerResearcher: 100 };
    await limiter.admit(q, limits);
    await limiter.admit(q, limits);
    await expect(limiter.admit(q, limits)).rejects.toMatchObject({ code: 'GENOFED_RATE_LIMITED', message: expect.stringContaining('researcher') });
    // Alice's refusal was not counted against the coordinator: Bob gets the third slot of the hour.
    await limiter.admit({ ...q, researcher: 'bob' }, limits);
    await expect(limiter.admit({ ...q, researcher: 'carol' }, limits)).rejects.toMatchObject({ code: 'GENOFED_RATE_LIMITED', message: expect.stringContaining('coordinator') });
  });

  it('keeps the window across a restart (the log is in the privacy ledger)', async () => {
    await mkdir(join(dir, 'r'));
    let now = Date.UTC(2026, 0, 2);
    await new RateLimiter(new PrivacyLedger(join(dir, 'r')), { now: () => now }).admit(q, { perDay: 1 });
    now += 12 * HOUR_MS;
    const restarted = new RateLimiter(new PrivacyLedger(join(dir, 'r')), { now: () => now });
    await expect(restarted.admit(q, { perDay: 1 })).rejects.toMatchObject({ code: 'GENOFED_RATE_LIMITED', message: expect.stringMatching(/retry in 43201 s/) });
    now += 12 * HOUR_MS + 1;
    await expect(restarted.admit(q, { perDay: 1 })).resolves.toBeUndefined();
  });

  it('counts any 60-minute window, not clock hours: 10/hour never lets 20 through in an hour', () => {
    let history: number[] = [];
    let admitted = 0;
    // One attempt a minute for 3 hours.
    for (let t = 0; t < 3 * HOUR_MS; t += 60_000) {
      const d = slidingWindow(history, t, { perHour: 10 });
      history = d.history;
      if (d.ok) admitted += 1;
      const lastHour = history.filter((x) => x > t - HOUR_MS).length;
      expect(lastHour).toBeLessThanOrEqual(10);
    }
    expect(admitted).toBe(30);
    expect(slidingWindow(Array.from({ length: 5 }, (_, i) => i), DAY_MS + 10, { perDay: 5 }).history).toHaveLength(1);
  });
});
