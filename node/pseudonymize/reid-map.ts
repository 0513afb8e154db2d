/**
 * The re-identification map (`--map FILE`): which original id got which
 * pseudonym, for the site alone to keep. Encrypted with AES-256-GCM under a
 * key derived from the site key (HKDF-SHA256, info "genofed reid-map v1"),
 * a fresh random 96-bit nonce per file, and the header authenticated as
 * associated data, so a file cannot be re-labelled to another key or
 * version undetected.
 *
 * File layout: one JSON header line, '\n', then ciphertext || 16-byte GCM tag.
 *   {"format":"genofed-reid-map","version":1,"keyId":"gk-...","keyVersion":1,"cipher":"aes-256-gcm","nonce":"<base64>"}
 * Plaintext: UTF-8 TSV lines `idType\toriginal\tpseudonym\n`, sorted, no header.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { NodeError } from '../errors.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import type { SiteKey } from './site-key.js';
import { withOperatorPath } from '../../proto/operator-path.js';

export const REID_MAP_FORMAT = 'genofed-reid-map';
export const REID_MAP_VERSION = 1;
const HKDF_INFO = 'genofed reid-map v1';
const NONCE_BYTES = 12; // 96 bits: GCM's native nonce size
const TAG_BYTES = 16;

export interface ReidEntry {
  idType: string;
  original: string;
  pseudonym: string;
}

function mapKey(key: SiteKey): Buffer {
  // HKDF salt: the key version, so each version derives its own map key.
  const salt = Buffer.alloc(4);
  salt.writeUInt32BE(key.version >>> 0);
  return Buffer.from(hkdfSync('sha256', key.secret, salt, HKDF_INFO, 32));
}

/** Encrypt entries into the map file's bytes (header line + ciphertext + tag). */
export function encryptReidMap(entries: readonly ReidEntry[], key: SiteKey): Buffer {
  const plain = Buffer.from(entries.map((e) => `${e.idType}\t${e.original}\t${e.pseudonym}\n`).join(''), 'utf8');
  const nonce = randomBytes(NONCE_BYTES);
  const header = Buffer.from(`${JSON.stringify({
    format: REID_MAP_FORMAT, version: REID_MAP_VERSION, keyId: key.keyId, keyVersion: key.version,
    cipher: 'aes-256-gcm', nonce: nonce.toString('base64'),
  })}\n`, 'utf8');
  const k = mapKey(key);
  try {
    const cipher = createCipheriv('aes-256-gcm', k, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return Buffer.concat([header, body]);
  } finally {
    k.fill(0);
    plain.fill(0);
  }
}

/**
 * Decrypt a map file's bytes. A wrong key, a wrong key version or any
 * modified byte fails with GENOFED_MAP_DECRYPT (GCM authentication).
 */
export function decryptReidMap(bytes: Buffer, key: SiteKey, label = 'map file'): ReidEntry[] {
  const nl = bytes.indexOf(10);
  if (nl < 0) throw new NodeError('GENOFED_MAP_DECRYPT', `${label}: not a genofed re-identification map (no header)`);
  const header = bytes.subarray(0, nl + 1);
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(header.toString('utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new NodeError('GENOFED_MAP_DECRYPT', `${label}: not a genofed re-identification map (header)`, { cause });
  }
  if (h.format !== REID_MAP_FORMAT || h.version !== REID_MAP_VERSION || h.cipher !== 'aes-256-gcm' || typeof h.nonce !== 'string') {
    throw new NodeError('GENOFED_MAP_DECRYPT', `${label}: not a genofed re-identification map (format/version)`);
  }
  if (h.keyId !== key.keyId || h.keyVersion !== key.version) {
    throw new NodeError('GENOFED_MAP_DECRYPT', `${label}: map was written with key ${String(h.keyId)} version ${String(h.keyVersion)}, not with the given key`);
  }
  const nonce = Buffer.from(h.nonce, 'base64');
  const body = bytes.subarray(nl + 1);
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
    throw new NodeError('GENOFED_MAP_DECRYPT', `${label}: map file is truncated or corrupt`);
  }
  const k = mapKey(key);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', k, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(header);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new NodeError('GENOFED_MAP_DECRYPT', `${label}: map file fails authentication (wrong key or modified file)`, { cause });
  } finally {
    k.fill(0);
  }
  const entries: ReidEntry[] = [];
  for (const line of plain.toString('utf8').split('\n')) {
    if (!line) continue;
    const [idType = '', original = '', pseudonym = ''] = line.split('\t');
    entries.push({ idType, original, pseudonym });
  }
  return entries;
}

/** Read and decrypt a map file. */
export async function readReidMapFile(path: string, key: SiteKey): Promise<ReidEntry[]> {
  const label = basename(path);
  const bytes = await readFile(path).catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${label}: cannot read map file`, { cause }), path);
  });
  return decryptReidMap(bytes, key, label);
}

/**
 * Collects (idType, original, pseudonym) during a run and writes the map
 * once at the end. Duplicates collapse; entries are sorted so the plaintext
 * does not reveal input order. Tabs/newlines inside an id would break the
 * TSV plaintext and are rejected.
 */
export class MapCollector {
  private readonly entries = new Map<string, ReidEntry>();

  add(idType: string, original: string, pseudonym: string): void {
    const k = `${idType}\u0000${original}`;
    if (this.entries.has(k)) return;
    if (/[\t\n\r]/.test(original) || /[\t\n\r]/.test(idType)) {
      throw new NodeError('GENOFED_INPUT_FORMAT', 'an identifier contains a tab or newline and cannot be recorded in the map');
    }
    this.entries.set(k, { idType, original, pseudonym });
  }

  get size(): number {
    return this.entries.size;
  }

  sortedEntries(): ReidEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.idType < b.idType ? -1 : a.idType > b.idType ? 1 : a.original < b.original ? -1 : a.original > b.original ? 1 : 0));
  }

  /** Encrypt and write atomically, mode 0600; refuses to overwrite an existing map. */
  async write(path: string, key: SiteKey): Promise<void> {
    await writeFileAtomically(path, encryptReidMap(this.sortedEntries(), key), { mode: 0o600, noClobber: true });
  }
}
