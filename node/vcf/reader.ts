/**
 * The VCF reader: header through @gmod/vcf plus our checks, records through
 * the byte scanner, yielded in batches. Parsers do no I/O: this takes the
 * decompressed byte stream (callers use `node/io/open-input.ts`).
 */
import { Readable } from 'node:stream';
import { readLines, type Line } from '../io/lines.js';
import { Diagnostics, type VcfWarning } from './vcf-errors.js';
import { headerLineRule, parseHeader, type ParsedHeader } from './header.js';
import { RecordChecker } from './record-fields.js';
import { OrderChecker } from './record-order.js';
import { GenotypeScanner } from './genotype-scanner.js';
import { readBcfStream } from './bcf-reader.js';
import type { VcfHeader, VcfVariant } from './types.js';

export interface ReadVcfOptions {
  /** File basename used in messages (never a path). */
  readonly label: string;
  readonly signal?: AbortSignal;
  /**
   * true (default): every specification violation is an error.
   * false: violations that do not change genotypes or alleles (INFO/FORMAT
   * values, header metadata hygiene, order, duplicates) become counted
   * warnings, as bcftools treats them.
   */
  readonly strict?: boolean;
}

export interface VcfReader {
  readonly header: VcfHeader;
  /** Batches of records; call once. */
  variants(): AsyncGenerator<VcfVariant[]>;
  /** Tolerated problems so far (complete once `variants()` is exhausted). */
  warnings(): VcfWarning[];
  /** Records read so far. */
  recordCount(): number;
}

/** Records per batch: a few thousand amortizes the async-generator hop per batch (one `await` per 4,096 records instead of per record). */
const BATCH_RECORDS = 4096;
/** ...or fewer when a batch already lists this many genotypes (bounds memory on 100k-sample files). */
const BATCH_GENOTYPES = 1 << 21;
const TAB = 9;

interface Tail {
  last: number;
  bytes: number;
}

async function* track(first: Buffer | undefined, rest: AsyncIterator<unknown>, tail: Tail): AsyncGenerator<Buffer> {
  const count = (buf: Buffer): void => {
    tail.bytes += buf.length;
    tail.last = buf[buf.length - 1]!;
  };
  if (first && first.length > 0) {
    count(first);
    yield first;
  }
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    const chunk = r.value as Buffer | string;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (buf.length === 0) continue;
    count(buf);
    yield buf;
  }
}

async function* chunks(first: Buffer, rest: AsyncIterator<unknown>): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    const chunk = r.value as Buffer | string;
    yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }
}

