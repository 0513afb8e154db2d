/**
 * The size round in isolation (node/privacy/size-round.ts): n sites commit
 * masked, boxed sizes; every node verifies the relay and recovers the
 * network totals; what the relay carries reveals nothing to the relayer;
 * every kind of tampering is refused.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCommitmentBody, encodeCommitmentBody, signCommitment, type SignedCommitment } from '../../../proto/convert/size-commitment.js';
import { EMPTY_SCHEMA } from '../../../proto/phenotype-schema.js';
import { publicKeyBase64, ROSTER_FORMAT, rosterFingerprint, type Roster } from '../../../proto/roster.js';
import { commitSizes, networkSizes, type SizeRoundContext } from '../../../node/privacy/size-round.js';

function consortium(n: number): { roster: Roster; fp: string; ctx: (i: number, queryId: string, envelope: Uint8Array) => SizeRoundContext; ids: string[]; signing: ReturnType<typeof generateKeyPairSync>[] } {
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  const x = ids.map(() => generateKeyPairSync('x25519'));
  const signing = ids.map(() => generateKeyPairSync('ed25519'));
  const roster: Roster = {
    format: ROSTER_FORMAT, version: 1, consortium: 'test', epoch: 1, previous: null, issuedAt: '2026-12-03T00:00:00Z',
    coordinator: { id: 'coordinator', signingKey: publicKeyBase64(generateKeyPairSync('ed25519').publicKey), bfvPublicKeySha256: '0'.repeat(64), preset: 'test' },
    sites: ids.map((id, i) => ({ id, x25519: publicKeyBase64(x[i]!.publicKey), signingKey: publicKeyBase64(signing[i]!.publicKey) })),
    schema: EMPTY_SCHEMA,
  };
  const fp = rosterFingerprint(roster);
  return { roster, fp, ids, signing, ctx: (i, queryId, envelope) => ({ selfId: ids[i]!, selfX25519: x[i]!.privateKey, selfSigning: signing[i]!.privateKey, roster, rosterFingerprint: fp, queryId, envelope }) };
}

describe('the size round', () => {
  it('every node recovers the exact network sizes, for 3 to 12 sites and any sizes', () => {
    fc.assert(fc.property(fc.integer({ min: 3, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (n, pops, seed) => {
      const c = consortium(n);
      const q = randomUUID();
      const env = new Uint8Array([seed & 255, 1, 2]);
      const sizes = c.ids.map((_, i) => Array.from({ length: pops }, (_, p) => ((seed >>> 0) + 7 * i + 13 * p) % 3000));
      const pending = c.ids.map((_, i) => commitSizes(c.ctx(i, q, env), sizes[i]!));
      const relay = pending.map((p) => p.commitment);
      const want = Array.from({ length: pops }, (_, p) => sizes.reduce((s, v) => s + v[p]!, 0));
      for (let i = 0; i < n; i++) expect(networkSizes(c.ctx(i, q, env), pending[i]!, relay)).toEqual(want);
    }), { numRuns: 15 });
  });

  it('the relayer sees only boxes: the commitments hold no size in the clear, and one site\'s masked values differ from its sizes', () => {
    const c = consortium(4);
    const q = randomUUID();
    const env = new Uint8Array([1]);
    const p = commitSizes(c.ctx(0, q, env), [3, 1234]);
    const body = decodeCommitmentBody(p.commitment.body);
    expect(body.boxes.map((b) => b.recipient)).toEqual(['s1', 's2', 's3']);
    for (const b of body.boxes) expect(b.ciphertext.length).toBe(2 * 4 + 16);
    expect(Array.from(p.masked)).not.toEqual([3, 1234]);
    // A size written as a little-endian word never appears in the bytes that travel.
    const needle = Buffer.alloc(4);
    needle.writeUInt32LE(1234);
    expect(Buffer.from(p.commitment.body).includes(needle)).toBe(false);
  });

  it('refuses a relay with a commitment missing, doubled, altered, from another query or roster, outside the roster, or with this node\'s own commitment changed', () => {
    const c = consortium(3);
    const q = randomUUID();
    const env = new Uint8Array([9]);
    const pending = c.ids.map((_, i) => commitSizes(c.ctx(i, q, env), [10 + i]));
    const relay = pending.map((p) => p.commitment);
    const other = commitSizes(c.ctx(1, randomUUID(), env), [11]).commitment;
    const flip = (x: SignedCommitment): SignedCommitment => { const b = new Uint8Array(x.body); b[b.length - 1]! ^= 1; return { body: b, signature: x.signature }; };
    const outsider = consortium(3);
    const foreign = commitSizes(outsider.ctx(1, q, env), [11]).commitment;
    const body1 = decodeCommitmentBody(relay[1]!.body);
    const otherRoster = signCommitment({ ...body1, rosterFingerprint: 'ab'.repeat(32) }, c.signing[1]!.privateKey);
    const cases: [string, SignedCommitment[]][] = [
      ['missing', [relay[0]!, relay[1]!]],
      ['doubled', [relay[0]!, relay[1]!, relay[1]!]],
      ['altered', [relay[0]!, flip(relay[1]!), relay[2]!]],
      ['other query', [relay[0]!, other, relay[2]!]],
      ['other roster', [relay[0]!, otherRoster, relay[2]!]],
      ['signed by a key outside the roster', [relay[0]!, foreign, relay[2]!]],
      ['own changed', [flip(relay[0]!), relay[1]!, relay[2]!]],
    ];
    for (const [name, r] of cases) expect(() => networkSizes(c.ctx(0, q, env), pending[0]!, r), name).toThrow(expect.objectContaining({ code: 'GENOFED_SIZE_ROUND' }));
    expect(networkSizes(c.ctx(0, q, env), pending[0]!, relay)).toEqual([33]);
  });

  it('refuses when another member signed a different envelope digest (the coordinator sent it another query under the same id)', () => {
    const c = consortium(3);
    const q = randomUUID();
    const mine = new Uint8Array([1, 2, 3]);
    const theirs = new Uint8Array([1, 2, 4]);
    const pending = [commitSizes(c.ctx(0, q, mine), [1]), commitSizes(c.ctx(1, q, theirs), [500]), commitSizes(c.ctx(2, q, mine), [500])];
    expect(() => networkSizes(c.ctx(0, q, mine), pending[0]!, pending.map((p) => p.commitment))).toThrow(expect.objectContaining({ code: 'GENOFED_ENVELOPE_MISMATCH' }));
    expect(() => networkSizes(c.ctx(1, q, theirs), pending[1]!, pending.map((p) => p.commitment))).toThrow(expect.objectContaining({ code: 'GENOFED_ENVELOPE_MISMATCH' }));
  });

  it('a box a site did not make does not open (a commitment re-signed with forged boxes is refused)', () => {
    const c = consortium(3);
    const q = randomUUID();
    const env = new Uint8Array([7]);
    const pending = c.ids.map((_, i) => commitSizes(c.ctx(i, q, env), [100]));
    const body = decodeCommitmentBody(pending[1]!.commitment.body);
    const forgedBoxes = { ...body, boxes: body.boxes.map((b) => ({ ...b, ciphertext: new Uint8Array(b.ciphertext.length) })) };
    // Only site s1 could sign this; pretend its key leaked to show the boxes alone are checked too.
    const resigned = { body: encodeCommitmentBody(forgedBoxes), signature: signCommitment(forgedBoxes, c.signing[1]!.privateKey).signature };
    expect(() => networkSizes(c.ctx(0, q, env), pending[0]!, [pending[0]!.commitment, resigned, pending[2]!.commitment])).toThrow(/box of s1 for this node does not decrypt/);
  });
});
