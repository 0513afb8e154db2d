/**
 * One reader for SAM and BAM that yields the header text and then each
 * record in SAM-text form (columns as strings, tags as TAG:TYPE:VALUE), so
 * verification and `genofed scan` treat both formats alike. Slower than the
 * rewriters (one object per record), which is fine for checking.
 */
import { NodeError } from '../../errors.js';
import { readLines } from '../../io/lines.js';
import { Readable } from 'node:stream';
import { auxStart, auxValueLength, CORE, parseBamHeader, type BamReference } from './bam-codec.js';
import { openAlignment } from './input.js';
import type { AlignmentFormat } from './types.js';

/** A record in SAM-text form: what verification digests and scan searches, whatever the input format. */
export interface AlignmentRecord {
  qname: string;
  flag: number;
  ref: string;
  pos: number;
  mapq: number;
  cigar: string;
  mateRef: string;
  matePos: number;
  tlen: number;
  seq: string;
  qual: string;
  /** 'RG:Z:value' strings in file order; B arrays as 'ZZ:B:c,1,2'. */
  tags: string[];
}

/** The header comes first (possibly empty text), then records numbered from 1. */
export type AlignmentItem = { kind: 'header'; text: string } | { kind: 'record'; record: AlignmentRecord; number: number };

const SEQ_CODES = '=ACMGRSVTWYHKDBN';
const CIGAR_OPS = 'MIDNSHP=X';

function renderAux(b: Buffer, a: number, vlen: number): string {
  const tag = b.toString('latin1', a, a + 2);
  const type = String.fromCharCode(b[a + 2]!);
  const v = a + 3;
  switch (type) {
    case 'A': return `${tag}:A:${String.fromCharCode(b[v]!)}`;
    case 'c': return `${tag}:i:${b.readInt8(v)}`;
    case 'C': return `${tag}:i:${b[v]!}`;
    case 's': return `${tag}:i:${b.readInt16LE(v)}`;
    case 'S': return `${tag}:i:${b.readUInt16LE(v)}`;
    case 'i': return `${tag}:i:${b.readInt32LE(v)}`;
    case 'I': return `${tag}:i:${b.readUInt32LE(v)}`;
    case 'f': return `${tag}:f:${formatFloat(b.readFloatLE(v))}`;
    case 'Z': return `${tag}:Z:${b.toString('utf8', v, v + vlen - 1)}`;
    case 'H': return `${tag}:H:${b.toString('latin1', v, v + vlen - 1)}`;
    default: { // B
      const sub = String.fromCharCode(b[v]!);
      const n = b.readUInt32LE(v + 1);
      const vals: string[] = [];
      let p = v + 5;
      for (let i = 0; i < n; i++) {
        switch (sub) {
          case 'c': vals.push(String(b.readInt8(p))); p += 1; break;
          case 'C': vals.push(String(b[p]!)); p += 1; break;
          case 's': vals.push(String(b.readInt16LE(p))); p += 2; break;
          case 'S': vals.push(String(b.readUInt16LE(p))); p += 2; break;
          case 'i': vals.push(String(b.readInt32LE(p))); p += 4; break;
          case 'I': vals.push(String(b.readUInt32LE(p))); p += 4; break;
          default: vals.push(formatFloat(b.readFloatLE(p))); p += 4;
        }
      }
      return `${tag}:B:${sub}${vals.length ? ',' : ''}${vals.join(',')}`;
    }
  }
}

/** Floats as htslib prints them (%g: 6 significant digits). */
function formatFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential(5).split('e');
    const mm = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
    const en = Number(e);
    return `${mm}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  const s = x.toFixed(Math.max(0, 5 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Decode one BAM record (view without block_size) into SAM-text form. */
export function decodeBamRecord(b: Buffer, base: number, blockSize: number, refs: readonly BamReference[], label: string, number: number): AlignmentRecord {
  const bad = (): NodeError => new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${number} is malformed`);
  const aux = auxStart(b, base, blockSize);
  if (aux < 0) throw bad();
  const refId = b.readInt32LE(base + CORE.refId);
  const nextRefId = b.readInt32LE(base + CORE.nextRefId);
  if (refId < -1 || refId >= refs.length || nextRefId < -1 || nextRefId >= refs.length) throw bad();
  const lName = b[base + CORE.lReadName]!;
  const nCigar = b.readUInt16LE(base + CORE.nCigarOp);
  const lSeq = b.readInt32LE(base + CORE.lSeq);
  let p = base + 32 + lName;
  let cigar = '';
  for (let i = 0; i < nCigar; i++, p += 4) {
    const v = b.readUInt32LE(p);
    cigar += `${v >>> 4}${CIGAR_OPS[v & 0xf] ?? '?'}`;
  }
  let seq = '';
  for (let i = 0; i < lSeq; i++) seq += SEQ_CODES[(b[p + (i >> 1)]! >> (i & 1 ? 0 : 4)) & 0xf];
  p += (lSeq + 1) >> 1;
  let qual = '';
  if (lSeq === 0 || b[p] === 0xff) qual = '*';
  else for (let i = 0; i < lSeq; i++) qual += String.fromCharCode(b[p + i]! + 33);
  p += lSeq;
  const tags: string[] = [];
  const end = base + blockSize;
  while (p < end) {
    const vlen = auxValueLength(b, p, end);
    if (vlen < 0 || p + 3 + vlen > end) throw bad();
    tags.push(renderAux(b, p, vlen));
    p += 3 + vlen;
  }
  const ref = refId < 0 ? '*' : refs[refId]!.name;
  return {
    qname: b.toString('latin1', base + 32, base + 32 + lName - 1),
    flag: b.readUInt16LE(base + CORE.flag),
    ref,
    pos: b.readInt32LE(base + CORE.pos) + 1,
    mapq: b[base + CORE.mapq]!,
    cigar: cigar || '*',
    mateRef: nextRefId < 0 ? '*' : nextRefId === refId ? '=' : refs[nextRefId]!.name,
    matePos: b.readInt32LE(base + CORE.nextPos) + 1,
    tlen: b.readInt32LE(base + CORE.tlen),
    seq: seq || '*',
    qual,
    tags,
  };
}

