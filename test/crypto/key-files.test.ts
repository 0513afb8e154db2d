/** Key files: secret keys 0600 and atomic, loose permissions and wrong kinds refused, round trip exact. */
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoError, createBfv, getPreset, readKeyFile, writePublicKeyFile, writeSecretKeyFile, type Bfv, type KeyPair } from '../../crypto/index.js';

describe('key files', () => {
  let dir: string;
  let bfv: Bfv;
  let keys: KeyPair;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-crypto-keys-'));
    bfv = await createBfv(getPreset('test'));
    keys = bfv.generateKeys();
  });
  afterAll(async () => {
    bfv.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function codeOf(p: Promise<unknown>): Promise<string> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    return (err as CryptoError).code;
  }

  it('a secret key is written with mode 0600, leaves no temporary file, and reads back byte for byte', async () => {
    const path = join(dir, 'coordinator.sk');
    await writeSecretKeyFile(path, keys.secretKey);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['coordinator.sk']);
    expect(await readKeyFile(path, 'secret-key', getPreset('test'))).toEqual(keys.secretKey);
    // and the key still decrypts
    const enc = bfv.encryptor(keys.publicKey);
    const dec = bfv.decryptor(await readKeyFile(path, 'secret-key', getPreset('test')));
    expect(dec.decryptChunk(enc.encryptChunk([42], { bound: 42, parties: 1 }))[0]).toBe(42n);
  });

  it('a public key is written 0644 and reads back', async () => {
    const path = join(dir, 'network.pk');
    await writePublicKeyFile(path, keys.publicKey);
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(await readKeyFile(path, 'public-key', getPreset('test'))).toEqual(keys.publicKey);
  });

  it('a secret key file readable by group or others is refused, without the directory in the message', async () => {
    const path = join(dir, 'loose.sk');
    await writeSecretKeyFile(path, keys.secretKey);
    await chmod(path, 0o640);
    const err = await readKeyFile(path, 'secret-key', getPreset('test')).catch((e: unknown) => e as CryptoError);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe('GENOFED_CRYPTO_KEY_FILE');
    expect((err as CryptoError).message).toContain('loose.sk');
    expect((err as CryptoError).message).not.toContain(dir);
  });

  it('refuses to write a public key as a secret key, a missing file, the wrong kind, other parameters and a corrupted file', async () => {
    expect(await codeOf(writeSecretKeyFile(join(dir, 'x.sk'), keys.publicKey))).toBe('GENOFED_CRYPTO_KEY_FILE');
    expect(await readdir(dir)).not.toContain('x.sk');
    expect(await codeOf(readKeyFile(join(dir, 'missing.sk'), 'secret-key', getPreset('test')))).toBe('GENOFED_CRYPTO_KEY_FILE');
    const pk = join(dir, 'kind.pk');
    await writePublicKeyFile(pk, keys.publicKey);
    expect(await codeOf(readKeyFile(pk, 'secret-key', getPreset('test')))).toBe('GENOFED_CRYPTO_KEY_FILE');
    expect(await codeOf(readKeyFile(pk, 'public-key', getPreset('default')))).toBe('GENOFED_CRYPTO_PARAMS_MISMATCH');
    const bad = join(dir, 'bad.pk');
    const corrupted = keys.publicKey.slice();
    corrupted[5000]! ^= 1;
    await writeFile(bad, corrupted);
    expect(await codeOf(readKeyFile(bad, 'public-key', getPreset('test')))).toBe('GENOFED_CRYPTO_MALFORMED');
  });
});
