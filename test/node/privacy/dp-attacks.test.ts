/**
 * Differential privacy against the key holder (issue 9 on the issue-6 DP
 * wiring), on 4 real node processes holding disjoint 1000G samples with DP
 * on (epsilon 1 per query; budget 3 per coordinator, 2 per researcher
 * beneath): every answer carries the sites' noise, an envelope asking for
 * other noise is refused by every node, and the budget is the key
 * holder's: renaming researchers does not reset it, and neither does
 * restarting the nodes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centered, getPreset } from '../../../crypto/index.js';
import { skellamMu } from '../../../node/privacy/skellam.js';
import type { QueryParams } from '../../../proto/query.js';
import { Attacker, isRefusal, type Answer, type Refusal } from './attacker.js';
import { startDisjointConsortium, type DisjointConsortium } from './disjoint-consortium.js';

const SITES = ['a', 'b', 'c', 'd'];
const EAS: QueryParams = { kind: 'cohort-count', cohort: "super_pop = 'EAS'", carrierCount: 0, carriersSha256: '' };

function codes(out: Map<string, Answer | Refusal>): string[] {
  return [...out.values()].map((r) => (isRefusal(r) ? r.code ?? 'refused' : 'answered'));
}

describe('DP budgets belong to the key holder (4 sites, disjoint samples, real processes)', () => {
  let dir: string;
  let c: DisjointConsortium;
  let mallory: Attacker;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-dp-'));
    c = await startDisjointConsortium(dir, SITES, { privacy: { dp: { enabled: true, epsilonPerQuery: 1 }, totalEpsilon: 3, perResearcherEpsilon: 2 } });
    mallory = await Attacker.fromCoordinator(join(c.layout.dir, 'coordinator'));
    for (const s of SITES) mallory.connect(s, c.ports[s]!);
  }, 300_000);

  afterAll(async () => {
    mallory?.close();
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ask = async (querier: string, over: { dpEpsilon?: number } = { dpEpsilon: 1 }): Promise<Map<string, Answer | Refusal>> => mallory.run(mallory.sign(mallory.envelope(EAS, { querier, ...over })));

  it('every node refuses an envelope asking for no noise or for less noise than its policy', async () => {
    expect(codes(await ask('r0', {}))).toEqual(SITES.map(() => 'GENOFED_DP_POLICY'));
    expect(codes(await ask('r0', { dpEpsilon: 4 }))).toEqual(SITES.map(() => 'GENOFED_DP_POLICY'));
  });

  it('answers carry the noise scale; the noisy total is centred on the true count (504 EAS) within 8 sd', async () => {
    const out = await ask('r1');
    expect(codes(out)).toEqual(SITES.map(() => 'answered'));
    const mu = skellamMu({ epsilon: 1, sensitivity: 1, counts: 1 });
    for (const a of out.values()) expect((a as Answer).header.noiseMu).toBeCloseTo(mu, 6);
    const total = Number(centered(BigUint64Array.from(mallory.decrypt([...out.values()].map((a) => (a as Answer).ciphertexts), 1)), getPreset('test').plainModulus)[0]);
    expect(Math.abs(total - 504)).toBeLessThan(8 * Math.sqrt(2 * mu));
  });

  it('a researcher is capped at 2, the coordinator at 3 whatever names it uses, and a restart of every node resets nothing', async () => {
    // r1 spent 1 above: one more, then its cap.
    expect(codes(await ask('r1'))).toEqual(SITES.map(() => 'answered'));
    expect(codes(await ask('r1'))).toEqual(SITES.map(() => 'GENOFED_BUDGET_EXHAUSTED'));
    // The coordinator's third epsilon, under another name; then its total is spent for every name.
    expect(codes(await ask('r2'))).toEqual(SITES.map(() => 'answered'));
    for (const name of ['r3', 'someone-new']) expect(codes(await ask(name))).toEqual(SITES.map(() => 'GENOFED_BUDGET_EXHAUSTED'));
    for (const s of SITES) {
      await c.stop(s);
      mallory.connect(s, await c.start(s));
    }
    expect(codes(await ask('after-restart'))).toEqual(SITES.map(() => 'GENOFED_BUDGET_EXHAUSTED'));
  });
});
