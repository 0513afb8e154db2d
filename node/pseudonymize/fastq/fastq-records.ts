/**
 * FASTQ records from decompressed chunks (parser only: chunks in, records
 * out, no I/O). Four-line records (`@name`, sequence, `+[name]`, quality),
 * which is what Illumina, SRA/ENA and `samtools fastq` write; multi-line
 * FASTQ (Sanger 2010, line-wrapped sequences) is refused with the record
 * number, as is a record whose quality is not as long as its sequence: both
 * would otherwise pair a sequence with the wrong quality. CRLF line ends are
 * accepted and written as LF.
 *
 * A batch holds the records complete in the chunks pushed so far, as offsets
 * into one buffer (no object per record: a 300 MB FASTQ has ~1.5 million
 * records). Errors name the file's basename and the record number, never a
 * name or a sequence.
 */
import { NodeError } from '../../errors.js';

/** Offsets of one record's lines in `FastqBatch.buf`, line ends excluded. */
export const F_NAME = 0;
export const F_NAME_END = 1;
export const F_SEQ = 2;
export const F_SEQ_END = 3;
export const F_QUAL = 4;
export const F_QUAL_END = 5;
/** Int32 slots per record. */
export const FIELDS = 6;

/** Complete records of a buffer: record i's offsets are at `offsets[i * FIELDS + F_*]`. */
export interface FastqBatch {
  readonly buf: Buffer;
  readonly count: number;
  readonly offsets: Int32Array;
  /** 1-based number of the batch's first record in the file. */
  readonly firstRecord: number;
}

const NL = 0x0a;
const CR = 0x0d;

/** Splits chunks into batches of whole records; `end()` checks that nothing is left over. */
export class FastqParser {
  private carry: Buffer | null = null;
  private records = 0;
  private offsets = new Int32Array(FIELDS * 4096);

  /** `label` is the file's basename, for messages. */
  constructor(private readonly label: string) {}

  /** Number of complete records parsed so far. */
  get recordCount(): number {
    return this.records;
  }

  /** Add a chunk; returns the records it completes (possibly none). */
  push(chunk: Buffer): FastqBatch {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const first = this.records + 1;
    let count = 0;
    let at = 0;
    const len = buf.length;
    for (;;) {
      // Four line ends are needed for a record; find them or stop.
      const n1 = buf.indexOf(NL, at);
      if (n1 < 0) break;
      const n2 = buf.indexOf(NL, n1 + 1);
      if (n2 < 0) break;
      const n3 = buf.indexOf(NL, n2 + 1);
      if (n3 < 0) break;
      const n4 = buf.indexOf(NL, n3 + 1);
      if (n4 < 0) break;
      this.record(buf, at, n1, n2, n3, n4, first + count, count);
      count++;
      at = n4 + 1;
    }
    if (at < len) this.carry = Buffer.from(buf.subarray(at));
    this.records += count;
    return { buf, count, offsets: this.offsets, firstRecord: first };
  }

  /** The input ended: a partial record left over is a truncated file. */
  end(): FastqBatch {
    const rest = this.carry;
    this.carry = null;
    if (!rest || rest.length === 0) return { buf: Buffer.alloc(0), count: 0, offsets: this.offsets, firstRecord: this.records + 1 };
    // The last record may lack only its final line end.
    const lines = rest.toString('latin1').split('\n').length;
    if (lines === 4 && rest[rest.length - 1] !== NL) return this.push(Buffer.from('\n'));
    // Blank lines at the very end are tolerated (editors add them).
    if (rest.every((c) => c === NL || c === CR)) return { buf: Buffer.alloc(0), count: 0, offsets: this.offsets, firstRecord: this.records + 1 };
    throw new NodeError('GENOFED_INPUT_TRUNCATED', `${this.label}: record ${this.records + 1} is incomplete (file truncated)`);
  }

  private record(buf: Buffer, start: number, n1: number, n2: number, n3: number, n4: number, number: number, i: number): void {
    const endOf = (nl: number, from: number): number => (nl > from && buf[nl - 1] === CR ? nl - 1 : nl);
    if (buf[start] !== 0x40) {
      const blank = n1 === start || (n1 === start + 1 && buf[start] === CR);
      throw new NodeError('GENOFED_INPUT_FORMAT', `${this.label}: record ${number} does not start with '@'${blank ? ' (blank line)' : ''}`);
    }
    if (buf[n2 + 1] !== 0x2b) {
      throw new NodeError('GENOFED_INPUT_FORMAT', `${this.label}: record ${number}: third line does not start with '+' (multi-line FASTQ is not supported)`);
    }
    const seqEnd = endOf(n2, n1 + 1);
    const qualEnd = endOf(n4, n3 + 1);
    if (seqEnd - (n1 + 1) !== qualEnd - (n3 + 1)) {
      throw new NodeError('GENOFED_INPUT_FORMAT', `${this.label}: record ${number}: quality length differs from sequence length`);
    }
    if ((i + 1) * FIELDS > this.offsets.length) {
      const grown = new Int32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    const o = i * FIELDS;
    this.offsets[o + F_NAME] = start;
    this.offsets[o + F_NAME_END] = endOf(n1, start);
    this.offsets[o + F_SEQ] = n1 + 1;
    this.offsets[o + F_SEQ_END] = seqEnd;
    this.offsets[o + F_QUAL] = n3 + 1;
    this.offsets[o + F_QUAL_END] = qualEnd;
  }
}

/**
 * Pulls chunks from an async iterable into a parser, one batch at a time,
 * so several files can be walked in step (mates, original and output). A
 * batch stays valid until `fill()` is called after it was used up. Takes
 * chunks, never a path.
 */
export class FastqCursor {
  readonly parser: FastqParser;
  private readonly iter: AsyncIterator<Buffer>;
  batch: FastqBatch = { buf: Buffer.alloc(0), count: 0, offsets: new Int32Array(0), firstRecord: 1 };
  /** Index in `batch` of the current record. */
  next = 0;
  private ended = false;

  constructor(chunks: AsyncIterable<Buffer>, readonly label: string) {
    this.parser = new FastqParser(label);
    this.iter = chunks[Symbol.asyncIterator]();
  }

  /** Make at least one record available; false at the end of the file. */
  async fill(): Promise<boolean> {
    while (this.next >= this.batch.count) {
      if (this.ended) return false;
      const r = await this.iter.next();
      if (r.done) {
        this.ended = true;
        this.batch = this.parser.end();
      } else {
        this.batch = this.parser.push(r.value);
      }
      this.next = 0;
    }
    return true;
  }

  /** Records left in the current batch. */
  get available(): number {
    return this.batch.count - this.next;
  }

  /** Offset of the current record's fields in `batch.offsets`. */
  get at(): number {
    return this.next * FIELDS;
  }
}
