/**
 * Read-name pseudonyms, the hot path of a BAM rewrite (one per record).
 * Computes exactly `Pseudonymizer(key, 'read').pseudonymOfBytes(name)` of
 * ../pseudonym.ts (a test checks equality), but with two one-shot
 * `crypto.hash` calls over preallocated buffers (HMAC written out:
 * H(K^opad || H(K^ipad || prefix || name))) instead of two Hash.copy()
 * objects and their digests: that allocation churn was ~45% of main-thread
 * time (2.7 s of HMAC plus GC for 333k names, loaded 2-core machine).
 *
 * Mates, secondary and supplementary records repeat a name within a short
 * distance in both name- and coordinate-sorted files, so the last
 * CACHE_GENERATION..2*CACHE_GENERATION names are memoized.
 */
import { hash } from 'node:crypto';
import { base32 } from '../base32.js';
import { PSEUDONYM_LENGTH } from '../pseudonym.js';
import type { SiteKey } from '../site-key.js';

const BLOCK = 64;
/** 2 x 65,536 names: covers mates of coordinate-sorted short-read data at ~50 MB of strings. */
const CACHE_GENERATION = 1 << 16;

/** Keyed QNAME pseudonyms for one run (holds derived key material: dispose() when done). */
export class ReadNamePseudonyms {
  private readonly inner: Buffer;
  private readonly innerBase: number;
  private readonly outer: Buffer;
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  constructor(key: SiteKey) {
    const type = Buffer.from('read', 'utf8');
    if (key.secret.length > BLOCK) throw new RangeError('site key secret is longer than one SHA-256 block');
    this.innerBase = BLOCK + 5 + type.length;
    // QNAME is at most 254 bytes (SAM spec); l_read_name is a uint8.
    this.inner = Buffer.alloc(this.innerBase + 256, 0);
    this.outer = Buffer.alloc(BLOCK + 32, 0);
    this.inner.fill(0x36, 0, BLOCK);
    this.outer.fill(0x5c, 0, BLOCK);
    for (let i = 0; i < key.secret.length; i++) {
      this.inner[i]! ^= key.secret[i]!;
      this.outer[i]! ^= key.secret[i]!;
    }
    this.inner.writeUInt32BE(key.version >>> 0, BLOCK);
    this.inner[BLOCK + 4] = type.length;
    type.copy(this.inner, BLOCK + 5);
  }

  /** Pseudonym of a QNAME given as bytes (no NUL). */
  of(name: Uint8Array): string {
    if (name.length > 255) throw new RangeError('read name longer than 255 bytes');
    const k = Buffer.from(name.buffer, name.byteOffset, name.length).toString('latin1');
    let p = this.current.get(k) ?? this.previous.get(k);
    if (p !== undefined) return p;
    this.inner.set(name, this.innerBase);
    const innerDigest = hash('sha256', this.inner.subarray(0, this.innerBase + name.length), 'buffer');
    innerDigest.copy(this.outer, BLOCK);
    p = base32(hash('sha256', this.outer, 'buffer'), PSEUDONYM_LENGTH);
    if (this.current.size >= CACHE_GENERATION) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(k, p);
    return p;
  }

  /** Wipe the key material (the run is over). */
  dispose(): void {
    this.inner.fill(0);
    this.outer.fill(0);
    this.current.clear();
    this.previous.clear();
  }
}
