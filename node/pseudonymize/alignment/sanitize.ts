/**
 * Sequence sanitization of one alignment record against the reference
 * (issue 13, deliverable 3; after BAMboozle, Ziegenhain & Sandberg, Nat
 * Commun 2021): the read keeps its position and the reference positions it
 * covers, but every base becomes the reference base there, so the file no
 * longer holds the person's variants.
 *
 * Per CIGAR operation (BAM encoding: length << 4 | op):
 * - M, =, X: kept as M; bases become the reference, qualities kept;
 * - I, S: removed from SEQ and QUAL (BAMboozle turns soft clips into matches
 *   and moves the start; we remove them so that the read covers exactly the
 *   positions it covered, which is what keeps per-position depth equal);
 * - D: becomes M filled with reference bases; each filled base takes the
 *   quality of the aligned base before it (the one after it when the read
 *   starts with D), so no marker quality shows where a deletion was;
 * - N: kept (splicing, as BAMboozle keeps it), adjacent N merged;
 * - H, P: removed (they hold no bases; H would show the read was chimeric).
 *
 * Pure functions over arrays and Buffers: the caller reads the reference.
 */

/** BAM CIGAR operation codes (SAM spec 4.2.2). */
export const OP_M = 0, OP_I = 1, OP_D = 2, OP_N = 3, OP_S = 4, OP_H = 5, OP_P = 6, OP_EQ = 7, OP_X = 8;
const CIGAR_CHARS = 'MIDNSHP=X';

/**
 * Aux tags a sanitized file must not carry, and why (SAM tags spec; bwa,
 * STAR, minimap2 manuals): MC mate CIGAR; SA, XA other alignments with their
 * CIGAR and NM; OA, OC, OP original alignment, CIGAR, position; OQ original
 * qualities (one per original base: removed bases would survive); E2, U2
 * second-best base calls; R2, Q2 mate sequence and qualities; CS, CQ colour
 * reads; BQ BAQ offsets per original base; FZ flow signal; nM (STAR), XM,
 * XN, XO, XG (bwa) mismatch, ambiguous-base, gap-open and gap-extension
 * counts; XC (bwa) clipped position; AS, XS, ms (aligner scores, computed
 * from the mismatches and gaps); cs, cg (minimap2 difference string, long
 * CIGAR); uT (STAR unmapped type). BAMboozle drops MC, XN, XM, XO, XG (and
 * in strict mode OA OC OP OQ SA XA H1 H2 HI IH SM XS); genofed drops the
 * union of what carries sequence or alignment differences.
 */
export const SANITIZE_DROPPED_TAGS = [
  'MC', 'SA', 'XA', 'OA', 'OC', 'OP', 'OQ', 'E2', 'U2', 'R2', 'Q2', 'CS', 'CQ', 'BQ', 'FZ',
  'nM', 'XM', 'XN', 'XO', 'XG', 'XC', 'AS', 'XS', 'ms', 'cs', 'cg', 'uT',
] as const;

/** Tags recomputed on every sanitized mapped record (NM:i:0, MD = aligned length), as `samtools calmd` computes them. */
export const SANITIZE_RECOMPUTED_TAGS = ['NM', 'MD'] as const;

/** Which records a sanitized file keeps: BAMboozle drops unmapped and secondary; we also drop supplementary by default. */
export interface SanitizeKeep {
  /** Unmapped reads keep their original sequence (there is nothing to revert to): dropped unless asked. */
  keepUnmapped?: boolean;
  keepSecondary?: boolean;
  /** Supplementary parts of chimeric reads mark structural-variant breakpoints by the QNAME they share: dropped unless asked. */
  keepSupplementary?: boolean;
}

/** 'keep' or the reason a record is left out. */
export type SanitizeVerdict = 'keep' | 'unmapped' | 'secondary' | 'supplementary';

/** The fate of a record by its FLAG. */
export function sanitizeVerdict(flag: number, keep: SanitizeKeep): SanitizeVerdict {
  if (flag & 0x4) return keep.keepUnmapped ? 'keep' : 'unmapped';
  if (flag & 0x100) return keep.keepSecondary ? 'keep' : 'secondary';
  if (flag & 0x800) return keep.keepSupplementary ? 'keep' : 'supplementary';
  return 'keep';
}

