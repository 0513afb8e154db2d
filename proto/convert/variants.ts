/**
 * Variant keys and answer headers <-> wire. Conversions validate what the
 * domain types promise (positive integer positions, known counters), so
 * the rest of the code never sees a half-valid wire object.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { ProtoError } from '../errors.js';
import * as wire from '../generated/genofed/v1/node.js';
import { fieldsPerSlot, type Counter } from '../query.js';
import type { VariantKey } from '../variant.js';
import { PackedLineReader } from './packed-lines.js';

/**
 * Keys to the wire: packed lines (VariantBatch.packed) when no key carries
 * an id; a lookup's keys, which carry the id they were resolved from, as
 * VariantKey messages.
 */
export function variantsToWire(keys: readonly (VariantKey & { readonly id?: string })[]): wire.VariantBatch {
  if (keys.every((k) => k.id === undefined)) return { variants: [], packed: packVariantKeys(keys), names: [] };
  return { variants: keys.map((k) => ({ chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt, id: k.id ?? '' })), packed: Buffer.alloc(0), names: [] };
}

/** A batch of names (a name-listing kind: gene ids). */
export function namesToWire(names: readonly string[]): wire.VariantBatch {
  return { variants: [], packed: Buffer.alloc(0), names: [...names] };
}

/** The names of a batch; a batch with keys is not a name batch. */
export function namesFromWire(batch: wire.VariantBatch): string[] {
  if (batch.variants.length > 0 || batch.packed.length > 0) throw new ProtoError('GENOFED_BAD_MESSAGE', 'name batch: holds variant keys');
  for (const n of batch.names) if (n.length === 0 || n.length > 200) throw new ProtoError('GENOFED_BAD_MESSAGE', 'name batch: a name is empty or longer than 200 characters');
  return batch.names;
}

/** Keys as the lines the list digest hashes: `chrom TAB pos TAB ref TAB alt LF` (UTF-8). */
export function packVariantKeys(keys: readonly VariantKey[]): Buffer {
  let text = '';
  for (const k of keys) text += `${k.chrom}\t${k.pos}\t${k.ref}\t${k.alt}\n`;
  return Buffer.from(text, 'utf8');
}

/** The ids of a lookup's batch, one per key ('' where none, and for packed keys). */
export function variantIdsFromWire(batch: wire.VariantBatch): string[] {
  if (batch.packed.length > 0) return new Array<string>(countLines(batch.packed)).fill('');
  return batch.variants.map((v) => v.id ?? '');
}

export function variantsFromWire(batch: wire.VariantBatch): VariantKey[] {
  if (batch.names.length > 0) throw new ProtoError('GENOFED_BAD_MESSAGE', 'variant batch: holds names, not keys');
  if (batch.packed.length > 0) {
    if (batch.variants.length > 0) throw new ProtoError('GENOFED_BAD_MESSAGE', 'variant batch: keys both packed and as messages');
    return unpackVariantKeys(batch.packed);
  }
  const out: VariantKey[] = new Array(batch.variants.length);
  for (let i = 0; i < batch.variants.length; i++) {
    const v = batch.variants[i]!;
    if (!v.chrom || v.pos < 1 || !v.ref || !v.alt) throw new ProtoError('GENOFED_BAD_MESSAGE', 'variant batch: a key lacks chrom, pos, ref or alt');
    out[i] = { chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt };
  }
  return out;
}

function countLines(b: Uint8Array): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * Packed lines -> keys, strictly (packed-lines.ts): every line has four
 * non-empty fields, a decimal POS from 1 to 2^31 - 1, and ends with LF.
 * The contig string of consecutive keys is shared.
 */
export function unpackVariantKeys(packed: Uint8Array): VariantKey[] {
  const r = new PackedLineReader(packed);
  const out: VariantKey[] = [];
  let chrom = '';
  while (r.next()) {
    if (r.chromChanged) chrom = r.chrom();
    out.push({ chrom, pos: r.pos, ref: r.ref(), alt: r.alt() });
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
  /** DP on: the epsilon the querier has left at this site after this query (absent = 0, DP off). */
  readonly dpRemainingEpsilon?: number;
  /** Packed answer (protocol 7): bits per value (absent or 0: one value per slot; proto/query.ts packedLayout). */
  readonly packBits?: number;
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
    dpRemainingEpsilon: h.dpRemainingEpsilon ?? 0,
    packBits: h.packBits ?? 0,
  };
}

export function headerFromWire(w: wire.AggregateHeader): AnswerHeader {
  const counters = w.counterNames.map((c) => {
    if (!/^[a-z][a-z0-9_]{0,30}$/.test(c)) throw new ProtoError('GENOFED_BAD_MESSAGE', 'answer header: malformed counter name');
    return c as Counter;
  });
  if (w.packBits !== 0 && fieldsPerSlot(w.packBits) < 2) throw new ProtoError('GENOFED_BAD_MESSAGE', 'answer header: pack bits leave fewer than two values per slot');
  if (!Number.isFinite(w.dpRemainingEpsilon) || w.dpRemainingEpsilon < 0) throw new ProtoError('GENOFED_BAD_MESSAGE', 'answer header: remaining DP budget is not a non-negative number');
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
    dpRemainingEpsilon: w.dpRemainingEpsilon,
    packBits: w.packBits,
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
