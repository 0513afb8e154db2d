/**
 * Load and check the roster a node serves under, at start-up: the file
 * must hash to the fingerprint this site's operator confirmed (node
 * config `roster.fingerprint`), carry every member's valid signature,
 * list this site with the public parts of ITS OWN keys, and name the
 * coordinator whose BFV public key the node encrypts under. Then the
 * epoch chain and the membership-change interval (node/privacy/roster-state.ts).
 * Any failure: the node does not start (a node without a roster has no
 * masks, and masks are not optional).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { bfvKeyDigest, formatFingerprint, parseSignedRoster, publicKeyBase64, publicKeyFromBase64, rosterFingerprint, type Roster, type SignedRoster } from '../../proto/roster.js';
import { NodeError } from '../errors.js';
import type { NodeConfig } from './config.js';
import { withOperatorPath } from '../../proto/operator-path.js';

export interface SiteRoster {
  readonly signed: SignedRoster;
  readonly roster: Roster;
  readonly fingerprint: string;
  /** The only participant set this node answers under (sorted). */
  readonly siteIds: readonly string[];
  readonly coordinatorId: string;
  readonly coordinatorSigningKey: KeyObject;
  readonly selfX25519: KeyObject;
  readonly selfSigning: KeyObject;
}

async function readPrivateKey(path: string, field: string, type: 'x25519' | 'ed25519'): Promise<KeyObject> {
  const pem = await readFile(path).catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_CONFIG', `${field}: cannot read file`, { cause }), path);
  });
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new NodeError('GENOFED_CONFIG', `${field}: not a private key (PEM)`, { cause });
  } finally {
    pem.fill(0);
  }
  if (key.asymmetricKeyType !== type) throw new NodeError('GENOFED_CONFIG', `${field}: a ${String(key.asymmetricKeyType)} key where ${type} is needed`);
  return key;
}

function notConfirmed(what: string, cause?: unknown): NodeError {
  return new NodeError('GENOFED_ROSTER_NOT_CONFIRMED', `roster: ${what}`, cause === undefined ? undefined : { cause });
}

/** Read the roster file and this site's keys; every check of the module comment. */
export async function loadSiteRoster(config: NodeConfig, bfvPublicKey: Uint8Array): Promise<SiteRoster> {
  const label = basename(config.roster.file);
  const text = await readFile(config.roster.file, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_CONFIG', `roster.file (${label}): cannot read file`, { cause }), config.roster.file);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw notConfirmed(`${label} is not valid JSON`, cause);
  }
  let signed: SignedRoster;
  try {
    signed = parseSignedRoster(raw, label);
  } catch (cause) {
    throw notConfirmed((cause as Error).message, cause);
  }
  const fp = rosterFingerprint(signed.roster);
  if (fp !== config.roster.fingerprint) {
    throw notConfirmed(`${label} has fingerprint ${formatFingerprint(fp)}, not the one this site's operator confirmed in the node config (roster.fingerprint); compare it with the other sites before changing the config`);
  }
  const r = signed.roster;
  const self = r.sites.find((s) => s.id === config.siteId);
  if (!self) throw notConfirmed(`site ${config.siteId} is not a member of ${label}`);
  const selfX25519 = await readPrivateKey(config.keys.x25519, 'keys.x25519', 'x25519');
  const selfSigning = await readPrivateKey(config.keys.signing, 'keys.signing', 'ed25519');
  if (publicKeyBase64(selfX25519) !== self.x25519) throw notConfirmed(`the X25519 key in ${label} for ${config.siteId} is not the public part of keys.x25519`);
  if (publicKeyBase64(selfSigning) !== self.signingKey) throw notConfirmed(`the signing key in ${label} for ${config.siteId} is not the public part of keys.signing`);
  if (bfvKeyDigest(bfvPublicKey) !== r.coordinator.bfvPublicKeySha256) throw notConfirmed(`coordinator.bfvPublicKey is not the BFV key ${label} names (SHA-256 differs)`);
  if (r.coordinator.preset !== config.crypto.preset) throw notConfirmed(`${label} names BFV preset ${r.coordinator.preset}, the node config ${config.crypto.preset}`);
  if (r.sites.length < config.privacy.roster.minSites) {
    throw notConfirmed(`${label} has ${r.sites.length} members; this node requires at least ${config.privacy.roster.minSites} (privacy.roster.minSites)`);
  }
  return {
    signed, roster: r, fingerprint: fp, siteIds: r.sites.map((s) => s.id), coordinatorId: r.coordinator.id,
    coordinatorSigningKey: publicKeyFromBase64(r.coordinator.signingKey, 'ed25519', 'coordinator.signingKey'), selfX25519, selfSigning,
  };
}
