/**
 * Size-round commitments <-> wire, and their signatures (the protocol is in
 * node/privacy/size-round.ts; this is the part both sides read). A site
 * signs the protobuf encoding of its commitment body and sends those exact
 * bytes; the coordinator relays them unchanged and can read only the
 * routing fields (site, query, envelope digest, box recipients): the sizes
 * travel in boxes only the recipient site can open.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { ProtoError } from '../errors.js';
import * as wire from '../generated/genofed/v1/node.js';

export interface SizeBox {
  readonly recipient: string;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export interface SizeCommitmentBody {
  readonly siteId: string;
  readonly queryId: string;
  /** SHA-256 of the exact signed envelope bytes the site received. */
  readonly envelopeSha256: Uint8Array;
  readonly rosterFingerprint: string;
  readonly populationCount: number;
  readonly boxes: readonly SizeBox[];
}

/** What travels: the body's exact bytes and the site's Ed25519 signature over them. */
export interface SignedCommitment {
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
}

export function encodeCommitmentBody(b: SizeCommitmentBody): Uint8Array {
  return wire.SizeCommitmentBody.encode({
    siteId: b.siteId,
    queryId: b.queryId,
    envelopeSha256: Buffer.from(b.envelopeSha256),
    rosterFingerprint: b.rosterFingerprint,
    populationCount: b.populationCount,
    boxes: b.boxes.map((x) => ({ recipient: x.recipient, nonce: Buffer.from(x.nonce), ciphertext: Buffer.from(x.ciphertext) })),
  }).finish();
}

/** Decode a body (after its signature was checked, or for routing only); validates lengths. */
export function decodeCommitmentBody(bytes: Uint8Array): SizeCommitmentBody {
  let w: wire.SizeCommitmentBody;
  try {
    w = wire.SizeCommitmentBody.decode(bytes);
  } catch (cause) {
    throw new ProtoError('GENOFED_BAD_MESSAGE', 'size commitment: not a valid protobuf message', { cause });
  }
  if (w.envelopeSha256.length !== 32) throw new ProtoError('GENOFED_BAD_MESSAGE', 'size commitment: envelope digest is not 32 bytes');
  if (!w.siteId || !w.queryId) throw new ProtoError('GENOFED_BAD_MESSAGE', 'size commitment: no site or query id');
  return {
    siteId: w.siteId,
    queryId: w.queryId,
    envelopeSha256: new Uint8Array(w.envelopeSha256),
    rosterFingerprint: w.rosterFingerprint,
    populationCount: w.populationCount,
    boxes: w.boxes.map((x) => ({ recipient: x.recipient, nonce: new Uint8Array(x.nonce), ciphertext: new Uint8Array(x.ciphertext) })),
  };
}

export function signCommitment(body: SizeCommitmentBody, privateKey: KeyObject): SignedCommitment {
  const bytes = encodeCommitmentBody(body);
  return { body: bytes, signature: new Uint8Array(sign(null, bytes, privateKey)) };
}

/** Ed25519 over the exact body bytes; false for anything malformed. */
export function verifyCommitmentSignature(c: SignedCommitment, publicKey: KeyObject): boolean {
  if (c.signature.length !== 64 || c.body.length === 0) return false;
  try {
    return verify(null, c.body, publicKey, c.signature);
  } catch {
    return false;
  }
}

export function commitmentToWire(c: SignedCommitment): wire.SizeCommitment {
  return { body: Buffer.from(c.body), signature: Buffer.from(c.signature) };
}

export function commitmentFromWire(w: wire.SizeCommitment): SignedCommitment {
  return { body: new Uint8Array(w.body), signature: new Uint8Array(w.signature) };
}
