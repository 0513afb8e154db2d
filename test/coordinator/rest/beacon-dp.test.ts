/**
 * Beacon v2 over a real federation with DP on: the 3-site split of the
 * 1000 Genomes chr1 window (beacon-federation.ts), every node adding its
 * Skellam share (epsilon 1 per query, a budget of 40 per coordinator), the
 * coordinator signing the same epsilon, the REST app on top (`inject()`).
 * Counts are compared with bcftools' carriers on the unsplit VCF (within
 * 8 sd of the noise the answer declares); the noise scale is checked
 * against the Skellam accounting written out again here; every response,
 * and every request sent, is validated against the official Beacon v2
 * schemas; what each answer cost is read from the nodes' privacy ledgers
 * as plain JSON lines.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { has } from '../federation/bcftools-reference.js';
import { BEACON_SITES, startBeaconFederation, type BeaconFederation } from './beacon-federation.js';
import { beaconBody, beaconQuery, expectValid, FRAMEWORK } from './beacon-schemas.js';

const R = `${FRAMEWORK}/responses`;
const TOKEN = 'beacon-dp-token-0123456789abcdef';
const registered = { authorization: `Bearer ${TOKEN}` };
const TOTAL = 40;
const DELTA = 1e-6;

/**
 * The (epsilon, delta) of one Skellam(mu) release of a count that one
 * person changes by at most 1 (L1 = L2 = 1): Agarwal, Kairouz and Liu
 * (NeurIPS 2021) Theorem 3.5 for Renyi DP at order a, converted with
 * Canonne, Kamath and Steinke (2020) Prop. 12, minimized over a = 2..4096.
 */
function skellamEpsilon(mu: number): number {
  let best = Infinity;
  for (let a = 2; a <= 4096; a++) {
    const rdp = a / (4 * mu) + Math.min((2 * a - 1 + 6) / (16 * mu * mu), 3 / (4 * mu));
    best = Math.min(best, rdp + Math.log((a - 1) / a) - (Math.log(DELTA) + Math.log(a)) / (a - 1));
  }
  return best;
}

interface Debit { op: string; researcher: string; micro: number }

/** The debits (micro-epsilons) each site's ledger holds for `researcher`, read as plain JSON lines. */
async function debits(b: BeaconFederation, researcher: string): Promise<number[][]> {
  return Promise.all(BEACON_SITES.map(async (site) => {
    const lines = (await readFile(join(b.c.layout.siteStores[site]!, 'privacy-ledger.jsonl'), 'utf8')).trimEnd().split('\n').slice(1);
    return lines.flatMap((l) => (JSON.parse(l) as { ops: Debit[] }).ops).filter((op) => op.op === 'debit' && op.researcher === researcher).map((d) => d.micro);
  }));
}

