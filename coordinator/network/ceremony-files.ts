/**
 * The public files exchanged in the key ceremony, and nothing secret:
 *
 * - `site-public.json` (`genofed-site-public`, written by `genofed site
 *   init` at each hospital): the site id, its X25519 and Ed25519 public
 *   keys, SPKI DER base64 as the roster stores them;
 * - `coordinator-public.json` (`genofed-coordinator-public`, written by
 *   `genofed coordinator init`): the coordinator id, its Ed25519 query
 *   signing key, the SHA-256 of its BFV public key file and the preset;
 * - a roster signature (`genofed-roster-signature`, written by `genofed
 *   roster sign`): one site's confirmation of one roster fingerprint.
 *
 * Keys are checked for their type here (an X25519 key where Ed25519 is
 * needed is refused naming the file and field), so `roster build` fails on
 * the file that is wrong rather than on the assembled roster.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { z } from 'zod';
import { formatFingerprint, publicKeyFromBase64 } from '../../proto/roster.js';
import { CoordinatorError } from '../errors.js';
import { readJsonFile } from './files.js';

export const SITE_PUBLIC_FORMAT = 'genofed-site-public';
export const COORDINATOR_PUBLIC_FORMAT = 'genofed-coordinator-public';
export const ROSTER_SIGNATURE_FORMAT = 'genofed-roster-signature';

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'an id is 1-63 of [a-z0-9._-], starting with a letter or digit');
const b64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64').max(4096);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits');

const sitePublicSchema = z.strictObject({ format: z.literal(SITE_PUBLIC_FORMAT), version: z.literal(1), id, x25519: b64, signingKey: b64 });
const coordinatorPublicSchema = z.strictObject({
  format: z.literal(COORDINATOR_PUBLIC_FORMAT), version: z.literal(1), id, signingKey: b64, bfvPublicKeySha256: hex64, preset: z.enum(['default', 'test']),
});
const signatureSchema = z.strictObject({ format: z.literal(ROSTER_SIGNATURE_FORMAT), version: z.literal(1), site: id, fingerprint: hex64, signature: b64 });

export type SitePublic = z.infer<typeof sitePublicSchema>;
export type CoordinatorPublic = z.infer<typeof coordinatorPublicSchema>;
export type RosterSignatureFile = z.infer<typeof signatureSchema>;

/**
 * A short fingerprint of a roster public key (SPKI DER, base64): the first
 * 64 bits of its SHA-256 in groups of 4 hex digits, as `genofed site init`
 * prints it, so an operator recognises their own keys in `roster show`.
 * The sites compare and sign the full 256-bit roster fingerprint.
 */
export function keyFingerprint(spkiBase64: string): string {
  return formatFingerprint(createHash('sha256').update(Buffer.from(spkiBase64, 'base64')).digest('hex').slice(0, 16));
}

function parse<T>(schema: z.ZodType<T>, raw: unknown, label: string, what: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new CoordinatorError('GENOFED_ROSTER_INPUT', `${label}: not a ${what}: field '${issue.path.join('.') || '(top level)'}': ${issue.message}`);
  }
  return r.data;
}

function keyOfType(text: string, type: 'x25519' | 'ed25519', label: string, field: string): void {
  try {
    publicKeyFromBase64(text, type, field);
  } catch (cause) {
    throw new CoordinatorError('GENOFED_ROSTER_INPUT', `${label}: field '${field}' is not an ${type} public key (SPKI DER, base64)`, { cause });
  }
}

export async function readSitePublic(path: string): Promise<SitePublic> {
  const label = basename(path);
  const p = parse(sitePublicSchema, await readJsonFile(path, 'GENOFED_ROSTER_INPUT', 'site public file'), label, `site public file (${SITE_PUBLIC_FORMAT}, from genofed site init)`);
  keyOfType(p.x25519, 'x25519', label, 'x25519');
  keyOfType(p.signingKey, 'ed25519', label, 'signingKey');
  return p;
}

export async function readCoordinatorPublic(path: string): Promise<CoordinatorPublic> {
  const label = basename(path);
  const p = parse(coordinatorPublicSchema, await readJsonFile(path, 'GENOFED_ROSTER_INPUT', 'coordinator public file'), label, `coordinator public file (${COORDINATOR_PUBLIC_FORMAT}, from genofed coordinator init)`);
  keyOfType(p.signingKey, 'ed25519', label, 'signingKey');
  return p;
}

export async function readSignatureFile(path: string): Promise<RosterSignatureFile> {
  const label = basename(path);
  return parse(signatureSchema, await readJsonFile(path, 'GENOFED_ROSTER_INPUT', 'roster signature'), label, `roster signature (${ROSTER_SIGNATURE_FORMAT}, from genofed roster sign)`);
}

export function signatureFileText(s: Omit<RosterSignatureFile, 'format' | 'version'>): string {
  return `${JSON.stringify({ format: ROSTER_SIGNATURE_FORMAT, version: 1, site: s.site, fingerprint: s.fingerprint, signature: s.signature }, null, 2)}\n`;
}

export function coordinatorPublicText(p: Omit<CoordinatorPublic, 'format' | 'version'>): string {
  return `${JSON.stringify({ format: COORDINATOR_PUBLIC_FORMAT, version: 1, id: p.id, signingKey: p.signingKey, bfvPublicKeySha256: p.bfvPublicKeySha256, preset: p.preset }, null, 2)}\n`;
}
