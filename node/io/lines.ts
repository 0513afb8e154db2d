/**
 * Split a byte stream into lines without decoding the whole stream to a
 * string: hot paths (VCF genotype scanning) work on the bytes of each line.
 * Yields `{ line, number }` with 1-based line numbers; CRLF is trimmed.
 */
import type { Readable } from 'node:stream';

export interface Line {
  /** The line's bytes, without the trailing newline (a view: copy to keep). */
  readonly bytes: Buffer;
  /** 1-based line number in the decompressed text. */
  readonly number: number;
}

export async function* readLines(stream: Readable, signal?: AbortSignal): AsyncGenerator<Line> {
  let carry: Buffer | null = null;
  let number = 0;
  for await (const chunk of stream) {
    signal?.throwIfAborted();
    let buf: Buffer = carry ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    carry = null;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      number += 1;
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      yield { bytes: buf.subarray(start, end), number };
      start = nl + 1;
    }
    if (start < buf.length) carry = Buffer.from(buf.subarray(start));
  }
  if (carry && carry.length > 0) {
    number += 1;
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    yield { bytes: carry.subarray(0, end), number };
  }
}
