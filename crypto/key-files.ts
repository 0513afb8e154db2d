/**
 * Keys on disk, in the same envelope as on the wire. Secret keys are written
 * atomically (temporary name in the same folder, fsync, rename) with mode
 * 0600, and a secret key file that group or others can access is refused on
 * read, as ssh does. Messages name files by basename only.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CryptoError } from './errors.js';
import { inspectEnvelope, openEnvelope, type EnvelopeKind } from './envelope.js';
import type { BfvParams } from './params.js';

export type KeyKind = Exclude<EnvelopeKind, 'ciphertext'>;

async function writeAtomically(path: string, bytes: Uint8Array, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(bytes);
      await fh.chmod(mode); // independent of the umask
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CryptoError('GENOFED_CRYPTO_KEY_FILE', `cannot write key file ${basename(path)}`, { cause: err });
  }
}

function checkKind(bytes: Uint8Array, kind: KeyKind): void {
  const info = inspectEnvelope(bytes);
  if (info.kind !== kind) throw new CryptoError('GENOFED_CRYPTO_KEY_FILE', `expected a ${kind}, got a ${info.kind}`);
}

/** Write a secret key envelope with mode 0600, atomically. */
export async function writeSecretKeyFile(path: string, secretKey: Uint8Array): Promise<void> {
  checkKind(secretKey, 'secret-key');
  await writeAtomically(path, secretKey, 0o600);
}

/** Write a public key envelope (mode 0644), atomically. */
export async function writePublicKeyFile(path: string, publicKey: Uint8Array): Promise<void> {
  checkKind(publicKey, 'public-key');
  await writeAtomically(path, publicKey, 0o644);
}

/** Read a key file and check its kind, parameters and checksum; returns the envelope. */
export async function readKeyFile(path: string, kind: KeyKind, params: BfvParams): Promise<Uint8Array> {
  const name = basename(path);
  let bytes: Uint8Array;
  try {
    if (kind === 'secret-key') {
      const st = await stat(path);
      if ((st.mode & 0o077) !== 0) {
        throw new CryptoError('GENOFED_CRYPTO_KEY_FILE', `secret key file ${name} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
      }
    }
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    if (err instanceof CryptoError) throw err;
    throw new CryptoError('GENOFED_CRYPTO_KEY_FILE', `cannot read key file ${name}`, { cause: err });
  }
  const info = inspectEnvelope(bytes);
  if (info.kind !== kind) throw new CryptoError('GENOFED_CRYPTO_KEY_FILE', `${name} holds a ${info.kind}, not a ${kind}`);
  openEnvelope(bytes, kind, params);
  return bytes;
}
