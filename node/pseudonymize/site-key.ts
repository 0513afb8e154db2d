/**
 * The site pseudonymization key: 256 random bits that never leave the
 * hospital. Every pseudonym, date offset and the re-identification map are
 * derived from it, so whoever holds it can link pseudonyms back to people;
 * the file is therefore written 0600, never overwritten, and refused on read
 * when group or others may read it (as ssh does with private keys).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { NodeError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';
import { writeFileAtomically } from '../io/atomic-output.js';

export interface SiteKey {
  /** Short id derived from a hash of the secret: safe to print and to record in outputs. */
  readonly keyId: string;
  /** Key version, mixed into every pseudonym: rotating the key version unlinks all pseudonyms. */
  readonly version: number;
  /** The 32-byte secret. Never logged, never written anywhere but the key file. */
  readonly secret: Uint8Array;
}

export const SITE_KEY_FORMAT = 'genofed-site-key';
export const SITE_KEY_FILE_VERSION = 1;
const SECRET_BYTES = 32;

/**
 * keyId = 'gk-' + first 16 hex digits of SHA-256("genofed key id v1" || secret).
 * 64 bits tell two site keys apart; a one-way hash of a 256-bit secret
 * reveals nothing about it.
 */
export function keyIdOf(secret: Uint8Array): string {
  const h = createHash('sha256').update('genofed key id v1').update(secret).digest('hex');
  return `gk-${h.slice(0, 16)}`;
}

/** A fresh random site key (crypto.randomBytes, 256 bits). */
export function generateSiteKey(version = 1): SiteKey {
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new NodeError('GENOFED_USAGE', 'key version must be an integer from 1 to 4294967295');
  }
  const secret = new Uint8Array(randomBytes(SECRET_BYTES));
  return Object.freeze({ keyId: keyIdOf(secret), version, secret });
}

/** The key file's JSON text. */
export function serializeSiteKey(key: SiteKey): string {
  return `${JSON.stringify({
    format: SITE_KEY_FORMAT,
    version: SITE_KEY_FILE_VERSION,
    keyId: key.keyId,
    keyVersion: key.version,
    secret: Buffer.from(key.secret).toString('base64'),
  }, null, 2)}\n`;
}

/** Parse and validate a key file's text; `label` (a basename) names it in errors. */
export function parseSiteKey(text: string, label: string): SiteKey {
  const bad = (what: string): NodeError => new NodeError('GENOFED_KEY_FILE', `${label}: not a valid genofed site key file (${what})`);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    // No `cause`: V8's SyntaxError quotes the text around the error, which may be the secret.
    throw new NodeError('GENOFED_KEY_FILE', `${label}: not a valid genofed site key file (not JSON)`);
  }
  if (typeof obj !== 'object' || obj === null) throw bad('not a JSON object');
  const o = obj as Record<string, unknown>;
  if (o.format !== SITE_KEY_FORMAT) throw bad('format field');
  if (o.version !== SITE_KEY_FILE_VERSION) throw bad('unsupported file version');
  const kv = o.keyVersion;
  if (typeof kv !== 'number' || !Number.isInteger(kv) || kv < 1 || kv > 0xffffffff) throw bad('keyVersion');
  if (typeof o.secret !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(o.secret)) throw bad('secret encoding');
  const secret = new Uint8Array(Buffer.from(o.secret, 'base64'));
  if (secret.length !== SECRET_BYTES) throw bad('secret must be 32 bytes');
  const keyId = keyIdOf(secret);
  if (o.keyId !== keyId) throw bad('keyId does not match the secret');
  return Object.freeze({ keyId, version: kv, secret });
}

/** Write a key file: mode 0600, atomic, refuses to overwrite an existing file. */
export async function writeSiteKeyFile(path: string, key: SiteKey): Promise<void> {
  await writeFileAtomically(path, serializeSiteKey(key), { mode: 0o600, noClobber: true });
}

/**
 * Read and validate a key file. Refuses (GENOFED_KEY_PERMISSIONS) a file that
 * group or others can read or write on POSIX systems: a leaked site key
 * re-identifies every pseudonym of the site.
 */
export async function readSiteKeyFile(path: string): Promise<SiteKey> {
  const label = basename(path);
  const st = await stat(path).catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${label}: cannot open key file`, { cause }), path);
  });
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw withOperatorPath(new NodeError('GENOFED_KEY_PERMISSIONS', `${label}: key file is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`), path);
  }
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${label}: cannot read key file`, { cause }), path);
  });
  return parseSiteKey(text, label);
}
