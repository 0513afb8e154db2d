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
import { PackedLineReader } from './packed-lines.js';
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

  /**
   * A forward walk along the list for keys that come in its order (a
   * node's scan rows over a phase-1 union): `seek` returns the index of
   * the first key at or after the walk's place that equals the one given
   * (contig by its normalized name), and moves past it; -1 when the walk
   * reached the end without one. Reads the lines in place: no key object.
   */
  walker(normalize: (chrom: string) => string): { seek(chromNorm: string, pos: number, ref: string, alt: string): number } {
    const chunks = this.chunks;
    let chunk = 0;
    let index = -1;
    let reader: PackedLineReader | undefined;
    let has = false;
    let chromNorm = '';
    const advance = (): void => {
      for (;;) {
        if (reader && reader.next()) {
          if (reader.chromChanged) chromNorm = normalize(reader.chrom());
          index += 1;
          has = true;
          return;
        }
        if (chunk >= chunks.length) { has = false; return; }
        reader = new PackedLineReader(chunks[chunk++]!);
      }
    };
    advance();
    return {
      seek(c, pos, ref, alt) {
        while (has) {
          const r = reader!;
          const hit = r.pos === pos && fieldEquals(r, r.refStart, r.refEnd, ref) && fieldEquals(r, r.refEnd + 1, r.end, alt) && chromNorm === c;
          const at = index;
          advance();
          if (hit) return at;
        }
        return -1;
      },
    };
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

/** A field of the reader's line equals a string (ASCII compared in place; otherwise decoded). */
function fieldEquals(r: PackedLineReader, from: number, to: number, s: string): boolean {
  if (!r.ascii) return Buffer.from(r.bytes.buffer, r.bytes.byteOffset + from, to - from).toString('utf8') === s;
  if (to - from !== s.length) return false;
  const b = r.bytes;
  for (let k = 0; k < s.length; k++) if (b[from + k] !== s.charCodeAt(k)) return false;
  return true;
}

/** Appends keys (as fields, or as a packed line copied byte for byte); `finish` seals the list. */
export class PackedKeyListBuilder {
  private readonly chunks: Buffer[] = [];
  private readonly counts: number[] = [];
  private buf = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private inChunk = 0;
  private n = 0;

  constructor(private readonly seal: (chunks: Buffer[], counts: number[]) => PackedKeyList) {}

  get length(): number {
    return this.n;
  }

  push(chrom: string, pos: number, ref: string, alt: string): void {
    const line = `${chrom}\t${pos}\t${ref}\t${alt}\n`;
    this.room(Buffer.byteLength(line, 'utf8'));
    this.used += this.buf.write(line, this.used, 'utf8');
    this.added();
  }

  /** A key from its fields' UTF-8 bytes (a store writing its keys without a string per key). */
  pushBytes(chrom: Uint8Array, pos: number, ref: Uint8Array, alt: Uint8Array): void {
    this.room(chrom.length + ref.length + alt.length + 14);
    const buf = this.buf;
    let at = this.used;
    for (let k = 0; k < chrom.length; k++) buf[at++] = chrom[k]!;
    buf[at++] = 0x09;
    let digits = 1;
    for (let x = pos; x >= 10; x = Math.floor(x / 10)) digits++;
    for (let k = digits - 1, x = pos; k >= 0; k--, x = Math.floor(x / 10)) buf[at + k] = 0x30 + (x % 10);
    at += digits;
    buf[at++] = 0x09;
    for (let k = 0; k < ref.length; k++) buf[at++] = ref[k]!;
    buf[at++] = 0x09;
    for (let k = 0; k < alt.length; k++) buf[at++] = alt[k]!;
    buf[at++] = 0x0a;
    this.used = at;
    this.added();
  }

  /** A whole packed line, `bytes[from..to)` ending with its LF (already validated: packed-lines.ts). */
  pushLine(bytes: Uint8Array, from: number, to: number): void {
    this.room(to - from);
    const buf = this.buf;
    // A short line (most keys) is copied by hand: a subarray per key was a tenth of a union's time.
    if (to - from <= 64) for (let k = from, at = this.used; k < to; k++, at++) buf[at] = bytes[k]!;
    else buf.set(bytes.subarray(from, to), this.used);
    this.used += to - from;
    this.added();
  }

  finish(): PackedKeyList {
    this.flush();
    return this.seal(this.chunks, this.counts);
  }

  private room(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.used + bytes));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }

  private added(): void {
    this.n += 1;
    this.inChunk += 1;
    if (this.inChunk === VARIANT_BATCH) this.flush();
  }

  private flush(): void {
    if (this.inChunk === 0) return;
    this.chunks.push(Buffer.from(this.buf.subarray(0, this.used)));
    this.counts.push(this.inChunk);
    this.used = 0;
    this.inChunk = 0;
  }
}
