/**
 * Rewrite SAM text with the same rules as BAM (header allow-list, read
 * names, RG:Z/LB:Z, dropped tags); every other byte of a record line is
 * copied unchanged, including column order and tag order. Header-less SAM
 * (samtools' own examples/ex1.sam.gz) is accepted, as `samtools view` does.
 * Parser + transformer over lines; no path is opened here.
 */
import { NodeError } from '../../errors.js';
import type { BedRegions } from '../bed.js';
import type { Line } from '../../io/lines.js';
import type { ByteSink } from './bgzf-sink.js';
import { rewriteHeader } from './header-rules.js';
import { TAG_DROP, TAG_KEEP, TAG_RECOMPUTE, TAG_RG, type RecordRules } from './record-rules.js';
import { SAN_AS_IS, SAN_DROP, type RecordSanitizer } from './sanitize-records.js';
import type { RewriteCounts } from './bam-rewrite.js';

const TAB = 9;

/** Reference span of a SAM CIGAR string (M, D, N, =, X), as htslib's bam_cigar2rlen. */
export function samCigarRefLength(cigar: string): number {
  let len = 0;
  let n = 0;
  for (let i = 0; i < cigar.length; i++) {
    const c = cigar.charCodeAt(i);
    if (c >= 48 && c <= 57) n = n * 10 + (c - 48);
    else {
      if (c === 77 || c === 68 || c === 78 || c === 61 || c === 88) len += n;
      n = 0;
    }
  }
  return len;
}

/** Positions of the tabs of a line (up to the first 11 and all later). */
function tabs(line: Buffer): number[] {
  const t: number[] = [];
  let i = line.indexOf(TAB);
  while (i >= 0) {
    t.push(i);
    i = line.indexOf(TAB, i + 1);
  }
  return t;
}

/** --regions for a SAM line (same rule as bamRecordInRegions), from its tab positions. */
export function samRecordInRegions(line: Buffer, t: number[], regions: BedRegions): boolean {
  const rname = line.toString('latin1', t[1]! + 1, t[2]);
  const pos = Number(line.toString('latin1', t[2]! + 1, t[3]));
  if (rname === '*' || !(pos > 0)) return false;
  const flag = Number(line.toString('latin1', t[0]! + 1, t[1]));
  const cigar = line.toString('latin1', t[4]! + 1, t[5]);
  let end = pos;
  if ((flag & 4) === 0 && cigar !== '*') end = pos - 1 + Math.max(1, samCigarRefLength(cigar));
  return regions.overlaps(rname, pos - 1, end);
}

