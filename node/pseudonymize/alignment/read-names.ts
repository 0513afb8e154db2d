/**
 * Read-name pseudonyms, the hot path of a BAM rewrite (one per record).
 * Computes exactly `Pseudonymizer(key, 'read').pseudonymOfBytes(name)` of
 * ../pseudonym.ts (a test checks equality) through ../read-name-hmac.ts
 * (the MAC written out over preallocated buffers: Hmac objects' allocation
 * churn was ~45% of main-thread time, 2.7 s of HMAC plus GC for 333k names).
 *
 * Mates, secondary and supplementary records repeat a name within a short
 * distance in both name- and coordinate-sorted files, so the last
 * CACHE_GENERATION..2*CACHE_GENERATION names are memoized.
 */
import { base32 } from '../base32.js';
import { PSEUDONYM_LENGTH } from '../pseudonym.js';
import { ReadNameHmac } from '../read-name-hmac.js';
import type { SiteKey } from '../site-key.js';

/** 2 x 65,536 names: covers mates of coordinate-sorted short-read data at ~50 MB of strings. */
const CACHE_GENERATION = 1 << 16;

/** Keyed QNAME pseudonyms for one run (holds derived key material: dispose() when done). */
export class ReadNamePseudonyms {
  private readonly mac: ReadNameHmac;
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  constructor(key: SiteKey) {
    this.mac = new ReadNameHmac(key);
  }

  /** Pseudonym of a QNAME given as bytes (no NUL). */
  of(name: Uint8Array): string {
    if (name.length > 255) throw new RangeError('read name longer than 255 bytes');
    const k = Buffer.from(name.buffer, name.byteOffset, name.length).toString('latin1');
    let p = this.current.get(k) ?? this.previous.get(k);
    if (p !== undefined) return p;
    p = base32(this.mac.digest(name, 0, name.length), PSEUDONYM_LENGTH);
    if (this.current.size >= CACHE_GENERATION) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(k, p);
    return p;
  }

  /** Wipe the key material (the run is over). */
  dispose(): void {
    this.mac.dispose();
    this.current.clear();
    this.previous.clear();
  }
}
