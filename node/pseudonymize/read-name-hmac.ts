/**
 * HMAC-SHA256 of read names under the site key, the `read` pseudonym's MAC
 * (../pseudonym.ts), written out for speed: the pads are XORed once and each
 * name costs two one-shot `crypto.hash` calls over preallocated buffers,
 * H(K^opad || H(K^ipad || version || type || name)), instead of Hmac objects
 * (their allocation churn was ~45% of a BAM rewrite's main thread). Shared by
 * the BAM/SAM rewriter (alignment/read-names.ts) and FASTQ
 * (fastq/spot-pseudonyms.ts), so a read gets the same pseudonym in both.
 */
import { hash } from 'node:crypto';
import type { SiteKey } from './site-key.js';

const BLOCK = 64;

/** Holds derived key material: dispose() when the run is over. */
export class ReadNameHmac {
  private inner: Buffer;
  private readonly innerBase: number;
  private readonly outer: Buffer;

  constructor(key: SiteKey) {
    const type = Buffer.from('read', 'utf8');
    if (key.secret.length > BLOCK) throw new RangeError('site key secret is longer than one SHA-256 block');
    this.innerBase = BLOCK + 5 + type.length;
    // QNAME is at most 254 bytes (SAM spec); longer FASTQ names grow the buffer once.
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

  /** The MAC of name bytes src[start, end). */
  digest(src: Uint8Array, start: number, end: number): Buffer {
    const len = end - start;
    if (this.innerBase + len > this.inner.length) {
      const grown = Buffer.alloc(this.innerBase + len, 0);
      this.inner.copy(grown, 0, 0, this.innerBase);
      this.inner.fill(0);
      this.inner = grown;
    }
    this.inner.set(src.subarray(start, end), this.innerBase);
    hash('sha256', this.inner.subarray(0, this.innerBase + len), 'buffer').copy(this.outer, BLOCK);
    return hash('sha256', this.outer, 'buffer');
  }

  /** Wipe the key material. */
  dispose(): void {
    this.inner.fill(0);
    this.outer.fill(0);
  }
}