/** Rewrite SAM lines into `sink` (header, then records in input order). */
export async function rewriteSam(
  lines: AsyncIterable<Line>,
  sink: ByteSink,
  rules: RecordRules,
  label: string,
  options: { regions?: BedRegions; signal?: AbortSignal; sanitizer?: RecordSanitizer } = {},
): Promise<RewriteCounts> {
  const counts: RewriteCounts = { recordsIn: 0, recordsOut: 0, recordsOutsideRegions: 0, header: null };
  const { sanitizer } = options;
  const headerLines: string[] = [];
  let inHeader = true;
  const parts: Buffer[] = [];
  let partsSize = 0;
  const emit = async (b: Buffer): Promise<void> => {
    parts.push(b);
    partsSize += b.length;
    if (partsSize >= 1 << 20) {
      await sink.write(Buffer.concat(parts, partsSize));
      parts.length = 0;
      partsSize = 0;
    }
  };
  const NL = Buffer.from('\n');

  for await (const { bytes: line, number } of lines) {
    if (line.length === 0) continue;
    if (line[0] === 0x40) {
      if (!inHeader) throw new NodeError('GENOFED_SAM_FORMAT', `${label}: line ${number}: header line after the first alignment`);
      headerLines.push(line.toString('utf8'));
      continue;
    }
    if (inHeader) {
      inHeader = false;
      counts.header = rewriteHeader(headerLines.join('\n'), rules.mode, {
        readGroup: rules.headerReadGroup, sample: rules.sample, library: rules.library,
      });
      if (counts.header.text) await emit(Buffer.from(counts.header.text, 'utf8'));
    }
    options.signal?.throwIfAborted();
    counts.recordsIn++;
    const t = tabs(line);
    if (t.length < 10) throw new NodeError('GENOFED_SAM_FORMAT', `${label}: line ${number}: fewer than 11 columns`);
    if (options.regions && !samRecordInRegions(line, t, options.regions)) {
      counts.recordsOutsideRegions++;
      continue;
    }
    let san: ReturnType<RecordSanitizer['prepareSam']> = SAN_AS_IS;
    if (sanitizer) {
      const col = (i: number): string => line.toString('latin1', t[i - 1]! + 1, i < t.length ? t[i] : line.length);
      const flag = Number(col(1));
      const pos = Number(col(3));
      if (!Number.isInteger(flag) || !Number.isInteger(pos)) throw new NodeError('GENOFED_SAM_FORMAT', `${label}: line ${number}: FLAG or POS is not an integer`);
      if (sanitizer.needsContig(col(2), flag)) await sanitizer.useContig(col(2));
      san = sanitizer.prepareSam(flag, pos, col(5), col(9), col(10), `${label}: line ${number}`);
      if (san === SAN_DROP) continue;
    }
    counts.recordsOut++;
    const qnameEnd = t[0]!;
    const qname = line.subarray(0, qnameEnd);
    const name = qname.length === 1 && qname[0] === 0x2a ? '*' : rules.names.of(qname);
    const segs: Buffer[] = typeof san === 'object'
      ? [Buffer.from(name, 'latin1'), line.subarray(qnameEnd, t[4]! + 1), Buffer.from(san.cigar, 'latin1'), line.subarray(t[5]!, t[8]! + 1), Buffer.from(`${san.seq}\t${san.qual}`, 'latin1')]
      : [Buffer.from(name, 'latin1'), line.subarray(qnameEnd, t.length > 10 ? t[10] : line.length)];
    for (let i = 10; i < t.length; i++) {
      const fStart = t[i]! + 1;
      const fEnd = i + 1 < t.length ? t[i + 1]! : line.length;
      if (fEnd - fStart < 5 || line[fStart + 2] !== 0x3a || line[fStart + 4] !== 0x3a) {
        throw new NodeError('GENOFED_SAM_FORMAT', `${label}: line ${number}: optional field ${i - 9} is not TAG:TYPE:VALUE`);
      }
      const code = (line[fStart]! << 8) | line[fStart + 1]!;
      const act = rules.action[code]!;
      if (act === TAG_KEEP) segs.push(line.subarray(t[i]!, fEnd));
      else if (act === TAG_DROP) rules.countDrop(code);
      else if (act === TAG_RECOMPUTE) continue; // NM/MD: appended below for sanitized records
      else {
        if (line[fStart + 3] !== 0x5a) throw new NodeError('GENOFED_SAM_FORMAT', `${label}: line ${number}: RG or LB tag is not of type Z`);
        const value = line.toString('utf8', fStart + 5, fEnd);
        const pseudo = act === TAG_RG ? rules.readGroup(value) : rules.library(value);
        segs.push(Buffer.from(`\t${line.toString('latin1', fStart, fStart + 5)}${pseudo}`, 'latin1'));
      }
    }
    if (typeof san === 'object') segs.push(Buffer.from(san.tags, 'latin1'));
    segs.push(NL);
    await emit(Buffer.concat(segs));
  }
  if (inHeader) {
    counts.header = rewriteHeader(headerLines.join('\n'), rules.mode, {
      readGroup: rules.headerReadGroup, sample: rules.sample, library: rules.library,
    });
    if (counts.header.text) await emit(Buffer.from(counts.header.text, 'utf8'));
  }
  if (partsSize) await sink.write(Buffer.concat(parts, partsSize));
  return counts;
}
