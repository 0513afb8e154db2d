/**
 * The node refuses what it must, over real mTLS gRPC: unsigned queries,
 * queries signed by another key, expired or future-dated ones, replays,
 * participant sets other than its roster, tampered variant lists, plaintext
 * answers not enabled, and callers whose certificate is not the
 * coordinator's or comes from another CA. Signed refusals are in the
 * store's query log; unsigned ones under a digest of their bytes.
 */
import 'reflect-metadata';
import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, webcrypto, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../../crypto/index.js';
import { createLeaf } from '../../../coordinator/network/pki.js';
import { encodeEnvelope, signEnvelope, signedQueryToWire } from '../../../proto/convert/envelope.js';
import { coordinatorUri } from '../../../proto/convert/identity.js';
import { variantsFromWire, variantsToWire } from '../../../proto/convert/variants.js';
import * as wire from '../../../proto/generated/genofed/v1/node.js';
import { PROTOCOL_VERSION, variantListDigestHex, type QueryEnvelope, type QueryParams, type SignedQueryBytes } from '../../../proto/query.js';
import { startConsortium, type Consortium } from '../../coordinator/federation/consortium.js';

const VCF = join(import.meta.dirname, '..', '..', 'fixtures', 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');

describe('the node checks every query before answering', () => {
  let c: Consortium;
  let other: Consortium;
  let signingKey: KeyObject;
  let client: wire.NodeServiceClient;
  let ca: Buffer;

  function clientWith(cert: Buffer | string, key: Buffer | string, trust: Buffer = ca): wire.NodeServiceClient {
    return new wire.NodeServiceClient(`127.0.0.1:${c.nodes.a!.port}`, credentials.createSsl(trust, Buffer.from(key), Buffer.from(cert), { checkServerIdentity: () => undefined }));
  }

  beforeAll(async () => {
    // Three sites (the node's minimum participant set), only 'a' runs: these tests talk to it directly.
    c = await startConsortium({ sites: ['a', 'b', 'c'], vcfs: { a: [VCF] }, notStarted: ['b', 'c'] });
    other = await startConsortium({ sites: ['x', 'y', 'z'], vcfs: {}, notStarted: ['x', 'y', 'z'] });
    const cdir = join(c.layout.dir, 'coordinator');
    ca = await readFile(join(cdir, 'ca.crt.pem'));
    signingKey = createPrivateKey(await readFile(join(cdir, 'signing.key.pem')));
    client = clientWith(await readFile(join(cdir, 'coordinator.crt.pem')), await readFile(join(cdir, 'coordinator.key.pem')));
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await c?.close();
    await other?.close();
  });

  function envelope(params: QueryParams, over: Partial<QueryEnvelope> = {}): QueryEnvelope {
    const now = Date.now();
    return {
      version: PROTOCOL_VERSION, queryId: randomUUID(), correlationId: randomUUID(), coordinatorId: 'coordinator', participants: ['a', 'b', 'c'], rosterFingerprint: c.layout.rosterFingerprint,
      issuedAtMs: now, expiresAtMs: now + 60_000, querier: 'tester', cryptoFingerprint: getPreset('test').fingerprint, params, measurementPlaintext: false, ...over,
    };
  }

  const region: QueryParams = { kind: 'variant-keys', region: '1:10000-11000' };

  function listVariants(q: SignedQueryBytes, via = client): Promise<{ keys: number } | { code: number; genofed: string | undefined }> {
    return new Promise((resolve) => {
      let keys = 0;
      const call = via.listVariants(signedQueryToWire(q), new Metadata(), { deadline: Date.now() + 10_000 });
      call.on('data', (b: wire.VariantBatch) => { keys += variantsFromWire(b).length; });
      call.on('error', (e: ServiceError) => resolve({ code: e.code, genofed: e.metadata?.get('genofed-code')[0] as string | undefined }));
      call.on('end', () => resolve({ keys }));
    });
  }

  const logged = (id: string): Promise<boolean> => c.nodes.a!.store.hasQueryId(id);

  it('answers a correctly signed query and logs it', async () => {
    const e = envelope(region);
    const r = await listVariants(signEnvelope(e, signingKey));
    expect(r).toEqual({ keys: expect.any(Number) });
    expect((r as { keys: number }).keys).toBeGreaterThan(0);
    expect(await logged(e.queryId)).toBe(true);
  });

  it('refuses an unsigned query and logs it under a digest of the envelope, not under its claimed id', async () => {
    const e = envelope(region);
    const bytes = encodeEnvelope(e);
    expect(await listVariants({ envelope: bytes, signature: new Uint8Array() })).toEqual({ code: 16, genofed: 'GENOFED_QUERY_SIGNATURE' });
    expect(await logged(e.queryId)).toBe(false);
    expect(await logged(`unauthenticated:${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`)).toBe(true);
  });

  it('refuses a query signed by another Ed25519 key', async () => {
    const e = envelope(region);
    expect(await listVariants(signEnvelope(e, generateKeyPairSync('ed25519').privateKey))).toEqual({ code: 16, genofed: 'GENOFED_QUERY_SIGNATURE' });
  });

  it('refuses a signed envelope whose bytes were altered after signing', async () => {
    const s = signEnvelope(envelope(region), signingKey);
    const tampered = new Uint8Array(s.envelope);
    tampered[tampered.length - 1]! ^= 1;
    expect(await listVariants({ envelope: tampered, signature: s.signature })).toEqual({ code: 16, genofed: 'GENOFED_QUERY_SIGNATURE' });
  });

  it('refuses an expired query and logs the refusal', async () => {
    const now = Date.now();
    const e = envelope(region, { issuedAtMs: now - 600_000, expiresAtMs: now - 300_000 });
    expect(await listVariants(signEnvelope(e, signingKey))).toEqual({ code: 9, genofed: 'GENOFED_QUERY_EXPIRED' });
    expect(await logged(e.queryId)).toBe(true);
  });

  it('refuses a query issued in the future and one that lives longer than the node allows', async () => {
    const now = Date.now();
    expect(await listVariants(signEnvelope(envelope(region, { issuedAtMs: now + 120_000, expiresAtMs: now + 180_000 }), signingKey))).toEqual({ code: 9, genofed: 'GENOFED_QUERY_EXPIRED' });
    expect(await listVariants(signEnvelope(envelope(region, { expiresAtMs: now + 3_600_000 }), signingKey))).toEqual({ code: 9, genofed: 'GENOFED_QUERY_EXPIRED' });
  });

  it('refuses a replayed query id, even when the replay is re-signed', async () => {
    const e = envelope(region);
    const signed = signEnvelope(e, signingKey);
    expect(await listVariants(signed)).toMatchObject({ keys: expect.any(Number) });
    expect(await listVariants(signed)).toEqual({ code: 6, genofed: 'GENOFED_QUERY_REPLAYED' });
    expect(await listVariants(signEnvelope({ ...e, issuedAtMs: Date.now() }, signingKey))).toEqual({ code: 6, genofed: 'GENOFED_QUERY_REPLAYED' });
  });

  it('refuses a query whose participant set is not its roster: without this site, a subset, a ghost, another roster fingerprint', async () => {
    for (const over of [{ participants: ['b', 'c', 'd'] }, { participants: ['a', 'b'] }, { participants: ['a', 'b', 'c', 'ghost'] }, { rosterFingerprint: 'ab'.repeat(32) }, { coordinatorId: 'other-coordinator' }]) {
      expect(await listVariants(signEnvelope(envelope(region, over), signingKey)), JSON.stringify(over)).toEqual({ code: 7, genofed: 'GENOFED_ROSTER_MISMATCH' });
    }
  });

  /** Until the size round: the node's commitment (the first thing it sends once a query is admitted) or its refusal. */
  function aggregate(q: SignedQueryBytes, variants: { chrom: string; pos: number; ref: string; alt: string }[]): Promise<{ committed: true } | { code: number; genofed: string | undefined }> {
    return new Promise((resolve) => {
      const call = client.aggregate(new Metadata(), { deadline: Date.now() + 10_000 });
      call.on('data', (m: wire.AggregateResponse) => {
        if (m.msg?.$case === 'sizeCommitment') { resolve({ committed: true }); call.cancel(); }
      });
      call.on('error', (e: ServiceError) => resolve({ code: e.code, genofed: e.metadata?.get('genofed-code')[0] as string | undefined }));
      call.on('end', () => resolve({ code: -1, genofed: 'ended' }));
      call.write({ msg: { $case: 'query', value: signedQueryToWire(q) } });
      call.write({ msg: { $case: 'variants', value: variantsToWire(variants) } });
    });
  }

  it('admits an aggregate over a signed variant list up to its size commitment, and refuses one whose list differs from its signed digest', async () => {
    const list = [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }];
    const params: QueryParams = { kind: 'allele-counts', cohort: '', variantCount: 1, variantsSha256: variantListDigestHex(list), strata: [], region: '' };
    expect(await aggregate(signEnvelope(envelope(params), signingKey), list)).toEqual({ committed: true });
    expect(await aggregate(signEnvelope(envelope(params), signingKey), [{ ...list[0]!, pos: 10235 }])).toEqual({ code: 3, genofed: 'GENOFED_QUERY_MALFORMED' });
  });

  it('refuses a phase-2 list that claims a region but holds a key outside it', async () => {
    const list = [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }, { chrom: '2', pos: 5, ref: 'A', alt: 'C' }];
    const params: QueryParams = { kind: 'allele-counts', cohort: '', variantCount: 2, variantsSha256: variantListDigestHex(list), strata: [], region: '1:10000-20000' };
    expect(await aggregate(signEnvelope(envelope(params), signingKey), list)).toEqual({ code: 3, genofed: 'GENOFED_QUERY_MALFORMED' });
  });

  it('refuses plaintext answers unless the node was started for a benchmark', async () => {
    const list = [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }];
    const params: QueryParams = { kind: 'allele-counts', cohort: '', variantCount: 1, variantsSha256: variantListDigestHex(list), strata: [], region: '' };
    expect(await aggregate(signEnvelope(envelope(params, { measurementPlaintext: true }), signingKey), list)).toEqual({ code: 3, genofed: 'GENOFED_QUERY_MALFORMED' });
  });

  // Issue 6: the node policy (node/privacy/authorization.ts) replaced the fixed caller check.
  it('refuses a caller whose certificate (same CA) names a coordinator not in the node policy', async () => {
    const cdir = join(c.layout.dir, 'ca');
    const caCert = new x509.X509Certificate(await readFile(join(cdir, 'ca.crt.pem'), 'utf8'));
    const keyPem = await readFile(join(cdir, 'ca.key.pem'), 'utf8');
    const der = Buffer.from(keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const privateKey = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
    const publicKey = await caCert.publicKey.export(webcrypto as unknown as Parameters<typeof caCert.publicKey.export>[0]);
    const leaf = await createLeaf({ cert: caCert, keys: { privateKey, publicKey }, pem: { certPem: '', keyPem: '' } }, { commonName: 'mallory', uri: coordinatorUri('mallory'), usage: 'client', days: 1 });
    const mallory = clientWith(leaf.certPem, leaf.keyPem);
    try {
      expect(await listVariants(signEnvelope(envelope(region), signingKey), mallory)).toEqual({ code: 7, genofed: 'GENOFED_CALLER_NOT_IN_POLICY' });
    } finally {
      mallory.close();
    }
  });

  it('refuses at the TLS handshake a coordinator certificate from another CA', async () => {
    const odir = join(other.layout.dir, 'coordinator');
    const stranger = clientWith(await readFile(join(odir, 'coordinator.crt.pem')), await readFile(join(odir, 'coordinator.key.pem')));
    try {
      const r = await listVariants(signEnvelope(envelope(region), signingKey), stranger);
      expect(r).toMatchObject({ code: 14 });
    } finally {
      stranger.close();
    }
  });
});
