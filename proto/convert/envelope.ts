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
import type { QueryEnvelope, QueryParams, SignedQueryBytes } from '../query.js';

const KIND_TO_WIRE = {
  'variant-keys': wire.QueryKind.QUERY_KIND_VARIANT_KEYS,
  'allele-counts': wire.QueryKind.QUERY_KIND_ALLELE_COUNTS,
  'cohort-count': wire.QueryKind.QUERY_KIND_COHORT_COUNT,
} as const;

function paramsToWire(p: QueryParams): wire.QueryEnvelope['params'] {
  switch (p.kind) {
    case 'variant-keys':
      return { $case: 'variantKeys', value: { region: p.region } };
    case 'allele-counts':
      return { $case: 'alleleCounts', value: { cohort: p.cohort, variantCount: p.variantCount, variantsSha256: Buffer.from(p.variantsSha256), strata: [...p.strata], region: p.region } };
    case 'cohort-count':
      return { $case: 'cohortCount', value: { cohort: p.cohort, carrierCount: p.carrierCount, carriersSha256: Buffer.from(p.carriersSha256) } };
  }
}

/** The protobuf encoding of the unsigned envelope: the bytes that are signed. */
export function encodeEnvelope(e: QueryEnvelope): Uint8Array {
  return wire.QueryEnvelope.encode({
    version: e.version,
    queryId: e.queryId,
    correlationId: e.correlationId,
    kind: KIND_TO_WIRE[e.params.kind],
    coordinatorId: e.coordinatorId,
    participants: [...e.participants],
    issuedAtMs: e.issuedAtMs,
    expiresAtMs: e.expiresAtMs,
    querier: e.querier,
    cryptoFingerprint: e.cryptoFingerprint,
    params: paramsToWire(e.params),
    measurementPlaintext: e.measurementPlaintext,
    dpEpsilon: e.dpEpsilon ?? 0,
    rosterFingerprint: e.rosterFingerprint,
  }).finish();
}

function bad(what: string): ProtoError {
  return new ProtoError('GENOFED_BAD_MESSAGE', `query envelope: ${what}`);
}

/** Decode (already authenticated) envelope bytes into the domain model. */
export function decodeEnvelope(bytes: Uint8Array): QueryEnvelope {
  let w: wire.QueryEnvelope;
  try {
    w = wire.QueryEnvelope.decode(bytes);
  } catch (cause) {
    throw new ProtoError('GENOFED_BAD_MESSAGE', 'query envelope: not a valid protobuf message', { cause });
  }
  let params: QueryParams;
  const p = w.params;
  if (!p) throw bad('no parameters');
  if (p.$case === 'variantKeys' && w.kind === wire.QueryKind.QUERY_KIND_VARIANT_KEYS) {
    params = { kind: 'variant-keys', region: p.value.region };
  } else if (p.$case === 'alleleCounts' && w.kind === wire.QueryKind.QUERY_KIND_ALLELE_COUNTS) {
    if (p.value.variantsSha256.length !== 32) throw bad('variant list digest is not 32 bytes');
    params = { kind: 'allele-counts', cohort: p.value.cohort, variantCount: p.value.variantCount, variantsSha256: new Uint8Array(p.value.variantsSha256), strata: p.value.strata, region: p.value.region };
  } else if (p.$case === 'cohortCount' && w.kind === wire.QueryKind.QUERY_KIND_COHORT_COUNT) {
    if (p.value.carrierCount > 0 && p.value.carriersSha256.length !== 32) throw bad('carrier list digest is not 32 bytes');
    params = { kind: 'cohort-count', cohort: p.value.cohort, carrierCount: p.value.carrierCount, carriersSha256: new Uint8Array(p.value.carriersSha256) };
  } else {
    throw bad('kind and parameters disagree or the kind is unknown');
  }
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
    params: Object.freeze(params),
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
