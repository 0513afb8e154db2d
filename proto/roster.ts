/**
 * The consortium roster: who takes part (every site's X25519 mask key and
 * Ed25519 signing key), who decrypts (the coordinator's id, its query
 * signing key and a digest of its BFV public key) and what may be queried
 * (the phenotype schema). A cross-party contract, so it lives here once.
 *
 * Why it exists (THREAT-MODEL.md, "The participant set is the roster"):
 * masks cancel over any agreed set, so a key holder that may choose the set
 * solves each site's counts from subset totals (4 sites, 4 three-site
 * subsets: every site exact). A node therefore answers only under its own
 * current roster, every member, as its operator confirmed it. The roster
 * is assembled from public keys only; each site's operator compares its
 * fingerprint with the other sites over an independent channel, writes it
 * into the node's own config, and signs it. A node uses a roster only when
 * its fingerprint equals the configured one AND every member's signature
 * verifies, so a member the sites did not confirm (a "site" whose keys the
 * coordinator holds) cannot be slipped in.
 *
 * Epochs: membership changes are new rosters (`epoch` + 1, `previous` =
 * the fingerprint they replace), signed by every member; the node checks
 * the chain and rate-limits changes of membership (node/privacy/roster-state.ts).
 *
 * File: `{ "roster": {...}, "signatures": [{ "site", "signature" }] }`.
 * Fingerprint = SHA-256 of the canonical JSON of `roster`; each signature
 * is Ed25519 over `"genofed roster v1\0"` || the 32 fingerprint bytes.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, type CanonicalValue } from './canonical-json.js';
import { ProtoError } from './errors.js';
import { parsePhenotypeSchema, phenotypeSchemaSchema, type PhenotypeSchema } from './phenotype-schema.js';

export const ROSTER_FORMAT = 'genofed-roster';
const SIGNING_LABEL = 'genofed roster v1\0';

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'an id is 1-63 of [a-z0-9._-], starting with a letter or digit');
const b64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64').max(4096);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits');

const rosterSchema = z.strictObject({
  format: z.literal(ROSTER_FORMAT),
  version: z.literal(1),
  /** A name for the consortium (free text, shown to operators). */
  consortium: z.string().min(1).max(200),
  /** 1 for the first roster; each change of membership or schema is the next epoch. */
  epoch: z.number().int().min(1).max(1_000_000),
  /** Fingerprint of the roster this one replaces (null for epoch 1). */
  previous: hex64.nullable(),
  issuedAt: z.string().min(1).max(40),
  coordinator: z.strictObject({
    id,
    /** Ed25519 public key (SPKI DER, base64) that signs every query envelope. */
    signingKey: b64,
    /** SHA-256 (hex) of the BFV public key file the sites encrypt under. */
    bfvPublicKeySha256: hex64,
    preset: z.enum(['default', 'test']),
  }),
  /** Sorted by id. */
  sites: z.array(z.strictObject({
    id,
    /** X25519 public key (SPKI DER, base64): pairwise masks and size-round boxes. */
    x25519: b64,
    /** Ed25519 public key (SPKI DER, base64): roster signatures, size commitments, answer headers. */
    signingKey: b64,
  })).min(1).max(1000),
  schema: phenotypeSchemaSchema,
});

const signedRosterSchema = z.strictObject({
  roster: rosterSchema,
  signatures: z.array(z.strictObject({ site: id, signature: b64 })).max(1000),
});

export type Roster = Omit<z.infer<typeof rosterSchema>, 'schema'> & { readonly schema: PhenotypeSchema };
export type RosterSite = Roster['sites'][number];
export interface RosterSignature { readonly site: string; readonly signature: string }
export interface SignedRoster {
  readonly roster: Roster;
  readonly signatures: readonly RosterSignature[];
}

function bad(label: string, what: string): never {
  throw new ProtoError('GENOFED_BAD_ROSTER', `${label}: ${what}`);
}

/** SPKI DER base64 of a public key (the roster's key encoding). */
export function publicKeyBase64(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** A roster key back into a KeyObject of the expected type. */
export function publicKeyFromBase64(text: string, type: 'x25519' | 'ed25519', what = 'key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new ProtoError('GENOFED_BAD_ROSTER', `${what}: not a public key (SPKI DER, base64)`, { cause });
  }
  if (key.asymmetricKeyType !== type) throw new ProtoError('GENOFED_BAD_ROSTER', `${what}: a ${String(key.asymmetricKeyType)} key where ${type} is needed`);
  return key;
}

/** SHA-256 (hex) of the roster's canonical JSON. */
export function rosterFingerprint(roster: Roster): string {
  return createHash('sha256').update(canonicalJson(roster as unknown as CanonicalValue)).digest('hex');
}

