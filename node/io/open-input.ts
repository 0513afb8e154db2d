/**
 * Open an input file as a byte stream, transparently decompressing gzip and
 * BGZF (BGZF is multi-member gzip, which node's gunzip reads member after
 * member). Errors name the file by basename only: a hospital path may itself
 * carry a patient or project name.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { NodeError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';
import { BGZF_EOF } from './bgzf-writer.js';

export type Compression = 'none' | 'gzip' | 'bgzf';

export interface OpenedInput {
  /** Decompressed bytes. Errors from gunzip are rethrown as NodeError. */
  readonly stream: Readable;
  readonly compression: Compression;
  /** Size on disk, for progress bars. */
  readonly sizeOnDisk: number;
  /** Compressed bytes read so far (for progress). */
  bytesRead(): number;
  readonly label: string;
}

/** The file's name as it may appear in messages: basename only. */
export function inputLabel(path: string): string {
  return basename(path);
}

/** Sniff the first 18 bytes: gzip magic, and BGZF's 'BC' extra subfield. */
export async function detectCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r').catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${inputLabel(path)}: cannot open input file`, { cause }), path);
  });
  try {
    const buf = Buffer.alloc(18);
    const { bytesRead } = await fh.read(buf, 0, 18, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      const isBgzf = bytesRead >= 16 && (buf[3]! & 4) !== 0 && buf[12] === 0x42 && buf[13] === 0x43;
      return isBgzf ? 'bgzf' : 'gzip';
    }
    return 'none';
  } finally {
    await fh.close();
  }
}

/**
 * True when a file ends with BGZF's 28-byte EOF block. A BGZF file cut at a
 * block boundary decompresses cleanly and would silently lose its last
 * records (htslib only warns), so BGZF inputs without it are refused.
 */
export async function endsWithBgzfEof(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < BGZF_EOF.length) return false;
    const tail = Buffer.alloc(BGZF_EOF.length);
    await fh.read(tail, 0, tail.length, size - tail.length);
    return tail.equals(BGZF_EOF);
  } finally {
    await fh.close();
  }
}

export async function openInput(path: string): Promise<OpenedInput> {
  const compression = await detectCompression(path);
  const { size } = await stat(path);
  const label = inputLabel(path);
  if (compression === 'bgzf' && !(await endsWithBgzfEof(path))) {
    throw new NodeError('GENOFED_INPUT_TRUNCATED', `${label}: BGZF input has no EOF block (truncated at a block boundary)`);
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  // The stream's own counter: a 'data' listener here would switch the
  // stream to flowing mode before the caller reads, and a small file's
  // only chunk would be lost when the caller starts after an await.
  const read = (): number => raw.bytesRead;
  if (compression === 'none') {
    return { stream: raw, compression, sizeOnDisk: size, bytesRead: read, label };
  }
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (err) => gunzip.destroy(err));
  raw.pipe(gunzip);
  const wrapped = gunzip;
  // Re-map zlib errors ("unexpected end of file", "incorrect header check")
  // to a stable code that names the file, not its content.
  const origEmit = wrapped.emit.bind(wrapped);
  wrapped.emit = ((event: string, ...args: unknown[]) => {
    if (event === 'error' && !(args[0] instanceof NodeError)) {
      const cause = args[0];
      const msg = cause instanceof Error && /unexpected end/i.test(cause.message)
        ? `${label}: compressed input is truncated`
        : `${label}: compressed input is corrupt`;
      return origEmit('error', new NodeError('GENOFED_INPUT_TRUNCATED', msg, { cause }));
    }
    return origEmit(event, ...args);
  }) as typeof wrapped.emit;
  return { stream: wrapped, compression, sizeOnDisk: size, bytesRead: read, label };
}
