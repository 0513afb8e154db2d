/**
 * BCF2 (binary VCF, htslib's BCF 2.1/2.2) records as the same sparse
 * `VcfVariant` the text reader yields. The stream is already BGZF-decompressed
 * (`openInput`); layout per the VCF spec section 6 ("BCF specification"):
 * magic "BCF\2\x01|\x02", header text, then per record the shared block
 * (CHROM, POS, rlen, QUAL, ID, alleles, FILTER, INFO) and the per-sample
 * block (FORMAT fields as typed vectors, one per key, all samples).
 *
 * Only what counting needs is decoded (CHROM, POS, ID, alleles, GT); INFO,
 * FILTER and other FORMAT fields are skipped by their typed lengths. The
 * header text goes through the same validation as a text VCF header.
 * `VcfVariant.line` holds the 1-based record number for BCF input.
 */
import type { Diagnostics } from './vcf-errors.js';
import { parseHeader, type ParsedHeader } from './header.js';
import type { VcfVariant } from './types.js';

/** Typed-value type codes (BCF spec table). */
const SIZE: Record<number, number> = { 0: 0, 1: 1, 2: 2, 3: 4, 5: 4, 7: 1 };

/** Byte queue over an async chunk source, with little-endian reads. */
class Bytes {
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Ensure n bytes are buffered; false if the stream ended first (at a boundary when 0 were left). */
  async need(n: number): Promise<boolean> {
    while (this.buf.length - this.off < n) {
      const r = await this.source.next();
      if (r.done) return false;
      this.buf = this.off < this.buf.length ? Buffer.concat([this.buf.subarray(this.off), r.value]) : r.value;
      this.off = 0;
    }
    return true;
  }

  left(): number {
    return this.buf.length - this.off;
  }

