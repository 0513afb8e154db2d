/**
 * `pseudonymizeFastqFiles`: one FASTQ, or a pair walked in step, rewritten
 * with keyed read-name pseudonyms (read-name.ts says what a name line
 * becomes); sequences and qualities byte-identical and in order, `+` lines
 * reduced to `+`. Streaming: memory is a few MiB per file whatever the size
 * (FASTQ files are tens of GB). Inputs plain, gzip or BGZF; output always
 * BGZF (gzip-compatible, `bgzip -t`/`samtools` read it), since an
 * uncompressed FASTQ is never what a site wants to keep.
 *
 * Outputs are atomic as a set: both are written to temporary names, and the
 * second is renamed only after the first was; if anything fails, neither
 * remains (a single R1 without its R2 would look complete).
 *
 * Pseudonyms are `Pseudonymizer(key, 'read').pseudonymOfBytes(base name)`
 * (spot-pseudonyms.ts), the BAM rewriter's QNAME pseudonym, so a read's FASTQ
 * pseudonym equals the QNAME pseudonym of its alignment under the same key.
 */
import { access, rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { NodeError } from '../../errors.js';
import { writeAtomically } from '../../io/atomic-output.js';
import { BgzfSink, defaultDeflateWorkers } from '../alignment/bgzf-sink.js';
import { openAlignment, withProgress, type AlignmentInput } from '../alignment/input.js';
import { PSEUDONYM_LENGTH } from '../pseudonym.js';
import type { SiteKey } from '../site-key.js';
import { FastqCursor, F_NAME, F_NAME_END, F_QUAL, F_QUAL_END, F_SEQ, F_SEQ_END } from './fastq-records.js';
import { parseReadName, writeNameSuffix, type ReadName } from './read-name.js';
import { SpotPseudonyms } from './spot-pseudonyms.js';
import { withOperatorPath } from '../../../proto/operator-path.js';

/** Options of pseudonymizeFastqFiles (the CLI's --in/--in2/--out/--out2). */
export interface PseudonymizeFastqOptions {
  input: string;
  input2?: string;
  output: string;
  output2?: string;
  key: SiteKey;
  /** Replace existing outputs (--force). */
  overwrite?: boolean;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

/** Counts only: never a name, a path or a sequence. */
export interface FastqReport {
  format: 'fastq';
  keyId: string;
  keyVersion: number;
  paired: boolean;
  /** Records per file (equal for a pair). */
  records: number;
  compression: string[];
  readNamesRewritten: number;
  /** Name lines whose comment was dropped (SRA original names, barcodes, tags). */
  commentsDropped: number;
  /** Casava 1.8 comments reduced to read:filtered:control (index barcode dropped). */
  casavaCommentsReduced: number;
}

/** Output buffer per file: 1 MiB batches amortize the sink's async call. */
const OUT_BATCH = 1 << 20;

/** One input file being read and its output being written. */
class Side {
  readonly cursor: FastqCursor;
  out = Buffer.allocUnsafe(OUT_BATCH);
  used = 0;

  constructor(readonly input: AlignmentInput, chunks: AsyncIterable<Buffer>, readonly sink: BgzfSink) {
    this.cursor = new FastqCursor(chunks, input.label);
  }

  /** Flush the output batch so that `n` more bytes fit (growing it for one huge record). */
  async makeRoom(n: number): Promise<void> {
    await this.flush();
    if (n > this.out.length) this.out = Buffer.allocUnsafe(n);
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.sink.write(this.out.subarray(0, this.used));
    this.used = 0;
  }

  /**
   * Append the current record: '@', the pseudonym (from `pseudonym`), the
   * name suffix, then sequence, bare '+' and quality. When the input's '+'
   * line is already bare (and LF-ended), sequence..quality is one copy.
   */
  writeRecord(pseudonym: Buffer, name: ReadName): void {
    const { buf, offsets } = this.cursor.batch;
    const o = this.cursor.at;
    const out = this.out;
    let p = this.used;
    out[p++] = 0x40;
    p += pseudonym.copy(out, p);
    p += writeNameSuffix(buf, name, out, p);
    out[p++] = 0x0a;
    const seq = offsets[o + F_SEQ]!;
    const seqEnd = offsets[o + F_SEQ_END]!;
    const qual = offsets[o + F_QUAL]!;
    const qualEnd = offsets[o + F_QUAL_END]!;
    if (qual - seqEnd === 3) {
      p += buf.copy(out, p, seq, qualEnd);
    } else {
      p += buf.copy(out, p, seq, seqEnd);
      out[p++] = 0x0a;
      out[p++] = 0x2b;
      out[p++] = 0x0a;
      p += buf.copy(out, p, qual, qualEnd);
    }
    out[p++] = 0x0a;
    this.used = p;
  }

  /** Upper bound of the output size of the current record (name line <= 1 + 26 + 2 + Casava fields). */
  outputSize(): number {
    const off = this.cursor.batch.offsets;
    const o = this.cursor.at;
    return 40 + (off[o + F_NAME_END]! - off[o + F_NAME]!) + 2 * (off[o + F_SEQ_END]! - off[o + F_SEQ]!);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

function checkPaths(o: PseudonymizeFastqOptions): void {
  const paired = o.input2 !== undefined || o.output2 !== undefined;
  if (paired && (o.input2 === undefined || o.output2 === undefined)) throw new NodeError('GENOFED_USAGE', '--in2 and --out2 go together (paired FASTQ)');
  const all = [o.input, o.input2, o.output, o.output2].filter((p): p is string => p !== undefined).map((p) => resolve(p));
  if (new Set(all).size !== all.length) throw new NodeError('GENOFED_USAGE', 'inputs and outputs must be four different files (two for single-end)');
}

/** Pseudonymize a single-end FASTQ or a pair into BGZF outputs (atomic, both or neither); counts only. */
export async function pseudonymizeFastqFiles(options: PseudonymizeFastqOptions): Promise<FastqReport> {
  checkPaths(options);
  const outputs = [options.output, options.output2].filter((p): p is string => p !== undefined);
  if (!options.overwrite) {
    for (const p of outputs) if (await exists(p)) throw withOperatorPath(new NodeError('GENOFED_OUTPUT_EXISTS', `${basename(p)}: output file already exists`), p);
  }
  const inputs: AlignmentInput[] = [];
  try {
    inputs.push(await openAlignment(options.input, options.signal));
    if (options.input2 !== undefined) inputs.push(await openAlignment(options.input2, options.signal));
  } catch (err) {
    for (const i of inputs) i.close();
    throw err;
  }
  const spots = new SpotPseudonyms(options.key);
  // Split the deflate workers between the outputs: on this 2-core machine one each.
  const workers = Math.max(1, Math.floor(defaultDeflateWorkers() / inputs.length));
  let report: FastqReport | undefined;
  try {
    const run = async (streams: Writable[]): Promise<void> => {
      const sides = inputs.map((input, i) => new Side(input, i === 0 ? withProgress(input, options.onProgress) : input.chunks, new BgzfSink(streams[i]!, workers)));
      try {
        report = await rewrite(sides, spots, options);
        for (const s of sides) await s.sink.end();
      } finally {
        for (const s of sides) await s.sink.close();
      }
      for (const s of streams) s.end();
    };
    if (outputs.length === 1) await writeAtomically(outputs[0]!, (out) => run([out]));
    else {
      // Nested: R2 is renamed inside R1's writer, R1 right after; if R1's rename fails, R2 is removed again.
      let secondRenamed = false;
      try {
        await writeAtomically(outputs[0]!, async (out1) => {
          await writeAtomically(outputs[1]!, (out2) => run([out1, out2]));
          secondRenamed = true;
        });
      } catch (err) {
        if (secondRenamed) await rm(outputs[1]!, { force: true });
        throw err;
      }
    }
  } finally {
    for (const i of inputs) i.close();
    spots.dispose();
  }
  return report!;
}

/** The rewrite loop: records of all sides in step; mates must name the same spot. */
async function rewrite(sides: Side[], spots: SpotPseudonyms, options: PseudonymizeFastqOptions): Promise<FastqReport> {
  let records = 0;
  let commentsDropped = 0;
  let casava = 0;
  const first = sides[0]!;
  const second = sides[1];
  const parsed: Array<ReadName | null> = [null, null];
  const pseudonym = Buffer.alloc(PSEUDONYM_LENGTH);
  for (;;) {
    options.signal?.throwIfAborted();
    const has1 = await first.cursor.fill();
    const has2 = second ? await second.cursor.fill() : has1;
    if (!has1 && !has2) break;
    if (has1 !== has2) {
      const longer = has1 ? first : second!;
      const shorter = has1 ? second! : first;
      throw new NodeError('GENOFED_INPUT_FORMAT', `${longer.input.label}: record ${records + 1} has no mate: ${shorter.input.label} ends after ${records} records`);
    }
    const n = second ? Math.min(first.cursor.available, second.cursor.available) : first.cursor.available;
    for (let k = 0; k < n; k++) {
      records++;
      for (let s = 0; s < sides.length; s++) {
        const side = sides[s]!;
        const o = side.cursor.at;
        const { buf, offsets } = side.cursor.batch;
        const nameEnd = offsets[o + F_NAME_END]!;
        const name = parseReadName(buf, offsets[o + F_NAME]!, nameEnd);
        if (!name) throw new NodeError('GENOFED_INPUT_FORMAT', `${side.input.label}: record ${records}: empty read name`);
        parsed[s] = name;
        if (name.casavaEnd > name.casavaStart) casava++;
        else if (nameEnd > name.baseEnd + (name.form === 'none' ? 0 : 2)) commentsDropped++;
      }
      const n1 = parsed[0]!;
      const b1 = first.cursor.batch.buf;
      if (second) {
        const n2 = parsed[1]!;
        const b2 = second.cursor.batch.buf;
        if (b1.compare(b2, n2.baseStart, n2.baseEnd, n1.baseStart, n1.baseEnd) !== 0) {
          throw new NodeError('GENOFED_INPUT_FORMAT', `${second.input.label}: record ${records}: read name does not match its mate in ${first.input.label}`);
        }
        if (n1.mate !== 0 && n2.mate !== 0 && n1.mate === n2.mate) {
          throw new NodeError('GENOFED_INPUT_FORMAT', `${second.input.label}: record ${records}: both mates say they are read ${n1.mate}`);
        }
      }
      spots.write(b1, n1.baseStart, n1.baseEnd, pseudonym, 0);
      for (let s = 0; s < sides.length; s++) {
        const side = sides[s]!;
        const need = side.outputSize();
        // Awaited only when the 1 MiB batch is full: an await per record cost ~10% of the loop.
        if (side.used + need > side.out.length) await side.makeRoom(need);
        side.writeRecord(pseudonym, parsed[s]!);
        side.cursor.next++;
      }
    }
  }
  for (const s of sides) await s.flush();
  return {
    format: 'fastq',
    keyId: options.key.keyId,
    keyVersion: options.key.version,
    paired: sides.length === 2,
    records,
    compression: sides.map((s) => s.input.compression),
    readNamesRewritten: records * sides.length,
    commentsDropped,
    casavaCommentsReduced: casava,
  };
}
