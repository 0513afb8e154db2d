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
import { createHash, type Hash } from 'node:crypto';
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

const BLOCK = 64; // SHA-256 block size in bytes

/**
 * One id type under one key. HMAC's inner and outer hashes are primed once
 * with (key ^ ipad || prefix) and (key ^ opad) and cloned per id with
 * Hash.copy(), which skips re-keying: millions of read names per BAM make
 * this the hot path. Results equal node's createHmac (checked by a test).
 */
export class Pseudonymizer {
  readonly idType: IdType;
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(key: SiteKey, idType: IdType) {
    if (key.secret.length > BLOCK) throw new NodeError('GENOFED_KEY_FILE', 'site key secret is longer than one SHA-256 block');
    this.idType = idType;
    const ipad = Buffer.alloc(BLOCK, 0x36);
    const opad = Buffer.alloc(BLOCK, 0x5c);
    for (let i = 0; i < key.secret.length; i++) {
      ipad[i]! ^= key.secret[i]!;
      opad[i]! ^= key.secret[i]!;
    }
    const typeBytes = Buffer.from(idType, 'utf8');
    const prefix = Buffer.alloc(5 + typeBytes.length);
    prefix.writeUInt32BE(key.version >>> 0, 0);
    prefix[4] = typeBytes.length;
    typeBytes.copy(prefix, 5);
    this.inner = createHash('sha256').update(ipad).update(prefix);
    this.outer = createHash('sha256').update(opad);
    ipad.fill(0);
    opad.fill(0);
  }

  /** The raw 32-byte HMAC of an already-normalized id (bytes or string). */
  digestNormalized(id: Uint8Array | string): Buffer {
    const innerDigest = this.inner.copy().update(id).digest();
    return this.outer.copy().update(innerDigest).digest();
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
