/**
 * FASTQ for `genofed scan`: the name line of every record split into the
 * base name (mate suffix removed), the comment and what the `+` line
 * repeats, so scan.ts can apply its read-name patterns. Sequences and
 * qualities are not handed out: scan does not search them (barcodes and
 * number runs occur there by chance).
 */
import { openAlignment } from '../alignment/input.js';
import { FastqCursor, F_NAME, F_NAME_END, F_QUAL, F_SEQ_END } from './fastq-records.js';
import { parseReadName } from './read-name.js';

/** What scan looks at in one record; `where` is `record N`. */
export interface FastqNameText {
  /** Name without '@', comment and mate suffix. */
  base: string;
  /** The whole name (with its mate suffix), for the read-name patterns that expect `/1`. */
  name: string;
  /** Everything after the first space or tab ('' if none). */
  comment: string;
  /** What follows '+' on the third line ('' when bare). */
  plus: string;
  where: string;
}

/** True when a path's first record looks like FASTQ: '@' line, any line, '+' line. */
export function looksLikeFastq(head: string): boolean {
  return /^@[^\n]*\n[^\n]*\n\+/.test(head);
}

/** Name-line parts of every record, in order (plain, gzip or BGZF input). */
export async function* fastqScanText(path: string, signal?: AbortSignal): AsyncGenerator<FastqNameText> {
  const input = await openAlignment(path, signal);
  try {
    const cursor = new FastqCursor(input.chunks, input.label);
    let record = 0;
    while (await cursor.fill()) {
      const { buf, offsets } = cursor.batch;
      const o = cursor.at;
      record++;
      const start = offsets[o + F_NAME]!;
      const end = offsets[o + F_NAME_END]!;
      const parsed = parseReadName(buf, start, end);
      let nameEnd = start + 1;
      while (nameEnd < end && buf[nameEnd] !== 0x20 && buf[nameEnd] !== 0x09) nameEnd++;
      const plusStart = offsets[o + F_SEQ_END]! + 1;
      yield {
        base: parsed ? buf.toString('latin1', parsed.baseStart, parsed.baseEnd) : '',
        name: buf.toString('latin1', start + 1, nameEnd),
        comment: buf.toString('latin1', nameEnd, end).trim(),
        plus: buf.toString('latin1', plusStart, offsets[o + F_QUAL]!).replace(/^\r?\n?\+/, '').trim(),
        where: `record ${record}`,
      };
      cursor.next++;
    }
  } finally {
    input.close();
  }
}
