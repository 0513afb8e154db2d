/**
 * The record cache in columns: every record of a whole-store genotype scan
 * kept as typed arrays (contig id, POS, file, ALT count, listed count,
 * genotype format, offsets into one byte pool for the sample and genotype
 * BLOBs) and interned REF / ALT strings. Replaying it builds each record's
 * small objects on the fly (young, short-lived garbage). The first version
 * kept ~6 objects and 2 ArrayBuffers per record alive: at 1M records every
 * major GC walked them, which made a node's encryption of a cohort answer
 * ~1.8x slower than after an all-sample query (profiled).
 */
import type { StoredRecord } from './aggregate.js';
import type { OnRecord } from './record-scan.js';
import { grown, lowerBound, StringTable } from './columns.js';

export class RecordCache {
  private n = 0;
  private cap = 1 << 12;
  private contig = new Int32Array(this.cap);
  private pos = new Int32Array(this.cap);
  private ints = new Int32Array(this.cap * 4); // fileId, nAlts, listed, format
  private strs = new Uint32Array(this.cap * 2); // ref, alts (string table indices)
  private offs = new Uint32Array(this.cap * 4); // samples start, samples end, gt start, gt end
  private pool: Uint8Array;
  private poolUsed = 0;
  private readonly table = new StringTable();
  /** ALT lists by their string index (records with the same ALT column share one read-only array). */
  private readonly altLists: (string[] | undefined)[] = [];
  private sorted = true;
  private readonly altIds = new WeakMap<string[], number>();

  /** `bytes`: the BLOB bytes expected (the catalog's genotypeBytes), so the pool is allocated once. */
  constructor(bytes = 1 << 16) {
    this.pool = new Uint8Array(bytes);
  }

  get length(): number {
    return this.n;
  }

  /** In (contig id, POS) order: regions can be found by binary search. */
  get inOrder(): boolean {
    return this.sorted;
  }

  private grow(): void {
    this.cap *= 2;
    this.contig = grown(this.contig, this.cap);
    this.pos = grown(this.pos, this.cap);
    this.ints = grown(this.ints, this.cap * 4);
    this.strs = grown(this.strs, this.cap * 2);
    this.offs = grown(this.offs, this.cap * 4);
  }

  /** Copy `bytes` into the pool; returns where they start (they end at poolUsed). */
  private store(bytes: Uint8Array): number {
    const start = this.poolUsed;
    const n = bytes.length;
    if (start + n > this.pool.length) this.pool = grown(this.pool, Math.max(this.pool.length * 2, start + n));
    // TypedArray#set costs more than a loop for a few bytes (empty sample lists of dense records, short sparse ones).
    if (n > 32) this.pool.set(bytes, start);
    else for (let k = 0; k < n; k++) this.pool[start + k] = bytes[k]!;
    this.poolUsed = start + n;
    return start;
  }

  /**
   * Room for `total` more BLOB bytes at the end of the pool, for a scan
   * chunk's columns (chunk-columns.ts BlobTarget): the caller writes them
   * there, then adds the records with `addAt`. The pool may be replaced by
   * a larger one: write into the returned `bytes`.
   */
  readonly reserve = (total: number): { bytes: Uint8Array; at: number } => {
    const at = this.poolUsed;
    if (at + total > this.pool.length) this.pool = grown(this.pool, Math.max(this.pool.length * 2, at + total));
    this.poolUsed = at + total;
    return { bytes: this.pool, at };
  };

  /** Append one record (an OnRecord for the whole-store scan); ALT strings as joined by ','. */
  readonly add: OnRecord = (contig, pos, ref, alts, rec) => {
    const s0 = this.store(rec.samples);
    const g0 = this.store(rec.gt);
    this.addAt(contig, pos, ref, alts, rec, s0, g0);
  };

  /** Append one record whose sample and genotype BLOBs are already in the pool at `samplesAt` and `gtAt` (reserve). */
  addAt(contig: number, pos: number, ref: string, alts: string[], rec: StoredRecord, samplesAt: number, gtAt: number): void {
    const i = this.n;
    if (i === this.cap) this.grow();
    if (i > 0 && (contig < this.contig[i - 1]! || (contig === this.contig[i - 1]! && pos < this.pos[i - 1]!))) this.sorted = false;
    this.contig[i] = contig;
    this.pos[i] = pos;
    this.ints[4 * i] = rec.fileId;
    this.ints[4 * i + 1] = rec.nAlts;
    this.ints[4 * i + 2] = rec.listed;
    this.ints[4 * i + 3] = rec.format;
    this.strs[2 * i] = this.table.intern(ref);
    // A whole-store scan shares one ALT list per distinct column value: joined and interned once.
    let a = this.altIds.get(alts);
    if (a === undefined) {
      a = this.table.intern(alts.join(','));
      this.altIds.set(alts, a);
      this.altLists[a] ??= alts.slice();
    }
    this.strs[2 * i + 1] = a;
    this.offs[4 * i] = samplesAt;
    this.offs[4 * i + 1] = samplesAt + rec.samples.length;
    this.offs[4 * i + 2] = gtAt;
    this.offs[4 * i + 3] = gtAt + rec.gt.length;
    this.n = i + 1;
  }

  /** Give back the arrays' unused room once the scan is complete. */
  seal(): void {
    // The pool was sized from the catalog's BLOB bytes (which count records without ALTs too): trimmed only when much is unused.
    if (this.pool.length - this.poolUsed > this.pool.length / 8) this.pool = this.pool.slice(0, this.poolUsed);
  }

  /** Replay records [from, to) to `each`. */
  replay(each: OnRecord, from = 0, to = this.n): void {
    const { contig, pos, ints, strs, offs, pool, altLists } = this;
    const strings = this.table.strings;
    for (let i = from; i < to; i++) {
      const rec: StoredRecord = {
        fileId: ints[4 * i]!, nAlts: ints[4 * i + 1]!, listed: ints[4 * i + 2]!, format: ints[4 * i + 3]!,
        samples: pool.subarray(offs[4 * i]!, offs[4 * i + 1]!), gt: pool.subarray(offs[4 * i + 2]!, offs[4 * i + 3]!), totals: undefined,
      };
      each(contig[i]!, pos[i]!, strings[strs[2 * i]!]!, altLists[strs[2 * i + 1]!]!, rec);
    }
  }

  /** First record at or after (contig id, POS); meaningful when inOrder. */
  lowerBound(id: number, p: number): number {
    return lowerBound(this.contig, this.pos, this.n, id, p);
  }

  /** Records [from, ...) on contig `id` up to POS `end`: the index past the last. */
  endOf(id: number, end: number, from: number): number {
    let i = from;
    while (i < this.n && this.contig[i] === id && this.pos[i]! <= end) i++;
    return i;
  }
}
