/**
 * Site key files, keyed pseudonyms and the encrypted re-identification map.
 * The HMAC fast path is compared with node's createHmac computed here
 * independently, and base32 with the RFC 4648 test vectors.
 */
import { createHmac } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32 } from '../../../node/pseudonymize/base32.js';
import { generateSiteKey, readSiteKeyFile, writeSiteKeyFile } from '../../../node/pseudonymize/site-key.js';
import { PSEUDONYM_PATTERN, Pseudonymizer, pseudonym } from '../../../node/pseudonymize/pseudonym.js';
import { MapCollector, readReidMapFile } from '../../../node/pseudonymize/reid-map.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Independent reference: the formula of the README, with createHmac and RFC base32. */
function reference(secret: Uint8Array, version: number, idType: string, id: string): string {
  const v = Buffer.alloc(4);
  v.writeUInt32BE(version);
  const t = Buffer.from(idType);
  const mac = createHmac('sha256', secret).update(Buffer.concat([v, Buffer.from([t.length]), t, Buffer.from(id.trim().normalize('NFC'))])).digest();
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of mac) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i + 5 <= bits.length; i += 5) out += A[parseInt(bits.slice(i, i + 5), 2)];
  return out.slice(0, 26).toLowerCase();
}

describe('base32', () => {
  it('matches the RFC 4648 test vectors (lower case, no padding)', () => {
    const cases: Array<[string, string]> = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
    for (const [input, expected] of cases) expect(base32(Buffer.from(input))).toBe(expected);
  });
});

describe('site key file', () => {
  it('is written with mode 0600, reads back identically and is never overwritten', async () => {
    const key = generateSiteKey();
    const path = join(dir, 'site.key');
    await writeSiteKeyFile(path, key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const back = await readSiteKeyFile(path);
    expect(back.keyId).toBe(key.keyId);
    expect(back.version).toBe(1);
    expect(Buffer.from(back.secret).equals(Buffer.from(key.secret))).toBe(true);
    await expect(writeSiteKeyFile(path, generateSiteKey())).rejects.toMatchObject({ code: 'GENOFED_OUTPUT_EXISTS' });
    expect(Buffer.from((await readSiteKeyFile(path)).secret).equals(Buffer.from(key.secret))).toBe(true);
  });

  it('has a key id that does not contain the secret', async () => {
    const key = generateSiteKey();
    expect(key.keyId).toMatch(/^gk-[0-9a-f]{16}$/);
    const b64 = Buffer.from(key.secret).toString('base64');
    const hex = Buffer.from(key.secret).toString('hex');
    expect(hex.includes(key.keyId.slice(3))).toBe(false);
    expect(b64.includes(key.keyId.slice(3))).toBe(false);
  });

  it('is refused when group or others can read it', async () => {
    const path = join(dir, 'loose.key');
    await writeSiteKeyFile(path, generateSiteKey());
    await chmod(path, 0o644);
    await expect(readSiteKeyFile(path)).rejects.toMatchObject({ code: 'GENOFED_KEY_PERMISSIONS' });
  });

  it('is refused when the key id does not match the secret or the secret is short', async () => {
    const path = join(dir, 'tampered.key');
    const key = generateSiteKey();
    const obj = { format: 'genofed-site-key', version: 1, keyId: 'gk-0000000000000000', keyVersion: 1, secret: Buffer.from(key.secret).toString('base64') };
    await writeFile(path, JSON.stringify(obj), { mode: 0o600 });
    await expect(readSiteKeyFile(path)).rejects.toMatchObject({ code: 'GENOFED_KEY_FILE' });
    const short = join(dir, 'short.key');
    await writeFile(short, JSON.stringify({ ...obj, secret: Buffer.alloc(16).toString('base64') }), { mode: 0o600 });
    const err = await readSiteKeyFile(short).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'GENOFED_KEY_FILE' });
    expect(String((err as Error).message)).not.toContain(obj.secret);
    const broken = join(dir, 'broken.key');
    await writeFile(broken, `{"secret":"${obj.secret}",`, { mode: 0o600 });
    const e2 = (await readSiteKeyFile(broken).catch((e: unknown) => e)) as Error;
    expect(e2).toMatchObject({ code: 'GENOFED_KEY_FILE' });
    expect(`${e2.message} ${String(e2.cause ?? '')} ${e2.stack ?? ''}`).not.toContain(obj.secret.slice(0, 12));
  });
});

