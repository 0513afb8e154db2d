/**
 * Issue 6 attack tests against real node services (in-process, mTLS gRPC,
 * 3 sites ingested from 1000 Genomes chr1 with the panel): the attacker
 * holds what a dishonest coordinator holds (its certificate, signing key
 * and BFV secret key) and must fail:
 * - one site's ciphertext decrypts to values uniform mod t, not its counts
 *   (only the sum over the exact signed participant set decrypts to counts);
 * - forged participant sets of 1 or 2, replays, another signing key, a
 *   certificate not in the node policy: refused;
 * - the node policy file: a kind it does not allow, the per-querier rate limit;
 * - a differencing pair (a cohort, then the same cohort minus one patient):
 *   refused;
 * - DP budget exhaustion: the next query is refused, also after a restart;
 * - the audit log verifies after all this and fails after an edit.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomUUID, webcrypto, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLeaf } from '../../../coordinator/network/pki.js';
import { networkInit, type NetworkLayout } from '../../../coordinator/network/init.js';
import { createBfv, getPreset, readKeyFile, type Bfv } from '../../../crypto/index.js';
import { signEnvelope, signedQueryToWire } from '../../../proto/convert/envelope.js';
import { coordinatorUri } from '../../../proto/convert/identity.js';
import { headerFromWire, type AnswerHeader } from '../../../proto/convert/variants.js';
import * as wire from '../../../proto/generated/genofed/v1/node.js';
import { PROTOCOL_VERSION, packAlleleCounts, variantListDigest, type QueryEnvelope, type QueryParams, type SignedQueryBytes } from '../../../proto/query.js';
import { parseRegion } from '../../../proto/region.js';
import type { VariantKey } from '../../../proto/variant.js';
import { skellamMu } from '../../../node/privacy/skellam.js';
import { loadNodeConfig } from '../../../node/server/config.js';
import { startNode, type RunningNode } from '../../../node/server/serve.js';
import { ingest } from '../../../node/store/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const SITES = ['a', 'b', 'c'] as const;
const silent = pino({ level: 'silent' });
const params = getPreset('test');

type Answer = { header: AnswerHeader; cts: Uint8Array[] } | { code: number; genofed: string | undefined };
const refused = (code: number, genofed: string) => ({ code, genofed });

/** Pearson chi-square of values mod t in `bins` equal bins against uniform. */
function chiSquareUniform(values: ArrayLike<bigint>, t: bigint, bins: number): number {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[Number((values[i]! * BigInt(bins)) / t)]! += 1;
  const expected = values.length / bins;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

describe('attacks on the node (the attacker must fail)', () => {
  let tmp: string;
  let layout: NetworkLayout;
  const nodes: Record<string, RunningNode> = {};
  const clients: Record<string, wire.NodeServiceClient> = {};
  let signingKey: KeyObject;
  let ca: Buffer;
  let coordCert: Buffer;
  let coordKey: Buffer;
  let bfv: Bfv;
  let secretKey: Uint8Array;
  let keys: VariantKey[];
  let hg00096Pid: number;

  const clientFor = (site: string, cert: Buffer | string = coordCert, key: Buffer | string = coordKey): wire.NodeServiceClient =>
    new wire.NodeServiceClient(`127.0.0.1:${nodes[site]!.port}`, credentials.createSsl(ca, Buffer.from(key), Buffer.from(cert), { checkServerIdentity: () => undefined }));

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'genofed-attacks-'));
    // The panel plus a numeric `pid` column the test controls, to remove exactly one patient from a cohort.
    const rows = (await readFile(PANEL, 'utf8')).split('\n').filter(Boolean).slice(1).map((l) => l.split('\t').slice(0, 4));
    hg00096Pid = rows.findIndex((r) => r[0] === 'HG00096') + 1;
    expect(rows[hg00096Pid - 1]![2]).toBe('EUR');
    const pheno = join(tmp, 'panel-with-pid.tsv');
    await writeFile(pheno, ['sample\tpop\tsuper_pop\tgender\tpid', ...rows.map((r, i) => `${r.join('\t')}\t${i + 1}`)].join('\n') + '\n');
    layout = await networkInit({ sites: [...SITES], out: join(tmp, 'net'), preset: 'test', basePort: 0 });
    for (const s of SITES) {
      await ingest(layout.siteStores[s]!, { rawIds: true, vcfs: [VCF], phenotypes: pheno });
      nodes[s] = await startNode(await loadNodeConfig(layout.siteConfigs[s]!), { logger: silent });
    }
    const cdir = join(layout.dir, 'coordinator');
    ca = await readFile(join(cdir, 'ca.crt.pem'));
    coordCert = await readFile(join(cdir, 'coordinator.crt.pem'));
    coordKey = await readFile(join(cdir, 'coordinator.key.pem'));
    signingKey = createPrivateKey(await readFile(join(cdir, 'signing.key.pem')));
    for (const s of SITES) clients[s] = clientFor(s);
    bfv = await createBfv(params);
    secretKey = await readKeyFile(join(cdir, 'bfv.sk'), 'secret-key', params);
    keys = await nodes.a!.store.variantKeys(parseRegion('1'));
    expect(keys.length).toBeGreaterThan(1000);
  }, 300_000);

  afterAll(async () => {
    for (const c of Object.values(clients)) c.close();
    for (const n of Object.values(nodes)) await n.close(0);
    bfv?.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  function envelope(p: QueryParams, over: Partial<QueryEnvelope> = {}): QueryEnvelope {
    const now = Date.now();
    return {
      version: PROTOCOL_VERSION, queryId: randomUUID(), correlationId: randomUUID(), coordinatorId: 'coordinator', participants: [...SITES],
      issuedAtMs: now, expiresAtMs: now + 60_000, querier: 'mallory-researcher', cryptoFingerprint: params.fingerprint, params: p, measurementPlaintext: false, ...over,
    };
  }

  function aggregate(via: wire.NodeServiceClient, q: SignedQueryBytes, list: readonly VariantKey[]): Promise<Answer> {
    return new Promise((done) => {
      let header: AnswerHeader | undefined;
      const cts: Uint8Array[] = [];
      const call = via.aggregate(new Metadata(), { deadline: Date.now() + 60_000 });
      call.on('data', (m: wire.AggregateResponse) => {
        if (m.msg?.$case === 'header') header = headerFromWire(m.msg.value);
        else if (m.msg?.$case === 'ciphertext') cts.push(new Uint8Array(m.msg.value.data));
      });
      call.on('error', (e: ServiceError) => done({ code: e.code, genofed: e.metadata?.get('genofed-code')[0] as string | undefined }));
      call.on('end', () => done({ header: header!, cts }));
      call.write({ msg: { $case: 'query', value: signedQueryToWire(q) } });
      if (list.length) call.write({ msg: { $case: 'variants', value: { variants: list.map((k) => ({ ...k })) } } });
      call.end();
    });
  }

  const alleleParams = (list: readonly VariantKey[], cohort = ''): QueryParams => ({ kind: 'allele-counts', cohort, variantCount: list.length, variantsSha256: variantListDigest(list), strata: [], region: '' });
  const cohortParams = (cohort: string): QueryParams => ({ kind: 'cohort-count', cohort, carrierCount: 0, carriersSha256: new Uint8Array() });
  const answered = (a: Answer): { header: AnswerHeader; cts: Uint8Array[] } => {
    expect(a, JSON.stringify('code' in a ? a : {})).toHaveProperty('header');
    return a as { header: AnswerHeader; cts: Uint8Array[] };
  };

  it('the coordinator decrypting one site\'s answer alone gets values uniform mod t, not the counts; the sum over the whole signed set is exact', async () => {
    const e = envelope(alleleParams(keys));
    const signed = signEnvelope(e, signingKey);
    const answers = await Promise.all(SITES.map(async (s) => answered(await aggregate(clients[s]!, signed, keys))));
    for (const a of answers) expect(a.header).toMatchObject({ masked: true, noiseMu: 0, valueCount: keys.length * 3 });
    const plain = packAlleleCounts(await nodes.a!.store.alleleCounts({ variants: keys }));
    expect(plain.some((v) => v > 0)).toBe(true);
    const t = params.plainModulus;
    const dec = bfv.decryptor(secretKey);
    const agg = bfv.aggregator();
    try {
      const n = plain.length;
      // The check can fail: the site's own counts (what an unmasked answer decrypts to) are far from uniform.
      expect(chiSquareUniform(BigUint64Array.from(plain, BigInt), t, 64)).toBeGreaterThan(1000);
      const single = dec.decryptVector(answers[0]!.cts, n);
      // 64 bins over 3,000+ slots: the 1e-6 critical value of chi-square with 63 df is ~131.
      expect(chiSquareUniform(single, t, 64)).toBeLessThan(131);
      let equal = 0;
      let small = 0;
      for (let i = 0; i < n; i++) {
        if (single[i] === BigInt(plain[i]!)) equal += 1;
        if (single[i]! < 10_000n) small += 1;
      }
      expect(equal).toBeLessThan(3);
      expect(small).toBeLessThan(5); // every count is < 10,000 (AN <= 5,008); uniform mod 2^30-ish values almost never are
      // Two of the three sites (a proper subset) still decrypt to noise.
      for (const a of answers.slice(0, 2)) a.cts.forEach((ct, c) => agg.add(c, ct));
      const pair = dec.decryptVector(answers[0]!.cts.map((_, c) => agg.result(c)), n);
      expect(chiSquareUniform(pair, t, 64)).toBeLessThan(131);
      // The third site completes the set: masks cancel exactly, the total is 3 x the site counts.
      answers[2]!.cts.forEach((ct, c) => agg.add(c, ct));
      const total = dec.decryptVector(answers[0]!.cts.map((_, c) => agg.result(c)), n);
      expect(Array.from(total, Number)).toEqual(Array.from(plain, (v) => 3 * v));
    } finally {
      agg.dispose();
      dec.dispose();
    }
  }, 120_000);

  it('refuses a forged participant set of 1 or 2 sites, even correctly signed', async () => {
    for (const participants of [['a'], ['a', 'b'], ['a', 'c']]) {
      const list = keys.slice(0, 10);
      expect(await aggregate(clients.a!, signEnvelope(envelope(alleleParams(list), { participants }), signingKey), list)).toEqual(refused(7, 'GENOFED_TOO_FEW_PARTICIPANTS'));
    }
  });

  it('refuses a replayed query, and a query signed by another key', async () => {
    const list = keys.slice(0, 10);
    const signed = signEnvelope(envelope(alleleParams(list)), signingKey);
    answered(await aggregate(clients.b!, signed, list));
    expect(await aggregate(clients.b!, signed, list)).toEqual(refused(6, 'GENOFED_QUERY_REPLAYED'));
    expect(await aggregate(clients.b!, signEnvelope(envelope(alleleParams(list)), generateKeyPairSync('ed25519').privateKey), list)).toEqual(refused(16, 'GENOFED_QUERY_SIGNATURE'));
  });

  it('refuses a coordinator certificate of the same CA that is not in the node policy, even with a valid signature', async () => {
    const cdir = join(layout.dir, 'ca');
    const caCert = new x509.X509Certificate(await readFile(join(cdir, 'ca.crt.pem'), 'utf8'));
    const der = Buffer.from((await readFile(join(cdir, 'ca.key.pem'), 'utf8')).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const privateKey = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
    const publicKey = await caCert.publicKey.export(webcrypto as unknown as Parameters<typeof caCert.publicKey.export>[0]);
    const leaf = await createLeaf({ cert: caCert, keys: { privateKey, publicKey }, pem: { certPem: '', keyPem: '' } }, { commonName: 'rogue', uri: coordinatorUri('rogue'), usage: 'client', days: 1 });
    const rogue = clientFor('c', leaf.certPem, leaf.keyPem);
    try {
      const list = keys.slice(0, 10);
      expect(await aggregate(rogue, signEnvelope(envelope(alleleParams(list)), signingKey), list)).toEqual(refused(7, 'GENOFED_CALLER_NOT_IN_POLICY'));
    } finally {
      rogue.close();
    }
  });

  it('enforces the node policy file: a kind it does not allow is refused, and the per-querier rate limit holds', async () => {
    await nodes.b!.close(0);
    clients.b!.close();
    const policy = join(layout.dir, 'sites', 'b', 'policy-strict.json');
    await writeFile(policy, JSON.stringify({ coordinators: [{ coordinatorId: 'coordinator', allowedKinds: ['cohort-count'], maxQueriesPerHour: 2 }] }));
    const raw = JSON.parse(await readFile(layout.siteConfigs.b!, 'utf8')) as { privacy: { policyFile: string } };
    raw.privacy.policyFile = 'policy-strict.json';
    const strictConfig = join(layout.dir, 'sites', 'b', 'node-strict.json');
    await writeFile(strictConfig, JSON.stringify(raw));
    nodes.b = await startNode(await loadNodeConfig(strictConfig), { logger: silent });
    clients.b = clientFor('b');
    const list = keys.slice(0, 10);
    const q = { querier: 'rate-r' };
    expect(await aggregate(clients.b!, signEnvelope(envelope(alleleParams(list), q), signingKey), list)).toEqual(refused(7, 'GENOFED_KIND_NOT_ALLOWED'));
    for (let i = 0; i < 2; i++) answered(await aggregate(clients.b!, signEnvelope(envelope(cohortParams("super_pop = 'SAS'"), q), signingKey), []));
    expect(await aggregate(clients.b!, signEnvelope(envelope(cohortParams("super_pop = 'SAS'"), q), signingKey), [])).toEqual(refused(8, 'GENOFED_RATE_LIMITED'));
  });

  it('refuses a differencing pair: a cohort, then the same cohort without one patient', async () => {
    const q = { querier: 'differ' };
    const eur = answered(await aggregate(clients.a!, signEnvelope(envelope(cohortParams("super_pop = 'EUR'"), q), signingKey), []));
    expect(eur.header.valueCount).toBe(1);
    const minusOne = `super_pop = 'EUR' and pid != ${hg00096Pid}`;
    expect(await aggregate(clients.a!, signEnvelope(envelope(cohortParams(minusOne), q), signingKey), [])).toEqual(refused(7, 'GENOFED_COHORT_DIFFERENCING'));
    // Through allele counts too, and a cohort far from every earlier one is still answered.
    const list = keys.slice(0, 5);
    expect(await aggregate(clients.a!, signEnvelope(envelope(alleleParams(list, minusOne), q), signingKey), list)).toEqual(refused(7, 'GENOFED_COHORT_DIFFERENCING'));
    answered(await aggregate(clients.a!, signEnvelope(envelope(cohortParams("super_pop = 'AFR'"), q), signingKey), []));
    // Another querier is not held to 'differ''s history (pairs per querier: a documented limit).
    answered(await aggregate(clients.a!, signEnvelope(envelope(cohortParams(minusOne), { querier: 'someone-else' }), signingKey), []));
  });

  it('with DP on, answers carry the noise scale, an envelope asking for less noise is refused, and an exhausted budget stays exhausted after a restart', async () => {
    // Restart site c with DP on (epsilon 1 per query, budget 2) on the same store.
    await nodes.c!.close(0);
    clients.c!.close();
    const raw = JSON.parse(await readFile(layout.siteConfigs.c!, 'utf8')) as { privacy: { dp: object; budget: object } };
    raw.privacy.dp = { enabled: true, epsilonPerQuery: 1 };
    raw.privacy.budget = { totalEpsilon: 2 };
    const dpConfig = join(layout.dir, 'sites', 'c', 'node-dp.json');
    await writeFile(dpConfig, JSON.stringify(raw));
    const start = async (): Promise<void> => {
      nodes.c = await startNode(await loadNodeConfig(dpConfig), { logger: silent });
      clients.c = clientFor('c');
    };
    await start();
    const q = { querier: 'budget-spender' };
    const cohort = cohortParams("super_pop = 'EAS'");
    expect(await aggregate(clients.c!, signEnvelope(envelope(cohort, q), signingKey), [])).toEqual(refused(9, 'GENOFED_DP_POLICY'));
    expect(await aggregate(clients.c!, signEnvelope(envelope(cohort, { ...q, dpEpsilon: 4 }), signingKey), [])).toEqual(refused(9, 'GENOFED_DP_POLICY'));
    for (let i = 0; i < 2; i++) {
      const a = answered(await aggregate(clients.c!, signEnvelope(envelope(cohort, { ...q, dpEpsilon: 1 }), signingKey), []));
      expect(a.header.masked).toBe(true);
      expect(a.header.noiseMu).toBeCloseTo(skellamMu({ epsilon: 1, sensitivity: 1, counts: 1 }), 6);
    }
    expect(await aggregate(clients.c!, signEnvelope(envelope(cohort, { ...q, dpEpsilon: 1 }), signingKey), [])).toEqual(refused(8, 'GENOFED_BUDGET_EXHAUSTED'));
    await nodes.c!.close(0);
    clients.c!.close();
    await start();
    expect(await aggregate(clients.c!, signEnvelope(envelope(cohort, { ...q, dpEpsilon: 1 }), signingKey), [])).toEqual(refused(8, 'GENOFED_BUDGET_EXHAUSTED'));
    // Budgets are per querier: another researcher still has theirs.
    answered(await aggregate(clients.c!, signEnvelope(envelope(cohort, { querier: 'fresh', dpEpsilon: 1 }), signingKey), []));
  }, 120_000);

  it('the audit log records answers and refusals, verifies with `genofed audit verify --store`, and fails after an edit', async () => {
    const store = layout.siteStores.a!;
    const run = (): Promise<{ code: number; stdout: string }> => new Promise((done) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'genofed.js'), 'audit', 'verify', '--store', store], { timeout: 60_000 }, (err, stdout) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout }));
    });
    const text = await readFile(join(store, 'audit.log'), 'utf8');
    const entries = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { decision: string; reason?: string });
    expect(entries.filter((x) => x.decision === 'answered').length).toBeGreaterThan(0);
    expect(new Set(entries.filter((x) => x.decision === 'refused').map((x) => x.reason))).toEqual(new Set(['GENOFED_TOO_FEW_PARTICIPANTS', 'GENOFED_COHORT_DIFFERENCING']));
    expect(text).not.toContain('HG00096');
    expect((await run()).code).toBe(0);
    await writeFile(join(store, 'audit.log'), text.replace('"decision":"refused"', '"decision":"answered"'));
    expect((await run()).code).not.toBe(0);
  }, 120_000);
});