/** What to write for one mapped record. */
export interface SanitizePlan {
  /** Output CIGAR, M and N only (BAM encoding). */
  readonly cigar: number[];
  /** Output bases (SEQ length; the CIGAR's M total). */
  readonly length: number;
  /** For each output base, the index of the original base whose quality it takes. */
  readonly qualFrom: Int32Array;
  /** Reference span, equal to the original's (M, D, N, =, X). */
  readonly refSpan: number;
  /** Aligned blocks of the original (M, =, X) as [query index, reference offset, length] triples: where mismatches can be counted. */
  readonly aligned: number[];
  readonly softClipped: number;
  readonly inserted: number;
  readonly deleted: number;
}

/** Why a mapped record cannot be sanitized. */
export type SanitizeProblem = 'no-aligned-base' | 'query-length-mismatch' | 'bad-cigar-op';

/**
 * The plan for a record's CIGAR. `seqLength` is l_seq (0 for SEQ '*': the
 * query-length check is skipped then, as SAM allows).
 */
export function planSanitized(cigar: ArrayLike<number>, seqLength: number): SanitizePlan | SanitizeProblem {
  let out = 0, query = 0, span = 0;
  for (let i = 0; i < cigar.length; i++) {
    const op = cigar[i]! & 0xf, len = cigar[i]! >>> 4;
    if (op > OP_X) return 'bad-cigar-op';
    if (op === OP_M || op === OP_EQ || op === OP_X) { out += len; query += len; span += len; }
    else if (op === OP_I || op === OP_S) query += len;
    else if (op === OP_D) { out += len; span += len; }
    else if (op === OP_N) span += len;
  }
  if (seqLength > 0 && query !== seqLength) return 'query-length-mismatch';
  if (out === 0) return 'no-aligned-base';
  const ops: number[] = [];
  const push = (op: number, len: number): void => {
    const last = ops.length - 1;
    if (last >= 0 && (ops[last]! & 0xf) === op) ops[last] = ((ops[last]! >>> 4) + len) << 4 | op;
    else ops.push(len << 4 | op);
  };
  const qualFrom = new Int32Array(out);
  const aligned: number[] = [];
  let k = 0, q = 0, r = 0, lastQ = -1, softClipped = 0, inserted = 0, deleted = 0;
  for (let i = 0; i < cigar.length; i++) {
    const op = cigar[i]! & 0xf, len = cigar[i]! >>> 4;
    if (len === 0) continue;
    if (op === OP_M || op === OP_EQ || op === OP_X) {
      aligned.push(q, r, len);
      for (let j = 0; j < len; j++) qualFrom[k++] = q + j;
      q += len; r += len; lastQ = q - 1;
      push(OP_M, len);
    } else if (op === OP_D) {
      qualFrom.fill(lastQ, k, k + len);
      k += len; r += len; deleted += len;
      push(OP_M, len);
    } else if (op === OP_N) { r += len; push(OP_N, len); }
    else if (op === OP_I) { q += len; inserted += len; }
    else if (op === OP_S) { q += len; softClipped += len; }
  }
  // Leading deletions (no aligned base before them) take the first aligned base's quality.
  let first = 0;
  while (first < out && qualFrom[first]! < 0) first++;
  qualFrom.fill(first < out ? qualFrom[first]! : 0, 0, first);
  return { cigar: ops, length: out, qualFrom, refSpan: span, aligned, softClipped, inserted, deleted };
}

/**
 * The output bases: the reference under each M of the plan, from 0-based
 * `pos`. Returns null when the read runs past the end of `contig` (the
 * reference is not this file's).
 */
export function referenceBases(plan: SanitizePlan, contig: Uint8Array, pos: number): Buffer | null {
  if (pos < 0 || pos + plan.refSpan > contig.length) return null;
  const out = Buffer.allocUnsafe(plan.length);
  let r = pos, k = 0;
  for (const c of plan.cigar) {
    const len = c >>> 4;
    if ((c & 0xf) === OP_M) { out.set(contig.subarray(r, r + len), k); k += len; }
    r += len;
  }
  return out;
}