export async function readVcf(stream: Readable, options: ReadVcfOptions): Promise<VcfReader> {
  const diag = new Diagnostics(options.label, options.strict ?? true);
  const tail: Tail = { last: -1, bytes: 0 };
  const source = stream[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  const head = await source.next();
  let first: Buffer | undefined;
  if (!head.done) first = typeof head.value === 'string' ? Buffer.from(head.value) : (head.value as Buffer);
  if (first && first.length >= 4 && first[0] === 0x42 && first[1] === 0x43 && first[2] === 0x46) {
    if (first[3] !== 2) diag.fail('GENOFED_VCF_BCF_UNSUPPORTED', 0, 'BCF1 input: convert with `bcftools view -Ov`');
    return readBcf(chunks(first, source), diag, options.signal);
  }
  const lines = readLines(Readable.from(track(first, source, tail)), options.signal)[Symbol.asyncIterator]();
  const headerLines: string[] = [];
  for (;;) {
    const r = await lines.next();
    if (r.done) break;
    const text = r.value.bytes.toString('utf8');
    const chrom = headerLineRule(text, r.value.number, headerLines.length, diag);
    headerLines.push(text);
    if (chrom) break;
  }
  if (headerLines.length === 0) diag.fail('GENOFED_VCF_HEADER', 0, 'file is empty');
  if (!headerLines[headerLines.length - 1]!.startsWith('#CHROM')) diag.fail('GENOFED_VCF_HEADER', headerLines.length, 'the #CHROM header line is missing');
  const parsed = parseHeader(headerLines, diag);
  let count = 0;
  let started = false;

  async function* variants(): AsyncGenerator<VcfVariant[]> {
    if (started) throw new Error('variants() can be iterated once');
    started = true;
    const parser = new RecordParser(parsed, diag);
    let batch: VcfVariant[] = [];
    let genotypes = 0;
    let lastLine = headerLines.length;
    for (;;) {
      const r: IteratorResult<Line> = await lines.next();
      if (r.done) break;
      lastLine = r.value.number;
      const v = parser.parse(r.value.bytes, r.value.number);
      if (!v) continue;
      batch.push(v);
      count += 1;
      genotypes += v.sample.length;
      if (batch.length >= BATCH_RECORDS || genotypes >= BATCH_GENOTYPES) {
        options.signal?.throwIfAborted();
        yield batch;
        batch = [];
        genotypes = 0;
      }
    }
    if (tail.bytes > 0 && tail.last !== 10) diag.violation('GENOFED_VCF_RECORD', lastLine, 'the last line does not end with a newline');
    if (batch.length > 0) yield batch;
  }

  return { header: parsed.header, variants, warnings: () => diag.warnings(), recordCount: () => count };
}

async function readBcf(source: AsyncIterator<Buffer>, diag: Diagnostics, signal: AbortSignal | undefined): Promise<VcfReader> {
  const { parsed, records } = await readBcfStream(source, diag);
  let count = 0;
  let started = false;
  async function* variants(): AsyncGenerator<VcfVariant[]> {
    if (started) throw new Error('variants() can be iterated once');
    started = true;
    for await (const batch of records()) {
      signal?.throwIfAborted();
      count += batch.length;
      yield batch;
    }
  }
  return { header: parsed.header, variants, warnings: () => diag.warnings(), recordCount: () => count };
}

/** One data line to a `VcfVariant`, with every check. */
export class RecordParser {
  private readonly checker: RecordChecker;
  private readonly order: OrderChecker;
  private readonly scanner: GenotypeScanner;
  private readonly nSamples: number;
  private readonly tabs = new Int32Array(9);
  private lastChromBytes: Buffer = Buffer.alloc(0);
  private lastChrom = '';

  constructor(
    private readonly h: ParsedHeader,
    private readonly diag: Diagnostics,
  ) {
    this.checker = new RecordChecker(h, diag);
    this.order = new OrderChecker(diag);
    this.nSamples = h.header.samples.length;
    this.scanner = new GenotypeScanner(this.nSamples, h.version >= 44, diag);
  }

  parse(bytes: Buffer, line: number): VcfVariant | undefined {
    if (bytes.length === 0) {
      // The vcf-validator accepts a blank line at the end (passed_meta_pedigree).
      this.diag.warn('GENOFED_VCF_RECORD', line, 'empty line');
      return undefined;
    }
    if (bytes[0] === 35) {
      this.diag.violation('GENOFED_VCF_RECORD', line, 'comment line after the #CHROM line');
      return undefined;
    }
    const tabs = this.tabs;
    const n = this.nSamples;
    const expected = n > 0 ? n + 9 : 8;
    let p = 0;
    for (let i = 0; i < 7; i++) {
      const t = bytes.indexOf(TAB, p);
      if (t < 0) this.diag.fail('GENOFED_VCF_RECORD', line, `record has ${i + 1} columns, the header has ${expected}`);
      tabs[i] = t;
      p = t + 1;
    }
    const t7 = bytes.indexOf(TAB, p);
    let infoEnd = t7;
    if (n === 0) {
      if (t7 >= 0) this.diag.violation('GENOFED_VCF_RECORD', line, 'record has more columns than the header (8)');
      infoEnd = t7 < 0 ? bytes.length : t7;
    } else {
      if (t7 < 0) this.diag.fail('GENOFED_VCF_RECORD', line, `record has 8 columns, the header has ${expected}`);
      tabs[7] = t7;
      const t8 = bytes.indexOf(TAB, t7 + 1);
      if (t8 < 0) this.diag.fail('GENOFED_VCF_RECORD', line, `record has 9 columns, the header has ${expected}`);
      tabs[8] = t8;
    }
    const c = this.checker;
    const chrom = this.chromOf(bytes, tabs[0]!);
    c.chrom(chrom, line);
    const pos = c.pos(bytes.toString('latin1', tabs[0]! + 1, tabs[1]), line);
    const id = bytes.toString('utf8', tabs[1]! + 1, tabs[2]);
    c.id(id, line);
    const ref = bytes.toString('latin1', tabs[2]! + 1, tabs[3]);
    c.ref(ref, line);
    const alts = c.alts(bytes.toString('latin1', tabs[3]! + 1, tabs[4]), ref, line);
    c.qual(bytes.toString('latin1', tabs[4]! + 1, tabs[5]), line);
    c.filter(bytes.toString('latin1', tabs[5]! + 1, tabs[6]), line);
    const nAlleles = alts.length + 1;
    c.info(bytes.toString('utf8', tabs[6]! + 1, infoEnd), nAlleles, line);
    this.order.check(chrom, pos, ref, alts, line);
    if (this.nSamples === 0) {
      return { chrom, pos, id, ref, alts, line, sample: EMPTY_I32, offset: ZERO_OFFSET, alleles: EMPTY_I16 };
    }
    const plan = c.format(bytes.toString('latin1', tabs[7]! + 1, tabs[8]), line);
    const g = this.scanner.scan(bytes, tabs[8]! + 1, nAlleles, plan, line, this.diag.strict);
    return { chrom, pos, id, ref, alts, line, sample: g.sample, offset: g.offset, alleles: g.alleles };
  }

  /** CHROM as a string, reusing the previous one when the bytes are equal (sorted files repeat it). */
  private chromOf(bytes: Buffer, end: number): string {
    const prev = this.lastChromBytes;
    if (prev.length === end && bytes.compare(prev, 0, end, 0, end) === 0) return this.lastChrom;
    this.lastChromBytes = Buffer.from(bytes.subarray(0, end));
    this.lastChrom = this.lastChromBytes.toString('latin1');
    return this.lastChrom;
  }
}

const EMPTY_I32 = new Int32Array(0);
const ZERO_OFFSET = new Int32Array(1);
const EMPTY_I16 = new Int16Array(0);
