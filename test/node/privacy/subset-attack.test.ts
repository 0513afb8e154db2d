/**
 * The subset attack with 5 sites (the 4-site case is in attacks.test.ts):
 * a key holder that could get totals over several participant sets would
 * solve each site's counts (with the 5 four-site subsets: site i = sum of
 * the subset totals / 4 - the subset without i). Every node answers only
 * under its whole roster, so every attempt is refused, by every site it
 * names, before any commitment; the totals the attacker does get (whole
 * roster; a round relayed to only some sites) give no site's counts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparisonKey } from '../../../coordinator/demo/plaintext-reference.js';
import { getPreset } from '../../../crypto/index.js';
import type { SignedCommitment } from '../../../proto/convert/size-commitment.js';
import type { VariantKey } from '../../../proto/variant.js';
import { Attacker, chiSquareUniform, isRefusal, type Answer } from './attacker.js';
import { startDisjointConsortium, type DisjointConsortium } from './disjoint-consortium.js';

const SITES = ['a', 'b', 'c', 'd', 'e'];
const t = getPreset('test').plainModulus;

describe('the subset attack with 5 sites holding disjoint 1000G samples (real node processes)', () => {
  let dir: string;
  let c: DisjointConsortium;
  let mallory: Attacker;
  let keys: VariantKey[];
  const counts: Record<string, bigint[]> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-subset5-'));
    c = await startDisjointConsortium(dir, SITES);
    mallory = await Attacker.fromCoordinator(join(c.layout.dir, 'coordinator'));
    for (const s of SITES) mallory.connect(s, c.ports[s]!);
    keys = [...c.reference.a!.rows.values()].slice(0, 300).map((r) => ({ chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt }));
    for (const s of SITES) counts[s] = keys.flatMap((k) => { const r = c.reference[s]!.rows.get(comparisonKey(k))!; return [BigInt(r.ac), BigInt(r.an), BigInt(r.nhomalt)]; });
  }, 300_000);

  afterAll(async () => {
    mallory?.close();
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every 4-site and 3-site subset is refused by every site it names; the solver gets no subset total', async () => {
    const subsets: string[][] = [];
    for (const left of SITES) subsets.push(SITES.filter((s) => s !== left));
    for (let i = 0; i < SITES.length; i++) for (let j = i + 1; j < SITES.length; j++) subsets.push(SITES.filter((_, k) => k !== i && k !== j));
    const totals: bigint[][] = [];
    for (const participants of subsets) {
      const q = mallory.sign(mallory.envelope(mallory.listParams('', keys), { participants }));
      for (const site of participants) {
        const s = mallory.open(site, q, keys);
        expect(await s.commitment, `${participants.join(',')} at ${site}`).toMatchObject({ refused: true, code: 'GENOFED_ROSTER_MISMATCH' });
        const r = await s.outcome();
        if (!isRefusal(r)) totals.push(mallory.decryptCounts([r.ciphertexts], keys.length));
      }
    }
    expect(totals).toHaveLength(0);
  });

  it('what the attacker can get - the whole-roster total, rounds relayed to 4 of 5 or 1 of 5 sites - never equals a site\'s counts', async () => {
    const n = keys.length * 3;
    const full = await mallory.run(mallory.sign(mallory.envelope(mallory.listParams('', keys))), keys);
    const fullTotal = mallory.decryptCounts([...full.values()].map((a) => (a as Answer).ciphertexts), keys.length);
    expect(fullTotal).toEqual(counts.a!.map((_, i) => SITES.reduce((sum, s) => sum + counts[s]![i]!, 0n)));
    const obtained: bigint[][] = [fullTotal];
    // A whole round (all 5 commitments) relayed to only a, b, c, d: their sum still misses e's masks.
    const q = mallory.sign(mallory.envelope(mallory.listParams('', keys)));
    const sessions = new Map(SITES.map((s) => [s, mallory.open(s, q, keys)]));
    const cs = (await Promise.all([...sessions.values()].map((s) => s.commitment))) as SignedCommitment[];
    const four = await Promise.all(['a', 'b', 'c', 'd'].map((s) => sessions.get(s)!.relay(cs)));
    sessions.get('e')!.cancel();
    const answers = four.map((x) => x as Answer);
    obtained.push(mallory.decryptCounts(answers.map((a) => a.ciphertexts), keys.length), ...answers.map((a) => mallory.decryptCounts([a.ciphertexts], keys.length)));
    // The "solver" with what it has: the whole total minus the 4-site partial sum, mod t.
    obtained.push(fullTotal.map((x, i) => (((x - obtained[1]![i]!) % t) + t) % t));
    // The same, slot by slot as decrypted (the nodes may pack several counts per slot, protocol 7): uniform mod t.
    const fullSlots = mallory.decryptSlots([...full.values()].map((a) => (a as Answer).ciphertexts));
    const partialSlots = mallory.decryptSlots(answers.map((a) => a.ciphertexts));
    const slots = [partialSlots, ...answers.map((a) => mallory.decryptSlots([a.ciphertexts])), fullSlots.map((x, i) => (((x - partialSlots[i]!) % t) + t) % t)];
    for (const v of slots) expect(chiSquareUniform(v, t, 32)).toBeLessThan(76);
    for (const v of obtained) {
      for (const s of SITES) {
        const equalAn = v.filter((x, i) => i % 3 === 1 && x === counts[s]![i]).length;
        expect(equalAn, `AN slots of an obtained vector equal to ${s}'s`).toBe(0);
      }
    }
  });
});
