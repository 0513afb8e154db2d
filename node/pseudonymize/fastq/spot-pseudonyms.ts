/**
 * Read-name pseudonyms written straight into an output buffer, for FASTQ.
 * Computes exactly `Pseudonymizer(key, 'read').pseudonymOfBytes(name)` (a
 * test checks equality), so a FASTQ read and its BAM record get the same
 * pseudonym. The same MAC as the BAM rewriter's ReadNamePseudonyms
 * (../read-name-hmac.ts), but without
 * its name cache and without strings: in FASTQ every spot name occurs once
 * per file (mates are walked in step and share one computation), so the
 * cache only cost time. Profiled on 160,000 pairs: the cache's Map and
 * latin1 keys took 1.2 s of a 9.7 s main thread plus much of 1.3 s of GC.
 */
import { PSEUDONYM_LENGTH } from '../pseudonym.js';
import { ReadNameHmac } from '../read-name-hmac.js';
import type { SiteKey } from '../site-key.js';

const ALPHABET = Buffer.from('abcdefghijklmnopqrstuvwxyz234567', 'latin1');

/** Keyed spot-name pseudonyms for one run (holds derived key material: dispose() when done). */
export class SpotPseudonyms {
  private readonly mac: ReadNameHmac;

  constructor(key: SiteKey) {
    this.mac = new ReadNameHmac(key);
  }

  /** Write the 26-character pseudonym of name bytes src[start, end) at out[at]; returns 26. */
  write(src: Buffer, start: number, end: number, out: Buffer, at: number): number {
    const d = this.mac.digest(src, start, end);
    // base32 of the first 130 bits: 26 groups of 5 bits (as base32.ts, into bytes).
    let acc = 0;
    let bits = 0;
    let p = at;
    for (let i = 0; p < at + PSEUDONYM_LENGTH; i++) {
      acc = ((acc << 8) | d[i]!) & 0xffff;
      bits += 8;
      while (bits >= 5 && p < at + PSEUDONYM_LENGTH) {
        out[p++] = ALPHABET[(acc >>> (bits - 5)) & 31]!;
        bits -= 5;
      }
    }
    return PSEUDONYM_LENGTH;
  }

  /** Wipe the key material (the run is over). */
  dispose(): void {
    this.mac.dispose();
  }
}