/** `ab12 cd34 ...`: 16 groups of 4 hex digits, for reading aloud. */
export function formatFingerprint(hex: string): string {
  return hex.match(/.{1,4}/g)!.join(' ');
}

/** Accepts a fingerprint with spaces or colons, any case; returns 64 lower-case hex digits or undefined. */
export function normalizeFingerprint(text: string): string | undefined {
  const h = text.replace(/[\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(h) ? h : undefined;
}

function signingMessage(fingerprint: string): Buffer {
  return Buffer.concat([Buffer.from(SIGNING_LABEL, 'utf8'), Buffer.from(fingerprint, 'hex')]);
}

/** A site's signature over a roster (its operator's confirmation, for the other sites to check). */
export function signRoster(roster: Roster, site: string, signingPrivateKey: KeyObject): RosterSignature {
  const entry = roster.sites.find((s) => s.id === site);
  if (!entry) bad('roster', `site ${site} is not a member`);
  if (publicKeyBase64(signingPrivateKey) !== entry.signingKey) bad('roster', `the signing key given is not site ${site}'s key in the roster`);
  return { site, signature: sign(null, signingMessage(rosterFingerprint(roster)), signingPrivateKey).toString('base64') };
}

/**
 * Validate a parsed roster file: structure, schema, sorted unique site
 * ids, distinct keys, and (unless `requireSignatures` is false, for a
 * roster still collecting them) a valid signature of every member and no
 * other. Throws GENOFED_BAD_ROSTER naming the field or the site.
 */
export function parseSignedRoster(raw: unknown, label = 'roster', options: { requireSignatures?: boolean } = {}): SignedRoster {
  const r = signedRosterSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    bad(label, `field '${issue.path.join('.') || '(top level)'}': ${issue.message}`);
  }
  const roster = r.data.roster as Roster;
  parsePhenotypeSchema(roster.schema, `${label}: schema`);
  const ids = roster.sites.map((s) => s.id);
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) bad(label, 'sites must be sorted by id and unique');
  if (ids.includes(roster.coordinator.id)) bad(label, 'the coordinator id is also a site id');
  if ((roster.epoch === 1) !== (roster.previous === null)) bad(label, 'epoch 1 has no previous roster; every later epoch names one');
  publicKeyFromBase64(roster.coordinator.signingKey, 'ed25519', `${label}: coordinator.signingKey`);
  const keys = new Set<string>([roster.coordinator.signingKey]);
  for (const s of roster.sites) {
    publicKeyFromBase64(s.x25519, 'x25519', `${label}: site ${s.id} x25519`);
    publicKeyFromBase64(s.signingKey, 'ed25519', `${label}: site ${s.id} signingKey`);
    for (const k of [s.x25519, s.signingKey]) {
      if (keys.has(k)) bad(label, `site ${s.id} reuses a key of another party`);
      keys.add(k);
    }
  }
  const signed: SignedRoster = deepFreeze({ roster, signatures: r.data.signatures });
  if (options.requireSignatures !== false) verifyRosterSignatures(signed, label);
  return signed;
}

/** Every member signed the roster's fingerprint with its roster key; no signature from a non-member, none twice. */
export function verifyRosterSignatures(signed: SignedRoster, label = 'roster'): void {
  const fp = rosterFingerprint(signed.roster);
  const msg = signingMessage(fp);
  const bySite = new Map<string, string>();
  for (const s of signed.signatures) {
    if (bySite.has(s.site)) bad(label, `site ${s.site} signed twice`);
    bySite.set(s.site, s.signature);
  }
  for (const s of signed.signatures) {
    if (!signed.roster.sites.some((m) => m.id === s.site)) bad(label, `a signature by ${s.site}, which is not a member`);
  }
  const missing = signed.roster.sites.filter((m) => !bySite.has(m.id)).map((m) => m.id);
  if (missing.length > 0) bad(label, `not signed by ${missing.join(', ')} (every member must sign the roster)`);
  for (const m of signed.roster.sites) {
    const ok = verify(null, msg, publicKeyFromBase64(m.signingKey, 'ed25519'), Buffer.from(bySite.get(m.id)!, 'base64'));
    if (!ok) bad(label, `the signature of ${m.id} does not verify for this roster`);
  }
}

/** The sorted site ids: the only participant set a node answers under. */
export function rosterSiteIds(roster: Roster): string[] {
  return roster.sites.map((s) => s.id);
}

/** JSON text of a roster file (stable key order, one trailing newline). */
export function serializeSignedRoster(signed: SignedRoster): string {
  return `${JSON.stringify({ roster: signed.roster, signatures: signed.signatures }, null, 2)}\n`;
}

/** SHA-256 (hex) of a BFV public key file's bytes, as the roster records it. */
export function bfvKeyDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
