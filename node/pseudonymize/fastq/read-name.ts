/**
 * FASTQ name lines: what is the read's base name (the part that names the
 * spot, shared by mates), which mate is it, and what the pseudonymized name
 * line says. Parser only: bytes in, bytes out.
 *
 * Forms recognised (the name is everything after '@' up to the first space
 * or tab; the rest is the comment):
 *   Casava 1.8+  `@A00123:8:H5KJ2DSXX:1:1101:10004:1000 1:N:0:ACGTACGT+TTGCAAGG`
 *   old Illumina `@HWUSI-EAS100R:6:73:941:1973#0/1`
 *   SRA/ENA      `@SRR1039508.1 HWI-ST177:290:C0TBFACXX:8:1101:1430:2181 length=63`,
 *                and `fastq-dump --readids` mates `@SRR1039508.1.1` / `.2`
 *   samtools fastq -N: `@<QNAME>/1`
 *
 * The pseudonym is taken over the base name with the mate suffix and the
 * comment removed, so both mates, and the BAM record whose QNAME is that base
 * name (aligners strip `/1` `/2` and comments), get the same pseudonym.
 *
 * The new name line keeps only what downstream tools use to pair and filter
 * reads: the mate suffix in the input's own form (`/1`, `.1`), or, for a
 * Casava comment, `<read>:<filtered>:<control>` (the index barcode, the 4th
 * field, is dropped: it names the library). Every other comment (SRA's
 * original Illumina name and `length=`, samtools -T tags) is dropped.
 */

/** How the mate number was written in the input, so the output writes it the same way. */
export type MateForm = 'none' | 'slash' | 'dot';

/** A parsed name line: offsets into the caller's buffer (no copies). */
export interface ReadName {
  /** Base name [baseStart, baseEnd) of the buffer: what is pseudonymized. */
  baseStart: number;
  baseEnd: number;
  /** 0 when the name carries no mate number. */
  mate: number;
  form: MateForm;
  /** Casava 1.8 fields kept, `1:N:0`, at [casavaStart, casavaEnd) (equal when the comment is not Casava). */
  casavaStart: number;
  casavaEnd: number;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const SPACE = 0x20;
const TAB = 0x09;

/** `[SED]RR<digits>.<digits>.` prefix: fastq-dump --readids appends `.1`/`.2` to the spot name. */
function isSraReadIdName(line: Buffer, start: number, end: number): boolean {
  const c = line[start];
  if ((c !== 0x53 && c !== 0x45 && c !== 0x44) || line[start + 1] !== 0x52 || line[start + 2] !== 0x52) return false;
  let i = start + 3;
  let digits = 0;
  while (i < end && line[i]! >= 0x30 && line[i]! <= 0x39) { i++; digits++; }
  if (digits === 0 || line[i] !== DOT) return false;
  i++;
  digits = 0;
  while (i < end && line[i]! >= 0x30 && line[i]! <= 0x39) { i++; digits++; }
  // Exactly `<spot>.<mate>` left: `.1` or `.2` ending the name.
  return digits > 0 && i === end - 2 && line[i] === DOT;
}

/**
 * Casava 1.8 comment `<read 1-4>:<Y|N>:<control, even number>:<index>` at
 * `at`: returns where `read:filtered:control` ends, or `at` when the comment is something else.
 */
function casavaEnd(line: Buffer, at: number, end: number): number {
  const r = line[at];
  if (r === undefined || r < 0x31 || r > 0x34 || line[at + 1] !== 0x3a) return at;
  const f = line[at + 2];
  if ((f !== 0x59 && f !== 0x4e) || line[at + 3] !== 0x3a) return at;
  let i = at + 4;
  while (i < end && line[i]! >= 0x30 && line[i]! <= 0x39) i++;
  if (i === at + 4 || (i < end && line[i] !== 0x3a && line[i] !== SPACE && line[i] !== TAB)) return at;
  return i;
}

/**
 * Parse the name line in line[start, end) (starting with '@', line end
 * excluded). Returns null when the name is empty (the caller reports file
 * and record). Offsets, not a subarray: one call per record, millions per file.
 */
export function parseReadName(line: Buffer, start = 0, end = line.length): ReadName | null {
  let nameEnd = start + 1;
  while (nameEnd < end && line[nameEnd] !== SPACE && line[nameEnd] !== TAB) nameEnd++;
  if (nameEnd === start + 1) return null;
  let baseEnd = nameEnd;
  let mate = 0;
  let form: MateForm = 'none';
  const last = line[nameEnd - 1]!;
  if ((last === 0x31 || last === 0x32) && nameEnd - start > 3) {
    const sep = line[nameEnd - 2];
    if (sep === SLASH) {
      form = 'slash';
    } else if (sep === DOT && isSraReadIdName(line, start + 1, nameEnd)) {
      form = 'dot';
    }
    if (form !== 'none') {
      mate = last - 0x30;
      baseEnd = nameEnd - 2;
    }
  }
  let c = nameEnd;
  let cEnd = nameEnd;
  if (nameEnd < end) {
    while (c < end && (line[c] === SPACE || line[c] === TAB)) c++;
    cEnd = casavaEnd(line, c, end);
    if (cEnd > c && mate === 0) mate = line[c]! - 0x30;
  }
  return { baseStart: start + 1, baseEnd, mate, form, casavaStart: c, casavaEnd: cEnd };
}

/**
 * Write what follows the pseudonym on the new name line into out[at]: the
 * mate suffix in the input's form, then ` read:filtered:control` for a
 * Casava comment (copied from the input line). Returns the bytes written.
 */
export function writeNameSuffix(line: Buffer, name: ReadName, out: Buffer, at: number): number {
  let p = at;
  if (name.form !== 'none') {
    out[p++] = name.form === 'slash' ? SLASH : DOT;
    out[p++] = 0x30 + name.mate;
  }
  if (name.casavaEnd > name.casavaStart) {
    out[p++] = SPACE;
    p += line.copy(out, p, name.casavaStart, name.casavaEnd);
  }
  return p - at;
}

/** The new name line as a string (tests, docs): `@<pseudonym>` + writeNameSuffix. */
export function pseudonymizedNameLine(pseudonym: string, line: Buffer, name: ReadName): string {
  const suffix = Buffer.alloc(8 + name.casavaEnd - name.casavaStart);
  return `@${pseudonym}${suffix.toString('latin1', 0, writeNameSuffix(line, name, suffix, 0))}`;
}

/** The base name as a string (for verify; the hot path hashes the bytes). */
export function baseNameOf(line: Buffer, name: ReadName): string {
  return line.toString('latin1', name.baseStart, name.baseEnd);
}

/** Grammar of a pseudonymized name line: nothing but a pseudonym, a mate suffix and Casava flags. */
export const PSEUDONYMIZED_NAME_LINE = /^@([a-z2-7]{26})(?:([/.])([12]))?(?: ([1-4]):[YN]:\d+)?$/;
