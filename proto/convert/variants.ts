/**
 * Variant keys and answer headers <-> wire. Conversions validate what the
 * domain types promise (positive integer positions, known counters), so
 * the rest of the code never sees a half-valid wire object.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { ProtoError } from '../errors.js';
import * as wire from '../generated/genofed/v1/node.js';
import type { Counter } from '../query.js';
import type { VariantKey } from '../variant.js';

/** Keys to the wire; a lookup's keys carry the id they were resolved from. */
export function variantsToWire(keys: readonly (VariantKey & { readonly id?: string })[]): wire.VariantBatch {
  return { variants: keys.map((k) => ({ chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt, id: k.id ?? '' })) };
}

/** The ids of a lookup's batch, one per key ('' where none). */
export function variantIdsFromWire(batch: wire.VariantBatch): string[] {
  return batch.variants.map((v) => v.id ?? '');
}

export function variantsFromWire(batch: wire.VariantBatch): VariantKey[] {
  const out: VariantKey[] = new Array(batch.variants.length);
  for (let i = 0; i < batch.variants.length; i++) {
    const v = batch.variants[i]!;
    if (!v.chrom || v.pos < 1 || !v.ref || !v.alt) throw new ProtoError('GENOFED_BAD_MESSAGE', 'variant batch: a key lacks chrom, pos, ref or alt');
    out[i] = { chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt };
  }
  return out;
}

/** The header an aggregate answer starts with (domain form). */
export interface AnswerHeader {
  readonly siteId: string;
  readonly queryId: string;
  readonly cryptoFingerprint: string;
  readonly counters: readonly Counter[];
  readonly valueCount: number;
  readonly ciphertextCount: number;
  readonly boundPerValue: number;
  readonly plaintext: boolean;
  /** Skellam noise scale of the network total (0 = no noise; absent = 0). */
  readonly noiseMu?: number;
  /** The values carry this site's secure-aggregation mask (absent = false). */
  readonly masked?: boolean;
  /** Genotyped samples at the site: bounds the network totals the coordinator accepts. */
  readonly samples: number;
  readonly rosterFingerprint: string;
  /** Population blocks in the count vector (1 + stratum cells). */
  readonly populations: number;
  /** Populations withheld by the nodes (network size 1..k-1): their blocks are zero (absent = none). */
  readonly withheld?: readonly number[];
}

export function headerToWire(h: AnswerHeader): wire.AggregateHeader {
  return {
    siteId: h.siteId,
    queryId: h.queryId,
    cryptoFingerprint: h.cryptoFingerprint,
    counterNames: [...h.counters],
    valueCount: h.valueCount,
    ciphertextCount: h.ciphertextCount,
    boundPerValue: h.boundPerValue,
    plaintext: h.plaintext,
    noiseMu: h.noiseMu ?? 0,
    masked: h.masked ?? false,
    samples: h.samples,
    rosterFingerprint: h.rosterFingerprint,
    populationCount: h.populations,
    withheldPopulations: [...(h.withheld ?? [])],
  };
}

export function headerFromWire(w: wire.AggregateHeader): AnswerHeader {
  const counters = w.counterNames.map((c) => {
    if (!/^[a-z][a-z0-9_]{0,30}$/.test(c)) throw new ProtoError('GENOFED_BAD_MESSAGE', 'answer header: malformed counter name');
    return c as Counter;
  });
  return {
    siteId: w.siteId,
    queryId: w.queryId,
    cryptoFingerprint: w.cryptoFingerprint,
    counters,
    valueCount: w.valueCount,
    ciphertextCount: w.ciphertextCount,
    boundPerValue: w.boundPerValue,
    plaintext: w.plaintext,
    noiseMu: w.noiseMu,
    masked: w.masked,
    samples: w.samples,
    rosterFingerprint: w.rosterFingerprint,
    populations: w.populationCount,
    withheld: w.withheldPopulations,
  };
}

/**
 * A header signed by the site's roster signing key (Ed25519 over the exact
 * header bytes): the site's declaration (samples, noise, masks) is
 * attributable to it, not only to the TLS channel it came over.
 */
export function signHeader(h: AnswerHeader, privateKey: KeyObject): wire.SignedHeader {
  const header = Buffer.from(wire.AggregateHeader.encode(headerToWire(h)).finish());
  return { header, signature: sign(null, header, privateKey) };
}

/** Verify then decode a signed header; throws GENOFED_BAD_MESSAGE when the signature or the header is invalid. */
export function verifySignedHeader(w: wire.SignedHeader, publicKey: KeyObject): AnswerHeader {
  let ok = false;
  try {
    ok = w.signature.length === 64 && verify(null, w.header, publicKey, w.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new ProtoError('GENOFED_BAD_MESSAGE', 'answer header: signature does not verify under the site\'s roster key');
  let decoded: wire.AggregateHeader;
  try {
    decoded = wire.AggregateHeader.decode(w.header);
  } catch (cause) {
    throw new ProtoError('GENOFED_BAD_MESSAGE', 'answer header: not a valid protobuf message', { cause });
  }
  return headerFromWire(decoded);
}
