/**
 * A variant list held as the packed lines the wire carries and the list
 * digest hashes (`chrom TAB pos TAB ref TAB alt LF`), in chunks (the wire
 * batches): about 20 bytes per SNV key instead of a ~200-byte object with
 * its strings (issue 11: a 10M-variant phase-1 union at the coordinator
 * and at every node). Keys are decoded a chunk at a time when read (`at`;
 * the last chunk is kept, so a reader walking in order decodes each once).
 */
import { createHash } from 'node:crypto';
import * as wire from '../generated/genofed/v1/node.js';
import { VARIANT_BATCH } from '../query.js';
import type { KeyList, VariantKey } from '../variant.js';
import { unpackVariantKeys } from './variants.js';

export class PackedKeyList implements KeyList {
  /** The last chunk decoded (a reader walks the list in order: each chunk is decoded once). */
  private cached = -1;
  private cachedKeys: VariantKey[] = [];

  private constructor(
    /** Packed lines; chunk c holds keys firstOf[c] .. firstOf[c + 1] - 1. */
    private readonly chunks: readonly Uint8Array[],
    private readonly firstOf: readonly number[],
  ) {}

  get length(): number {
    return this.firstOf[this.firstOf.length - 1]!;
  }

  static builder(): PackedKeyListBuilder {
    return new PackedKeyListBuilder((chunks, counts) => PackedKeyList.fromChunks(chunks, counts));
  }

  static from(keys: Iterable<VariantKey>): PackedKeyList {
    const b = PackedKeyList.builder();
    for (const k of keys) b.push(k.chrom, k.pos, k.ref, k.alt);
    return b.finish();
  }

  /** Packed chunks as received (each already validated) with the number of keys each holds. */
  static fromChunks(chunks: readonly Uint8Array[], counts: readonly number[]): PackedKeyList {
    const firstOf = [0];
    for (const n of counts) firstOf.push(firstOf[firstOf.length - 1]! + n);
    return new PackedKeyList(chunks, firstOf);
  }

  at(i: number): VariantKey | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return undefined;
    let c = this.cached;
    if (c < 0 || i < this.firstOf[c]! || i >= this.firstOf[c + 1]!) {
      // Binary search for the chunk holding i.
      let lo = 0;
      let hi = this.chunks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.firstOf[mid]! <= i) lo = mid;
        else hi = mid - 1;
      }
      c = lo;
      this.cachedKeys = unpackVariantKeys(this.chunks[c]!);
      this.cached = c;
    }
    return this.cachedKeys[i - this.firstOf[c]!];
  }

  *[Symbol.iterator](): IterableIterator<VariantKey> {
    for (const c of this.chunks) yield* unpackVariantKeys(c);
  }

  /** The list digest (proto/query.ts variantListDigest): SHA-256 of the lines. */
  digestHex(): string {
    const h = createHash('sha256');
    for (const c of this.chunks) h.update(c);
    return h.digest('hex');
  }

  /** The wire batches (made on each call; each shares its chunk's bytes). */
  wireBatches(): wire.VariantBatch[] {
    return this.chunks.map((c) => ({ variants: [], packed: Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength), names: [] }));
  }
}

/** Appends keys; `finish` seals the list. */
export class PackedKeyListBuilder {
  private readonly chunks: Buffer[] = [];
  private readonly counts: number[] = [];
  private text: string[] = [];
  private n = 0;

  constructor(private readonly seal: (chunks: Buffer[], counts: number[]) => PackedKeyList) {}

  get length(): number {
    return this.n;
  }

  push(chrom: string, pos: number, ref: string, alt: string): void {
    this.text.push(`${chrom}\t${pos}\t${ref}\t${alt}\n`);
    this.n += 1;
    if (this.text.length === VARIANT_BATCH) this.flush();
  }

  finish(): PackedKeyList {
    this.flush();
    return this.seal(this.chunks, this.counts);
  }

  private flush(): void {
    if (this.text.length === 0) return;
    this.chunks.push(Buffer.from(this.text.join(''), 'utf8'));
    this.counts.push(this.text.length);
    this.text = [];
  }
}