/** 4-bit BAM base code per ASCII byte ('=ACMGRSVTWYHKDBN'; anything else, N = 15), as htslib's seq_nt16_table. */
export const NT16 = (() => {
  const t = new Uint8Array(256).fill(15);
  const codes = '=ACMGRSVTWYHKDBN';
  for (let i = 0; i < 16; i++) {
    t[codes.charCodeAt(i)] = i;
    t[codes.toLowerCase().charCodeAt(i)] = i;
  }
  return t;
})();

/**
 * MD and NM exactly as `samtools calmd` (bam_md.c) computes them for a read
 * whose M/N-only CIGAR is `cigar` and whose bases are `seq` (ASCII): a base
 * matches when its code equals the reference's and neither is N (so a
 * reference N counts as a mismatch: NM is 0 unless the reference has N
 * there); N skips add nothing.
 */
export function calmdTags(seq: Uint8Array, cigar: ArrayLike<number>, contig: Uint8Array, pos: number): { md: string; nm: number } {
  let md = '', u = 0, nm = 0, x = pos, y = 0;
  for (let i = 0; i < cigar.length; i++) {
    const op = cigar[i]! & 0xf, len = cigar[i]! >>> 4;
    if (op === OP_M || op === OP_EQ || op === OP_X) {
      for (let j = 0; j < len; j++) {
        const c1 = NT16[seq[y + j]!]!, c2 = NT16[contig[x + j]!]!;
        if ((c1 === c2 && c1 !== 15) || c1 === 0) u++;
        else { md += `${u}${String.fromCharCode(contig[x + j]!)}`; u = 0; nm++; }
      }
      x += len; y += len;
    } else if (op === OP_N) x += len;
  }
  return { md: `${md}${u}`, nm };
}

/** CIGAR text -> BAM encoding; null for '*' or a malformed string. */
export function parseCigarText(cigar: string): number[] | null {
  if (cigar === '*') return null;
  const ops: number[] = [];
  let n = 0, digits = 0;
  for (let i = 0; i < cigar.length; i++) {
    const c = cigar.charCodeAt(i);
    if (c >= 48 && c <= 57) { n = n * 10 + (c - 48); digits++; continue; }
    const op = CIGAR_CHARS.indexOf(cigar[i]!);
    if (op < 0 || digits === 0) return null;
    ops.push(n << 4 | op);
    n = 0; digits = 0;
  }
  return digits === 0 ? ops : null;
}

/** BAM-encoded CIGAR -> text. */
export function formatCigar(ops: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < ops.length; i++) s += `${ops[i]! >>> 4}${CIGAR_CHARS[ops[i]! & 0xf]}`;
  return s || '*';
}

/** Reference blocks covered by a CIGAR (M, D, =, X merged; N a gap) from 0-based `pos`, as [start, end) pairs: equal blocks give equal depth. */
export function coveredBlocks(cigar: ArrayLike<number>, pos: number): number[] {
  const out: number[] = [];
  let r = pos;
  for (let i = 0; i < cigar.length; i++) {
    const op = cigar[i]! & 0xf, len = cigar[i]! >>> 4;
    if (op === OP_M || op === OP_D || op === OP_EQ || op === OP_X) {
      if (len > 0 && out.length && out[out.length - 1] === r) out[out.length - 1] = r + len;
      else if (len > 0) out.push(r, r + len);
      r += len;
    } else if (op === OP_N) r += len;
  }
  return out;
}

/** htslib's hts_reg2bin(beg, end, 14, 5) for a record spanning [beg, end) (end = beg + 1 when it spans nothing). */
export function reg2bin(beg: number, end: number): number {
  end--;
  if (beg >> 14 === end >> 14) return ((1 << 15) - 1) / 7 + (beg >> 14);
  if (beg >> 17 === end >> 17) return ((1 << 12) - 1) / 7 + (beg >> 17);
  if (beg >> 20 === end >> 20) return ((1 << 9) - 1) / 7 + (beg >> 20);
  if (beg >> 23 === end >> 23) return ((1 << 6) - 1) / 7 + (beg >> 23);
  if (beg >> 26 === end >> 26) return ((1 << 3) - 1) / 7 + (beg >> 26);
  return 0;
}