/** The record as one SAM line. */
export function samLine(r: AlignmentRecord): string {
  const cols = [r.qname, r.flag, r.ref, r.pos, r.mapq, r.cigar, r.mateRef, r.matePos, r.tlen, r.seq, r.qual, ...r.tags];
  return cols.join('\t');
}

async function* bamItems(chunks: AsyncIterable<Buffer>, label: string, signal?: AbortSignal): AsyncGenerator<AlignmentItem> {
  let carry: Buffer = Buffer.alloc(0);
  let refs: readonly BamReference[] | null = null;
  let number = 0;
  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    const buf: Buffer = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let at = 0;
    if (!refs) {
      const parsed = parseBamHeader(buf, label);
      if (!parsed) { carry = buf; continue; }
      refs = parsed.header.refs;
      yield { kind: 'header', text: parsed.header.text };
      at = parsed.size;
    }
    while (buf.length - at >= 4) {
      const blockSize = buf.readInt32LE(at);
      if (blockSize < 32) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${number + 1} has an invalid block size`);
      if (buf.length - at - 4 < blockSize) break;
      number++;
      yield { kind: 'record', record: decodeBamRecord(buf, at + 4, blockSize, refs, label, number), number };
      at += 4 + blockSize;
    }
    carry = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
  }
  if (!refs) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: BAM header is incomplete`);
  if (carry.length) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${number + 1} is cut short at the end of the data`);
}

/** Parse one SAM record line (no I/O). */
export function parseSamLine(line: string, label: string, number: number): AlignmentRecord {
  const f = line.split('\t');
  if (f.length < 11) throw new NodeError('GENOFED_SAM_FORMAT', `${label}: line ${number}: fewer than 11 columns`);
  const int = (s: string, col: string): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || s === '') throw new NodeError('GENOFED_SAM_FORMAT', `${label}: line ${number}: ${col} is not an integer`);
    return n;
  };
  return {
    qname: f[0]!, flag: int(f[1]!, 'FLAG'), ref: f[2]!, pos: int(f[3]!, 'POS'), mapq: int(f[4]!, 'MAPQ'), cigar: f[5]!,
    mateRef: f[6]!, matePos: int(f[7]!, 'PNEXT'), tlen: int(f[8]!, 'TLEN'), seq: f[9]!, qual: f[10]!, tags: f.slice(11),
  };
}

async function* samItems(chunks: AsyncIterable<Buffer>, label: string, signal?: AbortSignal): AsyncGenerator<AlignmentItem> {
  const header: string[] = [];
  let inHeader = true;
  let number = 0;
  for await (const { bytes, number: lineNo } of readLines(Readable.from(chunks, { objectMode: false }), signal)) {
    if (bytes.length === 0) continue;
    if (bytes[0] === 0x40 && inHeader) { header.push(bytes.toString('utf8')); continue; }
    if (bytes[0] === 0x40) throw new NodeError('GENOFED_SAM_FORMAT', `${label}: line ${lineNo}: header line after the first alignment`);
    if (inHeader) { inHeader = false; yield { kind: 'header', text: header.length ? `${header.join('\n')}\n` : '' }; }
    number++;
    yield { kind: 'record', record: parseSamLine(bytes.toString('utf8'), label, lineNo), number };
  }
  if (inHeader) yield { kind: 'header', text: header.length ? `${header.join('\n')}\n` : '' };
}

/** Header first, then records; format detected from content when not given. */
export async function* readAlignment(path: string, format?: AlignmentFormat, signal?: AbortSignal): AsyncGenerator<AlignmentItem> {
  const input = await openAlignment(path, signal);
  try {
    if (format === 'bam' && input.compression !== 'bgzf') throw new NodeError('GENOFED_BAM_FORMAT', `${input.label}: not a BAM file (not BGZF-compressed)`);
    const it = input.chunks[Symbol.asyncIterator]();
    const first = await it.next();
    const head = first.done ? Buffer.alloc(0) : first.value;
    const isBam = head.length >= 4 && head.toString('latin1', 0, 4) === 'BAM\x01';
    if (format === 'bam' && !isBam) throw new NodeError('GENOFED_BAM_FORMAT', `${input.label}: not a BAM file (bad magic)`);
    if (format === 'sam' && isBam) throw new NodeError('GENOFED_SAM_FORMAT', `${input.label}: this is a BAM file, not SAM text`);
    const rest = (async function* () {
      if (head.length) yield head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    })();
    yield* isBam ? bamItems(rest, input.label, signal) : samItems(rest, input.label, signal);
  } finally {
    input.close();
  }
}
