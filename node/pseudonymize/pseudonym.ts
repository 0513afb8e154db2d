/**
 * Keyed pseudonyms (DESIGN.md, "Pseudonymization per format"):
 *
 *   pseudonym = base32( HMAC-SHA256(secret, u32be(keyVersion) || u8(len(idType)) || idType || normalize(id)) )[0..26)
 *
 * 26 base32 characters = 130 bits (>= 128 required). The length-prefixed id
 * type separates namespaces: the same string as a sample and as a read name
 * gives unrelated pseudonyms, while a person's sample id gives the SAME
 * pseudonym in VCF columns, @RG SM and table rows (all use idType 'sample').
 *
 * Normalization: trim surrounding Unicode whitespace, then Unicode NFC.
 * Case is PRESERVED: VCF, SAM and most LIMS treat ids as case-sensitive
 * ("NA12878" and "na12878" may be different records), and folding case
 * would silently merge them.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { NodeError } from '../errors.js';
import { base32 } from './base32.js';
import type { SiteKey } from './site-key.js';

/** Namespaces of pseudonyms. 'sample' is the person: shared by VCF columns, @RG SM and table ids. */
export type IdType = 'sample' | 'readgroup' | 'library' | 'read' | 'variant-id' | 'date-shift';

/** 26 base32 characters = 130 bits; also used for read names (26 is the minimum for >= 128 bits in base32). */
export const PSEUDONYM_LENGTH = 26;

/** A genofed pseudonym: exactly 26 characters of the lower-case base32 alphabet. */
export const PSEUDONYM_PATTERN = /^[a-z2-7]{26}$/;

/** trim + NFC; case preserved (see the module comment). */
export function normalizeId(id: string): string {
  return id.trim().normalize('NFC');
}

/**
 * One id type under one key: the secret is imported once as a KeyObject and
 * the (version, id type) prefix encoded once; each id then costs one
 * createHmac. Measured on this (shared, loaded) machine over 200,000 read
 * names: createHmac with a cached KeyObject 15-25 us/name, with the raw key
 * bytes 70-94 us, and priming ipad/opad hashes cloned with Hash.copy()
 * 19-26 us (no gain), so the KeyObject is the fast path; base32 adds ~2 us.
 */
export class Pseudonymizer {
  readonly idType: IdType;
  private readonly keyObject: KeyObject;
  private readonly prefix: Buffer;

  constructor(key: SiteKey, idType: IdType) {
    this.idType = idType;
    this.keyObject = createSecretKey(Buffer.from(key.secret));
    const typeBytes = Buffer.from(idType, 'utf8');
    this.prefix = Buffer.alloc(5 + typeBytes.length);
    this.prefix.writeUInt32BE(key.version >>> 0, 0);
    this.prefix[4] = typeBytes.length;
    typeBytes.copy(this.prefix, 5);
  }

  /** The raw 32-byte HMAC of an already-normalized id (bytes or string). */
  digestNormalized(id: Uint8Array | string): Buffer {
    return createHmac('sha256', this.keyObject).update(this.prefix).update(id).digest();
  }

  /** Pseudonym of an id (normalized here). Throws on an id that is empty after trimming. */
  pseudonym(id: string): string {
    const n = normalizeId(id);
    if (n.length === 0) throw new NodeError('GENOFED_INPUT_FORMAT', 'an identifier is empty');
    return base32(this.digestNormalized(n), PSEUDONYM_LENGTH);
  }

  /**
   * Fast path for ids that are already normalized ASCII bytes, e.g. a BAM
   * QNAME (SAM spec: [!-?A-~]{1,254}, no whitespace). Equals
   * `pseudonym(id)` for such ids.
   */
  pseudonymOfBytes(id: Uint8Array): string {
    return base32(this.digestNormalized(id), PSEUDONYM_LENGTH);
  }
}

/** One-off pseudonym; for loops build a `Pseudonymizer` once. */
export function pseudonym(key: SiteKey, idType: IdType, id: string): string {
  return new Pseudonymizer(key, idType).pseudonym(id);
}

/**
 * Caches pseudonyms per id type for one run: sample ids recur in every
 * table row, @RG ids in every record's RG:Z, mates share a QNAME.
 */
export class PseudonymCache {
  private readonly byType = new Map<IdType, { p: Pseudonymizer; memo: Map<string, string> }>();
  constructor(private readonly key: SiteKey, private readonly maxEntries = 1 << 20) {}

  get(idType: IdType, id: string): string {
    let slot = this.byType.get(idType);
    if (!slot) {
      slot = { p: new Pseudonymizer(this.key, idType), memo: new Map() };
      this.byType.set(idType, slot);
    }
    const hit = slot.memo.get(id);
    if (hit !== undefined) return hit;
    const value = slot.p.pseudonym(id);
    if (slot.memo.size >= this.maxEntries) slot.memo.clear();
    slot.memo.set(id, value);
    return value;
  }
}
