/**
 * Genomic regions as researchers type them: `CHR:START-END`, `CHR:POS` or
 * `CHR` alone; 1-based and inclusive (samtools/bcftools convention);
 * thousands separators allowed (`chr1:1,000,000-2,000,000`).
 */
import { ProtoError } from './errors.js';

export interface Region {
  readonly chrom: string;
  /** 1-based, inclusive. */
  readonly start: number;
  /** 1-based, inclusive; REGION_END for "to the end of the contig". */
  readonly end: number;
}

/** End of a whole-contig region: 2^31-1 is the largest VCF POS htslib accepts. */
export const REGION_END = 2 ** 31 - 1;

const NUM = '[0-9][0-9,]*';
const SUFFIX_RE = new RegExp(`^(${NUM})(?:-(${NUM})?)?$`);

function toPos(s: string, text: string): number {
  if (!/^[0-9]{1,3}(?:,[0-9]{3})*$|^[0-9]+$/.test(s)) {
    throw new ProtoError('GENOFED_BAD_REGION', `region '${text}': '${s}' is not a position (digits, optional thousands commas)`);
  }
  const n = Number(s.replaceAll(',', ''));
  if (!Number.isSafeInteger(n) || n < 1 || n > REGION_END) {
    throw new ProtoError('GENOFED_BAD_REGION', `region '${text}': position must be from 1 to ${REGION_END}`);
  }
  return n;
}

/**
 * Parse a region. The contig is everything before the LAST ':' whose
 * suffix is a position or range, so contig names containing ':' or '-'
 * (e.g. HLA-A*01:01:01:01, or `1:1-1` in htslib's tests) still parse when a
 * range follows; a text without such a suffix is a whole contig.
 */
export function parseRegion(text: string): Region {
  const s = text.trim();
  if (s === '') throw new ProtoError('GENOFED_BAD_REGION', 'region is empty');
  const colon = s.lastIndexOf(':');
  if (colon > 0) {
    const m = SUFFIX_RE.exec(s.slice(colon + 1));
    if (m) {
      const chrom = s.slice(0, colon);
      const start = toPos(m[1]!, s);
      const end = m[2] !== undefined ? toPos(m[2], s) : s.endsWith('-') ? REGION_END : start;
      if (end < start) throw new ProtoError('GENOFED_BAD_REGION', `region '${s}': END is before START`);
      return { chrom, start, end };
    }
    // "chr1:12x" or "chr1:5-": starts like a range but is not one.
    if (/^[0-9]/.test(s.slice(colon + 1))) {
      throw new ProtoError('GENOFED_BAD_REGION', `region '${s}': expected CHR:START-END with 1 <= START <= END`);
    }
  }
  if (/\s/.test(s)) throw new ProtoError('GENOFED_BAD_REGION', `region '${s}': contig names have no spaces`);
  return { chrom: s, start: 1, end: REGION_END };
}

/** `CHR:START-END` (or `CHR` for a whole contig). */
export function formatRegion(r: Region): string {
  return r.start === 1 && r.end === REGION_END ? r.chrom : `${r.chrom}:${r.start}-${r.end}`;
}
