/**
 * Byte-level helpers for VCF data lines: locate the fixed columns without
 * decoding a 2,504-sample line (~10 KB) to a string, rewrite the ID column,
 * and count columns. Only the ID column is ever re-encoded; every other
 * byte of a kept record is copied unchanged.
 */

const TAB = 9;

/** Offsets of the first `n` tabs (or -1 where the line has fewer). */
export function tabOffsets(line: Buffer, n: number, out: Int32Array): number {
  let from = 0;
  let found = 0;
  while (found < n) {
    const t = line.indexOf(TAB, from);
    if (t < 0) break;
    out[found++] = t;
    from = t + 1;
  }
  return found;
}

/** Number of tab-separated columns from byte `start` to the end (a tight loop: 10 KB lines make indexOf calls per tab slower). */
export function countColumns(line: Buffer, start: number): number {
  let n = 1;
  for (let i = start; i < line.length; i++) if (line[i] === TAB) n++;
  return n;
}

const RS_ID = /^rs\d+$/;

/** True when every `;`-separated ID is `.` or a dbSNP rs id, i.e. the column is kept. */
export function idColumnIsPublic(id: string): boolean {
  if (id === '.') return true;
  for (const part of id.split(';')) if (!RS_ID.test(part)) return false;
  return true;
}

/** Replace each non-rs id of an ID column; rs ids and `.` stay. */
export function rewriteIdColumn(id: string, pseudonymOf: (original: string) => string): { value: string; replaced: number } {
  let replaced = 0;
  const parts = id.split(';').map((part) => {
    if (part === '.' || RS_ID.test(part) || part === '') return part;
    replaced++;
    return pseudonymOf(part);
  });
  return { value: parts.join(';'), replaced };
}

/** Parse a non-negative decimal integer from bytes [start, end); NaN if not one. */
export function parseUint(line: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return Number.NaN;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = line[i]! - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The record's reference span end (1-based inclusive), as bcftools computes
 * rlen for region overlap: INFO END= when present, else POS + len(REF) - 1.
 */
export function recordEnd(pos: number, refLength: number, info: string): number {
  if (info.includes('END=')) {
    for (const kv of info.split(';')) {
      if (kv.startsWith('END=')) {
        const end = Number(kv.slice(4));
        if (Number.isInteger(end) && end >= pos) return end;
      }
    }
  }
  return pos + Math.max(refLength, 1) - 1;
}
