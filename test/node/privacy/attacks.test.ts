/**
 * Attacks by the key holder (issue 9), against 4 real `genofed node serve`
 * processes over mTLS, each holding a DISJOINT quarter of the 1000 Genomes
 * chr1 samples (test/node/privacy/disjoint-consortium.ts). The attacker
 * holds exactly what the coordinator holds (TLS key, signing key, BFV
 * secret key, the public roster; test/node/privacy/attacker.ts), speaks
 * the node protocol directly, and never reads a site's secret. Each claim
 * of THREAT-MODEL.md that names this file must fail here if broken:
 *
 * - no subsets: any participant set other than the roster is refused, the
 *   relay of a whole round to a subset yields only masked (uniform) values,
 *   and nothing the attacker computes equals a site's counts;
 * - the nodes verify network sizes: single-patient and small cohorts,
 *   carriers and strata are refused by every node; forged relays and
 *   different envelopes under one query id are detected;
 * - masks are not optional; ghost participants are refused;
 * - the researcher-chosen dropout fails before any site answers, and a
 *   dropout is never followed by a sum over the others;
 * - identifier columns are not queryable;
 * - the differencing guard is per key holder and covers carriers;
 * - replay, foreign signing key, certificate not in the node policy, kind
 *   not allowed, rate limit; the audit log records all of it.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as x509 from '@peculiar/x509';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLeaf } from '../../../coordinator/network/pki.js';
import { parseCoordinatorConfig } from '../../../coordinator/config.js';
import { createFederation } from '../../../coordinator/federation/create.js';
import type { Federation } from '../../../coordinator/federation/types.js';
import { getPreset } from '../../../crypto/index.js';
import { coordinatorUri } from '../../../proto/convert/identity.js';
import { signEnvelope } from '../../../proto/convert/envelope.js';
import type { SignedCommitment } from '../../../proto/convert/size-commitment.js';
import * as wire from '../../../proto/generated/genofed/v1/node.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { variantListDigestHex, type QueryParams } from '../../../proto/query.js';
import { comparisonKey } from '../../../coordinator/demo/plaintext-reference.js';
import type { VariantKey } from '../../../proto/variant.js';
import { Attacker, chiSquareUniform, isRefusal, type Answer, type Refusal } from './attacker.js';
import { RARE_X, RARE_Y, startDisjointConsortium, type DisjointConsortium } from './disjoint-consortium.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SITES = ['a', 'b', 'c', 'd'];
const t = getPreset('test').plainModulus;
const silent = { info() {}, warn() {} };

const cohortParams = (cohort: string, carriers: readonly VariantKey[] = []): QueryParams => ({
  kind: 'cohort-count', cohort, carrierCount: carriers.length, carriersSha256: carriers.length ? variantListDigestHex(carriers) : '',
});

function codes(out: Map<string, Answer | Refusal>): Record<string, string | undefined> {
  return Object.fromEntries([...out].map(([s, r]) => [s, isRefusal(r) ? r.code : 'answered']));
}

const everyone = (code: string): Record<string, string> => Object.fromEntries(SITES.map((s) => [s, code]));

describe('attacks by the key holder on 4 sites with disjoint 1000G samples (real node processes)', () => {
  let dir: string;
  let c: DisjointConsortium;
  let mallory: Attacker;
  let keys: VariantKey[];
  /** Site counts packed like the answer (ac, an, nhomalt per key): what the attacker must never learn. */
  const siteCounts: Record<string, number[]> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-keyholder-'));
    c = await startDisjointConsortium(dir, SITES);
    mallory = await Attacker.fromCoordinator(join(c.layout.dir, 'coordinator'));
    for (const s of SITES) mallory.connect(s, c.ports[s]!);
    // 300 variants every site holds (the chr1 records are split by sample, so each share has each record).
    keys = [...c.reference.a!.rows.values()].slice(0, 300).map((r) => ({ chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt }));
    for (const s of SITES) siteCounts[s] = keys.flatMap((k) => { const r = c.reference[s]!.rows.get(comparisonKey(k))!; return [r.ac, r.an, r.nhomalt]; });
    // The sites really differ (disjoint samples), and every AN is non-zero.
    expect(siteCounts.a).not.toEqual(siteCounts.b);
    for (const s of SITES) expect(siteCounts[s]!.filter((_, i) => i % 3 === 1).every((an) => an > 0)).toBe(true);
  }, 300_000);

  afterAll(async () => {
    mallory?.close();
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Slots of `v` equal to a site's count, per site. */
  function matches(v: readonly bigint[]): Record<string, number> {
    return Object.fromEntries(SITES.map((s) => [s, v.filter((x, i) => x === BigInt(siteCounts[s]![i]!)).length]));
  }

  describe('no subsets', () => {
    it('every participant set other than the whole roster is refused by every site it names, before any commitment: 4 three-site subsets, ghosts, duplicates, supersets', async () => {
      const obtained: bigint[][] = [];
      const subsets = SITES.map((left) => SITES.filter((s) => s !== left));
      const forged: string[][] = [...subsets, ['a', 'ghost-1', 'ghost-2'], ['a', 'b', 'c', 'd', 'ghost-1'], ['a', 'a', 'b', 'c', 'd'], ['a', 'b'], ['a']];
      for (const participants of forged) {
        const q = mallory.sign(mallory.envelope(mallory.listParams('', keys), { participants }));
        for (const site of new Set(participants.filter((p) => SITES.includes(p)))) {
          const s = mallory.open(site, q, keys);
          const first = await s.commitment;
          expect(first, `${participants.join(',')} at ${site}`).toMatchObject({ refused: true, code: 'GENOFED_ROSTER_MISMATCH' });
          const r = await s.outcome();
          if (!isRefusal(r)) obtained.push(mallory.decryptCounts([r.ciphertexts], keys.length));
        }
      }
      // The subset solver (sum of the 4 subset totals / 3 minus each subset total) has nothing to work with.
      expect(obtained).toEqual([]);
      // The honest total over the whole roster is released, and equals the sum of the sites' counts.
      const full = await mallory.run(mallory.sign(mallory.envelope(mallory.listParams('', keys))), keys);
      expect(codes(full)).toEqual(everyone('answered'));
      const total = mallory.decryptCounts([...full.values()].map((a) => (a as Answer).ciphertexts), keys.length);
      expect(total.map(Number)).toEqual(keys.flatMap((_, i) => [0, 1, 2].map((j) => SITES.reduce((sum, s) => sum + siteCounts[s]![3 * i + j]!, 0))));
      // A total is not a site's counts: every site has samples, so no site's AN equals the network AN.
      const totalAn = total.filter((_, i) => i % 3 === 1);
      for (const s of SITES) expect(totalAn.filter((x, i) => x === BigInt(siteCounts[s]![3 * i + 1]!)).length, s).toBe(0);
    });

    it('the same query id answered under one set is never answered again under another (replay, even re-signed)', async () => {
      const e = mallory.envelope(mallory.listParams('', keys.slice(0, 20)));
      const out = await mallory.run(mallory.sign(e), keys.slice(0, 20));
      expect(codes(out)).toEqual(everyone('answered'));
      const again = mallory.open('a', mallory.sign({ ...e, participants: ['a', 'b', 'c'] }), keys.slice(0, 20));
      expect(await again.outcome()).toMatchObject({ refused: true });
      const replay = mallory.open('a', mallory.sign(e), keys.slice(0, 20));
      expect(await replay.commitment).toMatchObject({ refused: true, code: 'GENOFED_QUERY_REPLAYED' });
    });

    it('relaying a whole round to only some sites yields masked values: one site alone, or three of four, decrypt to uniform noise, not counts', async () => {
      const q = mallory.sign(mallory.envelope(mallory.listParams('', keys)));
      const sessions = new Map(SITES.map((s) => [s, mallory.open(s, q, keys)]));
      const commitments = await Promise.all([...sessions.values()].map((s) => s.commitment));
      expect(commitments.some(isRefusal)).toBe(false);
      // Every commitment is relayed, but only to a, b and c; d is left hanging.
      const got = await Promise.all(['a', 'b', 'c'].map((s) => sessions.get(s)!.relay(commitments as SignedCommitment[])));
      sessions.get('d')!.cancel();
      const answers = got.map((g) => { expect(isRefusal(g)).toBe(false); return g as Answer; });
      for (const a of answers) expect(a.header).toMatchObject({ masked: true, noiseMu: 0 });
      const n = keys.length * 3;
      // The check can fail: a site's real counts are far from uniform.
      expect(chiSquareUniform(siteCounts.a!.map(BigInt), t, 32)).toBeGreaterThan(1000);
      const attempts = [
        ...answers.map((a) => mallory.decryptCounts([a.ciphertexts], keys.length)),
        mallory.decryptCounts(answers.map((a) => a.ciphertexts), keys.length),
        mallory.decryptCounts(answers.slice(0, 2).map((a) => a.ciphertexts), keys.length),
      ];
      for (const v of attempts) for (const [s, m] of Object.entries(matches(v))) expect(m, `slots equal to ${s}'s counts`).toBeLessThan(3);
      // What was decrypted, slot by slot (the nodes may pack several counts per slot, protocol 7): uniform mod t.
      const slots = [
        ...answers.map((a) => mallory.decryptSlots([a.ciphertexts])),
        mallory.decryptSlots(answers.map((a) => a.ciphertexts)),
        mallory.decryptSlots(answers.slice(0, 2).map((a) => a.ciphertexts)),
      ];
      // 32 bins over the slots: the 1e-6 critical value of chi-square with 31 df is ~76.
      for (const v of slots) expect(chiSquareUniform(v, t, 32)).toBeLessThan(76);
    });
  });

  describe('the nodes verify network sizes themselves', () => {
    it('a single-patient cohort is refused by every node (cohort count, allele counts); as a stratum cell every node withholds it (zeros, listed in its signed header)', async () => {
      expect(RARE_X).toHaveLength(1);
      const one = "diagnosis = 'rare-x'";
      expect(codes(await mallory.run(mallory.sign(mallory.envelope(cohortParams(one)))))).toEqual(everyone('GENOFED_COHORT_TOO_SMALL'));
      expect(codes(await mallory.run(mallory.sign(mallory.envelope(mallory.listParams(one, keys))), keys))).toEqual(everyone('GENOFED_COHORT_TOO_SMALL'));
      // Strata by diagnosis among EUR: cells none (hundreds), rare-x (1), rare-y (2 EUR): the small cells are withheld,
      // and since the EUR block minus the 'none' cell would be those 3 people, the 'none' cell too: all zeros.
      const strata = await mallory.run(mallory.sign(mallory.envelope(mallory.listParams("super_pop = 'EUR'", keys, ['diagnosis']))), keys);
      expect(codes(strata)).toEqual(everyone('answered'));
      for (const a of strata.values()) expect((a as Answer).header.withheld).toEqual([1, 2, 3]);
      const V = keys.length * 3;
      const total = mallory.decryptCounts([...strata.values()].map((a) => (a as Answer).ciphertexts), keys.length, 4);
      expect(total.slice(V, 4 * V).every((x) => x === 0n)).toBe(true);
      expect(total.slice(0, V).some((x) => x > 0n)).toBe(true);
      // A narrower numeric predicate cannot isolate anyone either: numbers are queryable only at bin edges.
      expect(codes(await mallory.run(mallory.sign(mallory.envelope(cohortParams("pop = 'GBR' and gender = 'male' and age = 61")))))).toEqual(everyone('GENOFED_BAD_COHORT'));
    });

    it('a cohort of 3 (< k = 5) is refused by every node, while an empty cohort and one of k or more are answered', async () => {
      expect(RARE_Y).toHaveLength(3);
      expect(codes(await mallory.run(mallory.sign(mallory.envelope(cohortParams("diagnosis = 'rare-y'")))))).toEqual(everyone('GENOFED_COHORT_TOO_SMALL'));
      expect(codes(await mallory.run(mallory.sign(mallory.envelope(cohortParams("diagnosis = 'rare-x' and super_pop = 'AFR'")))))).toEqual(everyone('answered'));
      const eas = await mallory.run(mallory.sign(mallory.envelope(cohortParams("super_pop = 'EAS'"))));
      expect(codes(eas)).toEqual(everyone('answered'));
      expect(Number(mallory.decrypt([...eas.values()].map((a) => (a as Answer).ciphertexts), 1)[0])).toBe(504);
    });

    it('a carrier set of one patient is refused by every node', async () => {
      // A variant carried by exactly one sample in the whole file (network AC 1, one heterozygote).
      const singleton = [...c.reference.a!.rows.values()].map((r) => ({ r, total: SITES.reduce((n, s) => n + (c.reference[s]!.rows.get(comparisonKey(r))?.ac ?? 0), 0) })).find((x) => x.total === 1)!.r;
      const carriers = [{ chrom: singleton.chrom, pos: singleton.pos, ref: singleton.ref, alt: singleton.alt }];
      expect(codes(await mallory.run(mallory.sign(mallory.envelope(cohortParams('', carriers))), carriers))).toEqual(everyone('GENOFED_COHORT_TOO_SMALL'));
    });

    it('different envelopes under one query id are detected by every node: a single-patient cohort at the site holding the patient, a large one elsewhere', async () => {
      const base = mallory.envelope(cohortParams("super_pop = 'EUR'"));
      const lone = { ...base, params: cohortParams("diagnosis = 'rare-x'") };
      const sessions = new Map(SITES.map((s) => [s, mallory.open(s, mallory.sign(s === 'a' ? lone : base))]));
      const commitments = await Promise.all([...sessions.values()].map((s) => s.commitment));
      expect(commitments.some(isRefusal)).toBe(false);
      const out = await Promise.all([...sessions].map(async ([s, x]) => [s, await x.relay(commitments as SignedCommitment[])] as const));
      expect(codes(new Map(out))).toEqual(everyone('GENOFED_ENVELOPE_MISMATCH'));
    });

    it('forged relays are refused by every node: an altered, dropped, duplicated, foreign or self-signed commitment', async () => {
      const forge = async (edit: (cs: SignedCommitment[], prior: SignedCommitment[]) => SignedCommitment[]): Promise<Record<string, string | undefined>> => {
        const prior = await (async () => {
          const q = mallory.sign(mallory.envelope(cohortParams("super_pop = 'AFR'")));
          const ss = SITES.map((s) => mallory.open(s, q));
          const cs = (await Promise.all(ss.map((s) => s.commitment))) as SignedCommitment[];
          for (const s of ss) s.cancel();
          return cs;
        })();
        const q = mallory.sign(mallory.envelope(cohortParams("diagnosis = 'rare-x'")));
        const sessions = new Map(SITES.map((s) => [s, mallory.open(s, q)]));
        const cs = (await Promise.all([...sessions.values()].map((s) => s.commitment))) as SignedCommitment[];
        const relay = edit(cs, prior);
        return codes(new Map(await Promise.all([...sessions].map(async ([s, x]) => [s, await x.relay(relay)] as const))));
      };
      const flip = (x: SignedCommitment): SignedCommitment => {
        const body = new Uint8Array(x.body);
        body[body.length - 1]! ^= 1;
        return { body, signature: x.signature };
      };
      const coordinatorKey = generateKeyPairSync('ed25519').privateKey;
      const cases: [string, (cs: SignedCommitment[], prior: SignedCommitment[]) => SignedCommitment[]][] = [
        ['altered', (cs) => [cs[0]!, flip(cs[1]!), cs[2]!, cs[3]!]],
        ['dropped', (cs) => cs.slice(0, 3)],
        ['duplicated', (cs) => [cs[0]!, cs[1]!, cs[1]!, cs[3]!]],
        ['from another query', (cs, prior) => [cs[0]!, prior[1]!, cs[2]!, cs[3]!]],
        ['re-signed by another key', (cs) => [cs[0]!, { body: cs[1]!.body, signature: new Uint8Array(signEnvelope(mallory.envelope(cohortParams('')), coordinatorKey).signature) }, cs[2]!, cs[3]!]],
      ];
      for (const [name, edit] of cases) {
        const got = await forge(edit);
        // The site whose own commitment is untouched and complete still refuses: no node answers a forged round.
        for (const s of SITES) expect(got[s], `${name} at ${s}`).toBe('GENOFED_SIZE_ROUND');
      }
    });
  });

  describe('masks and the roster', () => {
    it('a node config without a roster does not start (masks are not optional), nor one confirming another fingerprint', async () => {
      const raw = JSON.parse(await readFile(c.layout.siteConfigs.a!, 'utf8')) as Record<string, unknown>;
      const { roster: _r, ...noRoster } = raw;
      const cfg1 = join(c.layout.dir, 'sites', 'a', 'node-no-roster.json');
      await writeFile(cfg1, JSON.stringify(noRoster));
      const r1 = await runCli(['node', 'serve', '--config', cfg1]);
      expect(r1.code).not.toBe(0);
      expect(r1.stderr).toMatch(/GENOFED_CONFIG: .*field 'roster'/);
      const cfg2 = join(c.layout.dir, 'sites', 'a', 'node-other-fp.json');
      await writeFile(cfg2, JSON.stringify({ ...raw, roster: { file: 'roster.json', fingerprint: 'ab'.repeat(32) } }));
      const r2 = await runCli(['node', 'serve', '--config', cfg2]);
      expect(r2.code).not.toBe(0);
      expect(r2.stderr).toMatch(/GENOFED_ROSTER_NOT_CONFIRMED: roster: roster.json has fingerprint .* not the one this site's operator confirmed/);
    });

    it('a roster with a ghost site whose keys the coordinator made is refused, even when an operator is tricked into confirming its fingerprint', async () => {
      const { rosterFingerprint, signRoster, publicKeyBase64, serializeSignedRoster } = await import('../../../proto/roster.js');
      const real = mallory.signed;
      const ghostX = generateKeyPairSync('x25519');
      const ghostSign = generateKeyPairSync('ed25519');
      const roster = { ...real.roster, sites: [...real.roster.sites, { id: 'ghost-1', x25519: publicKeyBase64(ghostX.publicKey), signingKey: publicKeyBase64(ghostSign.publicKey) }] };
      // The ghost signs; the real sites' signatures are copied over from the real roster (the attacker cannot make new ones).
      const forged = serializeSignedRoster({ roster, signatures: [...real.signatures, signRoster(roster, 'ghost-1', ghostSign.privateKey)] });
      const file = join(c.layout.dir, 'sites', 'a', 'roster-ghost.json');
      await writeFile(file, forged);
      const raw = JSON.parse(await readFile(c.layout.siteConfigs.a!, 'utf8')) as Record<string, unknown>;
      for (const fingerprint of [c.layout.rosterFingerprint, rosterFingerprint(roster)]) {
        const cfg = join(c.layout.dir, 'sites', 'a', 'node-ghost.json');
        await writeFile(cfg, JSON.stringify({ ...raw, roster: { file: 'roster-ghost.json', fingerprint } }));
        const r = await runCli(['node', 'serve', '--config', cfg]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/GENOFED_ROSTER_NOT_CONFIRMED/);
      }
      // And the running nodes, whose roster has no ghost, refuse any query naming one.
      const q = mallory.sign(mallory.envelope(cohortParams("super_pop = 'EUR'"), { participants: [...SITES, 'ghost-1'] }));
      expect(await mallory.open('b', q).commitment).toMatchObject({ code: 'GENOFED_ROSTER_MISMATCH' });
    });
  });

  describe('through the coordinator as a researcher', () => {
    let fed: Federation;

    beforeAll(async () => {
      const raw = JSON.parse(await readFile(c.layout.coordinatorConfig, 'utf8')) as { sites: { id: string }[] };
      const config = parseCoordinatorConfig({ ...raw, sites: raw.sites.map((s) => ({ id: s.id, address: `127.0.0.1:${c.ports[s.id]}` })) }, join(c.layout.dir, 'coordinator'));
      fed = await createFederation(config, { logger: silent });
    });
    afterAll(async () => fed?.close());

    const auditLines = async (): Promise<number> => {
      let n = 0;
      for (const s of SITES) n += (await readFile(join(c.layout.siteStores[s]!, 'audit.log'), 'utf8')).split('\n').filter(Boolean).length;
      return n;
    };

    it('the researcher-chosen dropout (a predicate on a column one site lacks) is refused before any site is asked', async () => {
      const before = await auditLines();
      await expect(fed.alleleFrequency({ variants: keys, cohort: "super_pop = 'EAS' and (age_years >= 0 or age_years < 0)", querier: 'eve' })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', httpStatus: 400, message: expect.stringContaining("unknown column 'age_years'") });
      await expect(fed.cohortCount({ cohort: "super_pop = 'EAS' and pop = 'XYZ'", querier: 'eve' })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', message: expect.stringContaining("value 'XYZ' is not in the consortium schema") });
      expect(await auditLines()).toBe(before);
    });

    it('a researcher asking for strata with a cell of 1..k-1 people gets no rows for it, and the note says which and why', async () => {
      // The rare-x and rare-y cells hold 4 people together, so the nodes also withhold the smaller 'none' cell.
      // (Not --by super_pop,diagnosis: after the EUR cohort asked above, (EUR, none) would differ from it by the
      // 3 rare EUR patients, a difference the differencing guard refuses.)
      const a = await fed.alleleFrequency({ variants: keys.slice(0, 10), by: ['diagnosis', 'gender'], querier: 'eve' });
      const rule = a.disclosure!.rules[0]!;
      expect(rule).toMatchObject({ rule: 'stratum-below-k', action: 'suppressed' });
      expect(rule.strata!.filter((l) => !l.startsWith('none,'))).toEqual(['rare-x,male', 'rare-y,female']);
      expect(rule.strata!.filter((l) => l.startsWith('none,'))).toHaveLength(1);
      expect(rule.rows).toBe(30);
      const released = new Set(a.rows.map((r) => `${r.strata!.diagnosis},${r.strata!.gender}`));
      for (const l of rule.strata!) expect(released.has(l)).toBe(false);
      expect([...released].filter((l) => l.startsWith('none,'))).toHaveLength(1);
    });

    it('identifier columns are never queryable: not in the schema, refused by the coordinator and by every node', async () => {
      expect(() => parsePhenotypeSchema({ format: 'genofed-phenotype-schema', version: 1, columns: [{ name: 'patient_id', type: 'integer', bins: [0, 1000000] }] })).toThrow(/looks like an identifier/);
      expect(() => parsePhenotypeSchema({ format: 'genofed-phenotype-schema', version: 1, columns: [{ name: 'mrn_no', type: 'categorical', values: ['1'] }] })).toThrow(/looks like an identifier/);
      await expect(fed.cohortCount({ cohort: 'patient_id = 100017', querier: 'eve' })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT' });
      expect(codes(await mallory.run(mallory.sign(mallory.envelope(cohortParams('mrn_no = 100017')))))).toEqual(everyone('GENOFED_BAD_COHORT'));
    });

    it('a site that drops out fails the query naming it; no site answers a sum over the others, and the retry succeeds', async () => {
      await c.stop('d');
      try {
        const answeredBefore = await answeredCount();
        await expect(fed.alleleFrequency({ variants: keys.slice(0, 50), querier: 'eve' })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/^site d: /) });
        // The others committed, got no relay, and refused: no answered entry appeared anywhere.
        await new Promise((r) => setTimeout(r, 500));
        expect(await answeredCount()).toBe(answeredBefore);
      } finally {
        const port = await c.start('d');
        mallory.connect('d', port);
      }
      const raw = JSON.parse(await readFile(c.layout.coordinatorConfig, 'utf8')) as { sites: { id: string }[] };
      const again = await createFederation(parseCoordinatorConfig({ ...raw, sites: raw.sites.map((s) => ({ id: s.id, address: `127.0.0.1:${c.ports[s.id]}` })) }, join(c.layout.dir, 'coordinator')), { logger: silent });
      try {
        const a = await again.alleleFrequency({ variants: keys.slice(0, 50), querier: 'eve' });
        expect(a.sites).toEqual({ responding: SITES, missing: [] });
      } finally {
        await again.close();
      }
    });

    async function answeredCount(): Promise<number> {
      let n = 0;
      for (const s of SITES) {
        for (const l of (await readFile(join(c.layout.siteStores[s]!, 'audit.log'), 'utf8')).split('\n').filter(Boolean)) {
          const e = JSON.parse(l) as { decision: string; kind: string };
          if (e.decision === 'answered' && e.kind === 'allele-counts') n += 1;
        }
      }
      return n;
    }
  });

  describe('the differencing guard is per key holder and covers carriers', () => {
    it('a cohort, then the same cohort without one patient, is refused even when two researcher names ask through one coordinator', async () => {
      const eur = await mallory.run(mallory.sign(mallory.envelope(cohortParams("super_pop = 'EUR'"), { querier: 'alice' })));
      expect(codes(eur)).toEqual(everyone('answered'));
      const minusOne = await mallory.run(mallory.sign(mallory.envelope(cohortParams("super_pop = 'EUR' and diagnosis != 'rare-x'"), { querier: 'bob' })));
      // The site holding HG00096 refuses (locally the cohorts differ by one patient); the others see no
      // difference and answer, but without that site's mask their sum is noise, not the cohort's count.
      const refusedAt = Object.entries(codes(minusOne)).filter(([, v]) => v === 'GENOFED_COHORT_DIFFERENCING').map(([s]) => s);
      expect(refusedAt).toEqual([siteOf('HG00096')]);
      expectNoise(minusOne, 1, [eurCount() - 1]);
    });

    it('carriers: carriers of S, then carriers of S plus one variant that adds one patient, is refused', async () => {
      const eur = new Set(await eurSamples());
      const { base, extra, person } = await carrierPair(eur);
      const first = await mallory.run(mallory.sign(mallory.envelope(cohortParams("super_pop = 'EUR'", [base]), { querier: 'carol' })), [base]);
      expect(codes(first)).toEqual(everyone('answered'));
      const second = await mallory.run(mallory.sign(mallory.envelope(cohortParams("super_pop = 'EUR'", [base, extra]), { querier: 'dave' })), [base, extra]);
      expect(Object.entries(codes(second)).filter(([, v]) => v === 'GENOFED_COHORT_DIFFERENCING').map(([s]) => s)).toEqual([siteOf(person)]);
      expectNoise(second, 1, []);
    });

    /** The answers that did come decrypt, summed, to values uniform mod t: far from any count (< 10,000) and from `not`. */
    function expectNoise(out: Map<string, Answer | Refusal>, n: number, not: readonly number[]): void {
      const got = [...out.values()].filter((a): a is Answer => !isRefusal(a));
      if (got.length === 0) return;
      const v = mallory.decrypt(got.map((a) => a.ciphertexts), n);
      for (const x of v) {
        expect(x > 10_000n, 'a partial sum decrypted to a plausible count').toBe(true);
        for (const y of not) expect(x).not.toBe(BigInt(y));
      }
    }

    function eurCount(): number {
      return 503;
    }

    function siteOf(sample: string): string {
      return SITES.find((s) => c.samples[s]!.includes(sample))!;
    }

    async function eurSamples(): Promise<string[]> {
      const panel = (await readFile(join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel'), 'utf8')).split('\n').slice(1).map((l) => l.split('\t'));
      return panel.filter((f) => f[2] === 'EUR').map((f) => f[0]!);
    }

    /** From the shares (the test's view, not the attacker's): a variant with >= 10 EUR carriers, and one with a single EUR carrier outside them. */
    async function carrierPair(eur: ReadonlySet<string>): Promise<{ base: VariantKey; extra: VariantKey; person: string }> {
      const carriers = new Map<string, { key: VariantKey; who: Set<string> }>();
      for (const s of SITES) {
        const text = await readFile(join(c.dir, 'shares', `${s}.vcf`), 'utf8');
        let ids: string[] = [];
        for (const line of text.split('\n')) {
          if (line.startsWith('#CHROM')) { ids = line.split('\t').slice(9); continue; }
          if (!line || line.startsWith('#')) continue;
          const f = line.split('\t');
          if (f[4]!.includes(',')) continue;
          const key = { chrom: f[0]!, pos: Number(f[1]), ref: f[3]!, alt: f[4]! };
          const k = `${key.pos}:${key.ref}:${key.alt}`;
          const entry = carriers.get(k) ?? { key, who: new Set<string>() };
          carriers.set(k, entry);
          f.slice(9).forEach((g, i) => { if (eur.has(ids[i]!) && /[1-9]/.test(g.split(':')[0]!)) entry.who.add(ids[i]!); });
        }
      }
      const all = [...carriers.values()];
      const base = all.find((x) => x.who.size >= 10 && x.who.size <= 200)!;
      const extra = all.find((x) => x.who.size === 1 && !base.who.has([...x.who][0]!))!;
      return { base: base.key, extra: extra.key, person: [...extra.who][0]! };
    }
  });

  describe('node policy, signatures, replay and the audit log', () => {
    it('refuses a query signed by another key', async () => {
      const e = mallory.envelope(cohortParams("super_pop = 'EUR'"));
      const q = signEnvelope(e, generateKeyPairSync('ed25519').privateKey);
      expect(await mallory.open('a', q).commitment).toMatchObject({ code: 'GENOFED_QUERY_SIGNATURE' });
    });

    it('refuses a coordinator certificate of the same CA that is not in the node policy, even with a valid signature', async () => {
      const cdir = join(c.layout.dir, 'ca');
      const caCert = new x509.X509Certificate(await readFile(join(cdir, 'ca.crt.pem'), 'utf8'));
      const der = Buffer.from((await readFile(join(cdir, 'ca.key.pem'), 'utf8')).replace(/-----[^-]+-----|\s/g, ''), 'base64');
      const privateKey = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
      const publicKey = await caCert.publicKey.export(webcrypto as unknown as Parameters<typeof caCert.publicKey.export>[0]);
      const leaf = await createLeaf({ cert: caCert, keys: { privateKey, publicKey }, pem: { certPem: '', keyPem: '' } }, { commonName: 'rogue', uri: coordinatorUri('rogue'), usage: 'client', days: 1 });
      const rogue = new wire.NodeServiceClient(`127.0.0.1:${c.ports.a}`, credentials.createSsl(await readFile(join(cdir, 'ca.crt.pem')), Buffer.from(leaf.keyPem), Buffer.from(leaf.certPem), { checkServerIdentity: () => undefined }));
      try {
        const refusedCode = await new Promise<string | undefined>((done) => {
          const call = rogue.aggregate();
          call.on('data', () => undefined);
          call.on('error', (err: { metadata?: { get(k: string): unknown[] } }) => done(err.metadata?.get('genofed-code')[0] as string | undefined));
          call.on('end', () => done('ended'));
          const q = mallory.sign(mallory.envelope(cohortParams("super_pop = 'EUR'")));
          call.write({ msg: { $case: 'query', value: { envelope: Buffer.from(q.envelope), signature: Buffer.from(q.signature) } } });
        });
        expect(refusedCode).toBe('GENOFED_CALLER_NOT_IN_POLICY');
      } finally {
        rogue.close();
      }
    });

    it('enforces the node policy file after its operator changes it: a kind it does not allow, and the rate limit per coordinator', async () => {
      const sdir = join(c.layout.dir, 'sites', 'b');
      await writeFile(join(sdir, 'policy.json'), JSON.stringify({ coordinators: [{ coordinatorId: 'coordinator', allowedKinds: ['variant-keys', 'cohort-count'], maxQueriesPerHour: 1000, maxQueriesPerDay: 100000 }] }));
      await c.stop('b');
      mallory.connect('b', await c.start('b'));
      const list = keys.slice(0, 5);
      expect(await mallory.open('b', mallory.sign(mallory.envelope(mallory.listParams('', list))), list).commitment).toMatchObject({ code: 'GENOFED_KIND_NOT_ALLOWED' });
      await writeFile(join(sdir, 'policy.json'), JSON.stringify({ coordinators: [{ coordinatorId: 'coordinator', allowedKinds: ['variant-keys', 'allele-counts', 'cohort-count'], maxQueriesPerHour: 2 }] }));
      await c.stop('b');
      mallory.connect('b', await c.start('b'));
      // The window counts this coordinator's queries (the log keeps the ones answered before): at most 2 per hour, whoever the researcher.
      const outcomes: (string | undefined)[] = [];
      for (const querier of ['r1', 'r2', 'r3']) {
        const first = await mallory.open('b', mallory.sign(mallory.envelope(cohortParams("super_pop = 'SAS'"), { querier }))).commitment;
        outcomes.push(isRefusal(first) ? first.code : 'committed');
      }
      expect(outcomes.at(-1)).toBe('GENOFED_RATE_LIMITED');
    });

    it('the audit log records answers and refusals with their codes and no sample id, verifies with `genofed audit verify --store`, and fails after an edit', async () => {
      const store = c.layout.siteStores.a!;
      const text = await readFile(join(store, 'audit.log'), 'utf8');
      const entries = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { decision: string; reason?: string; kind: string });
      expect(entries.filter((x) => x.decision === 'answered').length).toBeGreaterThan(0);
      expect(entries.some((x) => x.kind === 'roster')).toBe(true);
      const reasons = new Set(entries.filter((x) => x.decision === 'refused').map((x) => x.reason));
      for (const r of ['GENOFED_ROSTER_MISMATCH', 'GENOFED_COHORT_TOO_SMALL', 'GENOFED_ENVELOPE_MISMATCH', 'GENOFED_SIZE_ROUND', 'GENOFED_BAD_COHORT', 'GENOFED_QUERY_REPLAYED']) expect(reasons, r).toContain(r);
      for (const id of [...RARE_X, ...RARE_Y, ...c.samples.a!.slice(0, 20)]) expect(text).not.toContain(id);
      expect((await runCli(['audit', 'verify', '--store', store])).code).toBe(0);
      await writeFile(join(store, 'audit.log'), text.replace('"decision":"refused"', '"decision":"answered"'));
      expect((await runCli(['audit', 'verify', '--store', store])).code).not.toBe(0);
    });
  });
});

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'genofed.js'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}
