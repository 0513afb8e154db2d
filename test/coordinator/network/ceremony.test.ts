/**
 * The coordinator's side of the key ceremony: `coordinator init` (its own
 * keys, the public file the roster is built from), `roster build|show|
 * sign|seal` (as functions and through the CLI), and epochs: a roster built
 * with --previous is what the nodes' epoch rules accept, and each refusal
 * happens before anything is written.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCoordinatorPublic, readSitePublic, type CoordinatorPublic, type SitePublic } from '../../../coordinator/network/ceremony-files.js';
import { coordinatorInit, type CoordinatorInitResult } from '../../../coordinator/network/coordinator-init.js';
import { buildRoster, confirmAndSign, describeRoster, sealRoster } from '../../../coordinator/network/roster.js';
import { getPreset, readKeyFile } from '../../../crypto/index.js';
import { acceptRoster } from '../../../node/privacy/roster-state.js';
import { siteInit } from '../../../node/site/init.js';
import { EMPTY_SCHEMA, parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { bfvKeyDigest, formatFingerprint, parseSignedRoster, publicKeyBase64, rosterFingerprint, type Roster, type SignedRoster } from '../../../proto/roster.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/genofed.js');

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

describe('genofed coordinator init', () => {
  let tmp: string;
  let r: CoordinatorInitResult;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'genofed-coord-'));
    r = await coordinatorInit({ out: join(tmp, 'keys'), id: 'coordinator', preset: 'test' });
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes the TLS key, signing key and BFV secret key 0600, and the CSR, BFV public key and public file readable', async () => {
    expect((await readdir(r.dir)).sort()).toEqual(['bfv.pk', 'bfv.sk', 'coordinator-public.json', 'coordinator.csr.pem', 'coordinator.key.pem', 'signing.key.pem']);
    for (const f of ['coordinator.key.pem', 'signing.key.pem', 'bfv.sk']) expect(((await stat(join(r.dir, f))).mode & 0o777).toString(8), f).toBe('600');
    for (const f of ['bfv.pk', 'coordinator-public.json', 'coordinator.csr.pem']) expect(((await stat(join(r.dir, f))).mode & 0o077), f).not.toBe(0);
  });

  it('coordinator-public.json holds its signing key, the SHA-256 of bfv.pk (a valid key under the preset) and the preset', async () => {
    const pub = await readCoordinatorPublic(join(r.dir, 'coordinator-public.json'));
    expect(pub).toMatchObject({ id: 'coordinator', preset: 'test' });
    expect(pub.signingKey).toBe(publicKeyBase64(createPrivateKey(await readFile(join(r.dir, 'signing.key.pem')))));
    expect(pub.bfvPublicKeySha256).toBe(bfvKeyDigest(await readFile(join(r.dir, 'bfv.pk'))));
    expect(r.bfvPublicKeySha256).toBe(pub.bfvPublicKeySha256);
    await readKeyFile(join(r.dir, 'bfv.pk'), 'public-key', getPreset('test'));
    await readKeyFile(join(r.dir, 'bfv.sk'), 'secret-key', getPreset('test'));
    expect(await readFile(join(r.dir, 'coordinator.csr.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
  });

  it('refuses an existing folder and a bad id, leaving nothing behind', async () => {
    await expect(coordinatorInit({ out: r.dir, id: 'coordinator', preset: 'test' })).rejects.toMatchObject({ code: 'GENOFED_OUTPUT_EXISTS' });
    await expect(coordinatorInit({ out: join(tmp, 'bad'), id: 'Coord inator', preset: 'test' })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    expect(await readdir(tmp)).toEqual(['keys']);
  });
});

describe('genofed roster build|show|sign|seal', () => {
  let tmp: string;
  let coordinator: CoordinatorPublic;
  const pub: Record<string, SitePublic> = {};
  const key: Record<string, KeyObject> = {};
  const sites = (...ids: string[]) => ids.map((id) => ({ label: `${id}-public.json`, site: pub[id]! }));
  const build = (ids: string[], previous?: SignedRoster): Roster => buildRoster({ consortium: 'Test', coordinator, sites: sites(...ids), schema: EMPTY_SCHEMA, issuedAt: '2026-01-01T00:00:00Z', ...(previous ? { previous } : {}) });
  const signAll = (r: Roster): SignedRoster => sealRoster({ roster: r, signatures: [] }, 'r.json', r.sites.map((s) => ({ label: `${s.id}.sig`, sig: confirmAndSign({ roster: r, signatures: [] }, 'r.json', s.id, key[s.id]!, rosterFingerprint(r)) })));

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'genofed-roster-'));
    const c = await coordinatorInit({ out: join(tmp, 'coordinator'), id: 'coordinator', preset: 'test' });
    coordinator = await readCoordinatorPublic(join(c.dir, 'coordinator-public.json'));
    for (const id of ['a', 'b', 'c', 'd']) {
      const s = await siteInit({ out: join(tmp, id), site: id, dns: ['localhost'] });
      pub[id] = await readSitePublic(join(s.dir, 'site-public.json'));
      key[id] = createPrivateKey(await readFile(join(s.dir, 'signing.key.pem')));
    }
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('builds epoch 1 from public files, sites sorted, with the coordinator\'s keys, and a roster every node check accepts once signed', () => {
    const r = build(['c', 'a', 'b']);
    expect(r).toMatchObject({ epoch: 1, previous: null, consortium: 'Test', coordinator: { id: 'coordinator', signingKey: coordinator.signingKey, bfvPublicKeySha256: coordinator.bfvPublicKeySha256, preset: 'test' } });
    expect(r.sites.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(r.sites[0]).toEqual({ id: 'a', x25519: pub.a!.x25519, signingKey: pub.a!.signingKey });
    const sealed = signAll(r);
    expect(parseSignedRoster(JSON.parse(JSON.stringify(sealed))).roster).toEqual(r);
  });

  it('refuses fewer than 3 sites, a site listed twice, and a key used by two parties', () => {
    expect(() => build(['a', 'b'])).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_INPUT', message: expect.stringContaining('at least 3 sites') }));
    expect(() => build(['a', 'b', 'a'])).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_INPUT', message: expect.stringContaining('site a appears twice') }));
    const copy = { label: 'evil-public.json', site: { ...pub.d!, id: 'evil', x25519: pub.a!.x25519 } };
    expect(() => buildRoster({ consortium: 'T', coordinator, sites: [...sites('a', 'b', 'c'), copy], schema: EMPTY_SCHEMA, issuedAt: 'x' })).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_INPUT', message: expect.stringContaining('reuses a key') }));
  });

  it('signs only when the typed fingerprint is the roster\'s (spaces and case forgiven) and the key is the site\'s roster key', () => {
    const r = build(['a', 'b', 'c']);
    const u = { roster: r, signatures: [] };
    const fp = rosterFingerprint(r);
    expect(confirmAndSign(u, 'r.json', 'a', key.a!, formatFingerprint(fp).toUpperCase())).toMatchObject({ site: 'a', fingerprint: fp });
    const off = fp.slice(0, 63) + (fp[63] === '0' ? '1' : '0');
    expect(() => confirmAndSign(u, 'r.json', 'a', key.a!, off)).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_FINGERPRINT' }));
    expect(() => confirmAndSign(u, 'r.json', 'a', key.a!, 'not hex')).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_FINGERPRINT' }));
    expect(() => confirmAndSign(u, 'r.json', 'a', key.b!, fp)).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_SIGNER' }));
    expect(() => confirmAndSign(u, 'r.json', 'd', key.d!, fp)).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_SIGNER', message: expect.stringContaining('not a member') }));
  });

  it('seals only with every member\'s valid signature; a missing one, one for another roster or a second one of a site is refused', () => {
    const r = build(['a', 'b', 'c']);
    const u = { roster: r, signatures: [] };
    const sig = (id: string, roster = r) => ({ label: `${id}.sig`, sig: confirmAndSign({ roster, signatures: [] }, 'r.json', id, key[id]!, rosterFingerprint(roster)) });
    expect(() => sealRoster(u, 'r.json', [sig('a'), sig('b')])).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_INCOMPLETE', message: expect.stringContaining('not signed by c') }));
    const other = build(['a', 'b', 'c', 'd']);
    expect(() => sealRoster(u, 'r.json', [sig('a'), sig('b'), sig('c', other)])).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_INPUT', message: expect.stringContaining('c.sig: signs another roster') }));
    const forged = { label: 'c2.sig', sig: { ...sig('c').sig, signature: sig('a').sig.signature } };
    expect(() => sealRoster(u, 'r.json', [sig('a'), sig('b'), sig('c'), forged])).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_INPUT', message: expect.stringContaining('second, different signature of site c') }));
    expect(() => sealRoster(u, 'r.json', [sig('a'), sig('b'), forged])).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_INCOMPLETE', message: expect.stringContaining('the signature of c does not verify') }));
    expect(sealRoster(u, 'r.json', [sig('c'), sig('a'), sig('b')]).signatures.map((s) => s.site)).toEqual(['a', 'b', 'c']);
  });

  it('an epoch change (d joins, c leaves) is epoch + 1 naming the previous fingerprint, shown as joined/left, and accepted by the nodes\' epoch rules only after the membership interval', async () => {
    const one = signAll(build(['a', 'b', 'c']));
    const two = signAll(build(['a', 'b', 'd'], one));
    expect(two.roster).toMatchObject({ epoch: 2, previous: rosterFingerprint(one.roster) });
    const shown = describeRoster(two, 'roster-2.json', { signed: one, label: 'roster.json' }).join('\n');
    expect(shown).toContain('follows it (epoch 2');
    expect(shown).toContain('joined: d');
    expect(shown).toContain('left: c');
    expect(shown).toContain('minMembershipIntervalHours');
    // The node's own rules (node/privacy/roster-state.ts), on a store folder of its own.
    const store = join(tmp, 'store');
    await mkdir(store);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    await acceptRoster(store, one, rosterFingerprint(one.roster), { minMembershipIntervalMs: 24 * 3_600_000, now: () => t0 });
    await expect(acceptRoster(store, two, rosterFingerprint(two.roster), { minMembershipIntervalMs: 24 * 3_600_000, now: () => t0 + 3_600_000 })).rejects.toMatchObject({ code: 'GENOFED_ROSTER_EPOCH' });
    expect(await acceptRoster(store, two, rosterFingerprint(two.roster), { minMembershipIntervalMs: 24 * 3_600_000, now: () => t0 + 25 * 3_600_000 })).toMatchObject({ kind: 'next', membershipChanged: true });
  });

  it('an epoch in which a continuing member has a new signing key is refused at build', async () => {
    const one = signAll(build(['a', 'b', 'c']));
    const s = await siteInit({ out: join(tmp, 'a2'), site: 'a', dns: ['localhost'] });
    const a2 = await readSitePublic(join(s.dir, 'site-public.json'));
    expect(() => buildRoster({ consortium: 'T', coordinator, sites: [{ label: 'a2-public.json', site: a2 }, ...sites('b', 'c')], schema: EMPTY_SCHEMA, issuedAt: 'x', previous: one })).toThrow(expect.objectContaining({ code: 'GENOFED_ROSTER_INPUT', message: expect.stringContaining('a2-public.json: site a has a new signing key') }));
  });

  it('through the CLI: build prints the fingerprint, show lists members with their key fingerprints and the schema, sign + seal write the roster, and nothing is overwritten', async () => {
    const d = join(tmp, 'cli');
    await mkdir(d);
    const schema = parsePhenotypeSchema({ format: 'genofed-phenotype-schema', version: 1, columns: [{ name: 'super_pop', type: 'categorical', values: ['AFR', 'EUR'] }] });
    await writeFile(join(d, 'schema.json'), JSON.stringify(schema));
    const args = ['roster', 'build', '--consortium', 'Test', '--coordinator', '../coordinator/coordinator-public.json', '--site', '../b/site-public.json', '--site', '../a/site-public.json', '--site', '../c/site-public.json', '--schema', 'schema.json', '--out', 'r.unsigned.json'];
    const b = await run(args, d);
    expect(b.code, b.stderr).toBe(0);
    const fp = /^fingerprint: ([0-9a-f ]{79})$/m.exec(b.stdout)![1]!;
    const again = await run(args, d);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('GENOFED_OUTPUT_EXISTS');
    const show = await run(['roster', 'show', '--roster', 'r.unsigned.json'], d);
    expect(show.stdout).toContain(`fingerprint: ${fp}`);
    expect(show.stdout).toMatch(/^ {2}a {2}x25519 [0-9a-f ]{19} {2}signing [0-9a-f ]{19} {2}not signed$/m);
    expect(show.stdout).toContain('super_pop  categorical: AFR, EUR');
    expect(show.stdout).toContain('missing: a, b, c');
    for (const id of ['a', 'b', 'c']) {
      const s = await run(['roster', 'sign', '--roster', 'r.unsigned.json', '--site', id, '--signing-key', `../${id}/signing.key.pem`, '--fingerprint', fp, '--out', `${id}.sig.json`], d);
      expect(s.code, s.stderr).toBe(0);
    }
    const seal = await run(['roster', 'seal', '--roster', 'r.unsigned.json', '--signature', 'a.sig.json', '--signature', 'b.sig.json', '--signature', 'c.sig.json', '--out', 'roster.json'], d);
    expect(seal.code, seal.stderr).toBe(0);
    const sealed = parseSignedRoster(JSON.parse(await readFile(join(d, 'roster.json'), 'utf8')));
    expect(formatFingerprint(rosterFingerprint(sealed.roster))).toBe(fp);
    expect(sealed.roster.schema).toEqual(schema);
    const shownSealed = await run(['roster', 'show', '--roster', 'roster.json'], d);
    expect(shownSealed.stdout).toContain('every member signed and every signature verifies');
    // Errors name files by basename, never a key.
    const bad = await run(['roster', 'sign', '--roster', 'r.unsigned.json', '--site', 'a', '--signing-key', '../b/signing.key.pem', '--fingerprint', fp, '--out', 'x.sig.json'], d);
    expect(bad.stderr).toContain('GENOFED_ROSTER_SIGNER');
    expect(bad.stderr).not.toContain(tmp);
    expect(bad.stderr).not.toContain((await readFile(join(tmp, 'b', 'signing.key.pem'), 'utf8')).split('\n')[1]!.slice(0, 20));
  });

  it('network init --help says it is for tests and demos only and points to the ceremony', async () => {
    const h = await run(['network', 'init', '--help'], tmp);
    expect(h.stdout.replace(/\s+/g, ' ')).toMatch(/TESTS AND DEMOS ONLY.*key ceremony.*site init.*coordinator init.*roster build\|sign\|seal/);
  });
});
