/**
 * Opening an alignment file: sniff CRAM/BGZF/gzip/plain, and return the
 * decompressed bytes as chunks. BGZF goes through our block reader so a
 * missing EOF block or a cut block is an error, not a shorter file.
 * Messages name the file by basename only.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { NodeError } from '../../errors.js';
import { detectCompression, openInput, type Compression } from '../../io/open-input.js';
import { inflateBgzf } from './bgzf-reader.js';
import { withOperatorPath } from '../../../proto/operator-path.js';

/** An opened alignment file: decompressed chunks plus what progress and messages need. */
export interface AlignmentInput {
  readonly label: string;
  readonly compression: Compression;
  readonly size: number;
  /** Decompressed bytes. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Compressed bytes read so far. */
  bytesRead(): number;
  /** Stop reading and release the file. */
  close(): void;
}

async function firstBytes(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r').catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${basename(path)}: cannot open input file`, { cause }), path);
  });
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Open SAM/BAM (plain, gzip or BGZF); CRAM is refused with GENOFED_CRAM_UNSUPPORTED. */
export async function openAlignment(path: string, signal?: AbortSignal): Promise<AlignmentInput> {
  const label = basename(path);
  const head = await firstBytes(path, 4);
  if (head.toString('latin1') === 'CRAM') {
    throw new NodeError('GENOFED_CRAM_UNSUPPORTED', `${label}: CRAM is not supported; convert it with samtools view -b first`);
  }
  const compression = await detectCompression(path);
  const { size } = await stat(path);
  if (compression === 'bgzf') {
    // The stream's own byte counter: a 'data' listener would start the
    // stream flowing before inflateBgzf reads it, and chunks would be lost.
    const raw = createReadStream(path, { highWaterMark: 1 << 20 });
    return {
      label, compression, size,
      chunks: inflateBgzf(raw as AsyncIterable<Buffer>, label, signal),
      bytesRead: () => raw.bytesRead,
      close: () => raw.destroy(),
    };
  }
  const opened = await openInput(path);
  return {
    label, compression, size,
    chunks: opened.stream as AsyncIterable<Buffer>,
    bytesRead: () => opened.bytesRead(),
    close: () => opened.stream.destroy(),
  };
}

/** Wrap chunks to report progress every ~4 MiB of compressed input. */
export async function* withProgress(input: AlignmentInput, onProgress?: (read: number, total: number) => void): AsyncGenerator<Buffer> {
  let last = 0;
  for await (const chunk of input.chunks) {
    if (onProgress) {
      const r = input.bytesRead();
      if (r - last >= 1 << 22) {
        last = r;
        onProgress(r, input.size);
      }
    }
    yield chunk;
  }
  onProgress?.(input.size, input.size);
}