  take(n: number): Buffer {
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
}

interface Cursor {
  b: Buffer;
  p: number;
}

function typed(c: Cursor): { type: number; count: number } {
  const d = c.b[c.p++]!;
  const type = d & 0x0f;
  let count = d >> 4;
  if (count === 15) count = typedInt(c);
  return { type, count };
}

function readInt(c: Cursor, type: number): number {
  let v: number;
  if (type === 1) v = c.b.readInt8(c.p);
  else if (type === 2) v = c.b.readInt16LE(c.p);
  else v = c.b.readInt32LE(c.p);
  c.p += SIZE[type]!;
  return v;
}

function typedInt(c: Cursor): number {
  const { type, count } = typed(c);
  let v = 0;
  for (let i = 0; i < count; i++) {
    const x = readInt(c, type);
    if (i === 0) v = x;
  }
  return v;
}

function typedString(c: Cursor): string {
  const { type, count } = typed(c);
  const n = count * (SIZE[type] ?? 1);
  let end = c.p + n;
  const s = c.b.toString('latin1', c.p, end);
  c.p = end;
  end = s.indexOf('\0');
  return end >= 0 ? s.slice(0, end) : s;
}

function skipTyped(c: Cursor): void {
  const { type, count } = typed(c);
  c.p += count * (SIZE[type] ?? 0);
}

/** htslib dictionaries: strings (FILTER/INFO/FORMAT ids, PASS first) and contigs, in header order or by IDX=. */
function dictionaries(lines: readonly string[]): { strings: string[]; contigs: string[] } {
  const strings: string[] = ['PASS'];
  const contigs: string[] = [];
  for (const line of lines) {
    const m = /^##(FILTER|INFO|FORMAT|contig)=<ID=([^,>]+)(.*)>$/.exec(line);
    if (!m) continue;
    const id = m[2]!;
    const idx = /[<,]IDX=(\d+)/.exec(`,${m[3]!}`)?.[1];
    const dict = m[1] === 'contig' ? contigs : strings;
    if (idx !== undefined) dict[Number(idx)] = id;
    else if (!dict.includes(id)) dict.push(id);
  }
  return { strings, contigs };
}

/** Read a BCF stream whose first chunks are `source`. */
export async function readBcfStream(source: AsyncIterator<Buffer>, diag: Diagnostics): Promise<{ parsed: ParsedHeader; records: () => AsyncGenerator<VcfVariant[]> }> {
  const bytes = new Bytes(source);
  if (!(await bytes.need(9))) diag.fail('GENOFED_VCF_HEADER', 0, 'BCF header is truncated');
  const magic = bytes.take(5);
  if (magic.toString('latin1', 0, 3) !== 'BCF' || magic[3] !== 2) diag.fail('GENOFED_VCF_HEADER', 0, 'not a BCF2 file');
  const lText = bytes.take(4).readUInt32LE(0);
  if (!(await bytes.need(lText))) diag.fail('GENOFED_VCF_HEADER', 0, 'BCF header is truncated');
  const text = bytes.take(lText).toString('utf8').replace(/\0+$/, '');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const parsed = parseHeader(lines, diag);
  const dict = dictionaries(lines);
  const gtKey = dict.strings.indexOf('GT');
  const nSamples = parsed.header.samples.length;

  async function* records(): AsyncGenerator<VcfVariant[]> {
    let batch: VcfVariant[] = [];
    let n = 0;
    let sample = new Int32Array(Math.max(1, nSamples));
    let offset = new Int32Array(nSamples + 1);
    let alleles = new Int16Array(Math.max(16, nSamples * 2));
    for (;;) {
      if (!(await bytes.need(8))) {
        if (bytes.left() === 0) break;
        diag.fail('GENOFED_VCF_RECORD', n + 1, 'BCF record is truncated');
      }
      n += 1;
      const head = bytes.take(8);
      const lShared = head.readUInt32LE(0);
      const lIndiv = head.readUInt32LE(4);
      if (!(await bytes.need(lShared + lIndiv))) diag.fail('GENOFED_VCF_RECORD', n, 'BCF record is truncated');
      const body = Buffer.from(bytes.take(lShared + lIndiv));
      const c: Cursor = { b: body, p: 0 };
      try {
        const chromIdx = body.readInt32LE(0);
        const pos = body.readInt32LE(4) + 1;
        const nAlleleInfo = body.readUInt32LE(16);
        const nFmtSample = body.readUInt32LE(20);
        const nInfo = nAlleleInfo & 0xffff;
        const nAllele = nAlleleInfo >>> 16;
        const nSample = nFmtSample & 0xffffff;
        const nFmt = nFmtSample >>> 24;
        const chrom = dict.contigs[chromIdx];
        if (chrom === undefined) diag.fail('GENOFED_VCF_RECORD', n, 'BCF record names a contig not in the header dictionary');
        if (nSample !== nSamples) diag.fail('GENOFED_VCF_RECORD', n, `BCF record has ${nSample} samples, the header has ${nSamples}`);
        c.p = 24;
        const id = typedString(c) || '.';
        const all: string[] = [];
        for (let i = 0; i < nAllele; i++) all.push(typedString(c));
        const ref = all[0] ?? 'N';
        const alts = all.slice(1).filter((a) => a !== '.' && a !== '');
        skipTyped(c); // FILTER
        for (let i = 0; i < nInfo; i++) {
          typedInt(c);
          skipTyped(c);
        }
        c.p = lShared;
        let k = 0;
        let na = 0;
        let hasGt = false;
        for (let f = 0; f < nFmt; f++) {
          const key = typedInt(c);
          const { type, count } = typed(c);
          const size = SIZE[type] ?? 0;
          if (key !== gtKey || gtKey < 0) {
            c.p += nSample * count * size;
            continue;
          }
          hasGt = true;
          if (alleles.length < nSample * count) alleles = new Int16Array(nSample * count);
          const end8 = type === 1 ? -127 : type === 2 ? -32767 : -2147483647;
          for (let s = 0; s < nSample; s++) {
            let ploidy = 0;
            for (let j = 0; j < count; j++) {
              const v = readInt(c, type);
              if (v === end8) {
                c.p += (count - j - 1) * size;
                break;
              }
              const a = v === 0 || v === end8 - 1 ? -1 : (v >> 1) - 1;
              if (a >= nAllele) diag.fail('GENOFED_VCF_GENOTYPE', n, `sample column ${s + 1}: GT allele index out of range (the record has ${nAllele} alleles)`);
              alleles[na + ploidy] = a;
              ploidy += 1;
            }
            if (ploidy === 1 && alleles[na] === -1) ploidy = 0;
            if (ploidy === 2 && alleles[na] === 0 && alleles[na + 1] === 0) continue;
            sample[k] = s;
            offset[k] = na;
            k += 1;
            na += ploidy;
          }
        }
        if (!hasGt) {
          for (let s = 0; s < nSample; s++) {
            sample[k] = s;
            offset[k] = 0;
            k += 1;
          }
        }
        offset[k] = na;
        batch.push({ chrom: chrom!, pos, id, ref, alts, line: n, sample: sample.slice(0, k), offset: offset.slice(0, k + 1), alleles: alleles.slice(0, na) });
      } catch (cause) {
        if ((cause as { code?: string }).code?.startsWith('GENOFED_')) throw cause;
        diag.fail('GENOFED_VCF_RECORD', n, 'BCF record is malformed', cause);
      }
      if (batch.length >= 4096) {
        yield batch;
        batch = [];
      }
      if (sample.length < nSamples) sample = new Int32Array(nSamples);
      if (offset.length < nSamples + 1) offset = new Int32Array(nSamples + 1);
    }
    if (batch.length > 0) yield batch;
  }
  return { parsed, records };
}