describe('pseudonym', () => {
  const key = generateSiteKey();

  it('equals HMAC-SHA256 over (version, id type, normalized id) computed independently', () => {
    for (const [type, id] of [['sample', 'HG00096'], ['read', 'SRR1039508.1234'], ['sample', ' NA12878\t'], ['sample', 'Cafe\u0301'], ['library', '한국-001']] as const) {
      expect(pseudonym(key, type, id)).toBe(reference(key.secret, key.version, type, id));
    }
  });

  it('has 26 base32 characters (130 bits) and the documented pattern', () => {
    const p = pseudonym(key, 'sample', 'HG00096');
    expect(p).toHaveLength(26);
    expect(p).toMatch(PSEUDONYM_PATTERN);
  });

  it('normalizes surrounding space and Unicode composition but preserves case', () => {
    expect(pseudonym(key, 'sample', ' HG00096 ')).toBe(pseudonym(key, 'sample', 'HG00096'));
    expect(pseudonym(key, 'sample', 'Cafe\u0301')).toBe(pseudonym(key, 'sample', 'Caf\u00e9'));
    expect(pseudonym(key, 'sample', 'hg00096')).not.toBe(pseudonym(key, 'sample', 'HG00096'));
  });

  it('separates id types, key versions and keys', () => {
    const p = pseudonym(key, 'sample', 'X1');
    expect(pseudonym(key, 'readgroup', 'X1')).not.toBe(p);
    expect(pseudonym({ ...key, version: 2 }, 'sample', 'X1')).not.toBe(p);
    expect(pseudonym(generateSiteKey(), 'sample', 'X1')).not.toBe(p);
  });

  it('gives the same result on the byte fast path for ASCII read names', () => {
    const p = new Pseudonymizer(key, 'read');
    for (const name of ['SRR1039508.1', 'HWI-ST1234:8:1101:1234:5678', 'r001']) {
      expect(p.pseudonymOfBytes(Buffer.from(name, 'ascii'))).toBe(p.pseudonym(name));
      expect(p.pseudonym(name)).toBe(reference(key.secret, key.version, 'read', name));
    }
  });

  it('rejects an identifier that is empty after trimming', () => {
    expect(() => pseudonym(key, 'sample', '  ')).toThrow(/empty/);
  });
});

describe('re-identification map', () => {
  it('decrypts with the right key, fails with another key, and fails when a byte is changed', async () => {
    const key = generateSiteKey();
    const map = new MapCollector();
    map.add('sample', 'NA12878', pseudonym(key, 'sample', 'NA12878'));
    map.add('sample', 'HG00096', pseudonym(key, 'sample', 'HG00096'));
    map.add('sample', 'NA12878', pseudonym(key, 'sample', 'NA12878'));
    const path = join(dir, 'reid.map');
    await map.write(path, key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const raw = await readFile(path);
    expect(raw.includes(Buffer.from('NA12878'))).toBe(false);
    const entries = await readReidMapFile(path, key);
    expect(entries).toEqual([
      { idType: 'sample', original: 'HG00096', pseudonym: pseudonym(key, 'sample', 'HG00096') },
      { idType: 'sample', original: 'NA12878', pseudonym: pseudonym(key, 'sample', 'NA12878') },
    ]);
    await expect(readReidMapFile(path, generateSiteKey())).rejects.toMatchObject({ code: 'GENOFED_MAP_DECRYPT' });
    // Same key id but the header claims another version: rejected before decryption.
    await expect(readReidMapFile(path, { ...key, version: 2 })).rejects.toMatchObject({ code: 'GENOFED_MAP_DECRYPT' });
    const flipped = Buffer.from(raw);
    flipped[flipped.length - 20]! ^= 1;
    const flippedPath = join(dir, 'flipped.map');
    await writeFile(flippedPath, flipped);
    await expect(readReidMapFile(flippedPath, key)).rejects.toMatchObject({ code: 'GENOFED_MAP_DECRYPT' });
    await expect(map.write(path, key)).rejects.toMatchObject({ code: 'GENOFED_OUTPUT_EXISTS' });
  });
});
