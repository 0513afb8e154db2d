/**
 * Roster files and epochs: every member must sign, signatures cover the
 * fingerprint, and a node accepts only the next epoch of the roster it
 * holds, refusing old, forked and gapped ones, signing-key changes of
 * continuing members, and membership changes within the interval.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_SCHEMA } from '../../../proto/phenotype-schema.js';
import { parseSignedRoster, publicKeyBase64, ROSTER_FORMAT, rosterFingerprint, serializeSignedRoster, signRoster, verifyRosterSignatures, type Roster, type SignedRoster } from '../../../proto/roster.js';
import { acceptRoster, currentRoster, ROSTER_HISTORY_FILE } from '../../../node/privacy/roster-state.js';

type Keys = { x: ReturnType<typeof generateKeyPairSync>; s: ReturnType<typeof generateKeyPairSync> };
const keys = new Map<string, Keys>();
const key = (id: string): Keys => {
  if (!keys.has(id)) keys.set(id, { x: generateKeyPairSync('x25519'), s: generateKeyPairSync('ed25519') });
  return keys.get(id)!;
};
const coordinatorKey = publicKeyBase64(generateKeyPairSync('ed25519').publicKey);

function roster(sites: string[], epoch: number, previous: string | null): Roster {
  return {
    format: ROSTER_FORMAT, version: 1, consortium: 'test', epoch, previous, issuedAt: '2026-12-03T00:00:00Z',
    coordinator: { id: 'coordinator', signingKey: coordinatorKey, bfvPublicKeySha256: '1'.repeat(64), preset: 'test' },
    sites: [...sites].sort().map((id) => ({ id, x25519: publicKeyBase64(key(id).x.publicKey), signingKey: publicKeyBase64(key(id).s.publicKey) })),
    schema: EMPTY_SCHEMA,
  };
}

function signed(r: Roster): SignedRoster {
  return { roster: r, signatures: r.sites.map((m) => signRoster(r, m.id, key(m.id).s.privateKey)) };
}

describe('roster files', () => {
  it('parse only with every member\'s valid signature over the fingerprint', () => {
    const r = roster(['a', 'b', 'c'], 1, null);
    const s = signed(r);
    expect(rosterFingerprint(parseSignedRoster(JSON.parse(serializeSignedRoster(s))).roster)).toBe(rosterFingerprint(r));
    expect(() => parseSignedRoster(JSON.parse(serializeSignedRoster({ roster: r, signatures: s.signatures.slice(1) })))).toThrow(/not signed by a/);
    const ghost = { ...r, sites: [...r.sites, { id: 'ghost', x25519: publicKeyBase64(key('ghost').x.publicKey), signingKey: publicKeyBase64(key('ghost').s.publicKey) }] };
    expect(() => verifyRosterSignatures({ roster: ghost, signatures: [...s.signatures, signRoster(ghost, 'ghost', key('ghost').s.privateKey)] })).toThrow(/signature of a does not verify/);
    expect(() => signRoster(r, 'a', key('b').s.privateKey)).toThrow(/not site a's key/);
    expect(() => parseSignedRoster({ roster: { ...r, sites: [...r.sites].reverse() }, signatures: [] }, 'x', { requireSignatures: false })).toThrow(/sorted/);
  });
});

describe('roster epochs at a node', () => {
  let dir: string;
  let clock = Date.parse('2026-12-03T00:00:00Z');
  const now = (): number => clock;
  const day = 24 * 3_600_000;
  const e1 = roster(['a', 'b', 'c', 'd'], 1, null);
  const f1 = rosterFingerprint(e1);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-roster-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('accepts the first roster and the same one again', async () => {
    expect(await acceptRoster(dir, signed(e1), f1, { minMembershipIntervalMs: day, now })).toMatchObject({ kind: 'first', membershipChanged: true });
    expect(await acceptRoster(dir, signed(e1), f1, { minMembershipIntervalMs: day, now })).toMatchObject({ kind: 'same' });
  });

  it('refuses a membership change within the interval, then accepts it after; refuses old, forked and gapped epochs', async () => {
    const e2 = roster(['a', 'b', 'c'], 2, f1);
    clock += 3_600_000;
    await expect(acceptRoster(dir, signed(e2), rosterFingerprint(e2), { minMembershipIntervalMs: day, now })).rejects.toMatchObject({ code: 'GENOFED_ROSTER_EPOCH', message: expect.stringContaining('within the minimum interval') });
    clock += day;
    expect(await acceptRoster(dir, signed(e2), rosterFingerprint(e2), { minMembershipIntervalMs: day, now })).toMatchObject({ kind: 'next', membershipChanged: true });
    // Back to epoch 1 (the roster with d): refused.
    await expect(acceptRoster(dir, signed(e1), f1, { minMembershipIntervalMs: 0, now })).rejects.toMatchObject({ code: 'GENOFED_ROSTER_EPOCH', message: expect.stringContaining('not after the accepted epoch 2') });
    // A fork: epoch 3 that does not name epoch 2 as previous; a gap: epoch 4.
    await expect(acceptRoster(dir, signed(roster(['a', 'b', 'c', 'e'], 3, f1)), 'f'.repeat(64), { minMembershipIntervalMs: 0, now })).rejects.toMatchObject({ message: expect.stringContaining('does not extend') });
    await expect(acceptRoster(dir, signed(roster(['a', 'b', 'c'], 4, rosterFingerprint(e2))), 'e'.repeat(64), { minMembershipIntervalMs: 0, now })).rejects.toMatchObject({ message: expect.stringContaining('does not extend') });
    expect((await currentRoster(dir))?.epoch).toBe(2);
  });

  it('a schema-only change is not rate-limited; a continuing member may not change its signing key', async () => {
    const cur = (await currentRoster(dir))!;
    const e3 = { ...roster(['a', 'b', 'c'], 3, cur.fingerprint), consortium: 'renamed' };
    expect(await acceptRoster(dir, signed(e3), rosterFingerprint(e3), { minMembershipIntervalMs: day, now })).toMatchObject({ kind: 'next', membershipChanged: false });
    keys.set('b', { x: generateKeyPairSync('x25519'), s: generateKeyPairSync('ed25519') });
    const e4 = roster(['a', 'b', 'c'], 4, rosterFingerprint(e3));
    await expect(acceptRoster(dir, signed(e4), rosterFingerprint(e4), { minMembershipIntervalMs: 0, now })).rejects.toMatchObject({ message: expect.stringContaining('site b changed its signing key') });
  });

  it('ignores a torn last line of the history (a crash mid-append) and refuses a corrupt one', async () => {
    const file = join(dir, ROSTER_HISTORY_FILE);
    const text = await readFile(file, 'utf8');
    await writeFile(file, `${text}{"epoch":9`);
    expect((await currentRoster(dir))?.epoch).toBe(3);
    await writeFile(file, `{"epoch":"x"}\n${text}`);
    await expect(currentRoster(dir)).rejects.toMatchObject({ code: 'GENOFED_ROSTER_EPOCH' });
  });
});
