/**
 * Query envelope <-> wire, and its signature. The coordinator signs the
 * protobuf encoding of the unsigned envelope and sends those exact bytes
 * next to the signature; the node verifies the signature over the bytes it
 * received BEFORE decoding them, so no canonical re-encoding is needed and
 * nothing unauthenticated is parsed beyond the outer SignedQuery.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { ProtoError } from '../errors.js';
import * as wire from '../generated/genofed/v1/node.js';
import { canonicalJson, type CanonicalValue } from '../canonical-json.js';
import type { QueryEnvelope, QueryParams, SignedQueryBytes } from '../query.js';

/** The protobuf encoding of the unsigned envelope: the bytes that are signed. */
export function encodeEnvelope(e: QueryEnvelope): Uint8Array {
  return wire.QueryEnvelope.encode({
    version: e.version,
    queryId: e.queryId,
    correlationId: e.correlationId,
    coordinatorId: e.coordinatorId,
    participants: [...e.participants],
    issuedAtMs: e.issuedAtMs,
    expiresAtMs: e.expiresAtMs,
    querier: e.querier,
    cryptoFingerprint: e.cryptoFingerprint,
    measurementPlaintext: e.measurementPlaintext,
    dpEpsilon: e.dpEpsilon ?? 0,
    rosterFingerprint: e.rosterFingerprint,
    kind: e.params.kind,
    // The kind's parameters as canonical JSON: one byte string for one set of parameters.
    params: Buffer.from(canonicalJson(e.params as unknown as CanonicalValue), 'utf8'),
  }).finish();
}

function bad(what: string): ProtoError {
  return new ProtoError('GENOFED_BAD_MESSAGE', `query envelope: ${what}`);
}

/**
 * Decode (already authenticated) envelope bytes into the domain model. The
 * parameters are parsed as JSON here and validated by the kind's module
 * (proto/kinds/) where the kind is known; a kind name in the JSON other
 * than the envelope's is refused.
 */
export function decodeEnvelope(bytes: Uint8Array): QueryEnvelope {
  let w: wire.QueryEnvelope;
  try {
    w = wire.QueryEnvelope.decode(bytes);
  } catch (cause) {
    throw new ProtoError('GENOFED_BAD_MESSAGE', 'query envelope: not a valid protobuf message', { cause });
  }
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(w.kind)) throw bad('no kind or a malformed kind name');
  let params: unknown;
  try {
    params = JSON.parse(Buffer.from(w.params).toString('utf8'));
  } catch (cause) {
    throw new ProtoError('GENOFED_BAD_MESSAGE', 'query envelope: parameters are not JSON', { cause });
  }
  if (!params || typeof params !== 'object' || Array.isArray(params) || (params as { kind?: unknown }).kind !== w.kind) throw bad('parameters do not name the envelope\'s kind');
  if (!Number.isFinite(w.dpEpsilon) || w.dpEpsilon < 0) throw bad('dp epsilon is negative or not finite');
  return Object.freeze({
    version: w.version,
    queryId: w.queryId,
    correlationId: w.correlationId,
    coordinatorId: w.coordinatorId,
    participants: Object.freeze([...w.participants]),
    rosterFingerprint: w.rosterFingerprint,
    issuedAtMs: w.issuedAtMs,
    expiresAtMs: w.expiresAtMs,
    querier: w.querier,
    cryptoFingerprint: w.cryptoFingerprint,
    params: params as QueryParams,
    measurementPlaintext: w.measurementPlaintext,
    // Absent when 0 (DP off), so envelopes built without the field round-trip unchanged.
    ...(w.dpEpsilon > 0 ? { dpEpsilon: w.dpEpsilon } : {}),
  });
}

/** Encode and sign with the coordinator's Ed25519 private key. */
export function signEnvelope(e: QueryEnvelope, privateKey: KeyObject): SignedQueryBytes {
  const envelope = encodeEnvelope(e);
  return { envelope, signature: new Uint8Array(sign(null, envelope, privateKey)) };
}

/** Ed25519 verification over the exact bytes received; false for any malformed input. */
export function verifyEnvelopeSignature(q: SignedQueryBytes, publicKey: KeyObject): boolean {
  if (q.signature.length !== 64 || q.envelope.length === 0) return false;
  try {
    return verify(null, q.envelope, publicKey, q.signature);
  } catch {
    return false;
  }
}

export function signedQueryToWire(q: SignedQueryBytes): wire.SignedQuery {
  return { envelope: Buffer.from(q.envelope.buffer, q.envelope.byteOffset, q.envelope.byteLength), signature: Buffer.from(q.signature) };
}

export function signedQueryFromWire(w: wire.SignedQuery): SignedQueryBytes {
  return { envelope: new Uint8Array(w.envelope), signature: new Uint8Array(w.signature) };
}
