/**
 * The key ceremony's roster steps, without I/O (the commands are in
 * `roster-cli.ts`):
 *
 * 1. build: whoever assembles the roster (usually the coordinator's
 *    operator) puts the public files together: epoch 1, or the previous
 *    roster's epoch + 1 naming its fingerprint. Nobody's private key is
 *    needed, so the assembler learns nothing it could misuse.
 * 2. show / sign: each site's operator reads the roster's fingerprint
 *    aloud with the other sites over an independent channel (phone, video
 *    call), then types it into `roster sign`, which signs only when the
 *    typed fingerprint is the file's. That typed fingerprint is also what
 *    the operator writes into the node's own config.
 * 3. seal: the signatures are put into the roster; it is written only when
 *    every member's signature verifies (proto's `verifyRosterSignatures`),
 *    because nodes use nothing less.
 *
 * Why every member signs and not the assembler: a roster the coordinator
 * could complete alone could hold a "site" whose keys the coordinator made,
 * whose masks it could therefore remove (THREAT-MODEL.md).
 */
import type { KeyObject } from 'node:crypto';
import { ProtoError } from '../../proto/errors.js';
import { schemaFingerprint, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { formatFingerprint, normalizeFingerprint, parseSignedRoster, rosterFingerprint, ROSTER_FORMAT, signRoster, verifyRosterSignatures, type Roster, type RosterSignature, type SignedRoster } from '../../proto/roster.js';
import { CoordinatorError } from '../errors.js';
import { keyFingerprint, type CoordinatorPublic, type RosterSignatureFile, type SitePublic } from './ceremony-files.js';

/**
 * Nodes refuse rosters of fewer members (node config `privacy.roster.minSites`,
 * at least 3): with 2, each member reads the other's counts from the total.
 */
export const MIN_ROSTER_SITES = 3;

export interface BuildRosterInput {
  readonly consortium: string;
  readonly coordinator: CoordinatorPublic;
  /** Each site's public file and its basename (for messages). */
  readonly sites: readonly { readonly label: string; readonly site: SitePublic }[];
  readonly schema: PhenotypeSchema;
  /** The sealed roster this one replaces (an epoch change). */
  readonly previous?: SignedRoster;
  readonly issuedAt: string;
}

function input(message: string, cause?: unknown): CoordinatorError {
  return new CoordinatorError('GENOFED_ROSTER_INPUT', message, cause === undefined ? undefined : { cause });
}

/** An unsigned roster from public files only; refuses what nodes would refuse. */
export function buildRoster(i: BuildRosterInput): Roster {
  const byId = new Map<string, string>();
  for (const { label, site } of i.sites) {
    const other = byId.get(site.id);
    if (other !== undefined) throw input(`site ${site.id} appears twice (${other}, ${label})`);
    byId.set(site.id, label);
  }
  if (i.sites.length < MIN_ROSTER_SITES) {
    throw input(`a roster needs at least ${MIN_ROSTER_SITES} sites, got ${i.sites.length} (with 2, each reads the other's counts from the network total)`);
  }
  const prev = i.previous?.roster;
  if (prev) {
    for (const { label, site } of i.sites) {
      const before = prev.sites.find((s) => s.id === site.id);
      if (before && before.signingKey !== site.signingKey) {
        throw input(`${label}: site ${site.id} has a new signing key; nodes refuse an epoch in which a continuing member changes it (its signature is what the others trust)`);
      }
    }
  }
  const roster: Roster = {
    format: ROSTER_FORMAT,
    version: 1,
    consortium: i.consortium,
    epoch: prev ? prev.epoch + 1 : 1,
    previous: prev ? rosterFingerprint(prev) : null,
    issuedAt: i.issuedAt,
    coordinator: { id: i.coordinator.id, signingKey: i.coordinator.signingKey, bfvPublicKeySha256: i.coordinator.bfvPublicKeySha256, preset: i.coordinator.preset },
    sites: [...i.sites].map((s) => s.site).sort((a, b) => (a.id < b.id ? -1 : 1)).map((s) => ({ id: s.id, x25519: s.x25519, signingKey: s.signingKey })),
    schema: i.schema,
  };
  // The same checks every node runs (ids, key types, a key reused across parties, the coordinator id not a site id).
  try {
    parseSignedRoster(JSON.parse(JSON.stringify({ roster, signatures: [] })), 'roster', { requireSignatures: false });
  } catch (cause) {
    if (cause instanceof ProtoError) throw input(cause.message, cause);
    throw cause;
  }
  return roster;
}

export interface RosterChanges {
  /** Whether `next.previous` is the old roster's fingerprint and the epoch follows it. */
  readonly follows: boolean;
  readonly joined: readonly string[];
  readonly left: readonly string[];
  /** Continuing members whose X25519 key changed (allowed; their masks change). */
  readonly newMaskKey: readonly string[];
  /** Continuing members whose signing key changed (nodes refuse such an epoch). */
  readonly newSigningKey: readonly string[];
  readonly coordinatorChanged: boolean;
  readonly schemaChanged: boolean;
}

export function rosterChanges(old: Roster, next: Roster): RosterChanges {
  const oldIds = new Set(old.sites.map((s) => s.id));
  const nextIds = new Set(next.sites.map((s) => s.id));
  const continuing = next.sites.filter((s) => oldIds.has(s.id)).map((s) => [old.sites.find((o) => o.id === s.id)!, s] as const);
  const c = (r: Roster): string => JSON.stringify(r.coordinator);
  return {
    follows: next.previous === rosterFingerprint(old) && next.epoch === old.epoch + 1,
    joined: next.sites.filter((s) => !oldIds.has(s.id)).map((s) => s.id),
    left: old.sites.filter((s) => !nextIds.has(s.id)).map((s) => s.id),
    newMaskKey: continuing.filter(([o, n]) => o.x25519 !== n.x25519).map(([, n]) => n.id),
    newSigningKey: continuing.filter(([o, n]) => o.signingKey !== n.signingKey).map(([, n]) => n.id),
    coordinatorChanged: c(old) !== c(next),
    schemaChanged: schemaFingerprint(old.schema) !== schemaFingerprint(next.schema),
  };
}

function describeSchema(schema: PhenotypeSchema): string[] {
  if (schema.columns.length === 0) return ['schema: no phenotype columns (genotype queries only; no cohorts or strata)'];
  return [
    `schema: ${schema.columns.length} column(s), sha256 ${formatFingerprint(schemaFingerprint(schema))}`,
    ...schema.columns.map((col) => (col.type === 'categorical'
      ? `  ${col.name}  categorical: ${col.values.join(', ')}`
      : `  ${col.name}  ${col.type} in bins with edges ${col.bins.join(', ')}`)),
  ];
}

/**
 * What `genofed roster show` prints: everything an operator confirms
 * before signing (members and their short key fingerprints, the
 * coordinator, the schema, the epoch chain) and who has signed. With the
 * previous roster, who joined and who left.
 */
export function describeRoster(signed: SignedRoster, label: string, previous?: { signed: SignedRoster; label: string }): string[] {
  const r = signed.roster;
  const fp = rosterFingerprint(r);
  const signedBy = new Set(signed.signatures.map((s) => s.site));
  const lines = [
    `${label}: consortium "${r.consortium}", epoch ${r.epoch}, issued ${r.issuedAt}`,
    `fingerprint: ${formatFingerprint(fp)}`,
    `previous: ${r.previous === null ? 'none (first roster)' : formatFingerprint(r.previous)}`,
    `coordinator: ${r.coordinator.id}  signing key ${keyFingerprint(r.coordinator.signingKey)}  BFV public key sha256 ${formatFingerprint(r.coordinator.bfvPublicKeySha256)}  preset ${r.coordinator.preset}`,
    `sites (${r.sites.length}; nodes answer only when every one of them takes part):`,
    ...r.sites.map((s) => `  ${s.id}  x25519 ${keyFingerprint(s.x25519)}  signing ${keyFingerprint(s.signingKey)}  ${signedBy.has(s.id) ? 'signed' : 'not signed'}`),
    ...describeSchema(r.schema),
  ];
  const missing = r.sites.filter((s) => !signedBy.has(s.id)).map((s) => s.id);
  if (missing.length > 0) {
    lines.push(`signatures: ${r.sites.length - missing.length} of ${r.sites.length} members (missing: ${missing.join(', ')}); nodes refuse this roster until every member signed`);
  } else {
    try {
      verifyRosterSignatures(signed, label);
      lines.push(`signatures: every member signed and every signature verifies`);
    } catch (err) {
      lines.push(`signatures: INVALID: ${(err as Error).message}`);
    }
  }
  if (previous) {
    const c = rosterChanges(previous.signed.roster, r);
    lines.push(`compared with ${previous.label} (epoch ${previous.signed.roster.epoch}):`);
    lines.push(c.follows ? `  follows it (epoch ${r.epoch}, previous = its fingerprint)` : '  DOES NOT follow it: nodes that accepted it refuse this roster (the epoch must be +1 and previous its fingerprint)');
    lines.push(`  joined: ${c.joined.length ? c.joined.join(', ') : 'none'}`);
    lines.push(`  left: ${c.left.length ? c.left.join(', ') : 'none'}`);
    if (c.newMaskKey.length) lines.push(`  new X25519 key: ${c.newMaskKey.join(', ')}`);
    if (c.newSigningKey.length) lines.push(`  NEW SIGNING KEY (nodes refuse this epoch): ${c.newSigningKey.join(', ')}`);
    lines.push(`  coordinator: ${c.coordinatorChanged ? 'CHANGED' : 'unchanged'}`);
    lines.push(`  schema: ${c.schemaChanged ? 'changed' : 'unchanged'}`);
    if (c.joined.length || c.left.length) {
      lines.push('  a change of membership: the difference of one query across the two epochs is the counts of the sites that joined or left; nodes accept one such change per privacy.roster.minMembershipIntervalHours (default 24), and DP noise is the defence');
    }
  }
  return lines;
}

/**
 * A site's confirmation: signs only when the fingerprint its operator typed
 * (after comparing it with the other sites) is the roster's, and only with
 * the key the roster lists for that site.
 */
export function confirmAndSign(signed: SignedRoster, label: string, site: string, signingKey: KeyObject, typedFingerprint: string): RosterSignatureFile {
  const typed = normalizeFingerprint(typedFingerprint);
  if (typed === undefined) throw new CoordinatorError('GENOFED_ROSTER_FINGERPRINT', '--fingerprint: a roster fingerprint is 64 hex digits (spaces and colons allowed); nothing signed');
  const fp = rosterFingerprint(signed.roster);
  if (typed !== fp) {
    throw new CoordinatorError('GENOFED_ROSTER_FINGERPRINT', `--fingerprint is not the fingerprint of ${label}; nothing signed. Compare the fingerprint of the roster you hold (genofed roster show) with the other sites again`);
  }
  if (!signed.roster.sites.some((s) => s.id === site)) throw new CoordinatorError('GENOFED_ROSTER_SIGNER', `site ${site} is not a member of ${label}; nothing signed`);
  if (signingKey.type !== 'private' || signingKey.asymmetricKeyType !== 'ed25519') throw new CoordinatorError('GENOFED_ROSTER_SIGNER', '--signing-key: not an Ed25519 private key; nothing signed');
  let sig: RosterSignature;
  try {
    sig = signRoster(signed.roster, site, signingKey);
  } catch (cause) {
    throw new CoordinatorError('GENOFED_ROSTER_SIGNER', `--signing-key is not the signing key ${label} lists for site ${site} (a key from another site, or an older one); nothing signed`, { cause });
  }
  return { format: 'genofed-roster-signature', version: 1, site, fingerprint: fp, signature: sig.signature };
}

/**
 * The sealed roster: the unsigned one with every member's signature.
 * Signature files for another roster, a site's two different signatures,
 * a missing or invalid signature: refused, nothing written.
 */
export function sealRoster(unsigned: SignedRoster, label: string, signatures: readonly { readonly label: string; readonly sig: RosterSignatureFile }[]): SignedRoster {
  const fp = rosterFingerprint(unsigned.roster);
  const bySite = new Map<string, string>(unsigned.signatures.map((s) => [s.site, s.signature]));
  for (const { label: l, sig } of signatures) {
    if (sig.fingerprint !== fp) throw input(`${l}: signs another roster (fingerprint ${formatFingerprint(sig.fingerprint)}), not ${label}`);
    const had = bySite.get(sig.site);
    if (had !== undefined && had !== sig.signature) throw input(`${l}: a second, different signature of site ${sig.site}`);
    bySite.set(sig.site, sig.signature);
  }
  const sealed: SignedRoster = {
    roster: unsigned.roster,
    signatures: [...bySite].map(([site, signature]) => ({ site, signature })).sort((a, b) => (a.site < b.site ? -1 : 1)),
  };
  try {
    verifyRosterSignatures(sealed, label);
  } catch (cause) {
    throw new CoordinatorError('GENOFED_ROSTER_INCOMPLETE', `${(cause as Error).message}; nothing written`, { cause });
  }
  return sealed;
}