describe.skipIf(!has('bcftools'))('Beacon v2 over a real federation with DP on (3 sites, epsilon 1 per query)', () => {
  let b: BeaconFederation;
  let app: FastifyInstance;

  beforeAll(async () => {
    b = await startBeaconFederation({ privacy: { dp: { enabled: true, epsilonPerQuery: 1 }, totalEpsilon: TOTAL } });
    app = await buildRestApp({ federation: await b.c.federationWith({ dpEpsilon: 1 }), tokens: new Map([[TOKEN, 'alice']]) });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await b?.close();
  });

  it('a registered count is noisy and declared imprecise, near bcftools\' carriers; info carries its noise scale and the budget left; the nodes charged two queries per answer', async () => {
    const expected = b.carriers(b.sampleFile('eur-female', (p) => p[0] === 'EUR' && p[1] === 'female'), '1:10177', 'POS=10177 && REF="A" && ALT="AC"');
    expect(expected).toBeGreaterThan(20);
    const counts: number[] = [];
    const left: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({
        method: 'POST', url: '/beacon/v2/g_variants', headers: registered,
        payload: beaconBody({ referenceName: '1', start: [10176], referenceBases: 'A', alternateBases: 'AC' }, { requestedGranularity: 'count', filters: [{ id: 'NCIT:C16576' }, { id: 'HANCESTRO:0005' }] }),
      });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expectValid(`${R}/beaconCountResponse.json`, body);
      expectValid('genofed:count-adjustment', body.responseSummary);
      expect(body.meta.returnedGranularity).toBe('count');
      const { exists, numTotalResults, countPrecision, ...rest } = body.responseSummary;
      expect({ exists, countPrecision, rest }).toEqual({ exists: true, countPrecision: 'imprecise', rest: {} });
      expect(Number.isInteger(numTotalResults) && numTotalResults >= 0).toBe(true);
      // The scale of the carrier count's own noise: one count of sensitivity 1 at epsilon 1.
      const noise = body.info.genofed.noise as { mechanism: string; mu: number; sd: number };
      expect(noise.mechanism).toBe('Skellam');
      expect(noise.sd).toBeCloseTo(Math.sqrt(2 * noise.mu), 9);
      expect(skellamEpsilon(noise.mu)).toBeLessThanOrEqual(1 + 1e-9);
      expect(skellamEpsilon(noise.mu / 1.002)).toBeGreaterThan(1);
      expect(Math.abs(numTotalResults - expected)).toBeLessThan(8 * noise.sd);
      counts.push(numTotalResults);
      left.push(body.info.genofed.remainingEpsilon);
    }
    // Noise really is added (five equal draws of Skellam with sd > 5 would be a 1-in-10^5 event).
    expect(new Set(counts).size).toBeGreaterThan(1);
    // Each answer is two queries at every node (allele counts for exists, then the carrier count): 2 epsilon.
    expect(left).toEqual([TOTAL - 2, TOTAL - 4, TOTAL - 6, TOTAL - 8, TOTAL - 10]);
    for (const site of await debits(b, 'alice')) expect(site).toEqual(Array(10).fill(1e6));
  });

  it('a public boolean answer costs one query under the shared public querier and carries no budget figure', async () => {
    const res = await app.inject({ method: 'GET', url: `/beacon/v2/g_variants?${beaconQuery({ referenceName: '1', start: '10176', referenceBases: 'A', alternateBases: 'AC' })}` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expectValid(`${R}/beaconBooleanResponse.json`, body);
    expect(body.responseSummary).toEqual({ exists: true });
    expect(body.info.genofed.noise).toMatchObject({ mechanism: 'Skellam', mu: expect.any(Number) });
    expect(body.info.genofed).not.toHaveProperty('remainingEpsilon');
    expect(body.info.genofed).not.toHaveProperty('variantsMatched');
    for (const site of await debits(b, 'beacon-public')) expect(site).toEqual([1e6]);
  });

  it('a single carrier is never released as a number in 1..k-1, and a carrier set the nodes refuse costs no budget', async () => {
    // 1:10505 A>T: one carrier among the 2,504. Its noisy AC decides exists; the carrier count, when asked, is refused by the nodes' size round.
    expect(b.carriers(b.sampleFile('all', () => true), '1:10505', 'POS=10505 && ALT="T"')).toBe(1);
    const before = (await debits(b, 'alice')).map((d) => d.length);
    const res = await app.inject({
      method: 'POST', url: '/beacon/v2/g_variants', headers: registered,
      payload: beaconBody({ referenceName: '1', start: [10504], referenceBases: 'A', alternateBases: 'T' }, { requestedGranularity: 'count' }),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expectValid(`${R}/beaconCountResponse.json`, body);
    expectValid('genofed:count-adjustment', body.responseSummary);
    // Noise may hide the one allele (AC read as 0: no carrier to count) or not (the count is refused: "<5").
    expect([
      { exists: false, numTotalResults: 0, countPrecision: 'imprecise' },
      { exists: true, numTotalResults: 5, countPrecision: 'imprecise', countAdjustedTo: ['<5'] },
    ]).toContainEqual(body.responseSummary);
    // Only the allele-count query was charged: the refused carrier count spent nothing.
    expect((await debits(b, 'alice')).map((d) => d.length)).toEqual(before.map((n) => n + 1));
    // The coordinator's total is shared by its queriers: alice's 11 queries and the public one.
    expect(body.info.genofed.remainingEpsilon).toBe(TOTAL - 12);
  });
});
